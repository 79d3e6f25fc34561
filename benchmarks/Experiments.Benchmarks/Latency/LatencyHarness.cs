using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace Experiments.Benchmarks.Latency;

/// <summary>
/// Measures the latency of <c>POST /api/v1/stats/ab</c> (or <c>GET /health</c>) on loopback: warm
/// up, then send a fixed number of requests from C concurrent callers and time each one with a
/// <see cref="Stopwatch"/>, from just before it is sent until its whole response is read.
/// </summary>
public static class LatencyHarness
{
    private const int Seed = 20_250_101;
    private const int WarmupRound = 1_000;

    /// <summary>Runs the harness with the arguments after <c>latency</c>; returns the exit code.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        LatencyOptions options;
        try
        {
            options = LatencyOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }

        using var client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.Concurrency,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseProxy = false,
        });
        ApiProcess? api = null;
        try
        {
            Uri baseAddress;
            if (options.Url is { } url)
            {
                baseAddress = url;
            }
            else
            {
                api = await ApiProcess.StartAsync(client);
                baseAddress = api.BaseAddress;
                Console.WriteLine($"Started Experiments.Api (pid {api.ProcessId}) at {baseAddress}");
            }
            return await MeasureAsync(client, baseAddress, options);
        }
        finally
        {
            api?.Dispose();
        }
    }

    private static async Task<int> MeasureAsync(HttpClient client, Uri baseAddress, LatencyOptions options)
    {
        Func<HttpRequestMessage> newRequest;
        if (options.Target == LatencyTarget.AbAnalysis)
        {
            var uri = new Uri(baseAddress, "/api/v1/stats/ab");
            byte[] body = AbRequestBody.Simulate(Seed).ToUtf8Json();
            var contentType = new MediaTypeHeaderValue("application/json");
            newRequest = () => new HttpRequestMessage(HttpMethod.Post, uri)
            {
                Content = new ByteArrayContent(body) { Headers = { ContentType = contentType } },
            };
            Console.WriteLine($"POST {uri} ({body.Length} bytes, simulated with seed {Seed})");
        }
        else
        {
            var uri = new Uri(baseAddress, "/health");
            newRequest = () => new HttpRequestMessage(HttpMethod.Get, uri);
            Console.WriteLine($"GET {uri}");
        }

        if (await WarmUpAsync(client, newRequest, options) is { } warmupFailure)
        {
            Console.Error.WriteLine($"Warm-up failed, nothing measured: {warmupFailure}");
            return 1;
        }
        var measured = await SendAllAsync(client, newRequest, options.Requests, options.Concurrency);
        Console.WriteLine($"{options.Requests:N0} measured requests, concurrency {options.Concurrency}, on {Environment.ProcessorCount} cores shared by client and server:");
        Console.WriteLine(LatencySummary.FromTicks(measured.LatencyTicks, measured.WallTime));
        if (measured.Failures > 0)
        {
            Console.Error.WriteLine($"{measured.Failures} of {options.Requests} requests failed; the first: {measured.FirstFailure}");
            return 1;
        }
        return 0;
    }

    /// <summary>
    /// Sends unmeasured requests: the fixed number asked for, or rounds of
    /// <see cref="WarmupRound"/> until the warm-up time has passed, printing the median latency in
    /// each second so that the reader can see it level off before the measurement starts.
    /// </summary>
    /// <returns>The first failure, or null.</returns>
    private static async Task<string?> WarmUpAsync(HttpClient client, Func<HttpRequestMessage> newRequest, LatencyOptions options)
    {
        if (options.WarmupRequests is { } count)
        {
            Console.WriteLine($"Warm-up: {count:N0} requests");
            return count == 0 ? null : (await SendAllAsync(client, newRequest, count, options.Concurrency)).FirstFailure;
        }
        var clock = Stopwatch.StartNew();
        var rounds = new List<(double Second, double MedianMilliseconds)>();
        do
        {
            var round = await SendAllAsync(client, newRequest, WarmupRound, options.Concurrency);
            if (round.FirstFailure is not null)
                return round.FirstFailure;
            rounds.Add((Math.Floor(clock.Elapsed.TotalSeconds), LatencySummary.FromTicks(round.LatencyTicks, round.WallTime).Median.TotalMilliseconds));
        }
        while (clock.Elapsed < options.WarmupDuration);
        var bySecond = rounds.GroupBy(r => r.Second)
            .Select(g => g.Select(r => r.MedianMilliseconds).Order().ElementAt((g.Count() - 1) / 2).ToString("F3", CultureInfo.InvariantCulture));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Warm-up: {clock.Elapsed.TotalSeconds:F1} s, {rounds.Count * WarmupRound:N0} requests; median latency in each second (ms): {string.Join(' ', bySecond)}"));
        return null;
    }

    private sealed record Run(long[] LatencyTicks, TimeSpan WallTime, int Failures, string? FirstFailure);

    private static async Task<Run> SendAllAsync(HttpClient client, Func<HttpRequestMessage> newRequest, int count, int concurrency)
    {
        var latencies = new long[count];
        int next = -1, failures = 0;
        string? firstFailure = null;

        async Task Caller()
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < count)
            {
                using var request = newRequest();
                long started = Stopwatch.GetTimestamp();
                string? failure = null;
                try
                {
                    // The default completion option buffers the whole response body before returning.
                    using var response = await client.SendAsync(request);
                    latencies[index] = Stopwatch.GetTimestamp() - started;
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        string text = await response.Content.ReadAsStringAsync();
                        failure = $"{(int)response.StatusCode} {response.StatusCode}: {text[..Math.Min(text.Length, 500)]}";
                    }
                }
                catch (HttpRequestException e)
                {
                    latencies[index] = Stopwatch.GetTimestamp() - started;
                    failure = e.Message;
                }
                if (failure is not null)
                {
                    Interlocked.Increment(ref failures);
                    Interlocked.CompareExchange(ref firstFailure, failure, null);
                }
            }
        }

        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Caller)));
        return new Run(latencies, wall.Elapsed, failures, firstFailure);
    }
}
