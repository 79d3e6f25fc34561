using Experiments.Engine.Inference;

namespace Experiments.Engine.AbTesting;

/// <summary>What kind of per-unit metric is analysed.</summary>
public enum MetricKind
{
    /// <summary>A mean of a per-unit value (revenue per user).</summary>
    Mean,

    /// <summary>A proportion: the per-unit value is 0 or 1 (converted or not).</summary>
    Proportion,

    /// <summary>A ratio of two per-unit sums (clicks per impression), by the delta method.</summary>
    Ratio,
}

/// <summary>One variant of a mean or proportion metric.</summary>
/// <param name="Name">The variant's name.</param>
/// <param name="Statistics">Its sufficient statistics (with covariates for CUPED).</param>
public sealed record MeanVariant(string Name, SufficientStatistics Statistics);

/// <summary>One variant of a ratio metric.</summary>
/// <param name="Name">The variant's name.</param>
/// <param name="Statistics">Its ratio statistics.</param>
public sealed record RatioVariant(string Name, RatioStatistics Statistics);

/// <summary>Choices for an A/B/n analysis.</summary>
public sealed record AbAnalysisOptions
{
    /// <summary>The control variant's name; every other variant is compared with it.</summary>
    public string Control { get; init; } = "control";

    /// <summary>Two-sided error rate; intervals have level 1 − α.</summary>
    public double Alpha { get; init; } = 0.05;

    /// <summary>The metric's kind; <see cref="MetricKind.Ratio"/> goes with <see cref="RatioVariant"/>.</summary>
    public MetricKind Metric { get; init; } = MetricKind.Mean;

    /// <summary>Apply CUPED with the variants' covariates.</summary>
    public bool Cuped { get; init; }

    /// <summary>Report always-valid confidence sequences and p-values instead of fixed-horizon ones.</summary>
    public bool Sequential { get; init; }

    /// <summary>N*, the total sample size at which the confidence sequence is tightest.</summary>
    public double SequentialTuning { get; init; } = ConfidenceSequence.DefaultTuning;

    /// <summary>Adjustment of p-values across the treatment variants.</summary>
    public MultipleTestingCorrection Correction { get; init; } = MultipleTestingCorrection.Holm;

    /// <summary>Expected share of units per variant for the SRM check; null for an equal split.</summary>
    public IReadOnlyDictionary<string, double>? ExpectedShares { get; init; }

    /// <summary>The SRM check flags a mismatch below this p-value.</summary>
    public double SrmThreshold { get; init; } = SampleRatioMismatch.DefaultThreshold;
}

/// <summary>A variant's own estimate.</summary>
/// <param name="Name">Variant name.</param>
/// <param name="Count">Units.</param>
/// <param name="Mean">The metric's estimate (mean, proportion or ratio), CUPED-adjusted when CUPED is on.</param>
/// <param name="StdError">Its standard error.</param>
/// <param name="UnadjustedMean">The plain estimate when CUPED is on, else null.</param>
public sealed record VariantResult(string Name, long Count, double Mean, double StdError, double? UnadjustedMean);

/// <summary>What CUPED did for one comparison.</summary>
/// <param name="VarianceReduction">1 − Var(Δ with CUPED)/Var(Δ without): the fraction of variance removed.</param>
/// <param name="SampleSizeSaving">The fraction of units CUPED saves for the same precision (equals the variance reduction).</param>
/// <param name="EquivalentSampleSize">Units an unadjusted test would need for this comparison's precision: (n_t + n_c)/(1 − reduction).</param>
/// <param name="UnadjustedAbsolute">The absolute lift without CUPED, for comparison.</param>
public sealed record CupedComparison(double VarianceReduction, double SampleSizeSaving, double EquivalentSampleSize, EffectEstimate UnadjustedAbsolute);

