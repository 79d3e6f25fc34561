using System.Diagnostics;
using System.Globalization;

namespace Experiments.Benchmarks.Latency;

/// <summary>Order statistics of measured request latencies and the achieved request rate.</summary>
/// <param name="Requests">Requests measured.</param>
/// <param name="Median">Median latency.</param>
/// <param name="P90">90th percentile.</param>
/// <param name="P99">99th percentile.</param>
/// <param name="Max">Slowest request.</param>
/// <param name="RequestsPerSecond">Requests completed per second of wall time.</param>
public sealed record LatencySummary(int Requests, TimeSpan Median, TimeSpan P90, TimeSpan P99, TimeSpan Max, double RequestsPerSecond)
{
    /// <summary>Summarises latencies given in <see cref="Stopwatch"/> ticks.</summary>
    /// <remarks>Percentiles are nearest-rank: the p-th is the ⌈p·N⌉-th smallest value, always an
    /// observed latency.</remarks>
    public static LatencySummary FromTicks(long[] latencyTicks, TimeSpan wallTime)
    {
        var sorted = (long[])latencyTicks.Clone();
        Array.Sort(sorted);
        TimeSpan Rank(double p) => Stopwatch.GetElapsedTime(0, sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Length) - 1)]);
        return new LatencySummary(sorted.Length, Rank(0.5), Rank(0.9), Rank(0.99), Rank(1.0), sorted.Length / wallTime.TotalSeconds);
    }

    /// <inheritdoc/>
    public override string ToString() => string.Format(CultureInfo.InvariantCulture,
        "  median {0:F3} ms   p90 {1:F3} ms   p99 {2:F3} ms   max {3:F3} ms\n  {4:N0} requests/s over {5:N0} requests",
        Median.TotalMilliseconds, P90.TotalMilliseconds, P99.TotalMilliseconds, Max.TotalMilliseconds, RequestsPerSecond, Requests);
}
