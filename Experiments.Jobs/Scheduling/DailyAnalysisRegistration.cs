using Hangfire;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Experiments.Jobs.Scheduling;

/// <summary>Keeps the daily recurring job as configured when a server starts: its cron (UTC), or removed when disabled.</summary>
internal sealed class DailyAnalysisRegistration(IRecurringJobManager recurring, IOptions<JobsOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var jobs = options.Value;
        if (jobs.ScheduleDailyAnalysis)
            recurring.AddOrUpdate<AnalysisJobs>(AnalysisQueue.DailyJobId, j => j.AnalyseRunningExperimentsAsync(CancellationToken.None),
                jobs.DailyAnalysisCron, new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
        else
            recurring.RemoveIfExists(AnalysisQueue.DailyJobId);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
