using Experiments.Engine.SyntheticControl;

namespace Experiments.Engine.Tests.SyntheticControl;

/// <summary>In-space and in-time placebos and leave-one-out, on the reference data and on simulated panels.</summary>
public class InferenceTests
{
    [Fact]
    public void CaliforniaHasTheLargestRmspeRatioOf39AndTheRunIsDeterministic()
    {
        var panel = ReferenceData.California;
        var spec = ReferenceData.CaliforniaSpecification();
        var parallel = SyntheticControlInference.InSpacePlacebo(panel, spec);

        // ADH 2010 §3.3 and the R Synth peer run (ADH convention): California's post/pre ratio is the largest
        // of 39, p = 1/39. Ranks are integers: exact.
        Assert.Equal(39, parallel.UnitCount);
        Assert.Equal(1, parallel.Rank);
        Assert.Equal(1.0 / 39, parallel.PValue, 1e-15);
        Assert.True(parallel.Units[0].IsTreated);
        Assert.Equal("California", parallel.Units[0].Unit);
        Assert.Equal(parallel.Units.Max(u => u.RmspeRatio), parallel.Units[0].RmspeRatio);

        // Deterministic: one thread gives bit-identical ratios and gaps.
        var serial = SyntheticControlInference.InSpacePlacebo(panel, spec, new InSpacePlaceboOptions { MaxDegreeOfParallelism = 1 });
        Assert.Equal(parallel.Units.Select(u => u.Unit), serial.Units.Select(u => u.Unit));
        for (var i = 0; i < parallel.Units.Count; i++)
        {
            Assert.Equal(parallel.Units[i].RmspeRatio, serial.Units[i].RmspeRatio);
            Assert.Equal(parallel.Units[i].Gaps, serial.Units[i].Gaps);
        }

        // Each placebo's donor pool is the other 37 donors (California never a donor): its gaps are its own fit.
        var colorado = parallel.Units.Single(u => u.Unit == "Colorado");
        var coloradoFit = SyntheticControlEstimator.Fit(panel, spec with
        {
            TreatedUnits = ["Colorado"],
            DonorUnits = panel.Units.Where(u => u is not ("California" or "Colorado")).ToArray(),
        });
        Assert.Equal(coloradoFit.Path.Select(p => p.Gap), colorado.Gaps);
    }

    [Fact]
    public void BasquePlaceboPValueUnderBothConventions()
    {
        var panel = ReferenceData.Basque;
        var spec = ReferenceData.BasqueSpecification();

        // ADH convention with the README's windows (pre 1955-69, post 1970-97). The peers disagree by one rank:
        // R Synth (same spec) 8/18, pysyncon 7/18 — the ranks sit close together (ratios within 1% of Basque's) and
        // each peer's 17 placebo V searches stop in different places. We require the peer range.
        var adh = SyntheticControlInference.InSpacePlacebo(panel, spec, new InSpacePlaceboOptions
        {
            RatioPrePeriods = ReferenceData.Range(1955, 1969),
            RatioPostPeriods = ReferenceData.Range(1970, 1997),
        });
        Assert.Equal(18, adh.UnitCount);
        Assert.InRange(adh.Rank, 7, 8);

        // pysyncon's convention: pvalue(treatment_time = 1975) counts the placebos (not Basque) with ratio ≥ Basque's,
        // over N = 18, with pre = years ≤ 1975 and post = years ≥ 1975. pysyncon publishes 3/18.
        // NOT REPRODUCED: we get 1/18. The convention is implemented as pysyncon's code reads (checked on a
        // constructed case below); the difference is in the placebo fits: pysyncon's Nelder-Mead leaves some
        // placebos at worse optima, e.g. its Cataluna placebo has 1960-69 gaps of 0.20-0.49 where ours stay below
        // 0.03 (ratios move with the pre-fit), so which placebos outrank Basque changes.
        var pysyncon = SyntheticControlInference.InSpacePlacebo(panel, spec, new InSpacePlaceboOptions
        {
            Convention = PlaceboPValueConvention.ExcludingTreated,
            RatioPrePeriods = ReferenceData.Range(1955, 1975),
            RatioPostPeriods = ReferenceData.Range(1975, 1997),
        });
        Assert.Equal((pysyncon.Rank - 1) / 18.0, pysyncon.PValue, 1e-15);
        var cataluna = pysyncon.Units.Single(u => u.Unit == "Cataluna").Gaps;
        Assert.All(Enumerable.Range(5, 10), t => Assert.True(Math.Abs(cataluna[t]) < 0.03));

        // pysyncon's test does pin two placebo paths that do agree, 1960-1970 (its test tolerance 0.025; its
        // gaps there are synthetic − treated, the opposite sign of ours — Madrid, the richest region, lies above
        // every convex combination of the others, so treated − synthetic must be positive).
        double[] madrid = [-0.927175216, -1.066517558, -1.011035191, -0.950460346, -0.945849043, -0.930054154, -0.772216555, -0.614639881, -0.557819528, -0.491421484, -0.441239691];
        double[] andalucia = [0.005071129, -0.002029762, 0.002976458, 0.008368423, 0.012947728, 0.0182735, 0.002324614, -0.012943574, -0.009046578, -0.00457983, -0.013673715];
        var madridGaps = pysyncon.Units.Single(u => u.Unit == "Madrid (Comunidad De)").Gaps;
        var andaluciaGaps = pysyncon.Units.Single(u => u.Unit == "Andalucia").Gaps;
        for (var i = 0; i <= 10; i++)
        {
            Assert.Equal(madrid[i], -madridGaps[5 + i], 0.025);
            Assert.Equal(andalucia[i], -andaluciaGaps[5 + i], 0.025);
        }
    }

