using Experiments.Engine.SyntheticControl;
using MathNet.Numerics.LinearAlgebra;

namespace Experiments.Engine.Geo;

/// <summary>One candidate treated set, resolved to market positions.</summary>
internal sealed class GeoPowerCandidate
{
    public GeoPowerCandidate(string[] names, int[] treated, int[] donors)
    {
        Names = names;
        Treated = treated;
        Donors = donors;
    }

    /// <summary>The treated markets' names, sorted ordinally.</summary>
    public string[] Names { get; }

    /// <summary>Positions of the treated markets in the panel.</summary>
    public int[] Treated { get; }

    /// <summary>Positions of the donors (every other market) in panel order.</summary>
    public int[] Donors { get; }

    /// <summary>The ridge penalty for the augmented model, fixed per candidate; null for plain SCM.</summary>
    public double? Lambda { get; set; }
}

/// <summary>What one simulated test window yields apart from the per-effect detections.</summary>
/// <param name="L2Squared">Σ_pre (ȳ − ŷ)² of the pre-period fit.</param>
/// <param name="UniformL2Squared">The same for equal donor weights (the denominator of the scaled L2 imbalance).</param>
/// <param name="PreRmspe">√(L2² / T₀).</param>
/// <param name="GapAtZero">Σ_test (ȳ − ŷ) with no effect injected.</param>
/// <param name="TreatedWindowSum">Σ_test ȳ of the untreated treated-average series (raw units).</param>
internal readonly record struct GeoPowerWindowFit(double L2Squared, double UniformL2Squared, double PreRmspe, double GapAtZero, double TreatedWindowSum);

/// <summary>Per-thread scratch space; nothing in it carries over from one simulated test to the next.</summary>
internal sealed class GeoPowerWorkspace
{
    private readonly Dictionary<int, DonorBuffers> _buffers = [];

    public GeoPowerWorkspace(int periods)
    {
        Treated = new double[periods];
        Fitted = new double[periods];
        Residuals = new double[periods];
    }

    public double[] Treated { get; }
    public double[] Fitted { get; }
    public double[] Residuals { get; }

    public DonorBuffers For(int donors)
    {
        if (!_buffers.TryGetValue(donors, out var b))
            _buffers[donors] = b = new DonorBuffers(donors);
        return b;
    }
}

/// <summary>Buffers sized for a donor pool of J markets.</summary>
internal sealed class DonorBuffers(int j)
{
    public readonly int J = j;
    public readonly double[] H = new double[j * j];
    public readonly double[] F = new double[j];
    public readonly double[] F0 = new double[j];
    public readonly double[] Injection = new double[j];
    public readonly double[] Shift = new double[j];
    public readonly double[] Mu = new double[j];
    public readonly double[] PreMu = new double[j];
    public readonly double[] W = new double[j];
    public readonly double[] Gamma = new double[j];
    public readonly double[] V = new double[j];
    public readonly double[] Chol = new double[j * j];
    public readonly double[] Row = new double[j];
    public readonly SimplexActiveSetSolver Solver = new(j);
}

/// <summary>
/// The inner loop of <see cref="GeoPower"/>: for one candidate set and one simulated test window, the estimator
/// <see cref="GeoExperiment"/> uses (<see cref="OutcomeSyntheticControl"/>) and its conformal test of "no effect"
/// (<see cref="ConformalInference"/>), computed from the Gram matrices of <see cref="GeoPowerHistory"/>.
/// </summary>
/// <remarks>
/// <para>With A the donors' outcomes over the fit periods centred by their means (fixed effects) and b the treated
/// average centred likewise, the synthetic control minimises ‖b − Aw‖² = bᵀb − 2fᵀw + wᵀHw over the simplex with
/// H = AᵀA and f = Aᵀb: the same program as <see cref="OutcomeSyntheticControl"/>, solved in the dense form by the
/// same active-set solver. The ridge augmentation γ = w + X₀(X₀ᵀX₀ + λI)⁻¹(x₁ − X₀ᵀw) is evaluated through the
/// push-through identity as γ = w + (CHC + λI)⁻¹C(f − Hw), C = I − 11ᵀ/J, a J × J system instead of T₀ × T₀.</para>
/// <para>Injecting a relative effect e multiplies the treated markets' outcomes in the window by 1 + e, so the
/// treated average becomes ȳ_t(1 + e) there; in the all-period fit of the conformal test f(e) = f(0) + e·g with
/// g = Σ_{t∈test}(A_t)ȳ_t, and subtracting a hypothesised effect θ gives f − θ·Σ_{t∈test}A_t. Each effect costs
/// one warm-started QP, the T residuals and the permutation sums.</para>
/// </remarks>
internal sealed class GeoPowerSimulator
{
    private readonly GeoPowerHistory _history;
    private readonly bool _fixedEffects;
    private readonly GeoModel _model;
    private readonly int _permutations;
    private readonly double _alpha;
    private readonly bool _movingBlock;

