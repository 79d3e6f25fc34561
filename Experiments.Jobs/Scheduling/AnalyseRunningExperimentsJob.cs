using Quartz;

namespace Experiments.Jobs.Scheduling;

/// <summary>The daily job: queues one analysis per running experiment that has none open.</summary>
[DisallowConcurrentExecution]
public sealed class AnalyseRunningExperimentsJob(AnalysisQueue queue) : IJob
{
    /// <summary>The job's key.</summary>
    public static readonly JobKey Key = new("analyse-running-experiments", AnalysisQueue.Group);

    /// <inheritdoc />
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default) =>
        await queue.EnqueueRunningExperimentsAsync("daily", cancellationToken);
}
