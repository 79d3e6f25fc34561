using Experiments.Engine.SyntheticControl;

namespace Experiments.Engine.Tests.SyntheticControl;

/// <summary>
/// The estimator against published and peer results, with the published specifications (see
/// <c>Data/README.md</c> and the shared data README). Every tolerance says where it comes from. The V
/// search is non-convex, so where implementations disagree the tolerance is set from how far the peers disagree
/// with each other, and we additionally check that our loss is no worse than the published solution's loss —
/// the one comparison that does not depend on which local optimum a peer stopped in.
/// </summary>
public class PublishedResultsTests
{
    // ---------------------------------------------------------------- Basque (Abadie & Gardeazabal 2003)

    [Fact]
    public void BasqueWeightsLossAndEffectMatchPublishedAndPeers()
    {
        var fit = SyntheticControlEstimator.Fit(ReferenceData.Basque, ReferenceData.BasqueSpecification());

        // Weights. Published A&G 2003: Cataluna 0.8508, Madrid 0.1492. Peers on this spec: pysyncon test
        // 0.850816306, pysyncon run 0.850813082, R Synth 0.850801 (and 0.850799 on the man-page spec): they
        // span 1.7e-5 because each stops its outer search at a slightly different V on a flat loss surface.
        // Tolerance 1e-4: six times that spread, and the published 4 dp (±5e-5).
        Assert.Equal(0.850816306, fit.WeightOf("Cataluna"), 1e-4);
        Assert.Equal(0.149183694, fit.WeightOf("Madrid (Comunidad De)"), 1e-4);
        Assert.Equal(0.8508, fit.WeightOf("Cataluna"), 1e-4);
        var others = fit.Weights.Where(w => w.Unit is not ("Cataluna" or "Madrid (Comunidad De)")).Sum(w => w.Weight);
        Assert.True(others < 1e-4, $"other donors carry {others}");

        // Loss (pysyncon's MSPE over 1960-69) = 0.008864544955. The peers' paths give 0.0088645450 (pysyncon)
        // and 0.0088645649 (R Synth, same spec): relative spread 2.2e-6. Our loss must not be above the best
        // published one (beyond rounding, 1e-9 relative) nor far below it (5e-6 relative, about twice the peer spread).
        const double pysynconMspe = 0.008864544955;
        Assert.True(fit.LossMspe <= pysynconMspe * (1 + 1e-9), $"loss {fit.LossMspe:R} above pysyncon's {pysynconMspe}");
        Assert.True(fit.LossMspe >= pysynconMspe * (1 - 5e-6), $"loss {fit.LossMspe:R} suspiciously far below pysyncon's");

        // ATT over 1975-1997 = -0.6995648 (pysyncon test; se 0.0707809). Peer paths: -0.6995645 (R, man page),
        // -0.6995667 (R, this spec), -0.6995653 (pysyncon): spread 2.2e-6. Tolerance 1e-5.
        var att = fit.EffectOver(1975, 1997);
        Assert.Equal(-0.6995648, att.Estimate, 1e-5);
        Assert.Equal(23, att.PeriodCount);
        // pysyncon's "se" is sd(gap)/sqrt(n); published to 7 digits, it moves with W as the ATT does: 1e-5.
        Assert.Equal(0.0707809, att.GapStandardError, 1e-5);
        // And the whole post-period (1970-97): peers -0.5799.
        Assert.Equal(-0.5799, fit.Effect.Estimate, 1e-4);
    }

    [Fact]
    public void BasquePathMatchesThePysynconPeerRunYearByYear()
    {
        // The peer's gap path in every year 1955-1997. Our W differs from the peer's by ~3e-6 per donor and the
        // outcomes are ~10 (thousand USD), so the paths can differ by ~3e-5: tolerance 1e-4.
        var fit = SyntheticControlEstimator.Fit(ReferenceData.Basque, ReferenceData.BasqueSpecification());
        var peer = ReferenceData.PeerGaps("basque_pysyncon_example_NM_equal");
        Assert.Equal(43, peer.Count);
        foreach (var point in fit.Path) Assert.Equal(peer[point.Period], point.Gap, 1e-4);
    }

