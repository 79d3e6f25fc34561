using Experiments.Charts;
using Experiments.Engine;
using Experiments.Engine.Power;

namespace Experiments.Api.Charts;

/// <summary>The points of a power curve, from the engine's power functions (<see cref="PowerAnalysis"/>).</summary>
internal static class PowerCurves
{
    private const int Points = 81;

    /// <summary>
    /// Power against the true relative lift at the plan's units per variant: those the MDE needs, or else the
    /// planned days' traffic. With a covariate correlation, a second curve at the same units with CUPED's smaller
    /// standard deviation.
    /// </summary>
    /// <exception cref="StatisticsInputException">Neither an MDE nor planned days with daily traffic fix the sample.</exception>
    public static PowerChartData For(PowerInput input)
    {
        var plan = PowerAnalysis.Plan(input);
        double units = plan.WithoutCuped.SampleSizePerVariant is { } n
            ? n
            : input.Days is { } days && input.DailyUnits is { } daily
                ? Math.Floor(days * daily / input.Variants)
                : throw new StatisticsInputException("relativeMde", "A power curve needs a sample: give relativeMde, or days with dailyUnits.");
        if (units < 2)
            throw new StatisticsInputException("dailyUnits", "The planned traffic gives fewer than two units per variant.");
        var plans = new List<(string Name, double Sigma)> { ("Without CUPED", plan.WithoutCuped.StandardDeviation) };
        if (plan.WithCuped is { } cuped)
            plans.Add(("With CUPED", cuped.StandardDeviation));

        double Mde(double sigma) => PowerAnalysis.DetectableEffectSize(units, plan.AlphaPerComparison, input.Power) * sigma / Math.Abs(input.BaselineMean);
        double widest = 2.5 * plans.Max(p => Mde(p.Sigma));
        var curves = plans.Select(p => new PowerCurve(p.Name, units, Mde(p.Sigma),
            Enumerable.Range(0, Points).Select(i => widest * i / (Points - 1))
                .Select(effect => new PowerPoint(effect, PowerAnalysis.PowerOf(effect * Math.Abs(input.BaselineMean) / p.Sigma, units, plan.AlphaPerComparison)))
                .ToList())).ToList();
        return new PowerChartData(plan.AlphaPerComparison, input.Power, curves);
    }
}
