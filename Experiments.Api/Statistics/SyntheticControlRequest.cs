using Experiments.Engine;
using Experiments.Engine.Geo;
using Experiments.Engine.SyntheticControl;

namespace Experiments.Api.Statistics;

/// <summary>How the counterfactual is built.</summary>
public enum SyntheticControlMethod
{
    /// <summary>Synthetic control (Abadie et al.): on predictors when given, else on the pre-period outcome path.</summary>
    Scm,

    /// <summary>Ridge-augmented synthetic control (Ben-Michael, Feller &amp; Rothstein 2021) on the outcome path.</summary>
    Augmented,
}

/// <summary>One observation of the long-form panel.</summary>
public sealed record PanelRowRequest
{
    public string? Unit { get; init; }
    public int? Period { get; init; }
    public double? Outcome { get; init; }

    /// <summary>Covariate values by name; a missing or null value is a missing cell.</summary>
    public Dictionary<string, double?>? Covariates { get; init; }
}

/// <summary>A predictor: a variable (a covariate or "outcome") averaged over periods, as in Synth's dataprep.</summary>
public sealed record PredictorRequest
{
    public string? Variable { get; init; }
    public int[]? Periods { get; init; }

    /// <summary>Only "mean" is supported (Synth's default).</summary>
    public string? Aggregate { get; init; }
}

/// <summary>Body of <c>POST /api/v1/stats/synthetic-control</c>.</summary>
public sealed record SyntheticControlRequest
{
    public List<PanelRowRequest?>? Rows { get; init; }
    public List<string>? TreatedUnits { get; init; }
    public int? TreatmentStart { get; init; }

    /// <summary>The last treated period; periods after it are ignored. Default: the last period of the panel.</summary>
    public int? TreatmentEnd { get; init; }
    public SyntheticControlMethod? Method { get; init; }
    public List<string>? DonorUnits { get; init; }
    public List<PredictorRequest?>? Predictors { get; init; }

    /// <summary>Periods whose outcome error chooses the predictor weights (Synth's time.optimize.ssr); predictors only.</summary>
    public int[]? OptimizationPeriods { get; init; }

    /// <summary>Demean each unit by its pre-period mean (default: true on the outcome path, false with predictors).</summary>
    public bool? FixedEffects { get; init; }
    public double? Alpha { get; init; }
    public bool? Placebos { get; init; }
    public Dictionary<string, double>? Spend { get; init; }

    /// <summary>Compute an interval for every test period (one conformal inversion each; default true).</summary>
    public bool? PointwiseIntervals { get; init; }
}

/// <summary>Turns the request into a panel and specifications, checking its structure.</summary>
internal static class SyntheticControlRequestMapper
{
    public const string OutcomeVariable = "outcome";

    public static Panel Panel(SyntheticControlRequest request) => Panel(request.Rows, request.TreatmentEnd);

    /// <summary>The long-form rows as a panel, keeping periods up to <paramref name="lastPeriod"/> when given.</summary>
    public static Panel Panel(List<PanelRowRequest?>? requestRows, int? lastPeriod)
    {
        if (requestRows is not { Count: > 0 } rows)
            throw new StatisticsInputException("rows", "Give the panel as rows: [{\"unit\", \"period\", \"outcome\", \"covariates\"}, ...].");
        var covariateNames = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < rows.Count; i++)
        {
            var row = rows[i] ?? throw new StatisticsInputException($"rows[{i}]", "A row must be an object.");
            if (string.IsNullOrWhiteSpace(row.Unit))
                throw new StatisticsInputException($"rows[{i}].unit", "Every row needs a unit name.");
            if (row.Period is null)
                throw new StatisticsInputException($"rows[{i}].period", "Every row needs an integer period.");
            if (row.Outcome is null)
                throw new StatisticsInputException($"rows[{i}].outcome", "Every row needs an outcome (a finite number).");
            if (!double.IsFinite(row.Outcome.Value))
                throw new StatisticsInputException($"rows[{i}].outcome", $"The outcome must be finite (got {row.Outcome}).");
            foreach (var (name, value) in row.Covariates ?? [])
            {
                if (string.IsNullOrWhiteSpace(name) || name == OutcomeVariable)
                    throw new StatisticsInputException($"rows[{i}].covariates", $"'{name}' cannot name a covariate.");
                if (value is { } v && !double.IsFinite(v))
                    throw new StatisticsInputException($"rows[{i}].covariates.{name}", $"Covariate values must be finite or null (got {v}).");
                if (seen.Add(name))
                    covariateNames.Add(name);
            }
        }
        int? end = lastPeriod;
        var panelRows = rows.Where(r => end is null || r!.Period <= end).Select(r => new PanelRow(r!.Unit!, r.Period!.Value, r.Outcome!.Value,
            covariateNames.Count == 0 ? null : covariateNames.Select(n => r.Covariates is not null && r.Covariates.TryGetValue(n, out var v) && v is { } x ? x : double.NaN).ToArray()));
        return Engine.SyntheticControl.Panel.FromRows(panelRows, OutcomeVariable, covariateNames);
    }

    public static (List<string> Treated, int Start) Treatment(SyntheticControlRequest request)
    {
        if (request.TreatedUnits is not { Count: > 0 } treated || treated.Any(string.IsNullOrWhiteSpace))
            throw new StatisticsInputException("treatedUnits", "Name the treated unit(s): a non-empty list of unit names.");
        if (request.TreatmentStart is not { } start)
            throw new StatisticsInputException("treatmentStart", "Give the first treated period.");
        if (request.TreatmentEnd is { } end && end < start)
            throw new StatisticsInputException("treatmentEnd", $"The treatment end {end} is before its start {start}.");
        if (!(request.Alpha is null || (request.Alpha > 0 && request.Alpha < 1)))
            throw new StatisticsInputException("alpha", $"alpha must lie strictly between 0 and 1 (got {request.Alpha}).");
        return (treated, start);
    }

    public static List<Predictor> Predictors(SyntheticControlRequest request, Panel panel, int treatmentStart)
    {
        var result = new List<Predictor>();
        for (int i = 0; i < (request.Predictors?.Count ?? 0); i++)
        {
            var p = request.Predictors![i] ?? throw new StatisticsInputException($"predictors[{i}]", "A predictor must be an object.");
            string at = $"predictors[{i}]";
            if (string.IsNullOrWhiteSpace(p.Variable))
                throw new StatisticsInputException($"{at}.variable", "Name the predictor's variable: a covariate or \"outcome\".");
            if (p.Variable != OutcomeVariable && !panel.CovariateNames.Contains(p.Variable))
                throw new StatisticsInputException($"{at}.variable", $"'{p.Variable}' is neither \"outcome\" nor a covariate of the rows ({string.Join(", ", panel.CovariateNames)}).");
            if (p.Periods is not { Length: > 0 } periods)
                throw new StatisticsInputException($"{at}.periods", "A predictor needs the periods to average over.");
            if (periods.Any(t => t >= treatmentStart))
                throw new StatisticsInputException($"{at}.periods", "Predictor periods must be before the treatment start.");
            if (p.Aggregate is not (null or "mean"))
                throw new StatisticsInputException($"{at}.aggregate", $"Only \"mean\" is supported (got \"{p.Aggregate}\").");
            result.Add(new Predictor(p.Variable, periods));
        }
        return result;
    }
}
