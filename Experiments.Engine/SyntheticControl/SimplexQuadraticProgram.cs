using MathNet.Numerics.LinearAlgebra;

namespace Experiments.Engine.SyntheticControl;

/// <summary>The solution of a simplex-constrained quadratic program.</summary>
/// <param name="Weights">The minimiser w: every wᵢ ≥ 0 and Σwᵢ = 1 (to rounding, |Σw − 1| ≤ 1e-15·n).</param>
/// <param name="Objective">
/// The objective at <paramref name="Weights"/>: ½wᵀHw − fᵀw for <see cref="SimplexQuadraticProgram.Minimize"/>,
/// ‖Aw − b‖²_v = Σₕ vₕ(Aw − b)ₕ² for <see cref="SimplexQuadraticProgram.MinimizeLeastSquares"/>.
/// </param>
/// <param name="Multiplier">
/// ν, the Lagrange multiplier of Σw = 1 for the form ½wᵀHw − fᵀw (for least squares H = Aᵀdiag(v)A, f = Aᵀdiag(v)b):
/// the common value of the gradient gᵢ = (Hw − f)ᵢ on the support.
/// </param>
/// <param name="KktViolation">
/// max( maxᵢ:wᵢ&gt;0 |gᵢ − ν|, maxᵢ:wᵢ=0 max(0, ν − gᵢ) ), in the units of g. The KKT conditions of the program are
/// gᵢ = ν where wᵢ &gt; 0 and gᵢ ≥ ν where wᵢ = 0; this is how far the answer is from meeting them.
/// </param>
/// <param name="Iterations">Active-set iterations (one index entering or leaving the free set, or one subspace step).</param>
public sealed record SimplexQuadraticProgramSolution(
    IReadOnlyList<double> Weights,
    double Objective,
    double Multiplier,
    double KktViolation,
    int Iterations);

/// <summary>
/// Solves convex quadratic programs over the probability simplex:
/// minimise ½wᵀHw − fᵀw subject to w ≥ 0 and Σw = 1, with H symmetric positive semidefinite; or the weighted
/// least-squares form minimise ‖Aw − b‖²_v = (Aw − b)ᵀdiag(v)(Aw − b). The latter is the inner problem of the
/// synthetic control method, W*(V) = argmin (X₁ − X₀W)ᵀV(X₁ − X₀W) (Abadie &amp; Gardeazabal 2003, eq. 3; Abadie,
/// Diamond &amp; Hainmueller 2010, §2.3).
/// </summary>
/// <remarks>
/// <para>
/// Method: a primal active-set method (Nocedal &amp; Wright, <i>Numerical Optimization</i>, 2nd ed., Alg. 16.3) that
/// starts at the best vertex and lets one index enter at a time, as Lawson &amp; Hanson's NNLS does. On each face
/// the equality-constrained minimiser is computed exactly (Cholesky of the reduced Hessian ZᵀHZ, Z = [I; −1ᵀ]);
/// singular reduced Hessians, which arise with collinear or duplicated columns and whenever there are more columns
/// than rows in A, are handled by an eigen-decomposition (minimum-norm step on the range, or a zero-curvature
/// descent direction followed to the boundary). The answer is exact to rounding, not to an iteration tolerance:
/// the result is on the simplex and its KKT residual is reported.
/// </para>
/// <para>
/// When H is only semidefinite the minimiser may not be unique (e.g. two identical donors); the objective value
/// is, and the solver returns one minimiser.
/// </para>
/// </remarks>
public static class SimplexQuadraticProgram
{
    /// <summary>Minimises ½wᵀHw − fᵀw over the simplex {w ≥ 0, Σw = 1}.</summary>
    /// <param name="hessian">H, n × n, symmetric positive semidefinite (symmetry is checked to 1e-10 relative; definiteness is the caller's promise).</param>
    /// <param name="linear">f, length n.</param>
    /// <exception cref="StatisticsInputException">Empty or mismatched sizes, non-finite entries, an asymmetric H or a negative diagonal entry.</exception>
    public static SimplexQuadraticProgramSolution Minimize(Matrix<double> hessian, Vector<double> linear)
    {
        ArgumentNullException.ThrowIfNull(hessian);
        ArgumentNullException.ThrowIfNull(linear);
        var n = linear.Count;
        if (n == 0) throw new StatisticsInputException(nameof(linear), "The program needs at least one variable.");
        if (hessian.RowCount != n || hessian.ColumnCount != n)
            throw new StatisticsInputException(nameof(hessian), $"The Hessian is {hessian.RowCount} × {hessian.ColumnCount} but the linear term has {n} entries.");
        var h = new double[n * n];
        var f = new double[n];
        var scale = 0.0;
        for (var i = 0; i < n; i++)
        {
            f[i] = linear[i];
            if (!double.IsFinite(f[i])) throw new StatisticsInputException(nameof(linear), $"Entry {i} of the linear term is not finite.");
            for (var j = 0; j < n; j++)
            {
                var v = hessian[i, j];
                if (!double.IsFinite(v)) throw new StatisticsInputException(nameof(hessian), $"Entry ({i}, {j}) of the Hessian is not finite.");
                h[i * n + j] = v;
                scale = Math.Max(scale, Math.Abs(v));
            }
        }

        for (var i = 0; i < n; i++)
        {
            if (h[i * n + i] < 0) throw new StatisticsInputException(nameof(hessian), $"Diagonal entry {i} of the Hessian is negative; the program must be convex.");
            for (var j = i + 1; j < n; j++)
                if (Math.Abs(h[i * n + j] - h[j * n + i]) > 1e-10 * Math.Max(scale, 1e-300))
                    throw new StatisticsInputException(nameof(hessian), $"The Hessian is not symmetric at ({i}, {j}).");
        }

        var op = new DenseSimplexQpOperator(h, f);
        var w = new double[n];
        var solver = new SimplexActiveSetSolver(n);
        var iterations = solver.Solve(op, w, warmStart: false);
        var objective = 0.0;
        for (var i = 0; i < n; i++)
        {
            if (w[i] == 0) continue;
            var hw = 0.0;
            for (var j = 0; j < n; j++) hw += h[i * n + j] * w[j];
            objective += w[i] * (0.5 * hw - f[i]);
        }

        return Finish(w, solver.Gradient, objective, iterations);
    }

