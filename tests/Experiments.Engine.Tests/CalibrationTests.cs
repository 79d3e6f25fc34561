using Experiments.Engine.AbTesting;
using Experiments.Engine.Inference;
using Xunit.Abstractions;

namespace Experiments.Engine.Tests;

/// <summary>
/// Calibration over many simulated experiments with fixed seeds: under no effect the test rejects
/// at rate α, and 95% intervals cover the true effect 95% of the time. With 5,000 experiments the
/// binomial standard error of a rate near 0.05 is 0.003, so the bands [0.04, 0.06] and
/// [0.94, 0.96] are about ±3 standard errors around the nominal value — a miscalibrated test (a
/// wrong variance, a z where a t belongs, a missing term in the delta method) falls outside them.
/// </summary>
public class CalibrationTests(ITestOutputHelper output)
{
    private const int Experiments = 5000;
    private const double Alpha = 0.05;

    private static AbAnalysisResult AnalyzeMeans(SufficientStatistics control, SufficientStatistics treatment, bool cuped = false, MetricKind metric = MetricKind.Mean) =>
        AbAnalysis.Analyze([new MeanVariant("control", control), new MeanVariant("treatment", treatment)],
            new AbAnalysisOptions { Alpha = Alpha, Cuped = cuped, Metric = metric });

    private void AssertRate(double rate, double low, double high, string what)
    {
        output.WriteLine($"{what} = {rate:F4}");
        Assert.True(rate >= low && rate <= high, $"{what} = {rate:F4}, expected within [{low}, {high}]");
    }

    [Fact]
    public void MeansAaFalsePositiveRateAndCoverageUnderALift()
    {
        var rng = new Random(20261122);
        int falsePositives = 0, absoluteCovered = 0, relativeCovered = 0;
        double trueAbsolute = 0.03 * Simulation.RevenueMean;
        for (int s = 0; s < Experiments; s++)
        {
            var aa = AnalyzeMeans(Simulation.Revenue(rng, 500), Simulation.Revenue(rng, 500)).Comparisons[0];
            if (aa.Absolute.PValue < Alpha)
                falsePositives++;
            var ab = AnalyzeMeans(Simulation.Revenue(rng, 500), Simulation.Revenue(rng, 500, lift: 1.03)).Comparisons[0];
            if (ab.Absolute.Lower <= trueAbsolute && trueAbsolute <= ab.Absolute.Upper)
                absoluteCovered++;
            if (ab.Relative!.Lower <= 0.03 && 0.03 <= ab.Relative.Upper)
                relativeCovered++;
        }
        AssertRate(falsePositives / (double)Experiments, 0.04, 0.06, "A/A false-positive rate (means)");
        AssertRate(absoluteCovered / (double)Experiments, 0.94, 0.96, "coverage of the absolute lift (means)");
        AssertRate(relativeCovered / (double)Experiments, 0.94, 0.96, "coverage of the relative lift (means)");
    }

    [Fact]
    public void CupedAaFalsePositiveRateAndCoverageUnderALift()
    {
        var rng = new Random(7);
        int falsePositives = 0, absoluteCovered = 0, relativeCovered = 0;
        const double effect = 0.5;
        for (int s = 0; s < Experiments; s++)
        {
            var aa = AnalyzeMeans(Simulation.WithCovariate(rng, 500, 0.7), Simulation.WithCovariate(rng, 500, 0.7), cuped: true).Comparisons[0];
            if (aa.Absolute.PValue < Alpha)
                falsePositives++;
            var ab = AnalyzeMeans(Simulation.WithCovariate(rng, 500, 0.7), Simulation.WithCovariate(rng, 500, 0.7, effect), cuped: true).Comparisons[0];
            if (ab.Absolute.Lower <= effect && effect <= ab.Absolute.Upper)
                absoluteCovered++;
            double trueRelative = effect / Simulation.CovariateMetricMean;
            if (ab.Relative!.Lower <= trueRelative && trueRelative <= ab.Relative.Upper)
                relativeCovered++;
        }
        AssertRate(falsePositives / (double)Experiments, 0.04, 0.06, "A/A false-positive rate (CUPED)");
        AssertRate(absoluteCovered / (double)Experiments, 0.94, 0.96, "coverage of the absolute lift (CUPED)");
        AssertRate(relativeCovered / (double)Experiments, 0.94, 0.96, "coverage of the relative lift (CUPED)");
    }

