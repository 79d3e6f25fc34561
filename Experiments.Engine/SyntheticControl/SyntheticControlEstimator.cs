namespace Experiments.Engine.SyntheticControl;

/// <summary>
/// The synthetic control method (Abadie &amp; Gardeazabal 2003, AER 93(1); Abadie, Diamond &amp; Hainmueller 2010,
/// JASA 105(490), §2): the counterfactual of the treated unit is a convex combination of donors,
/// Ŷ₁ₜ(0) = Σⱼ wⱼYⱼₜ, with W chosen to reproduce the treated unit's predictors.
/// </summary>
/// <remarks>
/// <para>
/// Nested optimisation (ADH 2010 §2.3; R Synth's <c>synth()</c>): for a diagonal, non-negative V with ΣV = 1,
/// W*(V) = argmin_{W ≥ 0, ΣW = 1} (X₁ − X₀W)ᵀV(X₁ − X₀W), solved exactly by <see cref="SimplexQuadraticProgram"/>;
/// V* minimises the outcome MSPE over the loss periods, (1/|T|) Σ_{t∈T} (Z₁ₜ − Σⱼ wⱼ*(V)Zⱼₜ)². Predictors are scaled by
/// their standard deviation across units first, as in Synth.
/// </para>
/// <para>
/// The outer problem is non-convex and piecewise smooth. It is searched by Nelder–Mead over θ ∈ ℝᵏ with
/// vₕ = θₕ² / Σθ²: every V is normalised and reachable without bounds, including exact zeros, which a softmax
/// (log) parametrisation can only approach (on California Prop 99 the log form stalled at a worse local optimum,
/// MSPE 3.70 against 3.08). There are two starts, as in R Synth: equal weights, and Synth's regression-based start
/// (squared row norms of the slopes of a regression of the loss-period outcomes on [1, scaled predictors]). Each
/// start is followed by <see cref="PredictorWeightSearchOptions.Restarts"/> restarts from its best point with a
/// fresh simplex, which frees Nelder–Mead from premature collapse; the lowest loss over all runs wins. The inner
/// solve is warm-started from the previous W. No randomness is used, so a fit is reproducible. Unlike Synth's
/// <c>ipop</c> (5 significant digits), the inner solution is exact, so donors outside the support get weight
/// exactly 0.
/// </para>
/// </remarks>
public static class SyntheticControlEstimator
{
    /// <summary>Fits the synthetic control described by <paramref name="specification"/> on <paramref name="panel"/>.</summary>
    /// <exception cref="StatisticsInputException">
    /// A treated unit or donor not in the panel, an empty donor pool, too few pre-treatment periods, no
    /// post-treatment period, loss or predictor periods not before the treatment, an unknown predictor variable,
    /// a predictor never observed for some unit, or inconsistent custom weights.
    /// </exception>
    public static SyntheticControlFit Fit(Panel panel, SyntheticControlSpecification specification)
    {
        var problem = SyntheticControlProblem.Create(panel, specification);
        return Solve(problem);
    }

