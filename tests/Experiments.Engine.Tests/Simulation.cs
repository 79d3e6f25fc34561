using Experiments.Engine.AbTesting;
using MathNet.Numerics.Distributions;

namespace Experiments.Engine.Tests;

/// <summary>Seeded generators of per-unit data for recovery and calibration tests.</summary>
internal static class Simulation
{
    /// <summary>Log-normal "revenue per user": exp(μ + σZ), scaled by <paramref name="lift"/>.</summary>
    public static SufficientStatistics Revenue(Random rng, int n, double lift = 1.0)
    {
        var y = new double[n];
        Normal.Samples(rng, y, 0, 1);
        for (int i = 0; i < n; i++)
            y[i] = lift * Math.Exp(RevenueMu + RevenueSigma * y[i]);
        return SufficientStatistics.FromValues(y);
    }

    public const double RevenueMu = 0.5;
    public const double RevenueSigma = 0.8;

    /// <summary>E[exp(μ + σZ)] = exp(μ + σ²/2).</summary>
    public static double RevenueMean => Math.Exp(RevenueMu + RevenueSigma * RevenueSigma / 2);

    /// <summary>
    /// A metric with a pre-period covariate of correlation <paramref name="rho"/>: x ~ N(10, 3²),
    /// y = 20 + β(x − 10) + ε with β and σ_ε set so corr(x, y) = ρ and sd(y) = 5, plus
    /// <paramref name="effect"/>.
    /// </summary>
    public static SufficientStatistics WithCovariate(Random rng, int n, double rho, double effect = 0)
    {
        var x = new double[n];
        var e = new double[n];
        Normal.Samples(rng, x, 10, 3);
        Normal.Samples(rng, e, 0, 5 * Math.Sqrt(1 - rho * rho));
        double beta = rho * 5 / 3;
        var y = new double[n];
        for (int i = 0; i < n; i++)
            y[i] = CovariateMetricMean + beta * (x[i] - 10) + e[i] + effect;
        return SufficientStatistics.FromValues(y, x);
    }

    public const double CovariateMetricMean = 20;

    /// <summary>Conversions: Bernoulli(<paramref name="rate"/>) per unit.</summary>
    public static SufficientStatistics Conversions(Random rng, int n, double rate)
    {
        long conversions = 0;
        for (int i = 0; i < n; i++)
            if (rng.NextDouble() < rate)
                conversions++;
        return new SufficientStatistics(n, conversions, conversions);
    }

    /// <summary>Click-through per user: impressions 1 + Poisson(4), clicks Binomial(impressions, ctr).</summary>
    public static RatioStatistics ClickThrough(Random rng, int n, double ctr)
    {
        var clicks = new double[n];
        var impressions = new double[n];
        for (int i = 0; i < n; i++)
        {
            int shown = 1 + Poisson.Sample(rng, 4);
            int clicked = 0;
            for (int j = 0; j < shown; j++)
                if (rng.NextDouble() < ctr)
                    clicked++;
            impressions[i] = shown;
            clicks[i] = clicked;
        }
        return RatioStatistics.FromValues(clicks, impressions);
    }
}
