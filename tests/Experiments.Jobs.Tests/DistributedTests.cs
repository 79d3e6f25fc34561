using Experiments.Jobs.ClickHouse;

namespace Experiments.Jobs.Tests;

/// <summary>
/// The pushdown SQL runs unchanged on <c>Distributed</c> tables and gives the single-node answer.
/// Uses the cluster <c>experiments_two_local_shards</c> that <c>scripts/clickhouse.sh</c> configures:
/// two shards on the one server, databases experiments_shard_1 and experiments_shard_2.
/// </summary>
[Collection(ClickHouseCollection.Name)]
public sealed class DistributedTests(ClickHouseServer server)
{
    private const string Cluster = "experiments_two_local_shards";
    private static readonly SqlIdentifier[] Shards = [SqlIdentifier.Database("experiments_shard_1"), SqlIdentifier.Database("experiments_shard_2")];
    private static readonly SqlIdentifier[] Tables =
    [
        ExperimentSchema.Impressions, ExperimentSchema.Conversions, ExperimentSchema.Exposures, ExperimentSchema.GeoSpend,
        ExperimentSchema.UserDayRollup, ExperimentSchema.GeoDayRollup,
    ];

    [Fact]
    public async Task Every_pushdown_query_gives_the_single_node_answer_over_two_shards()
    {
        var logs = new SyntheticLogs(users: 1500, seed: 7);
        await using var single = await server.CreateDatabaseAsync("single");
        await logs.InsertAsync(new ExperimentEventLog(single.Client), batches: 1);
        await using var distributed = await CreateTwoShardsAsync(server, logs, "dist");

        try
        {
            var one = new ExperimentStatisticsQueries(single.Client);
            var two = new ExperimentStatisticsQueries(distributed.Client);

            var cupedOne = await one.CupedStatisticsAsync(SyntheticLogs.Experiment, ExperimentMetric.Cost, logs.Window, logs.PrePeriod);
            var cupedTwo = await two.CupedStatisticsAsync(SyntheticLogs.Experiment, ExperimentMetric.Cost, logs.Window, logs.PrePeriod);
            AssertSameSums(cupedOne.Variants, cupedTwo.Variants);

            var convertedOne = await one.CupedStatisticsAsync(SyntheticLogs.Experiment, ExperimentMetric.Converted, logs.Window, logs.PrePeriod);
            var convertedTwo = await two.CupedStatisticsAsync(SyntheticLogs.Experiment, ExperimentMetric.Converted, logs.Window, logs.PrePeriod);
            AssertSameSums(convertedOne.Variants, convertedTwo.Variants);

            foreach (var campaign in new[] { null, "c1" })
            {
                var spendOne = await one.VariantSpendAsync(SyntheticLogs.Experiment, logs.Window, campaign);
                var spendTwo = await two.VariantSpendAsync(SyntheticLogs.Experiment, logs.Window, campaign);
                Assert.Equal(spendOne.Rows, spendTwo.Rows);
                Assert.Equal(spendOne.Totals.Keys.Order(), spendTwo.Totals.Keys.Order());
                foreach (var (variant, total) in spendOne.Totals)
                    Close(total, spendTwo.Totals[variant]);
            }
            var geoSpendOne = await one.GeoSpendAsync("c2", new DateOnly(2024, 3, 10), new DateOnly(2024, 3, 16));
            var geoSpendTwo = await two.GeoSpendAsync("c2", new DateOnly(2024, 3, 10), new DateOnly(2024, 3, 16));
            Assert.True(geoSpendOne.Rows > 0);
            Assert.Equal(geoSpendOne.Rows, geoSpendTwo.Rows);
            Assert.Equal(geoSpendOne.Totals.Keys.Order(), geoSpendTwo.Totals.Keys.Order());
            foreach (var (geo, total) in geoSpendOne.Totals)
                Close(total, geoSpendTwo.Totals[geo]);

            var ratioOne = await one.RatioStatisticsAsync(SyntheticLogs.Experiment, ExperimentMetric.ConversionValue, ExperimentMetric.Impressions, logs.Window);
            var ratioTwo = await two.RatioStatisticsAsync(SyntheticLogs.Experiment, ExperimentMetric.ConversionValue, ExperimentMetric.Impressions, logs.Window);
            Assert.Equal(ratioOne.Variants.Select(v => v.Name), ratioTwo.Variants.Select(v => v.Name));
            foreach (var (a, b) in ratioOne.Variants.Zip(ratioTwo.Variants))
            {
                Assert.Equal(a.Statistics.Count, b.Statistics.Count);
                Close(a.Statistics.SumNumerator, b.Statistics.SumNumerator);
                Close(a.Statistics.SumNumerator2, b.Statistics.SumNumerator2);
                Close(a.Statistics.SumDenominator, b.Statistics.SumDenominator);
                Close(a.Statistics.SumDenominator2, b.Statistics.SumDenominator2);
                Close(a.Statistics.SumNumeratorDenominator, b.Statistics.SumNumeratorDenominator);
            }

            var dailyOne = await one.DailyCumulativeStatisticsAsync(SyntheticLogs.Experiment, ExperimentMetric.Clicks, logs.Window, logs.PrePeriod);
            var dailyTwo = await two.DailyCumulativeStatisticsAsync(SyntheticLogs.Experiment, ExperimentMetric.Clicks, logs.Window, logs.PrePeriod);
            Assert.Equal(dailyOne.Looks.Select(l => l.Day), dailyTwo.Looks.Select(l => l.Day));
            foreach (var (a, b) in dailyOne.Looks.Zip(dailyTwo.Looks))
                AssertSameSums(a.Variants, b.Variants);

            var panelOne = await one.GeoDayPanelAsync(ExperimentMetric.Conversions, new DateOnly(2024, 3, 1), new DateOnly(2024, 3, 20), "c2");
            var panelTwo = await two.GeoDayPanelAsync(ExperimentMetric.Conversions, new DateOnly(2024, 3, 1), new DateOnly(2024, 3, 20), "c2");
            Assert.Equal(panelOne.Observations.Select(o => (o.Geo, o.Date)), panelTwo.Observations.Select(o => (o.Geo, o.Date)));
            foreach (var (a, b) in panelOne.Observations.Zip(panelTwo.Observations))
            {
                Close(a.Outcome, b.Outcome);
                Close(a.Spend, b.Spend);
            }
        }
        finally
        {
            await DropShardsAsync(distributed);
        }
    }

