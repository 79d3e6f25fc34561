using System.Diagnostics;
using System.Text;

namespace Experiments.Jobs.Store.Tests.Infrastructure;

/// <summary>
/// This program run as a real process, for the job tests and the jobs benchmark: configured on its
/// command line, killed with SIGKILL, or refused at start-up (its output says why).
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

    /// <summary>Starts the worker with <paramref name="settings"/> as <c>--key=value</c> arguments, in <paramref name="workingDirectory"/> when given.</summary>
    public static WorkerProcess Start(IReadOnlyDictionary<string, string?> settings, string? workingDirectory = null)
    {
        // This type lives in the worker's own assembly, so its location is the program to run.
        string worker = typeof(WorkerProcess).Assembly.Location;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null)
            start.WorkingDirectory = workingDirectory;
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(worker);
        foreach (var (key, value) in settings)
            start.ArgumentList.Add($"--{key}={value}");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var started = new WorkerProcess(process);
        process.OutputDataReceived += (_, e) => started.Received(e.Data);
        process.ErrorDataReceived += (_, e) => started.Received(e.Data);
        process.Exited += (_, _) => started._started.TrySetResult(false);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

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
