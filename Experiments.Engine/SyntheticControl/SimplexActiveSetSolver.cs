namespace Experiments.Engine.SyntheticControl;

/// <summary>
/// The quadratic q(w) = ½ wᵀHw − fᵀw seen by <see cref="SimplexActiveSetSolver"/>, either as a dense H or in the
/// factored least-squares form H = Aᵀ diag(v) A, f = Aᵀ diag(v) b (so q(w) = ½‖Aw − b‖²_v − ½‖b‖²_v). The factored
/// form never builds the n × n matrix: the synthetic control's inner problem has few predictors (rows) and many
/// donors (columns).
/// </summary>
internal abstract class SimplexQpOperator
{
    protected SimplexQpOperator(int size) => Size = size;

    /// <summary>Number of variables n.</summary>
    public int Size { get; }

    /// <summary>Magnitude of H and f, for relative tolerances.</summary>
    public abstract double Scale { get; }

    /// <summary>g = Hw − f for every coordinate, where w is zero outside <paramref name="free"/>.</summary>
    public abstract void Gradient(double[] w, int[] free, int freeCount, double[] g);

    /// <summary>
    /// The reduced Hessian R[a,b] = H[oₐ,o_b] − H[oₐ,p] − H[p,o_b] + H[p,p] of the null-space basis Z = [I; −1ᵀ]
    /// of the constraint Σw = 1 on the free set, with pivot p and the other free indices o (row-major, m × m).
    /// </summary>
    public abstract void ReducedHessian(int[] others, int m, int pivot, double[] r);

    /// <summary>q(eⱼ) = ½Hⱼⱼ − fⱼ, the objective at a vertex of the simplex.</summary>
    public abstract double VertexObjective(int j);
}

internal sealed class DenseSimplexQpOperator : SimplexQpOperator
{
    private readonly double[] _h; // row-major n × n
    private readonly double[] _f;

    public DenseSimplexQpOperator(double[] hessianRowMajor, double[] linear) : base(linear.Length)
    {
        _h = hessianRowMajor;
        _f = linear;
        var scale = 0.0;
        for (var i = 0; i < Size; i++) scale = Math.Max(scale, Math.Max(Math.Abs(_h[i * Size + i]), Math.Abs(_f[i])));
        Scale = scale > 0 ? scale : 1.0;
    }

    public override double Scale { get; }

    public override void Gradient(double[] w, int[] free, int freeCount, double[] g)
    {
        var n = Size;
        for (var i = 0; i < n; i++)
        {
            var s = -_f[i];
            var row = i * n;
            for (var k = 0; k < freeCount; k++)
            {
                var j = free[k];
                s += _h[row + j] * w[j];
            }

            g[i] = s;
        }
    }

    public override void ReducedHessian(int[] others, int m, int pivot, double[] r)
    {
        var n = Size;
        var hpp = _h[pivot * n + pivot];
        for (var a = 0; a < m; a++)
        {
            var ia = others[a];
            var hap = _h[ia * n + pivot];
            for (var b = a; b < m; b++)
            {
                var ib = others[b];
                var v = _h[ia * n + ib] - hap - _h[pivot * n + ib] + hpp;
                r[a * m + b] = v;
                r[b * m + a] = v;
            }
        }
    }

    public override double VertexObjective(int j) => 0.5 * _h[j * Size + j] - _f[j];
}

internal sealed class FactoredSimplexQpOperator : SimplexQpOperator
{
    private readonly double[] _a; // row-major k × n
    private readonly double[] _v; // k
    private readonly double[] _b; // k
    private readonly int _rows;
    private readonly double[] _residual;
    private double[] _diff;
    private double _scale;

    public FactoredSimplexQpOperator(double[] designRowMajor, int rows, double[] rowWeights, double[] target)
        : base(designRowMajor.Length / Math.Max(rows, 1))
    {
        _a = designRowMajor;
        _rows = rows;
        _v = (double[])rowWeights.Clone();
        _b = target;
        _residual = new double[rows];
        _diff = new double[rows * 8];
        ComputeScale();
    }

