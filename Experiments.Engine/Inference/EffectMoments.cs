namespace Experiments.Engine.Inference;

/// <summary>
/// An effect estimate before inference: the point estimate, its sampling variance, the degrees of
/// freedom of its Student-t reference distribution and the number of units behind it. Tests
/// (<see cref="WelchTest"/>, <see cref="ConfidenceSequence"/>) turn it into an interval and a
/// p-value, so estimation is written once and inference once (as gbstats' <c>EffectMoments</c>).
/// </summary>
/// <param name="Estimate">The point estimate.</param>
/// <param name="Variance">Its sampling variance.</param>
/// <param name="DegreesOfFreedom">Degrees of freedom of the t reference distribution (Welch–Satterthwaite).</param>
/// <param name="TotalCount">Units behind the estimate, over both arms (the sample size a sequential test is indexed by).</param>
public sealed record EffectMoments(double Estimate, double Variance, double DegreesOfFreedom, long TotalCount)
{
    /// <summary>The standard error √Variance.</summary>
    public double StandardError => Math.Sqrt(Variance);
}
