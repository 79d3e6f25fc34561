using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Experiments.Api.Tests;

/// <summary>
/// The service as a user starts it: its own process, Kestrel on the loopback address that
/// <c>--urls</c> names, real sockets.
/// </summary>
public class KestrelTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task ServiceListensWhereUrlsSaysAndAnswersOverRealHttp()
    {
        int port = FreePort();
        string url = $"http://127.0.0.1:{port}";
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Experiments.Api.dll"), "--urls", url])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(5) };
            HttpResponseMessage? health = null;
            for (int attempt = 0; attempt < 100 && health is null; attempt++)
            {
                try { health = await client.GetAsync("/health"); }
                catch (HttpRequestException) { await Task.Delay(200); }
            }
            Assert.True(health is { StatusCode: HttpStatusCode.OK }, $"no health answer on {url}; output:\n{output}");

            using var content = new StringContent(
                """{"variants":[{"name":"control","n":1000,"sumY":5000,"sumY2":40000},{"name":"treatment","n":1000,"sumY":5200,"sumY2":42000}]}""",
                Encoding.UTF8, "application/json");
            using var response = await client.PostAsync("/api/v1/stats/ab", content);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            string body = await response.Content.ReadAsStringAsync();
            Assert.Contains("\"variant\":\"treatment\"", body);

            // Structured analysis log with the engine version and stage durations.
            await Task.Delay(200);
            lock (output)
                Assert.Contains("A/B analysis (single): metric Mean", output.ToString());
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
