using System.Numerics;
using System.Runtime.InteropServices;

namespace Experiments.Engine.AbTesting;

/// <summary>
/// Sufficient statistics of a per-unit metric <c>y</c> and <c>k ≥ 0</c> pre-period covariates
/// <c>x₁…x_k</c> for one variant: n, Σy, Σy², Σx_j, Σx_i·x_j (the cross-product matrix) and Σx_j·y.
/// </summary>
/// <remarks>
/// <para>These are the only quantities the Welch test, the delta method and CUPED need (Deng, Xu,
/// Kohavi &amp; Walker 2013, §3), and they add: the statistics of the union of two disjoint sets of
/// units are the element-wise sum (<see cref="op_Addition"/>), so partial sums from ClickHouse
/// shards or from successive days merge exactly, as gbstats' <c>SampleMeanStatistic</c> does.</para>
/// <para>Moments are raw (uncentred) sums, which is what a database returns. The variance
/// <c>(Σy² − (Σy)²/n)/(n−1)</c> therefore loses about log₁₀(ȳ²/s²) decimal digits to
/// cancellation; the analysis refuses a variance that is not distinguishable from zero at double
/// precision rather than report a number made of rounding error.</para>
/// </remarks>
public sealed class SufficientStatistics
{
    private readonly double[] _sumX;
    private readonly double[] _sumXX;
    private readonly double[] _sumXY;

    /// <summary>
    /// Creates statistics from sums computed elsewhere (for example by a database).
    /// </summary>
    /// <param name="count">Number of units n (≥ 0).</param>
    /// <param name="sumY">Σy.</param>
    /// <param name="sumY2">Σy².</param>
    /// <param name="sumX">Σx_j for each covariate (length k; empty for none).</param>
    /// <param name="sumXX">Σx_i·x_j, row-major k×k and symmetric (length k²).</param>
    /// <param name="sumXY">Σx_j·y for each covariate (length k).</param>
    /// <param name="field">How the caller names these statistics in error messages.</param>
    /// <exception cref="StatisticsInputException">A negative count, a non-finite sum, arrays of
    /// inconsistent length, Σy² or Σx_j² smaller than the square of the sum allows, or an asymmetric
    /// cross-product matrix.</exception>
    public SufficientStatistics(long count, double sumY, double sumY2,
        double[]? sumX = null, double[]? sumXX = null, double[]? sumXY = null, string field = "statistics")
    {
        sumX ??= [];
        sumXX ??= [];
        sumXY ??= [];
        int k = sumX.Length;
        if (count < 0)
            throw new StatisticsInputException($"{field}.n", $"The unit count must not be negative (got {count}).");
        if (sumXY.Length != k || sumXX.Length != k * k)
            throw new StatisticsInputException(field,
                $"Covariate sums have inconsistent lengths: {k} covariate sums, {sumXY.Length} covariate-outcome products and {sumXX.Length} cross products (expected {k * k}).");
        RequireFinite(sumY, $"{field}.sumY");
        RequireFinite(sumY2, $"{field}.sumY2");
        for (int j = 0; j < k; j++)
        {
            RequireFinite(sumX[j], $"{field}.sumX[{j}]");
            RequireFinite(sumXY[j], $"{field}.sumXY[{j}]");
        }
        for (int j = 0; j < k * k; j++)
            RequireFinite(sumXX[j], $"{field}.sumXX[{j / k}][{j % k}]");
        if (count > 0)
        {
            RequireSquareBound(sumY2, sumY, count, $"{field}.sumY2", "Σy²", "Σy");
            for (int j = 0; j < k; j++)
                RequireSquareBound(sumXX[j * k + j], sumX[j], count, $"{field}.sumXX[{j}][{j}]", $"Σx{j + 1}²", $"Σx{j + 1}");
        }
        else if (sumY != 0 || sumY2 != 0 || sumX.Any(v => v != 0) || sumXX.Any(v => v != 0) || sumXY.Any(v => v != 0))
        {
            throw new StatisticsInputException(field, "With zero units every sum must be zero.");
        }
        for (int i = 0; i < k; i++)
            for (int j = i + 1; j < k; j++)
            {
                double a = sumXX[i * k + j], b = sumXX[j * k + i];
                if (Math.Abs(a - b) > 1e-12 * Math.Max(Math.Abs(a), Math.Abs(b)))
                    throw new StatisticsInputException($"{field}.sumXX",
                        $"The covariate cross-product matrix must be symmetric; entries [{i}][{j}] = {a} and [{j}][{i}] = {b} differ.");
            }

        Count = count;
        SumY = sumY;
        SumY2 = sumY2;
        _sumX = (double[])sumX.Clone();
        _sumXX = (double[])sumXX.Clone();
        _sumXY = (double[])sumXY.Clone();
    }