    /// <summary>Replaces the row weights v (the diagonal of V in the synthetic control) without reallocating.</summary>
    public void SetRowWeights(double[] rowWeights)
    {
        Array.Copy(rowWeights, _v, _rows);
        ComputeScale();
    }

    private void ComputeScale()
    {
        var scale = 0.0;
        for (var j = 0; j < Size; j++)
        {
            double hjj = 0, fj = 0;
            for (var h = 0; h < _rows; h++)
            {
                var x = _a[h * Size + j];
                hjj += _v[h] * x * x;
                fj += _v[h] * x * _b[h];
            }

            scale = Math.Max(scale, Math.Max(hjj, Math.Abs(fj)));
        }

        _scale = scale > 0 ? scale : 1.0;
    }

    public override double Scale => _scale;

    public override void Gradient(double[] w, int[] free, int freeCount, double[] g)
    {
        var n = Size;
        for (var h = 0; h < _rows; h++)
        {
            var row = h * n;
            var s = -_b[h];
            for (var k = 0; k < freeCount; k++)
            {
                var j = free[k];
                s += _a[row + j] * w[j];
            }

            _residual[h] = _v[h] * s;
        }

        Array.Clear(g, 0, n);
        for (var h = 0; h < _rows; h++)
        {
            var s = _residual[h];
            if (s == 0) continue;
            var row = h * n;
            for (var i = 0; i < n; i++) g[i] += _a[row + i] * s;
        }
    }

    public override void ReducedHessian(int[] others, int m, int pivot, double[] r)
    {
        var n = Size;
        if (_diff.Length < _rows * m) _diff = new double[_rows * Math.Max(m, 2 * _diff.Length / Math.Max(_rows, 1))];
        for (var h = 0; h < _rows; h++)
        {
            var row = h * n;
            var ap = _a[row + pivot];
            for (var a = 0; a < m; a++) _diff[h * m + a] = _a[row + others[a]] - ap;
        }

        for (var a = 0; a < m; a++)
        {
            for (var b = a; b < m; b++)
            {
                var s = 0.0;
                for (var h = 0; h < _rows; h++) s += _v[h] * _diff[h * m + a] * _diff[h * m + b];
                r[a * m + b] = s;
                r[b * m + a] = s;
            }
        }
    }

    public override double VertexObjective(int j)
    {
        var s = 0.0;
        for (var h = 0; h < _rows; h++)
        {
            var e = _a[h * Size + j] - _b[h];
            s += _v[h] * (e * e - _b[h] * _b[h]);
        }

        return 0.5 * s;
    }
}

/// <summary>
/// Primal active-set method for min ½wᵀHw − fᵀw subject to w ≥ 0, Σw = 1, with H symmetric positive semidefinite
/// (Nocedal &amp; Wright, <i>Numerical Optimization</i>, 2nd ed., Algorithm 16.3, specialised to the simplex in the
/// manner of Lawson &amp; Hanson's NNLS: one index enters the free set at a time).
/// </summary>
/// <remarks>
/// On the free set F the equality-constrained step is found in the null space of 1ᵀ with the basis Z = [I; −1ᵀ]
/// about a pivot p ∈ F. The reduced Hessian ZᵀH_FF Z is factored by Cholesky; when it is singular (collinear or
/// duplicated donors, more donors than predictors) a Jacobi eigen-decomposition gives the minimum-norm step on its
/// range, and a null direction along which the objective decreases linearly is followed to the boundary. KKT
/// conditions at the end: gᵢ = ν on the support, gᵢ ≥ ν off it, where g = Hw − f and ν is the multiplier of Σw = 1.
/// The solver keeps its scratch arrays between calls, so one instance must not be shared by threads.
/// </remarks>
internal sealed class SimplexActiveSetSolver
{
    private readonly int _n;
    private readonly double[] _g;
    private readonly int[] _free;
    private readonly bool[] _inFree;
    private readonly bool[] _tabu;
    private readonly int[] _others;
    private readonly double[] _d;
    private double[] _r;
    private double[] _rhs;
    private double[] _y;
    private double[] _q;

