using Experiments.Engine.SyntheticControl;

namespace Experiments.Engine.Tests.SyntheticControl;

/// <summary>Recovery of injected effects on seeded factor-model panels, and the options of the estimator.</summary>
public class SyntheticControlEstimatorTests
{
    // Noise sd 0.2 and 15 post periods: the mean post gap has sd ≈ 0.2·sqrt(1 + Σw²)/sqrt(15) ≈ 0.06, plus a
    // small bias from fitting noise in 35 pre periods. Tolerance 0.25 ≈ 4 sd.
    private const double EffectTolerance = 0.25;

    [Fact]
    public void RecoversAnInjectedEffectByMatchingOnOutcomes()
    {
        var panel = Simulation.FactorPanel(seed: 2024, donors: 25, periods: 50, treatmentStart: 36, effect: 4.0, noise: 0.2, out var truth);
        var fit = SyntheticControlEstimator.Fit(panel, new SyntheticControlSpecification { TreatedUnits = ["treated"], TreatmentStart = 36 });

        Assert.Equal(4.0, fit.Effect.Estimate, EffectTolerance);
        Assert.Equal(15, fit.Effect.PeriodCount);
        Assert.Equal(0.2, fit.PreRmspe, 0.1); // the pre-fit error is the noise level
        // The weights concentrate on the three true donors (the noise lets others take a little).
        var onTruth = fit.Weights.Select((w, j) => truth[j] > 0 ? w.Weight : 0).Sum();
        Assert.True(onTruth > 0.8, $"weight on the true donors {onTruth}");
        Assert.Empty(fit.Predictors);
        Assert.Equal(0, fit.LossEvaluations);
        Assert.Equal(1.0, fit.Weights.Sum(w => w.Weight), 1e-12);
    }

    [Fact]
    public void RecoversTheEffectWithPredictorsAndOptimisedV()
    {
        var panel = Simulation.FactorPanel(seed: 99, donors: 25, periods: 50, treatmentStart: 36, effect: -3.0, noise: 0.2, out _);
        var spec = new SyntheticControlSpecification
        {
            TreatedUnits = ["treated"],
            TreatmentStart = 36,
            Predictors =
            [
                Predictor.Mean("x", 1, 35), // observed in odd periods only: the mean skips the NaN cells
                Predictor.Mean("y", 1, 10), Predictor.Mean("y", 11, 20), Predictor.Mean("y", 21, 35), Predictor.Mean("y", 35),
            ],
        };
        var fit = SyntheticControlEstimator.Fit(panel, spec);
        Assert.Equal(-3.0, fit.Effect.Estimate, EffectTolerance);
        Assert.Equal(1.0, fit.PredictorWeights.Sum(), 1e-12);
        Assert.All(fit.PredictorWeights, v => Assert.True(v >= 0));
        Assert.True(fit.LossEvaluations > 0);
        Assert.Equal(["x mean 1-35", "y mean 1-10", "y mean 11-20", "y mean 21-35", "y 35"], fit.Predictors.Select(p => p.Predictor));

        // A custom V is used as given (normalised), without a search.
        var custom = SyntheticControlEstimator.Fit(panel, spec with { PredictorWeighting = PredictorWeighting.Custom, CustomPredictorWeights = [0, 2, 2, 2, 2] });
        Assert.Equal([0, 0.25, 0.25, 0.25, 0.25], custom.PredictorWeights);
        Assert.Equal(0, custom.LossEvaluations);
        // The optimised V cannot do worse on the loss than this particular V (both exact inner solves).
        Assert.True(fit.LossMspe <= custom.LossMspe * (1 + 1e-9));
    }

    [Fact]
    public void FixedEffectsRecoverTheEffectWhenTheTreatedLevelIsOutsideTheHull()
    {
        // The treated unit sits 40 above any convex combination: without centring the synthetic unit cannot reach
        // it; with unit pre-mean centring (GeoLift's default) it differs by a constant and the effect is recovered.
        var panel = Simulation.FactorPanel(seed: 5, donors: 25, periods: 50, treatmentStart: 36, effect: 2.0, noise: 0.2, out _, levelShift: 40);
        var spec = new SyntheticControlSpecification { TreatedUnits = ["treated"], TreatmentStart = 36 };
        var raw = SyntheticControlEstimator.Fit(panel, spec);
        var centred = SyntheticControlEstimator.Fit(panel, spec with { OutcomeCentering = OutcomeCentering.UnitPreTreatmentMean });

        Assert.True(Math.Abs(raw.Effect.Estimate - 2.0) > 10, $"uncentred effect {raw.Effect.Estimate} should be biased by the level gap");
        Assert.Equal(2.0, centred.Effect.Estimate, EffectTolerance);
        // Centred, the pre-period gaps average exactly zero: Ȳ₁ − Σw·Ȳⱼ is added back.
        Assert.Equal(0.0, centred.Path.Where(p => !p.IsPostTreatment).Average(p => p.Gap), 1e-9);
    }

