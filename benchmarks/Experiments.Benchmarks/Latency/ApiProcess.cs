using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace Experiments.Benchmarks.Latency;

/// <summary>
/// Experiments.Api run as a child process on a free loopback port in the Production environment,
/// stopped on dispose.
/// </summary>
public sealed class ApiProcess : IDisposable
{
    private const int OutputLinesKept = 40;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly Queue<string> _output = new();

    private ApiProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    /// <summary>Where the API listens.</summary>
    public Uri BaseAddress { get; }

    /// <summary>
    /// Builds Experiments.Api if its dll is missing (normally the project reference has built it
    /// with this harness), starts it with <c>dotnet Experiments.Api.dll --urls http://127.0.0.1:PORT</c>
    /// and waits until <c>GET /health</c> answers 200.
    /// </summary>
    /// <exception cref="InvalidOperationException">It does not build, exits, or is not healthy in time.</exception>
    public static async Task<ApiProcess> StartAsync(HttpClient client)
    {
        string dll = await LocateOrBuildAsync();
        var baseAddress = new Uri($"http://127.0.0.1:{FreeLoopbackPort()}");
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(baseAddress.ToString().TrimEnd('/'));
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {dll}.");
        var api = new ApiProcess(process, baseAddress);
        process.OutputDataReceived += (_, e) => api.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => api.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await api.WaitUntilHealthyAsync(client);
        }
        catch
        {
            api.Dispose();
            throw;
        }
        return api;
    }

    /// <summary>The child's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Stops the API (and anything it started) and waits for it to exit.</summary>
    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }

    private async Task WaitUntilHealthyAsync(HttpClient client)
    {
        var deadline = Stopwatch.StartNew();
        var health = new Uri(BaseAddress, "/health");
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The API exited with code {_process.ExitCode} before it was healthy. Its last output:\n{RecentOutput()}");
            try
            {
                using var response = await client.GetAsync(health);
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            if (deadline.Elapsed > StartTimeout)
                throw new InvalidOperationException($"GET {health} did not answer 200 within {StartTimeout.TotalSeconds} s. The API's last output:\n{RecentOutput()}");
            await Task.Delay(100);
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        lock (_output)
        {
            _output.Enqueue(line);
            if (_output.Count > OutputLinesKept)
                _output.Dequeue();
        }
    }

    private string RecentOutput()
    {
        lock (_output)
            return string.Join('\n', _output);
    }

    private static async Task<string> LocateOrBuildAsync()
    {
        // This harness runs from benchmarks/Experiments.Benchmarks/bin/<Configuration>/<tfm>/; the
        // API's output of the same configuration and framework sits in Experiments.Api/bin/.
        var outputDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = outputDirectory.Name;
        string configuration = outputDirectory.Parent?.Name
            ?? Assembly.GetExecutingAssembly().GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration
            ?? "Release";
        var root = outputDirectory;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Experiments.sln")))
            root = root.Parent;
        if (root is null)
            throw new InvalidOperationException($"No Experiments.sln above {AppContext.BaseDirectory}; pass --url of a running API instead.");
        string project = Path.Combine(root.FullName, "Experiments.Api", "Experiments.Api.csproj");
        string dll = Path.Combine(root.FullName, "Experiments.Api", "bin", configuration, framework, "Experiments.Api.dll");
        if (File.Exists(dll))
            return dll;

        Console.WriteLine($"Building {project} ({configuration})…");
        var build = new ProcessStartInfo(DotnetHost()) { UseShellExecute = false };
        foreach (var argument in new[] { "build", project, "-c", configuration, "--nologo", "-v", "quiet" })
            build.ArgumentList.Add(argument);
        using var builder = Process.Start(build) ?? throw new InvalidOperationException("Could not start dotnet build.");
        await builder.WaitForExitAsync();
        if (builder.ExitCode != 0 || !File.Exists(dll))
            throw new InvalidOperationException($"dotnet build of {project} failed (exit {builder.ExitCode}) or did not produce {dll}.");
        return dll;
    }

    private static string DotnetHost() => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    private static int FreeLoopbackPort()
    {
        // Bind port 0 and read back the port the OS chose; the API binds it a moment later.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
