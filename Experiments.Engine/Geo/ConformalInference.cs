namespace Experiments.Engine.Geo;

/// <summary>How residuals are permuted in the conformal test.</summary>
public enum ConformalPermutation
{
    /// <summary>
    /// The T cyclic shifts of the time index (Chernozhukov, Wüthrich &amp; Zhu 2021, §2.3, "moving block"
    /// permutations): valid under weak dependence and deterministic, with p-values on the grid 1/T.
    /// </summary>
    MovingBlock,

    /// <summary>Random permutations of the periods (augsynth's <c>type = "iid"</c>; needs exchangeable residuals), drawn with a seed.</summary>
    Iid,
}

/// <summary>The conformal test statistic over the test-period residuals û.</summary>
internal enum ConformalStatistic
{
    /// <summary>S = |Σû_t|: the average effect. Used for the p-value and the interval of the average effect.</summary>
    AbsoluteSum,

    /// <summary>S = Σ|û_t|: Chernozhukov, Wüthrich &amp; Zhu's S_q with q = 1, GeoLift's two-sided "Total" test of the sharp null.</summary>
    SumOfAbsoluteResiduals,
}

/// <summary>
/// Settings of the conformal test. The defaults are GeoLift's: 1,000 random (iid) permutations — seeded here, so
/// results are reproducible. Moving-block permutations are the choice when residuals are strongly autocorrelated
/// (weekly patterns): more conservative, with p-values on the grid 1/T.
/// </summary>
/// <param name="Permutation">Which permutations.</param>
/// <param name="IidPermutations">How many random permutations for <see cref="ConformalPermutation.Iid"/>.</param>
/// <param name="Seed">Seed of the random permutations.</param>
public sealed record ConformalOptions(ConformalPermutation Permutation = ConformalPermutation.MovingBlock, int IidPermutations = 1000, int Seed = 20210101);

/// <summary>
/// Conformal inference for the effect of a treatment on one (possibly averaged) treated series
/// (Chernozhukov, Wüthrich &amp; Zhu 2021, "An Exact and Robust Conformal Inference Method for Counterfactual
/// and Synthetic Controls", JASA 116(536), §2): the approach behind augsynth's and GeoLift's intervals.
/// </summary>
/// <remarks>
/// <para>To test H₀: the effect is θ₀ in every test period, subtract θ₀ from the treated series in the test
/// periods, fit the counterfactual model on <i>all</i> periods (under H₀ the adjusted series is untreated), and
/// take the residuals û₁…û_T. The statistic S(û) = |Σ_{t∈test} û_t| tests the average effect; its p-value at θ₀ = 0 and
/// the interval below come from the same test, so they always agree. The paper's S₁ = Σ|û_t| (GeoLift's two-sided
/// "Total" test) is also reported at θ₀ = 0: it tests the sharp null of no effect in any period, is the more
/// powerful when the effect in each period is large against the noise, and the weaker when a steady effect is
/// small against daily noise.
/// The p-value is the share of permutations π of the periods with S(û_π) ≥ S(û); under H₀ the residuals are
/// exchangeable (or stationary and weakly dependent for moving blocks), so the test is exact (or
/// asymptotically exact) in finite samples.</para>
/// <para>A (1 − α) confidence set for θ is {θ₀ : p(θ₀) &gt; α}, found here by stepping out from the point
/// estimate until the test rejects and bisecting each boundary (it is an interval in practice).</para>
/// </remarks>
internal sealed class ConformalInference
{
    private readonly double[] _treated;
    private readonly double[][] _donors;
    private readonly int _testStart;
    private readonly bool _fixedEffects;
    private readonly GeoModel _model;
    private readonly double? _lambda;
    private readonly int[][] _permutations;

    public ConformalInference(double[] treated, double[][] donors, int testStart, bool fixedEffects, GeoModel model, double? lambda, ConformalOptions options)
    {
        _treated = treated;
        _donors = donors;
        _testStart = testStart;
        _fixedEffects = fixedEffects;
        _model = model;
        _lambda = lambda;
        _permutations = Permutations(treated.Length, options);
    }

    /// <summary>The p-value of H₀: effect = θ₀ in every test period, with the average-effect statistic |Σû|.</summary>
    public double PValue(double theta0) => PValue(theta0, _testStart, _treated.Length, ConformalStatistic.AbsoluteSum);

    /// <summary>The p-value of H₀: no effect in any test period, with S₁ = Σ|û| (GeoLift's two-sided test).</summary>
    public double SharpNullPValue() => PValue(0, _testStart, _treated.Length, ConformalStatistic.SumOfAbsoluteResiduals);