    public SimplexActiveSetSolver(int size)
    {
        _n = size;
        _g = new double[size];
        _free = new int[size];
        _inFree = new bool[size];
        _tabu = new bool[size];
        _others = new int[size];
        _d = new double[size];
        _r = new double[64];
        _rhs = new double[8];
        _y = new double[8];
        _q = new double[64];
    }

    /// <summary>Gradient Hw − f at the last solution.</summary>
    public double[] Gradient => _g;

    /// <summary>
    /// Solves in place. <paramref name="w"/> is the starting point when <paramref name="warmStart"/> is true and it is
    /// feasible (w ≥ 0, Σw = 1 within 1e-9); otherwise the best vertex starts. Returns the number of iterations.
    /// </summary>
    public int Solve(SimplexQpOperator op, double[] w, bool warmStart, int maxIterations = 0)
    {
        var n = _n;
        if (op.Size != n || w.Length != n) throw new InvalidOperationException("Solver size mismatch.");
        if (maxIterations <= 0) maxIterations = 20 * n + 100;
        var tolGrad = 1e-12 * op.Scale;

        var feasible = warmStart;
        if (feasible)
        {
            var sum = 0.0;
            for (var i = 0; i < n; i++)
            {
                if (!(w[i] >= 0)) { feasible = false; break; }
                sum += w[i];
            }

            if (feasible && Math.Abs(sum - 1) > 1e-9) feasible = false;
            if (feasible)
                for (var i = 0; i < n; i++) w[i] /= sum;
        }

        if (!feasible)
        {
            var best = 0;
            var bestValue = double.PositiveInfinity;
            for (var j = 0; j < n; j++)
            {
                var v = op.VertexObjective(j);
                if (v < bestValue) { bestValue = v; best = j; }
            }

            Array.Clear(w);
            w[best] = 1.0;
        }

        var freeCount = 0;
        for (var i = 0; i < n; i++)
        {
            _inFree[i] = w[i] > 0;
            _tabu[i] = false;
            if (_inFree[i]) _free[freeCount++] = i;
        }

        op.Gradient(w, _free, freeCount, _g);
        var iterations = 0;
        var needStep = freeCount > 1;
        while (iterations < maxIterations)
        {
            iterations++;
            if (needStep)
            {
                var unbounded = ComputeStep(op, w, freeCount, tolGrad, out var stepSize);
                if (stepSize > 1e-15)
                {
                    var alpha = unbounded ? double.PositiveInfinity : 1.0;
                    var block = -1;
                    for (var k = 0; k < freeCount; k++)
                    {
                        var i = _free[k];
                        if (_d[i] < 0)
                        {
                            var a = w[i] / -_d[i];
                            if (a < alpha) { alpha = a; block = i; }
                        }
                    }

                    if (double.IsPositiveInfinity(alpha)) break; // cannot happen: Σd = 0 and d ≠ 0
                    if (alpha > 0)
                        for (var k = 0; k < n; k++) _tabu[k] = false;
                    for (var k = 0; k < freeCount; k++)
                    {
                        var i = _free[k];
                        w[i] += alpha * _d[i];
                    }

                    if (block >= 0)
                    {
                        if (alpha == 0) _tabu[block] = true; // an entering index that cannot grow: keep it out this round
                        w[block] = 0;
                        // Drop the blocking index and any that rounding pushed to ≤ 0.
                        var kept = 0;
                        var sum = 0.0;
                        for (var k = 0; k < freeCount; k++)
                        {
                            var i = _free[k];
                            if (w[i] > 0) { _free[kept++] = i; sum += w[i]; }
                            else { w[i] = 0; _inFree[i] = false; }
                        }

                        freeCount = kept;
                        for (var k = 0; k < freeCount; k++) w[_free[k]] /= sum;
                        op.Gradient(w, _free, freeCount, _g);
                        needStep = freeCount > 1;
                        continue;
                    }

                    op.Gradient(w, _free, freeCount, _g);
                    if (unbounded) { needStep = true; continue; }
                }
            }

            // At the minimiser over the current face: the multiplier ν of Σw = 1 equals gᵢ on the free set.
            var nu = 0.0;
            for (var k = 0; k < freeCount; k++) nu += _g[_free[k]];
            nu /= freeCount;
            var enter = -1;
            var most = -tolGrad;
            for (var i = 0; i < n; i++)
            {
                if (_inFree[i] || _tabu[i]) continue;
                var reduced = _g[i] - nu;
                if (reduced < most) { most = reduced; enter = i; }
            }

            if (enter < 0) break;
            _inFree[enter] = true;
            _free[freeCount++] = enter;
            needStep = true;
        }

        // Exact feasibility: clip and renormalise the (already non-negative) weights.
        var total = 0.0;
        for (var i = 0; i < n; i++)
        {
            if (w[i] < 0) w[i] = 0;
            total += w[i];
        }

        for (var i = 0; i < n; i++) w[i] /= total;
        freeCount = 0;
        for (var i = 0; i < n; i++)
            if (w[i] > 0) _free[freeCount++] = i;
        op.Gradient(w, _free, freeCount, _g);
        return iterations;
    }