    // ---------------------------------------------------------------- California Prop 99 (ADH 2010)

    private static readonly Dictionary<string, double> AdhCaliforniaWeights = new()
    {
        ["Colorado"] = 0.164, ["Connecticut"] = 0.069, ["Montana"] = 0.199, ["Nevada"] = 0.234, ["Utah"] = 0.334,
    };

    [Fact]
    public void CaliforniaFitsAtLeastAsWellAsThePublishedAndPeerWeights()
    {
        var panel = ReferenceData.California;
        var fit = SyntheticControlEstimator.Fit(panel, ReferenceData.CaliforniaSpecification());
        var lossYears = ReferenceData.Range(1970, 1988);

        // Loss over 1970-88 at the ADH Table 2 weights (3 dp) is 3.0892; R Synth's optimum is 3.2091 (loss.v);
        // pysyncon Powell 1.816^2 = 3.298. Ours must be no worse than any of them (1e-9 relative for rounding).
        var adhLoss = ReferenceData.LossAt(panel, "California", AdhCaliforniaWeights, lossYears);
        var rLoss = ReferenceData.LossAt(panel, "California", ReferenceData.PeerWeights("california_ADH_spec"), lossYears);
        Assert.Equal(3.0892, adhLoss, 1e-4);
        Assert.Equal(3.2091, rLoss, 1e-3);
        Assert.True(fit.LossMspe <= adhLoss * (1 + 1e-9), $"our loss {fit.LossMspe} is above the loss at ADH's weights {adhLoss}");
        Assert.True(fit.LossMspe <= rLoss, $"our loss {fit.LossMspe} is above R Synth's {rLoss}");
    }

    [Fact]
    public void CaliforniaWeightsMatchAdhTable2()
    {
        var fit = SyntheticControlEstimator.Fit(ReferenceData.California, ReferenceData.CaliforniaSpecification());

        // ADH Table 2 (3 dp, quoted from memory in the data README). The peers that reach a good optimum disagree
        // with each other by up to 0.023 per donor (Montana: R Synth 0.182 vs pysyncon/Powell 0.205; Colorado 0.175
        // vs 0.161), and each of them disagrees with ADH by up to 0.017 (R) and 0.006 (Powell): the loss surface is
        // flat near the optimum. Our optimum has a lower loss than all of them (see the test above); we hold it to
        // 0.01 of ADH — under half the peer-to-peer spread, above the 0.006 of the closest peer plus rounding.
        foreach (var (donor, weight) in AdhCaliforniaWeights)
            Assert.Equal(weight, fit.WeightOf(donor), 0.01);
        var rest = fit.Weights.Where(w => !AdhCaliforniaWeights.ContainsKey(w.Unit)).Sum(w => w.Weight);
        Assert.True(rest < 0.01, $"donors outside ADH's five carry {rest}");

        // Against the R Synth peer run (full precision file): tolerance 0.025, the measured R-vs-Powell spread (0.023).
        var r = ReferenceData.PeerWeights("california_ADH_spec");
        foreach (var (donor, weight) in r) Assert.Equal(weight, fit.WeightOf(donor), 0.025);

        // Table 1 balance (from memory, README): synthetic retail price 89.41, cigsale 1975 126.99, 1980 120.43,
        // 1988 91.62, beer 24.20. Printed to 2 dp from ADH's own W; our W is within 0.01 of it per donor, and
        // donor values differ by up to ~100 packs / ~30 cents, so we allow 1.0 pack / cent and 0.5 for beer.
        var balance = fit.Predictors.ToDictionary(p => p.Predictor);
        Assert.Equal(89.41, balance["retprice mean 1980-1988"].Synthetic, 1.0);
        Assert.Equal(126.99, balance["cigsale 1975"].Synthetic, 1.0);
        Assert.Equal(120.43, balance["cigsale 1980"].Synthetic, 1.0);
        Assert.Equal(91.62, balance["cigsale 1988"].Synthetic, 1.0);
        Assert.Equal(24.20, balance["beer mean 1984-1988"].Synthetic, 0.5);
        // Treated values computed from this file (README): exact to the printed digits.
        Assert.Equal(89.4222, balance["retprice mean 1980-1988"].Treated, 1e-4);
        Assert.Equal(10.0766, balance["lnincome mean 1980-1988"].Treated, 1e-4);
    }

