using Experiments.Engine.AbTesting;
using Experiments.Engine.Geo;
using Experiments.Engine.Inference;

namespace Experiments.Jobs.Analysis;

/// <summary>What a run's attempt came to.</summary>
public enum AnalysisOutcomeKind
{
    /// <summary>Results published; the run succeeded.</summary>
    Succeeded,

    /// <summary>The run failed for good; nothing was published.</summary>
    Failed,

    /// <summary>The data is not complete yet; the run is due again at <see cref="AnalysisOutcome.RetryAt"/>.</summary>
    Deferred,

    /// <summary>A transient failure; the run is due again at <see cref="AnalysisOutcome.RetryAt"/>.</summary>
    RetryScheduled,

    /// <summary>The run had already succeeded or failed (a recovered or duplicate firing); nothing was done.</summary>
    AlreadyFinished,

    /// <summary>
    /// Another attempt (of this run or another run of the experiment) holds the experiment's lease; nothing
    /// was done and the run is due again at <see cref="AnalysisOutcome.RetryAt"/>, when that lease lapses.
    /// </summary>
    Busy,
}

/// <summary>The outcome of one attempt of a run.</summary>
/// <param name="RunId">The run.</param>
/// <param name="ExperimentId">Its experiment.</param>
/// <param name="Kind">What happened.</param>
/// <param name="Reason">Why it failed, was deferred or will be retried.</param>
/// <param name="RetryAt">When to run it again (deferred or retry), else null.</param>
/// <param name="Published">The results published by this attempt.</param>
public sealed record AnalysisOutcome(Guid RunId, string ExperimentId, AnalysisOutcomeKind Kind, string? Reason, DateTimeOffset? RetryAt,
    IReadOnlyList<Results.PublishedResult> Published);

/// <summary>An A/B metric's published result.</summary>
/// <param name="Metric">The metric's name.</param>
/// <param name="Analysis">The engine's analysis over the run's whole window (adjusted across the experiment's metrics).</param>
/// <param name="SequentialPath">Always-valid estimates day by day (mean and proportion metrics), so the path can be looked at daily without inflating the error rate.</param>
/// <param name="Guardrail">The guardrail's verdict when the metric is one.</param>
/// <param name="Holdout">On a holdout campaign's conversion metric: per treatment, lift %, incremental conversions and
/// revenue, spend on the treated units, cost per incremental conversion and iROAS, with intervals at the experiment's α.</param>
public sealed record AbMetricResult(string Metric, AbAnalysisResult Analysis, IReadOnlyList<SequentialDay> SequentialPath, GuardrailVerdict? Guardrail,
    HoldoutResult? Holdout = null);

/// <summary>The always-valid comparison of every treatment with the control on one day.</summary>
/// <param name="Day">The last day of data included.</param>
/// <param name="Comparisons">Per treatment, the absolute lift with its confidence sequence.</param>
public sealed record SequentialDay(DateOnly Day, IReadOnlyList<SequentialComparison> Comparisons);

/// <summary>One treatment's always-valid estimate on one day.</summary>
/// <param name="Variant">The treatment.</param>
/// <param name="Absolute">Its absolute lift with confidence sequence and always-valid p-value.</param>
public sealed record SequentialComparison(string Variant, EffectEstimate Absolute);

/// <summary>A guardrail metric's verdict per treatment (see <see cref="Results.GuardrailDefinition.IsHarmedBy"/>).</summary>
/// <param name="MaximumRelativeDrop">The tolerated relative change in the harmful direction.</param>
/// <param name="BreachedBy">Treatments whose relative lift's interval lies entirely beyond it: below −tolerance for a decrease, above +tolerance for an increase.</param>
/// <param name="Harm">The direction that harms; results published before it existed were all <c>decrease</c>.</param>
public sealed record GuardrailVerdict(double MaximumRelativeDrop, IReadOnlyList<string> BreachedBy, Results.GuardrailHarm Harm = Results.GuardrailHarm.Decrease);

/// <summary>A geo metric's published result.</summary>
/// <param name="Metric">The metric's name.</param>
/// <param name="Analysis">The engine's synthetic-control analysis with conformal inference.</param>
/// <param name="FirstDay">The panel's first day; the series' periods are <see cref="DateOnly.DayNumber"/> values.</param>
public sealed record GeoMetricResult(string Metric, GeoExperimentResult Analysis, DateOnly FirstDay);