/// <summary>One treatment variant against the control.</summary>
/// <param name="Variant">The treatment's name.</param>
/// <param name="Absolute">μ_t − μ_c with interval and p-value.</param>
/// <param name="Relative">μ_t/μ_c − 1 with interval and p-value; null when the control mean is zero.</param>
/// <param name="RelativeUnavailableReason">Why <paramref name="Relative"/> is null, else null.</param>
/// <param name="Cuped">CUPED's effect on this comparison, or null when CUPED is off.</param>
/// <param name="AdjustedPValue">The absolute lift's p-value adjusted across treatments by the chosen correction.</param>
public sealed record VariantComparison(string Variant, EffectEstimate Absolute, EffectEstimate? Relative,
    string? RelativeUnavailableReason, CupedComparison? Cuped, double AdjustedPValue);

/// <summary>The result of an A/B/n analysis of one metric.</summary>
/// <param name="Control">The control's name.</param>
/// <param name="Metric">The metric's kind.</param>
/// <param name="Alpha">The error rate used.</param>
/// <param name="Sequential">Whether intervals are always-valid confidence sequences.</param>
/// <param name="Correction">The multiple-testing correction behind <see cref="VariantComparison.AdjustedPValue"/>.</param>
/// <param name="Variants">Per-variant estimates.</param>
/// <param name="Srm">The sample-ratio-mismatch check.</param>
/// <param name="Comparisons">Each treatment against the control, in input order.</param>
/// <param name="Cuped">The CUPED fit (θ, covariate means) or null when CUPED is off.</param>
/// <param name="EngineVersion">The engine build that produced this result.</param>
public sealed record AbAnalysisResult(string Control, MetricKind Metric, double Alpha, bool Sequential,
    MultipleTestingCorrection Correction, IReadOnlyList<VariantResult> Variants, SrmResult Srm,
    IReadOnlyList<VariantComparison> Comparisons, CupedFit? Cuped, string EngineVersion);

/// <summary>
/// A/B/n analysis of one metric against a control: Welch tests of the absolute lift, delta-method
/// relative lift, optional CUPED, sample-ratio check, multiplicity adjustment and optional
/// always-valid (sequential) inference. See <see cref="WelchTest"/>, <see cref="CupedAdjustment"/>,
/// <see cref="RatioStatistics"/>, <see cref="SampleRatioMismatch"/>, <see cref="MultipleTesting"/>
/// and <see cref="ConfidenceSequence"/> for the formulas.
/// </summary>
public static class AbAnalysis
{
    /// <summary>Analyses a mean or proportion metric.</summary>
    /// <exception cref="StatisticsInputException">Any input that cannot give an honest estimate;
    /// the exception names the field.</exception>
    public static AbAnalysisResult Analyze(IReadOnlyList<MeanVariant> variants, AbAnalysisOptions options)
    {
        if (options.Metric == MetricKind.Ratio)
            throw new StatisticsInputException("metric", "A ratio metric needs numerator and denominator statistics (RatioVariant).");
        ValidateCommon(variants.Select(v => (v.Name, v.Statistics.Count)).ToList(), options);
        foreach (var v in variants)
        {
            if (options.Metric == MetricKind.Proportion)
                ValidateProportion(v);
            RequireVariance(v.Name, v.Statistics.Mean, v.Statistics.Variance, "y");
        }

        var plain = variants.Select(v => new VariantMoments(v.Name, v.Statistics.Count, v.Statistics.Mean, v.Statistics.Variance)).ToList();
        CupedFit? cuped = null;
        IReadOnlyList<VariantMoments> moments = plain;
        if (options.Cuped)
        {
            cuped = CupedAdjustment.Fit(variants.Select(v => (v.Name, v.Statistics)).ToList());
            foreach (var m in cuped.Variants)
                RequireVariance(m.Name, m.Mean, m.UnitVariance, "x",
                    "After CUPED adjustment the metric has no variance left in variant '{0}': the covariates predict it exactly, so no test is possible.");
            moments = cuped.Variants;
        }
        return Compare(moments, cuped is null ? null : plain, cuped, options);
    }

