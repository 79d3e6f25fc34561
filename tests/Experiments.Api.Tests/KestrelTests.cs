using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Experiments.Api.Tests;

/// <summary>
/// The service as a user starts it: its own process, Kestrel on the loopback address that
/// <c>--urls</c> names, real sockets, the embedded defaults (a Hangfire server in-process) and only the
/// results store's file moved to a temporary folder.
/// </summary>
public class KestrelTests
{
    [Fact]
    public async Task ServiceListensWhereUrlsSaysAndAnswersOverRealHttp()
    {
        await using var service = await ServiceProcess.StartAsync();
        var client = service.Client;

        using var content = new StringContent(
            """{"variants":[{"name":"control","n":1000,"sumY":5000,"sumY2":40000},{"name":"treatment","n":1000,"sumY":5200,"sumY2":42000}]}""",
            Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("/api/v1/stats/ab", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"variant\":\"treatment\"", body);

        // Structured analysis log with the engine version and stage durations.
        await Task.Delay(200);
        Assert.Contains("A/B analysis (single): metric Mean", service.Output);
    }

    [Fact]
    public async Task ByDefaultOneProcessRegistersQueuesAndRunsAnalyses()
    {
        await using var service = await ServiceProcess.StartAsync();
        var client = service.Client;

        (await client.Put("/api/v1/experiments/one-process", TestExperiments.Json(TestExperiments.Checkout("one-process")))).Expect(HttpStatusCode.Created);
        var queued = await client.Post("/api/v1/experiments/one-process/analyses");
        queued.Expect(HttpStatusCode.Accepted);
        var run = await client.WaitForRun(queued.Location!.OriginalString);

        // Executed by the Hangfire server in this process; no data source is registered yet, and the run says so.
        Assert.Equal("failed", run["status"]!.GetValue<string>());
        Assert.Contains("No experiment data source is configured", run["reason"]!.GetValue<string>());
        Assert.True(File.Exists(service.DatabaseFile), $"the results store should be {service.DatabaseFile}");
    }

    [Fact]
    public async Task TheJobsDashboardServesAnAdminKeyItsPageScriptsAndStyles()
    {
        await using var service = await ServiceProcess.StartAsync();
        var client = service.Client;

        using var page = await client.GetAsync("/jobs");
        string html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Experiments — analysis jobs", html);
        var assets = System.Text.RegularExpressions.Regex.Matches(html, "(?:src|href)=\"(/jobs/(?:js|css)[^\"]*)\"")
            .Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.Contains(assets, a => a.StartsWith("/jobs/js", StringComparison.Ordinal));
        Assert.Contains(assets, a => a.StartsWith("/jobs/css", StringComparison.Ordinal));
        foreach (string asset in assets)
        {
            using var response = await client.GetAsync(asset);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{asset}: {(int)response.StatusCode}");
        }
        using var recurring = await client.GetAsync("/jobs/recurring");
        Assert.Contains("analyse-running-experiments", await recurring.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheFirstStartCreatesAnAdminKeyInAFileOnlyItsOwnerReadsAndNeverLogsIt()
    {
        await using var service = await ServiceProcess.StartAsync();
        string file = Path.Combine(service.Folder, "admin-key");

        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.StartsWith("exp_", service.AdminKey);
        Assert.True(service.AdminKey.Length >= 47, "256 bits in base64url are 43 characters after the prefix");
        Assert.Contains($"wrote it to {file}", service.Output);
        Assert.DoesNotContain(service.AdminKey, service.Output);
        using var keys = await service.Client.GetAsync("/api/v1/keys");
        Assert.Equal(HttpStatusCode.OK, keys.StatusCode);
        Assert.DoesNotContain(service.AdminKey, await keys.Content.ReadAsStringAsync());
        using var anonymous = new HttpClient { BaseAddress = service.Client.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/experiments")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/jobs")).StatusCode);
    }

    /// <summary>The service in a process of its own, stopped and its results store deleted on dispose.</summary>
    private sealed class ServiceProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output;
        private readonly string _folder;

        private ServiceProcess(Process process, StringBuilder output, string folder, HttpClient client)
        {
            _process = process;
            _output = output;
            _folder = folder;
            Client = client;
        }

        public HttpClient Client { get; }

        public string AdminKey { get; private set; } = "";

        public string Folder => _folder;

        public string DatabaseFile => Path.Combine(_folder, "experiments.db");

        public string Output
        {
            get { lock (_output) return _output.ToString(); }
        }

        public static async Task<ServiceProcess> StartAsync()
        {
            int port = FreePort();
            string url = $"http://127.0.0.1:{port}";
            string folder = Path.Combine(Path.GetTempPath(), "experiments-api-tests", Guid.NewGuid().ToString("N"));
            var start = new ProcessStartInfo("dotnet",
            [
                Path.Combine(AppContext.BaseDirectory, "Experiments.Api.dll"), "--urls", url,
                $"--ResultsStore:ConnectionString=Data Source={Path.Combine(folder, "experiments.db")}",
            ])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = AppContext.BaseDirectory,
            };
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            var process = Process.Start(start)!;
            var output = new StringBuilder();
            process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var service = new ServiceProcess(process, output, folder,
                new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(5) });

            HttpResponseMessage? health = null;
            for (int attempt = 0; attempt < 100 && health is null && !process.HasExited; attempt++)
            {
                try { health = await service.Client.GetAsync("/health"); }
                catch (HttpRequestException) { await Task.Delay(200); }
            }
            if (health is not { StatusCode: HttpStatusCode.OK })
            {
                await service.DisposeAsync();
                Assert.Fail($"no health answer on {url}; output:\n{service.Output}");
            }
            // The first start created an admin key and wrote it beside the results store.
            service.AdminKey = (await File.ReadAllTextAsync(Path.Combine(folder, "admin-key"))).Trim();
            service.Client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", service.AdminKey);
            return service;
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            _process.Dispose();
            if (Directory.Exists(_folder))
                Directory.Delete(_folder, recursive: true);
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
