using System.Globalization;
using Experiments.Engine.Geo;

namespace Experiments.Engine.Tests.Geo;

/// <summary>
/// TBR against Google's matched_markets (tests/test_tbr.py and test_tbr_iroas.py, which assert
/// the original R package GeoexperimentsResearch's values) on its salesandcost example: 100 geos
/// in two groups, pre-period 2015-01-05..02-15 (42 days), test 2015-02-16..03-15 (28 days).
/// The published values are printed to 7 significant digits, and TBR is closed-form, so they
/// are matched to 1e-7 relative (the print precision). The relative lift's published value comes
/// from a Monte-Carlo summary (0.173998, lower 0.165686), so it is matched to that noise (1e-3).
/// </summary>
public class TimeBasedRegressionTests
{
    private static (double[] Treatment, double[] Control, double[] TreatmentCost, double[] ControlCost) SalesAndCost()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "Data");
        var group = File.ReadAllLines(Path.Combine(dir, "matched_markets_geoassignment.csv")).Skip(1)
            .Select(l => l.Split(',')).ToDictionary(f => f[0], f => f[1]);
        var rows = File.ReadAllLines(Path.Combine(dir, "matched_markets_salesandcost.csv")).Skip(1).Select(l => l.Split(','))
            .Select(f => (Date: f[0], Geo: f[1], Sales: double.Parse(f[2], CultureInfo.InvariantCulture), Cost: double.Parse(f[3], CultureInfo.InvariantCulture)))
            .Where(r => string.CompareOrdinal(r.Date, "2015-01-05") >= 0 && string.CompareOrdinal(r.Date, "2015-03-15") <= 0)
            .ToList();
        var dates = rows.Select(r => r.Date).Distinct().Order(StringComparer.Ordinal).ToList();
        double[] Sum(string g, Func<(string Date, string Geo, double Sales, double Cost), double> value) =>
            dates.Select(d => rows.Where(r => r.Date == d && group[r.Geo] == g).Sum(value)).ToArray();
        return (Sum("2", r => r.Sales), Sum("1", r => r.Sales), Sum("2", r => r.Cost), Sum("1", r => r.Cost));
    }

    [Fact]
    public void ReproducesMatchedMarketsSalesAndCost()
    {
        var (treatment, control, treatmentCost, controlCost) = SalesAndCost();
        Assert.Equal(70, treatment.Length);
        // One-sided 90% summary = lower end of the two-sided 80% interval.
        var result = TimeBasedRegression.Analyze(treatment, control, prePeriods: 42, alpha: 0.2, treatmentCost, controlCost);

        Precision.Close(0.9997001, result.Slope, 1e-7, "slope");
        Precision.Close(147337.122, result.Incremental.Estimate, 1e-8, "incremental response");
        Precision.Close(50000, result.IncrementalCost!.Value, 1e-12, "incremental cost");
        Precision.Close(2.946742, result.Iroas!.Estimate, 1e-6, "iROAS");
        Precision.Close(2.826194, result.Iroas.Lower, 1e-6, "iROAS one-sided 90% lower bound");
        Precision.Close(0.120548, result.Iroas.Estimate - result.Iroas.Lower, 1e-5, "iROAS precision");

        // Pointwise, 80% two-sided, first test day.
        var first = result.Periods[0];
        Precision.Close(35110.69194347361, first.Counterfactual, 1e-12, "first test-day counterfactual");
        Precision.Close(34302.5098, first.CounterfactualLower, 1e-9, "first test-day counterfactual lower");
        Precision.Close(35918.8741, first.CounterfactualUpper, 1e-9, "first test-day counterfactual upper");
        Precision.Close(5558.818056526405, first.Effect, 1e-10, "first test-day effect");
        Precision.Close(4750.6359, first.CumulativeLower, 1e-8, "first test-day cumulative lower");
        Precision.Close(6367.0002, first.CumulativeUpper, 1e-8, "first test-day cumulative upper");

        Precision.Close(0.173998, result.RelativeLift!.Estimate, 1e-3, "relative lift (published value is Monte-Carlo)");
        Precision.Close(0.165686, result.RelativeLift.Lower, 1e-3, "relative lift lower (published value is Monte-Carlo)");
        Assert.True(result.Incremental.PValue < 1e-6);
    }

    [Fact]
    public void FirstPreDayFitMatchesTheReference()
    {
        var (treatment, control, _, _) = SalesAndCost();
        var result = TimeBasedRegression.Analyze(treatment, control, 42);
        Precision.Close(29255.57829994382, result.Intercept + result.Slope * control[0], 1e-12, "first pre-day fitted value");
    }

    /// <summary>
    /// Calibration: on simulated group series with no effect, the 90% interval for the cumulative
    /// effect covers zero about 90% of the time (2,000 seeded series: binomial SE 0.0067, so
    /// [0.88, 0.92] is three SEs); with an injected effect the interval covers it equally often.
    /// </summary>
    [Fact]
    public void IntervalsAreCalibratedOnSimulatedGroups()
    {
        var rng = new Random(11);
        var normal = new MathNet.Numerics.Distributions.Normal(0, 1, rng);
        int coveredNull = 0, coveredEffect = 0;
        const int runs = 2000;
        for (int r = 0; r < runs; r++)
        {
            int n = 42, test = 28;
            var control = new double[n + test];
            var treatment = new double[n + test];
            var shifted = new double[n + test];
            for (int t = 0; t < n + test; t++)
            {
                control[t] = 1000 + 100 * Math.Sin(t / 5.0) + 30 * normal.Sample();
                treatment[t] = 50 + 0.9 * control[t] + 20 * normal.Sample();
                shifted[t] = treatment[t] + (t >= n ? 15 : 0);
            }
            var a = TimeBasedRegression.Analyze(treatment, control, n, alpha: 0.1);
            if (a.Incremental.Lower <= 0 && 0 <= a.Incremental.Upper)
                coveredNull++;
            var b = TimeBasedRegression.Analyze(shifted, control, n, alpha: 0.1);
            if (b.Incremental.Lower <= 15 * test && 15 * test <= b.Incremental.Upper)
                coveredEffect++;
        }
        Assert.InRange(coveredNull / (double)runs, 0.88, 0.92);
        Assert.InRange(coveredEffect / (double)runs, 0.88, 0.92);
    }

    [Fact]
    public void BadInputIsRejected()
    {
        double[] y = [1, 2, 3, 4, 5, 6], x = [1, 3, 2, 5, 4, 6];
        Assert.Equal("prePeriods", Assert.Throws<StatisticsInputException>(() => TimeBasedRegression.Analyze(y, x, 2)).Field);
        Assert.Equal("testPeriods", Assert.Throws<StatisticsInputException>(() => TimeBasedRegression.Analyze(y, x, 6)).Field);
        Assert.Equal("control", Assert.Throws<StatisticsInputException>(() => TimeBasedRegression.Analyze(y, x[..5], 4)).Field);
        Assert.Equal("control", Assert.Throws<StatisticsInputException>(() => TimeBasedRegression.Analyze(y, [2, 2, 2, 2, 2, 2], 4)).Field);
        Assert.Equal("treatment[1]", Assert.Throws<StatisticsInputException>(() => TimeBasedRegression.Analyze([1, double.NaN, 3, 4, 5, 6], x, 4)).Field);
        Assert.Equal("treatment", Assert.Throws<StatisticsInputException>(() => TimeBasedRegression.Analyze(x.Select(v => 2 * v + 1).ToArray(), x, 4)).Field);
        Assert.Equal("alpha", Assert.Throws<StatisticsInputException>(() => TimeBasedRegression.Analyze(y, x, 4, alpha: 1.5)).Field);
    }
}