    [Fact]
    public void ConventionsOnAConstructedPanelWithAnUnmistakableEffect()
    {
        // The treated unit gets +10 from t = 30 on a panel where everyone is matched well: its ratio is the
        // largest, so the ADH p is 1/N and pysyncon's is 0/N.
        var panel = Simulation.FactorPanel(seed: 7, donors: 11, periods: 40, treatmentStart: 30, effect: 10.0, noise: 0.1, out _);
        var spec = new SyntheticControlSpecification { TreatedUnits = ["treated"], TreatmentStart = 30 };
        var adh = SyntheticControlInference.InSpacePlacebo(panel, spec);
        var pysyncon = SyntheticControlInference.InSpacePlacebo(panel, spec, new InSpacePlaceboOptions { Convention = PlaceboPValueConvention.ExcludingTreated });
        Assert.Equal(12, adh.UnitCount);
        Assert.Equal(1, adh.Rank);
        Assert.Equal(1.0 / 12, adh.PValue, 1e-15);
        Assert.Equal(0.0, pysyncon.PValue);

        // Excluding poorly fitted placebos (ADH 2010 §3.3): a unit is dropped exactly when its pre-MSPE exceeds
        // m × the treated unit's.
        var trimmed = SyntheticControlInference.InSpacePlacebo(panel, spec, new InSpacePlaceboOptions { PreFitExclusionMultiple = 2 });
        var treatedPre = trimmed.Units[0].PreRmspe * trimmed.Units[0].PreRmspe;
        foreach (var unit in trimmed.Units.Skip(1))
            Assert.Equal(unit.PreRmspe * unit.PreRmspe > 2 * treatedPre, unit.Excluded);
        Assert.Equal(trimmed.Units.Count(u => !u.Excluded), trimmed.UnitCount);
    }

