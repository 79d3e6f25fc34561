using Experiments.Engine;
using Experiments.Engine.Geo;
using Experiments.Engine.Inference;

namespace Experiments.Api.Statistics;

/// <summary>One geo-period observation for TBR.</summary>
public sealed record GeoRowRequest
{
    public string? Unit { get; init; }
    public int? Period { get; init; }
    public double? Outcome { get; init; }

    /// <summary>Ad spend of the geo in the period (optional; for iROAS).</summary>
    public double? Cost { get; init; }
}

/// <summary>Body of <c>POST /api/v1/stats/tbr</c>: a treatment/control geo split analysed by time-based regression.</summary>
public sealed record TbrRequest
{
    public List<GeoRowRequest?>? Rows { get; init; }
    public List<string>? TreatmentUnits { get; init; }

    /// <summary>Control geos; every geo not in the treatment group when omitted.</summary>
    public List<string>? ControlUnits { get; init; }

    /// <summary>First pre-period (default: the first period of the rows).</summary>
    public int? PreStart { get; init; }
    public int? TestStart { get; init; }

    /// <summary>Last test period (default: the last period of the rows); later periods (cool-down) are ignored.</summary>
    public int? TestEnd { get; init; }
    public double? Alpha { get; init; }
}

/// <summary>One test period.</summary>
public sealed record TbrPeriodResponse(int Period, double Actual, double Counterfactual, double CounterfactualLower, double CounterfactualUpper,
    double Effect, double CumulativeEffect, double CumulativeLower, double CumulativeUpper);

/// <summary>Result of <c>POST /api/v1/stats/tbr</c>.</summary>
public sealed record TbrResponse(double Alpha, double Intercept, double Slope, double ResidualStdDev, int DegreesOfFreedom, int PrePeriods,
    EffectEstimate Incremental, EffectEstimate AverageEffect, EffectEstimate? RelativeLift, double? IncrementalCost, EffectEstimate? Iroas,
    IReadOnlyList<TbrPeriodResponse> Series, string EngineVersion);

/// <summary>Aggregates geo rows into the two group series TBR regresses.</summary>
internal static class TbrRequestMapper
{
    public static TbrResponse Analyze(TbrRequest request)
    {
        if (request.Rows is not { Count: > 0 } rows)
            throw new StatisticsInputException("rows", "Give the geo data as rows: [{\"unit\", \"period\", \"outcome\", \"cost\"}, ...].");
        if (request.TreatmentUnits is not { Count: > 0 } treatment || treatment.Any(string.IsNullOrWhiteSpace))
            throw new StatisticsInputException("treatmentUnits", "Name the treatment geos: a non-empty list.");
        if (request.TestStart is not { } testStart)
            throw new StatisticsInputException("testStart", "Give the first test period.");
        var treated = new HashSet<string>(treatment, StringComparer.Ordinal);
        if (treated.Count != treatment.Count)
            throw new StatisticsInputException("treatmentUnits", "A treatment geo is listed twice.");
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i] ?? throw new StatisticsInputException($"rows[{i}]", "A row must be an object.");
            if (string.IsNullOrWhiteSpace(r.Unit))
                throw new StatisticsInputException($"rows[{i}].unit", "Every row needs a geo name.");
            if (r.Period is null)
                throw new StatisticsInputException($"rows[{i}].period", "Every row needs an integer period.");
            if (r.Outcome is not { } outcome || !double.IsFinite(outcome))
                throw new StatisticsInputException($"rows[{i}].outcome", "Every row needs a finite outcome.");
            if (r.Cost is { } c && !double.IsFinite(c))
                throw new StatisticsInputException($"rows[{i}].cost", "Cost must be finite.");
        }
        var units = rows.Select(r => r!.Unit!).ToHashSet(StringComparer.Ordinal);
        foreach (var u in treatment)
            if (!units.Contains(u))
                throw new StatisticsInputException("treatmentUnits", $"The treatment geo '{u}' has no rows.");
        var control = new HashSet<string>(request.ControlUnits ?? units.Where(u => !treated.Contains(u)), StringComparer.Ordinal);
        foreach (var u in control)
        {
            if (!units.Contains(u))
                throw new StatisticsInputException("controlUnits", $"The control geo '{u}' has no rows.");
            if (treated.Contains(u))
                throw new StatisticsInputException("controlUnits", $"'{u}' is in both groups.");
        }
        if (control.Count == 0)
            throw new StatisticsInputException("controlUnits", "There are no control geos.");

        int preStart = request.PreStart ?? rows.Min(r => r!.Period!.Value);
        int testEnd = request.TestEnd ?? rows.Max(r => r!.Period!.Value);
        if (testStart <= preStart || testEnd < testStart)
            throw new StatisticsInputException("testStart", $"Periods must run pre-period start {preStart} < test start {testStart} ≤ test end {testEnd}.");
        // Sum each group per period; a geo missing on a day simply drops out of that day's sum (as GeoexperimentsResearch does).
        var periods = rows.Select(r => r!.Period!.Value).Where(p => p >= preStart && p <= testEnd).Distinct().Order().ToArray();
        var index = periods.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i);
        var y = new double[periods.Length];
        var x = new double[periods.Length];
        var treatmentCost = new double[periods.Length];
        var controlCost = new double[periods.Length];
        var seenTreatment = new bool[periods.Length];
        var seenControl = new bool[periods.Length];
        bool anyCost = false;
        foreach (var r in rows)
        {
            if (!index.TryGetValue(r!.Period!.Value, out int t))
                continue;
            anyCost |= r.Cost is not null;
            if (treated.Contains(r.Unit!))
            {
                y[t] += r.Outcome!.Value;
                treatmentCost[t] += r.Cost ?? 0;
                seenTreatment[t] = true;
            }
            else if (control.Contains(r.Unit!))
            {
                x[t] += r.Outcome!.Value;
                controlCost[t] += r.Cost ?? 0;
                seenControl[t] = true;
            }
        }
        for (int t = 0; t < periods.Length; t++)
            if (!seenTreatment[t] || !seenControl[t])
                throw new StatisticsInputException("rows", $"Period {periods[t]} has no rows for the {(seenTreatment[t] ? "control" : "treatment")} group.");
        int prePeriods = periods.Count(p => p < testStart);
        var result = TimeBasedRegression.Analyze(y, x, prePeriods, request.Alpha ?? 0.1,
            anyCost ? treatmentCost : null, anyCost ? controlCost : null);
        return new TbrResponse(request.Alpha ?? 0.1, result.Intercept, result.Slope, result.ResidualStdDev, result.DegreesOfFreedom, prePeriods,
            result.Incremental, result.AverageEffect, result.RelativeLift, result.IncrementalCost, result.Iroas,
            result.Periods.Select(p => new TbrPeriodResponse(periods[prePeriods + p.Index], p.Actual, p.Counterfactual, p.CounterfactualLower,
                p.CounterfactualUpper, p.Effect, p.CumulativeEffect, p.CumulativeLower, p.CumulativeUpper)).ToList(),
            EngineInfo.Version);
    }
}
