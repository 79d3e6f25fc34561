using System.Globalization;
using Experiments.Engine.Inference;

namespace Experiments.Engine.AbTesting;

/// <summary>A point estimate with its confidence interval, for figures whose interval is the image of another's.</summary>
/// <param name="Estimate">The point estimate.</param>
/// <param name="Lower">Lower end of the (1 − α) interval.</param>
/// <param name="Upper">Upper end.</param>
public sealed record ConfidenceInterval(double Estimate, double Lower, double Upper);

/// <summary>The conversion-lift figures of one treatment against the holdout (control) group.</summary>
/// <param name="Variant">The treatment.</param>
/// <param name="TreatedUnits">n_t, the units in the treatment.</param>
/// <param name="LiftPercent">The conversion metric's relative lift in percent (5.0 = +5%) with interval and p-value; null when the control's conversion rate is zero.</param>
/// <param name="LiftUnavailableReason">Why <paramref name="LiftPercent"/> is null, else null.</param>
/// <param name="IncrementalConversions">Δ_conv · n_t: the conversions the treatment caused among its units, with interval and p-value.</param>
/// <param name="IncrementalRevenue">Δ_rev · n_t, when a revenue metric is given.</param>
/// <param name="IncrementalRevenueUnavailableReason">Why <paramref name="IncrementalRevenue"/> is null, else null.</param>
/// <param name="Spend">S, the campaign's spend on the treated units.</param>
/// <param name="CostPerIncrementalConversion">S / (Δ_conv · n_t), when the incremental conversions' interval lies above zero and S &gt; 0.</param>
/// <param name="CostPerIncrementalConversionUnavailableReason">Why <paramref name="CostPerIncrementalConversion"/> is null, else null.</param>
/// <param name="Iroas">Incremental revenue per unit of spend, Δ_rev · n_t / S, with interval and p-value.</param>
/// <param name="IroasUnavailableReason">Why <paramref name="Iroas"/> is null, else null.</param>
public sealed record HoldoutComparison(string Variant, long TreatedUnits,
    EffectEstimate? LiftPercent, string? LiftUnavailableReason,
    EffectEstimate IncrementalConversions,
    EffectEstimate? IncrementalRevenue, string? IncrementalRevenueUnavailableReason,
    double Spend,
    ConfidenceInterval? CostPerIncrementalConversion, string? CostPerIncrementalConversionUnavailableReason,
    EffectEstimate? Iroas, string? IroasUnavailableReason);

/// <summary>The conversion-lift (user-level holdout) figures of an A/B/n experiment, one entry per treatment.</summary>
/// <param name="ConversionMetric">The metric counted as conversions.</param>
/// <param name="RevenueMetric">The metric counted as revenue, or null.</param>
/// <param name="Alpha">The error rate of every interval (the experiment's).</param>
/// <param name="Comparisons">Each treatment against the control, in the analyses' order.</param>
public sealed record HoldoutResult(string ConversionMetric, string? RevenueMetric, double Alpha, IReadOnlyList<HoldoutComparison> Comparisons);