    /// <summary>
    /// The confidence interval {θ₀ : p(θ₀) &gt; α} for the average effect, inverting the |Σû_t| test. (Inverting
    /// Σ|û_t| would test a constant effect in every period and returns an empty set when daily effects vary, which
    /// is why GeoLift falls back to another method then.)
    /// </summary>
    public (double Lower, double Upper) Interval(double estimate, double scale, double alpha) =>
        Invert(PValue, estimate, scale, alpha);

    /// <summary>The confidence interval for the effect in one test period, from the pre-period and that period only.</summary>
    public (double Lower, double Upper) PointwiseInterval(int period, double estimate, double scale, double alpha) =>
        Invert(theta => PValue(theta, period, period + 1, ConformalStatistic.AbsoluteSum, single: true), estimate, scale, alpha);

    private double PValue(double theta0, int first, int end, ConformalStatistic statistic, bool single = false)
    {
        // Periods used: every pre-period, plus [first, end) of the test window.
        int pre = _testStart;
        int count = single ? pre + (end - first) : end;
        var y = new double[count];
        var donors = new double[_donors.Length][];
        for (int d = 0; d < donors.Length; d++)
            donors[d] = new double[count];
        for (int i = 0; i < count; i++)
        {
            int t = i < pre ? i : (single ? first + (i - pre) : i);
            bool tested = t >= first && t < end;
            y[i] = _treated[t] - (tested ? theta0 : 0);
            for (int d = 0; d < donors.Length; d++)
                donors[d][i] = _donors[d][t];
        }
        var fit = OutcomeSyntheticControl.Fit(y, donors, count, _fixedEffects, _model, _lambda);
        var residuals = new double[count];
        for (int i = 0; i < count; i++)
            residuals[i] = y[i] - fit.Counterfactual[i];
        int testedFrom = count - (end - first);
        double observed = Statistic(residuals, testedFrom, permutation: null, statistic);
        var permutations = single || count != _treated.Length ? Permutations(count, ConformalPermutation.MovingBlock) : _permutations;
        int atLeast = 0;
        foreach (var permutation in permutations)
            if (Statistic(residuals, testedFrom, permutation, statistic) >= observed - 1e-12 * Math.Abs(observed))
                atLeast++;
        return atLeast / (double)permutations.Length;
    }

    private static double Statistic(double[] residuals, int testedFrom, int[]? permutation, ConformalStatistic statistic)
    {
        double sum = 0, absolute = 0;
        for (int i = testedFrom; i < residuals.Length; i++)
        {
            double u = residuals[permutation is null ? i : permutation[i]];
            sum += u;
            absolute += Math.Abs(u);
        }
        return statistic switch
        {
            ConformalStatistic.SumOfAbsoluteResiduals => absolute,
            _ => Math.Abs(sum),
        };
    }

    internal static (double Lower, double Upper) Invert(Func<double, double> pValue, double estimate, double scale, double alpha)
    {
        if (!(scale > 0))
            scale = Math.Max(1e-12, Math.Abs(estimate) * 1e-3);
        double Boundary(int direction)
        {
            // Step out until the test rejects, then bisect between the last accepted and the first rejected value.
            double inside = estimate, step = scale;
            double outside = estimate + direction * step;
            int steps = 0;
            while (pValue(outside) > alpha)
            {
                inside = outside;
                step *= 2;
                outside = estimate + direction * step;
                if (++steps > 60)
                    throw new StatisticsInputException("alpha", "The conformal confidence set is unbounded at this alpha: there are too few periods for the test to reject any effect.");
            }
            // Resolve each end to 1e-4 of the scale: far below the interval's own sampling noise.
            for (int i = 0; i < 60 && Math.Abs(outside - inside) > 1e-4 * scale; i++)
            {
                double middle = 0.5 * (inside + outside);
                if (pValue(middle) > alpha)
                    inside = middle;
                else
                    outside = middle;
            }
            return 0.5 * (inside + outside);
        }
        return (Boundary(-1), Boundary(+1));
    }

    private static int[][] Permutations(int count, ConformalOptions options) =>
        options.Permutation == ConformalPermutation.MovingBlock
            ? Permutations(count, ConformalPermutation.MovingBlock)
            : RandomPermutations(count, options.IidPermutations, options.Seed);

    private static int[][] Permutations(int count, ConformalPermutation kind)
    {
        _ = kind;
        var result = new int[count][];
        for (int shift = 0; shift < count; shift++)
        {
            result[shift] = new int[count];
            for (int i = 0; i < count; i++)
                result[shift][i] = (i + shift) % count;
        }
        return result;
    }

    internal static int[][] RandomPermutations(int count, int draws, int seed)
    {
        var rng = new Random(seed);
        var result = new int[draws + 1][];
        result[0] = Enumerable.Range(0, count).ToArray();
        for (int k = 1; k <= draws; k++)
        {
            var p = Enumerable.Range(0, count).ToArray();
            rng.Shuffle(p);
            result[k] = p;
        }
        return result;
    }
}