    public GeoPowerSimulator(GeoPowerHistory history, bool fixedEffects, GeoModel model, int permutations, double alpha,
        ConformalPermutation permutation = ConformalPermutation.Iid)
    {
        _history = history;
        _fixedEffects = fixedEffects;
        _model = model;
        _permutations = permutations;
        _alpha = alpha;
        _movingBlock = permutation == ConformalPermutation.MovingBlock;
    }

    /// <summary>
    /// The largest m with m / (K + 1) ≤ α: the test rejects when the identity and the draws at least as extreme as
    /// the observed statistic number at most m (p = m / (K + 1), evaluated as <see cref="ConformalInference"/> does).
    /// </summary>
    internal static int MaxAtLeast(int permutations, double alpha)
    {
        double total = permutations + 1;
        int m = (int)Math.Floor(alpha * total);
        while ((m + 1) / total <= alpha)
            m++;
        while (m > 0 && m / total > alpha)
            m--;
        return m;
    }

    /// <summary>
    /// Simulates one test window [start, end): fits the pre-period, then for each effect injects it, runs the
    /// conformal test of no average effect (|Σû| over the window, with the window's permutation <paramref name="draws"/>,
    /// the same for every effect) and writes whether it rejects at α into <paramref name="rejected"/>.
    /// </summary>
    public GeoPowerWindowFit Simulate(GeoPowerCandidate candidate, int start, int end, int[] draws, IReadOnlyList<double> effects, Span<bool> rejected, GeoPowerWorkspace ws)
    {
        var b = ws.For(candidate.Donors.Length);
        double cbar = TreatedSeries(candidate, end, ws);
        var fit = PreFit(candidate, start, end, cbar, b, ws);
        double treatedSum = PrepareTest(candidate, start, end, cbar, fit.TreatedWindowSum, b);
        for (int i = 0; i < effects.Count; i++)
        {
            TestFit(candidate, start, end, effects[i], 0, cbar, treatedSum, fit.TreatedWindowSum, b, ws);
            rejected[i] = Rejects(start, end, draws, ws);
        }
        return fit;
    }

    /// <summary>
    /// The conformal interval for the ATT with no effect injected, as <see cref="GeoExperiment"/> reports it: the
    /// test of a constant effect θ with the statistic |Σû| inverted from the point estimate (the same stepping and
    /// bisection, <see cref="ConformalInference.Invert"/>), widened to contain the estimate.
    /// </summary>
    public (double Estimate, double Lower, double Upper) Interval(GeoPowerCandidate candidate, int start, int end, int[] draws, GeoPowerWorkspace ws)
    {
        var b = ws.For(candidate.Donors.Length);
        int duration = end - start;
        double cbar = TreatedSeries(candidate, end, ws);
        var fit = PreFit(candidate, start, end, cbar, b, ws);
        double treatedSum = PrepareTest(candidate, start, end, cbar, fit.TreatedWindowSum, b);
        double att = fit.GapAtZero / duration;
        double scale = Math.Max(fit.PreRmspe / Math.Sqrt(duration), 1e-9 * Math.Max(1, Math.Abs(att)));
        double PValue(double theta)
        {
            TestFit(candidate, start, end, 0, theta, cbar, treatedSum, fit.TreatedWindowSum, b, ws);
            return PermutationPValue(start, end, ConformalStatistic.AbsoluteSum, draws, ws);
        }
        var (lower, upper) = ConformalInference.Invert(PValue, att, scale, _alpha);
        return (att, Math.Min(lower, att), Math.Max(upper, att));
    }

