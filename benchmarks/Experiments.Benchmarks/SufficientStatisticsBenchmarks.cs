using System.Numerics;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using Experiments.Engine.AbTesting;

namespace Experiments.Benchmarks;

/// <summary>
/// How fast the engine turns raw per-unit values into sufficient statistics, against the rate at
/// which one core can merely read the same bytes.
/// </summary>
/// <remarks>
/// <para>Ten million units, a metric <c>y</c> and a pre-period covariate <c>x</c>, are generated once
/// from a fixed seed and kept in memory (80 MB per array). Each category pairs the engine with a
/// baseline that reads the same bytes with as little arithmetic as possible, so the baseline's
/// input GB/s is the single-core read rate of this machine for that much data; the engine's
/// benchmarks report their input GB/s (<see cref="InputThroughputColumn"/>) and how far they fall
/// short of their baseline (<see cref="BandwidthGapColumn"/>).</para>
/// <para>Why two baselines: a large shared last-level cache can keep part of one 80 MB array
/// between operations but not of two, so a one-array benchmark measured against the two-array
/// baseline would appear faster than memory. <see cref="ReadBandwidthBaseline"/> (both arrays) is
/// the machine's memory bandwidth; <see cref="ReadBandwidthBaselineMetricOnly"/> is the fair
/// reference for <see cref="FromValuesMetricOnly"/>.</para>
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(Config))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class SufficientStatisticsBenchmarks
{
    /// <summary>Units in the data set.</summary>
    public const int Units = 10_000_000;

    private const string MetricOnly = "y (80 MB)";
    private const string MetricAndCovariate = "y and x (160 MB)";
    private const int UnitsPerVariant = Units / 2;
    private const long BytesPerArray = (long)Units * sizeof(double);

    private static readonly AbAnalysisOptions CupedOptions = new() { Control = "control", Cuped = true };

    private double[] _y = [];
    private double[] _x = [];

    /// <summary>
    /// Simulates a pre-period metric x ~ N(10, 3²) and an outcome y = 2 + 0.8·x + ε, ε ~ N(0, 2²),
    /// with a lift of 0.05 in the second half (the treatment), so CUPED has a correlation of about
    /// 0.77 to work with.
    /// </summary>
    [GlobalSetup]
    public void GenerateUnits()
    {
        var random = new Random(20_250_101);
        _y = new double[Units];
        _x = new double[Units];
        for (int i = 0; i < Units; i++)
        {
            var (z1, z2) = StandardNormalPair(random);
            _x[i] = 10 + 3 * z1;
            _y[i] = 2 + 0.8 * _x[i] + 2 * z2 + (i >= UnitsPerVariant ? 0.05 : 0);
        }
    }

    /// <summary>n, Σy and Σy² of all ten million units: reads y once.</summary>
    [Benchmark(Description = "FromValues(y)")]
    [BenchmarkCategory(MetricOnly)]
    [InputBytes(BytesPerArray)]
    public SufficientStatistics FromValuesMetricOnly() => SufficientStatistics.FromValues(_y);

    /// <summary>
    /// The statistics with the covariate for each of two variants of five million units, then the
    /// CUPED analysis of the two: reads y and x once.
    /// </summary>
    [Benchmark(Description = "FromValues(y, x) ×2 + CUPED")]
    [BenchmarkCategory(MetricAndCovariate)]
    [InputBytes(2 * BytesPerArray)]
    public AbAnalysisResult FromValuesWithCovariateAndCuped()
    {
        var control = SufficientStatistics.FromValues(_y.AsSpan(0, UnitsPerVariant), _x.AsSpan(0, UnitsPerVariant));
        var treatment = SufficientStatistics.FromValues(_y.AsSpan(UnitsPerVariant), _x.AsSpan(UnitsPerVariant));
        return AbAnalysis.Analyze([new MeanVariant("control", control), new MeanVariant("treatment", treatment)], CupedOptions);
    }

    /// <summary>
    /// The read-bandwidth baseline: Σy + Σx over the same bytes, with eight independent vector
    /// accumulators so that the adds never wait on one another and only memory can be the limit.
    /// </summary>
    [Benchmark(Baseline = true, Description = "Baseline: Σy + Σx (read bandwidth)")]
    [BenchmarkCategory(MetricAndCovariate)]
    [InputBytes(2 * BytesPerArray)]
    public double ReadBandwidthBaseline() => SumUnrolled(_y) + SumUnrolled(_x);

    /// <summary>The same read-bandwidth baseline over y alone, the bytes <see cref="FromValuesMetricOnly"/> reads.</summary>
    [Benchmark(Baseline = true, Description = "Baseline: Σy (read bandwidth)")]
    [BenchmarkCategory(MetricOnly)]
    [InputBytes(BytesPerArray)]
    public double ReadBandwidthBaselineMetricOnly() => SumUnrolled(_y);

    private static double SumUnrolled(ReadOnlySpan<double> values)
    {
        var vectors = MemoryMarshal.Cast<double, Vector<double>>(values);
        Vector<double> a0 = Vector<double>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        int i = 0;
        for (; i + 8 <= vectors.Length; i += 8)
        {
            a0 += vectors[i];
            a1 += vectors[i + 1];
            a2 += vectors[i + 2];
            a3 += vectors[i + 3];
            a4 += vectors[i + 4];
            a5 += vectors[i + 5];
            a6 += vectors[i + 6];
            a7 += vectors[i + 7];
        }
        for (; i < vectors.Length; i++)
            a0 += vectors[i];
        double sum = Vector.Sum((a0 + a1) + (a2 + a3) + ((a4 + a5) + (a6 + a7)));
        for (int j = vectors.Length * Vector<double>.Count; j < values.Length; j++)
            sum += values[j];
        return sum;
    }

    private static (double, double) StandardNormalPair(Random random)
    {
        // Box–Muller: two independent N(0, 1) draws from two uniforms on (0, 1].
        double radius = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble()));
        double angle = 2 * Math.PI * random.NextDouble();
        return (radius * Math.Cos(angle), radius * Math.Sin(angle));
    }

    /// <summary>
    /// A short job (one launch, three warm-up and seven measured iterations, as BenchmarkDotNet's
    /// ShortRun but with more measurements for a usable error bar) plus the throughput columns.
    /// </summary>
    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(7).WithId("Short"));
            AddColumn(StatisticColumn.Median, new InputThroughputColumn(), new BandwidthGapColumn());
        }
    }
}
