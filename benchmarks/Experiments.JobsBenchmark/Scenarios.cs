using System.Diagnostics;
using Experiments.Engine.AbTesting;
using Experiments.Jobs.Analysis;
using Experiments.Jobs.Results;
using Experiments.Jobs.Scheduling;
using Experiments.Jobs.Store.Tests.Infrastructure;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Experiments.JobsBenchmark;

/// <summary>Queue-to-start times of runs queued one at a time: from the enqueue's return to the run's start.</summary>
/// <param name="ToContractCheck">To the data source's contract check being entered (in-process only), ms.</param>
/// <param name="ToStartedAt">To the attempt's start as the store records it (<see cref="AnalysisRun.StartedAt"/>, ms precision), ms.</param>
public sealed record LatencyFigure(IReadOnlyList<double>? ToContractCheck, IReadOnlyList<double> ToStartedAt);

/// <summary>A batch of runs queued beforehand and executed by one worker host.</summary>
/// <param name="Enqueue">Queueing them, one after another, with no server running.</param>
/// <param name="Wall">The worker host's start → every run terminal.</param>
/// <param name="MeanAttempt">The mean time from an attempt's start to its run's end, as the store records them (the analysis service's own share of a job).</param>
/// <param name="MeanSourceAndEngine">Of which the contract check, query and engine stages (the in-memory source and the statistics), mean.</param>
public sealed record ThroughputFigure(int Runs, TimeSpan Enqueue, TimeSpan Wall, TimeSpan MeanAttempt, TimeSpan MeanSourceAndEngine)
{
    /// <summary>Runs per second over the wall time.</summary>
    public double RunsPerSecond => Runs / Wall.TotalSeconds;
}

/// <summary>One recovery: SIGKILL of the worker running the run → the run started and succeeded on the surviving worker.</summary>
/// <param name="ToRestart">Kill → the survivor's contract check of the run.</param>
/// <param name="ToSucceeded">Kill → the run succeeded in the store.</param>
/// <param name="HangfireJobs">Jobs the survivor ran for it: 1 when it took the dead worker's job, 2 when that attempt found the dead worker's lease still live and scheduled the next.</param>
public sealed record RecoveryFigure(TimeSpan ToRestart, TimeSpan ToSucceeded, long HangfireJobs);

/// <summary>The settings a host ran with, read back from its options (the production defaults unless a scenario says otherwise).</summary>
public sealed record EffectiveSettings(TimeSpan QueuePollInterval, TimeSpan SchedulePollingInterval, int WorkerCount, TimeSpan InvisibilityTimeout, TimeSpan LeaseDuration)
{
    public static EffectiveSettings Of(IHost host)
    {
        var jobs = host.Services.GetRequiredService<IOptions<JobsOptions>>().Value;
        var store = host.Services.GetRequiredService<JobStore>();
        var analysis = host.Services.GetRequiredService<IOptions<AnalysisOptions>>().Value;
        return new EffectiveSettings(store.QueuePollInterval, jobs.SchedulePollingInterval, jobs.WorkerCount, store.InvisibilityTimeout, analysis.LeaseDuration);
    }
}