/// <summary>
/// Incrementality of a campaign measured by a user-level holdout (a conversion-lift study): users are randomised
/// to see the campaign (treatment) or not (control, the holdout), and the lift in a conversion metric, scaled to
/// the treated users, is the number of conversions the campaign caused.
/// </summary>
/// <remarks>
/// <para>Let Δ_conv and Δ_rev be the absolute lifts per unit (μ_t − μ_c) of the conversion and revenue metrics
/// with their Welch (or CUPED-adjusted Welch) intervals from <see cref="AbAnalysis"/>, n_t the treated units and
/// S the spend on them. Conditional on the assignment, n_t and S are fixed, so</para>
/// <list type="bullet">
/// <item>incremental conversions IC = n_t·Δ_conv, SE(IC) = n_t·SE(Δ_conv), interval n_t·[L, U], same p-value;</item>
/// <item>incremental revenue IR = n_t·Δ_rev, likewise;</item>
/// <item>iROAS = IR / S = (n_t/S)·Δ_rev, a positive rescaling of Δ_rev (S &gt; 0);</item>
/// <item>cost per incremental conversion CPIC = S / IC. Its Fieller-type confidence set is the image
/// {S/θ : θ ∈ [L_IC, U_IC]} of IC's interval (exact coverage, as the map is monotone on an interval that excludes
/// zero): [S/U_IC, S/L_IC] when L_IC &gt; 0; when the interval reaches zero the set is unbounded, and when it lies
/// below zero the campaign may have cost conversions, so the figure is reported unavailable with the reason —
/// the way <see cref="VariantComparison.RelativeUnavailableReason"/> reports an undefined relative lift.</item>
/// </list>
/// <para>The lift in percent is the delta-method relative lift (Deng, Knoblich &amp; Lu 2018, eq. 5) times 100.
/// These are the figures of Meta's and Google's conversion-lift studies (Gordon, Zettelmeyer, Bhargava &amp;
/// Chapsky 2019, "A Comparison of Approaches to Advertising Measurement", Marketing Science 38(2), §2).</para>
/// </remarks>
public static class HoldoutLift
{
    /// <summary>The figures from the experiment's published analyses of the conversion and (optional) revenue metrics.</summary>
    /// <param name="conversionMetric">The conversion metric's name (for the result).</param>
    /// <param name="conversions">The conversion metric's analysis (mean or proportion; CUPED-adjusted when CUPED was on).</param>
    /// <param name="revenueMetric">The revenue metric's name, or null.</param>
    /// <param name="revenue">The revenue metric's analysis over the same units and at the same α, or null.</param>
    /// <param name="spend">The spend on each treatment's units (S); the control's is not used.</param>
    /// <exception cref="StatisticsInputException">A ratio analysis, analyses of different units or α, a treatment
    /// without units or without a finite, non-negative spend.</exception>
    public static HoldoutResult Analyze(string conversionMetric, AbAnalysisResult conversions, string? revenueMetric, AbAnalysisResult? revenue,
        IReadOnlyDictionary<string, double> spend)
    {
        ArgumentNullException.ThrowIfNull(conversions);
        ArgumentNullException.ThrowIfNull(spend);
        if (conversions.Metric == MetricKind.Ratio)
            throw new StatisticsInputException("holdout.conversionMetric", $"The conversion metric '{conversionMetric}' is a ratio; incremental conversions need a per-unit count or 0/1 indicator.");
        if (revenue is not null)
        {
            if (revenue.Metric == MetricKind.Ratio)
                throw new StatisticsInputException("holdout.revenueMetric", $"The revenue metric '{revenueMetric}' is a ratio; incremental revenue needs a per-unit amount.");
            if (revenue.Alpha != conversions.Alpha)
                throw new StatisticsInputException("holdout.revenueMetric", "The revenue and conversion analyses must share α.");
            foreach (var v in conversions.Variants)
                if (revenue.Variants.FirstOrDefault(r => r.Name == v.Name)?.Count != v.Count)
                    throw new StatisticsInputException("holdout.revenueMetric",
                        $"The revenue analysis has a different number of units in variant '{v.Name}' than the conversion analysis; both must cover the same units.");
        }

        var comparisons = new List<HoldoutComparison>(conversions.Comparisons.Count);
        foreach (var c in conversions.Comparisons)
        {
            long treated = conversions.Variants.First(v => v.Name == c.Variant).Count;
            if (treated <= 0)
                throw new StatisticsInputException($"variants[{c.Variant}].n", $"The treatment '{c.Variant}' has no units, so nothing was treated.");
            if (!spend.TryGetValue(c.Variant, out double s) || !double.IsFinite(s) || s < 0)
                throw new StatisticsInputException($"spend[{c.Variant}]",
                    $"The spend on treatment '{c.Variant}' must be a finite, non-negative amount (got {(spend.TryGetValue(c.Variant, out var given) ? given.ToString(CultureInfo.InvariantCulture) : "none")}).");

            var liftPercent = c.Relative is { } r ? Scale(r, 100) : null;
            var incrementalConversions = Scale(c.Absolute, treated);
            EffectEstimate? incrementalRevenue = null;
            string? revenueReason = "No revenue metric is named, so incremental revenue and iROAS are not computed.";
            if (revenue is not null)
            {
                var rc = revenue.Comparisons.FirstOrDefault(x => x.Variant == c.Variant)
                    ?? throw new StatisticsInputException("holdout.revenueMetric", $"The revenue analysis has no comparison for '{c.Variant}'.");
                incrementalRevenue = Scale(rc.Absolute, treated);
                revenueReason = null;
            }

            ConfidenceInterval? cpic = null;
            string? cpicReason = null;
            EffectEstimate? iroas = null;
            string? iroasReason = revenueReason;
            if (s == 0)
            {
                cpicReason = $"There was no spend on the treated units of '{c.Variant}', so the cost per incremental conversion is undefined.";
                if (incrementalRevenue is not null)
                    iroasReason = $"There was no spend on the treated units of '{c.Variant}', so iROAS is undefined.";
            }
            else
            {
                if (incrementalConversions.Lower > 0)
                    cpic = new ConfidenceInterval(s / incrementalConversions.Estimate, s / incrementalConversions.Upper, s / incrementalConversions.Lower);
                else
                    cpicReason = string.Format(CultureInfo.InvariantCulture,
                        "The interval of incremental conversions [{0:G6}, {1:G6}] reaches zero or below, so the cost per incremental conversion is unbounded (the campaign may have caused no conversions).",
                        incrementalConversions.Lower, incrementalConversions.Upper);
                if (incrementalRevenue is not null)
                    iroas = Scale(incrementalRevenue, 1 / s);
            }
            comparisons.Add(new HoldoutComparison(c.Variant, treated, liftPercent, c.RelativeUnavailableReason, incrementalConversions,
                incrementalRevenue, revenueReason, s, cpic, cpicReason, iroas, iroas is null ? iroasReason : null));
        }
        return new HoldoutResult(conversionMetric, revenueMetric, conversions.Alpha, comparisons);
    }

