using Experiments.Engine.SyntheticControl;

namespace Experiments.Engine.Geo;

/// <summary>What a geo-experiment analysis fits and tests.</summary>
public sealed record GeoExperimentSpecification
{
    /// <summary>The treated markets; several are averaged into one treated series (GeoLift's approach).</summary>
    public required IReadOnlyList<string> TreatedUnits { get; init; }

    /// <summary>The first treated period.</summary>
    public required int TreatmentStart { get; init; }

    /// <summary>The last treated period (inclusive); the last period of the panel when null. Later periods are ignored.</summary>
    public int? TreatmentEnd { get; init; }

    /// <summary>The donor pool; every untreated market when null.</summary>
    public IReadOnlyList<string>? DonorUnits { get; init; }

    /// <summary>Plain synthetic control or the ridge-augmented one.</summary>
    public GeoModel Model { get; init; } = GeoModel.SyntheticControl;

    /// <summary>Fit on outcomes centred by each market's pre-period mean (GeoLift's default).</summary>
    public bool FixedEffects { get; init; } = true;

    /// <summary>Two-sided error rate of the intervals (GeoLift's default 0.1).</summary>
    public double Alpha { get; init; } = 0.1;

    /// <summary>Ad spend per treated market over the test, for iROAS; null for none.</summary>
    public IReadOnlyDictionary<string, double>? Spend { get; init; }

    /// <summary>The ridge penalty of the augmented model; chosen by cross-validation when null.</summary>
    public double? RidgeLambda { get; init; }

    /// <summary>The conformal test's permutations.</summary>
    public ConformalOptions Conformal { get; init; } = new();

    /// <summary>Whether to compute an interval for every test period (one conformal inversion per period).</summary>
    public bool PointwiseIntervals { get; init; } = true;
}

/// <summary>An estimate with its interval.</summary>
/// <param name="Estimate">The point estimate.</param>
/// <param name="Lower">Lower end of the (1 − α) interval.</param>
/// <param name="Upper">Upper end.</param>
public sealed record GeoInterval(double Estimate, double Lower, double Upper);

/// <summary>The average effect with its conformal interval and p-value.</summary>
/// <param name="Estimate">Average effect per treated market per test period.</param>
/// <param name="Lower">Lower end of the conformal (1 − α) interval.</param>
/// <param name="Upper">Upper end.</param>
/// <param name="PValue">Conformal p-value of "no average effect" (statistic |Σû|): the test whose inversion gives the interval, so the two agree.</param>
/// <param name="SharpNullPValue">Conformal p-value of "no effect in any test period" with S₁ = Σ|û| (GeoLift's two-sided "Total" test).</param>
public sealed record GeoEffect(double Estimate, double Lower, double Upper, double PValue, double SharpNullPValue);

/// <summary>One period of the treated series and its counterfactual.</summary>
/// <param name="Period">The period.</param>
/// <param name="Actual">The treated series (average over treated markets).</param>
/// <param name="Synthetic">The counterfactual.</param>
/// <param name="Lower">Lower end of the counterfactual's interval in test periods (actual − upper effect bound); null before the test.</param>
/// <param name="Upper">Upper end; null before the test.</param>
public sealed record GeoPeriod(int Period, double Actual, double Synthetic, double? Lower, double? Upper);

