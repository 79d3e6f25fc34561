using System.Globalization;

namespace Experiments.Benchmarks.Latency;

/// <summary>What the endpoint is asked.</summary>
public enum LatencyTarget
{
    /// <summary><c>POST /api/v1/stats/ab</c> with sufficient statistics and CUPED.</summary>
    AbAnalysis,

    /// <summary><c>GET /health</c>: the cost of the HTTP stack alone, for comparison.</summary>
    Health,
}

/// <summary>Command-line options of the latency harness.</summary>
/// <param name="Url">The running API's base address, or null to start one.</param>
/// <param name="Requests">Measured requests.</param>
/// <param name="WarmupRequests">Requests sent first and not measured, or null to warm up for
/// <paramref name="WarmupDuration"/> instead.</param>
/// <param name="WarmupDuration">How long to send unmeasured requests first when
/// <paramref name="WarmupRequests"/> is null. Time rather than a count, because what is being waited
/// for is the JIT's background recompilation of the hot paths (tiered compilation with dynamic PGO),
/// which takes seconds on a busy two-core machine whatever the request rate.</param>
/// <param name="Concurrency">Requests in flight at once, one connection each.</param>
/// <param name="Target">The endpoint to measure.</param>
public sealed record LatencyOptions(Uri? Url, int Requests, int? WarmupRequests, TimeSpan WarmupDuration, int Concurrency, LatencyTarget Target)
{
    /// <summary>The usage text.</summary>
    public const string Usage =
        "latency [--url http://127.0.0.1:PORT] [--requests N (5000)] [--warmup N | Ss (10s)] [--concurrency C (1)] [--target ab|health (ab)]";

    /// <summary>Parses the arguments after <c>latency</c>.</summary>
    /// <exception cref="ArgumentException">An unknown option or a bad value.</exception>
    public static LatencyOptions Parse(IReadOnlyList<string> args)
    {
        var options = new LatencyOptions(null, 5_000, null, TimeSpan.FromSeconds(10), 1, LatencyTarget.AbAnalysis);
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (i + 1 >= args.Count)
                throw new ArgumentException($"{name} needs a value. Usage: {Usage}");
            string value = args[++i];
            options = name switch
            {
                "--url" => options with { Url = new Uri(value, UriKind.Absolute) },
                "--requests" => options with { Requests = PositiveInteger(name, value) },
                "--warmup" when value.EndsWith('s') => options with { WarmupRequests = null, WarmupDuration = Seconds(name, value[..^1]) },
                "--warmup" => options with { WarmupRequests = PositiveInteger(name, value, allowZero: true) },
                "--concurrency" => options with { Concurrency = PositiveInteger(name, value) },
                "--target" => options with
                {
                    Target = value switch
                    {
                        "ab" => LatencyTarget.AbAnalysis,
                        "health" => LatencyTarget.Health,
                        _ => throw new ArgumentException($"--target must be 'ab' or 'health' (got '{value}')."),
                    },
                },
                _ => throw new ArgumentException($"Unknown option '{name}'. Usage: {Usage}"),
            };
        }
        return options;
    }

    private static TimeSpan Seconds(string name, string value)
    {
        if (!double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds) || seconds > 3600)
            throw new ArgumentException($"{name} takes a request count or a number of seconds such as 10s (got '{value}s').");
        return TimeSpan.FromSeconds(seconds);
    }

    private static int PositiveInteger(string name, string value, bool allowZero = false)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int result) || (result == 0 && !allowZero))
            throw new ArgumentException($"{name} must be a {(allowZero ? "non-negative" : "positive")} integer (got '{value}').");
        return result;
    }
}
