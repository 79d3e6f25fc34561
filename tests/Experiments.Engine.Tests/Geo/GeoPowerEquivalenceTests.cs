using Experiments.Engine.Geo;
using Experiments.Engine.SyntheticControl;
using Experiments.Engine.Tests.SyntheticControl;
using Xunit.Abstractions;

namespace Experiments.Engine.Tests.Geo;

/// <summary>
/// The power analysis's fast path (Gram matrices, dense warm-started QPs, J × J ridge algebra) against GeoExperiment on
/// GeoLift_PreTest windows: the power figures are only as good as this agreement.
/// </summary>
public class GeoPowerEquivalenceTests(ITestOutputHelper output)
{
    private static readonly Panel PreTest = ReferenceData.GeoLiftPreTest();

    /// <summary>The history up to <paramref name="end"/> (a position) with the treated markets multiplied by 1 + e from <paramref name="start"/>.</summary>
    internal static Panel Injected(Panel panel, IReadOnlyCollection<string> treated, int start, int end, double effect) =>
        Panel.FromRows(panel.Units.SelectMany(u => Enumerable.Range(0, end).Select(t =>
            new PanelRow(u, panel.Periods[t], panel.Outcome(u, panel.Periods[t]) * (treated.Contains(u) && t >= start ? 1 + effect : 1)))), panel.OutcomeName);

    internal static GeoPowerCandidate Candidate(Panel panel, params string[] names)
    {
        var sorted = names.Order(StringComparer.Ordinal).ToArray();
        return new GeoPowerCandidate(sorted, sorted.Select(n => panel.UnitIndex(n, "x")).ToArray(),
            Enumerable.Range(0, panel.Units.Count).Where(u => !names.Contains(panel.Units[u])).ToArray());
    }

    /// <summary>
    /// One simulated window against GeoExperiment on the same data (the history cut at the window's end, the effect
    /// injected): the same weights, ATT, L2 and scaled L2 imbalance to rounding, and the same p-value given the same
    /// permutations (GeoExperiment's, mapped to the periods each sends to the window).
    /// </summary>
    [Theory]
    [InlineData(GeoModel.SyntheticControl, true, 75, 90, 0.0, "chicago", "portland")]
    [InlineData(GeoModel.SyntheticControl, true, 75, 90, 0.1, "chicago", "portland")]
    [InlineData(GeoModel.SyntheticControl, true, 70, 80, -0.05, "cleveland", "oakland", "oklahoma city")]
    [InlineData(GeoModel.SyntheticControl, false, 60, 75, 0.05, "austin", "miami", "reno")]
    [InlineData(GeoModel.Augmented, true, 75, 90, 0.05, "chicago", "portland")]
    public void MatchesGeoExperimentOnOneWindow(GeoModel model, bool fixedEffects, int start, int end, double effect, params string[] treated)
    {
        var history = new GeoPowerHistory(PreTest, fixedEffects, [start, end]);
        var simulator = new GeoPowerSimulator(history, fixedEffects, model, 1000, 0.1);
        var candidate = Candidate(PreTest, treated);
        var ws = new GeoPowerWorkspace(PreTest.Periods.Count);
        var panel = Injected(PreTest, treated, start, end, effect);
        var spec = new GeoExperimentSpecification
        {
            TreatedUnits = treated, TreatmentStart = PreTest.Periods[start], Model = model, FixedEffects = fixedEffects, PointwiseIntervals = false,
            Conformal = new ConformalOptions(ConformalPermutation.Iid), // the same random permutations as below
        };
        var reference = GeoExperiment.Analyze(panel, spec);
        candidate.Lambda = reference.RidgeLambda;

        var weights = simulator.PreFitWeights(candidate, start, end, ws, out var fit);
        var referenceWeights = reference.Weights.Select(w => w.Weight).ToArray();
        double maxDiff = weights.Zip(referenceWeights, (a, b) => Math.Abs(a - b)).Max();
        int d = end - start;
        double att = (fit.GapAtZero + effect * fit.TreatedWindowSum) / d;
        output.WriteLine($"weights max diff {maxDiff:E2}; ATT {att:F6} vs {reference.Effect.Estimate:F6}; L2 {Math.Sqrt(fit.L2Squared):F6} vs {reference.L2Imbalance:F6}; scaled {Math.Sqrt(fit.L2Squared / fit.UniformL2Squared):F6} vs {reference.ScaledL2Imbalance:F6}");
        Assert.True(maxDiff < 1e-7, $"weights differ by {maxDiff}");
        Assert.Equal(reference.Effect.Estimate, att, 1e-7 * Math.Max(1, Math.Abs(att)));
        Assert.Equal(reference.L2Imbalance, Math.Sqrt(fit.L2Squared), 1e-6 * reference.L2Imbalance);
        Assert.Equal(reference.ScaledL2Imbalance, Math.Sqrt(fit.L2Squared / fit.UniformL2Squared), 1e-8);

        // The same permutations as GeoExperiment's: each draw's images of the window positions.
        var permutations = ConformalInference.RandomPermutations(end, 1000, new ConformalOptions().Seed);
        var selections = permutations.Skip(1).SelectMany(p => p[start..end]).ToArray();
        double p = simulator.PValue(candidate, start, end, effect, 0, ConformalStatistic.AbsoluteSum, selections, ws);
        output.WriteLine($"p {p:F4} vs {reference.Effect.PValue:F4}");
        Assert.Equal(reference.Effect.PValue, p, 1e-12);
        double sharp = simulator.PValue(candidate, start, end, effect, 0, ConformalStatistic.SumOfAbsoluteResiduals, selections, ws);
        Assert.Equal(reference.Effect.SharpNullPValue, sharp, 1e-12);
    }