    [Fact]
    public void SeveralTreatedUnitsAreAveragedIntoOneTreatedSeries()
    {
        // Two treated units with effects +2 and +4 on the same donors: the treated series is their average and the
        // effect the average effect (3).
        var a = Simulation.FactorPanel(seed: 17, donors: 20, periods: 45, treatmentStart: 31, effect: 2.0, noise: 0.2, out _, treatedName: "treatedA");
        var b = Simulation.FactorPanel(seed: 17, donors: 20, periods: 45, treatmentStart: 31, effect: 4.0, noise: 0.2, out _, treatedName: "treatedB");
        var rows = new List<PanelRow>();
        foreach (var unit in a.Units)
            foreach (var t in a.Periods)
                rows.Add(new PanelRow(unit, t, a.Outcome(unit, t), [a.Covariate("x", unit, t)]));
        foreach (var t in b.Periods)
            rows.Add(new PanelRow("treatedB", t, b.Outcome("treatedB", t), [b.Covariate("x", "treatedB", t)]));
        var panel = Panel.FromRows(rows, "y", ["x"]);

        var fit = SyntheticControlEstimator.Fit(panel, new SyntheticControlSpecification { TreatedUnits = ["treatedA", "treatedB"], TreatmentStart = 31 });
        Assert.Equal(20, fit.Weights.Count);
        Assert.DoesNotContain(fit.Weights, w => w.Unit.StartsWith("treated", StringComparison.Ordinal));
        foreach (var point in fit.Path)
            Assert.Equal((panel.Outcome("treatedA", point.Period) + panel.Outcome("treatedB", point.Period)) / 2, point.Actual, 1e-12);
        Assert.Equal(3.0, fit.Effect.Estimate, EffectTolerance);
    }

    [Fact]
    public void EffectSummaryFollowsItsFormulas()
    {
        var panel = Simulation.FactorPanel(seed: 3, donors: 10, periods: 30, treatmentStart: 21, effect: 1.0, noise: 0.3, out _);
        var fit = SyntheticControlEstimator.Fit(panel, new SyntheticControlSpecification { TreatedUnits = ["treated"], TreatmentStart = 21 });
        var post = fit.Path.Where(p => p.IsPostTreatment).ToArray();
        var gaps = post.Select(p => p.Gap).ToArray();
        var mean = gaps.Average();
        Assert.Equal(mean, fit.Effect.Estimate, 1e-12);
        Assert.Equal(gaps.Sum(), fit.Effect.Cumulative, 1e-12);
        Assert.Equal(gaps.Sum() / Math.Abs(post.Sum(p => p.Synthetic)), fit.Effect.RelativeEffect, 1e-12);
        var sd = Math.Sqrt(gaps.Sum(g => (g - mean) * (g - mean)) / (gaps.Length - 1));
        Assert.Equal(sd / Math.Sqrt(gaps.Length), fit.Effect.GapStandardError, 1e-12);
        Assert.Equal(Math.Sqrt(fit.Path.Where(p => !p.IsPostTreatment).Average(p => p.Gap * p.Gap)), fit.PreRmspe, 1e-12);
        foreach (var p in fit.Path) Assert.Equal(p.Actual - p.Synthetic, p.Gap, 1e-12);
        Assert.Throws<StatisticsInputException>(() => fit.EffectOver(100, 200));
    }

    [Fact]
    public void RejectsInvalidSpecificationsWithPlainMessages()
    {
        var panel = Simulation.FactorPanel(seed: 1, donors: 5, periods: 12, treatmentStart: 9, effect: 0, noise: 0.1, out _);
        SyntheticControlSpecification Spec() => new() { TreatedUnits = ["treated"], TreatmentStart = 9 };

        void Fails(SyntheticControlSpecification spec, string fragment)
        {
            var error = Assert.Throws<StatisticsInputException>(() => SyntheticControlEstimator.Fit(panel, spec));
            Assert.Contains(fragment, error.Message);
        }

        Fails(Spec() with { TreatedUnits = ["atlantis"] }, "Treated unit 'atlantis' is not in the panel");
        Fails(Spec() with { TreatedUnits = [] }, "at least one treated unit");
        Fails(Spec() with { DonorUnits = ["donor01", "treated"] }, "'treated' is both treated and a donor");
        Fails(Spec() with { DonorUnits = ["donor01", "donor09"] }, "Donor 'donor09' is not in the panel");
        Fails(Spec() with { DonorUnits = [] }, "donor pool is empty");
        Fails(Spec() with { TreatmentStart = 2 }, "Only 1 period(s) of the panel lie before the treatment start 2");
        Fails(Spec() with { TreatmentStart = 13 }, "No period of the panel is at or after the treatment start 13");
        Fails(Spec() with { LossPeriods = [3, 9] }, "Loss period 9 is not before the treatment start 9");
        Fails(Spec() with { LossPeriods = [3, 3] }, "Loss period 3 is listed twice");
        Fails(Spec() with { Predictors = [Predictor.Mean("z", 1, 4)] }, "neither the outcome 'y' nor a covariate");
        Fails(Spec() with { Predictors = [Predictor.Mean("y", 5, 10)] }, "uses period 9, which is not before the treatment start 9");
        Fails(Spec() with { Predictors = [Predictor.Mean("x", 2, 2)] }, "has no observed value for unit 'treated'");
        Fails(Spec() with { Predictors = [Predictor.Mean("x", 1, 4)], PredictorWeighting = PredictorWeighting.Custom, CustomPredictorWeights = [1, 1] }, "2 custom predictor weights for 1 predictors");
        Fails(Spec() with { PredictorWeighting = PredictorWeighting.Custom, CustomPredictorWeights = [1] }, "Custom predictor weights need predictors");
        Fails(Spec() with { Predictors = [Predictor.Mean("x", 1, 4)], CustomPredictorWeights = [1] }, "the weighting is not Custom");
        Fails(Spec() with { Predictors = [Predictor.Mean("x", 1, 4), Predictor.Mean("y", 1, 4)], PredictorWeighting = PredictorWeighting.Custom, CustomPredictorWeights = [-1, 2] }, "non-negative");
    }
}