    /// <summary>
    /// Fills _d with the step to the minimiser of q on the affine hull of the free face (or a descent direction
    /// of zero curvature when that minimiser does not exist). Returns true for the latter.
    /// </summary>
    private bool ComputeStep(SimplexQpOperator op, double[] w, int freeCount, double tolGrad, out double stepSize)
    {
        for (var k = 0; k < freeCount; k++) _d[_free[k]] = 0;
        stepSize = 0;
        if (freeCount < 2) return false;

        var pivot = _free[0];
        for (var k = 1; k < freeCount; k++)
            if (w[_free[k]] > w[pivot]) pivot = _free[k];
        var m = 0;
        for (var k = 0; k < freeCount; k++)
            if (_free[k] != pivot) _others[m++] = _free[k];

        if (_r.Length < m * m) { _r = new double[2 * m * m]; _q = new double[2 * m * m]; }
        if (_rhs.Length < m) { _rhs = new double[2 * m]; _y = new double[2 * m]; }
        op.ReducedHessian(_others, m, pivot, _r);
        var gp = _g[pivot];
        for (var a = 0; a < m; a++) _rhs[a] = -(_g[_others[a]] - gp);

        var unbounded = false;
        if (!CholeskySolve(_r, m, _rhs, _y))
        {
            op.ReducedHessian(_others, m, pivot, _r); // CholeskySolve overwrote it
            unbounded = EigenSolve(_r, m, _rhs, _y, tolGrad);
        }

        var sum = 0.0;
        for (var a = 0; a < m; a++)
        {
            _d[_others[a]] = _y[a];
            sum += _y[a];
            stepSize = Math.Max(stepSize, Math.Abs(_y[a]));
        }

        _d[pivot] = -sum;
        stepSize = Math.Max(stepSize, Math.Abs(sum));
        return unbounded;
    }

    /// <summary>Solves R y = rhs by Cholesky in place; false when R is not numerically positive definite.</summary>
    private static bool CholeskySolve(double[] r, int m, double[] rhs, double[] y)
    {
        var maxDiag = 0.0;
        for (var a = 0; a < m; a++) maxDiag = Math.Max(maxDiag, r[a * m + a]);
        if (!(maxDiag > 0)) return false;
        var tol = 1e-11 * maxDiag;
        for (var j = 0; j < m; j++)
        {
            var s = r[j * m + j];
            for (var k = 0; k < j; k++) s -= r[j * m + k] * r[j * m + k];
            if (!(s > tol)) return false;
            var ljj = Math.Sqrt(s);
            r[j * m + j] = ljj;
            for (var i = j + 1; i < m; i++)
            {
                var t = r[i * m + j];
                for (var k = 0; k < j; k++) t -= r[i * m + k] * r[j * m + k];
                r[i * m + j] = t / ljj;
            }
        }

        for (var i = 0; i < m; i++)
        {
            var s = rhs[i];
            for (var k = 0; k < i; k++) s -= r[i * m + k] * y[k];
            y[i] = s / r[i * m + i];
        }

        for (var i = m - 1; i >= 0; i--)
        {
            var s = y[i];
            for (var k = i + 1; k < m; k++) s -= r[k * m + i] * y[k];
            y[i] = s / r[i * m + i];
        }

        return true;
    }

