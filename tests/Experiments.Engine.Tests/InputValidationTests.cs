using Experiments.Engine.AbTesting;
using Experiments.Engine.Inference;
using Experiments.Engine.Power;

namespace Experiments.Engine.Tests;

/// <summary>Bad input gets a typed exception naming the field, never a number.</summary>
public class InputValidationTests
{
    private static readonly double[] Values = [1.0, 2.5, 3.0, 4.5, 2.0];

    private static StatisticsInputException Throws(Action action) => Assert.Throws<StatisticsInputException>(action);

    private static MeanVariant Variant(string name, params double[] y) => new(name, SufficientStatistics.FromValues(y));

    [Fact]
    public void NaNAndInfinityAreRejectedWithTheirIndex()
    {
        var e = Throws(() => SufficientStatistics.FromValues([1.0, double.NaN, 3.0]));
        Assert.Equal("y[1]", e.Field);
        e = Throws(() => SufficientStatistics.FromValues([1.0, 2.0, 3.0, 4.0, 5.0, double.PositiveInfinity], [1.0, 2, 3, 4, 5, 6]));
        Assert.Equal("y[5]", e.Field);
        e = Throws(() => SufficientStatistics.FromValues([1.0, 2.0], [1.0, double.NegativeInfinity]));
        Assert.Equal("x[1]", e.Field);
        e = Throws(() => SufficientStatistics.FromValues([1e200, 1.0]));
        Assert.Contains("overflow", e.Message);
    }

    [Fact]
    public void MismatchedLengthsAreRejected()
    {
        Assert.Equal("x", Throws(() => SufficientStatistics.FromValues([1.0, 2.0, 3.0], [1.0, 2.0])).Field);
        Assert.Equal("denominator", Throws(() => RatioStatistics.FromValues([1.0, 2.0], [1.0])).Field);
        Assert.Equal("x[1]", Throws(() => SufficientStatistics.FromValues([1.0, 2.0, 3.0], [new[] { 1.0, 2, 3 }, new[] { 1.0 }])).Field);
    }

    [Fact]
    public void ImpossibleSumsAreRejected()
    {
        Assert.Equal("statistics.sumY2", Throws(() => new SufficientStatistics(10, 100, 5)).Field);
        Assert.Equal("statistics.n", Throws(() => new SufficientStatistics(-1, 0, 0)).Field);
        Assert.Equal("statistics.sumY", Throws(() => new SufficientStatistics(10, double.NaN, 5)).Field);
        Assert.Equal("statistics", Throws(() => new SufficientStatistics(10, 1, 5, [1.0], [1.0, 2.0], [1.0])).Field);
        Assert.Equal("statistics.sumXX", Throws(() => new SufficientStatistics(10, 1, 5, [1.0, 1.0], [5.0, 1.0, 2.0, 5.0], [1.0, 1.0])).Field);
    }