    [Fact]
    public void RatioAaFalsePositiveRateAndCoverageUnderALift()
    {
        var rng = new Random(99);
        var options = new AbAnalysisOptions { Alpha = Alpha, Metric = MetricKind.Ratio };
        int falsePositives = 0, absoluteCovered = 0, relativeCovered = 0;
        for (int s = 0; s < Experiments; s++)
        {
            var aa = AbAnalysis.Analyze([new RatioVariant("control", Simulation.ClickThrough(rng, 500, 0.10)),
                new RatioVariant("treatment", Simulation.ClickThrough(rng, 500, 0.10))], options).Comparisons[0];
            if (aa.Absolute.PValue < Alpha)
                falsePositives++;
            var ab = AbAnalysis.Analyze([new RatioVariant("control", Simulation.ClickThrough(rng, 500, 0.10)),
                new RatioVariant("treatment", Simulation.ClickThrough(rng, 500, 0.11))], options).Comparisons[0];
            if (ab.Absolute.Lower <= 0.01 && 0.01 <= ab.Absolute.Upper)
                absoluteCovered++;
            if (ab.Relative!.Lower <= 0.1 && 0.1 <= ab.Relative.Upper)
                relativeCovered++;
        }
        AssertRate(falsePositives / (double)Experiments, 0.04, 0.06, "A/A false-positive rate (ratio)");
        AssertRate(absoluteCovered / (double)Experiments, 0.94, 0.96, "coverage of the absolute lift (ratio)");
        AssertRate(relativeCovered / (double)Experiments, 0.94, 0.96, "coverage of the relative lift (ratio)");
    }

    [Fact]
    public void ProportionAaFalsePositiveRate()
    {
        var rng = new Random(31337);
        int falsePositives = 0;
        for (int s = 0; s < Experiments; s++)
        {
            var aa = AnalyzeMeans(Simulation.Conversions(rng, 2000, 0.1), Simulation.Conversions(rng, 2000, 0.1), metric: MetricKind.Proportion).Comparisons[0];
            if (aa.Absolute.PValue < Alpha)
                falsePositives++;
        }
        AssertRate(falsePositives / (double)Experiments, 0.04, 0.06, "A/A false-positive rate (proportion)");
    }

    /// <summary>
    /// Thirty daily looks at an A/A test. Stopping at the first fixed-horizon p &lt; 0.05 inflates
    /// the error rate several-fold (Johari et al. 2017 report ≈ 0.3 for 30 looks, simulations
    /// here agree); the always-valid p-value of the confidence sequence keeps it at or below α.
    /// </summary>
    [Fact]
    public void DailyPeekingInflatesFixedHorizonErrorButNotSequential()
    {
        const int simulations = 2000, days = 30, dailyPerArm = 100;
        var rng = new Random(424242);
        var fixedOptions = new AbAnalysisOptions { Alpha = Alpha };
        var sequentialOptions = fixedOptions with { Sequential = true, SequentialTuning = 2 * days * dailyPerArm };
        int fixedRejected = 0, sequentialRejected = 0;
        for (int s = 0; s < simulations; s++)
        {
            var control = SufficientStatistics.Empty();
            var treatment = SufficientStatistics.Empty();
            bool fixedStop = false, sequentialStop = false;
            for (int day = 0; day < days; day++)
            {
                control += Simulation.Revenue(rng, dailyPerArm);
                treatment += Simulation.Revenue(rng, dailyPerArm);
                MeanVariant[] variants = [new("control", control), new("treatment", treatment)];
                fixedStop |= AbAnalysis.Analyze(variants, fixedOptions).Comparisons[0].Absolute.PValue < Alpha;
                sequentialStop |= AbAnalysis.Analyze(variants, sequentialOptions).Comparisons[0].Absolute.PValue < Alpha;
            }
            fixedRejected += fixedStop ? 1 : 0;
            sequentialRejected += sequentialStop ? 1 : 0;
        }
        double fixedRate = fixedRejected / (double)simulations, sequentialRate = sequentialRejected / (double)simulations;
        output.WriteLine($"false-positive rate with 30 daily looks: fixed-horizon {fixedRate:F4}, sequential {sequentialRate:F4}");
        Assert.True(fixedRate > 0.15, $"fixed-horizon error under daily peeking = {fixedRate:F3}; expected well above 0.05");
        Assert.True(sequentialRate <= Alpha, $"sequential error under daily peeking = {sequentialRate:F3}; expected ≤ {Alpha}");
    }
}