    /// <summary>Minimises ‖Aw − b‖²_v = Σₕ vₕ((Aw)ₕ − bₕ)² over the simplex {w ≥ 0, Σw = 1}.</summary>
    /// <param name="design">A, k × n (rows are predictors, columns are donors in the synthetic control).</param>
    /// <param name="target">b, length k.</param>
    /// <param name="rowWeights">v, length k, non-negative; all ones when <c>null</c>.</param>
    /// <exception cref="StatisticsInputException">Empty or mismatched sizes, non-finite entries or negative row weights.</exception>
    public static SimplexQuadraticProgramSolution MinimizeLeastSquares(Matrix<double> design, Vector<double> target, Vector<double>? rowWeights = null)
    {
        ArgumentNullException.ThrowIfNull(design);
        ArgumentNullException.ThrowIfNull(target);
        var k = design.RowCount;
        var n = design.ColumnCount;
        if (k == 0 || n == 0) throw new StatisticsInputException(nameof(design), "The design matrix is empty.");
        if (target.Count != k) throw new StatisticsInputException(nameof(target), $"The target has {target.Count} entries but the design has {k} rows.");
        if (rowWeights is not null && rowWeights.Count != k)
            throw new StatisticsInputException(nameof(rowWeights), $"There are {rowWeights.Count} row weights but the design has {k} rows.");
        var a = new double[k * n];
        var b = new double[k];
        var v = new double[k];
        for (var h = 0; h < k; h++)
        {
            b[h] = target[h];
            if (!double.IsFinite(b[h])) throw new StatisticsInputException(nameof(target), $"Entry {h} of the target is not finite.");
            v[h] = rowWeights?[h] ?? 1.0;
            if (!double.IsFinite(v[h]) || v[h] < 0) throw new StatisticsInputException(nameof(rowWeights), $"Row weight {h} must be finite and non-negative.");
            for (var j = 0; j < n; j++)
            {
                var x = design[h, j];
                if (!double.IsFinite(x)) throw new StatisticsInputException(nameof(design), $"Entry ({h}, {j}) of the design is not finite.");
                a[h * n + j] = x;
            }
        }

        var op = new FactoredSimplexQpOperator(a, k, v, b);
        var w = new double[n];
        var solver = new SimplexActiveSetSolver(n);
        var iterations = solver.Solve(op, w, warmStart: false);
        var objective = 0.0;
        for (var h = 0; h < k; h++)
        {
            var e = -b[h];
            for (var j = 0; j < n; j++) e += a[h * n + j] * w[j];
            objective += v[h] * e * e;
        }

        return Finish(w, solver.Gradient, objective, iterations);
    }

    private static SimplexQuadraticProgramSolution Finish(double[] w, double[] g, double objective, int iterations)
    {
        var (nu, violation) = KktResidual(w, g);
        return new SimplexQuadraticProgramSolution(w, objective, nu, violation, iterations);
    }

    internal static (double Multiplier, double Violation) KktResidual(double[] w, double[] g)
    {
        double nu = 0;
        var support = 0;
        for (var i = 0; i < w.Length; i++)
            if (w[i] > 0) { nu += g[i]; support++; }
        nu /= support;
        var violation = 0.0;
        for (var i = 0; i < w.Length; i++)
            violation = Math.Max(violation, w[i] > 0 ? Math.Abs(g[i] - nu) : Math.Max(0, nu - g[i]));
        return (nu, violation);
    }
}
