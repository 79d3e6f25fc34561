using System.Diagnostics;
using System.Text;
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

    /// <summary>The mean of finished − started over the store's finished runs.</summary>
    public static async Task<TimeSpan> MeanAttemptAsync(ResultsDatabase database)
    {
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT AVG(finished_at_ms - started_at_ms) FROM analysis_runs WHERE finished_at_ms IS NOT NULL";
        object? mean = await command.ExecuteScalarAsync();
        return mean is null or DBNull ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Convert.ToDouble(mean, System.Globalization.CultureInfo.InvariantCulture));
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
/// A real worker process: tests/Experiments.Jobs.TestWorker (the worker host over the in-memory data
/// source), configured on its command line with the scenario's settings, its working folder the
/// scenario's. The recovery figure kills it with SIGKILL.
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<bool> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WorkerProcess(Process process)
    {
        _process = process;
    }

    /// <summary>Everything it printed, both streams.</summary>
    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    /// <summary>True once it printed "started" (its Hangfire server runs); false when it exited first.</summary>
    public Task<bool> Started => _started.Task;

    /// <summary>Starts a worker over <paramref name="database"/> with <paramref name="settings"/> on top of the production defaults.</summary>
    public static WorkerProcess Start(BenchDatabase database, params (string Key, string Value)[] settings)
    {
        var values = database.Settings();
        values["Logging:LogLevel:Default"] = "Warning";
        foreach (var (key, value) in settings)
            values[key] = value;
        string worker = Path.Combine(AppContext.BaseDirectory, "Experiments.Jobs.TestWorker.dll");
        if (!File.Exists(worker))
            throw new InvalidOperationException($"{worker} is missing; build the benchmark project (it references the test worker).");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = database.Folder,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(worker);
        foreach (var (key, value) in values)
            start.ArgumentList.Add($"--{key}={value}");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var worker_ = new WorkerProcess(process);
        process.OutputDataReceived += (_, e) => worker_.Received(e.Data);
        process.ErrorDataReceived += (_, e) => worker_.Received(e.Data);
        process.Exited += (_, _) => worker_._started.TrySetResult(false);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker_;
    }

    /// <summary>SIGKILL, by process id: no shutdown code runs, nothing is handed back.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
            await KillAsync();
        _process.Dispose();
    }

    private void Received(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
        if (line == "started")
            _started.TrySetResult(true);
    }
}
