using Experiments.Jobs.Analysis;
using Quartz;

namespace Experiments.Jobs.Scheduling;

/// <summary>
/// Analyses one experiment now: one durable job per experiment (so Quartz never runs two analyses of
/// the same experiment at once), one trigger per run carrying the run's id. A run that is deferred or
/// hit a transient failure is scheduled again for the time the service names.
/// </summary>
[DisallowConcurrentExecution]
public sealed class AnalyseExperimentJob(AnalysisService analysis, AnalysisQueue queue) : IJob
{
    /// <summary>The trigger data key holding the run's id.</summary>
    public const string RunIdKey = "runId";

    /// <inheritdoc />
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var runId = Guid.Parse(context.MergedJobDataMap.GetString(RunIdKey)
            ?? throw new JobExecutionException($"The trigger carries no '{RunIdKey}'."));
        var outcome = await analysis.ExecuteAsync(runId, cancellationToken);
        if (outcome.RetryAt is { } retryAt)
            await queue.ScheduleAsync(outcome.ExperimentId, runId, retryAt, cancellationToken);
    }
}
