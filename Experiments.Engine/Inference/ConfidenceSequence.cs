namespace Experiments.Engine.Inference;

/// <summary>
/// Always-valid inference for an experiment that is looked at repeatedly: the asymptotic confidence
/// sequence of Waudby-Smith, Arnold, Wu, Howard &amp; Ramdas ("Time-uniform central limit theory and
/// asymptotic confidence sequences", Annals of Statistics 2024, Theorem 2.2 with the normal-mixture
/// boundary of Howard, Ramdas, McAuliffe &amp; Sekhon 2021, eq. 14), as GrowthBook uses it.
/// </summary>
/// <remarks>
/// <para>With N units seen, an estimate Δ̂ of variance V and σ² = N·V, the interval
/// Δ̂ ± σ·√( 2(Nρ²+1)/(N²ρ²) · ln(√(Nρ²+1)/α) ) covers the true effect at every N simultaneously
/// with probability ≥ 1 − α (asymptotically), so stopping whenever it excludes zero keeps the
/// false-positive rate at α no matter how often one looks.</para>
/// <para>ρ tunes where the boundary is tightest: ρ² = (−2 ln α + ln(−2 ln α + 1)) / N*, which
/// makes it tightest at N = N* units (GrowthBook's default N* is 5,000; use the expected sample
/// size).</para>
/// <para>The always-valid p-value is the smallest α at which the sequence excludes zero:
/// p = min(1, √(Nρ²+1) · exp(−N²ρ²Δ̂² / (2σ²(Nρ²+1)))). Across looks, report the running
/// minimum of p and the running intersection of the intervals (<see cref="Accumulate"/>).</para>
/// </remarks>
public static class ConfidenceSequence
{
    /// <summary>GrowthBook's default tuning N*.</summary>
    public const double DefaultTuning = 5000;

    /// <summary>The confidence sequence at one look.</summary>
    /// <param name="moments">Estimate, variance and the units behind it.</param>
    /// <param name="alpha">The error rate held over all looks.</param>
    /// <param name="tuning">N*, the sample size at which the boundary is tightest.</param>
    /// <exception cref="StatisticsInputException">alpha outside (0, 1) or tuning not positive.</exception>
    public static EffectEstimate Infer(EffectMoments moments, double alpha, double tuning = DefaultTuning)
    {
        if (!(alpha > 0 && alpha < 1))
            throw new StatisticsInputException("alpha", $"alpha must lie strictly between 0 and 1 (got {alpha}).");
        if (!(tuning > 0) || !double.IsFinite(tuning))
            throw new StatisticsInputException("sequentialTuning", $"The sequential tuning N* must be a positive number of units (got {tuning}).");
        double n = moments.TotalCount;
        double rho2 = Rho2(alpha, tuning);
        double sigma2 = moments.Variance * n;
        double halfWidth = Math.Sqrt(sigma2) * Math.Sqrt(2 * (n * rho2 + 1) / (n * n * rho2) * Math.Log(Math.Sqrt(n * rho2 + 1) / alpha));
        double exponent = -n * n * rho2 * moments.Estimate * moments.Estimate / (2 * sigma2 * (n * rho2 + 1));
        double p = Math.Min(1.0, Math.Sqrt(n * rho2 + 1) * Math.Exp(exponent));
        return new EffectEstimate(moments.Estimate, moments.StandardError, moments.Estimate - halfWidth,
            moments.Estimate + halfWidth, p, null);
    }

    /// <summary>
    /// Combines the looks of one experiment in order: the interval at each look is the intersection
    /// of all intervals so far and the p-value the running minimum, both still valid at level α.
    /// </summary>
    public static IReadOnlyList<EffectEstimate> Accumulate(IEnumerable<EffectEstimate> looks)
    {
        var result = new List<EffectEstimate>();
        double lower = double.NegativeInfinity, upper = double.PositiveInfinity, p = 1;
        foreach (var look in looks)
        {
            lower = Math.Max(lower, look.Lower);
            upper = Math.Min(upper, look.Upper);
            p = Math.Min(p, look.PValue);
            // An empty intersection can only happen after the sequence already excluded the truth;
            // keep the current look's interval then rather than an inverted one.
            result.Add(lower <= upper
                ? look with { Lower = lower, Upper = upper, PValue = p }
                : look with { PValue = p });
        }
        return result;
    }

    /// <summary>ρ² = (−2 ln α + ln(−2 ln α + 1)) / N*.</summary>
    public static double Rho2(double alpha, double tuning)
    {
        double a = -2 * Math.Log(alpha);
        return (a + Math.Log(a + 1)) / tuning;
    }
}
