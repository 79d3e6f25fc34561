using Experiments.Jobs.Analysis;
using Experiments.Jobs.Results;
using Microsoft.Extensions.Logging;
using Quartz;

namespace Experiments.Jobs.Scheduling;

/// <summary>
/// Puts analyses on the Quartz schedule, which lives in the same database as the results: records
/// the run, then adds a trigger for the experiment's job. Works whether or not this process runs
/// the scheduler (a scale-out API only enqueues; the workers' schedulers pick the triggers up).
/// </summary>
public sealed partial class AnalysisQueue(ISchedulerFactory schedulers, AnalysisService analysis, ResultsStore store, ILogger<AnalysisQueue> logger)
{
    /// <summary>The Quartz group of every analysis job and trigger.</summary>
    public const string Group = "analysis";

    /// <summary>The job that analyses one experiment.</summary>
    public static JobKey JobKeyFor(string experimentId) => new(experimentId, Group);

    /// <summary>Records a run of the experiment and schedules it to start now.</summary>
    /// <exception cref="InvalidOperationException">The experiment does not exist or has no complete day yet.</exception>
    public async Task<AnalysisRun> EnqueueAsync(string experimentId, AnalysisParameters parameters, CancellationToken cancellationToken = default)
    {
        var run = await analysis.CreateRunAsync(experimentId, parameters, cancellationToken);
        await ScheduleAsync(experimentId, run.Id, null, cancellationToken);
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

    /// <summary>Adds a trigger for a recorded run, at <paramref name="startAt"/> or now.</summary>
    public async Task ScheduleAsync(string experimentId, Guid runId, DateTimeOffset? startAt, CancellationToken cancellationToken = default)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var job = JobBuilder.Create<AnalyseExperimentJob>()
            .WithIdentity(JobKeyFor(experimentId))
            .WithDescription($"Analyse experiment {experimentId}")
            .StoreDurably()
            .RequestRecovery()
            .DisallowConcurrentExecution()
            .Build();
        await scheduler.AddJob(job, AddJobOptions.Replacing, cancellationToken);
        var builder = TriggerBuilder.Create()
            .WithIdentity($"run-{runId:N}-{Guid.NewGuid():N}", Group)
            .ForJob(job.Key)
            .UsingJobData(AnalyseExperimentJob.RunIdKey, runId.ToString("D"));
        builder = startAt is { } at ? builder.StartAt(at) : builder.StartNow();
        await scheduler.ScheduleJob(builder.Build(), cancellationToken: cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Daily analysis skips {ExperimentId}: {Why}")]
    private partial void LogSkipped(string experimentId, string why);
}
