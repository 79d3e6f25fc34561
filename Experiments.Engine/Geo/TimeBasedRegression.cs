using Experiments.Engine.Inference;

namespace Experiments.Engine.Geo;

/// <summary>One test period of a time-based regression.</summary>
/// <param name="Index">Position in the test period (0 = first test period).</param>
/// <param name="Actual">Observed treatment-group total.</param>
/// <param name="Counterfactual">Predicted treatment-group total without the treatment, α̂ + β̂·x_t.</param>
/// <param name="CounterfactualLower">Lower end of the prediction interval for the period.</param>
/// <param name="CounterfactualUpper">Upper end.</param>
/// <param name="Effect">Actual − counterfactual.</param>
/// <param name="CumulativeEffect">Σ effects up to and including this period.</param>
/// <param name="CumulativeLower">Lower end of the cumulative effect's interval.</param>
/// <param name="CumulativeUpper">Upper end.</param>
public sealed record TbrPeriod(int Index, double Actual, double Counterfactual, double CounterfactualLower, double CounterfactualUpper,
    double Effect, double CumulativeEffect, double CumulativeLower, double CumulativeUpper);

/// <summary>The result of a time-based regression analysis of a geo experiment.</summary>
/// <param name="Intercept">α̂ of the pre-period regression y = α + β·x.</param>
/// <param name="Slope">β̂.</param>
/// <param name="ResidualStdDev">σ̂, with n − 2 degrees of freedom.</param>
/// <param name="DegreesOfFreedom">n − 2 for n pre-periods.</param>
/// <param name="Periods">Per test period: counterfactual and cumulative effect with intervals.</param>
/// <param name="Incremental">The cumulative effect over the test period (incremental response) with interval and p-value.</param>
/// <param name="AverageEffect">The incremental response per test period.</param>
/// <param name="RelativeLift">Incremental / counterfactual total, with the interval mapped from the incremental one; null when the counterfactual total is not positive at the interval's ends.</param>
/// <param name="IncrementalCost">Incremental spend over the test period, when spend was given.</param>
/// <param name="Iroas">Incremental return on ad spend = incremental response / incremental cost, when spend was given and is non-zero.</param>
public sealed record TbrResult(double Intercept, double Slope, double ResidualStdDev, int DegreesOfFreedom,
    IReadOnlyList<TbrPeriod> Periods, EffectEstimate Incremental, EffectEstimate AverageEffect, EffectEstimate? RelativeLift,
    double? IncrementalCost, EffectEstimate? Iroas);

