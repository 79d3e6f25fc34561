using MathNet.Numerics.Distributions;

namespace Experiments.Engine.Power;

/// <summary>The inputs of a power calculation for a two-sided test of a mean or proportion with equal allocation.</summary>
public sealed record PowerInput
{
    /// <summary>The control's expected mean (or conversion rate for a proportion).</summary>
    public required double BaselineMean { get; init; }

    /// <summary>The per-unit standard deviation; for a proportion leave null and it is √(p(1 − p)).</summary>
    public double? StandardDeviation { get; init; }

    /// <summary>Whether the metric is a proportion (then the baseline is a rate in (0, 1)).</summary>
    public bool IsProportion { get; init; }

    /// <summary>The smallest relative lift worth detecting (0.02 = +2%).</summary>
    public double? RelativeMde { get; init; }

    /// <summary>Two-sided error rate for the whole experiment.</summary>
    public double Alpha { get; init; } = 0.05;

    /// <summary>Desired power 1 − β.</summary>
    public double Power { get; init; } = 0.8;

    /// <summary>Number of variants including control; with more than two, α is split over the k − 1 comparisons (Bonferroni).</summary>
    public int Variants { get; init; } = 2;

    /// <summary>Units entering the experiment per day, over all variants.</summary>
    public double? DailyUnits { get; init; }

    /// <summary>Correlation ρ between the metric and its pre-period covariate, for the CUPED figures.</summary>
    public double? CovariateCorrelation { get; init; }

    /// <summary>A planned duration in days; the result then includes the MDE reachable in it.</summary>
    public double? Days { get; init; }
}

/// <summary>Sample size and duration for one variance (with or without CUPED).</summary>
/// <param name="StandardDeviation">The per-unit standard deviation used (σ, or σ√(1 − ρ²) with CUPED).</param>
/// <param name="SampleSizePerVariant">Units per variant, rounded up; null when no MDE was given.</param>
/// <param name="TotalSampleSize">Units over all variants; null when no MDE was given.</param>
/// <param name="Days">Days to collect them at the daily traffic, rounded up; null without daily traffic or MDE.</param>
/// <param name="MdeAtPlannedDays">Relative MDE reachable in the planned days; null without them.</param>
public sealed record PowerPlan(double StandardDeviation, long? SampleSizePerVariant, long? TotalSampleSize, long? Days, double? MdeAtPlannedDays);

/// <summary>The result of a power calculation.</summary>
/// <param name="AlphaPerComparison">α after the Bonferroni split over the treatments.</param>
/// <param name="WithoutCuped">The plan for the plain test.</param>
/// <param name="WithCuped">The plan with CUPED at the given covariate correlation, or null without one.</param>
public sealed record PowerResult(double AlphaPerComparison, PowerPlan WithoutCuped, PowerPlan? WithCuped);

/// <summary>
/// Power, sample size, minimum detectable effect and duration for a two-sided two-sample test
/// with equal allocation, normal approximation.
/// </summary>
/// <remarks>
/// <para>With standardised effect d = δ/σ (δ = relative MDE × baseline), n units per arm and
/// z = Φ⁻¹(1 − α/2), the power is Φ(d√(n/2) − z) + Φ(−d√(n/2) − z) — both rejection tails, as
/// statsmodels' <c>NormalIndPower</c> computes it (Chow, Shao &amp; Wang, <i>Sample Size
/// Calculations in Clinical Research</i>, §3.2.1). The textbook n = 2(z + z_{1−β})²/d² ignores the
/// far tail; here it is only the starting point and the non-centrality is solved exactly by Newton's method.</para>
/// <para>CUPED with a covariate of correlation ρ leaves variance σ²(1 − ρ²) (Deng et al. 2013,
/// eq. 4), so the same formulas run with σ√(1 − ρ²).</para>
/// <para>With k &gt; 2 variants each of the k − 1 comparisons is tested at α/(k − 1) (Bonferroni),
/// a conservative plan for a Holm-adjusted analysis.</para>
/// </remarks>
public static class PowerAnalysis
{
    /// <summary>Plans an experiment: sample sizes and days with and without CUPED, and the MDE reachable in the planned days.</summary>
    /// <exception cref="StatisticsInputException">A parameter is out of range; the field is named.</exception>
    public static PowerResult Plan(PowerInput input)
    {
        Validate(input);
        double sigma = input.IsProportion
            ? Math.Sqrt(input.BaselineMean * (1 - input.BaselineMean))
            : input.StandardDeviation!.Value;
        double alpha = input.Alpha / (input.Variants - 1);
        var plain = PlanFor(input, sigma, alpha);
        PowerPlan? cuped = input.CovariateCorrelation is { } rho
            ? PlanFor(input, sigma * Math.Sqrt(1 - rho * rho), alpha)
            : null;
        return new PowerResult(alpha, plain, cuped);
    }

    /// <summary>
    /// The (continuous) units per arm at which a two-sided test at <paramref name="alpha"/> has
    /// the given power against standardised effect <paramref name="effectSize"/> = δ/σ:
    /// n = 2·t²/d², where t solves Φ(t − z) + Φ(−t − z) = power.
    /// </summary>
    public static double SampleSizePerArm(double effectSize, double alpha, double power)
    {
        double t = RequiredShift(alpha, power);
        return 2 * t * t / (effectSize * effectSize);
    }

