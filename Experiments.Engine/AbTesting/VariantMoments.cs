namespace Experiments.Engine.AbTesting;

/// <summary>
/// What inference needs of one variant: its unit count n, the metric's estimate for the variant
/// (a mean, a CUPED-adjusted mean or a ratio) and the per-unit variance s² such that the estimate's
/// sampling variance is s²/n.
/// </summary>
/// <param name="Name">The variant's name.</param>
/// <param name="Count">Units n.</param>
/// <param name="Mean">The variant's estimate of the metric.</param>
/// <param name="UnitVariance">s², so that Var(<paramref name="Mean"/>) = s²/n.</param>
public sealed record VariantMoments(string Name, long Count, double Mean, double UnitVariance)
{
    /// <summary>The sampling variance of <see cref="Mean"/>: s²/n.</summary>
    public double MeanVariance => UnitVariance / Count;
}