    private SufficientStatistics(long count, double sumY, double sumY2, double[] sumX, double[] sumXX, double[] sumXY, bool trusted)
    {
        _ = trusted;
        Count = count;
        SumY = sumY;
        SumY2 = sumY2;
        _sumX = sumX;
        _sumXX = sumXX;
        _sumXY = sumXY;
    }

    /// <summary>Number of units n.</summary>
    public long Count { get; }

    /// <summary>Σy.</summary>
    public double SumY { get; }

    /// <summary>Σy².</summary>
    public double SumY2 { get; }

    /// <summary>Number of covariates k.</summary>
    public int CovariateCount => _sumX.Length;

    /// <summary>Σx_j, one entry per covariate.</summary>
    public IReadOnlyList<double> SumX => _sumX;

    /// <summary>Σx_i·x_j, row-major k×k.</summary>
    public IReadOnlyList<double> SumXX => _sumXX;

    /// <summary>Σx_j·y, one entry per covariate.</summary>
    public IReadOnlyList<double> SumXY => _sumXY;

    /// <summary>The sample mean ȳ = Σy / n.</summary>
    public double Mean => SumY / Count;

    /// <summary>The sample variance with the n − 1 normaliser: (Σy² − (Σy)²/n)/(n − 1).</summary>
    public double Variance => Math.Max(0.0, (SumY2 - SumY * SumY / Count) / (Count - 1));

    /// <summary>Statistics of no units with <paramref name="covariateCount"/> covariates: the identity of <c>+</c>.</summary>
    public static SufficientStatistics Empty(int covariateCount = 0) =>
        new(0, 0, 0, new double[covariateCount], new double[covariateCount * covariateCount], new double[covariateCount], trusted: true);

    /// <summary>
    /// The statistics of the union of two disjoint sets of units: every sum adds.
    /// </summary>
    /// <exception cref="StatisticsInputException">The two have different numbers of covariates.</exception>
    public static SufficientStatistics operator +(SufficientStatistics a, SufficientStatistics b)
    {
        if (a.CovariateCount != b.CovariateCount)
            throw new StatisticsInputException("statistics",
                $"Cannot add statistics with {a.CovariateCount} and {b.CovariateCount} covariates.");
        return new SufficientStatistics(a.Count + b.Count, a.SumY + b.SumY, a.SumY2 + b.SumY2,
            Add(a._sumX, b._sumX), Add(a._sumXX, b._sumXX), Add(a._sumXY, b._sumXY), trusted: true);
    }

    /// <summary>Statistics of raw per-unit values with no covariate, in one vectorised pass.</summary>
    /// <exception cref="StatisticsInputException">A value is NaN or infinite, or its square overflows.</exception>
    public static SufficientStatistics FromValues(ReadOnlySpan<double> y, string field = "y")
    {
        var vy = MemoryMarshal.Cast<double, Vector<double>>(y);
        Vector<double> sy = Vector<double>.Zero, syy = Vector<double>.Zero;
        for (int i = 0; i < vy.Length; i++)
        {
            var v = vy[i];
            sy += v;
            syy += v * v;
        }
        double sumY = Vector.Sum(sy), sumY2 = Vector.Sum(syy);
        for (int i = vy.Length * Vector<double>.Count; i < y.Length; i++)
        {
            sumY += y[i];
            sumY2 += y[i] * y[i];
        }
        if (!double.IsFinite(sumY) || !double.IsFinite(sumY2))
            ThrowNonFinite(y, field);
        return new SufficientStatistics(y.Length, sumY, sumY2, [], [], [], trusted: true);
    }

    /// <summary>
    /// Statistics of raw per-unit values with one covariate (the CUPED case), in one vectorised
    /// pass over both arrays with no allocation per unit.
    /// </summary>
    /// <exception cref="StatisticsInputException">Lengths differ, or a value is not finite.</exception>
    public static SufficientStatistics FromValues(ReadOnlySpan<double> y, ReadOnlySpan<double> x, string field = "y", string covariateField = "x")
    {
        if (x.Length != y.Length)
            throw new StatisticsInputException(covariateField,
                $"The covariate has {x.Length} values but the metric has {y.Length}; there must be one of each per unit.");
        var vy = MemoryMarshal.Cast<double, Vector<double>>(y);
        var vx = MemoryMarshal.Cast<double, Vector<double>>(x);
        Vector<double> sy = Vector<double>.Zero, syy = Vector<double>.Zero, sx = Vector<double>.Zero,
            sxx = Vector<double>.Zero, sxy = Vector<double>.Zero;
        for (int i = 0; i < vy.Length; i++)
        {
            var a = vy[i];
            var b = vx[i];
            sy += a;
            syy += a * a;
            sx += b;
            sxx += b * b;
            sxy += a * b;
        }
        double sumY = Vector.Sum(sy), sumY2 = Vector.Sum(syy), sumX = Vector.Sum(sx), sumX2 = Vector.Sum(sxx), sumXY = Vector.Sum(sxy);
        for (int i = vy.Length * Vector<double>.Count; i < y.Length; i++)
        {
            sumY += y[i];
            sumY2 += y[i] * y[i];
            sumX += x[i];
            sumX2 += x[i] * x[i];
            sumXY += x[i] * y[i];
        }
        if (!double.IsFinite(sumY) || !double.IsFinite(sumY2))
            ThrowNonFinite(y, field);
        if (!double.IsFinite(sumX) || !double.IsFinite(sumX2) || !double.IsFinite(sumXY))
            ThrowNonFinite(x, covariateField);
        return new SufficientStatistics(y.Length, sumY, sumY2, [sumX], [sumX2], [sumXY], trusted: true);
    }

