using Experiments.Jobs.Analysis;
using Experiments.Jobs.Results;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Experiments.Jobs.Store.Tests.Infrastructure;

/// <summary>The analysis service over a real, migrated database, the in-memory data source and a test clock.</summary>
public sealed class Harness : IAsyncDisposable
{
    private Harness(TestDatabase database, ResultsStore store, InMemoryDataSource source, TestClock clock, AnalysisService service, RecordingLogger<AnalysisService> log)
    {
        Database = database;
        Store = store;
        Source = source;
        Clock = clock;
        Service = service;
        Log = log;
    }

    public TestDatabase Database { get; }
    public ResultsStore Store { get; }
    public InMemoryDataSource Source { get; }
    public TestClock Clock { get; }
    public AnalysisService Service { get; }
    public RecordingLogger<AnalysisService> Log { get; }

    public static async Task<Harness> CreateAsync(StoreProvider provider, AnalysisOptions? options = null, InMemoryDataSource? source = null)
    {
        var database = await TestDatabase.CreateAsync(provider);
        var clock = new TestClock(TestExperiments.DuringExperiment);
        var opened = database.Open();
        await new SchemaMigrator(opened, NullLogger<SchemaMigrator>.Instance, clock).MigrateAsync();
        var store = new ResultsStore(opened, clock);
        source ??= new InMemoryDataSource();
        var log = new RecordingLogger<AnalysisService>();
        var service = new AnalysisService(store, source, clock,
            Options.Create(options ?? new AnalysisOptions { RetryInitialDelay = TimeSpan.FromSeconds(10), MaxAttempts = 3 }), log);
        return new Harness(database, store, source, clock, service, log);
    }

    /// <summary>Stores the experiment and queues a run with the default window.</summary>
    public async Task<AnalysisRun> QueueAsync(ExperimentDefinition experiment)
    {
        await Store.SaveExperimentAsync(experiment);
        return await Service.CreateRunAsync(experiment.Id, new AnalysisParameters("manual"));
    }

    public ValueTask DisposeAsync() => Database.DisposeAsync();
}

/// <summary>Builds worker hosts (migrations, Hangfire's client and server, the jobs) the way the worker and the API do.</summary>
public static class WorkerHost
{
    /// <summary>
    /// Settings that make the jobs quick to observe: sub-second polling, a 3-second experiment lease,
    /// a short invisibility timeout on PostgreSQL (sliding, so only recovery waits for it) and, on
    /// SQLite, one above the one-minute attempt timeout as start-up demands.
    /// </summary>
    public static Dictionary<string, string?> Settings(TestDatabase database) => new(database.Configuration)
    {
        ["Jobs:ScheduleDailyAnalysis"] = "false",
        ["Jobs:SchedulePollingInterval"] = "00:00:00.500",
        ["Jobs:ShutdownTimeout"] = "00:00:05",
        ["Jobs:Storage:QueuePollInterval"] = "00:00:00.200",
        ["Jobs:Storage:InvisibilityTimeout"] = database.Provider == StoreProvider.PostgreSql ? "00:00:10" : "00:02:00",
        ["Analysis:AttemptTimeout"] = "00:01:00",
        ["Analysis:LeaseDuration"] = "00:00:03",
        ["Analysis:RetryInitialDelay"] = "00:00:00.100",
        ["Analysis:MaxAttempts"] = "3",
    };

    /// <summary>A host running a Hangfire server over <paramref name="database"/> with <paramref name="source"/> as the data source.</summary>
    public static IHost Build(TestDatabase database, InMemoryDataSource source, params (string Key, string Value)[] settings) =>
        Build(database, source, runServer: true, settings);

    /// <summary>A host that runs a Hangfire server, or (<paramref name="runServer"/> false) only enqueues, as a scale-out API does.</summary>
    public static IHost Build(TestDatabase database, InMemoryDataSource source, bool runServer, params (string Key, string Value)[] settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = Path.GetTempPath() });
        var values = Settings(database);
        foreach (var (key, value) in settings)
            values[key] = value;
        builder.Configuration.AddInMemoryCollection(values);
        builder.Services.AddSingleton<IExperimentDataSource>(source);
        builder.Services.AddExperimentsJobs(builder.Configuration, runServer);
        return builder.Build();
    }

    /// <summary>A real worker process (tests/Experiments.Jobs.TestWorker) with the test settings of <paramref name="database"/> and <paramref name="settings"/> on top.</summary>
    public static WorkerProcess StartProcess(TestDatabase database, params (string Key, string Value)[] settings)
    {
        var values = Settings(database);
        foreach (var (key, value) in settings)
            values[key] = value;
        return WorkerProcess.Start(values);
    }

    /// <summary>Polls until <paramref name="done"/> holds or the time is up.</summary>
    public static async Task<T> WaitFor<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > deadline)
                return value;
            await Task.Delay(100);
        }
    }
}