    /// <summary>
    /// Singular reduced Hessian: the minimum-norm solution on its range, unless the linear term has a component
    /// along a null direction, in which case the objective decreases without bound along it (within the face) and
    /// that direction is returned (true).
    /// </summary>
    private bool EigenSolve(double[] r, int m, double[] rhs, double[] y, double tolGrad)
    {
        JacobiEigen(r, m, _q);
        var lambdaMax = 0.0;
        for (var a = 0; a < m; a++) lambdaMax = Math.Max(lambdaMax, r[a * m + a]);
        var lambdaTol = Math.Max(1e-11 * lambdaMax, 1e-300);
        var rhsNorm = 0.0;
        for (var a = 0; a < m; a++) rhsNorm = Math.Max(rhsNorm, Math.Abs(rhs[a]));
        var nullTol = Math.Max(tolGrad, 1e-10 * rhsNorm);

        var bestNull = -1;
        var bestComponent = 0.0;
        for (var k = 0; k < m; k++)
        {
            if (r[k * m + k] > lambdaTol) continue;
            var c = 0.0;
            for (var a = 0; a < m; a++) c += _q[a * m + k] * rhs[a];
            if (Math.Abs(c) > nullTol && Math.Abs(c) > Math.Abs(bestComponent)) { bestComponent = c; bestNull = k; }
        }

        if (bestNull >= 0)
        {
            var sign = Math.Sign(bestComponent);
            for (var a = 0; a < m; a++) y[a] = sign * _q[a * m + bestNull];
            return true;
        }

        Array.Clear(y, 0, m);
        for (var k = 0; k < m; k++)
        {
            var lambda = r[k * m + k];
            if (lambda <= lambdaTol) continue;
            var c = 0.0;
            for (var a = 0; a < m; a++) c += _q[a * m + k] * rhs[a];
            c /= lambda;
            for (var a = 0; a < m; a++) y[a] += c * _q[a * m + k];
        }

        return false;
    }

    /// <summary>Cyclic Jacobi: on return the diagonal of <paramref name="a"/> holds the eigenvalues and the columns of <paramref name="v"/> the eigenvectors.</summary>
    internal static void JacobiEigen(double[] a, int m, double[] v)
    {
        for (var i = 0; i < m; i++)
            for (var j = 0; j < m; j++) v[i * m + j] = i == j ? 1 : 0;
        for (var sweep = 0; sweep < 100; sweep++)
        {
            double off = 0, diag = 0;
            for (var i = 0; i < m; i++)
            {
                diag += a[i * m + i] * a[i * m + i];
                for (var j = i + 1; j < m; j++) off += a[i * m + j] * a[i * m + j];
            }

            if (off <= 1e-30 * diag || off == 0) return;
            for (var p = 0; p < m - 1; p++)
            {
                for (var q = p + 1; q < m; q++)
                {
                    var apq = a[p * m + q];
                    if (apq == 0) continue;
                    var theta = (a[q * m + q] - a[p * m + p]) / (2 * apq);
                    var t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    var c = 1 / Math.Sqrt(t * t + 1);
                    var s = t * c;
                    for (var k = 0; k < m; k++)
                    {
                        var akp = a[k * m + p];
                        var akq = a[k * m + q];
                        a[k * m + p] = c * akp - s * akq;
                        a[k * m + q] = s * akp + c * akq;
                    }

                    for (var k = 0; k < m; k++)
                    {
                        var apk = a[p * m + k];
                        var aqk = a[q * m + k];
                        a[p * m + k] = c * apk - s * aqk;
                        a[q * m + k] = s * apk + c * aqk;
                    }

                    for (var k = 0; k < m; k++)
                    {
                        var vkp = v[k * m + p];
                        var vkq = v[k * m + q];
                        v[k * m + p] = c * vkp - s * vkq;
                        v[k * m + q] = s * vkp + c * vkq;
                    }
                }
            }
        }
    }
}