    [Fact]
    public void TooFewUnitsZeroVarianceAndBadNamesAreRejected()
    {
        var options = new AbAnalysisOptions();
        Assert.Equal("variants[treatment].n", Throws(() => AbAnalysis.Analyze([Variant("control", Values), Variant("treatment", 1.0)], options)).Field);
        Assert.Equal("variants[treatment].y", Throws(() => AbAnalysis.Analyze([Variant("control", Values), Variant("treatment", 2.0, 2.0, 2.0)], options)).Field);
        Assert.Equal("variants[1].name", Throws(() => AbAnalysis.Analyze([Variant("control", Values), Variant("control", Values)], options)).Field);
        Assert.Equal("control", Throws(() => AbAnalysis.Analyze([Variant("a", Values), Variant("b", Values)], options)).Field);
        Assert.Equal("variants", Throws(() => AbAnalysis.Analyze([Variant("control", Values)], options)).Field);
        Assert.Equal("variants[0].name", Throws(() => AbAnalysis.Analyze([Variant(" ", Values), Variant("control", Values)], options)).Field);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void AlphaOutsideTheUnitIntervalIsRejected(double alpha)
    {
        var e = Throws(() => AbAnalysis.Analyze([Variant("control", Values), Variant("treatment", Values)], new AbAnalysisOptions { Alpha = alpha }));
        Assert.Equal("alpha", e.Field);
    }

    [Fact]
    public void ProportionsMustBeZeroOrOne()
    {
        var e = Throws(() => AbAnalysis.Analyze([Variant("control", 0, 1, 0, 1), Variant("treatment", 0, 2, 1, 0)],
            new AbAnalysisOptions { Metric = MetricKind.Proportion }));
        Assert.Equal("variants[treatment].y", e.Field);
    }

    [Fact]
    public void CupedWithoutCovariatesOrWithCollinearPerfectFitIsRejected()
    {
        Assert.Equal("variants[control].x", Throws(() => AbAnalysis.Analyze([Variant("control", Values), Variant("treatment", Values)],
            new AbAnalysisOptions { Cuped = true })).Field);
        // y = 2x exactly: no variance is left after adjustment.
        double[] x = [1, 2, 3, 4, 5];
        var e = Throws(() => AbAnalysis.Analyze([new MeanVariant("control", SufficientStatistics.FromValues([2.0, 4, 6, 8, 10], x)),
            new MeanVariant("treatment", SufficientStatistics.FromValues([3.0, 5, 7, 9, 11], x))], new AbAnalysisOptions { Cuped = true }));
        Assert.Contains("no variance", e.Message);
    }

    [Fact]
    public void RatioWithZeroDenominatorsIsRejected()
    {
        var e = Throws(() => AbAnalysis.Analyze([new RatioVariant("control", RatioStatistics.FromValues([1.0, 2.0, 0.0], [0.0, 0.0, 0.0])),
            new RatioVariant("treatment", RatioStatistics.FromValues([1.0, 2.0, 3.0], [1.0, 2.0, 2.0]))], new AbAnalysisOptions()));
        Assert.Equal("variants[control].denominator", e.Field);
    }

    [Fact]
    public void ZeroControlMeanGivesNoRelativeLiftAndSaysWhy()
    {
        var result = AbAnalysis.Analyze([Variant("control", -1, 1, -2, 2), Variant("treatment", 1, 2, 3, 4)], new AbAnalysisOptions());
        Assert.Null(result.Comparisons[0].Relative);
        Assert.Contains("zero", result.Comparisons[0].RelativeUnavailableReason);
        Assert.True(double.IsFinite(result.Comparisons[0].Absolute.PValue));
    }

    [Fact]
    public void ExpectedSharesMustNameTheVariants()
    {
        var variants = new[] { Variant("control", Values), Variant("treatment", Values) };
        Assert.Equal("expectedShares[other]", Throws(() => AbAnalysis.Analyze(variants,
            new AbAnalysisOptions { ExpectedShares = new Dictionary<string, double> { ["control"] = 0.5, ["other"] = 0.5 } })).Field);
        Assert.Equal("expectedShares[1]", Throws(() => SampleRatioMismatch.Test([10, 10], [0.5, -0.5])).Field);
    }

    [Fact]
    public void PowerParametersAreChecked()
    {
        Assert.Equal("power", Throws(() => PowerAnalysis.Plan(new PowerInput { BaselineMean = 0.1, IsProportion = true, RelativeMde = 0.05, Power = 1.2 })).Field);
        Assert.Equal("baselineRate", Throws(() => PowerAnalysis.Plan(new PowerInput { BaselineMean = 1.5, IsProportion = true, RelativeMde = 0.05 })).Field);
        Assert.Equal("standardDeviation", Throws(() => PowerAnalysis.Plan(new PowerInput { BaselineMean = 10, RelativeMde = 0.05 })).Field);
        Assert.Equal("covariateCorrelation", Throws(() => PowerAnalysis.Plan(new PowerInput { BaselineMean = 10, StandardDeviation = 2, RelativeMde = 0.05, CovariateCorrelation = 1 })).Field);
        Assert.Equal("relativeMde", Throws(() => PowerAnalysis.Plan(new PowerInput { BaselineMean = 10, StandardDeviation = 2 })).Field);
    }

    [Fact]
    public void MergingStatisticsWithDifferentCovariatesIsRejected()
    {
        var e = Throws(() => _ = SufficientStatistics.FromValues([1.0, 2.0]) + SufficientStatistics.FromValues([1.0, 2.0], [3.0, 4.0]));
        Assert.Contains("covariates", e.Message);
    }
}

/// <summary>Power plans against hand-checkable closed forms.</summary>
public class PowerPlanTests
{
    [Fact]
    public void PlanRoundsUpAndUsesCupedVarianceAndBonferroni()
    {
        var plan = PowerAnalysis.Plan(new PowerInput
        {
            BaselineMean = 50, StandardDeviation = 30, RelativeMde = 0.05, Variants = 3, DailyUnits = 1000,
            CovariateCorrelation = 0.6, Days = 14,
        });
        Assert.Equal(0.025, plan.AlphaPerComparison, 12);
        double n = PowerAnalysis.SampleSizePerArm(2.5 / 30, 0.025, 0.8);
        Assert.Equal((long)Math.Ceiling(n), plan.WithoutCuped.SampleSizePerVariant);
        Assert.Equal(3 * plan.WithoutCuped.SampleSizePerVariant, plan.WithoutCuped.TotalSampleSize);
        Assert.Equal((long)Math.Ceiling(plan.WithoutCuped.TotalSampleSize!.Value / 1000.0), plan.WithoutCuped.Days);
        // CUPED at ρ = 0.6 needs (1 − 0.36) of the units, up to rounding.
        Assert.InRange(plan.WithCuped!.SampleSizePerVariant!.Value, 0.64 * n - 1, 0.64 * n + 1);
        // The MDE reachable in 14 days is what the sample size formula inverts to.
        double unitsPerArm = 14 * 1000 / 3.0;
        Assert.Equal(PowerAnalysis.DetectableEffectSize(unitsPerArm, 0.025, 0.8) * 30 / 50, plan.WithoutCuped.MdeAtPlannedDays!.Value, 12);
        Assert.Equal(0.8, PowerAnalysis.PowerOf(2.5 / 30, n, 0.025), 10);
    }
}

/// <summary>Multiplicity across metrics.</summary>
public class MultipleMetricTests
{
    [Fact]
    public void AdjustingAcrossMetricsTreatsEveryComparisonAsOneFamily()
    {
        var rng = new Random(5);
        AbAnalysisResult Metric(double lift) => AbAnalysis.Analyze(
            [new MeanVariant("control", Simulation.Revenue(rng, 2000)), new MeanVariant("b", Simulation.Revenue(rng, 2000, lift)),
             new MeanVariant("c", Simulation.Revenue(rng, 2000))], new AbAnalysisOptions());
        var analyses = new[] { Metric(1.05), Metric(1.0), Metric(1.02) };
        var raw = analyses.SelectMany(a => a.Comparisons.Select(c => c.Absolute.PValue)).ToList();
        var expected = MultipleTesting.Holm(raw);
        var adjusted = AbAnalysis.AdjustAcrossMetrics(analyses, MultipleTestingCorrection.Holm)
            .SelectMany(a => a.Comparisons.Select(c => c.AdjustedPValue)).ToList();
        Assert.Equal(expected, adjusted);
        // Six hypotheses: the smallest p-value is multiplied by six (Holm's first step).
        Assert.Equal(Math.Min(1, 6 * raw.Min()), adjusted[raw.IndexOf(raw.Min())], 15);
    }
}
