namespace Experiments.Engine.Inference;

/// <summary>An estimate with its uncertainty: every number the engine publishes has one.</summary>
/// <param name="Estimate">The point estimate.</param>
/// <param name="StdError">Its standard error.</param>
/// <param name="Lower">Lower end of the two-sided confidence interval (or confidence sequence).</param>
/// <param name="Upper">Upper end.</param>
/// <param name="PValue">Two-sided p-value of the hypothesis "no effect" (always valid for a sequential test).</param>
/// <param name="DegreesOfFreedom">Degrees of freedom of the t reference; null when the reference is not a t distribution.</param>
public sealed record EffectEstimate(double Estimate, double StdError, double Lower, double Upper, double PValue, double? DegreesOfFreedom);