    [Fact]
    public void InTimePlaceboFindsNoEffectBeforeTheTreatment()
    {
        // Effect +3 from t = 40; pretend the treatment started at t = 30 and refit on t < 40 only.
        var panel = Simulation.FactorPanel(seed: 11, donors: 20, periods: 55, treatmentStart: 40, effect: 3.0, noise: 0.2, out _);
        var spec = new SyntheticControlSpecification { TreatedUnits = ["treated"], TreatmentStart = 40 };
        var real = SyntheticControlEstimator.Fit(panel, spec);
        var placebo = SyntheticControlInference.InTimePlacebo(panel, spec, 30);
        Assert.Equal(30, placebo.PlaceboTreatmentStart);
        Assert.Equal(30, placebo.PlaceboEffect.FirstPeriod);
        Assert.Equal(39, placebo.PlaceboEffect.LastPeriod);
        Assert.Equal(39, placebo.Fit.Path[^1].Period);
        // Noise sd 0.2: the mean of 10 gaps has sd ≈ 0.2·sqrt(1 + Σw²)/sqrt(10) < 0.09. Tolerance 0.3 (> 3 sd)
        // for the placebo (truth 0) and the real effect (truth 3).
        Assert.Equal(0.0, placebo.PlaceboEffect.Estimate, 0.3);
        Assert.Equal(3.0, real.Effect.Estimate, 0.3);

        Assert.Throws<StatisticsInputException>(() => SyntheticControlInference.InTimePlacebo(panel, spec, 40));
        // A placebo start that leaves fewer pre-periods than required is refused, naming the problem.
        var error = Assert.Throws<StatisticsInputException>(() => SyntheticControlInference.InTimePlacebo(panel, spec, 2));
        Assert.Contains("before the treatment start 2", error.Message);
    }

    [Fact]
    public void LeaveOneOutRefitsWithoutEachPositivelyWeightedDonor()
    {
        var panel = ReferenceData.Basque;
        var spec = ReferenceData.BasqueSpecification();
        var result = SyntheticControlInference.LeaveOneOut(panel, spec);
        var positive = result.Full.Weights.Where(w => w.Weight > 0).Select(w => w.Unit).ToArray();
        Assert.Equal(positive, result.Fits.Select(f => f.DroppedDonor));
        Assert.Equal(["Cataluna", "Madrid (Comunidad De)"], positive);
        foreach (var loo in result.Fits)
        {
            Assert.DoesNotContain(loo.Fit.Weights, w => w.Unit == loo.DroppedDonor);
            Assert.Equal(16, loo.Fit.Weights.Count);
            Assert.Equal(result.Full.WeightOf(loo.DroppedDonor), loo.DroppedWeight);
            Assert.Equal(1.0, loo.Fit.Weights.Sum(w => w.Weight), 1e-12);
        }

        // Note: a smaller pool can give a *lower* loss. The nested problem only reaches weights of the form W*(V),
        // and removing a donor changes that set: without Cataluna, Asturias 0.18 / Baleares 0.38 / Madrid 0.44
        // becomes W*(V) for some V and fits 1960-69 better (MSPE 0.0054 against 0.0089), but with Cataluna present
        // no V selects it. So no ordering of losses is asserted; the effects move from -0.58 to -0.82 and -0.54.
        Assert.InRange(result.Full.Effect.Estimate, result.MinimumEffect, result.MaximumEffect);

        var effects = result.Fits.Select(f => f.Fit.Effect.Estimate).Append(result.Full.Effect.Estimate).ToArray();
        Assert.Equal(effects.Min(), result.MinimumEffect);
        Assert.Equal(effects.Max(), result.MaximumEffect);
    }

    [Fact]
    public void AnExactPrePeriodFitIsRefusedByNameInsteadOfAnInfiniteRatio()
    {
        // Every market follows the same weekly pattern around its own level: once each is centred on its
        // pre-period mean, any synthetic copy matches the pre-period exactly and the RMSPE ratio is 0/0 or x/0.
        var rows = new List<PanelRow>();
        for (int u = 0; u < 5; u++)
            for (int t = 1; t <= 20; t++)
                rows.Add(new PanelRow($"m{u}", t, 100.0 + u + (t % 7) + (u == 0 && t >= 15 ? 5 : 0)));
        var spec = new SyntheticControlSpecification { TreatedUnits = ["m0"], TreatmentStart = 15, OutcomeCentering = OutcomeCentering.UnitPreTreatmentMean };

        var e = Assert.Throws<Experiments.Engine.StatisticsInputException>(() => SyntheticControlInference.InSpacePlacebo(Panel.FromRows(rows), spec));

        Assert.Equal("placebos", e.Field);
        Assert.Contains("fits the pre-period exactly", e.Message);
    }

    [Fact]
    public void A_cancelled_caller_stops_the_placebo_fits()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => SyntheticControlInference.InSpacePlacebo(ReferenceData.California,
            ReferenceData.CaliforniaSpecification(), new InSpacePlaceboOptions { CancellationToken = cancelled.Token }));
    }
}
