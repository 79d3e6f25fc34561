using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Experiments.Benchmarks;

/// <summary>The number of input bytes one invocation of a benchmark reads.</summary>
/// <param name="bytes">Bytes of input per operation.</param>
[AttributeUsage(AttributeTargets.Method)]
public sealed class InputBytesAttribute(long bytes) : Attribute
{
    /// <summary>Bytes of input per operation.</summary>
    public long Bytes { get; } = bytes;
}

/// <summary>
/// Input throughput of a measured benchmark: bytes read per operation ÷ median time per operation.
/// </summary>
/// <remarks>The median rather than the mean because the machine is shared: an iteration during
/// which another process takes the core or the memory bus is slower for reasons that are not the
/// code's, and the median of the iterations ignores a minority of those.</remarks>
public static class InputThroughput
{
    /// <summary>Input GB/s (10⁹ bytes per second) of a benchmark, or null when it has no
    /// <see cref="InputBytesAttribute"/> or no result.</summary>
    public static double? GigabytesPerSecond(Summary summary, BenchmarkCase benchmarkCase)
    {
        var bytes = benchmarkCase.Descriptor.WorkloadMethod.GetCustomAttribute<InputBytesAttribute>()?.Bytes;
        var medianNanoseconds = summary[benchmarkCase]?.ResultStatistics?.Median;
        return bytes is null || medianNanoseconds is null ? null : bytes.Value / medianNanoseconds.Value;
    }

    /// <summary>The input GB/s of the baseline in the benchmark's group (its category), or null.</summary>
    public static double? BaselineGigabytesPerSecond(Summary summary, BenchmarkCase benchmarkCase)
    {
        var baseline = summary.GetBaseline(summary.GetLogicalGroupKey(benchmarkCase));
        return baseline is null ? null : GigabytesPerSecond(summary, baseline);
    }

    /// <summary>Prints one closing line per benchmark: its GB/s against its baseline's.</summary>
    public static void PrintClosingNote(IEnumerable<Summary> summaries)
    {
        foreach (var summary in summaries)
        {
            var lines = summary.BenchmarksCases
                .Where(c => !c.Descriptor.Baseline)
                .Select(c => (Case: c, Rate: GigabytesPerSecond(summary, c), Baseline: summary.GetBaseline(summary.GetLogicalGroupKey(c))))
                .Where(l => l.Rate is not null && l.Baseline is not null && GigabytesPerSecond(summary, l.Baseline) is not null)
                .ToList();
            if (lines.Count == 0)
                continue;
            Console.WriteLine();
            Console.WriteLine("Input throughput (bytes = 8 × units per array read), against the baseline reading the same bytes:");
            foreach (var (benchmarkCase, rate, baseline) in lines)
            {
                double baselineRate = GigabytesPerSecond(summary, baseline!)!.Value;
                Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                    "  {0}: {1:F1} GB/s vs {2:F1} GB/s baseline ({3}) = within {4:F2}× of memory bandwidth",
                    benchmarkCase.Descriptor.WorkloadMethodDisplayInfo, rate!.Value, baselineRate,
                    baseline!.Descriptor.WorkloadMethodDisplayInfo, baselineRate / rate.Value));
            }
        }
    }
}

/// <summary>A summary column with each benchmark's input GB/s.</summary>
public sealed class InputThroughputColumn : IColumn
{
    /// <inheritdoc/>
    public string Id => nameof(InputThroughputColumn);

    /// <inheritdoc/>
    public string ColumnName => "Input GB/s";

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => 0;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => "Input bytes read per operation (8 × units per array) divided by the median time, in 10⁹ bytes per second";

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        InputThroughput.GigabytesPerSecond(summary, benchmarkCase)?.ToString("F1", CultureInfo.InvariantCulture) ?? "?";

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}

/// <summary>
/// A summary column with how many times slower than the bandwidth baseline of its category a
/// benchmark reads its input: baseline GB/s ÷ its GB/s (1.00 = at the measured bandwidth). Unlike BenchmarkDotNet's
/// time Ratio it accounts for benchmarks that read fewer bytes than the baseline.
/// </summary>
public sealed class BandwidthGapColumn : IColumn
{
    /// <inheritdoc/>
    public string Id => nameof(BandwidthGapColumn);

    /// <inheritdoc/>
    public string ColumnName => "× bandwidth";

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => 1;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => "Input GB/s of the category's baseline divided by this benchmark's: within this many times of the read bandwidth";

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        var rate = InputThroughput.GigabytesPerSecond(summary, benchmarkCase);
        var baseline = InputThroughput.BaselineGigabytesPerSecond(summary, benchmarkCase);
        return rate is null || baseline is null ? "?" : (baseline.Value / rate.Value).ToString("F2", CultureInfo.InvariantCulture);
    }

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