    /// <summary>
    /// The interval GeoExperiment reports for the ATT (the |Σû| test inverted from the estimate) comes out the same from
    /// the fast path given the same permutations: both bisect to 1e-4 of the scale, so the ends agree far closer than that.
    /// </summary>
    [Theory]
    [InlineData(GeoModel.SyntheticControl, 75, 90, "chicago", "portland")]
    [InlineData(GeoModel.SyntheticControl, 60, 70, "austin", "baton rouge", "los angeles")]
    [InlineData(GeoModel.Augmented, 75, 90, "chicago", "portland")]
    public void IntervalMatchesGeoExperiment(GeoModel model, int start, int end, params string[] treated)
    {
        var history = new GeoPowerHistory(PreTest, true, [start, end]);
        var simulator = new GeoPowerSimulator(history, true, model, 1000, 0.1);
        var candidate = Candidate(PreTest, treated);
        var ws = new GeoPowerWorkspace(PreTest.Periods.Count);
        var reference = GeoExperiment.Analyze(Injected(PreTest, treated, start, end, 0), new GeoExperimentSpecification
        {
            TreatedUnits = treated, TreatmentStart = PreTest.Periods[start], Model = model, PointwiseIntervals = false,
            Conformal = new ConformalOptions(ConformalPermutation.Iid), // the same random permutations as below
        });
        candidate.Lambda = reference.RidgeLambda;
        var permutations = ConformalInference.RandomPermutations(end, 1000, new ConformalOptions().Seed);
        var selections = permutations.Skip(1).SelectMany(p => p[start..end]).ToArray();
        var (estimate, lower, upper) = simulator.Interval(candidate, start, end, selections, ws);
        output.WriteLine($"ATT {estimate:F4} [{lower:F4}, {upper:F4}] vs {reference.Effect.Estimate:F4} [{reference.Effect.Lower:F4}, {reference.Effect.Upper:F4}]");
        double tolerance = 1e-6 * (reference.Effect.Upper - reference.Effect.Lower);
        Assert.Equal(reference.Effect.Estimate, estimate, 1e-9 * Math.Max(1, Math.Abs(estimate)));
        Assert.Equal(reference.Effect.Lower, lower, tolerance);
        Assert.Equal(reference.Effect.Upper, upper, tolerance);
    }

    /// <summary>augsynth's cross-validated ridge penalty, computed in J × J form, is the one GeoExperiment chooses.</summary>
    [Theory]
    [InlineData(75, "chicago", "portland")]
    [InlineData(50, "austin", "baton rouge", "los angeles", "miami")]
    public void RidgePenaltyMatchesGeoExperiment(int cut, params string[] treated)
    {
        var history = new GeoPowerHistory(PreTest, true, [cut]);
        var simulator = new GeoPowerSimulator(history, true, GeoModel.Augmented, 1000, 0.1);
        var ws = new GeoPowerWorkspace(PreTest.Periods.Count);
        double lambda = simulator.ChooseLambda(Candidate(PreTest, treated), cut, ws);
        var reference = GeoExperiment.Analyze(PreTest, new GeoExperimentSpecification
        {
            TreatedUnits = treated, TreatmentStart = PreTest.Periods[cut], TreatmentEnd = PreTest.Periods[cut], Model = GeoModel.Augmented,
            PointwiseIntervals = false, Alpha = 0.5,
        });
        output.WriteLine($"λ {lambda:G10} vs {reference.RidgeLambda:G10}");
        Assert.Equal(reference.RidgeLambda!.Value, lambda, 1e-9 * lambda);
    }
}
