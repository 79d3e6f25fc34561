using Experiments.Charts;

namespace Experiments.Charts.Tests;

/// <summary>Made-up but plausible inputs for every chart (the numbers of the design pictures where there are some).</summary>
internal static class SampleCharts
{
    public static LiftChartData Lift() => new("Experiment EXP-1234", 0.05, ValueKind.Percent,
    [
        new LiftRow("Conversion rate", "treatment", 0.024, 0.009, 0.039),
        new LiftRow("Revenue per user", "treatment", 0.011, -0.008, 0.030),
        new LiftRow("Avg. session length", "treatment", -0.006, -0.021, 0.009),
        new LiftRow("30-day churn", "treatment", -0.032, -0.050, -0.014, HigherIsBetter: false),
    ]);

    public static CumulativeChartData Cumulative()
    {
        var start = new DateOnly(2026, 5, 20);
        var points = new List<CumulativePoint>();
        for (int d = 0; d < 40; d++)
        {
            double estimate = 60.0 * d + 20 * Math.Sin(d / 3.0) - 20;
            double half = 60 + 8.0 * d;
            points.Add(new CumulativePoint(start.AddDays(d), estimate, estimate - half, estimate + half));
        }
        return new CumulativeChartData("Region NE", "orders", "incremental orders", ValueKind.Count, 0.05, "interval",
            [new CumulativeSeries("Cumulative lift", points)]);
    }

    public static CounterfactualChartData Counterfactual()
    {
        var first = new DateOnly(2026, 3, 1);
        var start = new DateOnly(2026, 5, 21);
        var points = new List<CounterfactualPoint>();
        for (int d = 0; d < 120; d++)
        {
            var day = first.AddDays(d);
            double synthetic = 1000 + 1.8 * d + 60 * Math.Sin(2 * Math.PI * d / 7);
            bool treated = day >= start;
            double actual = synthetic + (treated ? 55 + 15 * Math.Sin(d) : 12 * Math.Sin(1.7 * d));
            points.Add(new CounterfactualPoint(day, actual, synthetic, treated ? synthetic - 70 - 0.5 * (day.DayNumber - start.DayNumber) : null,
                treated ? synthetic + 70 + 0.5 * (day.DayNumber - start.DayNumber) : null));
        }
        return new CounterfactualChartData("Region NE", "daily orders", ValueKind.Count, 0.05, start, points);
    }

    public static PlaceboChartData Placebos()
    {
        var random = new Random(7);
        var placebos = Enumerable.Range(1, 39).Select(i => new PlaceboValue($"market-{i:00}", 0.6 + 1.4 * random.NextDouble() * random.NextDouble())).ToList();
        return new PlaceboChartData("Region NE", "post/pre RMSPE ratio", ValueKind.Number, 3.42, placebos, 0.025);
    }

    public static PowerChartData Power()
    {
        PowerCurve Curve(string name, double n, double mde) => new(name, n, mde,
            Enumerable.Range(0, 61).Select(i => i * 0.001).Select(e => new PowerPoint(e, 1 / (1 + Math.Exp(-(e - mde * 0.62) / (mde * 0.16))))).ToList());
        return new PowerChartData(0.05, 0.8, [Curve("Without CUPED", 31_400, 0.03), Curve("With CUPED", 31_400, 0.022)]);
    }

    /// <summary>Every chart with its name, as the API serves them.</summary>
    public static IEnumerable<(string Name, Func<Chart> Build)> All() =>
    [
        ("lift", () => ExperimentCharts.Lift(Lift())),
        ("cumulative", () => ExperimentCharts.Cumulative(Cumulative())),
        ("counterfactual", () => ExperimentCharts.Counterfactual(Counterfactual())),
        ("effect", () => ExperimentCharts.Effect(Counterfactual())),
        ("placebos", () => ExperimentCharts.Placebos(Placebos())),
        ("power", () => ExperimentCharts.Power(Power())),
    ];
}
