namespace Experiments.Jobs.Results;

/// <summary>Where an analysis run is.</summary>
public enum RunStatus
{
    /// <summary>Recorded and waiting for a worker (also between retries of a transient failure).</summary>
    Queued,

    /// <summary>A worker is executing its stages.</summary>
    Running,

    /// <summary>Its results were published together with this status.</summary>
    Succeeded,

    /// <summary>It stopped for good; <see cref="AnalysisRun.Reason"/> says why. Nothing was published.</summary>
    Failed,

    /// <summary>The data was not complete yet (a late or missing day); it is rescheduled. Nothing was published.</summary>
    Deferred,
}

/// <summary>The stages of a run, in order; each is timed and recorded.</summary>
public enum RunStage
{
    /// <summary>Columns, types and freshness of the source data.</summary>
    ContractCheck,

    /// <summary>Reading the engine's inputs from the data source.</summary>
    Query,

    /// <summary>The statistics.</summary>
    Engine,

    /// <summary>Writing the results and the final status in one transaction.</summary>
    Publish,
}

/// <summary>How long each stage took; null for a stage not reached.</summary>
/// <param name="ContractCheck">The contract check.</param>
/// <param name="Query">Reading the inputs.</param>
/// <param name="Engine">The statistics.</param>
/// <param name="Publish">The publication transaction.</param>
public sealed record StageDurations(TimeSpan? ContractCheck, TimeSpan? Query, TimeSpan? Engine, TimeSpan? Publish);

/// <summary>What a run was asked to do, stored with it as JSON.</summary>
/// <param name="Trigger">Who asked: <c>manual</c>, <c>daily</c>, …</param>
/// <param name="WindowOverride">A data window chosen by the caller instead of the default (experiment start to the last complete day).</param>
public sealed record AnalysisParameters(string Trigger, DateRange? WindowOverride = null);

/// <summary>One analysis of one experiment over one data window, as recorded in the store.</summary>
/// <param name="Id">The run's id.</param>
/// <param name="ExperimentId">The experiment analysed.</param>
/// <param name="Parameters">What it was asked to do.</param>
/// <param name="DataWindow">The days of data it reads.</param>
/// <param name="Status">Queued, running, succeeded, failed or deferred.</param>
/// <param name="Stage">The stage in progress while running, else the last stage reached (null before the first).</param>
/// <param name="Reason">Why it failed, was deferred or is waiting for a retry; null otherwise.</param>
/// <param name="RowsRead">Rows the data source read so far.</param>
/// <param name="BytesRead">Bytes the data source read so far.</param>
/// <param name="EngineVersion">The engine build that estimated (once the engine stage has run).</param>
/// <param name="Durations">Per-stage durations.</param>
/// <param name="Attempts">How many times a worker has started it.</param>
/// <param name="NextAttemptAt">When a deferred or retried run is due again.</param>
/// <param name="CreatedAt">When it was recorded.</param>
/// <param name="StartedAt">When the latest attempt started.</param>
/// <param name="FinishedAt">When it reached succeeded, failed or deferred.</param>
public sealed record AnalysisRun(
    Guid Id, string ExperimentId, AnalysisParameters Parameters, DateRange DataWindow, RunStatus Status, RunStage? Stage,
    string? Reason, long RowsRead, long BytesRead, string? EngineVersion, StageDurations Durations, int Attempts,
    DateTimeOffset? NextAttemptAt, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt)
{
    /// <summary>Whether nothing more will happen to the run.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsTerminal => Status is RunStatus.Succeeded or RunStatus.Failed;
}

/// <summary>One metric's result as a run hands it to <see cref="ResultsStore.PublishAsync"/>.</summary>
/// <param name="Metric">The metric's name.</param>
/// <param name="ResultJson">The engine's result as JSON.</param>
public sealed record ResultToPublish(string Metric, string ResultJson);

/// <summary>A published result. Versions of one experiment and metric count up from 1; none is ever overwritten.</summary>
/// <param name="ExperimentId">The experiment.</param>
/// <param name="Metric">The metric.</param>
/// <param name="Version">1 for the first publication, then one more per run that published this metric.</param>
/// <param name="RunId">The run that published it.</param>
/// <param name="IsFinal">True once the experiment has ended and its conversion window has closed; provisional before.</param>
/// <param name="EngineVersion">The engine build that produced it.</param>
/// <param name="DataWindow">The days of data behind it.</param>
/// <param name="ResultJson">The result as JSON.</param>
/// <param name="PublishedAt">When it was published.</param>
public sealed record PublishedResult(string ExperimentId, string Metric, int Version, Guid RunId, bool IsFinal, string EngineVersion,
    DateRange DataWindow, string ResultJson, DateTimeOffset PublishedAt);

/// <summary>A rendered report.</summary>
/// <param name="Id">Its id.</param>
/// <param name="ExperimentId">The experiment it reports on.</param>
/// <param name="RunId">The run whose results it shows, if any.</param>
/// <param name="Format"><c>html</c> or <c>json</c>.</param>
/// <param name="Title">Its title.</param>
/// <param name="Content">The document.</param>
/// <param name="CreatedAt">When it was rendered.</param>
public sealed record Report(Guid Id, string ExperimentId, Guid? RunId, string Format, string Title, string Content, DateTimeOffset CreatedAt);

/// <summary>What asking to start an attempt found: the started run, a run with nothing left to do, or a busy experiment.</summary>
/// <param name="Run">The run, now running with one more attempt; null when nothing was started.</param>
/// <param name="ExperimentId">The experiment whose lease is held elsewhere, when busy.</param>
/// <param name="BusyUntil">When the other attempt's lease lapses unless renewed, when busy.</param>
public sealed record AttemptStart(AnalysisRun? Run, string? ExperimentId, DateTimeOffset? BusyUntil)
{
    /// <summary>The run is unknown, or already succeeded or failed.</summary>
    public static AttemptStart Finished { get; } = new(null, null, null);

    /// <summary>The attempt started.</summary>
    public static AttemptStart Started(AnalysisRun run) => new(run, run.ExperimentId, null);

    /// <summary>Another live attempt holds the experiment's lease until <paramref name="until"/>.</summary>
    public static AttemptStart Busy(string experimentId, DateTimeOffset until) => new(null, experimentId, until);
}