    /// <summary>Statistics of raw per-unit values with several covariates, one column per covariate.</summary>
    /// <exception cref="StatisticsInputException">A column's length differs from y's, or a value is not finite.</exception>
    public static SufficientStatistics FromValues(ReadOnlySpan<double> y, IReadOnlyList<double[]> covariates, string field = "y", string covariateField = "x")
    {
        if (covariates.Count == 0)
            return FromValues(y, field);
        if (covariates.Count == 1)
            return FromValues(y, covariates[0], field, covariateField);
        int k = covariates.Count;
        for (int j = 0; j < k; j++)
            if (covariates[j].Length != y.Length)
                throw new StatisticsInputException($"{covariateField}[{j}]",
                    $"Covariate {j + 1} has {covariates[j].Length} values but the metric has {y.Length}; there must be one of each per unit.");
        var plain = FromValues(y, field);
        var sumX = new double[k];
        var sumXX = new double[k * k];
        var sumXY = new double[k];
        for (int i = 0; i < k; i++)
        {
            var xi = covariates[i].AsSpan();
            sumX[i] = Sum(xi);
            sumXY[i] = Dot(xi, y);
            for (int j = i; j < k; j++)
                sumXX[i * k + j] = sumXX[j * k + i] = Dot(xi, covariates[j]);
            if (!double.IsFinite(sumX[i]) || !double.IsFinite(sumXX[i * k + i]) || !double.IsFinite(sumXY[i]))
                ThrowNonFinite(xi, $"{covariateField}[{i}]");
        }
        return new SufficientStatistics(y.Length, plain.SumY, plain.SumY2, sumX, sumXX, sumXY, trusted: true);
    }

    /// <summary>The statistics with the covariates dropped (for the unadjusted analysis).</summary>
    public SufficientStatistics WithoutCovariates() =>
        CovariateCount == 0 ? this : new SufficientStatistics(Count, SumY, SumY2, [], [], [], trusted: true);

    internal double SumXAt(int j) => _sumX[j];
    internal double SumXXAt(int i, int j) => _sumXX[i * CovariateCount + j];
    internal double SumXYAt(int j) => _sumXY[j];

    internal static double Sum(ReadOnlySpan<double> a)
    {
        var va = MemoryMarshal.Cast<double, Vector<double>>(a);
        var acc = Vector<double>.Zero;
        for (int i = 0; i < va.Length; i++)
            acc += va[i];
        double s = Vector.Sum(acc);
        for (int i = va.Length * Vector<double>.Count; i < a.Length; i++)
            s += a[i];
        return s;
    }

    internal static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var va = MemoryMarshal.Cast<double, Vector<double>>(a);
        var vb = MemoryMarshal.Cast<double, Vector<double>>(b);
        var acc = Vector<double>.Zero;
        for (int i = 0; i < va.Length; i++)
            acc += va[i] * vb[i];
        double s = Vector.Sum(acc);
        for (int i = va.Length * Vector<double>.Count; i < a.Length; i++)
            s += a[i] * b[i];
        return s;
    }

    private static double[] Add(double[] a, double[] b)
    {
        var r = new double[a.Length];
        for (int i = 0; i < r.Length; i++)
            r[i] = a[i] + b[i];
        return r;
    }

    private static void RequireFinite(double value, string field)
    {
        if (!double.IsFinite(value))
            throw new StatisticsInputException(field, $"The value must be a finite number (got {value}).");
    }

    private static void RequireSquareBound(double sumSquares, double sum, long n, string field, string squareName, string sumName)
    {
        // Σv² ≥ (Σv)²/n for any real values (Cauchy–Schwarz); allow rounding in the last bits.
        double bound = sum * sum / n;
        if (sumSquares < bound - 1e-9 * Math.Max(1.0, Math.Abs(bound)))
            throw new StatisticsInputException(field,
                $"{squareName} = {sumSquares} is smaller than ({sumName})²/n = {bound}; no set of real values has these sums.");
    }

    internal static void ThrowNonFinite(ReadOnlySpan<double> values, string field)
    {
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new StatisticsInputException($"{field}[{i}]", $"Value {i} is {values[i]}; every value must be a finite number.");
        throw new StatisticsInputException(field, "The values are too large: their squares overflow double precision.");
    }
}