/// <summary>The figures, each on a fresh store.</summary>
public sealed class Scenarios(string? postgresServer, Action<string> progress)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    /// <summary>The settings each storage's hosts ran with, as read back from the first host built on it.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<StoreProvider, EffectiveSettings> Settings { get; } = new();

    /// <summary>
    /// Runs queued one at a time, <paramref name="gap"/> apart, distinct experiments, onto a worker host in
    /// this process (the API that runs its own jobs, or a daily job enqueuing on a worker): enqueue's
    /// return → the contract check entered. After <paramref name="warmUp"/> runs that are not counted.
    /// </summary>
    public async Task<LatencyFigure> LatencyInProcessAsync(StoreProvider provider, int runs, TimeSpan gap, int warmUp)
    {
        await using var database = await BenchDatabase.CreateAsync(provider, postgresServer);
        var source = new TimingDataSource(new InMemoryDataSource());
        using var host = WorkerHosts.Build(database, source, runServer: true);
        await host.StartAsync();
        Settings.TryAdd(provider, EffectiveSettings.Of(host));
        var store = host.Services.GetRequiredService<ResultsStore>();
        var results = host.Services.GetRequiredService<ResultsDatabase>();
        await SaveExperimentsAsync(store, "warm", warmUp);
        var ids = await SaveExperimentsAsync(store, "lat", runs);

        await WarmUpAsync(host, results, warmUp);
        var queued = new List<(AnalysisRun Run, long At, DateTimeOffset Wall)>(runs);
        foreach (string id in ids)
        {
            var run = await WorkerHosts.EnqueueAsync(host, id);
            queued.Add((run, Stopwatch.GetTimestamp(), DateTimeOffset.UtcNow));
            await Task.Delay(gap);
        }
        await WaitForTerminalAsync(results, warmUp + runs);

        var toContract = new List<double>(runs);
        var toStarted = new List<double>(runs);
        foreach (var (run, at, wall) in queued)
        {
            long entered = source.EnteredAt(run.ExperimentId) ?? throw new InvalidOperationException($"Run {run.Id} never reached its contract check.");
            toContract.Add(Stopwatch.GetElapsedTime(at, entered).TotalMilliseconds);
            toStarted.Add(await StartedAfterAsync(store, run, wall));
        }
        Check(source.ContractChecks == warmUp + runs, $"{source.ContractChecks} contract checks for {warmUp + runs} runs");
        await host.StopAsync();
        return new LatencyFigure(toContract, toStarted);
    }

    /// <summary>
    /// The scale-out arrangement: an enqueue-only host in this process (an API replica), the worker in a
    /// process of its own (tests/Experiments.Jobs.TestWorker), so nothing in-process can wake it: enqueue's
    /// return → the attempt's start as recorded in the store.
    /// </summary>
    public async Task<LatencyFigure> LatencyAcrossProcessesAsync(StoreProvider provider, int runs, TimeSpan gap, int warmUp)
    {
        await using var database = await BenchDatabase.CreateAsync(provider, postgresServer);
        await using var worker = WorkerProcesses.Start(database, ("Jobs:ServerName", "benchmark-worker"));
        Check(await worker.Started.WaitAsync(Patience), "The worker process did not start:\n" + worker.Output);
        using var api = WorkerHosts.Build(database, new TimingDataSource(new InMemoryDataSource()), runServer: false);
        await api.StartAsync();
        var store = api.Services.GetRequiredService<ResultsStore>();
        var results = api.Services.GetRequiredService<ResultsDatabase>();
        await SaveExperimentsAsync(store, "warm", warmUp);
        var ids = await SaveExperimentsAsync(store, "lat", runs);

        await WarmUpAsync(api, results, warmUp);
        var queued = new List<(AnalysisRun Run, DateTimeOffset Wall)>(runs);
        foreach (string id in ids)
        {
            var run = await WorkerHosts.EnqueueAsync(api, id);
            queued.Add((run, DateTimeOffset.UtcNow));
            await Task.Delay(gap);
        }
        await WaitForTerminalAsync(results, warmUp + runs);

        var toStarted = new List<double>(runs);
        foreach (var (run, wall) in queued)
            toStarted.Add(await StartedAfterAsync(store, run, wall));
        await api.StopAsync();
        return new LatencyFigure(null, toStarted);
    }

    /// <summary>
    /// <paramref name="runs"/> runs of distinct single-metric experiments, queued back to back by an
    /// enqueue-only host (as the daily job or an API replica queues them) while no server runs, then one
    /// worker host started in this process: its start → every run terminal.
    /// </summary>
    public async Task<ThroughputFigure> ThroughputAsync(StoreProvider provider, int runs)
    {
        await using var database = await BenchDatabase.CreateAsync(provider, postgresServer);
        using var api = WorkerHosts.Build(database, new TimingDataSource(new InMemoryDataSource()), runServer: false);
        await api.StartAsync();
        var store = api.Services.GetRequiredService<ResultsStore>();
        var results = api.Services.GetRequiredService<ResultsDatabase>();
        var ids = await SaveExperimentsAsync(store, "tp", runs);

        long enqueueStart = Stopwatch.GetTimestamp();
        foreach (string id in ids)
            await WorkerHosts.EnqueueAsync(api, id);
        var enqueue = Stopwatch.GetElapsedTime(enqueueStart);
        progress($"  queued {runs} runs in {enqueue.TotalSeconds:0.0} s");

        var source = new TimingDataSource(new InMemoryDataSource());
        using var worker = WorkerHosts.Build(database, source, runServer: true);
        long start = Stopwatch.GetTimestamp();
        await worker.StartAsync();
        var (succeeded, failed) = await WaitForTerminalAsync(results, runs, TimeSpan.FromMinutes(10), TimeSpan.FromMilliseconds(100));
        var wall = Stopwatch.GetElapsedTime(start);
        Settings.TryAdd(provider, EffectiveSettings.Of(worker));

        Check(succeeded == runs && failed == 0, $"{succeeded} succeeded and {failed} failed of {runs}");
        Check(source.ContractChecks == runs, $"{source.ContractChecks} contract checks for {runs} runs");
        var meanAttempt = await WorkerHosts.MeanAttemptAsync(results);
        await worker.StopAsync();
        await api.StopAsync();
        return new ThroughputFigure(runs, enqueue, wall, meanAttempt.Attempt, meanAttempt.SourceAndEngine);
    }

    /// <summary>
    /// PostgreSQL: a worker process takes a run and hangs in its query; a surviving worker host starts in
    /// this process; the process is killed with SIGKILL; kill → the run succeeded on the survivor. Each
    /// recovery has its own database, worker process and surviving host, so several can run at once.
    /// </summary>
    public async Task<RecoveryFigure> RecoveryAsync(string name)
    {
        await using var database = await BenchDatabase.CreateAsync(StoreProvider.PostgreSql, postgresServer);
        using var api = WorkerHosts.Build(database, new TimingDataSource(new InMemoryDataSource()), runServer: false);
        await api.StartAsync(); // migrates the results store before the worker process starts
        var store = api.Services.GetRequiredService<ResultsStore>();
        const string experiment = "recovery";
        await store.SaveExperimentAsync(Experiment(experiment));

        await using var doomed = WorkerProcesses.Start(database, ("TestWorker:HangInQuery", "true"), ("Jobs:ServerName", $"doomed-worker-{name}"));
        Check(await doomed.Started.WaitAsync(Patience), "The worker process did not start:\n" + doomed.Output);
        var run = await WorkerHosts.EnqueueAsync(api, experiment);
        await WorkerHosts.WaitForAsync(() => store.GetRunAsync(run.Id), r => r is { Status: RunStatus.Running, Stage: RunStage.Query },
            Patience, TimeSpan.FromMilliseconds(50), "the worker process to reach the run's query");

        var source = new TimingDataSource(new InMemoryDataSource());
        using var survivor = WorkerHosts.Build(database, source, runServer: true, ("Jobs:ServerName", $"surviving-worker-{name}"));
        await survivor.StartAsync();
        Settings.TryAdd(StoreProvider.PostgreSql, EffectiveSettings.Of(survivor));

        long killed = Stopwatch.GetTimestamp();
        await doomed.KillAsync();
        progress($"  recovery {name}: worker process killed");
        var done = await WorkerHosts.WaitForAsync(() => store.GetRunAsync(run.Id), r => r!.IsTerminal,
            Patience, TimeSpan.FromMilliseconds(50), "the run to finish on the surviving worker");
        var toSucceeded = Stopwatch.GetElapsedTime(killed);

        Check(done is { Status: RunStatus.Succeeded, Attempts: 2 }, $"run ended {done!.Status} after {done.Attempts} attempts: {done.Reason}");
        Check(source.ContractChecks == 1, $"the survivor checked the contract {source.ContractChecks} times");
        var toRestart = Stopwatch.GetElapsedTime(killed, source.EnteredAt(experiment)!.Value);
        var monitoring = survivor.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
        // The job's success is recorded just after the run's: wait for it so the count is complete.
        long jobs = await WorkerHosts.WaitForAsync(() => Task.FromResult(monitoring.SucceededListCount()), n => n >= 1,
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100), "the Hangfire job to be recorded as succeeded");
        await survivor.StopAsync();
        await api.StopAsync();
        return new RecoveryFigure(toRestart, toSucceeded, jobs);
    }

    /// <summary>A running A/B test with one CUPED metric (revenue), as the tests' 500-run scenario uses, over the last ten days.</summary>
    public static ExperimentDefinition Experiment(string id)
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        return new ExperimentDefinition
        {
            Id = id,
            Name = $"Benchmark experiment {id}",
            Type = ExperimentType.Ab,
            Metrics = [new MetricDefinition("revenue", MetricKind.Mean, Cuped: true)],
            Variants = [new VariantDefinition("control", 0.5), new VariantDefinition("treatment", 0.5)],
            Control = "control",
            PrePeriod = new DateRange(today.AddDays(-40), today.AddDays(-11)),
            ExperimentWindow = new DateRange(today.AddDays(-10), today.AddDays(10)),
            ConversionWindowDays = 3,
            Status = ExperimentStatus.Running,
        };
    }

    private static async Task<List<string>> SaveExperimentsAsync(ResultsStore store, string prefix, int count)
    {
        var ids = Enumerable.Range(0, count).Select(i => $"{prefix}-{i:D4}").ToList();
        foreach (string id in ids)
            await store.SaveExperimentAsync(Experiment(id));
        return ids;
    }

    /// <summary>Runs the warm-up experiments one after another (JIT, connection pools, Hangfire's first fetches), uncounted.</summary>
    private async Task WarmUpAsync(IHost host, ResultsDatabase results, int count)
    {
        for (int i = 0; i < count; i++)
        {
            await WorkerHosts.EnqueueAsync(host, $"warm-{i:D4}");
            await WaitForTerminalAsync(results, i + 1);
        }
        progress($"  warmed up with {count} runs");
    }

    private static Task<(int Succeeded, int Failed)> WaitForTerminalAsync(ResultsDatabase results, int total) =>
        WaitForTerminalAsync(results, total, Patience, TimeSpan.FromMilliseconds(100));

    private static Task<(int Succeeded, int Failed)> WaitForTerminalAsync(ResultsDatabase results, int total, TimeSpan timeout, TimeSpan every) =>
        WorkerHosts.WaitForAsync(() => WorkerHosts.CountTerminalAsync(results), c => c.Succeeded + c.Failed >= total, timeout, every,
            $"{total} runs to finish");

    private static async Task<double> StartedAfterAsync(ResultsStore store, AnalysisRun queued, DateTimeOffset enqueuedAt)
    {
        var run = await store.GetRunAsync(queued.Id) ?? throw new InvalidOperationException($"Run {queued.Id} vanished.");
        Check(run is { Status: RunStatus.Succeeded, Attempts: 1 }, $"run {run.Id} ended {run.Status} after {run.Attempts} attempts: {run.Reason}");
        return (run.StartedAt!.Value - enqueuedAt).TotalMilliseconds;
    }

    private static void Check(bool condition, string problem)
    {
        if (!condition)
            throw new InvalidOperationException("Benchmark invariant broken: " + problem);
    }
}