/// <summary>The result of a geo-experiment analysis.</summary>
/// <param name="Weights">Donor weights.</param>
/// <param name="PreRmspe">Root mean squared pre-period gap.</param>
/// <param name="L2Imbalance">√Σ_pre gap² (GeoLift's "L2 imbalance").</param>
/// <param name="ScaledL2Imbalance">L2 imbalance over that of equal donor weights (GeoLift's "scaled L2 imbalance"; lower is better).</param>
/// <param name="RidgeLambda">The ridge penalty used by the augmented model, else null.</param>
/// <param name="Effect">Average effect per treated market per test period (GeoLift's ATT).</param>
/// <param name="LiftPercent">Σ effect / Σ counterfactual over the test, in percent (5.4 = +5.4%); null when undefined.</param>
/// <param name="LiftUnavailableReason">Why <paramref name="LiftPercent"/> is null, else null.</param>
/// <param name="Incremental">Total incremental outcome over the treated markets and test periods.</param>
/// <param name="Iroas">Incremental outcome per unit of spend, when a positive spend was given.</param>
/// <param name="TotalSpend">The treated markets' total spend, when given.</param>
/// <param name="Series">Every period from the panel's first to the treatment end.</param>
/// <param name="TreatedUnitCount">Number of treated markets.</param>
/// <param name="TestPeriodCount">Number of test periods.</param>
public sealed record GeoExperimentResult(IReadOnlyList<DonorWeight> Weights, double PreRmspe, double L2Imbalance, double ScaledL2Imbalance,
    double? RidgeLambda, GeoEffect Effect, GeoInterval? LiftPercent, string? LiftUnavailableReason, GeoInterval Incremental, GeoInterval? Iroas, double? TotalSpend,
    IReadOnlyList<GeoPeriod> Series, int TreatedUnitCount, int TestPeriodCount)
{
    /// <summary>
    /// Spend per incremental unit of outcome (cost per incremental conversion when the outcome is conversions):
    /// spend / incremental, with the image [spend/upper, spend/lower] of the incremental outcome's interval; null
    /// when spend is missing or zero, or when that interval reaches zero (see <see cref="IncrementalityUnavailableReason"/>).
    /// </summary>
    public GeoInterval? CostPerIncremental { get; init; }

    /// <summary>Why <see cref="Iroas"/> or <see cref="CostPerIncremental"/> is null, else null.</summary>
    public string? IncrementalityUnavailableReason { get; init; }
}