    /// <summary>
    /// The full conformal p-value of "the effect is θ in every test period" after injecting <paramref name="effect"/>,
    /// with the given draws (each the d periods a permutation sends to the window's positions, in window order).
    /// For tests that compare this path with <see cref="ConformalInference"/>.
    /// </summary>
    internal double PValue(GeoPowerCandidate candidate, int start, int end, double effect, double theta, ConformalStatistic statistic, int[] draws, GeoPowerWorkspace ws)
    {
        var b = ws.For(candidate.Donors.Length);
        double cbar = TreatedSeries(candidate, end, ws);
        var fit = PreFit(candidate, start, end, cbar, b, ws);
        double treatedSum = PrepareTest(candidate, start, end, cbar, fit.TreatedWindowSum, b);
        TestFit(candidate, start, end, effect, theta, cbar, treatedSum, fit.TreatedWindowSum, b, ws);
        return PermutationPValue(start, end, statistic, draws, ws);
    }

    /// <summary>The weights (γ) of the pre-period fit of one window, and what the window yields; for tests.</summary>
    internal double[] PreFitWeights(GeoPowerCandidate candidate, int start, int end, GeoPowerWorkspace ws, out GeoPowerWindowFit fit)
    {
        var b = ws.For(candidate.Donors.Length);
        double cbar = TreatedSeries(candidate, end, ws);
        fit = PreFit(candidate, start, end, cbar, b, ws);
        return (double[])b.Gamma.Clone();
    }

    /// <summary>ȳ_t (shifted) for t &lt; end into ws.Treated; returns c̄, the treated markets' mean shift.</summary>
    private double TreatedSeries(GeoPowerCandidate candidate, int end, GeoPowerWorkspace ws)
    {
        int periods = _history.Periods;
        var z = _history.Shifted;
        var treated = candidate.Treated;
        double inv = 1.0 / treated.Length;
        var y = ws.Treated;
        Array.Clear(y, 0, end);
        double cbar = 0;
        foreach (int i in treated)
        {
            int row = i * periods;
            for (int t = 0; t < end; t++)
                y[t] += z[row + t];
            cbar += _history.Shift[i];
        }
        for (int t = 0; t < end; t++)
            y[t] *= inv;
        return cbar * inv;
    }

    /// <summary>
    /// H, f and the donor means μ over periods [0, cut) into the buffers; returns Σ_{t&lt;cut} ȳ_t and sets
    /// <paramref name="treatedSquares"/> = Σ (ȳ_t − m̄)² (m̄ the treated mean with fixed effects, else 0).
    /// </summary>
    private double Gram(GeoPowerCandidate candidate, int cut, DonorBuffers b, double[] mu, out double treatedSquares)
    {
        int ci = _history.CutIndex[cut];
        var s = _history.Sums[ci];
        var p = _history.Cross[ci];
        int n = _history.Units, j = b.J;
        var donors = candidate.Donors;
        var treated = candidate.Treated;
        double inv = 1.0 / treated.Length;
        double treatedSum = 0;
        foreach (int i in treated)
            treatedSum += s[i];
        treatedSum *= inv;
        double centre = _fixedEffects ? 1.0 / cut : 0;
        for (int a = 0; a < j; a++)
            mu[a] = s[donors[a]] * centre;
        for (int a = 0; a < j; a++)
        {
            int row = donors[a] * n;
            double ma = mu[a] * cut;
            for (int c = 0; c < j; c++)
                b.H[a * j + c] = p[row + donors[c]] - ma * mu[c];
            double fa = 0;
            foreach (int i in treated)
                fa += p[row + i];
            b.F[a] = fa * inv - mu[a] * treatedSum;
        }
        double pp = 0;
        foreach (int i in treated)
            foreach (int k in treated)
                pp += p[i * n + k];
        double mean = treatedSum * centre;
        treatedSquares = pp * inv * inv - cut * mean * mean;
        return treatedSum;
    }