    /// <summary>
    /// A database of <c>Distributed</c> tables over the two shards, each shard holding the full schema (tables, rollups,
    /// views) and the users whose id it owns. Drop the shards with <see cref="DropShardsAsync"/>.
    /// </summary>
    internal static async Task<TestDatabase> CreateTwoShardsAsync(ClickHouseServer server, SyntheticLogs logs, string prefix)
    {
        var distributed = await server.CreateDatabaseAsync(prefix, migrate: false);
        await distributed.Client.ExecuteAsync(ClickHouseSql.Format($"CREATE DATABASE {SqlIdentifier.Database(distributed.Name)}"), null, useDatabase: false, default);
        await RequireClusterAsync(distributed);

        // Each shard holds the full schema (tables, rollups, views) and the users whose id it owns.
        for (int s = 0; s < Shards.Length; s++)
        {
            await distributed.Client.ExecuteAsync(ClickHouseSql.Format($"DROP DATABASE IF EXISTS {Shards[s]}"), null, useDatabase: false, default);
            using var shard = server.Client(Shards[s].Name);
            await new ClickHouseMigrator(shard).ApplyAsync();
            var log = new ExperimentEventLog(shard);
            bool Owns(ulong user) => (int)(user % 2) == s;
            await log.InsertImpressionsAsync(ClickHouseClientTests.Rows(logs.Impressions.Where(e => Owns(e.UserId))));
            await log.InsertConversionsAsync(ClickHouseClientTests.Rows(logs.Conversions.Where(e => Owns(e.UserId))));
            await log.InsertExposuresAsync(ClickHouseClientTests.Rows(logs.Exposures.Where(e => Owns(e.UnitId))));
            await log.InsertGeoSpendAsync(ClickHouseClientTests.Rows(logs.Spend.Where((_, i) => i % 2 == s)));
        }
        var lowCardinality = new Dictionary<string, string> { ["allow_experimental_low_cardinality_type"] = "1" };
        foreach (var table in Tables)
            await distributed.Client.ExecuteAsync(ClickHouseSql.Format(
                $"CREATE TABLE {table} AS {Shards[0]}.{table} ENGINE = Distributed(experiments_two_local_shards, '', {table})"), lowCardinality, useDatabase: true, default);

        return distributed;
    }

    internal static async Task DropShardsAsync(TestDatabase distributed)
    {
        foreach (var shard in Shards)
            await distributed.Client.ExecuteAsync(ClickHouseSql.Format($"DROP DATABASE IF EXISTS {shard}"), null, useDatabase: false, default);
    }

    private static async Task RequireClusterAsync(TestDatabase db)
    {
        long shards = await MigrationTests.ScalarAsync(db, ClickHouseSql.Format($"SELECT count() FROM system.clusters WHERE cluster = {Cluster}"));
        Assert.True(shards == 2, $"The server has no cluster '{Cluster}' with two shards; scripts/clickhouse.sh configures it.");
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
