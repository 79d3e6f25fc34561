using Experiments.Engine.AbTesting;
using Experiments.Jobs.ClickHouse;
using Xunit.Abstractions;

namespace Experiments.Jobs.Tests;

/// <summary>
/// The incremental refresh (<see cref="ExperimentAggregates"/>) gives the engine the inputs the full day-granularity
/// queries give on the same logs, to 1e-9: after daily refreshes, after late rows for a day already folded, after a
/// rebuild, and over <c>Distributed</c> tables; and a nightly refresh reads far fewer rows than the full query.
/// </summary>
[Collection(ClickHouseCollection.Name)]
public sealed class IncrementalRefreshTests(ClickHouseServer server, ITestOutputHelper output)
{
    private static readonly DateOnly FirstDay = new(2024, 3, 10);
    private static readonly DateOnly LastDay = new(2024, 3, 16);
    private static readonly DateOnly LateDay = new(2024, 3, 12);
    private static readonly DateOnly LateArrival = new(2024, 3, 14);
    private static readonly DateOnly LatePrePeriod = new(2024, 3, 15);

    [Fact]
    public async Task Daily_refreshes_a_late_day_and_a_rebuild_give_the_full_query_inputs()
    {
        var logs = new SyntheticLogs(users: 1500, seed: 11);
        await using var db = await server.CreateDatabaseAsync("refresh");
        var log = new ExperimentEventLog(db.Client);
        var scope = new AggregatesScope(SyntheticLogs.Experiment, FirstDay, logs.PrePeriod);
        var aggregates = new ExperimentAggregates(db.Client);
        var queries = new ExperimentStatisticsQueries(db.Client);

        // Everything before the first day but a seventh of the pre-period's events, which arrive on 03-15; then one day
        // at a time; a fifth of 03-12's events arrive on 03-14.
        await InsertAsync(log, logs, DateTime.MinValue, At(FirstDay), i => i % 7 != 0);
        for (var day = FirstDay; day <= LastDay; day = day.AddDays(1))
        {
            await InsertAsync(log, logs, At(day), At(day.AddDays(1)), i => day != LateDay || i % 5 != 0);
            if (day == LateArrival)
                await InsertAsync(log, logs, At(LateDay), At(LateDay.AddDays(1)), i => i % 5 == 0, exposures: false);

            if (day == LatePrePeriod)
                await InsertAsync(log, logs, DateTime.MinValue, At(FirstDay), i => i % 7 == 0, exposures: false);

            var refresh = await aggregates.RefreshAsync(scope, day);
            // Late rows re-fold their day and the days after it; a late pre-period row re-folds everything.
            var expected = day == LateArrival ? Days(LateDay, LateArrival) : day == LatePrePeriod ? Days(FirstDay, LatePrePeriod) : [day];
            Assert.Equal(expected, refresh.FoldedDays);
            await AssertSameInputsAsync(queries, aggregates, refresh, scope, day);
        }

        // Nothing new: nothing folded, and only the change check read.
        var idle = await aggregates.RefreshAsync(scope, LastDay);
        Assert.Empty(idle.FoldedDays);
        await AssertSameInputsAsync(queries, aggregates, idle, scope, LastDay);

        // A rebuild folds every day again and gives the same inputs; an earlier window reads its own snapshot.
        var rebuilt = await aggregates.RefreshAsync(scope, LastDay, rebuild: true);
        Assert.Equal(Days(FirstDay, LastDay), rebuilt.FoldedDays);
        await AssertSameInputsAsync(queries, aggregates, rebuilt, scope, LastDay);
        await AssertSameInputsAsync(queries, aggregates, rebuilt, scope, LateDay);
    }

    [Fact]
    public async Task Refreshes_over_distributed_tables_give_the_single_node_full_query_inputs()
    {
        var logs = new SyntheticLogs(users: 1500, seed: 7);
        await using var single = await server.CreateDatabaseAsync("refresh_single");
        await logs.InsertAsync(new ExperimentEventLog(single.Client), batches: 2);
        await using var distributed = await DistributedTests.CreateTwoShardsAsync(server, logs, "refresh_dist");
        try
        {
            // The logs are Distributed; the aggregates live next to them on the node that runs the analysis.
            foreach (var statement in ExperimentSchema.AggregateTables)
                await distributed.Client.ExecuteAsync(statement);

        var scope = new AggregatesScope(SyntheticLogs.Experiment, FirstDay, logs.PrePeriod);
        var aggregates = new ExperimentAggregates(distributed.Client);
        var queries = new ExperimentStatisticsQueries(single.Client);
        var first = await aggregates.RefreshAsync(scope, LateDay);
        Assert.Equal(Days(FirstDay, LateDay), first.FoldedDays);
        // The shards' reads count at the node that ran the refresh: at least the logs' rows of the folded days.
        var local = await new ExperimentAggregates(single.Client).RefreshAsync(scope, LateDay);
        output.WriteLine($"refresh through {LateDay}: {first.Cost.RowsRead:N0} rows read over two shards, {local.Cost.RowsRead:N0} on one node");
        Assert.True(first.Cost.RowsRead >= local.Cost.RowsRead / 2, $"over two shards {first.Cost.RowsRead:N0} rows, on one node {local.Cost.RowsRead:N0}");
        await AssertSameInputsAsync(queries, aggregates, first, scope, LateDay);
        var second = await aggregates.RefreshAsync(scope, LastDay);
        Assert.Equal(Days(LateDay.AddDays(1), LastDay), second.FoldedDays);
        await AssertSameInputsAsync(queries, aggregates, second, scope, LastDay);
        }
        finally
        {
            await DistributedTests.DropShardsAsync(distributed);
        }
    }

