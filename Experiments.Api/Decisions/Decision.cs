using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Experiments.Api.PublishedResults;
using Experiments.Jobs.Results;

namespace Experiments.Api.Decisions;

/// <summary>What a product system should do about an experiment now.</summary>
public enum DecisionKind
{
    /// <summary>Roll out the named variant: the primary metric is significantly better and no guardrail is harmed.</summary>
    [JsonStringEnumMemberName("ship")]
    Ship,

    /// <summary>Keep the experiment as it is: nothing is settled yet.</summary>
    [JsonStringEnumMemberName("keep_running")]
    KeepRunning,

    /// <summary>End it without shipping: a guardrail is harmed, the primary metric is significantly worse, or the test is inconclusive.</summary>
    [JsonStringEnumMemberName("stop")]
    Stop,

    /// <summary>Do not act on the numbers: a person must look (sample-ratio mismatch, stale or missing data, a draft).</summary>
    [JsonStringEnumMemberName("investigate")]
    Investigate,
}

/// <summary>Which test judged the primary metric.</summary>
public enum DecisionTest
{
    /// <summary>The always-valid confidence sequence on the latest day of the sequential path: valid under daily looks, used while the planned duration runs.</summary>
    Sequential,

    /// <summary>The fixed-horizon test of the whole window (Welch / delta method, CUPED when on; conformal for geo): used once the planned duration has passed.</summary>
    FixedHorizon,

    /// <summary>No test could be applied yet (e.g. no sequential path for a ratio metric while running, or a geo test before its window ends).</summary>
    None,
}

/// <summary>An estimate with its interval.</summary>
/// <param name="Estimate">The point estimate.</param>
/// <param name="Lower">The interval's lower end.</param>
/// <param name="Upper">The interval's upper end.</param>
public sealed record Interval(double Estimate, double Lower, double Upper);

/// <summary>The primary metric's result behind a decision.</summary>
/// <param name="Metric">The primary metric.</param>
/// <param name="Variant">The treatment the decision is about (A/B); null for a geo experiment (its treated markets).</param>
/// <param name="RelativeLift">The relative lift (0.04 = +4%) with its fixed-horizon interval at the experiment's alpha; null when the control's mean is zero.</param>
/// <param name="PValue">The p-value of the test that judged it (always-valid while sequential), Holm-adjusted across treatments.</param>
/// <param name="Test">Which test judged it.</param>
public sealed record PrimaryOutcome(string Metric, string? Variant, Interval? RelativeLift, double? PValue, DecisionTest Test);

/// <summary>One treatment's effect on a guardrail metric.</summary>
/// <param name="Variant">The treatment (null for geo).</param>
/// <param name="RelativeLift">Its relative lift with interval; null when unavailable.</param>
/// <param name="Harmed">Whether the interval lies entirely beyond the tolerated change in the harmful direction.</param>
public sealed record GuardrailVariantOutcome(string? Variant, Interval? RelativeLift, bool Harmed);

/// <summary>A guardrail's state.</summary>
/// <param name="Metric">The guardrail metric.</param>
/// <param name="Harmed">Whether any treatment harms it beyond its tolerance at the experiment's significance level.</param>
/// <param name="Harm">The direction that harms.</param>
/// <param name="Tolerance">The tolerated relative change in that direction.</param>
/// <param name="Variants">Per treatment.</param>
public sealed record GuardrailOutcome(string Metric, bool Harmed, GuardrailHarm Harm, double Tolerance, IReadOnlyList<GuardrailVariantOutcome> Variants);

