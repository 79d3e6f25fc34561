using Experiments.Engine.SyntheticControl;
using MathNet.Numerics.LinearAlgebra;

namespace Experiments.Engine.Geo;

/// <summary>Which counterfactual model a geo analysis uses.</summary>
public enum GeoModel
{
    /// <summary>Synthetic control on the pre-period outcome path (augsynth <c>progfunc = "none"</c>; GeoLift's default).</summary>
    SyntheticControl,

    /// <summary>
    /// Augmented synthetic control with ridge augmentation (Ben-Michael, Feller &amp; Rothstein 2021; augsynth
    /// <c>progfunc = "Ridge"</c>): the synthetic-control weights corrected by a ridge regression of outcomes on the
    /// pre-period path, which removes the bias left by an imperfect pre-period fit.
    /// </summary>
    Augmented,
}

/// <summary>A fitted outcome model: weights per donor and the counterfactual path.</summary>
/// <param name="Weights">Donor weights (simplex for SCM; may be negative and sum to 1 when augmented).</param>
/// <param name="Counterfactual">The treated series' counterfactual in every period.</param>
/// <param name="RidgeLambda">The ridge penalty used (null for plain SCM).</param>
internal sealed record OutcomeFit(double[] Weights, double[] Counterfactual, double? RidgeLambda);

/// <summary>
/// The counterfactual of one treated series from donor series by matching the outcome path over a set of fit
/// periods (the first <c>fitCount</c> periods): the estimator GeoLift runs through augsynth.
/// </summary>
/// <remarks>
/// <para>Synthetic control: w = argmin_{w ∈ simplex} Σ_{t&lt;fit} (y_t − Σⱼ wⱼ Y_jt)² (Abadie, Diamond &amp;
/// Hainmueller 2010 with the outcome path as the predictors and V = I).</para>
/// <para>Fixed effects (augsynth <c>fixedeff = TRUE</c>): every series is centred by its mean over the fit periods
/// first, and the counterfactual is ȳ + Σⱼ wⱼ(Y_jt − Ȳⱼ).</para>
/// <para>Ridge augmentation (Ben-Michael, Feller &amp; Rothstein 2021, eq. 13): with X₀ the donors' fit-period
/// paths centred across donors (J × T₀) and x₁ the treated path centred the same way,
/// γ_aug = w + X₀(X₀ᵀX₀ + λI)⁻¹(x₁ − X₀ᵀw). The correction sums to zero, so Σγ = 1, but entries may be negative.</para>
/// </remarks>
internal static class OutcomeSyntheticControl
{
    public static OutcomeFit Fit(double[] treated, double[][] donors, int fitCount, bool fixedEffects, GeoModel model, double? ridgeLambda)
    {
        int periods = treated.Length, j = donors.Length;
        double treatedMean = 0;
        var donorMeans = new double[j];
        if (fixedEffects)
        {
            for (int t = 0; t < fitCount; t++)
                treatedMean += treated[t];
            treatedMean /= fitCount;
            for (int d = 0; d < j; d++)
            {
                double s = 0;
                for (int t = 0; t < fitCount; t++)
                    s += donors[d][t];
                donorMeans[d] = s / fitCount;
            }
        }

        var design = Matrix<double>.Build.Dense(fitCount, j, (t, d) => donors[d][t] - donorMeans[d]);
        var target = Vector<double>.Build.Dense(fitCount, t => treated[t] - treatedMean);
        var weights = SimplexQuadraticProgram.MinimizeLeastSquares(design, target).Weights.ToArray();
        double? lambda = null;
        if (model == GeoModel.Augmented)
        {
            lambda = ridgeLambda ?? ChooseLambda(design, target);
            weights = Augment(design, target, weights, lambda.Value);
        }

        var counterfactual = new double[periods];
        for (int t = 0; t < periods; t++)
        {
            double s = treatedMean;
            for (int d = 0; d < j; d++)
                s += weights[d] * (donors[d][t] - donorMeans[d]);
            counterfactual[t] = s;
        }
        return new OutcomeFit(weights, counterfactual, lambda);
    }

    /// <summary>γ_aug = w + X₀(X₀ᵀX₀ + λI)⁻¹(x₁ − X₀ᵀw) with donor-centred paths (rows of <paramref name="design"/> are periods).</summary>
    private static double[] Augment(Matrix<double> design, Vector<double> target, double[] weights, double lambda)
    {
        // X₀ here is donors × periods: the transpose of the design, centred across donors.
        var x0 = design.Transpose();
        var donorAverage = x0.ColumnSums() / x0.RowCount;
        for (int d = 0; d < x0.RowCount; d++)
            x0.SetRow(d, x0.Row(d) - donorAverage);
        var x1 = target - donorAverage;
        var w = Vector<double>.Build.DenseOfArray(weights);
        var residual = x1 - x0.TransposeThisAndMultiply(w);
        var gram = x0.TransposeThisAndMultiply(x0) + lambda * Matrix<double>.Build.DenseIdentity(x0.ColumnCount);
        var correction = x0 * gram.Cholesky().Solve(residual);
        return (w + correction).ToArray();
    }

