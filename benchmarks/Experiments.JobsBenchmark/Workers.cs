using System.Diagnostics;
using Experiments.Jobs.Store.Tests.Infrastructure;
using Experiments.Jobs.Analysis;
using Experiments.Jobs.Results;
using Experiments.Jobs.Scheduling;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Experiments.JobsBenchmark;

/// <summary>In-process hosts built the way the worker builds its own: the embedded production defaults, then the scenario's settings.</summary>
public static class WorkerHosts
{
    /// <summary>
    /// A host over <paramref name="database"/>: a Hangfire server with <paramref name="source"/> as the data
    /// source, or (<paramref name="runServer"/> false) an enqueue-only host, as a scale-out API is.
    /// </summary>
    public static IHost Build(BenchDatabase database, IExperimentDataSource source, bool runServer, params (string Key, string Value)[] settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = database.Folder });
        builder.Configuration.AddExperimentsJobsDefaults();
        var values = database.Settings();
        foreach (var (key, value) in settings)
            values[key] = value;
        builder.Configuration.AddInMemoryCollection(values);
        // Warnings and errors only, on standard error: standard output carries the table.
        builder.Logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(source);
        builder.Services.AddExperimentsJobs(builder.Configuration, runServer);
        return builder.Build();
    }

    /// <summary>Queues a run of the experiment through <see cref="AnalysisQueue"/>, as the API does.</summary>
    public static async Task<AnalysisRun> EnqueueAsync(IHost host, string experimentId)
    {
        using var scope = host.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<AnalysisQueue>().EnqueueAsync(experimentId, new AnalysisParameters("benchmark"));
    }

    /// <summary>How many runs of the store are succeeded and failed, in one query (cheap to poll while a thousand runs are in flight).</summary>
    public static async Task<(int Succeeded, int Failed)> CountTerminalAsync(ResultsDatabase database)
    {
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT status, COUNT(*) FROM analysis_runs WHERE status IN ('succeeded', 'failed') GROUP BY status";
        int succeeded = 0, failed = 0;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            int count = Convert.ToInt32(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture);
            if (reader.GetString(0) == "succeeded")
                succeeded = count;
            else
                failed = count;
        }
        return (succeeded, failed);
    }

    /// <summary>
    /// Over the store's finished runs: the mean of finished − started (an attempt, as the store records
    /// it), and the mean of the contract check, query and engine stages (the data source and the
    /// statistics; the rest of an attempt is the store's own writes: lease, stages, publication).
    /// </summary>
    public static async Task<(TimeSpan Attempt, TimeSpan SourceAndEngine)> MeanAttemptAsync(ResultsDatabase database)
    {
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT AVG(finished_at_ms - started_at_ms), AVG(contract_check_ms + query_ms + engine_ms)
            FROM analysis_runs WHERE finished_at_ms IS NOT NULL
            """;
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        static TimeSpan Ms(object value) =>
            value is DBNull ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture));
        return (Ms(reader.GetValue(0)), Ms(reader.GetValue(1)));
    }

    /// <summary>Polls every <paramref name="every"/> until <paramref name="done"/> holds; throws when the time is up.</summary>
    public static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, TimeSpan every, string what)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var value = await read();
            if (done(value))
                return value;
            if (Stopwatch.GetTimestamp() > deadline)
                throw new TimeoutException($"Gave up after {timeout.TotalSeconds:0} s waiting for {what}; last seen: {value}");
            await Task.Delay(every);
        }
    }
}

/// <summary>
/// The test worker (tests/Experiments.Jobs.TestWorker: the worker host over the in-memory data
/// source) as a process, configured with the scenario's settings, its working folder the scenario's.
/// The recovery figure kills it with SIGKILL.
/// </summary>
public static class WorkerProcesses
{
    /// <summary>Starts a worker over <paramref name="database"/> with <paramref name="settings"/> on top of the production defaults.</summary>
    public static WorkerProcess Start(BenchDatabase database, params (string Key, string Value)[] settings)
    {
        var values = database.Settings();
        values["Logging:LogLevel:Default"] = "Warning";
        foreach (var (key, value) in settings)
            values[key] = value;
        return WorkerProcess.Start(values, database.Folder);
    }
}
