namespace Experiments.Engine.SyntheticControl;

/// <summary>
/// One predictor of the synthetic control: a variable (a covariate, or the outcome itself) averaged over given
/// periods, ignoring periods where it is missing. This covers both kinds of R Synth's <c>dataprep</c>:
/// <c>predictors</c> with <c>predictors.op = "mean"</c> over <c>time.predictors.prior</c>, and
/// <c>special.predictors</c> such as <c>list("gdpcap", 1960:1969, "mean")</c>.
/// </summary>
/// <param name="Variable">A covariate name of the panel, or the panel's <see cref="Panel.OutcomeName"/>.</param>
/// <param name="Periods">The periods to average over; all must be in the panel and before the treatment.</param>
/// <param name="Name">A label for results; defaults to e.g. <c>gdpcap mean 1960-1969</c>.</param>
public sealed record Predictor(string Variable, IReadOnlyList<int> Periods, string? Name = null)
{
    /// <summary>The mean of <paramref name="variable"/> over the periods <paramref name="first"/>..<paramref name="last"/> (inclusive).</summary>
    public static Predictor Mean(string variable, int first, int last) =>
        new(variable, Enumerable.Range(first, Math.Max(0, last - first + 1)).ToArray());

    /// <summary>The mean of <paramref name="variable"/> over the listed periods.</summary>
    public static Predictor Mean(string variable, params int[] periods) => new(variable, periods);

    /// <summary>The label used in results.</summary>
    public string Label => Name ?? DefaultLabel();

    private string DefaultLabel()
    {
        if (Periods is null || Periods.Count == 0) return Variable;
        var sorted = Periods.Order().ToArray();
        var contiguous = sorted[^1] - sorted[0] == sorted.Length - 1;
        if (sorted.Length == 1) return $"{Variable} {sorted[0]}";
        return contiguous ? $"{Variable} mean {sorted[0]}-{sorted[^1]}" : $"{Variable} mean {string.Join(",", sorted)}";
    }
}

/// <summary>How the diagonal predictor-weight matrix V is chosen.</summary>
public enum PredictorWeighting
{
    /// <summary>
    /// V minimises the mean squared prediction error of the outcome over the loss periods, MSPE(V) =
    /// (1/|T|) Σₜ (Z₁ₜ − Σⱼ wⱼ*(V) Zⱼₜ)² (Abadie &amp; Gardeazabal 2003, §II; Abadie, Diamond &amp; Hainmueller 2010,
    /// §2.3; R Synth's <c>time.optimize.ssr</c>).
    /// </summary>
    Optimized,

    /// <summary>V is given by <see cref="SyntheticControlSpecification.CustomPredictorWeights"/> (R Synth's <c>custom.v</c>).</summary>
    Custom,
}

/// <summary>How predictors are scaled before the weights are fitted.</summary>
public enum PredictorScaling
{
    /// <summary>
    /// Each predictor is divided by its sample standard deviation (denominator n − 1) across the treated unit and the
    /// donors, as R Synth's <c>synth()</c> does. A predictor that is constant across units is left unscaled (it
    /// cannot discriminate between donors and contributes nothing).
    /// </summary>
    StandardDeviation,

    /// <summary>Predictors are used as they are.</summary>
    None,
}

/// <summary>Whether outcomes are centred by each unit's pre-treatment mean before fitting.</summary>
public enum OutcomeCentering
{
    /// <summary>Outcomes as they are: the synthetic unit is Σⱼ wⱼYⱼₜ.</summary>
    None,

    /// <summary>
    /// "Fixed effects" (GeoLift's default, augsynth's <c>fixedeff = TRUE</c>; Doudchenko &amp; Imbens 2016 allow an
    /// intercept): every unit's outcome is replaced by Yᵢₜ − Ȳᵢ,pre, its deviation from its own mean over all
    /// pre-treatment periods, wherever the outcome is used (outcome predictors, the loss, the paths). The synthetic
    /// unit is Ȳ₁,pre + Σⱼ wⱼ(Yⱼₜ − Ȳⱼ,pre), so it may differ from the treated unit by a constant level.
    /// </summary>
    UnitPreTreatmentMean,
}