/// <summary>
/// Geo-experiment analysis as GeoLift does it (augsynth with a single treatment time): the treated markets'
/// average series against a synthetic control (optionally ridge-augmented) fitted on the pre-period outcome path,
/// with conformal inference (Chernozhukov, Wüthrich &amp; Zhu 2021) for the average effect, lift, incremental
/// outcome and iROAS.
/// </summary>
/// <remarks>
/// <para>ATT = (1/T*) Σ_{t∈test} (ȳ_treated,t − ŷ_t); incremental = ATT · n_treated · T*; lift = Σ(ȳ − ŷ)/Σŷ
/// (GeoLift's definitions, read from its post-test analysis). The interval for the ATT inverts the conformal test
/// of a constant effect θ₀; incremental, lift (L(θ) = θT*/(Σȳ − θT*), increasing in θ) and iROAS
/// (incremental / spend) take the images of its ends.</para>
/// </remarks>
public static class GeoExperiment
{
    /// <summary>Analyses a geo experiment.</summary>
    /// <exception cref="StatisticsInputException">Unknown or duplicate markets, a treated market among the donors,
    /// no test period, too few periods for the test to reach α, alpha outside (0, 1), spend missing for a treated market.</exception>
    public static GeoExperimentResult Analyze(Panel panel, GeoExperimentSpecification specification)
    {
        var (treated, donors, donorNames, periods, testStart) = Prepare(panel, specification);
        var spec = specification;
        var fit = OutcomeSyntheticControl.Fit(treated, donors, testStart, spec.FixedEffects, spec.Model, spec.RidgeLambda);

        int testCount = periods.Length - testStart;
        double preSquares = 0, uniformSquares = 0, postGap = 0, postActual = 0;
        var uniform = UniformFit(treated, donors, testStart, spec.FixedEffects);
        for (int t = 0; t < testStart; t++)
        {
            preSquares += Math.Pow(treated[t] - fit.Counterfactual[t], 2);
            uniformSquares += Math.Pow(treated[t] - uniform[t], 2);
        }
        for (int t = testStart; t < periods.Length; t++)
        {
            postGap += treated[t] - fit.Counterfactual[t];
            postActual += treated[t];
        }
        double att = postGap / testCount;
        double preRmspe = Math.Sqrt(preSquares / testStart);

        var conformal = new ConformalInference(treated, donors, testStart, spec.FixedEffects, spec.Model, fit.RidgeLambda, spec.Conformal);
        double scale = Math.Max(preRmspe / Math.Sqrt(testCount), 1e-9 * Math.Max(1, Math.Abs(att)));
        double p = conformal.PValue(0);
        double sharpNull = conformal.SharpNullPValue();
        var (lower, upper) = conformal.Interval(att, scale, spec.Alpha);
        lower = Math.Min(lower, att);
        upper = Math.Max(upper, att);

        int n = spec.TreatedUnits.Count;
        double Incremental(double theta) => theta * n * testCount;
        double Lift(double theta) => 100 * theta * testCount / (postActual - theta * testCount);
        var incremental = new GeoInterval(Incremental(att), Incremental(lower), Incremental(upper));
        GeoInterval? lift = null;
        string? liftUnavailable = null;
        if (postActual - upper * testCount > 0)
            lift = new GeoInterval(Lift(att), Lift(lower), Lift(upper));
        else
            liftUnavailable = "The counterfactual total is not positive across the effect's interval, so a percent lift is undefined; use the absolute effect.";

        double? totalSpend = null;
        GeoInterval? iroas = null;
        GeoInterval? costPerIncremental = null;
        string? incrementalityReason = "No spend was given, so iROAS and the cost per incremental outcome are not computed.";
        if (spec.Spend is { } spend)
        {
            totalSpend = spec.TreatedUnits.Sum(u => spend.TryGetValue(u, out var s) && double.IsFinite(s)
                ? s
                : throw new StatisticsInputException($"spend[{u}]", $"No finite spend is given for treated market '{u}'."));
            if (totalSpend.Value < 0)
                throw new StatisticsInputException("spend", $"The treated markets' spend adds up to {totalSpend.Value}; spend cannot be negative.");
            if (totalSpend.Value == 0)
                incrementalityReason = "The treated markets' spend over the test is zero, so iROAS and the cost per incremental outcome are undefined.";
            else
            {
                double a = incremental.Lower / totalSpend.Value, b = incremental.Upper / totalSpend.Value;
                iroas = new GeoInterval(incremental.Estimate / totalSpend.Value, Math.Min(a, b), Math.Max(a, b));
                // Fieller-type set for spend / incremental: the image of the incremental interval, bounded only when it excludes zero.
                if (incremental.Lower > 0)
                {
                    costPerIncremental = new GeoInterval(totalSpend.Value / incremental.Estimate, totalSpend.Value / incremental.Upper, totalSpend.Value / incremental.Lower);
                    incrementalityReason = null;
                }
                else
                {
                    incrementalityReason = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"The incremental outcome's interval [{incremental.Lower:G6}, {incremental.Upper:G6}] reaches zero or below, so the cost per incremental outcome is unbounded (the campaign may have caused nothing).");
                }
            }
        }

        var series = new GeoPeriod[periods.Length];
        for (int t = 0; t < periods.Length; t++)
        {
            double? lo = null, hi = null;
            if (t >= testStart && spec.PointwiseIntervals)
            {
                double gap = treated[t] - fit.Counterfactual[t];
                var (effectLower, effectUpper) = conformal.PointwiseInterval(t, gap, Math.Max(preRmspe, 1e-9 * Math.Max(1, Math.Abs(gap))), spec.Alpha);
                lo = treated[t] - Math.Max(effectUpper, gap);
                hi = treated[t] - Math.Min(effectLower, gap);
            }
            series[t] = new GeoPeriod(periods[t], treated[t], fit.Counterfactual[t], lo, hi);
        }

