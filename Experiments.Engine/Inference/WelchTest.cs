using Experiments.Engine.AbTesting;
using MathNet.Numerics;
using MathNet.Numerics.Distributions;

namespace Experiments.Engine.Inference;

/// <summary>
/// Welch's unequal-variances t test for the difference between two independent estimates, with the
/// Welch–Satterthwaite degrees of freedom, and the delta-method relative lift that gbstats uses.
/// </summary>
/// <remarks>
/// <para>Absolute lift (Welch 1947): Δ = μ_t − μ_c, Var(Δ) = s²_t/n_t + s²_c/n_c, and
/// ν = (s²_t/n_t + s²_c/n_c)² / [ (s²_t/n_t)²/(n_t−1) + (s²_c/n_c)²/(n_c−1) ] (Satterthwaite 1946).
/// The interval is Δ ± t_{1−α/2, ν}·SE and the p-value 2·P(T_ν ≥ |Δ|/SE).</para>
/// <para>Relative lift (Deng, Knoblich &amp; Lu 2018, eq. 5, first-order delta method):
/// L = μ_t/μ_c − 1, Var(L) = Var(μ_t)/μ_c² + μ_t²·Var(μ_c)/μ_c⁴, with the same ν, as GrowthBook's
/// gbstats does. It is undefined when μ_c = 0.</para>
/// </remarks>
public static class WelchTest
{
    /// <summary>The moments of the absolute lift μ_t − μ_c.</summary>
    public static EffectMoments AbsoluteLift(VariantMoments control, VariantMoments treatment)
    {
        double vt = treatment.MeanVariance, vc = control.MeanVariance;
        return new EffectMoments(treatment.Mean - control.Mean, vt + vc,
            WelchSatterthwaite(vt, treatment.Count, vc, control.Count), treatment.Count + control.Count);
    }

    /// <summary>The moments of the relative lift μ_t/μ_c − 1, or null when μ_c is zero.</summary>
    public static EffectMoments? RelativeLift(VariantMoments control, VariantMoments treatment)
    {
        double mc = control.Mean, mt = treatment.Mean;
        if (mc == 0 || !double.IsFinite(mt / mc))
            return null;
        double vt = treatment.MeanVariance, vc = control.MeanVariance;
        double variance = vt / (mc * mc) + mt * mt * vc / (mc * mc * mc * mc);
        return new EffectMoments(mt / mc - 1, variance,
            WelchSatterthwaite(vt, treatment.Count, vc, control.Count), treatment.Count + control.Count);
    }

    /// <summary>Welch–Satterthwaite degrees of freedom for the sum of two variances of means.</summary>
    /// <param name="varianceA">Var of the first mean (s²/n).</param>
    /// <param name="countA">Units behind the first mean.</param>
    /// <param name="varianceB">Var of the second mean.</param>
    /// <param name="countB">Units behind the second mean.</param>
    public static double WelchSatterthwaite(double varianceA, long countA, double varianceB, long countB)
    {
        double sum = varianceA + varianceB;
        return sum * sum / (varianceA * varianceA / (countA - 1) + varianceB * varianceB / (countB - 1));
    }

    /// <summary>The two-sided t interval and p-value for the moments at level 1 − <paramref name="alpha"/>.</summary>
    public static EffectEstimate Infer(EffectMoments moments, double alpha)
    {
        double se = moments.StandardError;
        double df = moments.DegreesOfFreedom;
        double q = StudentTQuantile(1 - alpha / 2, df);
        double t = moments.Estimate / se;
        return new EffectEstimate(moments.Estimate, se, moments.Estimate - q * se, moments.Estimate + q * se,
            TwoSidedPValue(t, df), df);
    }

    /// <summary>2·P(T_ν ≥ |t|), computed from the regularised incomplete beta function without
    /// cancellation: I_{ν/(ν+t²)}(ν/2, 1/2).</summary>
    public static double TwoSidedPValue(double t, double degreesOfFreedom)
    {
        if (double.IsPositiveInfinity(degreesOfFreedom))
            return 2 * Normal.CDF(0, 1, -Math.Abs(t));
        return Math.Min(1.0, SpecialFunctions.BetaRegularized(degreesOfFreedom / 2, 0.5, degreesOfFreedom / (degreesOfFreedom + t * t)));
    }

    /// <summary>
    /// The p-quantile of Student's t with ν degrees of freedom: MathNet's root-found value polished
    /// by Newton steps on the incomplete-beta CDF, so it is accurate to the CDF's precision.
    /// </summary>
    public static double StudentTQuantile(double p, double degreesOfFreedom)
    {
        if (double.IsPositiveInfinity(degreesOfFreedom))
            return Normal.InvCDF(0, 1, p);
        var distribution = new StudentT(0, 1, degreesOfFreedom);
        double x = StudentT.InvCDF(0, 1, degreesOfFreedom, p);
        for (int i = 0; i < 3; i++)
        {
            double density = distribution.Density(x);
            if (density <= 0)
                break;
            double step = (StudentTCdf(x, degreesOfFreedom) - p) / density;
            x -= step;
            if (Math.Abs(step) <= 1e-15 * Math.Max(1, Math.Abs(x)))
                break;
        }
        return x;
    }

    private static double StudentTCdf(double t, double degreesOfFreedom)
    {
        double tail = 0.5 * SpecialFunctions.BetaRegularized(degreesOfFreedom / 2, 0.5, degreesOfFreedom / (degreesOfFreedom + t * t));
        return t <= 0 ? tail : 1 - tail;
    }
}