/// <summary>
/// Time-based regression (TBR) for a geo experiment with one treatment and one control group
/// (Kerman, Wang &amp; Vaver 2017, "Estimating Ad Effectiveness Using Geo Experiments in a
/// Time-Based Regression Framework", Google).
/// </summary>
/// <remarks>
/// <para>With y_t and x_t the treatment and control groups' totals in period t, the pre-period
/// fit y_t = α + β·x_t + ε_t (OLS, σ̂² = RSS/(n − 2)) predicts the treatment group's
/// counterfactual ŷ_t = α̂ + β̂·x_t in the test period. The effect is Δ_t = y_t − ŷ_t.</para>
/// <para>For the cumulative effect over the first k test periods the predictive variance is
/// σ̂²·(k + k²/n + (Σ_{t≤k}(x_t − x̄))²/S_xx), where x̄ and S_xx = Σ(x_i − x̄)² are over the
/// pre-period (§3 of the paper: the sum of k new observations plus the variance of the fitted
/// sum); intervals and the p-value use Student's t with n − 2 degrees of freedom. A single period
/// uses 1 + 1/n + (x_t − x̄)²/S_xx.</para>
/// <para>iROAS divides the incremental response by the incremental cost, which is treated as
/// known (the paper's §4 assumption when spend is controlled by the experimenter): the observed
/// test-period treatment spend minus its counterfactual (the TBR prediction from control spend, or
/// the pre-period mean per period when control spend does not vary, e.g. zero everywhere).</para>
/// <para>The relative lift L = Δ/(Y − Δ), with Y the observed test-period total, is increasing in
/// Δ, so its interval is the image of Δ's interval — exact, no delta method.</para>
/// </remarks>
public static class TimeBasedRegression
{
    /// <summary>Analyses the test period against the pre-period.</summary>
    /// <param name="treatment">Treatment-group totals per period: the pre-period followed by the test period.</param>
    /// <param name="control">Control-group totals per period, aligned with <paramref name="treatment"/>.</param>
    /// <param name="prePeriods">How many leading periods are pre-period.</param>
    /// <param name="alpha">Two-sided error rate (intervals at 1 − α; a one-sided 1 − α/2 bound is the lower end).</param>
    /// <param name="treatmentCost">Treatment-group spend per period, for iROAS (optional).</param>
    /// <param name="controlCost">Control-group spend per period (optional; zero when omitted).</param>
    /// <exception cref="StatisticsInputException">Lengths differ, too few pre-periods, no test period, non-finite values,
    /// a control series without variation, or a perfect pre-period fit (no residual variance).</exception>
    public static TbrResult Analyze(IReadOnlyList<double> treatment, IReadOnlyList<double> control, int prePeriods, double alpha = 0.1,
        IReadOnlyList<double>? treatmentCost = null, IReadOnlyList<double>? controlCost = null)
    {
        Validate(treatment, control, prePeriods, alpha, treatmentCost, controlCost);
        int n = prePeriods, testPeriods = treatment.Count - prePeriods;
        var (intercept, slope, sxx, xbar, _, rss) = Fit(treatment, control, n);
        double sigma2 = rss / (n - 2);
        if (!(sigma2 > 1e-24 * Math.Max(1, treatment.Take(n).Average(v => v * v))))
            throw new StatisticsInputException("treatment",
                "The pre-period regression fits exactly (no residual variance), so the uncertainty of the counterfactual cannot be estimated.");
        double df = n - 2;
        double q = WelchTest.StudentTQuantile(1 - alpha / 2, df);

        var periods = new List<TbrPeriod>(testPeriods);
        double cumulative = 0, cumulativeX = 0, observedTotal = 0;
        for (int k = 0; k < testPeriods; k++)
        {
            int t = n + k;
            double counterfactual = intercept + slope * control[t];
            double pointSe = Math.Sqrt(sigma2 * (1 + 1.0 / n + Sq(control[t] - xbar) / sxx));
            double effect = treatment[t] - counterfactual;
            cumulative += effect;
            cumulativeX += control[t] - xbar;
            observedTotal += treatment[t];
            int m = k + 1;
            double cumulativeSe = Math.Sqrt(sigma2 * (m + (double)m * m / n + cumulativeX * cumulativeX / sxx));
            periods.Add(new TbrPeriod(k, treatment[t], counterfactual, counterfactual - q * pointSe, counterfactual + q * pointSe,
                effect, cumulative, cumulative - q * cumulativeSe, cumulative + q * cumulativeSe));
        }

        var last = periods[^1];
        double se = (last.CumulativeUpper - last.CumulativeLower) / (2 * q);
        double p = WelchTest.TwoSidedPValue(cumulative / se, df);
        var incremental = new EffectEstimate(cumulative, se, last.CumulativeLower, last.CumulativeUpper, p, df);
        var average = new EffectEstimate(cumulative / testPeriods, se / testPeriods, last.CumulativeLower / testPeriods,
            last.CumulativeUpper / testPeriods, p, df);

        EffectEstimate? relative = null;
        double counterfactualTotal = observedTotal - cumulative;
        if (observedTotal - last.CumulativeUpper > 0 && counterfactualTotal > 0)
        {
            double Lift(double delta) => delta / (observedTotal - delta);
            double derivative = observedTotal / Sq(counterfactualTotal);
            relative = new EffectEstimate(Lift(cumulative), derivative * se, Lift(last.CumulativeLower), Lift(last.CumulativeUpper), p, df);
        }

        double? incrementalCost = null;
        EffectEstimate? iroas = null;
        if (treatmentCost is not null)
        {
            incrementalCost = IncrementalCost(treatmentCost, controlCost ?? new double[treatment.Count], n);
            if (incrementalCost.Value != 0)
            {
                double c = incrementalCost.Value;
                double lo = last.CumulativeLower / c, hi = last.CumulativeUpper / c;
                iroas = new EffectEstimate(cumulative / c, se / Math.Abs(c), Math.Min(lo, hi), Math.Max(lo, hi), p, df);
            }
        }
        return new TbrResult(intercept, slope, Math.Sqrt(sigma2), n - 2, periods, incremental, average, relative, incrementalCost, iroas);
    }