        return new GeoExperimentResult(
            donorNames.Select((d, i) => new DonorWeight(d, fit.Weights[i])).ToList(),
            preRmspe, Math.Sqrt(preSquares), Math.Sqrt(preSquares) / Math.Sqrt(uniformSquares), fit.RidgeLambda,
            new GeoEffect(att, lower, upper, p, sharpNull), lift, liftUnavailable, incremental, iroas, totalSpend, series, n, testCount)
        {
            CostPerIncremental = costPerIncremental,
            IncrementalityUnavailableReason = incrementalityReason,
        };
    }

    private static double[] UniformFit(double[] treated, double[][] donors, int fitCount, bool fixedEffects)
    {
        var result = new double[treated.Length];
        double treatedMean = fixedEffects ? treated.Take(fitCount).Average() : 0;
        for (int t = 0; t < treated.Length; t++)
        {
            double s = 0;
            foreach (var d in donors)
                s += d[t] - (fixedEffects ? d.Take(fitCount).Average() : 0);
            result[t] = treatedMean + s / donors.Length;
        }
        return result;
    }

    internal static (double[] Treated, double[][] Donors, string[] DonorNames, int[] Periods, int TestStart) Prepare(Panel panel, GeoExperimentSpecification spec)
    {
        if (!(spec.Alpha > 0 && spec.Alpha < 1))
            throw new StatisticsInputException("alpha", $"alpha must lie strictly between 0 and 1 (got {spec.Alpha}).");
        if (spec.TreatedUnits is not { Count: > 0 })
            throw new StatisticsInputException("treatedUnits", "Name at least one treated market.");
        var treatedSet = new HashSet<string>(StringComparer.Ordinal);
        foreach (var u in spec.TreatedUnits)
        {
            if (!panel.ContainsUnit(u))
                throw new StatisticsInputException("treatedUnits", $"The treated market '{u}' is not in the panel.");
            if (!treatedSet.Add(u))
                throw new StatisticsInputException("treatedUnits", $"The treated market '{u}' is listed twice.");
        }
        var donorNames = (spec.DonorUnits ?? panel.Units.Where(u => !treatedSet.Contains(u)).ToList()).ToArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in donorNames)
        {
            if (!panel.ContainsUnit(d))
                throw new StatisticsInputException("donorUnits", $"The donor '{d}' is not in the panel.");
            if (treatedSet.Contains(d))
                throw new StatisticsInputException("donorUnits", $"'{d}' is treated and cannot also be a donor.");
            if (!seen.Add(d))
                throw new StatisticsInputException("donorUnits", $"The donor '{d}' is listed twice.");
        }
        if (donorNames.Length == 0)
            throw new StatisticsInputException("donorUnits", "There are no donor markets to build a counterfactual from.");

        int end = spec.TreatmentEnd ?? panel.Periods[^1];
        var periods = panel.Periods.Where(p => p <= end).ToArray();
        int testStart = Array.FindIndex(periods, p => p >= spec.TreatmentStart);
        if (testStart < 0)
            throw new StatisticsInputException("treatmentStart", $"No period of the panel lies between the treatment start {spec.TreatmentStart} and end {end}.");
        if (testStart < 4)
            throw new StatisticsInputException("treatmentStart", $"Only {testStart} pre-treatment period(s); a synthetic control needs at least 4 to fit and to test.");
        if (periods.Length * spec.Alpha < 1)
            throw new StatisticsInputException("alpha",
                $"With {periods.Length} periods the conformal test's smallest p-value is 1/{periods.Length}, so it cannot reach α = {spec.Alpha}; use more periods or a larger α.");

        var treated = new double[periods.Length];
        for (int t = 0; t < periods.Length; t++)
            treated[t] = spec.TreatedUnits.Average(u => panel.Outcome(u, periods[t]));
        var donors = donorNames.Select(d => periods.Select(p => panel.Outcome(d, p)).ToArray()).ToArray();
        return (treated, donors, donorNames, periods, testStart);
    }
}
