using Experiments.Engine.AbTesting;

namespace Experiments.Engine.Tests;

/// <summary>Known effects injected into simulated data are recovered.</summary>
public class RecoveryTests
{
    [Fact]
    public void InjectedRevenueLiftIsInsideTheIntervalAndSignificant()
    {
        var rng = new Random(1);
        var result = AbAnalysis.Analyze(
            [new MeanVariant("control", Simulation.Revenue(rng, 40_000)), new MeanVariant("treatment", Simulation.Revenue(rng, 40_000, lift: 1.05))],
            new AbAnalysisOptions());
        var relative = result.Comparisons[0].Relative!;
        Assert.InRange(0.05, relative.Lower, relative.Upper);
        Assert.True(relative.PValue < 1e-6, $"p = {relative.PValue}");
        // The estimate is within 3 standard errors of the truth (it is a mean of 80,000 draws).
        Assert.InRange(relative.Estimate, 0.05 - 3 * relative.StdError, 0.05 + 3 * relative.StdError);
    }

    [Fact]
    public void InjectedEffectIsRecoveredByEachTreatmentOfAnAbnTest()
    {
        var rng = new Random(2);
        var result = AbAnalysis.Analyze(
            [new MeanVariant("control", Simulation.WithCovariate(rng, 20_000, 0.6)),
             new MeanVariant("small", Simulation.WithCovariate(rng, 20_000, 0.6, effect: 0.2)),
             new MeanVariant("large", Simulation.WithCovariate(rng, 20_000, 0.6, effect: 0.6))],
            new AbAnalysisOptions { Cuped = true });
        var small = result.Comparisons.Single(c => c.Variant == "small").Absolute;
        var large = result.Comparisons.Single(c => c.Variant == "large").Absolute;
        Assert.InRange(0.2, small.Lower, small.Upper);
        Assert.InRange(0.6, large.Lower, large.Upper);
    }

    /// <summary>
    /// With one covariate of correlation ρ the CUPED variance is (1 − ρ²) of the plain variance
    /// (Deng et al. 2013, eq. 4). With 100,000 units per arm the sampling error of the estimated
    /// ρ² is about 2ρ(1 − ρ²)/√n ≈ 0.003, so ±0.015 is five standard errors.
    /// </summary>
    [Theory]
    [InlineData(0.3)]
    [InlineData(0.6)]
    [InlineData(0.9)]
    public void CupedReducesVarianceByRhoSquared(double rho)
    {
        var rng = new Random((int)(rho * 1000));
        var result = AbAnalysis.Analyze(
            [new MeanVariant("control", Simulation.WithCovariate(rng, 100_000, rho)), new MeanVariant("treatment", Simulation.WithCovariate(rng, 100_000, rho, 0.1))],
            new AbAnalysisOptions { Cuped = true });
        var cuped = result.Comparisons[0].Cuped!;
        Assert.InRange(cuped.VarianceReduction, rho * rho - 0.015, rho * rho + 0.015);
        Assert.Equal(cuped.VarianceReduction, cuped.SampleSizeSaving);
        Assert.Equal(200_000 / (1 - cuped.VarianceReduction), cuped.EquivalentSampleSize, 6);
        // θ recovers β = ρ·sd(y)/sd(x) = ρ·5/3.
        Assert.InRange(result.Cuped!.Theta[0], rho * 5 / 3 - 0.02, rho * 5 / 3 + 0.02);
    }

    [Fact]
    public void MissingCovariatesForNewUsersKeepTheEstimateUnbiased()
    {
        // 30% of users are new (no pre-period value) and new users spend less. Zero-filling
        // without an indicator would still be unbiased under randomisation but lose power; with
        // the indicator θ stays right and the effect is recovered.
        var rng = new Random(3);
        var names = new[] { "control", "treatment" };
        var raw = new List<double?[][]>();
        var ys = new List<double[]>();
        foreach (var effect in new[] { 0.0, 0.5 })
        {
            int n = 30_000;
            var x = new double?[n];
            var y = new double[n];
            var normal = new MathNet.Numerics.Distributions.Normal(0, 1, rng);
            for (int i = 0; i < n; i++)
            {
                bool isNew = rng.NextDouble() < 0.3;
                double pre = 10 + 3 * normal.Sample();
                y[i] = (isNew ? 12 : 20 + 0.9 * (pre - 10)) + 3 * normal.Sample() + effect;
                x[i] = isNew ? null : pre;
            }
            raw.Add([x]);
            ys.Add(y);
        }
        var expanded = MissingCovariates.Expand(["preRevenue"], raw, names);
        Assert.Equal(["preRevenue", "preRevenue (missing)"], expanded.Names);
        var result = AbAnalysis.Analyze(
            names.Select((name, v) => new MeanVariant(name, SufficientStatistics.FromValues(ys[v], expanded.Columns[v]))).ToList(),
            new AbAnalysisOptions { Cuped = true });
        var absolute = result.Comparisons[0].Absolute;
        Assert.InRange(0.5, absolute.Lower, absolute.Upper);
        Assert.InRange(result.Cuped!.Theta[0], 0.85, 0.95);
        Assert.True(result.Comparisons[0].Cuped!.VarianceReduction > 0.5);
    }
}
