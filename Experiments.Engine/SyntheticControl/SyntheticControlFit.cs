namespace Experiments.Engine.SyntheticControl;

/// <summary>A donor and its weight wⱼ in the synthetic unit (wⱼ ≥ 0, Σwⱼ = 1).</summary>
/// <param name="Unit">The donor.</param>
/// <param name="Weight">wⱼ.</param>
public sealed record DonorWeight(string Unit, double Weight);

/// <summary>
/// One predictor's weight in V and its balance: the treated value, the synthetic value Σⱼ wⱼXⱼ and the plain
/// donor average, all in the predictor's own units (unscaled, as in R Synth's <c>synth.tab()$tab.pred</c>).
/// </summary>
/// <param name="Predictor">The predictor's label.</param>
/// <param name="Weight">vₕ, the diagonal entry of V (Σvₕ = 1); it applies to the scaled predictor.</param>
/// <param name="Treated">X₁ₕ (the average over treated units when there are several).</param>
/// <param name="Synthetic">Σⱼ wⱼX₀ₕⱼ.</param>
/// <param name="DonorAverage">(1/J) Σⱼ X₀ₕⱼ.</param>
public sealed record PredictorBalance(string Predictor, double Weight, double Treated, double Synthetic, double DonorAverage);

/// <summary>One period of the fitted paths.</summary>
/// <param name="Period">The period.</param>
/// <param name="Actual">Y₁ₜ, the treated outcome (average of the treated units when there are several).</param>
/// <param name="Synthetic">Ŷ₁ₜ(0) = Σⱼ wⱼYⱼₜ (plus Ȳ₁,pre − Σⱼ wⱼȲⱼ,pre with <see cref="OutcomeCentering.UnitPreTreatmentMean"/>).</param>
/// <param name="Gap">Y₁ₜ − Ŷ₁ₜ(0): the estimated effect in post-treatment periods, the fit error before.</param>
/// <param name="IsPostTreatment">True when the period is at or after the treatment start.</param>
public sealed record SyntheticControlPoint(int Period, double Actual, double Synthetic, double Gap, bool IsPostTreatment);

/// <summary>
/// The average of the gap over a window of periods: ATT = (1/|P|) Σ_{t∈P} (Y₁ₜ − Ŷ₁ₜ(0)) (Abadie, Diamond &amp;
/// Hainmueller 2010, eq. 2 averaged over P).
/// </summary>
/// <param name="Estimate">The mean gap over the window.</param>
/// <param name="FirstPeriod">First period of the window.</param>
/// <param name="LastPeriod">Last period of the window.</param>
/// <param name="PeriodCount">Number of periods averaged.</param>
/// <param name="Cumulative">Σ gap over the window (per treated unit; multiply by the number of treated units for GeoLift's "incremental").</param>
/// <param name="RelativeEffect">Σ gap / |Σ synthetic| over the window: GeoLift's "percent lift" as a fraction.</param>
/// <param name="GapStandardError">
/// sd(gaps) / √|P| with the n − 1 denominator: pysyncon's <c>att()["se"]</c>. Descriptive only: it treats the
/// gaps as independent draws, ignores serial correlation and the uncertainty of the weights, and is not a basis
/// for inference — use the placebo p-value.
/// </param>
public sealed record SyntheticControlEffect(
    double Estimate,
    int FirstPeriod,
    int LastPeriod,
    int PeriodCount,
    double Cumulative,
    double RelativeEffect,
    double GapStandardError);

/// <summary>
/// A fitted synthetic control (Abadie &amp; Gardeazabal 2003; Abadie, Diamond &amp; Hainmueller 2010): donor
/// weights W*(V*) = argmin_{W ∈ simplex} (X₁ − X₀W)ᵀV*(X₁ − X₀W), the predictor weights V*, the fit and the paths.
/// </summary>
/// <param name="TreatedUnits">The treated unit(s).</param>
/// <param name="TreatmentStart">The first treated period.</param>
/// <param name="Weights">One entry per donor, in donor-pool order (zeros included).</param>
/// <param name="Predictors">V and the predictor balance, in predictor order; empty when matching on outcomes directly.</param>
/// <param name="LossMspe">
/// The minimised outer loss: (1/|T_loss|) Σ_{t∈T_loss} gapₜ² over the loss periods (R Synth's <c>loss.v</c>,
/// pysyncon's <c>mspe()</c>).
/// </param>
/// <param name="PreRmspe">√((1/T₀) Σ_{t &lt; start} gapₜ²) over all pre-treatment periods.</param>
/// <param name="PostRmspe">The same over all post-treatment periods.</param>
/// <param name="Path">Actual, synthetic and gap in every period of the panel.</param>
/// <param name="Effect">The average effect over all post-treatment periods (the ATT).</param>
/// <param name="LossEvaluations">How many times the outer loss was evaluated (0 when V was given).</param>
public sealed record SyntheticControlFit(
    IReadOnlyList<string> TreatedUnits,
    int TreatmentStart,
    IReadOnlyList<DonorWeight> Weights,
    IReadOnlyList<PredictorBalance> Predictors,
    double LossMspe,
    double PreRmspe,
    double PostRmspe,
    IReadOnlyList<SyntheticControlPoint> Path,
    SyntheticControlEffect Effect,
    int LossEvaluations)
{
    /// <summary>The diagonal of V in predictor order.</summary>
    public IReadOnlyList<double> PredictorWeights => Predictors.Select(p => p.Weight).ToArray();

    /// <summary>The weight of donor <paramref name="unit"/>.</summary>
    /// <exception cref="StatisticsInputException">The unit is not in the donor pool.</exception>
    public double WeightOf(string unit) =>
        Weights.FirstOrDefault(w => w.Unit == unit)?.Weight
        ?? throw new StatisticsInputException(nameof(unit), $"'{unit}' is not in the donor pool.");

    /// <summary>The average gap over the periods <paramref name="first"/>..<paramref name="last"/> (inclusive) that are in the panel.</summary>
    /// <exception cref="StatisticsInputException">No period of the panel lies in the window.</exception>
    public SyntheticControlEffect EffectOver(int first, int last) =>
        SyntheticControlEstimator.Summarise(Path.Where(p => p.Period >= first && p.Period <= last).ToArray(), $"{first}..{last}");
}
