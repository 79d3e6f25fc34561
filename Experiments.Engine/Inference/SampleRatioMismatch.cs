using MathNet.Numerics;

namespace Experiments.Engine.Inference;

/// <summary>The result of a sample-ratio-mismatch check.</summary>
/// <param name="ChiSquare">Pearson's statistic Σ (O − E)²/E.</param>
/// <param name="DegreesOfFreedom">Number of variants − 1.</param>
/// <param name="PValue">P(χ²_df ≥ statistic).</param>
/// <param name="Threshold">The p-value below which a mismatch is declared.</param>
/// <param name="Mismatch">True when <paramref name="PValue"/> &lt; <paramref name="Threshold"/>: the assignment is broken and the comparison should not be trusted.</param>
public sealed record SrmResult(double ChiSquare, int DegreesOfFreedom, double PValue, double Threshold, bool Mismatch);

/// <summary>
/// Sample ratio mismatch: Pearson's chi-square goodness-of-fit test of the observed unit counts
/// per variant against the configured split (Fabijan et al. 2019, "Diagnosing Sample Ratio
/// Mismatch in Online Controlled Experiments", KDD). A tiny p-value means randomisation or logging
/// is broken and the lift estimates are suspect.
/// </summary>
public static class SampleRatioMismatch
{
    /// <summary>GrowthBook's default threshold: a mismatch is flagged when p &lt; 0.001.</summary>
    public const double DefaultThreshold = 0.001;

    /// <summary>Tests observed counts against expected shares (normalised to sum to 1).</summary>
    /// <param name="counts">Units per variant.</param>
    /// <param name="expectedShares">Expected share per variant, same order; null for an equal split.</param>
    /// <param name="threshold">p-value below which a mismatch is declared.</param>
    /// <exception cref="StatisticsInputException">Fewer than two variants, lengths differ, a share
    /// is not positive and finite, or no units at all.</exception>
    public static SrmResult Test(IReadOnlyList<long> counts, IReadOnlyList<double>? expectedShares = null, double threshold = DefaultThreshold)
    {
        int k = counts.Count;
        if (k < 2)
            throw new StatisticsInputException("variants", "A sample-ratio check needs at least two variants.");
        if (expectedShares is not null && expectedShares.Count != k)
            throw new StatisticsInputException("expectedShares", $"There are {expectedShares.Count} expected shares for {k} variants.");
        if (!(threshold > 0 && threshold < 1))
            throw new StatisticsInputException("srmThreshold", $"The SRM threshold must lie strictly between 0 and 1 (got {threshold}).");
        double total = counts.Sum(c => (double)c);
        if (total <= 0)
            throw new StatisticsInputException("variants", "A sample-ratio check needs at least one unit.");
        double shareSum = 0;
        for (int i = 0; i < k; i++)
        {
            double s = expectedShares?[i] ?? 1.0;
            if (!(s > 0) || !double.IsFinite(s))
                throw new StatisticsInputException($"expectedShares[{i}]", $"Every expected share must be a positive number (got {s}).");
            shareSum += s;
        }
        double chi2 = 0;
        for (int i = 0; i < k; i++)
        {
            double expected = total * (expectedShares?[i] ?? 1.0) / shareSum;
            double d = counts[i] - expected;
            chi2 += d * d / expected;
        }
        int df = k - 1;
        double p = SpecialFunctions.GammaUpperRegularized(df / 2.0, chi2 / 2);
        return new SrmResult(chi2, df, p, threshold, p < threshold);
    }
}
