using Experiments.Jobs.Analysis;
using Experiments.Jobs.Results;
using Experiments.Jobs.Scheduling;
using Experiments.Jobs.Store.Tests.Infrastructure;
using Experiments.Engine.AbTesting;
using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Experiments.Jobs.Store.Tests;

/// <summary>
/// The jobs on real Hangfire servers over both job storages: a SQLite file of its own (one server
/// process) and PostgreSQL with sliding invisibility (several workers), beside a real results store.
/// </summary>
public class SchedulerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task An_enqueued_analysis_runs_as_a_Hangfire_job_and_publishes(StoreProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        var source = new InMemoryDataSource();
        using var host = WorkerHost.Build(database, source);
        await host.StartAsync();

        var store = host.Services.GetRequiredService<ResultsStore>();
        await store.SaveExperimentAsync(TestExperiments.Recent("checkout"));
        var run = await Enqueue(host, "checkout");
        var done = await WaitForTerminal(store, run.Id);
        var jobs = host.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
        await WaitFor(() => jobs.SucceededListCount() == 1);

        Assert.Equal(RunStatus.Succeeded, done!.Status);
        Assert.Equal(3, (await store.ListResultsAsync("checkout")).Count);
        Assert.Equal(provider, host.Services.GetRequiredService<JobStore>().Provider);
        Assert.Equal((1L, 0L), (jobs.SucceededListCount(), jobs.FailedCount()));
        await host.StopAsync();
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task A_transient_outage_is_retried_by_the_services_back_off_as_scheduled_jobs(StoreProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        var source = new InMemoryDataSource();
        source.FailNext(2);
        using var host = WorkerHost.Build(database, source);
        await host.StartAsync();

        var store = host.Services.GetRequiredService<ResultsStore>();
        await store.SaveExperimentAsync(TestExperiments.Recent("checkout"));
        var run = await Enqueue(host, "checkout");
        var done = await WaitForTerminal(store, run.Id);
        var jobs = host.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
        await WaitFor(() => jobs.SucceededListCount() == 3);

        Assert.Equal(RunStatus.Succeeded, done!.Status);
        Assert.Equal(3, done.Attempts);
        Assert.Equal(3, source.ContractChecks);
        Assert.Equal([1, 1, 1], (await store.ListResultsAsync("checkout")).Select(r => r.Version));
        // One Hangfire job per attempt, each scheduled by the service; Hangfire itself retried nothing.
        Assert.Equal((3L, 0L), (jobs.SucceededListCount(), jobs.FailedCount()));
        await host.StopAsync();
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task An_outage_longer_than_the_attempts_fails_the_run_with_the_reason_and_publishes_nothing(StoreProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        var source = new InMemoryDataSource();
        source.FailNext(100);
        using var host = WorkerHost.Build(database, source);
        await host.StartAsync();

        var store = host.Services.GetRequiredService<ResultsStore>();
        await store.SaveExperimentAsync(TestExperiments.Recent("checkout"));
        var run = await Enqueue(host, "checkout");
        var done = await WaitForTerminal(store, run.Id);
        var jobs = host.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
        await WaitFor(() => jobs.SucceededListCount() == 3);
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // room for a fourth attempt, were there one

        Assert.Equal(RunStatus.Failed, done!.Status);
        Assert.Equal(3, done.Attempts);
        Assert.Contains("unreachable in all 3 attempts", done.Reason);
        Assert.Equal(3, source.ContractChecks);
        Assert.Empty(await store.ListResultsAsync("checkout"));
        Assert.Equal((3L, 0L, 0L), (jobs.SucceededListCount(), jobs.FailedCount(), jobs.ScheduledCount()));
        await host.StopAsync();
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task A_deferred_run_runs_again_when_due(StoreProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        var source = new InMemoryDataSource();
        var yesterday = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-1);
        source.SetDayRows(yesterday, 0);
        using var host = WorkerHost.Build(database, source, ("Analysis:DeferDelay", "00:00:02"));
        await host.StartAsync();

        var store = host.Services.GetRequiredService<ResultsStore>();
        await store.SaveExperimentAsync(TestExperiments.Recent("checkout"));
        var run = await Enqueue(host, "checkout");
        var deferred = await WorkerHost.WaitFor(() => store.GetRunAsync(run.Id), r => r!.Status == RunStatus.Deferred, Patience);
        Assert.Equal(RunStatus.Deferred, deferred!.Status);
        Assert.Contains($"no rows for {yesterday:yyyy-MM-dd}", deferred.Reason);
        var monitoring = host.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
        await WaitFor(() => monitoring.ScheduledCount() == 1);
        Assert.Equal(1L, monitoring.ScheduledCount());

        source.SetDayRows(yesterday, 10_000); // the late day arrives
        var done = await WaitForTerminal(store, run.Id);

        Assert.Equal(RunStatus.Succeeded, done!.Status);
        Assert.Equal(2, done.Attempts);
        Assert.Equal([1, 1, 1], (await store.ListResultsAsync("checkout")).Select(r => r.Version));
        await host.StopAsync();
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task A_worker_killed_mid_run_leaves_the_run_to_be_completed_exactly_once_by_another(StoreProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        using var enqueuer = WorkerHost.Build(database, new InMemoryDataSource(), runServer: false);
        await enqueuer.StartAsync();
        var store = enqueuer.Services.GetRequiredService<ResultsStore>();
        await store.SaveExperimentAsync(TestExperiments.Recent("checkout"));

        // Worker A, a real process, takes the run; its query never returns. Then SIGKILL.
        await using var workerA = WorkerHost.StartProcess(database, ("TestWorker:HangInQuery", "true"));
        Assert.True(await workerA.Started.WaitAsync(Patience), workerA.Output);
        var run = await Enqueue(enqueuer, "checkout");
        var inQuery = await WorkerHost.WaitFor(() => store.GetRunAsync(run.Id), r => r!.Stage == RunStage.Query, Patience);
        Assert.Equal((RunStatus.Running, RunStage.Query), (inQuery!.Status, inQuery.Stage));
        await workerA.KillAsync();

        // Worker B: on PostgreSQL a surviving worker (it takes the job once the dead one's invisibility
        // lapses); on SQLite the restarted one (it holds the file alone, so it hands the taken job back at start).
        var healthy = new InMemoryDataSource();
        using var workerB = WorkerHost.Build(database, healthy);
        await workerB.StartAsync();
        var done = await WaitForTerminal(store, run.Id);
        await Task.Delay(TimeSpan.FromSeconds(2)); // room for a duplicate, were there one

        Assert.Equal(RunStatus.Succeeded, done!.Status);
        Assert.Equal(2, done.Attempts);
        Assert.Equal(1, healthy.ContractChecks);
        var results = await store.ListResultsAsync("checkout");
        Assert.Equal(["clicks_per_view", "conversion", "revenue"], results.Select(r => r.Metric));
        Assert.All(results, r => Assert.Equal((1, run.Id), (r.Version, r.RunId)));
        await workerB.StopAsync();
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task A_job_cancelled_by_an_orderly_stop_is_handed_back_and_finished_by_the_next_worker(StoreProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        var blocked = new InMemoryDataSource { BlockInQueryUntilCancelled = true };
        AnalysisRun run;
        using (var workerA = WorkerHost.Build(database, blocked))
        {
            await workerA.StartAsync();
            await workerA.Services.GetRequiredService<ResultsStore>().SaveExperimentAsync(TestExperiments.Recent("checkout"));
            run = await Enqueue(workerA, "checkout");
            await blocked.QueryEntered.Task.WaitAsync(Patience);
            // A deployment: the job's token is cancelled, the attempt gives its lease back and Hangfire requeues the job.
            await workerA.StopAsync();
        }
        var store = new ResultsStore(database.Open(), TimeProvider.System);
        Assert.Equal(RunStatus.Running, (await store.GetRunAsync(run.Id))!.Status);

        var healthy = new InMemoryDataSource();
        var stopped = DateTime.UtcNow;
        using var workerB = WorkerHost.Build(database, healthy);
        await workerB.StartAsync();
        var done = await WaitForTerminal(store, run.Id);

        Assert.Equal(RunStatus.Succeeded, done!.Status);
        Assert.Equal(2, done.Attempts);
        Assert.Equal([1, 1, 1], (await store.ListResultsAsync("checkout")).Select(r => r.Version));
        // Handed back, not recovered by timeout: well inside the invisibility timeout and the lease.
        Assert.True(DateTime.UtcNow - stopped < TimeSpan.FromSeconds(8), $"took {DateTime.UtcNow - stopped}");
        await workerB.StopAsync();
    }

    [Fact]
    public async Task Two_workers_on_PostgreSQL_complete_500_queued_runs_exactly_once_and_share_them()
    {
        await using var database = await TestDatabase.CreateAsync(StoreProvider.PostgreSql);
        var source1 = new InMemoryDataSource();
        var source2 = new InMemoryDataSource();
        using var api = WorkerHost.Build(database, new InMemoryDataSource(), runServer: false);
        await api.StartAsync();
        var store = api.Services.GetRequiredService<ResultsStore>();
        var ids = Enumerable.Range(0, 500).Select(i => $"e{i:D3}").ToList();
        foreach (var id in ids)
            await store.SaveExperimentAsync(TestExperiments.Recent(id) with { Metrics = [new MetricDefinition("revenue", MetricKind.Mean, Cuped: true)], Guardrails = [] });
        var runs = new List<AnalysisRun>();
        foreach (var id in ids)
            runs.Add(await Enqueue(api, id));

        using var worker1 = WorkerHost.Build(database, source1, ("Jobs:ServerName", "worker-1"));
        using var worker2 = WorkerHost.Build(database, source2, ("Jobs:ServerName", "worker-2"));
        await Task.WhenAll(worker1.StartAsync(), worker2.StartAsync());
        var finished = await WorkerHost.WaitFor(async () => await Task.WhenAll(runs.Select(r => store.GetRunAsync(r.Id))),
            all => all.All(r => r!.IsTerminal), TimeSpan.FromMinutes(4));

        Assert.All(finished, r => Assert.Equal((RunStatus.Succeeded, 1), (r!.Status, r.Attempts)));
        foreach (var id in ids)
            Assert.Equal([1], (await store.ListResultsAsync(id)).Select(r => r.Version));
        Assert.Equal(500, source1.ContractChecks + source2.ContractChecks);
        Assert.True(source1.ContractChecks > 50 && source2.ContractChecks > 50, $"worker 1 ran {source1.ContractChecks}, worker 2 ran {source2.ContractChecks}");
        await Task.WhenAll(worker1.StopAsync(), worker2.StopAsync());
    }

    [Fact]
    public async Task Runs_of_one_experiment_never_overlap_across_workers()
    {
        await using var database = await TestDatabase.CreateAsync(StoreProvider.PostgreSql);
        // One source shared by both workers, so it sees every analysis of every experiment at once.
        var source = new InMemoryDataSource { QueryDelay = TimeSpan.FromMilliseconds(300) };
        using var worker1 = WorkerHost.Build(database, source, ("Jobs:ServerName", "worker-1"));
        using var worker2 = WorkerHost.Build(database, source, ("Jobs:ServerName", "worker-2"));
        await Task.WhenAll(worker1.StartAsync(), worker2.StartAsync());
        var store = worker1.Services.GetRequiredService<ResultsStore>();
        var experiments = new[] { "checkout", "pricing", "search" };
        foreach (var id in experiments)
            await store.SaveExperimentAsync(TestExperiments.Recent(id));

        // Three runs of each experiment queued at once (the queue itself does not refuse them; the API does).
        var runs = new List<AnalysisRun>();
        for (int round = 0; round < 3; round++)
            foreach (var id in experiments)
                runs.Add(await Enqueue(worker1, id));
        var finished = await WorkerHost.WaitFor(async () => await Task.WhenAll(runs.Select(r => store.GetRunAsync(r.Id))),
            all => all.All(r => r!.IsTerminal), Patience);

        Assert.All(finished, r => Assert.Equal(RunStatus.Succeeded, r!.Status));
        foreach (var id in experiments)
            Assert.Equal([1, 1, 1, 2, 2, 2, 3, 3, 3], (await store.ListResultsAsync(id)).Select(r => r.Version).Order());
        // The experiment's lease: never two analyses of one experiment at once, though four workers were free.
        Assert.Equal(1, source.MaxConcurrentPerExperiment);
        await Task.WhenAll(worker1.StopAsync(), worker2.StopAsync());
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task The_daily_job_queues_one_run_per_running_experiment_without_an_open_run(StoreProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        var source = new InMemoryDataSource { BlockInQueryUntilCancelled = true };
        using var host = WorkerHost.Build(database, source, ("Jobs:ScheduleDailyAnalysis", "true"), ("Jobs:DailyAnalysisCron", "* * * * * *"));
        var store = host.Services.GetRequiredService<ResultsStore>();
        await host.Services.GetRequiredService<SchemaMigrator>().MigrateAsync();
        await store.SaveExperimentAsync(TestExperiments.Recent("checkout"));
        await store.SaveExperimentAsync(TestExperiments.Recent("pricing"));
        await store.SaveExperimentAsync(TestExperiments.Recent("paused") with { Status = ExperimentStatus.Draft });
        await store.SaveExperimentAsync(TestExperiments.Recent("future") with
        {
            PrePeriod = new DateRange(DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-30), DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-1)),
            ExperimentWindow = new DateRange(DateOnly.FromDateTime(DateTime.UtcNow), DateOnly.FromDateTime(DateTime.UtcNow).AddDays(7)),
        });
        await host.StartAsync();

        // The cron fires every second here; runs block in their query, so they stay open and are not queued twice.
        var runs = await WorkerHost.WaitFor(async () => (await store.ListRunsAsync("checkout")).Concat(await store.ListRunsAsync("pricing")).ToList(),
            r => r.Count >= 2, Patience);
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.Single(await store.ListRunsAsync("checkout"));
        Assert.Single(await store.ListRunsAsync("pricing"));
        Assert.Empty(await store.ListRunsAsync("paused"));
        Assert.Empty(await store.ListRunsAsync("future"));
        Assert.All(runs, r => Assert.Equal("daily", r.Parameters.Trigger));
        using var connection = host.Services.GetRequiredService<JobStorage>().GetConnection();
        var recurring = connection.GetRecurringJobs();
        Assert.Equal(("* * * * * *", "UTC"), (Assert.Single(recurring).Cron, recurring[0].TimeZoneId));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_second_server_on_one_SQLite_job_file_is_refused_in_process_and_from_another_process()
    {
        await using var database = await TestDatabase.CreateAsync(StoreProvider.Sqlite);
        using var first = WorkerHost.Build(database, new InMemoryDataSource());
        await first.StartAsync();
        string file = first.Services.GetRequiredService<JobStore>().SqliteFile!;

        using var second = WorkerHost.Build(database, new InMemoryDataSource());
        var inProcess = await Assert.ThrowsAsync<InvalidOperationException>(() => second.StartAsync());
        await using var other = WorkerHost.StartProcess(database);
        Assert.False(await other.Started.WaitAsync(Patience));
        int exit = await other.ExitCodeAsync(Patience);

        foreach (string message in new[] { inProcess.Message, other.Output })
        {
            Assert.Contains($"Another Hangfire server already runs jobs from the SQLite file {file}", message);
            Assert.Contains("Jobs:Storage:Provider=PostgreSql", message);
        }
        Assert.Equal(3, exit);
        Assert.DoesNotContain("   at ", other.Output); // a plain message, no stack trace

        // Once the first stops, the file is free again.
        await first.StopAsync();
        await using var third = WorkerHost.StartProcess(database);
        Assert.True(await third.Started.WaitAsync(Patience), third.Output);
    }

    [Fact]
    public async Task Both_SQLite_libraries_work_in_one_process_on_one_native_SQLite()
    {
        // Microsoft.Data.Sqlite (the results store) and sqlite-net (Hangfire.Storage.SQLite) both bind
        // SQLitePCLRaw; the project pins its 3.x bundle so both run on the one e_sqlite3 it ships.
        await using var database = await TestDatabase.CreateAsync(StoreProvider.Sqlite);
        using var host = WorkerHost.Build(database, new InMemoryDataSource());
        await host.StartAsync();
        string jobFile = host.Services.GetRequiredService<JobStore>().SqliteFile!;

        await using var results = await host.Services.GetRequiredService<ResultsDatabase>().OpenAsync();
        await using var command = results.CreateCommand();
        command.CommandText = "SELECT sqlite_version()";
        string viaMicrosoftDataSqlite = (string)(await command.ExecuteScalarAsync())!;
        using var jobs = new SQLite.SQLiteConnection(jobFile);
        string viaSqliteNet = jobs.ExecuteScalar<string>("SELECT sqlite_version()");

        Assert.Equal(viaMicrosoftDataSqlite, viaSqliteNet);
        Assert.True(jobs.ExecuteScalar<long>("SELECT COUNT(*) FROM sqlite_master WHERE name = 'JobQueue'") == 1);
        // Interleaved use of both: a run recorded through one library, its job through the other, executed.
        var store = host.Services.GetRequiredService<ResultsStore>();
        await store.SaveExperimentAsync(TestExperiments.Recent("checkout"));
        var run = await Enqueue(host, "checkout");
        Assert.Equal(RunStatus.Succeeded, (await WaitForTerminal(store, run.Id))!.Status);
        await host.StopAsync();
    }

    private static async Task<AnalysisRun> Enqueue(IHost host, string experimentId)
    {
        using var scope = host.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<AnalysisQueue>().EnqueueAsync(experimentId, new AnalysisParameters("manual"));
    }

    private static Task<AnalysisRun?> WaitForTerminal(ResultsStore store, Guid runId) =>
        WorkerHost.WaitFor(() => store.GetRunAsync(runId), r => r!.IsTerminal, Patience);

    private static async Task WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition() && DateTime.UtcNow < deadline)
            await Task.Delay(100);
    }
}