    /// <summary>Analyses a ratio metric by the delta method.</summary>
    /// <exception cref="StatisticsInputException">Any input that cannot give an honest estimate.</exception>
    public static AbAnalysisResult Analyze(IReadOnlyList<RatioVariant> variants, AbAnalysisOptions options)
    {
        if (options.Cuped)
            throw new StatisticsInputException("cuped", "CUPED is not available for ratio metrics yet; analyse the ratio without it.");
        ValidateCommon(variants.Select(v => (v.Name, v.Statistics.Count)).ToList(), options);
        var moments = new List<VariantMoments>(variants.Count);
        foreach (var v in variants)
        {
            if (!(v.Statistics.SumDenominator > 0))
                throw new StatisticsInputException($"variants[{v.Name}].denominator",
                    $"The denominators of variant '{v.Name}' sum to {v.Statistics.SumDenominator}; a ratio needs a positive denominator total.");
            var m = v.Statistics.ToMoments(v.Name);
            RequireVariance(v.Name, m.Mean, m.UnitVariance, "y",
                "The ratio metric has no variance in variant '{0}' (every unit has the same ratio), so no test is possible.");
            moments.Add(m);
        }
        return Compare(moments, null, null, options with { Metric = MetricKind.Ratio });
    }

    /// <summary>
    /// Adjusts the p-values of several metrics' analyses as one family — every treatment of every
    /// metric — so that looking at many metrics does not inflate the error rate. Each comparison's
    /// <see cref="VariantComparison.AdjustedPValue"/> is replaced by its adjustment within the whole
    /// family; everything else is unchanged.
    /// </summary>
    /// <param name="analyses">The per-metric analyses (each already adjusted across its own treatments).</param>
    /// <param name="correction">Holm (family-wise error) or Benjamini–Hochberg (false discovery rate).</param>
    public static IReadOnlyList<AbAnalysisResult> AdjustAcrossMetrics(IReadOnlyList<AbAnalysisResult> analyses, MultipleTestingCorrection correction)
    {
        var family = analyses.SelectMany(a => a.Comparisons.Select(c => c.Absolute.PValue)).ToList();
        var adjusted = MultipleTesting.Adjust(family, correction);
        int next = 0;
        return analyses.Select(a => a with
        {
            Correction = correction,
            Comparisons = a.Comparisons.Select(c => c with { AdjustedPValue = adjusted[next++] }).ToList(),
        }).ToList();
    }

    private static AbAnalysisResult Compare(IReadOnlyList<VariantMoments> moments, IReadOnlyList<VariantMoments>? unadjusted,
        CupedFit? cuped, AbAnalysisOptions options)
    {
        int controlIndex = moments.ToList().FindIndex(m => m.Name == options.Control);
        var control = moments[controlIndex];
        var comparisons = new List<(string Variant, EffectEstimate Absolute, EffectEstimate? Relative, string? Reason, CupedComparison? Cuped)>();
        for (int i = 0; i < moments.Count; i++)
        {
            if (i == controlIndex)
                continue;
            var treatment = moments[i];
            var absolute = WelchTest.AbsoluteLift(control, treatment);
            var relative = WelchTest.RelativeLift(control, treatment);
            CupedComparison? cupedComparison = null;
            if (unadjusted is not null)
            {
                var plainAbsolute = WelchTest.AbsoluteLift(unadjusted[controlIndex], unadjusted[i]);
                double reduction = 1 - absolute.Variance / plainAbsolute.Variance;
                cupedComparison = new CupedComparison(reduction, reduction,
                    (treatment.Count + control.Count) / (1 - reduction), Infer(plainAbsolute, options));
            }
            comparisons.Add((treatment.Name, Infer(absolute, options), relative is null ? null : Infer(relative, options),
                relative is null ? "The control mean is zero, so a relative lift is undefined." : null, cupedComparison));
        }

        var adjusted = MultipleTesting.Adjust(comparisons.Select(c => c.Absolute.PValue).ToList(), options.Correction);
        var srm = SampleRatioMismatch.Test(moments.Select(m => m.Count).ToList(),
            options.ExpectedShares is null ? null : moments.Select(m => options.ExpectedShares[m.Name]).ToList(),
            options.SrmThreshold);
        var variants = moments.Select((m, i) => new VariantResult(m.Name, m.Count, m.Mean, Math.Sqrt(m.MeanVariance),
            unadjusted?[i].Mean)).ToList();
        return new AbAnalysisResult(options.Control, options.Metric, options.Alpha, options.Sequential, options.Correction,
            variants, srm,
            comparisons.Select((c, i) => new VariantComparison(c.Variant, c.Absolute, c.Relative, c.Reason, c.Cuped, adjusted[i])).ToList(),
            cuped, EngineInfo.Version);
    }