    [Fact]
    public void CaliforniaEffectMatchesPublishedAndPeers()
    {
        var fit = SyntheticControlEstimator.Fit(ReferenceData.California, ReferenceData.CaliforniaSpecification());
        var gap2000 = fit.Path.Single(p => p.Period == 2000).Gap;

        // ADH abstract: "about 26 packs" lower by 2000 — a rounded figure (±0.5) — and the peers at good optima
        // give -25.43 (R) and -25.58 (Powell). Tolerance: within 1 pack of 26 (rounding plus the peer spread).
        Assert.Equal(-26.0, gap2000, 1.0);
        // The average over 1989-2000: "almost 20 packs" (ADH text); peers -18.72 (R), -18.80 (Powell). We hold it
        // to 2.5% of the R peer (pysyncon's own ATT tolerance across platforms), and to "almost 20": in (-20, -18).
        Assert.Equal(12, fit.Effect.PeriodCount);
        Assert.Equal(-18.7195, fit.Effect.Estimate, 0.025 * 18.7195);
        Assert.InRange(fit.Effect.Estimate, -20.0, -18.0);
        // And 2000 against the R peer: 2.5% as above.
        Assert.Equal(ReferenceData.PeerGaps("california_ADH_spec")[2000], gap2000, 0.025 * 25.4346);
    }

    // ---------------------------------------------------------------- German reunification (ADH 2015)

    [Fact]
    public void GermanyCrossValidatedWeightsMatchPysyncon()
    {
        var fit = SyntheticControlEstimator.FitWithTrainedWeights(ReferenceData.Germany, ReferenceData.GermanyTraining(), ReferenceData.GermanyMain());

        // pysyncon test weights (full precision) vs ADH 2015 as quoted (2 dp): they differ by up to 0.008
        // (Netherlands 0.098 vs 0.09). The trained V depends on the outer search of the training fit, which is
        // non-convex. Tolerance 0.01: the published-vs-pysyncon spread plus rounding (pysyncon's own test uses 0.025).
        var expected = new Dictionary<string, double>
        {
            ["USA"] = 0.21624982, ["Austria"] = 0.414522077, ["Netherlands"] = 0.09841208, ["Switzerland"] = 0.107654851, ["Japan"] = 0.163161172,
        };
        foreach (var (donor, weight) in expected) Assert.Equal(weight, fit.WeightOf(donor), 0.01);
        var rest = fit.Weights.Where(w => !expected.ContainsKey(w.Unit)).Sum(w => w.Weight);
        Assert.True(rest < 0.01, $"other donors carry {rest}");

        // ATT 1990-2003 = -1555.13, se 317.65 (pysyncon). Our weights are within 0.006 of pysyncon's; the ATT moves
        // by about 7 (0.45%). Tolerance 1% (pysyncon's own test allows 2.5%).
        var att = fit.EffectOver(1990, 2003);
        Assert.Equal(14, att.PeriodCount);
        Assert.Equal(-1555.13, att.Estimate, 0.01 * 1555.13);
        Assert.Equal(317.65, att.GapStandardError, 0.01 * 317.65);
    }

    // ---------------------------------------------------------------- Texas prisons (Mixtape / pysyncon)