    [Fact]
    public async Task The_second_days_refresh_reads_far_fewer_rows_than_the_full_query()
    {
        // 20,000 users assigned on the first day (a user-level holdout), active on about half the days; a 14-day pre-period.
        const int users = 20_000;
        var rng = new Random(5);
        var pre = new PrePeriod(FirstDay.AddDays(-14), FirstDay);
        var impressions = new List<Impression>();
        var conversions = new List<Conversion>();
        var exposures = new List<Exposure>();
        for (int u = 0; u < users; u++)
        {
            ulong user = 10_000 + (ulong)u;
            exposures.Add(new Exposure("exp-holdout", user, u % 2 == 0 ? "control" : "treatment", At(FirstDay).AddSeconds(rng.Next(86_400))));
            for (var d = pre.Start; d < FirstDay.AddDays(10); d = d.AddDays(1))
                if (rng.NextDouble() < 0.5)
                {
                    impressions.Add(new Impression(At(d).AddSeconds(rng.Next(86_400)), user, "de", "c1", "exp-holdout", "n/a", rng.NextDouble(), (byte)rng.Next(2)));
                    if (rng.NextDouble() < 0.1)
                        conversions.Add(new Conversion(At(d).AddSeconds(rng.Next(86_400)), user, "de", rng.NextDouble() * 40));
                }
        }
        await using var db = await server.CreateDatabaseAsync("refresh_cost");
        var log = new ExperimentEventLog(db.Client);
        await log.InsertExposuresAsync(ClickHouseClientTests.Rows(exposures));
        await log.InsertImpressionsAsync(ClickHouseClientTests.Rows(impressions.Where(e => e.EventTime < At(FirstDay.AddDays(1)))));
        await log.InsertConversionsAsync(ClickHouseClientTests.Rows(conversions.Where(e => e.EventTime < At(FirstDay.AddDays(1)))));

        var scope = new AggregatesScope("exp-holdout", FirstDay, pre);
        var aggregates = new ExperimentAggregates(db.Client);
        var queries = new ExperimentStatisticsQueries(db.Client);
        var firstDay = await aggregates.RefreshAsync(scope, FirstDay);
        var day = FirstDay.AddDays(1);
        await log.InsertImpressionsAsync(ClickHouseClientTests.Rows(impressions.Where(e => e.EventTime >= At(day) && e.EventTime < At(day.AddDays(1)))));
        await log.InsertConversionsAsync(ClickHouseClientTests.Rows(conversions.Where(e => e.EventTime >= At(day) && e.EventTime < At(day.AddDays(1)))));

        var refresh = await aggregates.RefreshAsync(scope, day);
        var window = new AnalysisWindow(At(FirstDay), At(day.AddDays(1)));
        var full = await queries.CupedStatisticsAsync(scope.ExperimentId, ExperimentMetric.Cost, window, pre, ExperimentMetric.Cost, PostExposureGranularity.Day);
        var fromAggregates = await aggregates.CupedStatisticsAsync(refresh, scope.ExperimentId, ExperimentMetric.Cost, ExperimentMetric.Cost, day);
        AssertSameSums(full.Variants, fromAggregates.Variants);
        output.WriteLine($"first day's refresh {firstDay.Cost.RowsRead:N0} rows; second day's refresh {refresh.Cost.RowsRead:N0} rows, "
            + $"then {fromAggregates.Cost.RowsRead:N0} per metric read; full query {full.Cost.RowsRead:N0} rows");
        Assert.Equal([day], refresh.FoldedDays);
        // The refresh reads about four rows per unit (exposures twice, the previous snapshot, the new one for the looks)
        // plus the new day's rollup; the full query reads the exposures three times, the pre-period and every day so far.
        Assert.True(refresh.Cost.RowsRead * 2.5 < full.Cost.RowsRead,
            $"the refresh read {refresh.Cost.RowsRead:N0} rows, the full query {full.Cost.RowsRead:N0}");
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static DateTime At(DateOnly day) => day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    private static List<DateOnly> Days(DateOnly from, DateOnly to)
    {
        var days = new List<DateOnly>();
        for (var day = from; day <= to; day = day.AddDays(1))
            days.Add(day);
        return days;
    }

    /// <summary>Inserts the events in [from, to) whose index within that slice passes <paramref name="keep"/>, and the exposures in it.</summary>
    private static async Task InsertAsync(ExperimentEventLog log, SyntheticLogs logs, DateTime from, DateTime to, Func<int, bool> keep, bool exposures = true)
    {
        await log.InsertImpressionsAsync(ClickHouseClientTests.Rows(logs.Impressions.Where(e => e.EventTime >= from && e.EventTime < to).Where((_, i) => keep(i))));
        await log.InsertConversionsAsync(ClickHouseClientTests.Rows(logs.Conversions.Where(e => e.EventTime >= from && e.EventTime < to).Where((_, i) => keep(i))));
        if (exposures)
            await log.InsertExposuresAsync(ClickHouseClientTests.Rows(logs.Exposures.Where(e => e.FirstExposureTime >= from && e.FirstExposureTime < to)));
    }

    /// <summary>Every metric's CUPED sums, a ratio and the daily looks: from the aggregates and from the full queries.</summary>
    private static async Task AssertSameInputsAsync(ExperimentStatisticsQueries queries, ExperimentAggregates aggregates, AggregatesRefresh refresh,
        AggregatesScope scope, DateOnly lastDay)
    {
        var window = new AnalysisWindow(At(scope.FirstDay), At(lastDay.AddDays(1)));
        foreach (var metric in Enum.GetValues<ExperimentMetric>())
        {
            var full = await queries.CupedStatisticsAsync(scope.ExperimentId, metric, window, scope.PrePeriod, metric, PostExposureGranularity.Day);
            var folded = await aggregates.CupedStatisticsAsync(refresh, scope.ExperimentId, metric, metric, lastDay);
            Assert.NotEmpty(full.Variants);
            AssertSameSums(full.Variants, folded.Variants);
        }
        var cupedOther = await queries.CupedStatisticsAsync(scope.ExperimentId, ExperimentMetric.ConversionValue, window, scope.PrePeriod, ExperimentMetric.Impressions, PostExposureGranularity.Day);
        AssertSameSums(cupedOther.Variants, (await aggregates.CupedStatisticsAsync(refresh, scope.ExperimentId, ExperimentMetric.ConversionValue, ExperimentMetric.Impressions, lastDay)).Variants);

        var ratio = await queries.RatioStatisticsAsync(scope.ExperimentId, ExperimentMetric.ConversionValue, ExperimentMetric.Impressions, window, PostExposureGranularity.Day);
        var ratioFolded = await aggregates.RatioStatisticsAsync(refresh, scope.ExperimentId, ExperimentMetric.ConversionValue, ExperimentMetric.Impressions, lastDay);
        Assert.Equal(ratio.Variants.Select(v => v.Name), ratioFolded.Variants.Select(v => v.Name));
        foreach (var (a, b) in ratio.Variants.Zip(ratioFolded.Variants))
        {
            Assert.Equal(a.Statistics.Count, b.Statistics.Count);
            Close(a.Statistics.SumNumerator, b.Statistics.SumNumerator);
            Close(a.Statistics.SumNumerator2, b.Statistics.SumNumerator2);
            Close(a.Statistics.SumDenominator, b.Statistics.SumDenominator);
            Close(a.Statistics.SumDenominator2, b.Statistics.SumDenominator2);
            Close(a.Statistics.SumNumeratorDenominator, b.Statistics.SumNumeratorDenominator);
        }

        foreach (var metric in new[] { ExperimentMetric.Cost, ExperimentMetric.Converted })
        {
            var daily = await queries.DailyCumulativeFromRollupAsync(scope.ExperimentId, metric, window);
            var dailyFolded = await aggregates.DailyLooksAsync(refresh, scope, metric, lastDay);
            Assert.Equal(daily.Looks.Select(l => l.Day), dailyFolded.Looks.Select(l => l.Day));
            foreach (var (a, b) in daily.Looks.Zip(dailyFolded.Looks))
            {
                Assert.Equal(a.Variants.Select(v => v.Name), b.Variants.Select(v => v.Name));
                foreach (var (x, y) in a.Variants.Zip(b.Variants))
                {
                    Assert.Equal(x.Statistics.Count, y.Statistics.Count);
                    Close(x.Statistics.SumY, y.Statistics.SumY);
                    Close(x.Statistics.SumY2, y.Statistics.SumY2);
                }
            }
        }
    }

    private static void AssertSameSums(IReadOnlyList<CupedVariantSums> expected, IReadOnlyList<CupedVariantSums> actual)
    {
        Assert.Equal(expected.Select(v => v.Variant), actual.Select(v => v.Variant));
        foreach (var (a, b) in expected.Zip(actual))
        {
            Assert.Equal(a.Count, b.Count);
            double[] x = [a.SumY, a.SumY2, a.SumX, a.SumX2, a.SumXY, a.SumM, a.SumXM, a.SumMY];
            double[] y = [b.SumY, b.SumY2, b.SumX, b.SumX2, b.SumXY, b.SumM, b.SumXM, b.SumMY];
            for (int i = 0; i < x.Length; i++)
                Close(x[i], y[i]);
        }
    }

    private static void Close(double expected, double actual) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-9 * Math.Max(Math.Abs(expected), Math.Abs(actual)), $"expected {expected:R}, got {actual:R}");
}
