namespace Experiments.Engine.SyntheticControl;

/// <summary>
/// Derivative-free Nelder–Mead simplex minimiser (Nelder &amp; Mead 1965; the standard coefficients reflection 1,
/// expansion 2, contraction ½, shrink ½ as in Lagarias et al. 1998). Deterministic: no random restarts.
/// </summary>
internal static class NelderMead
{
    /// <summary>Result of one run.</summary>
    internal readonly record struct Result(double[] Point, double Value, int Evaluations);

    /// <summary>
    /// Minimises <paramref name="objective"/> from <paramref name="start"/> with an initial simplex of axis steps of
    /// size <paramref name="step"/>. Stops after <paramref name="maxEvaluations"/> evaluations, or when the values
    /// on the simplex agree to <paramref name="relativeTolerance"/> (relative to the best) and its vertices to
    /// <paramref name="pointTolerance"/>.
    /// </summary>
    public static Result Minimize(Func<double[], double> objective, double[] start, double step, int maxEvaluations, double relativeTolerance, double pointTolerance)
    {
        var n = start.Length;
        var points = new double[n + 1][];
        var values = new double[n + 1];
        var evaluations = 0;
        for (var i = 0; i <= n; i++)
        {
            points[i] = (double[])start.Clone();
            if (i > 0) points[i][i - 1] += step;
            values[i] = Evaluate(points[i]);
        }

        var order = new int[n + 1];
        var centroid = new double[n];
        var trial = new double[n];
        var trial2 = new double[n];
        while (evaluations < maxEvaluations)
        {
            for (var i = 0; i <= n; i++) order[i] = i;
            Array.Sort(order, (a, b) => values[a].CompareTo(values[b]) is var c && c != 0 ? c : a.CompareTo(b));
            var best = order[0];
            var worst = order[n];
            var secondWorst = order[n - 1];

            var spread = values[worst] - values[best];
            if (spread <= relativeTolerance * Math.Abs(values[best]) + 1e-300)
            {
                var maxDistance = 0.0;
                for (var i = 0; i <= n; i++)
                    for (var d = 0; d < n; d++)
                        maxDistance = Math.Max(maxDistance, Math.Abs(points[i][d] - points[best][d]));
                if (maxDistance <= pointTolerance) break;
            }

            Array.Clear(centroid);
            for (var i = 0; i <= n; i++)
            {
                if (i == worst) continue;
                for (var d = 0; d < n; d++) centroid[d] += points[i][d] / n;
            }

            for (var d = 0; d < n; d++) trial[d] = centroid[d] + (centroid[d] - points[worst][d]);
            var reflected = Evaluate(trial);
            if (reflected < values[best])
            {
                for (var d = 0; d < n; d++) trial2[d] = centroid[d] + 2 * (centroid[d] - points[worst][d]);
                var expanded = Evaluate(trial2);
                if (expanded < reflected) Replace(worst, trial2, expanded);
                else Replace(worst, trial, reflected);
                continue;
            }

            if (reflected < values[secondWorst])
            {
                Replace(worst, trial, reflected);
                continue;
            }

            var outside = reflected < values[worst];
            for (var d = 0; d < n; d++)
                trial2[d] = outside
                    ? centroid[d] + 0.5 * (trial[d] - centroid[d])
                    : centroid[d] + 0.5 * (points[worst][d] - centroid[d]);
            var contracted = Evaluate(trial2);
            if (contracted < (outside ? reflected : values[worst]))
            {
                Replace(worst, trial2, contracted);
                continue;
            }

            for (var i = 0; i <= n; i++)
            {
                if (i == best) continue;
                for (var d = 0; d < n; d++) points[i][d] = points[best][d] + 0.5 * (points[i][d] - points[best][d]);
                values[i] = Evaluate(points[i]);
            }
        }

        var argmin = 0;
        for (var i = 1; i <= n; i++)
            if (values[i] < values[argmin]) argmin = i;
        return new Result(points[argmin], values[argmin], evaluations);

        double Evaluate(double[] x)
        {
            evaluations++;
            var v = objective(x);
            return double.IsNaN(v) ? double.PositiveInfinity : v;
        }

        void Replace(int index, double[] x, double value)
        {
            Array.Copy(x, points[index], n);
            values[index] = value;
        }
    }
}
