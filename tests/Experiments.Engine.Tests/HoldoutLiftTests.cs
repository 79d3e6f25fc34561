using System.Text.Json;
using Experiments.Engine.AbTesting;
using Experiments.Engine.Inference;
using MathNet.Numerics.Distributions;
using Xunit.Abstractions;

namespace Experiments.Engine.Tests;

/// <summary>
/// The conversion-lift (holdout) figures: exact agreement with an independent computation from the raw
/// per-unit values (Reference/make_holdout_reference.py, numpy/scipy), calibration of the incremental
/// conversions' interval over seeded simulated holdout tests, and bad input.
/// </summary>
public class HoldoutLiftTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-9;
    private static readonly JsonElement Root = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Reference", "holdout_reference.json"))).RootElement;

    public static TheoryData<string> Cases() => new(Root.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!));

    private static double[] Values(JsonElement arm, string name) => arm.GetProperty(name).EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static MeanVariant Variant(string name, JsonElement arm, string y, string x, bool cuped) =>
        new(name, cuped ? SufficientStatistics.FromValues(Values(arm, y), Values(arm, x)) : SufficientStatistics.FromValues(Values(arm, y)));

    [Theory]
    [MemberData(nameof(Cases))]
    public void FiguresMatchTheIndependentComputation(string name)
    {
        var c = Root.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        bool cuped = c.GetProperty("cuped").GetBoolean();
        double alpha = c.GetProperty("alpha").GetDouble();
        var conversions = new[] { Variant("control", c.GetProperty("control"), "converted", "preConverted", cuped), Variant("treatment", c.GetProperty("treatment"), "converted", "preConverted", cuped) };
        var revenue = c.GetProperty("withRevenue").GetBoolean()
            ? new[] { Variant("control", c.GetProperty("control"), "revenue", "preRevenue", cuped), Variant("treatment", c.GetProperty("treatment"), "revenue", "preRevenue", cuped) }
            : null;
        var options = new AbAnalysisOptions { Alpha = alpha, Cuped = cuped, Metric = MetricKind.Proportion };

        var result = HoldoutLift.Analyze(conversions, options, revenue, options with { Metric = MetricKind.Mean },
            new Dictionary<string, double> { ["treatment"] = c.GetProperty("spend").GetDouble() });

        var figures = result.Comparisons.Single();
        var expected = c.GetProperty("expected");
        Assert.Equal(expected.GetProperty("treatedUnits").GetInt64(), figures.TreatedUnits);
        Assert.Equal(expected.GetProperty("spend").GetDouble(), figures.Spend);
        AssertEffect(expected.GetProperty("liftPercent"), figures.LiftPercent!, $"{name} lift %");
        AssertEffect(expected.GetProperty("incrementalConversions"), figures.IncrementalConversions, $"{name} incremental conversions");
        AssertOptional(expected.GetProperty("incrementalRevenue"), figures.IncrementalRevenue, figures.IncrementalRevenueUnavailableReason, $"{name} incremental revenue");
        AssertOptional(expected.GetProperty("iroas"), figures.Iroas, figures.IroasUnavailableReason, $"{name} iROAS");
        var cpic = expected.GetProperty("costPerIncrementalConversion");
        if (cpic.ValueKind == JsonValueKind.Null)
        {
            Assert.Null(figures.CostPerIncrementalConversion);
            Assert.False(string.IsNullOrEmpty(figures.CostPerIncrementalConversionUnavailableReason));
            output.WriteLine($"{name}: cost per incremental conversion unavailable: {figures.CostPerIncrementalConversionUnavailableReason}");
        }
        else
        {
            Assert.Null(figures.CostPerIncrementalConversionUnavailableReason);
            Precision.Close(cpic.GetProperty("estimate").GetDouble(), figures.CostPerIncrementalConversion!.Estimate, Tolerance, $"{name} CPIC");
            Precision.Close(cpic.GetProperty("lower").GetDouble(), figures.CostPerIncrementalConversion.Lower, Tolerance, $"{name} CPIC lower");
            Precision.Close(cpic.GetProperty("upper").GetDouble(), figures.CostPerIncrementalConversion.Upper, Tolerance, $"{name} CPIC upper");
        }
    }

    private void AssertOptional(JsonElement expected, EffectEstimate? actual, string? reason, string what)
    {
        if (expected.ValueKind == JsonValueKind.Null)
        {
            Assert.Null(actual);
            Assert.False(string.IsNullOrEmpty(reason), $"{what}: unavailable without a reason");
            output.WriteLine($"{what} unavailable: {reason}");
            return;
        }
        Assert.Null(reason);
        AssertEffect(expected, actual!, what);
    }

    private static void AssertEffect(JsonElement expected, EffectEstimate actual, string what)
    {
        Precision.Close(expected.GetProperty("estimate").GetDouble(), actual.Estimate, Tolerance, $"{what} estimate");
        Precision.Close(expected.GetProperty("stdError").GetDouble(), actual.StdError, Tolerance, $"{what} SE");
        Precision.Close(expected.GetProperty("lower").GetDouble(), actual.Lower, Tolerance, $"{what} lower");
        Precision.Close(expected.GetProperty("upper").GetDouble(), actual.Upper, Tolerance, $"{what} upper");
        Precision.Close(expected.GetProperty("pValue").GetDouble(), actual.PValue, 1e-7, $"{what} p");
    }

    /// <summary>
    /// 2,000 seeded holdout tests of 1,500 users per arm. Each user has a conversion propensity
    /// q = 0.05 + 0.3·Beta(2, 5) that drives a pre-period 0/1 conversion (CUPED's covariate) and the test-period
    /// one, raised by 20% in the treatment. The true incremental conversions are n_t · 0.2 · E[q] with
    /// E[q] = 0.05 + 0.3·2/7. The binomial standard error of a coverage near 0.95 over 2,000 tests is 0.005, so
    /// [0.93, 0.97] is ±4 standard errors: a wrong variance or scaling falls outside it.
    /// </summary>
    [Fact]
    public void IncrementalConversionsIntervalCoversTheTruth()
    {
        const int tests = 2000, perArm = 1500;
        const double lift = 0.2;
        double meanPropensity = 0.05 + 0.3 * 2.0 / 7.0;
        var rng = new Random(20261202);
        var beta = new Beta(2, 5, rng);
        int covered = 0, cpicAvailable = 0;
        var spend = new Dictionary<string, double> { ["treatment"] = 1000 };
        var options = new AbAnalysisOptions { Metric = MetricKind.Proportion, Cuped = true, Alpha = 0.05 };
        for (int s = 0; s < tests; s++)
        {
            var control = Arm(1.0);
            var treatment = Arm(1 + lift);
            var figures = HoldoutLift.Analyze([new MeanVariant("control", control), new MeanVariant("treatment", treatment)], options, null, null, spend)
                .Comparisons[0];
            double truth = perArm * lift * meanPropensity;
            if (figures.IncrementalConversions.Lower <= truth && truth <= figures.IncrementalConversions.Upper)
                covered++;
            if (figures.CostPerIncrementalConversion is not null)
                cpicAvailable++;
        }
        double coverage = covered / (double)tests;
        output.WriteLine($"coverage of the 95% incremental-conversions interval over {tests} simulated holdout tests = {coverage:P2}; cost per incremental conversion available in {cpicAvailable}");
        Assert.InRange(coverage, 0.93, 0.97);

        SufficientStatistics Arm(double factor)
        {
            double sy = 0, sx = 0, sxy = 0;
            for (int i = 0; i < perArm; i++)
            {
                double q = 0.05 + 0.3 * beta.Sample();
                double x = rng.NextDouble() < q ? 1 : 0;
                double y = rng.NextDouble() < q * factor ? 1 : 0;
                sy += y;
                sx += x;
                sxy += x * y;
            }
            return new SufficientStatistics(perArm, sy, sy, [sx], [sx], [sxy]);
        }
    }

    private static AbAnalysisResult Analysis(MetricKind kind = MetricKind.Proportion)
    {
        var rng = new Random(5);
        return AbAnalysis.Analyze(
            [new MeanVariant("control", Simulation.Conversions(rng, 20_000, 0.10)), new MeanVariant("treatment", Simulation.Conversions(rng, 20_000, 0.13))],
            new AbAnalysisOptions { Metric = kind });
    }

    [Fact]
    public void ASpendThatIsMissingNegativeOrNotFiniteIsRefusedNamingTheTreatment()
    {
        var analysis = Analysis();
        foreach (var spend in new Dictionary<string, double>[] { [], new() { ["treatment"] = -1 }, new() { ["treatment"] = double.NaN } })
        {
            var e = Assert.Throws<StatisticsInputException>(() => HoldoutLift.Analyze("converted", analysis, null, null, spend));
            Assert.Equal("spend[treatment]", e.Field);
        }
    }

    [Fact]
    public void ZeroSpendLeavesCostAndIroasUnavailableWithAReason()
    {
        var analysis = Analysis();
        var figures = HoldoutLift.Analyze("converted", analysis, "revenue", analysis, new Dictionary<string, double> { ["treatment"] = 0 }).Comparisons[0];
        Assert.Null(figures.CostPerIncrementalConversion);
        Assert.Contains("no spend", figures.CostPerIncrementalConversionUnavailableReason);
        Assert.Null(figures.Iroas);
        Assert.Contains("no spend", figures.IroasUnavailableReason);
        Assert.True(figures.IncrementalConversions.Lower > 0);
    }

    [Fact]
    public void AHoldoutWithNoTreatedUnitsIsRefused()
    {
        var spend = new Dictionary<string, double> { ["treatment"] = 10 };
        var analysis = Analysis();
        var empty = analysis with { Variants = analysis.Variants.Select(v => v.Name == "treatment" ? v with { Count = 0 } : v).ToList() };
        var e = Assert.Throws<StatisticsInputException>(() => HoldoutLift.Analyze("converted", empty, null, null, spend));
        Assert.Equal("variants[treatment].n", e.Field);
        Assert.Contains("nothing was treated", e.Message);
        // From sums, the A/B analysis refuses it first, naming the variant.
        var rng = new Random(1);
        Assert.Equal("variants[treatment].n", Assert.Throws<StatisticsInputException>(() => HoldoutLift.Analyze(
            [new MeanVariant("control", Simulation.Conversions(rng, 100, 0.1)), new MeanVariant("treatment", new SufficientStatistics(0, 0, 0))],
            new AbAnalysisOptions { Metric = MetricKind.Proportion }, null, null, spend)).Field);
    }

    [Fact]
    public void ARatioConversionMetricOrARevenueAnalysisOfOtherUnitsIsRefused()
    {
        var spend = new Dictionary<string, double> { ["treatment"] = 10 };
        var ratio = Analysis() with { Metric = MetricKind.Ratio };
        Assert.Equal("holdout.conversionMetric", Assert.Throws<StatisticsInputException>(() => HoldoutLift.Analyze("x", ratio, null, null, spend)).Field);
        var analysis = Analysis();
        var other = analysis with { Variants = analysis.Variants.Select(v => v with { Count = v.Count + 1 }).ToList() };
        Assert.Equal("holdout.revenueMetric", Assert.Throws<StatisticsInputException>(() => HoldoutLift.Analyze("converted", analysis, "revenue", other, spend)).Field);
    }
}