    private GeoPowerWindowFit PreFit(GeoPowerCandidate candidate, int start, int end, double cbar, DonorBuffers b, GeoPowerWorkspace ws)
    {
        int j = b.J, duration = end - start;
        double treatedSum = Gram(candidate, start, b, b.PreMu, out double squares);
        Solve(b, warmStart: false);
        Weights(b, candidate.Lambda, factor: true);

        // ‖b − Aγ‖² = bᵀb − 2fᵀγ + γᵀHγ, and the same at equal weights 1/J.
        double fg = 0, ghg = 0, fSum = 0, hSum = 0;
        for (int a = 0; a < j; a++)
        {
            double row = 0, rowSum = 0;
            for (int c = 0; c < j; c++)
            {
                row += b.H[a * j + c] * b.Gamma[c];
                rowSum += b.H[a * j + c];
            }
            ghg += b.Gamma[a] * row;
            fg += b.F[a] * b.Gamma[a];
            fSum += b.F[a];
            hSum += rowSum;
        }
        double l2 = Math.Max(0, squares - 2 * fg + ghg);
        double uniform = Math.Max(0, squares - 2 * fSum / j + hSum / ((double)j * j));

        var ss = _history.Sums[_history.CutIndex[start]];
        var se = _history.Sums[_history.CutIndex[end]];
        double treatedWindow = 0;
        foreach (int i in candidate.Treated)
            treatedWindow += se[i] - ss[i];
        treatedWindow /= candidate.Treated.Length;
        double mean = _fixedEffects ? treatedSum / start : 0;
        double counterfactual = duration * mean;
        for (int a = 0; a < j; a++)
        {
            int d = candidate.Donors[a];
            counterfactual += b.Gamma[a] * (se[d] - ss[d] - duration * b.PreMu[a]);
        }
        return new GeoPowerWindowFit(l2, uniform, Math.Sqrt(l2 / start), treatedWindow - counterfactual, treatedWindow + duration * cbar);
    }

    /// <summary>
    /// The all-period Gram matrix for the conformal fits, f(0) into F0, the injection direction g (per unit of
    /// relative effect) into Injection and the constant-effect direction Σ_{t∈test}A_t into Shift; factors
    /// CHC + λI for the augmented model. Returns Σ_{t&lt;end} ȳ_t.
    /// </summary>
    private double PrepareTest(GeoPowerCandidate candidate, int start, int end, double cbar, double treatedWindowSum, DonorBuffers b)
    {
        int j = b.J, n = _history.Units, duration = end - start;
        double treatedSum = Gram(candidate, end, b, b.Mu, out _);
        Array.Copy(b.F, b.F0, j);
        var ss = _history.Sums[_history.CutIndex[start]];
        var se = _history.Sums[_history.CutIndex[end]];
        var ps = _history.Cross[_history.CutIndex[start]];
        var pe = _history.Cross[_history.CutIndex[end]];
        double inv = 1.0 / candidate.Treated.Length;
        for (int a = 0; a < j; a++)
        {
            int d = candidate.Donors[a];
            double windowSum = se[d] - ss[d];
            double cross = 0;
            foreach (int i in candidate.Treated)
                cross += pe[d * n + i] - ps[d * n + i];
            // Σ_{t∈test}(Z_dt − μ_d)·ȳ_t with ȳ_t = z̄_t + c̄ in raw units.
            b.Injection[a] = cross * inv + cbar * windowSum - b.Mu[a] * treatedWindowSum;
            b.Shift[a] = windowSum - duration * b.Mu[a];
        }
        if (_model == GeoModel.Augmented && candidate.Lambda > 0)
            FactorRidge(b, candidate.Lambda.Value);
        return treatedSum;
    }

    /// <summary>The all-period fit with effect e injected and θ subtracted in the window; residuals into ws.</summary>
    private void TestFit(GeoPowerCandidate candidate, int start, int end, double effect, double theta, double cbar, double treatedSum, double treatedWindowSum,
        DonorBuffers b, GeoPowerWorkspace ws)
    {
        int j = b.J, periods = _history.Periods, duration = end - start;
        for (int a = 0; a < j; a++)
            b.F[a] = b.F0[a] + effect * b.Injection[a] - theta * b.Shift[a];
        Solve(b, warmStart: true);
        Weights(b, candidate.Lambda, factor: false);

        double mean = _fixedEffects ? (treatedSum + effect * treatedWindowSum - theta * duration) / end : 0;
        double constant = 0;
        for (int a = 0; a < j; a++)
            constant += b.Gamma[a] * b.Mu[a];
        var fitted = ws.Fitted;
        var z = _history.Shifted;
        for (int t = 0; t < end; t++)
            fitted[t] = -constant;
        for (int a = 0; a < j; a++)
        {
            double g = b.Gamma[a];
            if (g == 0)
                continue;
            int row = candidate.Donors[a] * periods;
            for (int t = 0; t < end; t++)
                fitted[t] += g * z[row + t];
        }
        var y = ws.Treated;
        var r = ws.Residuals;
        for (int t = 0; t < end; t++)
        {
            double u = y[t] - mean - fitted[t];
            if (t >= start)
                u += effect * (y[t] + cbar) - theta;
            r[t] = u;
        }
    }

