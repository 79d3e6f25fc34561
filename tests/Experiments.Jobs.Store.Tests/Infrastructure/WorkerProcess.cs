using System.Diagnostics;
using System.Text;

namespace Experiments.Jobs.Store.Tests.Infrastructure;

/// <summary>
/// A real worker process (tests/Experiments.Jobs.TestWorker: the worker host over the in-memory data
/// source) on a test database, to be killed with SIGKILL or refused at start-up.
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

    /// <summary>Starts a worker with the test settings of <paramref name="database"/> and <paramref name="settings"/> on top.</summary>
    public static WorkerProcess Start(TestDatabase database, params (string Key, string Value)[] settings)
    {
        var values = WorkerHost.Settings(database);
        foreach (var (key, value) in settings)
            values[key] = value;
        string worker = Path.Combine(AppContext.BaseDirectory, "Experiments.Jobs.TestWorker.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
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

    /// <summary>True once it printed "started"; false when it exited first.</summary>
    public Task<bool> Started => _started.Task;

    /// <summary>Its exit code, waiting for it to end.</summary>
    public async Task<int> ExitCodeAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown code runs, nothing is handed back.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

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