    private static EffectEstimate Infer(EffectMoments moments, AbAnalysisOptions options) =>
        options.Sequential
            ? ConfidenceSequence.Infer(moments, options.Alpha, options.SequentialTuning)
            : WelchTest.Infer(moments, options.Alpha);

    private static void ValidateCommon(IReadOnlyList<(string Name, long Count)> variants, AbAnalysisOptions options)
    {
        if (!(options.Alpha > 0 && options.Alpha < 1))
            throw new StatisticsInputException("alpha", $"alpha must lie strictly between 0 and 1 (got {options.Alpha}).");
        if (options.Sequential && (!(options.SequentialTuning > 0) || !double.IsFinite(options.SequentialTuning)))
            throw new StatisticsInputException("sequentialTuning", $"The sequential tuning N* must be a positive number of units (got {options.SequentialTuning}).");
        if (variants.Count < 2)
            throw new StatisticsInputException("variants", $"An A/B test needs at least two variants (got {variants.Count}).");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < variants.Count; i++)
        {
            var (name, count) = variants[i];
            if (string.IsNullOrWhiteSpace(name))
                throw new StatisticsInputException($"variants[{i}].name", "Every variant needs a non-empty name.");
            if (!seen.Add(name))
                throw new StatisticsInputException($"variants[{i}].name", $"The variant name '{name}' appears more than once.");
            if (count < 2)
                throw new StatisticsInputException($"variants[{name}].n",
                    $"Variant '{name}' has {count} unit(s); a variance needs at least 2.");
        }
        if (!seen.Contains(options.Control))
            throw new StatisticsInputException("control",
                $"The control '{options.Control}' is not one of the variants ({string.Join(", ", variants.Select(v => v.Name))}).");
        if (options.ExpectedShares is { } shares)
        {
            foreach (var key in shares.Keys)
                if (!seen.Contains(key))
                    throw new StatisticsInputException($"expectedShares[{key}]", $"'{key}' is not one of the variants.");
            foreach (var (name, _) in variants)
                if (!shares.ContainsKey(name))
                    throw new StatisticsInputException("expectedShares", $"No expected share is given for variant '{name}'.");
        }
    }

    private static void ValidateProportion(MeanVariant v)
    {
        var s = v.Statistics;
        if (s.SumY < 0 || s.SumY > s.Count || Math.Abs(s.SumY2 - s.SumY) > 1e-9 * Math.Max(1, s.SumY))
            throw new StatisticsInputException($"variants[{v.Name}].y",
                $"A proportion metric needs 0/1 values per unit, so 0 ≤ Σy = Σy² ≤ n; variant '{v.Name}' has n = {s.Count}, Σy = {s.SumY}, Σy² = {s.SumY2}.");
    }

    private static void RequireVariance(string name, double mean, double variance, string field,
        string message = "Variant '{0}' has zero variance (every unit has the same value), so no test is possible.")
    {
        // A variance at or below the double-precision noise of the raw sums is not a measurement.
        if (!(variance > 1e-12 * mean * mean) || variance == 0)
            throw new StatisticsInputException($"variants[{name}].{field}", string.Format(System.Globalization.CultureInfo.InvariantCulture, message, name));
    }
}