    private void Solve(DonorBuffers b, bool warmStart)
    {
        var op = new DenseSimplexQpOperator(b.H, b.F);
        b.Solver.Solve(op, b.W, warmStart);
    }

    /// <summary>
    /// γ = w for SCM; γ = w + (CHC + λI)⁻¹C(f − Hw) for the ridge-augmented model. λ is 0 only when the donors'
    /// centred paths do not vary (CHC = 0: one donor, or identical donors), and then there is nothing to correct.
    /// </summary>
    private void Weights(DonorBuffers b, double? lambda, bool factor)
    {
        int j = b.J;
        Array.Copy(b.W, b.Gamma, j);
        if (_model != GeoModel.Augmented || !(lambda > 0))
            return;
        if (factor)
            FactorRidge(b, lambda!.Value);
        double mean = 0;
        for (int a = 0; a < j; a++)
        {
            double s = b.F[a];
            for (int c = 0; c < j; c++)
                s -= b.H[a * j + c] * b.W[c];
            b.V[a] = s;
            mean += s;
        }
        mean /= j;
        for (int a = 0; a < j; a++)
            b.V[a] -= mean;
        CholeskySolve(b.Chol, j, b.V);
        for (int a = 0; a < j; a++)
            b.Gamma[a] += b.V[a];
    }

    /// <summary>Cholesky factor of CHC + λI (H centred by its row and column means) into b.Chol.</summary>
    private static void FactorRidge(DonorBuffers b, double lambda)
    {
        int j = b.J;
        var rowMean = b.Row;
        double grand = 0;
        for (int a = 0; a < j; a++)
        {
            double s = 0;
            for (int c = 0; c < j; c++)
                s += b.H[a * j + c];
            rowMean[a] = s / j;
            grand += rowMean[a];
        }
        grand /= j;
        for (int a = 0; a < j; a++)
            for (int c = 0; c < j; c++)
                b.Chol[a * j + c] = b.H[a * j + c] - rowMean[a] - rowMean[c] + grand + (a == c ? lambda : 0);
        for (int c = 0; c < j; c++)
        {
            double s = b.Chol[c * j + c];
            for (int k = 0; k < c; k++)
                s -= b.Chol[c * j + k] * b.Chol[c * j + k];
            double l = Math.Sqrt(Math.Max(s, lambda * 1e-12));
            b.Chol[c * j + c] = l;
            for (int i = c + 1; i < j; i++)
            {
                double t = b.Chol[i * j + c];
                for (int k = 0; k < c; k++)
                    t -= b.Chol[i * j + k] * b.Chol[c * j + k];
                b.Chol[i * j + c] = t / l;
            }
        }
    }

    private static void CholeskySolve(double[] l, int j, double[] x)
    {
        for (int i = 0; i < j; i++)
        {
            double s = x[i];
            for (int k = 0; k < i; k++)
                s -= l[i * j + k] * x[k];
            x[i] = s / l[i * j + i];
        }
        for (int i = j - 1; i >= 0; i--)
        {
            double s = x[i];
            for (int k = i + 1; k < j; k++)
                s -= l[k * j + i] * x[k];
            x[i] = s / l[i * j + i];
        }
    }

