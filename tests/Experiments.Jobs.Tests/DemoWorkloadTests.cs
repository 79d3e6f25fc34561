using Experiments.Engine.AbTesting;
using Experiments.Engine.Geo;
using Experiments.Engine.SyntheticControl;
using Experiments.Jobs.ClickHouse;
using Experiments.Jobs.Demo;
using Xunit.Abstractions;

namespace Experiments.Jobs.Tests;

/// <summary>
/// The demo workload, generated into a real ClickHouse and analysed through the pushdown queries: the injected A/B
/// and geo lifts are recovered inside their intervals, the A/A test is not significant, and CUPED removes the share of
/// variance the generator's model implies.
/// </summary>
[Collection(ClickHouseCollection.Name)]
public sealed class DemoWorkloadTests(ClickHouseServer server, ITestOutputHelper output)
{
    private static readonly DemoScale Scale = DemoScale.Demo with { Users = 12_000 };

    [Fact]
    public async Task GeneratedWorkloadRecoversItsKnownEffects()
    {
        await using var db = await server.CreateDatabaseAsync("demo");
        var generator = new DemoDataGenerator(Scale);
        var truth = generator.Truth;
        var load = await DemoLoader.LoadAsync(new ExperimentEventLog(db.Client), generator);
        output.WriteLine($"loaded {load.Impressions:N0} impressions, {load.Conversions:N0} conversions, {load.Exposures:N0} exposures, {load.GeoSpendRows:N0} spend rows in {load.Elapsed.TotalSeconds:F1} s ({load.RowsPerSecond:N0} rows/s)");
        Assert.InRange(load.Impressions, 0.97 * Scale.ExpectedImpressions, 1.03 * Scale.ExpectedImpressions);
        Assert.Equal(2L * Scale.Users, load.Exposures, 0.01 * Scale.Users);

        var queries = new ExperimentStatisticsQueries(db.Client);
        var window = new AnalysisWindow(Scale.ExperimentStart.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), Scale.End.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
        var pre = new PrePeriod(Scale.Start, Scale.ExperimentStart);

        // A/B: revenue per user with CUPED on the same metric over the pre-period.
        var ab = await queries.CupedStatisticsAsync(truth.AbExperimentId, ExperimentMetric.ConversionValue, window, pre, ExperimentMetric.ConversionValue);
        var abResult = AbAnalysis.Analyze(ab.ToMeanVariants(), new AbAnalysisOptions { Control = "control", Cuped = true });
        var lift = abResult.Comparisons.Single().Relative!;
        var cuped = abResult.Comparisons.Single().Cuped!;
        output.WriteLine($"A/B relative lift {lift.Estimate:P2} [{lift.Lower:P2}, {lift.Upper:P2}] (truth {truth.AbLift:P0}); CUPED variance reduction {cuped.VarianceReduction:P1} (model {truth.ExpectedVarianceReduction:P1}); SRM p {abResult.Srm.PValue:F3}");
        Assert.InRange(truth.AbLift, lift.Lower, lift.Upper);
        Assert.False(abResult.Srm.Mismatch);
        // The model's ρ² assumes equal windows and no effect; the sampling error of an estimated ρ² with 12,000
        // users is about 2ρ(1 − ρ²)/√n ≈ 0.007, so ±0.05 leaves room for the model's approximations only.
        Assert.InRange(cuped.VarianceReduction, truth.ExpectedVarianceReduction - 0.05, truth.ExpectedVarianceReduction + 0.05);

        // Reading the post-exposure window from the user × day rollup gives the same sums here: in these logs a
        // user's exposure is their first impression of the period, so nothing of the exposure day precedes it.
        foreach (var metric in new[] { ExperimentMetric.ConversionValue, ExperimentMetric.Clicks, ExperimentMetric.Converted, ExperimentMetric.Clicked })
        {
            var exact = (await queries.CupedStatisticsAsync(truth.AbExperimentId, metric, window, pre, metric)).Variants;
            var daily = await queries.CupedStatisticsAsync(truth.AbExperimentId, metric, window, pre, metric, PostExposureGranularity.Day);
            // Equal up to the order in which ClickHouse's threads add the doubles.
            Assert.Equal(exact.Select(v => (v.Variant, v.Count)), daily.Variants.Select(v => (v.Variant, v.Count)));
            foreach (var (e, d) in exact.Zip(daily.Variants))
                foreach (var (a, b) in new[] { (e.SumY, d.SumY), (e.SumY2, d.SumY2), (e.SumX, d.SumX), (e.SumXY, d.SumXY), (e.SumM, d.SumM) })
                    Assert.True(Math.Abs(a - b) <= 1e-9 * Math.Max(1, Math.Abs(a)), $"{metric} {e.Variant}: {a} vs {b}");
            output.WriteLine($"{metric}: raw path vs rollup path rows read {(await queries.CupedStatisticsAsync(truth.AbExperimentId, metric, window, pre, metric)).Cost.RowsRead:N0} vs {daily.Cost.RowsRead:N0}");
        }

        // Ratio metrics too: both sums from the rollup equal both sums from raw events.
        foreach (var (numerator, denominator) in new[] { (ExperimentMetric.Clicks, ExperimentMetric.Impressions), (ExperimentMetric.ConversionValue, ExperimentMetric.Conversions) })
        {
            var exact = await queries.RatioStatisticsAsync(truth.AbExperimentId, numerator, denominator, window);
            var daily = await queries.RatioStatisticsAsync(truth.AbExperimentId, numerator, denominator, window, PostExposureGranularity.Day);
            output.WriteLine($"{numerator}/{denominator}: raw path {exact.Cost.RowsRead:N0} rows, rollup path {daily.Cost.RowsRead:N0} rows");
            Assert.Equal(exact.Variants.Select(v => (v.Name, v.Statistics.Count)), daily.Variants.Select(v => (v.Name, v.Statistics.Count)));
            foreach (var (e, d) in exact.Variants.Zip(daily.Variants))
                foreach (var (x, y) in new[] { (e.Statistics.SumNumerator, d.Statistics.SumNumerator), (e.Statistics.SumNumerator2, d.Statistics.SumNumerator2),
                    (e.Statistics.SumDenominator, d.Statistics.SumDenominator), (e.Statistics.SumDenominator2, d.Statistics.SumDenominator2),
                    (e.Statistics.SumNumeratorDenominator, d.Statistics.SumNumeratorDenominator) })
                    Assert.True(Math.Abs(x - y) <= 1e-9 * Math.Max(1, Math.Abs(x)), $"{numerator}/{denominator} {e.Name}: {x} vs {y}");
            // Over impressions the rollup reads far fewer rows; over conversions alone (2% of impressions) the raw
            // table can be the smaller read, as for mean metrics.
            if (denominator == ExperimentMetric.Impressions)
                Assert.True(daily.Cost.RowsRead < exact.Cost.RowsRead);
        }

        // The daily cumulative looks from the rollup equal the exact ones from raw events (same reason), for an amount
        // and for a 0/1 indicator.
        foreach (var metric in new[] { ExperimentMetric.ConversionValue, ExperimentMetric.Converted })
        {
            var exactLooks = await queries.DailyCumulativeStatisticsAsync(truth.AbExperimentId, metric, window, pre);
            var rollupLooks = await queries.DailyCumulativeFromRollupAsync(truth.AbExperimentId, metric, window);
            output.WriteLine($"daily looks: raw path {exactLooks.Cost.RowsRead:N0} rows, rollup path {rollupLooks.Cost.RowsRead:N0} rows");
            Assert.Equal(exactLooks.Looks.Select(l => l.Day), rollupLooks.Looks.Select(l => l.Day));
            foreach (var (e, r) in exactLooks.Looks.Zip(rollupLooks.Looks))
                foreach (var (ev, rv) in e.ToMeanVariants().Zip(r.Variants))
                {
                    Assert.Equal(ev.Name, rv.Name);
                    Assert.Equal(ev.Statistics.Count, rv.Statistics.Count);
                    Assert.True(Math.Abs(ev.Statistics.SumY - rv.Statistics.SumY) <= 1e-9 * Math.Max(1, Math.Abs(ev.Statistics.SumY)), $"{e.Day} Σy");
                    Assert.True(Math.Abs(ev.Statistics.SumY2 - rv.Statistics.SumY2) <= 1e-9 * Math.Max(1, Math.Abs(ev.Statistics.SumY2)), $"{e.Day} Σy²");
                    if (metric == ExperimentMetric.Converted)
                        Assert.Equal(rv.Statistics.SumY, rv.Statistics.SumY2);
                }
        }

        // A/A: no difference.
        var aa = await queries.CupedStatisticsAsync(truth.AaExperimentId, ExperimentMetric.ConversionValue, window, pre, ExperimentMetric.ConversionValue);
        var aaResult = AbAnalysis.Analyze(aa.ToMeanVariants(), new AbAnalysisOptions { Control = "a", Cuped = true });
        output.WriteLine($"A/A p-value {aaResult.Comparisons.Single().Absolute.PValue:F3}");
        Assert.True(aaResult.Comparisons.Single().Absolute.PValue > 0.05);

        // Geo: conversions per market and day, the treated markets against a synthetic control.
        var panel = await queries.GeoDayPanelAsync(ExperimentMetric.Conversions, Scale.Start, Scale.End.AddDays(-1));
        var geo = GeoExperiment.Analyze(Panel.FromRows(panel.ToPanelRows(), "conversions", ["spend"]), new GeoExperimentSpecification
        {
            TreatedUnits = truth.TreatedGeos,
            TreatmentStart = Scale.PreDays + 1, // panel periods are days counted from its first day, 1-based
            PointwiseIntervals = false,
        });
        output.WriteLine($"geo lift {geo.LiftPercent!.Estimate:F1}% [{geo.LiftPercent.Lower:F1}, {geo.LiftPercent.Upper:F1}] (truth {100 * truth.GeoLift:F0}%), p {geo.Effect.PValue:F3}, sharp-null p {geo.Effect.SharpNullPValue:F3}");
        Assert.InRange(100 * truth.GeoLift, geo.LiftPercent.Lower, geo.LiftPercent.Upper);
        Assert.True(geo.Effect.PValue <= 0.1);
    }

    [Fact]
    public async Task TheSameSeedGivesTheSameRows()
    {
        var small = Scale with { Users = 300, PreDays = 3, ExperimentDays = 3 };
        var first = await new DemoDataGenerator(small).Impressions().ToListAsync();
        var second = await new DemoDataGenerator(small).Impressions().ToListAsync();
        Assert.Equal(first, second);
        var other = await new DemoDataGenerator(small with { Seed = 1 }).Impressions().ToListAsync();
        Assert.NotEqual(first, other);
    }
}