    private static double IncrementalCost(IReadOnlyList<double> treatmentCost, IReadOnlyList<double> controlCost, int n)
    {
        // Without variation in control spend (typically zero everywhere) the regression is
        // undefined and the counterfactual is the treatment group's pre-period mean spend.
        var fit = Fit(treatmentCost, controlCost, n);
        double counterfactual = 0, observed = 0;
        for (int t = n; t < treatmentCost.Count; t++)
        {
            counterfactual += fit.Sxx > 0 ? fit.Intercept + fit.Slope * controlCost[t] : fit.YBar;
            observed += treatmentCost[t];
        }
        return observed - counterfactual;
    }

    private static (double Intercept, double Slope, double Sxx, double XBar, double YBar, double Rss) Fit(IReadOnlyList<double> y, IReadOnlyList<double> x, int n)
    {
        double xbar = 0, ybar = 0;
        for (int i = 0; i < n; i++)
        {
            xbar += x[i];
            ybar += y[i];
        }
        xbar /= n;
        ybar /= n;
        double sxx = 0, sxy = 0;
        for (int i = 0; i < n; i++)
        {
            sxx += Sq(x[i] - xbar);
            sxy += (x[i] - xbar) * (y[i] - ybar);
        }
        double slope = sxy / sxx;
        double intercept = ybar - slope * xbar;
        double rss = 0;
        for (int i = 0; i < n; i++)
            rss += Sq(y[i] - intercept - slope * x[i]);
        return (intercept, slope, sxx, xbar, ybar, rss);
    }

    private static void Validate(IReadOnlyList<double> treatment, IReadOnlyList<double> control, int prePeriods, double alpha,
        IReadOnlyList<double>? treatmentCost, IReadOnlyList<double>? controlCost)
    {
        if (!(alpha > 0 && alpha < 1))
            throw new StatisticsInputException("alpha", $"alpha must lie strictly between 0 and 1 (got {alpha}).");
        if (control.Count != treatment.Count)
            throw new StatisticsInputException("control", $"The control series has {control.Count} periods but the treatment series has {treatment.Count}.");
        if (prePeriods < 3)
            throw new StatisticsInputException("prePeriods", $"TBR needs at least 3 pre-periods to fit a line and estimate its error (got {prePeriods}).");
        if (treatment.Count <= prePeriods)
            throw new StatisticsInputException("testPeriods", "There is no test period after the pre-period.");
        CheckFinite(treatment, "treatment");
        CheckFinite(control, "control");
        if (treatmentCost is not null)
        {
            if (treatmentCost.Count != treatment.Count)
                throw new StatisticsInputException("treatmentCost", $"The spend series has {treatmentCost.Count} periods but the response series has {treatment.Count}.");
            CheckFinite(treatmentCost, "treatmentCost");
        }
        if (controlCost is not null)
        {
            if (controlCost.Count != treatment.Count)
                throw new StatisticsInputException("controlCost", $"The spend series has {controlCost.Count} periods but the response series has {treatment.Count}.");
            CheckFinite(controlCost, "controlCost");
        }
        double first = control[0];
        bool varies = false;
        for (int i = 1; i < prePeriods && !varies; i++)
            varies = control[i] != first;
        if (!varies)
            throw new StatisticsInputException("control", "The control group's pre-period series is constant, so it cannot predict the treatment group.");
    }

    private static void CheckFinite(IReadOnlyList<double> values, string field)
    {
        for (int i = 0; i < values.Count; i++)
            if (!double.IsFinite(values[i]))
                throw new StatisticsInputException($"{field}[{i}]", $"Value {i} is {values[i]}; every value must be a finite number.");
    }

    private static double Sq(double v) => v * v;
}