    /// <summary>
    /// Cross-validated V (Abadie, Diamond &amp; Hainmueller 2015, AJPS 59(2), §"Estimation", and pysyncon's German
    /// reunification test): V is optimised on a <paramref name="training"/> specification (predictors measured in an
    /// earlier window, loss over a later pre-treatment window), then used as a custom V for
    /// <paramref name="specification"/>, whose predictors must correspond one to one.
    /// </summary>
    /// <exception cref="StatisticsInputException">The two specifications have different numbers of predictors, or either is invalid.</exception>
    public static SyntheticControlFit FitWithTrainedWeights(Panel panel, SyntheticControlSpecification training, SyntheticControlSpecification specification)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(specification);
        if (training.Predictors.Count != specification.Predictors.Count || training.Predictors.Count == 0)
            throw new StatisticsInputException("training", $"The training specification has {training.Predictors.Count} predictors and the main one {specification.Predictors.Count}; they must match one to one (and not be empty).");
        var trained = Fit(panel, training with { PredictorWeighting = PredictorWeighting.Optimized, CustomPredictorWeights = null });
        return Fit(panel, specification with { PredictorWeighting = PredictorWeighting.Custom, CustomPredictorWeights = trained.PredictorWeights });
    }

    internal static SyntheticControlFit Solve(SyntheticControlProblem problem)
    {
        var spec = problem.Specification;
        double[] v;
        double[] w;
        var evaluations = 0;
        var evaluator = new LossEvaluator(problem);
        if (problem.MatchOnOutcomes)
        {
            v = Enumerable.Repeat(1.0 / problem.K, problem.K).ToArray();
            w = evaluator.Weights(v);
        }
        else if (spec.PredictorWeighting == PredictorWeighting.Custom)
        {
            var custom = spec.CustomPredictorWeights!;
            var total = custom.Sum();
            v = custom.Select(x => x / total).ToArray();
            w = evaluator.Weights(v);
        }
        else
        {
            (v, w, evaluations) = SearchPredictorWeights(problem, evaluator);
        }

        return BuildFit(problem, v, w, evaluations);
    }

    private static (double[] V, double[] W, int Evaluations) SearchPredictorWeights(SyntheticControlProblem problem, LossEvaluator evaluator)
    {
        var k = problem.K;
        var options = problem.Specification.Search;
        if (k == 1)
        {
            var only = new[] { 1.0 };
            evaluator.Loss(only);
            return (only, evaluator.BestW, evaluator.Evaluations);
        }

        var starts = new List<double[]> { Enumerable.Repeat(1.0 / k, k).ToArray() };
        if (problem.RegressionStart() is { } regression) starts.Add(regression);

        var theta = new double[k];
        var v = new double[k];
        double Objective(double[] x)
        {
            ToWeights(x, v);
            return evaluator.Loss(v);
        }

        foreach (var start in starts)
        {
            for (var h = 0; h < k; h++) theta[h] = Math.Sqrt(start[h]);
            var point = (double[])theta.Clone();
            var best = double.PositiveInfinity;
            for (var run = 0; run <= options.Restarts; run++)
            {
                var result = NelderMead.Minimize(Objective, point, step: 0.5 * point.Max(t => Math.Abs(t)), options.MaxEvaluationsPerStart, options.RelativeTolerance, pointTolerance: 1e-6);
                point = result.Point;
                var improved = result.Value < best * (1 - 1e-12);
                best = Math.Min(best, result.Value);
                if (run > 0 && !improved) break;
            }
        }

        return (evaluator.BestV, evaluator.BestW, evaluator.Evaluations);
    }

    /// <summary>V = θ∘θ / ‖θ‖² (equal weights when θ = 0).</summary>
    private static void ToWeights(double[] theta, double[] v)
    {
        var sum = 0.0;
        for (var h = 0; h < theta.Length; h++)
        {
            v[h] = theta[h] * theta[h];
            sum += v[h];
        }

        for (var h = 0; h < theta.Length; h++) v[h] = sum > 0 ? v[h] / sum : 1.0 / theta.Length;
    }

    private static SyntheticControlFit BuildFit(SyntheticControlProblem problem, double[] v, double[] w, int evaluations)
    {
        var panel = problem.Panel;
        var spec = problem.Specification;
        var j = problem.J;
        var periods = panel.Periods;
        var points = new SyntheticControlPoint[periods.Count];
        var centre = spec.OutcomeCentering == OutcomeCentering.UnitPreTreatmentMean;
        for (var t = 0; t < periods.Count; t++)
        {
            var actual = 0.0;
            foreach (var u in problem.TreatedIndex) actual += panel.OutcomeAt(u, t);
            actual /= problem.TreatedIndex.Length;
            var synthetic = centre ? problem.TreatedLevel : 0.0;
            for (var d = 0; d < j; d++)
                if (w[d] != 0)
                    synthetic += w[d] * (panel.OutcomeAt(problem.DonorIndex[d], t) - (centre ? problem.DonorLevels[d] : 0.0));
            points[t] = new SyntheticControlPoint(periods[t], actual, synthetic, actual - synthetic, periods[t] >= spec.TreatmentStart);
        }

        var lossMspe = 0.0;
        for (var t = 0; t < problem.T; t++)
        {
            var e = problem.Z1[t];
            for (var d = 0; d < j; d++) e -= problem.Z0[t * j + d] * w[d];
            lossMspe += e * e;
        }

        lossMspe /= problem.T;
        var balance = problem.MatchOnOutcomes
            ? []
            : Enumerable.Range(0, problem.K).Select(h =>
            {
                double synthetic = 0, average = 0;
                for (var d = 0; d < j; d++)
                {
                    synthetic += w[d] * problem.X0Raw[h * j + d];
                    average += problem.X0Raw[h * j + d];
                }

                return new PredictorBalance(problem.PredictorLabels[h], v[h], problem.X1Raw[h], synthetic, average / j);
            }).ToArray();

        var pre = points.Where(p => !p.IsPostTreatment).ToArray();
        var post = points.Where(p => p.IsPostTreatment).ToArray();
        return new SyntheticControlFit(
            problem.Treated,
            spec.TreatmentStart,
            problem.Donors.Select((unit, d) => new DonorWeight(unit, w[d])).ToArray(),
            balance,
            lossMspe,
            Rmspe(pre),
            Rmspe(post),
            points,
            Summarise(post, "post-treatment"),
            evaluations);
    }

    internal static double Rmspe(IReadOnlyList<SyntheticControlPoint> points) =>
        points.Count == 0 ? double.NaN : Math.Sqrt(points.Sum(p => p.Gap * p.Gap) / points.Count);

    internal static SyntheticControlEffect Summarise(SyntheticControlPoint[] points, string window)
    {
        if (points.Length == 0)
            throw new StatisticsInputException("window", $"No period of the panel lies in the window {window}.");
        var n = points.Length;
        var mean = points.Average(p => p.Gap);
        var sum = points.Sum(p => p.Gap);
        var syntheticSum = points.Sum(p => p.Synthetic);
        var sd = n > 1 ? Math.Sqrt(points.Sum(p => (p.Gap - mean) * (p.Gap - mean)) / (n - 1)) : double.NaN;
        return new SyntheticControlEffect(
            mean,
            points.Min(p => p.Period),
            points.Max(p => p.Period),
            n,
            sum,
            syntheticSum != 0 ? sum / Math.Abs(syntheticSum) : double.NaN,
            sd / Math.Sqrt(n));
    }

    /// <summary>Evaluates the outer loss MSPE(V) with a warm-started exact inner solve, remembering the best V and W seen.</summary>
    private sealed class LossEvaluator
    {
        private readonly SyntheticControlProblem _problem;
        private readonly FactoredSimplexQpOperator _operator;
        private readonly SimplexActiveSetSolver _solver;
        private readonly double[] _w;
        private double _best = double.PositiveInfinity;

        public LossEvaluator(SyntheticControlProblem problem)
        {
            _problem = problem;
            _operator = new FactoredSimplexQpOperator(problem.X0, problem.K, Enumerable.Repeat(1.0, problem.K).ToArray(), problem.X1);
            _solver = new SimplexActiveSetSolver(problem.J);
            _w = new double[problem.J];
            BestV = new double[problem.K];
            BestW = new double[problem.J];
        }

        public int Evaluations { get; private set; }
        public double[] BestV { get; }
        public double[] BestW { get; }

        public double[] Weights(double[] v)
        {
            _operator.SetRowWeights(v);
            _solver.Solve(_operator, _w, warmStart: false);
            return (double[])_w.Clone();
        }

        public double Loss(double[] v)
        {
            Evaluations++;
            _operator.SetRowWeights(v);
            _solver.Solve(_operator, _w, warmStart: true);
            var p = _problem;
            var j = p.J;
            var loss = 0.0;
            for (var t = 0; t < p.T; t++)
            {
                var e = p.Z1[t];
                var row = t * j;
                for (var d = 0; d < j; d++)
                {
                    var wd = _w[d];
                    if (wd != 0) e -= p.Z0[row + d] * wd;
                }

                loss += e * e;
            }

            loss /= p.T;
            if (loss < _best)
            {
                _best = loss;
                Array.Copy(v, BestV, v.Length);
                Array.Copy(_w, BestW, _w.Length);
            }

            return loss;
        }
    }
}