    /// <summary>
    /// λ by augsynth's cross-validation (<c>cv_lambda</c> with <c>holdout_length = 1</c>, <c>min_1se = TRUE</c>):
    /// candidates λ_k = σ²_max · (10⁻⁸)^(k/20), k = 0…20, with σ_max the largest singular value of the
    /// donor-centred pre-period matrix X₀; each pre-period i &lt; T₀ − 1 is held out in turn, the synthetic control
    /// and its ridge correction are fitted on the other periods, and the held-out period is predicted. The chosen λ
    /// is the largest whose mean squared error is within one standard error of the smallest.
    /// </summary>
    internal static double ChooseLambda(Matrix<double> design, Vector<double> target)
    {
        int t0 = design.RowCount, j = design.ColumnCount;
        // Centre across donors once, as augsynth does before cross-validating.
        var x0 = design.Transpose();
        var donorAverage = x0.ColumnSums() / j;
        for (int d = 0; d < j; d++)
            x0.SetRow(d, x0.Row(d) - donorAverage);
        var x1 = target - donorAverage;
        double largest = x0.Svd(computeVectors: false).S.Maximum();
        var lambdas = Enumerable.Range(0, 21).Select(k => largest * largest * Math.Pow(1e-8, k / 20.0)).ToArray();
        if (!(largest > 0) || t0 < 3)
            return lambdas[0];

        int holdouts = t0 - 1;
        var errors = new double[lambdas.Length, holdouts];
        for (int i = 0; i < holdouts; i++)
        {
            var keep = Enumerable.Range(0, t0).Where(t => t != i).ToArray();
            var x0Kept = Matrix<double>.Build.Dense(j, keep.Length, (d, c) => x0[d, keep[c]]);
            var x1Kept = Vector<double>.Build.Dense(keep.Length, c => x1[keep[c]]);
            var w = Vector<double>.Build.DenseOfArray(SimplexQuadraticProgram.MinimizeLeastSquares(x0Kept.Transpose(), x1Kept).Weights.ToArray());
            var imbalance = x1Kept - x0Kept.TransposeThisAndMultiply(w);
            // (G + λI)⁻¹ through one eigen-decomposition of G = X₀ᵀX₀ for all λ.
            var evd = x0Kept.TransposeThisAndMultiply(x0Kept).Evd(Symmetricity.Symmetric);
            var q = evd.EigenVectors;
            var eigen = evd.EigenValues.Real();
            var projected = q.TransposeThisAndMultiply(imbalance);
            var heldOut = x0.Column(i);
            for (int k = 0; k < lambdas.Length; k++)
            {
                var scaled = Vector<double>.Build.Dense(projected.Count, m => projected[m] / (eigen[m] + lambdas[k]));
                var gamma = w + x0Kept * (q * scaled);
                errors[k, i] = Math.Pow(x1[i] - heldOut.DotProduct(gamma), 2);
            }
        }
        return OneStandardErrorChoice(lambdas, errors);
    }

    /// <summary>
    /// augsynth's "1-SE" rule (<c>min_1se = TRUE</c>): the largest λ whose mean held-out squared error is within one
    /// standard error (sd/√holdouts, n − 1 normaliser) of the smallest mean error.
    /// </summary>
    /// <param name="lambdas">The candidate penalties.</param>
    /// <param name="errors">Squared errors, one row per candidate and one column per held-out period.</param>
    internal static double OneStandardErrorChoice(double[] lambdas, double[,] errors)
    {
        int holdouts = errors.GetLength(1);
        var mean = new double[lambdas.Length];
        var se = new double[lambdas.Length];
        for (int k = 0; k < lambdas.Length; k++)
        {
            double m = 0;
            for (int i = 0; i < holdouts; i++)
                m += errors[k, i];
            m /= holdouts;
            double v = 0;
            for (int i = 0; i < holdouts; i++)
                v += Math.Pow(errors[k, i] - m, 2);
            mean[k] = m;
            se[k] = Math.Sqrt(v / (holdouts - 1) / holdouts);
        }
        int best = Array.IndexOf(mean, mean.Min());
        double chosen = lambdas[best];
        for (int k = 0; k < lambdas.Length; k++)
            if (mean[k] <= mean[best] + se[best])
                chosen = Math.Max(chosen, lambdas[k]);
        return chosen;
    }
}
