using Dapper;
using Experiments.Jobs.Analysis;
using Experiments.Jobs.Results;
using Experiments.Jobs.Scheduling;
using Experiments.Jobs.Store.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Quartz;

namespace Experiments.Jobs.Store.Tests;

/// <summary>The real Quartz scheduler, its ADO.NET job store in the results database (SQLite; PostgreSQL clustered).</summary>
public class SchedulerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task An_enqueued_analysis_runs_as_a_Quartz_job_and_publishes(StoreProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        var source = new InMemoryDataSource();
        using var host = WorkerHost.Build(database, source, $"s-{Guid.NewGuid():N}");
        await host.StartAsync();

        var store = host.Services.GetRequiredService<ResultsStore>();
        await store.SaveExperimentAsync(TestExperiments.Recent("checkout"));
        AnalysisRun run;
        using (var scope = host.Services.CreateScope())
            run = await scope.ServiceProvider.GetRequiredService<AnalysisQueue>().EnqueueAsync("checkout", new AnalysisParameters("manual"));
        var done = await WorkerHost.WaitFor(() => store.GetRunAsync(run.Id), r => r!.IsTerminal, Patience);

        Assert.Equal(RunStatus.Succeeded, done!.Status);
        Assert.Equal(3, (await store.ListResultsAsync("checkout")).Count);
        var scheduler = await host.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        var metadata = await scheduler.GetMetadata();
        Assert.Equal(provider == StoreProvider.PostgreSql, metadata.JobStoreClustered);
        Assert.True(metadata.JobStorePersistent);
        var job = await scheduler.GetJobDetail(AnalysisQueue.JobKeyFor("checkout"));
        Assert.True(job!.RequestsRecovery);
        Assert.True(job.ConcurrentExecutionDisallowed);
        Assert.True(job.Durable);
        await host.StopAsync();
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task A_transient_outage_is_retried_by_rescheduling_the_job(StoreProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        var source = new InMemoryDataSource();
        source.FailNext(2);
        using var host = WorkerHost.Build(database, source, $"s-{Guid.NewGuid():N}");
        await host.StartAsync();

        var store = host.Services.GetRequiredService<ResultsStore>();
        await store.SaveExperimentAsync(TestExperiments.Recent("checkout"));
        AnalysisRun run;
        using (var scope = host.Services.CreateScope())
            run = await scope.ServiceProvider.GetRequiredService<AnalysisQueue>().EnqueueAsync("checkout", new AnalysisParameters("manual"));
        var done = await WorkerHost.WaitFor(() => store.GetRunAsync(run.Id), r => r!.IsTerminal, Patience);

        Assert.Equal(RunStatus.Succeeded, done!.Status);
        Assert.Equal(3, done.Attempts);
        Assert.Equal(3, source.ContractChecks);
        Assert.Equal([1, 1, 1], (await store.ListResultsAsync("checkout")).Select(r => r.Version));
        await host.StopAsync();
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task A_job_cut_off_by_a_dying_worker_is_completed_exactly_once_after_restart(StoreProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        string schedulerName = $"s-{Guid.NewGuid():N}";
        var settings = new[] { ("Jobs:InstanceId", "worker-1") };

        // Worker A starts the analysis; its query never returns (the process is as good as dead).
        var hanging = new InMemoryDataSource { HangInQuery = true };
        var workerA = WorkerHost.Build(database, hanging, schedulerName, settings);
        await workerA.StartAsync();
        var store = workerA.Services.GetRequiredService<ResultsStore>();
        await store.SaveExperimentAsync(TestExperiments.Recent("checkout"));
        AnalysisRun run;
        using (var scope = workerA.Services.CreateScope())
            run = await scope.ServiceProvider.GetRequiredService<AnalysisQueue>().EnqueueAsync("checkout", new AnalysisParameters("manual"));
        await hanging.QueryEntered.Task.WaitAsync(Patience);

        // Kill it: the scheduler stops without waiting and the job never finishes, so Quartz's
        // fired-trigger row and the run's "running" status stay behind, as after a crash.
        var schedulerA = await workerA.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        await schedulerA.Shutdown(waitForJobsToComplete: false);
        var cutOff = await store.GetRunAsync(run.Id);
        Assert.Equal(RunStatus.Running, cutOff!.Status);
        Assert.Equal(RunStage.Query, cutOff.Stage);
        Assert.Equal(1, await FiredTriggers(database, schedulerName));

        // Worker B comes up on the same database under the same instance id and recovers the job.
        var healthy = new InMemoryDataSource();
        using var workerB = WorkerHost.Build(database, healthy, schedulerName, settings);
        await workerB.StartAsync();
        var done = await WorkerHost.WaitFor(() => store.GetRunAsync(run.Id), r => r!.IsTerminal, Patience);
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // room for a duplicate firing, were there one

        Assert.Equal(RunStatus.Succeeded, done!.Status);
        Assert.Equal(2, done.Attempts);
        Assert.Equal(1, healthy.ContractChecks);
        var results = await store.ListResultsAsync("checkout");
        Assert.Equal(["clicks_per_view", "conversion", "revenue"], results.Select(r => r.Metric));
        Assert.All(results, r => Assert.Equal((1, run.Id), (r.Version, r.RunId)));
        Assert.Equal(0, await FiredTriggers(database, schedulerName));
        await workerB.StopAsync();
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task A_job_cancelled_by_a_stopping_worker_is_handed_back_and_finished_by_the_next(StoreProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        string schedulerName = $"s-{Guid.NewGuid():N}";
        var settings = new[] { ("Jobs:InstanceId", "worker-1") };

        var blocked = new InMemoryDataSource { BlockInQueryUntilCancelled = true };
        using (var workerA = WorkerHost.Build(database, blocked, schedulerName, settings))
        {
            await workerA.StartAsync();
            var storeA = workerA.Services.GetRequiredService<ResultsStore>();
            await storeA.SaveExperimentAsync(TestExperiments.Recent("checkout"));
            using (var scope = workerA.Services.CreateScope())
                await scope.ServiceProvider.GetRequiredService<AnalysisQueue>().EnqueueAsync("checkout", new AnalysisParameters("manual"));
            await blocked.QueryEntered.Task.WaitAsync(Patience);
            // An orderly stop (a deployment): the job is cancelled and Quartz stores a recovery trigger.
            await workerA.StopAsync();
        }
        var store = new ResultsStore(database.Open(), TimeProvider.System);
        var run = (await store.ListRunsAsync("checkout")).Single();
        Assert.Equal(RunStatus.Running, run.Status);

        var healthy = new InMemoryDataSource();
        using var workerB = WorkerHost.Build(database, healthy, schedulerName, settings);
        await workerB.StartAsync();
        var done = await WorkerHost.WaitFor(() => store.GetRunAsync(run.Id), r => r!.IsTerminal, Patience);

        Assert.Equal(RunStatus.Succeeded, done!.Status);
        Assert.Equal(2, done.Attempts);
        Assert.Equal([1, 1, 1], (await store.ListResultsAsync("checkout")).Select(r => r.Version));
        await workerB.StopAsync();
    }

    [Fact]
    public async Task Clustered_workers_share_the_queue_an_enqueue_only_host_fills()
    {
        await using var database = await TestDatabase.CreateAsync(StoreProvider.PostgreSql);
        string schedulerName = $"s-{Guid.NewGuid():N}";
        var source = new InMemoryDataSource { QueryDelay = TimeSpan.FromMilliseconds(150) };
        using var api = WorkerHost.Build(database, source, schedulerName, runScheduler: false);
        await api.StartAsync();
        using var worker1 = WorkerHost.Build(database, source, schedulerName, ("Jobs:InstanceId", "worker-1"));
        using var worker2 = WorkerHost.Build(database, source, schedulerName, ("Jobs:InstanceId", "worker-2"));
        await Task.WhenAll(worker1.StartAsync(), worker2.StartAsync());

        var store = api.Services.GetRequiredService<ResultsStore>();
        var experiments = new[] { "checkout", "pricing", "search" };
        foreach (var id in experiments)
            await store.SaveExperimentAsync(TestExperiments.Recent(id));
        var runs = new List<AnalysisRun>();
        using (var scope = api.Services.CreateScope())
        {
            var queue = scope.ServiceProvider.GetRequiredService<AnalysisQueue>();
            for (int round = 0; round < 2; round++)
                foreach (var id in experiments)
                    runs.Add(await queue.EnqueueAsync(id, new AnalysisParameters("manual")));
        }
        var finished = await WorkerHost.WaitFor(async () => await Task.WhenAll(runs.Select(r => store.GetRunAsync(r.Id))),
            all => all.All(r => r!.IsTerminal), TimeSpan.FromSeconds(60));

        Assert.All(finished, r => Assert.Equal((RunStatus.Succeeded, 1), (r!.Status, r.Attempts)));
        foreach (var id in experiments)
            Assert.Equal([1, 1, 1, 2, 2, 2], (await store.ListResultsAsync(id)).Select(r => r.Version).Order());
        // One durable job per experiment with concurrent execution disallowed: never two analyses of one experiment at once.
        Assert.Equal(1, source.MaxConcurrentPerExperiment);
        var apiScheduler = await api.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        Assert.Null((await apiScheduler.GetMetadata()).RunningSince);
        await Task.WhenAll(worker1.StopAsync(), worker2.StopAsync());
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task The_daily_job_queues_one_run_per_running_experiment_without_an_open_run(StoreProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        var source = new InMemoryDataSource { HangInQuery = true };
        using var host = WorkerHost.Build(database, source, $"s-{Guid.NewGuid():N}",
            ("Jobs:ScheduleDailyAnalysis", "true"), ("Jobs:DailyAnalysisCron", "0/1 * * * * ?"));
        await host.StartAsync();
        var store = host.Services.GetRequiredService<ResultsStore>();
        await store.SaveExperimentAsync(TestExperiments.Recent("checkout"));
        await store.SaveExperimentAsync(TestExperiments.Recent("pricing"));
        await store.SaveExperimentAsync(TestExperiments.Recent("paused") with { Status = ExperimentStatus.Draft });
        await store.SaveExperimentAsync(TestExperiments.Recent("future") with
        {
            PrePeriod = new DateRange(DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-30), DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-1)),
            ExperimentWindow = new DateRange(DateOnly.FromDateTime(DateTime.UtcNow), DateOnly.FromDateTime(DateTime.UtcNow).AddDays(7)),
        });

        // The cron fires every second here; runs hang in their query, so they stay open and are not queued twice.
        var runs = await WorkerHost.WaitFor(async () => (await store.ListRunsAsync("checkout")).Concat(await store.ListRunsAsync("pricing")).ToList(),
            r => r.Count >= 2, Patience);
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        Assert.Single(await store.ListRunsAsync("checkout"));
        Assert.Single(await store.ListRunsAsync("pricing"));
        Assert.Empty(await store.ListRunsAsync("paused"));
        Assert.Empty(await store.ListRunsAsync("future"));
        Assert.All(runs, r => Assert.Equal("daily", r.Parameters.Trigger));
        var scheduler = await host.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        await scheduler.Shutdown(waitForJobsToComplete: false);
    }

    private static async Task<long> FiredTriggers(TestDatabase database, string schedulerName)
    {
        await using var connection = await database.Open().OpenAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM qrtz_fired_triggers WHERE sched_name = @schedulerName", new { schedulerName });
    }
}