    /// <summary>The standardised effect d = δ/σ detectable with the given power at n units per arm: d = t·√(2/n).</summary>
    public static double DetectableEffectSize(double unitsPerArm, double alpha, double power) =>
        RequiredShift(alpha, power) * Math.Sqrt(2 / unitsPerArm);

    /// <summary>
    /// The non-centrality t = d·√(n/2) at which the two-sided test has the given power: Newton's
    /// method on Φ(t − z) + Φ(−t − z), started at the one-tail answer z + z_{1−β}. The function is
    /// increasing and concave in t ≥ 0, so the iteration converges from there in a few steps.
    /// </summary>
    private static double RequiredShift(double alpha, double power)
    {
        double z = Normal.InvCDF(0, 1, 1 - alpha / 2);
        double t = z + Normal.InvCDF(0, 1, power);
        for (int i = 0; i < 50; i++)
        {
            double f = Normal.CDF(0, 1, t - z) + Normal.CDF(0, 1, -t - z) - power;
            double slope = Normal.PDF(0, 1, t - z) - Normal.PDF(0, 1, t + z);
            double step = f / slope;
            t -= step;
            if (Math.Abs(step) <= 1e-15 * Math.Abs(t))
                break;
        }
        return t;
    }

    /// <summary>Power Φ(d√(n/2) − z) + Φ(−d√(n/2) − z) of the two-sided test.</summary>
    public static double PowerOf(double effectSize, double unitsPerArm, double alpha)
    {
        double z = Normal.InvCDF(0, 1, 1 - alpha / 2);
        double shift = Math.Abs(effectSize) * Math.Sqrt(unitsPerArm / 2);
        return Normal.CDF(0, 1, shift - z) + Normal.CDF(0, 1, -shift - z);
    }

    private static PowerPlan PlanFor(PowerInput input, double sigma, double alpha)
    {
        long? perVariant = null, total = null, days = null;
        if (input.RelativeMde is { } mde)
        {
            double d = Math.Abs(mde * input.BaselineMean) / sigma;
            perVariant = (long)Math.Ceiling(SampleSizePerArm(d, alpha, input.Power) - 1e-9);
            total = perVariant * input.Variants;
            if (input.DailyUnits is { } daily)
                days = (long)Math.Ceiling(total.Value / daily - 1e-9);
        }
        double? mdeAtDays = null;
        if (input.Days is { } plannedDays && input.DailyUnits is { } traffic)
        {
            double unitsPerArm = plannedDays * traffic / input.Variants;
            mdeAtDays = DetectableEffectSize(unitsPerArm, alpha, input.Power) * sigma / Math.Abs(input.BaselineMean);
        }
        return new PowerPlan(sigma, perVariant, total, days, mdeAtDays);
    }

    private static void Validate(PowerInput input)
    {
        if (!double.IsFinite(input.BaselineMean) || input.BaselineMean == 0)
            throw new StatisticsInputException("baselineMean", $"The baseline mean must be a finite non-zero number (got {input.BaselineMean}); a relative MDE of zero baseline is undefined.");
        if (input.IsProportion)
        {
            if (!(input.BaselineMean > 0 && input.BaselineMean < 1))
                throw new StatisticsInputException("baselineRate", $"A baseline rate must lie strictly between 0 and 1 (got {input.BaselineMean}).");
        }
        else if (input.StandardDeviation is not { } sd || !(sd > 0) || !double.IsFinite(sd))
        {
            throw new StatisticsInputException("standardDeviation", $"A positive, finite standard deviation is needed for a mean metric (got {input.StandardDeviation?.ToString() ?? "none"}).");
        }
        if (!(input.Alpha > 0 && input.Alpha < 1))
            throw new StatisticsInputException("alpha", $"alpha must lie strictly between 0 and 1 (got {input.Alpha}).");
        if (!(input.Power > 0 && input.Power < 1) || input.Power <= input.Alpha / 2)
            throw new StatisticsInputException("power", $"power must lie strictly between α/2 and 1 (got {input.Power}).");
        if (input.Variants < 2)
            throw new StatisticsInputException("variants", $"An experiment needs at least two variants (got {input.Variants}).");
        if (input.RelativeMde is { } mde && (!double.IsFinite(mde) || mde == 0))
            throw new StatisticsInputException("relativeMde", $"The relative MDE must be a finite non-zero number (got {mde}).");
        if (input.DailyUnits is { } daily && (!(daily > 0) || !double.IsFinite(daily)))
            throw new StatisticsInputException("dailyUnits", $"Daily units must be a positive number (got {daily}).");
        if (input.CovariateCorrelation is { } rho && (!double.IsFinite(rho) || Math.Abs(rho) >= 1))
            throw new StatisticsInputException("covariateCorrelation", $"The covariate correlation must lie strictly between −1 and 1 (got {rho}).");
        if (input.Days is { } days && (!(days > 0) || !double.IsFinite(days)))
            throw new StatisticsInputException("days", $"Planned days must be a positive number (got {days}).");
        if (input.Days is not null && input.DailyUnits is null)
            throw new StatisticsInputException("dailyUnits", "Daily units are needed to turn planned days into a sample size.");
        if (input.RelativeMde is null && input.Days is null)
            throw new StatisticsInputException("relativeMde", "Give a relative MDE (to get sample size and days) or planned days with daily units (to get the MDE).");
    }
}
