using MathNet.Numerics.LinearAlgebra;

namespace Experiments.Engine.AbTesting;

/// <summary>The fitted CUPED adjustment shared by every variant of an analysis.</summary>
/// <param name="Theta">θ, one coefficient per covariate (in the covariates' order).</param>
/// <param name="CovariateMeans">x̄, each covariate's mean over all units of all variants.</param>
/// <param name="Variants">Each variant's adjusted mean and per-unit variance.</param>
public sealed record CupedFit(IReadOnlyList<double> Theta, IReadOnlyList<double> CovariateMeans, IReadOnlyList<VariantMoments> Variants);

/// <summary>
/// CUPED — Controlled-experiment Using Pre-Experiment Data (Deng, Xu, Kohavi &amp; Walker 2013,
/// WSDM) — with one or several pre-period covariates, from sufficient statistics.
/// </summary>
/// <remarks>
/// <para>Each unit's metric is replaced by y* = y − θᵀ(x − x̄), where x̄ is the covariate mean over
/// all units. With one covariate θ = cov(x, y)/var(x) (Deng et al. 2013, eq. 3); with several,
/// θ = S_xx⁻¹ S_xy, the regression adjustment of §3.3. Both are computed from the within-variant
/// (pooled) centred cross products, S_xx = Σ_v Σ_{i∈v}(x_i − x̄_v)(x_i − x̄_v)ᵀ and
/// S_xy = Σ_v Σ_{i∈v}(x_i − x̄_v)(y_i − ȳ_v), so θ is the covariate coefficient of the OLS
/// regression of y on variant indicators and x — a treatment effect on y does not leak into θ.
/// A singular S_xx (collinear covariates) is inverted by the Moore–Penrose pseudo-inverse, which
/// gives the same adjusted values as dropping the redundant covariates.</para>
/// <para>The adjusted mean of variant v is ȳ_v − θᵀ(x̄_v − x̄) and its per-unit variance
/// s²_y − 2θᵀs_xy + θᵀS_xθ (within-variant sample moments, n_v − 1 normaliser): exactly the
/// sample mean and variance of y* over the variant. As in the paper, θ is treated as known; its
/// estimation error is O(1/n) and negligible at experiment sizes (the calibration tests check
/// this at 500 units per arm).</para>
/// <para>The variance reduction of a comparison is 1 − Var(Δ*)/Var(Δ), close to ρ² for a single
/// covariate of correlation ρ with the metric (eq. 4).</para>
/// <para>Units without a pre-period value (new users) are handled before the statistics are
/// formed: the missing value is set to 0 and an indicator covariate (1 where missing) is added, see
/// <see cref="MissingCovariates"/>. That lets new and returning users have different intercepts,
/// so the adjustment stays unbiased and still removes the variance it can.</para>
/// </remarks>
public static class CupedAdjustment
{
    /// <summary>Fits θ across the variants and returns every variant's adjusted moments.</summary>
    /// <exception cref="StatisticsInputException">A variant has no covariate, or the variants have
    /// different numbers of covariates.</exception>
    public static CupedFit Fit(IReadOnlyList<(string Name, SufficientStatistics Statistics)> variants)
    {
        int k = variants[0].Statistics.CovariateCount;
        foreach (var (name, s) in variants)
        {
            if (s.CovariateCount == 0)
                throw new StatisticsInputException($"variants[{name}].x",
                    $"CUPED needs a pre-period covariate for every variant, and variant '{name}' has none.");
            if (s.CovariateCount != k)
                throw new StatisticsInputException($"variants[{name}].x",
                    $"Variant '{name}' has {s.CovariateCount} covariates but '{variants[0].Name}' has {k}; every variant needs the same covariates.");
        }

        var sxx = Matrix<double>.Build.Dense(k, k);
        var sxy = Vector<double>.Build.Dense(k);
        var sumX = new double[k];
        double total = 0;
        foreach (var (_, s) in variants)
        {
            double n = s.Count;
            total += n;
            for (int i = 0; i < k; i++)
            {
                sumX[i] += s.SumXAt(i);
                sxy[i] += s.SumXYAt(i) - s.SumXAt(i) * s.SumY / n;
                for (int j = 0; j < k; j++)
                    sxx[i, j] += s.SumXXAt(i, j) - s.SumXAt(i) * s.SumXAt(j) / n;
            }
        }
        var theta = PseudoInverseSolve(sxx, sxy);
        var means = sumX.Select(v => v / total).ToArray();

        var adjusted = new List<VariantMoments>(variants.Count);
        foreach (var (name, s) in variants)
        {
            double n = s.Count;
            double shift = 0, crossTerm = 0, quadratic = 0;
            for (int i = 0; i < k; i++)
            {
                shift += theta[i] * (s.SumXAt(i) / n - means[i]);
                crossTerm += theta[i] * (s.SumXYAt(i) - s.SumXAt(i) * s.SumY / n);
                for (int j = 0; j < k; j++)
                    quadratic += theta[i] * theta[j] * (s.SumXXAt(i, j) - s.SumXAt(i) * s.SumXAt(j) / n);
            }
            double centredY2 = s.SumY2 - s.SumY * s.SumY / n;
            double variance = Math.Max(0.0, (centredY2 - 2 * crossTerm + quadratic) / (n - 1));
            adjusted.Add(new VariantMoments(name, s.Count, s.Mean - shift, variance));
        }
        return new CupedFit(theta.ToArray(), means, adjusted);
    }

    /// <summary>
    /// Solves S θ = b for a symmetric positive semi-definite S with the Moore–Penrose pseudo-inverse
    /// (eigenvalues below 1e-10 of the largest are treated as zero), the minimum-norm solution.
    /// </summary>
    private static Vector<double> PseudoInverseSolve(Matrix<double> s, Vector<double> b)
    {
        int k = s.RowCount;
        if (k == 1)
            return Vector<double>.Build.Dense(1, s[0, 0] > 0 ? b[0] / s[0, 0] : 0.0);
        var evd = s.Evd(Symmetricity.Symmetric);
        var values = evd.EigenValues.Real();
        var vectors = evd.EigenVectors;
        double largest = values.AbsoluteMaximum();
        var theta = Vector<double>.Build.Dense(k);
        if (largest <= 0)
            return theta;
        for (int m = 0; m < k; m++)
        {
            if (values[m] <= 1e-10 * largest)
                continue;
            var u = vectors.Column(m);
            theta += u * (u.DotProduct(b) / values[m]);
        }
        return theta;
    }
}
