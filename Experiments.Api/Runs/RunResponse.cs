using Experiments.Api.Experiments;
using Experiments.Jobs.Results;

namespace Experiments.Api.Runs;

/// <summary>
/// An analysis run as recorded: where it is, what it read, how long each stage took. Safe to poll:
/// the stage columns are written as each stage ends.
/// </summary>
/// <param name="Id">The run's id.</param>
/// <param name="ExperimentId">The experiment analysed.</param>
/// <param name="Status"><c>queued</c>, <c>running</c>, <c>succeeded</c>, <c>failed</c> or <c>deferred</c>.</param>
/// <param name="Stage">The stage in progress while running (<c>contractCheck</c>, <c>query</c>, <c>engine</c>, <c>publish</c>), else the last stage reached; null before the first.</param>
/// <param name="Reason">Why it failed, was deferred or waits for a retry; null otherwise.</param>
/// <param name="DataWindow">The days of data it reads.</param>
/// <param name="Parameters">What it was asked to do: the trigger and any window chosen by the caller.</param>
/// <param name="RowsRead">Rows the data source read so far.</param>
/// <param name="BytesRead">Bytes the data source read so far.</param>
/// <param name="EngineVersion">The engine build that estimated, once the engine stage has run.</param>
/// <param name="StageDurations">Milliseconds per stage; null for a stage not reached.</param>
/// <param name="Attempts">How many times a worker started it.</param>
/// <param name="NextAttemptAt">When a deferred or retried run is due again.</param>
/// <param name="CreatedAt">When it was queued.</param>
/// <param name="StartedAt">When its latest attempt started.</param>
/// <param name="FinishedAt">When it reached succeeded, failed or deferred.</param>
public sealed record RunResponse(
    Guid Id,
    string ExperimentId,
    RunStatus Status,
    RunStage? Stage,
    string? Reason,
    DateRange DataWindow,
    AnalysisParameters Parameters,
    long RowsRead,
    long BytesRead,
    string? EngineVersion,
    StageDurationsResponse StageDurations,
    int Attempts,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt)
{
    /// <summary>Where the run can be read.</summary>
    internal static string Location(Guid id) => $"/api/v1/runs/{id:D}";

    internal static RunResponse From(AnalysisRun run) => new(run.Id, run.ExperimentId, run.Status, run.Stage, run.Reason, run.DataWindow,
        run.Parameters, run.RowsRead, run.BytesRead, run.EngineVersion,
        new StageDurationsResponse(Ms(run.Durations.ContractCheck), Ms(run.Durations.Query), Ms(run.Durations.Engine), Ms(run.Durations.Publish)),
        run.Attempts, run.NextAttemptAt, run.CreatedAt, run.StartedAt, run.FinishedAt);

    private static double? Ms(TimeSpan? duration) => duration?.TotalMilliseconds;
}

/// <summary>How long each stage of a run took, in milliseconds; null for a stage not reached.</summary>
/// <param name="ContractCheckMs">Columns, types and freshness of the source data.</param>
/// <param name="QueryMs">Reading the engine's inputs.</param>
/// <param name="EngineMs">The statistics.</param>
/// <param name="PublishMs">Writing the results and the final status in one transaction.</param>
public sealed record StageDurationsResponse(double? ContractCheckMs, double? QueryMs, double? EngineMs, double? PublishMs);

/// <summary>An experiment's runs, newest first.</summary>
/// <param name="ExperimentId">The experiment.</param>
/// <param name="Runs">Its runs.</param>
public sealed record RunListResponse(string ExperimentId, IReadOnlyList<RunResponse> Runs);

/// <summary>Optional body of <c>POST /api/v1/experiments/{id}/analyses</c>.</summary>
/// <param name="Window">
/// The days to analyse instead of the default (the experiment's first day to the last complete day,
/// at most its end plus the conversion window); within that span.
/// </param>
public sealed record AnalysisRequest(DateRangeRequest? Window);
