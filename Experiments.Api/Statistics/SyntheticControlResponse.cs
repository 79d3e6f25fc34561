namespace Experiments.Api.Statistics;

/// <summary>An estimate with its interval; lower/upper are null when no interval is available for the method.</summary>
public sealed record IntervalResponse(double Estimate, double? Lower, double? Upper);

/// <summary>The average effect per treated unit per post period.</summary>
public sealed record EffectResponse(double Estimate, double? Lower, double? Upper, double PValue);

/// <summary>One period of the treated series and its synthetic counterpart (with the counterfactual's interval after treatment).</summary>
public sealed record SeriesPointResponse(int Period, double Actual, double Synthetic, double? Lower, double? Upper);

/// <summary>One unit of the in-space placebo test.</summary>
public sealed record PlaceboUnitResponse(string Unit, double RmspeRatio, double PreRmspe, double PostRmspe, double AverageEffect);

/// <summary>The in-space placebo test: the treated unit's post/pre RMSPE ratio ranked among every donor refitted as if treated.</summary>
public sealed record PlaceboResponse(double RmspeRatio, double PValue, int Rank, int UnitCount, IReadOnlyList<PlaceboUnitResponse> Units);

/// <summary>A predictor's weight in V and its balance.</summary>
public sealed record PredictorBalanceResponse(string Predictor, double Weight, double Treated, double Synthetic, double DonorAverage);

/// <summary>How the uncertainty was computed.</summary>
/// <param name="Method">"conformal" (Chernozhukov, Wüthrich &amp; Zhu 2021) or "placebo" (in-space permutation, Abadie et al. 2010).</param>
/// <param name="Description">A sentence saying what the p-value and intervals mean.</param>
public sealed record InferenceResponse(string Method, string Description);

/// <summary>Result of <c>POST /api/v1/stats/synthetic-control</c>.</summary>
public sealed record SyntheticControlResponse(
    SyntheticControlMethod Method,
    bool FixedEffects,
    double Alpha,
    IReadOnlyDictionary<string, double> Weights,
    double PreRmspe,
    double? L2Imbalance,
    double? ScaledL2Imbalance,
    double? RidgeLambda,
    EffectResponse Effect,
    IntervalResponse? LiftPercent,
    string? LiftUnavailableReason,
    IntervalResponse Incremental,
    IntervalResponse? Iroas,
    IReadOnlyList<SeriesPointResponse> Series,
    PlaceboResponse? Placebo,
    IReadOnlyList<PredictorBalanceResponse>? Predictors,
    InferenceResponse Inference,
    string EngineVersion);