/// <summary>
/// Settings of the outer search for V (<see cref="PredictorWeighting.Optimized"/>). The search is Nelder–Mead
/// (Nelder &amp; Mead 1965) over θ ∈ ℝᵏ with vₕ = θₕ²/Σθ², started from equal weights and from R Synth's
/// regression-based start, each followed by restarts from its best point; the best V found is kept.
/// </summary>
/// <param name="MaxEvaluationsPerStart">Budget of loss evaluations for one Nelder–Mead run (one start or restart).</param>
/// <param name="Restarts">How many times Nelder–Mead is restarted from the best point of the previous run (fresh simplex).</param>
/// <param name="RelativeTolerance">A run stops when the spread of the loss over the simplex is below this times the best loss.</param>
public sealed record PredictorWeightSearchOptions(int MaxEvaluationsPerStart = 1000, int Restarts = 3, double RelativeTolerance = 1e-10)
{
    /// <summary>The defaults.</summary>
    public static PredictorWeightSearchOptions Default { get; } = new();
}

/// <summary>
/// What to fit: the treated unit(s), the donor pool, the treatment time, the predictors and how V is chosen —
/// the arguments of R Synth's <c>dataprep</c> and <c>synth</c>.
/// </summary>
public sealed record SyntheticControlSpecification
{
    /// <summary>
    /// The treated unit, or several units treated at the same time. Several treated units are averaged into one
    /// treated series, Y₁ₜ = (1/|T|) Σ_{i∈T} Yᵢₜ, and their predictors likewise (GeoLift's approach, via augsynth's
    /// single-treatment-time path); the effect is then the average effect per treated unit.
    /// </summary>
    public required IReadOnlyList<string> TreatedUnits { get; init; }

    /// <summary>The first treated period: periods before it are pre-treatment, periods from it on are post-treatment.</summary>
    public required int TreatmentStart { get; init; }

    /// <summary>The donor pool; every unit that is not treated when <c>null</c>.</summary>
    public IReadOnlyList<string>? DonorUnits { get; init; }

    /// <summary>
    /// The predictors X. When empty the donors are matched directly on the outcome in the loss periods with V = I,
    /// i.e. W = argmin Σₜ (Y₁ₜ − Σⱼ wⱼYⱼₜ)² over the loss periods (no scaling, no outer search).
    /// </summary>
    public IReadOnlyList<Predictor> Predictors { get; init; } = [];

    /// <summary>
    /// The periods whose outcome MSPE chooses V (R Synth's <c>time.optimize.ssr</c>), all before
    /// <see cref="TreatmentStart"/>; all pre-treatment periods when <c>null</c>.
    /// </summary>
    public IReadOnlyList<int>? LossPeriods { get; init; }

    /// <summary>How V is chosen.</summary>
    public PredictorWeighting PredictorWeighting { get; init; } = PredictorWeighting.Optimized;

    /// <summary>The diagonal of V for <see cref="PredictorWeighting.Custom"/>, one non-negative entry per predictor (normalised to sum 1; applied to the scaled predictors).</summary>
    public IReadOnlyList<double>? CustomPredictorWeights { get; init; }

    /// <summary>How predictors are scaled.</summary>
    public PredictorScaling PredictorScaling { get; init; } = PredictorScaling.StandardDeviation;

    /// <summary>Whether outcomes are centred by each unit's pre-treatment mean.</summary>
    public OutcomeCentering OutcomeCentering { get; init; } = OutcomeCentering.None;

    /// <summary>The fewest pre-treatment periods accepted (at least 1; default 2).</summary>
    public int MinimumPrePeriods { get; init; } = 2;

    /// <summary>Settings of the V search.</summary>
    public PredictorWeightSearchOptions Search { get; init; } = PredictorWeightSearchOptions.Default;
}