    /// <summary>
    /// The permutation draws of the window [start, end): for each permutation, the d periods it sends to the window's
    /// d positions, stored draw after draw. Iid: K uniformly random permutations of [0, end), drawn by a partial
    /// Fisher–Yates shuffle from the top (undone after each draw) — the statistic only sums over those positions, so
    /// this is <see cref="ConformalInference"/>'s iid test at O(K·d) cost. Moving blocks: the end − 1 cyclic shifts
    /// other than the identity. The identity itself is always counted separately.
    /// </summary>
    public int[] Draws(ulong seed, int start, int end)
    {
        int duration = end - start;
        if (_movingBlock)
        {
            var shifts = new int[(end - 1) * duration];
            for (int shift = 1; shift < end; shift++)
                for (int i = 0; i < duration; i++)
                    shifts[(shift - 1) * duration + i] = (start + i + shift) % end;
            return shifts;
        }
        var rng = new GeoPowerRandom(seed);
        var shuffle = new int[end];
        var undo = new int[duration];
        var selections = new int[_permutations * duration];
        for (int t = 0; t < end; t++)
            shuffle[t] = t;
        for (int k = 0; k < _permutations; k++)
        {
            int offset = k * duration;
            for (int i = 0; i < duration; i++)
            {
                int position = end - 1 - i;
                int other = rng.Next(position + 1);
                (shuffle[position], shuffle[other]) = (shuffle[other], shuffle[position]);
                undo[i] = other;
                selections[offset + duration - 1 - i] = shuffle[position];
            }
            for (int i = duration - 1; i >= 0; i--)
            {
                int position = end - 1 - i;
                (shuffle[position], shuffle[undo[i]]) = (shuffle[undo[i]], shuffle[position]);
            }
        }
        return selections;
    }

    /// <summary>Whether p ≤ α for S = Σ_{t∈test}|û_t|, stopping as soon as the draws at least as extreme exceed α(K + 1).</summary>
    /// <summary>
    /// Whether the conformal test of "no average effect" (statistic |Σû| over the window, the test
    /// <see cref="GeoExperiment"/> reports and inverts for its interval) rejects at α, stopping as soon as more
    /// permutations reach the observed statistic than α allows.
    /// </summary>
    private bool Rejects(int start, int end, int[] selections, GeoPowerWorkspace ws)
    {
        int duration = end - start;
        var r = ws.Residuals;
        double sum = 0;
        for (int t = start; t < end; t++)
            sum += r[t];
        double observed = Math.Abs(sum);
        double threshold = observed - 1e-12 * observed;
        int draws = selections.Length / duration;
        int maxAtLeast = MaxAtLeast(draws, _alpha);
        int atLeast = 1; // the identity
        ReadOnlySpan<double> residuals = r.AsSpan(0, end);
        for (int k = 0; k < draws; k++)
        {
            // Four independent partial sums: one running sum would wait on each add's latency.
            var draw = new ReadOnlySpan<int>(selections, k * duration, duration);
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int i = 0;
            for (; i + 4 <= draw.Length; i += 4)
            {
                s0 += residuals[draw[i]];
                s1 += residuals[draw[i + 1]];
                s2 += residuals[draw[i + 2]];
                s3 += residuals[draw[i + 3]];
            }
            for (; i < draw.Length; i++)
                s0 += residuals[draw[i]];
            if (Math.Abs((s0 + s1) + (s2 + s3)) >= threshold && ++atLeast > maxAtLeast)
                return false;
        }
        return true;
    }

    private static double PermutationPValue(int start, int end, ConformalStatistic statistic, int[] selections, GeoPowerWorkspace ws)
    {
        int duration = end - start;
        int draws = selections.Length / duration;
        var r = ws.Residuals;
        double Statistic(int offset)
        {
            double sum = 0, absolute = 0;
            for (int i = 0; i < duration; i++)
            {
                double u = r[offset < 0 ? start + i : selections[offset + i]];
                sum += u;
                absolute += Math.Abs(u);
            }
            return statistic switch
            {
                ConformalStatistic.SumOfAbsoluteResiduals => absolute,
                _ => Math.Abs(sum),
            };
        }
        double observed = Statistic(-1);
        double threshold = observed - 1e-12 * Math.Abs(observed);
        int atLeast = 1;
        for (int k = 0; k < draws; k++)
            if (Statistic(k * duration) >= threshold)
                atLeast++;
        return atLeast / (double)(draws + 1);
    }

