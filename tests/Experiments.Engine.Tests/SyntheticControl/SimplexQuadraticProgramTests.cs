using Experiments.Engine.SyntheticControl;
using MathNet.Numerics.LinearAlgebra;

namespace Experiments.Engine.Tests.SyntheticControl;

/// <summary>
/// The simplex QP solver against independent references: exhaustive enumeration of supports (the optimum of a
/// convex QP on the simplex is the equality-constrained optimum on the affine hull of some face, solved here by a
/// pseudo-inverse), a fine grid on the 2-simplex, and a long accelerated projected-gradient run for large n.
/// Tolerances: constraints to 1e-9 (the solver renormalises, so it is ~1e-16); KKT residual to 1e-9 relative to
/// the size of H and f; objective agreement 1e-9 relative (both sides are exact to rounding).
/// </summary>
public class SimplexQuadraticProgramTests
{
    private const double ConstraintTolerance = 1e-9;

    [Theory]
    [InlineData(1, 2, 3)]
    [InlineData(2, 3, 4)]
    [InlineData(3, 5, 6)]
    [InlineData(4, 2, 8)]
    [InlineData(5, 8, 7)]
    [InlineData(6, 1, 6)]
    [InlineData(7, 6, 8)]
    [InlineData(8, 4, 5)]
    public void LeastSquaresMatchesExhaustiveSupportEnumeration(int seed, int rows, int columns)
    {
        var rng = new Random(seed);
        var a = Matrix<double>.Build.Dense(rows, columns, (_, _) => rng.NextDouble() * 4 - 2);
        var b = Vector<double>.Build.Dense(rows, _ => rng.NextDouble() * 6 - 3);
        var v = Vector<double>.Build.Dense(rows, _ => 0.1 + rng.NextDouble());
        var solution = SimplexQuadraticProgram.MinimizeLeastSquares(a, b, v);
        var (h, f) = ToQuadratic(a, b, v);

        AssertFeasibleAndKkt(solution, h, f);
        var reference = ExhaustiveMinimum(h, f);
        // The least-squares objective is 2q(w) + bᵀVb.
        var constant = b.PointwiseMultiply(v).DotProduct(b);
        Assert.Equal(2 * reference + constant, solution.Objective, Tolerance(solution.Objective));
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    public void DenseFormMatchesExhaustiveSupportEnumeration(int seed)
    {
        var rng = new Random(seed);
        var n = 4 + seed % 4;
        // H = BᵀB + a rank-deficient part; f random.
        var bm = Matrix<double>.Build.Dense(n - 2, n, (_, _) => rng.NextDouble() - 0.5);
        var h = bm.TransposeThisAndMultiply(bm);
        var f = Vector<double>.Build.Dense(n, _ => rng.NextDouble() - 0.5);
        var solution = SimplexQuadraticProgram.Minimize(h, f);
        AssertFeasibleAndKkt(solution, h, f);
        Assert.Equal(ExhaustiveMinimum(h, f), solution.Objective, Tolerance(solution.Objective));
    }

    [Fact]
    public void DuplicatedAndCollinearColumnsAreHandled()
    {
        // Columns 1 and 4 are identical; column 5 is the midpoint of columns 0 and 2; the target is outside the hull.
        var rng = new Random(21);
        var a = Matrix<double>.Build.Dense(3, 7, (_, _) => rng.NextDouble());
        a.SetColumn(4, a.Column(1));
        a.SetColumn(5, (a.Column(0) + a.Column(2)) / 2);
        var b = Vector<double>.Build.Dense([1.5, -0.3, 0.8]);
        var solution = SimplexQuadraticProgram.MinimizeLeastSquares(a, b);
        var (h, f) = ToQuadratic(a, b, null);
        AssertFeasibleAndKkt(solution, h, f);
        var constant = b.DotProduct(b);
        Assert.Equal(2 * ExhaustiveMinimum(h, f) + constant, solution.Objective, Tolerance(solution.Objective));
    }

    [Fact]
    public void TargetInsideTheHullGivesZeroLossWithManyMinimisers()
    {
        // 6 donors in 2 dimensions: the target (a convex combination) is matched exactly, and infinitely many
        // weight vectors do so. The solver must find one of them.
        var rng = new Random(31);
        var a = Matrix<double>.Build.Dense(2, 6, (_, _) => rng.NextDouble());
        var truth = Vector<double>.Build.Dense([0.2, 0.1, 0.3, 0.1, 0.2, 0.1]);
        var b = a * truth;
        var solution = SimplexQuadraticProgram.MinimizeLeastSquares(a, b);
        var (h, f) = ToQuadratic(a, b, null);
        AssertFeasibleAndKkt(solution, h, f);
        Assert.True(solution.Objective < 1e-24, $"objective {solution.Objective}");
    }

    [Fact]
    public void ZeroHessianIsALinearProgramSolvedAtTheBestVertex()
    {
        var h = Matrix<double>.Build.Dense(5, 5);
        var f = Vector<double>.Build.Dense([0.1, 0.7, -0.2, 0.69, 0.3]);
        var solution = SimplexQuadraticProgram.Minimize(h, f);
        AssertFeasibleAndKkt(solution, h, f);
        Assert.Equal(1.0, solution.Weights[1], 15);
        Assert.Equal(-0.7, solution.Objective, 15);
    }

    [Fact]
    public void SingleRowDesignIsHeavilySingular()
    {
        // k = 1: the reduced Hessian on any face of 3+ donors is singular.
        var a = Matrix<double>.Build.DenseOfArray(new double[,] { { 1.0, 2.0, 3.0, 5.0, 8.0 } });
        foreach (var target in new[] { -1.0, 2.5, 4.0, 10.0 })
        {
            var b = Vector<double>.Build.Dense([target]);
            var solution = SimplexQuadraticProgram.MinimizeLeastSquares(a, b);
            var (h, f) = ToQuadratic(a, b, null);
            AssertFeasibleAndKkt(solution, h, f);
            var best = Math.Clamp(target, 1.0, 8.0);
            Assert.Equal((best - target) * (best - target), solution.Objective, 12);
        }
    }

    [Fact]
    public void MatchesAFineGridOnTheTwoSimplex()
    {
        for (var seed = 41; seed < 47; seed++)
        {
            var rng = new Random(seed);
            var a = Matrix<double>.Build.Dense(2, 3, (_, _) => rng.NextDouble() * 2 - 1);
            var b = Vector<double>.Build.Dense(2, _ => rng.NextDouble() * 2 - 1);
            var solution = SimplexQuadraticProgram.MinimizeLeastSquares(a, b);
            const int steps = 400;
            var gridBest = double.PositiveInfinity;
            for (var i = 0; i <= steps; i++)
            {
                for (var j = 0; i + j <= steps; j++)
                {
                    var w = Vector<double>.Build.Dense([i / (double)steps, j / (double)steps, (steps - i - j) / (double)steps]);
                    var r = a * w - b;
                    gridBest = Math.Min(gridBest, r.DotProduct(r));
                }
            }

            // The solver is never worse than the grid, and the grid (spacing 1/400) is within O(spacing) of it.
            Assert.True(solution.Objective <= gridBest + 1e-12, $"seed {seed}: solver {solution.Objective} grid {gridBest}");
            Assert.True(gridBest - solution.Objective < 1e-2, $"seed {seed}: grid {gridBest} far above solver {solution.Objective}");
        }
    }

    [Theory]
    [InlineData(51, 10, 60)]
    [InlineData(52, 40, 40)]
    [InlineData(53, 3, 200)]
    public void LargeProblemsMatchAcceleratedProjectedGradient(int seed, int rows, int columns)
    {
        var rng = new Random(seed);
        var a = Matrix<double>.Build.Dense(rows, columns, (_, _) => rng.NextDouble() * 2 - 1);
        // Make several columns nearly collinear to stress the solver.
        for (var j = 0; j < 5; j++) a.SetColumn(j, a.Column(j + 5) + 1e-7 * (rng.NextDouble() - 0.5));
        var b = Vector<double>.Build.Dense(rows, _ => rng.NextDouble() * 3 - 1.5);
        var solution = SimplexQuadraticProgram.MinimizeLeastSquares(a, b);
        var (h, f) = ToQuadratic(a, b, null);
        AssertFeasibleAndKkt(solution, h, f);
        var reference = ProjectedGradientObjective(a, b, iterations: 20000);
        Assert.True(solution.Objective <= reference + 1e-9 * Math.Max(1, reference), $"solver {solution.Objective} > FISTA {reference}");
    }

    [Theory]
    [InlineData(61, 1, 6)]
    [InlineData(62, 2, 9)]
    [InlineData(63, 3, 12)]
    [InlineData(64, 5, 30)]
    public void WarmStartOnASingularFaceReachesTheSameOptimum(int seed, int rows, int columns)
    {
        // The synthetic control warm-starts each inner solve from the previous W. Starting from the uniform
        // weights puts every column on the free face, whose reduced Hessian (rank ≤ rows) is singular: this
        // exercises the eigen-decomposition path (minimum-norm step / zero-curvature descent), which a cold start
        // never needs because it adds one index at a time. Duplicate columns make it worse.
        var rng = new Random(seed);
        var a = Matrix<double>.Build.Dense(rows, columns, (_, _) => rng.NextDouble() * 2 - 1);
        a.SetColumn(columns - 1, a.Column(0));
        var b = Vector<double>.Build.Dense(rows, _ => rng.NextDouble() * 3 - 1.5);
        var v = Vector<double>.Build.Dense(rows, _ => 0.5 + rng.NextDouble());
        var cold = SimplexQuadraticProgram.MinimizeLeastSquares(a, b, v);

        var op = new FactoredSimplexQpOperator(a.ToRowMajorArray(), rows, v.ToArray(), b.ToArray());
        var solver = new SimplexActiveSetSolver(columns);
        var w = Enumerable.Repeat(1.0 / columns, columns).ToArray();
        solver.Solve(op, w, warmStart: true);
        var warm = Vector<double>.Build.DenseOfArray(w);
        var residual = a * warm - b;
        var objective = residual.PointwiseMultiply(v).DotProduct(residual);

        var (h, f) = ToQuadratic(a, b, v);
        AssertFeasibleAndKkt(new SimplexQuadraticProgramSolution(w, objective, 0, 0, 0), h, f);
        Assert.Equal(cold.Objective, objective, Tolerance(cold.Objective));
    }

    [Fact]
    public void RejectsBadInput()
    {
        var h = Matrix<double>.Build.DenseOfArray(new double[,] { { 1, 2 }, { 0, 1 } });
        Assert.Throws<StatisticsInputException>(() => SimplexQuadraticProgram.Minimize(h, Vector<double>.Build.Dense(2)));
        Assert.Throws<StatisticsInputException>(() => SimplexQuadraticProgram.Minimize(Matrix<double>.Build.DenseIdentity(3), Vector<double>.Build.Dense(2)));
        var a = Matrix<double>.Build.Dense(2, 3, 1.0);
        Assert.Throws<StatisticsInputException>(() => SimplexQuadraticProgram.MinimizeLeastSquares(a, Vector<double>.Build.Dense([1.0, double.NaN])));
        Assert.Throws<StatisticsInputException>(() => SimplexQuadraticProgram.MinimizeLeastSquares(a, Vector<double>.Build.Dense(2), Vector<double>.Build.Dense([1.0, -1.0])));
    }

    private static double Tolerance(double value) => 1e-9 * Math.Max(1, Math.Abs(value));

    private static (Matrix<double> H, Vector<double> F) ToQuadratic(Matrix<double> a, Vector<double> b, Vector<double>? v)
    {
        var weights = Matrix<double>.Build.DiagonalOfDiagonalVector(v ?? Vector<double>.Build.Dense(a.RowCount, 1.0));
        return (a.Transpose() * weights * a, a.Transpose() * weights * b);
    }

    private static void AssertFeasibleAndKkt(SimplexQuadraticProgramSolution solution, Matrix<double> h, Vector<double> f)
    {
        var w = Vector<double>.Build.DenseOfEnumerable(solution.Weights);
        Assert.All(solution.Weights, x => Assert.True(x >= 0));
        Assert.Equal(1.0, w.Sum(), ConstraintTolerance);
        var g = h * w - f;
        var support = Enumerable.Range(0, w.Count).Where(i => w[i] > 0).ToArray();
        var nu = support.Average(i => g[i]);
        var scale = Math.Max(h.Diagonal().AbsoluteMaximum(), f.AbsoluteMaximum());
        var kktTolerance = 1e-9 * Math.Max(scale, 1e-12);
        for (var i = 0; i < w.Count; i++)
        {
            if (w[i] > 0) Assert.True(Math.Abs(g[i] - nu) <= kktTolerance, $"stationarity fails at {i}: {g[i] - nu}");
            else Assert.True(g[i] - nu >= -kktTolerance, $"dual feasibility fails at {i}: {g[i] - nu}");
        }

        Assert.True(solution.KktViolation <= kktTolerance, $"reported KKT violation {solution.KktViolation}");
    }

    /// <summary>min over all non-empty supports S of the equality-constrained optimum on aff(S), when it is feasible.</summary>
    private static double ExhaustiveMinimum(Matrix<double> h, Vector<double> f)
    {
        var n = f.Count;
        var best = double.PositiveInfinity;
        for (var mask = 1; mask < 1 << n; mask++)
        {
            var s = Enumerable.Range(0, n).Where(i => (mask & (1 << i)) != 0).ToArray();
            var m = s.Length;
            var kkt = Matrix<double>.Build.Dense(m + 1, m + 1);
            var rhs = Vector<double>.Build.Dense(m + 1);
            for (var i = 0; i < m; i++)
            {
                for (var j = 0; j < m; j++) kkt[i, j] = h[s[i], s[j]];
                kkt[i, m] = 1;
                kkt[m, i] = 1;
                rhs[i] = f[s[i]];
            }

            rhs[m] = 1;
            var x = kkt.PseudoInverse() * rhs;
            var w = Vector<double>.Build.Dense(n);
            var ok = true;
            for (var i = 0; i < m; i++)
            {
                if (x[i] < -1e-10) { ok = false; break; }
                w[s[i]] = Math.Max(0, x[i]);
            }

            if (!ok || Math.Abs(w.Sum() - 1) > 1e-8) continue;
            w /= w.Sum();
            best = Math.Min(best, 0.5 * w.DotProduct(h * w) - f.DotProduct(w));
        }

        return best;
    }

    /// <summary>FISTA with exact Euclidean projection onto the simplex (sort-based), as an independent reference.</summary>
    private static double ProjectedGradientObjective(Matrix<double> a, Vector<double> b, int iterations)
    {
        var n = a.ColumnCount;
        var lipschitz = 2 * a.L2Norm() * a.L2Norm();
        var w = Vector<double>.Build.Dense(n, 1.0 / n);
        var y = w.Clone();
        var t = 1.0;
        for (var k = 0; k < iterations; k++)
        {
            var grad = 2 * a.TransposeThisAndMultiply(a * y - b);
            var next = Project(y - grad / lipschitz);
            var tNext = (1 + Math.Sqrt(1 + 4 * t * t)) / 2;
            y = next + (t - 1) / tNext * (next - w);
            w = next;
            t = tNext;
        }

        var r = a * w - b;
        return r.DotProduct(r);
    }

    private static Vector<double> Project(Vector<double> point)
    {
        var sorted = point.ToArray().OrderByDescending(x => x).ToArray();
        double cumulative = 0, theta = 0;
        for (var i = 0; i < sorted.Length; i++)
        {
            cumulative += sorted[i];
            var candidate = (cumulative - 1) / (i + 1);
            if (sorted[i] - candidate > 0) theta = candidate;
        }

        return point.Map(x => Math.Max(0, x - theta));
    }
}
