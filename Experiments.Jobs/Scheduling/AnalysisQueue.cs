using Experiments.Jobs.Analysis;
using Experiments.Jobs.Results;
using Hangfire;
using Microsoft.Extensions.Logging;

namespace Experiments.Jobs.Scheduling;

/// <summary>
/// Puts analyses on Hangfire: records the run in the results store, then enqueues (or schedules) the
/// job that executes it. Works whether or not this process runs a Hangfire server: a scale-out API
/// only enqueues, and the workers sharing the job storage run the jobs.
/// </summary>
public sealed partial class AnalysisQueue(IBackgroundJobClient jobs, AnalysisService analysis, ResultsStore store, ILogger<AnalysisQueue> logger)
{
    /// <summary>The recurring job's id.</summary>
    public const string DailyJobId = "analyse-running-experiments";

    /// <summary>Records a run of the experiment and enqueues it.</summary>
    /// <exception cref="InvalidOperationException">The experiment does not exist or has no complete day yet.</exception>
    public async Task<AnalysisRun> EnqueueAsync(string experimentId, AnalysisParameters parameters, CancellationToken cancellationToken = default)
    {
        var run = await analysis.CreateRunAsync(experimentId, parameters, cancellationToken);
        string jobId = jobs.Enqueue<AnalysisJobs>(j => j.AnalyseAsync(run.Id, experimentId, CancellationToken.None));
        LogEnqueued(run.Id, experimentId, jobId);
        return run;
    }

    /// <summary>Queues one run per running experiment that has no queued, running or deferred run.</summary>
    public async Task<IReadOnlyList<AnalysisRun>> EnqueueRunningExperimentsAsync(string trigger, CancellationToken cancellationToken = default)
    {
        var queued = new List<AnalysisRun>();
        foreach (var experiment in await store.ListExperimentsAsync(ExperimentStatus.Running, cancellationToken))
        {
            if (await store.HasOpenRunAsync(experiment.Id, cancellationToken))
            {
                LogSkipped(experiment.Id, "a run is already open");
                continue;
            }
            if (analysis.DefaultWindow(experiment) is { } window && window.End < window.Start)
            {
                LogSkipped(experiment.Id, "no complete day of data yet");
                continue;
            }
            queued.Add(await EnqueueAsync(experiment.Id, new AnalysisParameters(trigger), cancellationToken));
        }
        return queued;
    }

    /// <summary>Schedules another attempt of a recorded run at <paramref name="startAt"/> (Hangfire's delayed jobs).</summary>
    public void Schedule(string experimentId, Guid runId, DateTimeOffset startAt)
    {
        string jobId = jobs.Schedule<AnalysisJobs>(j => j.AnalyseAsync(runId, experimentId, CancellationToken.None), startAt);
        LogScheduled(runId, experimentId, startAt, jobId);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Analysis run {RunId} of {ExperimentId} enqueued as job {JobId}")]
    private partial void LogEnqueued(Guid runId, string experimentId, string jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Analysis run {RunId} of {ExperimentId} scheduled for {StartAt} as job {JobId}")]
    private partial void LogScheduled(Guid runId, string experimentId, DateTimeOffset startAt, string jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Daily analysis skips {ExperimentId}: {Why}")]
    private partial void LogSkipped(string experimentId, string why);
}