    /// <summary>
    /// λ by augsynth's cross-validation exactly as <see cref="OutcomeSyntheticControl"/> chooses it (candidates
    /// σ²_max·(10⁻⁸)^(k/20), leave-one-period-out for each pre-period but the last, the largest λ within one standard
    /// error of the best), on periods [0, cut), in J × J form: with period i held out, H₋ᵢ = H − aᵢaᵢᵀ and
    /// f₋ᵢ = f − aᵢbᵢ, the simplex weights w₋ᵢ, and γ(λ) = w₋ᵢ + Q(Λ + λ)⁻¹QᵀC(f₋ᵢ − H₋ᵢw₋ᵢ) from one symmetric
    /// eigen-decomposition CH₋ᵢC = QΛQᵀ; the held-out error is (x₁ᵢ − (Caᵢ)ᵀγ)².
    /// </summary>
    public double ChooseLambda(GeoPowerCandidate candidate, int cut, GeoPowerWorkspace ws)
    {
        var b = ws.For(candidate.Donors.Length);
        int j = b.J, periods = _history.Periods;
        TreatedSeries(candidate, cut, ws);
        double treatedSum = Gram(candidate, cut, b, b.Mu, out _);
        double mean = _fixedEffects ? treatedSum / cut : 0;
        var centred = Matrix<double>.Build.Dense(j, j);
        Centre(b.H, j, b.Row, centred);
        double largest = Math.Max(0, centred.Evd(Symmetricity.Symmetric).EigenValues.Real().Maximum());
        var lambdas = Enumerable.Range(0, 21).Select(k => largest * Math.Pow(1e-8, k / 20.0)).ToArray();
        if (!(largest > 0) || cut < 3)
            return lambdas[0];

        var h = (double[])b.H.Clone();
        var f = (double[])b.F.Clone();
        Solve(b, warmStart: false);
        var start = (double[])b.W.Clone();
        int holdouts = cut - 1;
        var errors = new double[lambdas.Length, holdouts];
        var a0 = new double[j];
        var v = Vector<double>.Build.Dense(j);
        var heldOut = Vector<double>.Build.Dense(j);
        for (int i = 0; i < holdouts; i++)
        {
            double aMean = 0;
            for (int a = 0; a < j; a++)
            {
                a0[a] = _history.Shifted[candidate.Donors[a] * periods + i] - b.Mu[a];
                aMean += a0[a];
            }
            aMean /= j;
            double bi = ws.Treated[i] - mean;
            for (int a = 0; a < j; a++)
            {
                for (int c = 0; c < j; c++)
                    b.H[a * j + c] = h[a * j + c] - a0[a] * a0[c];
                b.F[a] = f[a] - a0[a] * bi;
            }
            Array.Copy(start, b.W, j);
            Solve(b, warmStart: true);
            Centre(b.H, j, b.Row, centred);
            var evd = centred.Evd(Symmetricity.Symmetric);
            var q = evd.EigenVectors;
            var eigen = evd.EigenValues.Real();
            double vMean = 0;
            for (int a = 0; a < j; a++)
            {
                double s = b.F[a];
                for (int c = 0; c < j; c++)
                    s -= b.H[a * j + c] * b.W[c];
                v[a] = s;
                vMean += s;
            }
            vMean /= j;
            double baseline = bi - aMean;
            for (int a = 0; a < j; a++)
            {
                v[a] -= vMean;
                heldOut[a] = a0[a] - aMean;
                baseline -= heldOut[a] * b.W[a];
            }
            var projected = q.TransposeThisAndMultiply(v);
            var heldOutProjected = q.TransposeThisAndMultiply(heldOut);
            for (int k = 0; k < lambdas.Length; k++)
            {
                double correction = 0;
                for (int m = 0; m < j; m++)
                    correction += heldOutProjected[m] * projected[m] / (eigen[m] + lambdas[k]);
                errors[k, i] = Math.Pow(baseline - correction, 2);
            }
        }

        return OutcomeSyntheticControl.OneStandardErrorChoice(lambdas, errors);
    }

    /// <summary>CHC with C = I − 11ᵀ/J (H row-major J × J): the Gram matrix of the donor paths centred across donors.</summary>
    private static void Centre(double[] h, int j, double[] rowMeans, Matrix<double> result)
    {
        double grand = 0;
        for (int a = 0; a < j; a++)
        {
            double s = 0;
            for (int c = 0; c < j; c++)
                s += h[a * j + c];
            rowMeans[a] = s / j;
            grand += rowMeans[a];
        }
        grand /= j;
        for (int a = 0; a < j; a++)
            for (int c = 0; c < j; c++)
                result[a, c] = h[a * j + c] - rowMeans[a] - rowMeans[c] + grand;
    }
}