/// <summary>
/// The answer to "ship or not?" for one experiment, from its published results only.
/// </summary>
/// <param name="ExperimentId">The experiment.</param>
/// <param name="Decision"><c>ship</c>, <c>keep_running</c>, <c>stop</c> or <c>investigate</c>.</param>
/// <param name="Reasons">Why, one sentence each, each starting with a stable code (<c>srm_mismatch:</c>, <c>guardrail_harmed:</c>, …; see the README's table).</param>
/// <param name="Primary">The primary metric's result; null when nothing is published for it.</param>
/// <param name="Guardrails">Every guardrail's state.</param>
/// <param name="SrmOk">Whether the sample-ratio check passed on every metric (A/B); null for geo or without results.</param>
/// <param name="PowerReached">Whether the current precision detects the target MDE with 80% power (A/B with a target); else null.</param>
/// <param name="EstimatedDaysLeft">With <c>keep_running</c>: the days until the target MDE becomes detectable (standard error ∝ 1/√days), else the days left in the plan; otherwise null.</param>
/// <param name="Finality">Whether the primary result is <c>provisional</c> or <c>final</c>.</param>
/// <param name="EngineVersion">The engine build that produced the primary result.</param>
/// <param name="ResultVersion">The primary result's version.</param>
/// <param name="AsOf">When the primary result was published.</param>
/// <param name="DataThrough">The last day of data behind the decision (the earliest over the metrics used).</param>
/// <param name="Status">The experiment's status.</param>
/// <param name="Type"><c>ab</c> or <c>geo</c>.</param>
/// <param name="Incremental">Geo: the total incremental outcome with its conformal interval.</param>
/// <param name="Iroas">Geo: incremental outcome per unit of spend with its interval, when spend is known.</param>
/// <param name="TargetIroas">Geo: the target the iROAS is judged against.</param>
public sealed record DecisionAnswer(
    string ExperimentId,
    DecisionKind Decision,
    IReadOnlyList<string> Reasons,
    PrimaryOutcome? Primary,
    IReadOnlyList<GuardrailOutcome> Guardrails,
    bool? SrmOk,
    bool? PowerReached,
    int? EstimatedDaysLeft,
    ResultFinality? Finality,
    string? EngineVersion,
    int? ResultVersion,
    DateTimeOffset? AsOf,
    DateOnly? DataThrough,
    ExperimentStatus Status,
    ExperimentType Type,
    Interval? Incremental = null,
    Interval? Iroas = null,
    double? TargetIroas = null);

/// <summary>The body of <c>POST /api/v1/decisions</c>.</summary>
/// <param name="ExperimentIds">1 to 100 distinct experiment ids.</param>
public sealed record DecisionBatchRequest(IReadOnlyList<string?>? ExperimentIds);

/// <summary>Decisions for several experiments.</summary>
/// <param name="Decisions">One per known experiment, in the order asked.</param>
/// <param name="NotFound">The ids asked for that no experiment has.</param>
public sealed record DecisionBatchResponse(IReadOnlyList<DecisionAnswer> Decisions, IReadOnlyList<string> NotFound);

/// <summary>The decision API's settings (configuration section <c>Decisions</c>).</summary>
public sealed class DecisionOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Decisions";

    /// <summary>
    /// A running experiment's data is stale when the last day behind its latest published results is
    /// more than this many days before the last day that should have data by now (yesterday, UTC, or
    /// the window's end plus the conversion window when that is earlier). Default 2: the daily job
    /// may miss a day (a late day defers it) without alarming anyone; two misses in a row need a person.
    /// </summary>
    public int StaleAfterDays { get; set; } = 2;

    /// <summary>How long a client may reuse an answer (<c>Cache-Control: private, max-age</c>); results change at most once per analysis run.</summary>
    public int MaxAgeSeconds { get; set; } = 60;

    /// <summary>
    /// How long this process reuses a decision it computed (default 2 s; 0 turns it off): product systems
    /// poll every second, and within this time an answer may miss a result published after it was
    /// computed — far inside the <see cref="MaxAgeSeconds"/> clients may already cache it for.
    /// </summary>
    public double ServerCacheSeconds { get; set; } = 2;

    /// <summary>The power at which <see cref="DecisionAnswer.PowerReached"/> and the days-left estimate read the target MDE (default 0.8).</summary>
    public double Power { get; set; } = 0.8;

    /// <summary>The largest number of ids one <c>POST /api/v1/decisions</c> may ask about.</summary>
    public const int MaximumBatch = 100;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (StaleAfterDays is < 0 or > 365)
            yield return new ValidationResult($"Decisions:StaleAfterDays must be 0 to 365 (got {StaleAfterDays}).");
        if (MaxAgeSeconds is < 0 or > 86_400)
            yield return new ValidationResult($"Decisions:MaxAgeSeconds must be 0 to 86400 (got {MaxAgeSeconds}).");
        if (!(ServerCacheSeconds >= 0 && ServerCacheSeconds <= 60))
            yield return new ValidationResult($"Decisions:ServerCacheSeconds must be 0 to 60 (got {ServerCacheSeconds}).");
        if (!(Power > 0.5 && Power < 1))
            yield return new ValidationResult($"Decisions:Power must lie in (0.5, 1) (got {Power}).");
    }
}
