using System.ComponentModel;
using Experiments.Jobs.Analysis;
using Hangfire;

namespace Experiments.Jobs.Scheduling;

/// <summary>
/// The Hangfire jobs. Hangfire delivers at least once and starts an interrupted job again from the
/// top, so each is idempotent: an analysis attempt is a no-op for a finished run and waits while
/// another attempt holds the experiment (see <see cref="AnalysisService.ExecuteAsync"/>). Hangfire's
/// automatic retry is off for both: the analysis service's back-off and attempt limit
/// (<see cref="AnalysisOptions"/>) are the only retry policy, and it schedules its own next attempt.
/// </summary>
public sealed class AnalysisJobs(AnalysisService analysis, AnalysisQueue queue)
{
    /// <summary>Runs one attempt of a run, then schedules the next one when the service names a time (a retry, a deferral, a busy experiment).</summary>
    [AutomaticRetry(Attempts = 0)]
    [DisplayName("Analyse {1} (run {0})")]
    public async Task AnalyseAsync(Guid runId, string experimentId, CancellationToken cancellationToken)
    {
        var outcome = await analysis.ExecuteAsync(runId, cancellationToken);
        if (outcome.RetryAt is { } retryAt)
            queue.Schedule(experimentId, runId, retryAt);
    }

    /// <summary>The daily job: queues one run per running experiment that has none open.</summary>
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    [DisplayName("Queue the daily analysis of every running experiment")]
    public Task AnalyseRunningExperimentsAsync(CancellationToken cancellationToken) =>
        queue.EnqueueRunningExperimentsAsync("daily", cancellationToken);
}