    /// <summary>
    /// The figures from sufficient statistics: analyses the conversion and revenue metrics with
    /// <see cref="AbAnalysis.Analyze(IReadOnlyList{MeanVariant}, AbAnalysisOptions)"/> and derives the figures.
    /// </summary>
    /// <param name="conversions">Per-variant statistics of the conversion metric (with covariates for CUPED).</param>
    /// <param name="conversionOptions">Its analysis options (kind, CUPED, control, α).</param>
    /// <param name="revenue">Per-variant statistics of the revenue metric over the same units, or null.</param>
    /// <param name="revenueOptions">Its analysis options (same control and α), or null.</param>
    /// <param name="spend">The spend on each treatment's units.</param>
    /// <param name="conversionMetric">The conversion metric's name, for the result.</param>
    /// <param name="revenueMetric">The revenue metric's name, for the result.</param>
    /// <exception cref="StatisticsInputException">Any input that cannot give an honest estimate.</exception>
    public static HoldoutResult Analyze(IReadOnlyList<MeanVariant> conversions, AbAnalysisOptions conversionOptions,
        IReadOnlyList<MeanVariant>? revenue, AbAnalysisOptions? revenueOptions, IReadOnlyDictionary<string, double> spend,
        string conversionMetric = "conversions", string revenueMetric = "revenue")
    {
        var conversionAnalysis = AbAnalysis.Analyze(conversions, conversionOptions);
        var revenueAnalysis = revenue is null ? null : AbAnalysis.Analyze(revenue, revenueOptions ?? conversionOptions with { Metric = MetricKind.Mean });
        return Analyze(conversionMetric, conversionAnalysis, revenue is null ? null : revenueMetric, revenueAnalysis, spend);
    }

    /// <summary>An estimate multiplied by a positive constant: estimate, SE and ends scale; p-value and df do not change.</summary>
    private static EffectEstimate Scale(EffectEstimate e, double factor) =>
        new(e.Estimate * factor, e.StdError * factor, e.Lower * factor, e.Upper * factor, e.PValue, e.DegreesOfFreedom);
}