    [Fact]
    public void TexasFindsABetterOptimumThanThePublishedWeights()
    {
        // NOT REPRODUCED: pysyncon's test (BFGS, ols start) gives California 0.408, Florida 0.111, Illinois 0.360,
        // Louisiana 0.122 and ATT 1993-2000 = 20339.38. Their weights attain a loss (MSPE 1985-93) of 1.676e6; our
        // search finds Florida ≈ 0.375, Illinois ≈ 0.261, New York ≈ 0.364 with loss ≈ 7.04e5, 2.4 times lower, and
        // ATT ≈ 20901 (+2.8%). The published figure is a local optimum of the same nested problem. We assert
        // what is checkable: (1) the published ATT follows from the published weights on this data (so the data and
        // the ATT window are right and the difference is entirely the weights), (2) our loss is below theirs.
        var panel = ReferenceData.Texas;
        var published = new Dictionary<string, double>
        {
            ["California"] = 0.407651414, ["Florida"] = 0.110543548, ["Illinois"] = 0.36027434, ["Louisiana"] = 0.121530698,
        };
        var publishedAtt = ReferenceData.Range(1993, 2000)
            .Average(y => panel.Outcome("Texas", y) - published.Sum(kv => kv.Value * panel.Outcome(kv.Key, y)));
        // The test file's weights (rounded to 9 dp) give 20338.00: the ATT constant in that file was evidently
        // recorded from a run whose weights differ in the 5th-6th decimal (its weight tolerance is 0.025); a 1e-5
        // shift between donors whose outcomes differ by ~1e5 moves the ATT by ~1. Tolerance 5 (2.5e-4 relative).
        Assert.Equal(20339.38, publishedAtt, 5.0);
        var publishedLoss = ReferenceData.LossAt(panel, "Texas", published, ReferenceData.Range(1985, 1993));

        var fit = SyntheticControlEstimator.Fit(panel, ReferenceData.TexasSpecification());
        Assert.True(fit.LossMspe < publishedLoss, $"our loss {fit.LossMspe} is not below the published weights' {publishedLoss}");
        Assert.Equal(50, fit.Weights.Count);
        Assert.Equal(8, fit.EffectOver(1993, 2000).PeriodCount);
    }

    // ---------------------------------------------------------------- GeoLift walkthrough (fixed effects, 2 treated)

    [Fact]
    public void GeoLiftWalkthroughWeightsAndEffectAreReproduced()
    {
        // GeoLift(Y ~ D, locations = chicago, portland, treatment 91-105, model = "none", fixed_effects = TRUE):
        // augsynth's plain SCM on the pre-period outcome path, with each unit demeaned by its pre-period mean and
        // the two treated locations averaged — our OutcomeCentering.UnitPreTreatmentMean without predictors.
        var fit = SyntheticControlEstimator.Fit(ReferenceData.GeoLiftTest(), new SyntheticControlSpecification
        {
            TreatedUnits = ["chicago", "portland"],
            TreatmentStart = 91,
            OutcomeCentering = OutcomeCentering.UnitPreTreatmentMean,
        });

        // GetWeights (8 dp): tolerance 1e-5, for augsynth's QP solver tolerance (its weights sum to 1 within ~1e-6).
        var getWeights = new Dictionary<string, double>
        {
            ["cincinnati"] = 0.22717797, ["miami"] = 0.20276981, ["baton rouge"] = 0.13353743,
            ["minneapolis"] = 0.08997973, ["dallas"] = 0.07392298, ["nashville"] = 0.06853184,
        };
        foreach (var (donor, weight) in getWeights) Assert.Equal(weight, fit.WeightOf(donor), 1e-5);
        // The walkthrough table (4 dp): tolerance 1e-4 (rounding 5e-5 plus solver).
        var table = new Dictionary<string, double>
        {
            ["honolulu"] = 0.0673, ["austin"] = 0.0465, ["san diego"] = 0.0451, ["reno"] = 0.0306,
            ["san antonio"] = 0.0054, ["new york"] = 0.0046, ["houston"] = 0.0046,
        };
        foreach (var (donor, weight) in table) Assert.Equal(weight, fit.WeightOf(donor), 1e-4);
        Assert.Equal(13, fit.Weights.Count(w => w.Weight > 1e-4));

        // Average ATT 155.556 (3 dp): tolerance 1e-2. Incremental 4667 = ATT × 2 locations × 15 days (integer): 1.
        // Percent lift 5.4% (rounded to 0.1%). L2 imbalance 909.489 = sqrt(Σ pre gap²) (3 dp): 1e-2.
        Assert.Equal(155.556, fit.Effect.Estimate, 1e-2);
        Assert.Equal(15, fit.Effect.PeriodCount);
        Assert.Equal(4667, 2 * fit.Effect.Cumulative, 1.0);
        Assert.InRange(fit.Effect.RelativeEffect, 0.0535, 0.0545);
        Assert.Equal(909.489, Math.Sqrt(fit.LossMspe * 90), 1e-2);
    }
}
