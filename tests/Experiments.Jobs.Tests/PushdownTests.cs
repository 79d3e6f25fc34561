using System.Globalization;
using Experiments.Engine.AbTesting;
using Experiments.Engine.SyntheticControl;
using Experiments.Jobs.ClickHouse;

namespace Experiments.Jobs.Tests;

/// <summary>
/// The pushed-down sums equal the engine's own statistics of the same raw rows
/// (<see cref="SufficientStatistics.FromValues(ReadOnlySpan{double}, IReadOnlyList{double[]}, string, string)"/>,
/// <see cref="RatioStatistics.FromValues"/>) to 1e-9 relative.
/// </summary>
[Collection(ClickHouseCollection.Name)]
public sealed class PushdownTests(ClickHouseServer server)
{
    private const double Tolerance = 1e-9;
    private static readonly Lazy<SyntheticLogs> Logs = new(() => new SyntheticLogs());

    [Theory]
    [InlineData(ExperimentMetric.Cost, ExperimentMetric.Cost)]
    [InlineData(ExperimentMetric.Clicks, ExperimentMetric.Impressions)]
    [InlineData(ExperimentMetric.ConversionValue, ExperimentMetric.ConversionValue)]
    [InlineData(ExperimentMetric.Converted, ExperimentMetric.Converted)]
    [InlineData(ExperimentMetric.Clicked, ExperimentMetric.Clicked)]
    public async Task Cuped_statistics_equal_the_engines_statistics_of_the_raw_rows(ExperimentMetric metric, ExperimentMetric covariate)
    {
        var logs = Logs.Value;
        await using var db = await SeededDatabaseAsync("cuped");

        var pushed = await new ExperimentStatisticsQueries(db.Client).CupedStatisticsAsync(SyntheticLogs.Experiment, metric, logs.Window, logs.PrePeriod, covariate);
        var expected = ExpectedCuped(logs, metric, covariate, logs.Window.End);

        var actual = pushed.ToMeanVariants();
        Assert.Equal(expected.Select(v => v.Name), actual.Select(v => v.Name));
        for (int v = 0; v < expected.Count; v++)
            AssertSame(expected[v].Statistics, actual[v].Statistics, expected[v].Name);
        Assert.Equal(2, actual[0].Statistics.CovariateCount); // some units are new: x and its missing indicator
        Assert.True(pushed.Cost.RowsRead > 0);

        // And the engine gives the same answer from either.
        var options = new AbAnalysisOptions { Control = "control", Cuped = true };
        var fromSql = AbAnalysis.Analyze(actual, options);
        var fromRows = AbAnalysis.Analyze(expected, options);
        for (int c = 0; c < fromRows.Comparisons.Count; c++)
        {
            AssertClose(fromRows.Comparisons[c].Absolute.Estimate, fromSql.Comparisons[c].Absolute.Estimate, "lift");
            AssertClose(fromRows.Comparisons[c].Absolute.StdError, fromSql.Comparisons[c].Absolute.StdError, "standard error");
        }
    }

    [Theory]
    [InlineData(ExperimentMetric.Clicks, ExperimentMetric.Impressions)]            // one table
    [InlineData(ExperimentMetric.ConversionValue, ExperimentMetric.Impressions)]   // two tables
    public async Task Ratio_sums_equal_the_engines_statistics_of_the_raw_rows(ExperimentMetric numerator, ExperimentMetric denominator)
    {
        var logs = Logs.Value;
        await using var db = await SeededDatabaseAsync("ratio");

        var pushed = await new ExperimentStatisticsQueries(db.Client).RatioStatisticsAsync(SyntheticLogs.Experiment, numerator, denominator, logs.Window);

        var expected = logs.Units().GroupBy(u => u.Variant).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var from = g.Select(u => Later(u.ExposedAt, logs.Window.Start)).ToArray();
            var a = g.Select((u, i) => logs.Metric(numerator, u.User, from[i], logs.Window.End)).ToArray();
            var b = g.Select((u, i) => logs.Metric(denominator, u.User, from[i], logs.Window.End)).ToArray();
            return new RatioVariant(g.Key, RatioStatistics.FromValues(a, b));
        }).ToList();
        Assert.Equal(expected.Select(v => v.Name), pushed.Variants.Select(v => v.Name));
        foreach (var (e, a) in expected.Zip(pushed.Variants))
        {
            Assert.Equal(e.Statistics.Count, a.Statistics.Count);
            AssertClose(e.Statistics.SumNumerator, a.Statistics.SumNumerator, $"{e.Name} Σa");
            AssertClose(e.Statistics.SumNumerator2, a.Statistics.SumNumerator2, $"{e.Name} Σa²");
            AssertClose(e.Statistics.SumDenominator, a.Statistics.SumDenominator, $"{e.Name} Σb");
            AssertClose(e.Statistics.SumDenominator2, a.Statistics.SumDenominator2, $"{e.Name} Σb²");
            AssertClose(e.Statistics.SumNumeratorDenominator, a.Statistics.SumNumeratorDenominator, $"{e.Name} Σab");
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("c1")]
    public async Task Variant_spend_equals_the_cost_of_the_units_impressions_after_exposure(string? campaign)
    {
        var logs = Logs.Value;
        await using var db = await SeededDatabaseAsync("spend");

        var pushed = await new ExperimentStatisticsQueries(db.Client).VariantSpendAsync(SyntheticLogs.Experiment, logs.Window, campaign);

        var expected = logs.Units().GroupBy(u => u.Variant).ToDictionary(g => g.Key, g => g.Sum(u => logs.Impressions
            .Where(i => i.UserId == u.User && i.EventTime >= Later(u.ExposedAt, logs.Window.Start) && i.EventTime < logs.Window.End
                && (campaign is null || i.CampaignId == campaign))
            .Sum(i => i.Cost)));
        Assert.True(expected.Values.All(v => v > 0));
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), pushed.Totals.Keys.Order(StringComparer.Ordinal));
        foreach (var (variant, spend) in expected)
            AssertClose(spend, pushed.Totals[variant], $"{variant} spend");
        Assert.True(pushed.Rows > 0);
    }

    [Fact]
    public async Task Daily_cumulative_looks_equal_the_engines_statistics_of_the_raw_rows_up_to_each_day()
    {
        var logs = Logs.Value;
        await using var db = await SeededDatabaseAsync("daily");

        var pushed = await new ExperimentStatisticsQueries(db.Client).DailyCumulativeStatisticsAsync(
            SyntheticLogs.Experiment, ExperimentMetric.Cost, logs.Window, logs.PrePeriod);

        var days = new List<DateOnly>();
        for (var day = logs.Window.FirstDay; day <= logs.Window.LastDay; day = day.AddDays(1))
            days.Add(day);
        Assert.Equal(days, pushed.Looks.Select(l => l.Day));
        foreach (var look in pushed.Looks)
        {
            var lookEnd = Earlier(look.Day.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), logs.Window.End);
            var expected = ExpectedCuped(logs, ExperimentMetric.Cost, ExperimentMetric.Cost, lookEnd);
            var actual = look.ToMeanVariants();
            Assert.Equal(expected.Select(v => v.Name), actual.Select(v => v.Name));
            for (int v = 0; v < expected.Count; v++)
                AssertSame(expected[v].Statistics, actual[v].Statistics, $"{look.Day} {expected[v].Name}");
        }
        Assert.True(pushed.Looks[0].Variants.Sum(v => v.Count) < pushed.Looks[^1].Variants.Sum(v => v.Count), "Units accrue day by day.");
    }

    [Fact]
    public async Task Rollups_equal_the_raw_aggregation_and_backfill_rebuilds_them()
    {
        var logs = Logs.Value;
        await using var db = await SeededDatabaseAsync("rollups");
        var log = new ExperimentEventLog(db.Client);

        await AssertRollupsMatchAsync(db, logs.Impressions, logs.Conversions);

        await db.Client.ExecuteAsync(ClickHouseSql.Format($"TRUNCATE TABLE {ExperimentSchema.UserDayRollup}"));
        await db.Client.ExecuteAsync(ClickHouseSql.Format($"TRUNCATE TABLE {ExperimentSchema.GeoDayRollup}"));
        Assert.Equal(0L, await MigrationTests.ScalarAsync(db, ClickHouseSql.Format($"SELECT count() FROM {ExperimentSchema.UserDayRollup}")));
        await log.RebuildRollupsAsync();
        await log.RebuildRollupsAsync(); // twice: a rebuild replaces, it does not add
        await AssertRollupsMatchAsync(db, logs.Impressions, logs.Conversions);

        // The views keep maintaining the rebuilt rollups.
        var more = new Impression(new DateTime(2024, 3, 12, 10, 0, 0, DateTimeKind.Utc), 42, "de", "c1", "", "", 3.25, 2);
        await log.InsertImpressionsAsync(ClickHouseClientTests.Rows([more]));
        await AssertRollupsMatchAsync(db, [.. logs.Impressions, more], logs.Conversions);
    }

    [Fact]
    public async Task The_geo_day_panel_equals_the_raw_aggregation_with_missing_days_as_zero()
    {
        var logs = Logs.Value;
        await using var db = await SeededDatabaseAsync("geo");
        var queries = new ExperimentStatisticsQueries(db.Client);
        var start = new DateOnly(2024, 3, 1);
        var end = new DateOnly(2024, 3, 20);

        foreach (var campaign in new[] { null, "c1" })
        {
            var panel = await queries.GeoDayPanelAsync(ExperimentMetric.ConversionValue, start, end, campaign);

            var geos = SyntheticLogs.Geos.Append("pl").Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(geos, panel.Geos);
            Assert.Equal(geos.Length * (end.DayNumber - start.DayNumber), panel.Observations.Count);
            foreach (var o in panel.Observations)
            {
                double outcome = logs.Conversions.Where(c => c.Geo == o.Geo && DateOnly.FromDateTime(c.EventTime) == o.Date).Sum(c => c.Value);
                double spend = logs.Spend.Where(s => s.Geo == o.Geo && s.Date == o.Date && (campaign is null || s.CampaignId == campaign)).Sum(s => s.Spend);
                AssertClose(outcome, o.Outcome, $"{o.Geo} {o.Date} outcome");
                AssertClose(spend, o.Spend, $"{o.Geo} {o.Date} spend");
            }
            // The engine accepts it as a balanced panel.
            var enginePanel = Panel.FromRows(panel.ToPanelRows(), "conversion_value", ["spend"]);
            Assert.Equal(geos, enginePanel.Units);
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private async Task<TestDatabase> SeededDatabaseAsync(string prefix)
    {
        var db = await server.CreateDatabaseAsync(prefix);
        await Logs.Value.InsertAsync(new ExperimentEventLog(db.Client));
        return db;
    }

    /// <summary>The engine's statistics from raw per-unit values, units exposed before <paramref name="until"/>, metric until then.</summary>
    private static List<MeanVariant> ExpectedCuped(SyntheticLogs logs, ExperimentMetric metric, ExperimentMetric covariate, DateTime until)
    {
        var variants = logs.Units().Where(u => u.ExposedAt < until)
            .GroupBy(u => u.Variant).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        var names = variants.Select(g => g.Key).ToList();
        var y = variants.Select(g => g.Select(u => logs.Metric(metric, u.User, Later(u.ExposedAt, logs.Window.Start), until)).ToArray()).ToList();
        var x = variants.Select(g => new[] { g.Select(u => logs.PreValue(covariate, u.User)).ToArray() }).ToList();
        var columns = MissingCovariates.Expand(["x"], x, names);
        return names.Select((name, v) => new MeanVariant(name, SufficientStatistics.FromValues(y[v], columns.Columns[v]))).ToList();
    }

    private static async Task AssertRollupsMatchAsync(TestDatabase db, IReadOnlyList<Impression> impressions, IReadOnlyList<Conversion> conversions)
    {
        var expectedByUser = new SortedDictionary<(DateOnly, ulong), double[]>();
        var expectedByGeo = new SortedDictionary<(DateOnly, string), double[]>(Comparer<(DateOnly, string)>.Create((a, b) =>
            a.Item1 != b.Item1 ? a.Item1.CompareTo(b.Item1) : string.CompareOrdinal(a.Item2, b.Item2)));
        void Add<TKey>(IDictionary<TKey, double[]> sums, TKey key, int column, double value)
        {
            if (!sums.TryGetValue(key, out var row))
                sums[key] = row = new double[5];
            row[column] += value;
        }
        foreach (var i in impressions)
            foreach (var (column, value) in new[] { (0, 1.0), (1, i.Clicks), (2, i.Cost) })
            {
                Add(expectedByUser, (DateOnly.FromDateTime(i.EventTime), i.UserId), column, value);
                Add(expectedByGeo, (DateOnly.FromDateTime(i.EventTime), i.Geo), column, value);
            }
        foreach (var c in conversions)
            foreach (var (column, value) in new[] { (3, 1.0), (4, c.Value) })
            {
                Add(expectedByUser, (DateOnly.FromDateTime(c.EventTime), c.UserId), column, value);
                Add(expectedByGeo, (DateOnly.FromDateTime(c.EventTime), c.Geo), column, value);
            }

        var byUser = await RollupAsync(db, ClickHouseSql.Format($"""
            SELECT date, user_id, sum(impressions), sum(clicks), sum(cost), sum(conversions), sum(conversion_value)
            FROM {ExperimentSchema.UserDayRollup} GROUP BY date, user_id ORDER BY date, user_id
            """));
        var byGeo = await RollupAsync(db, ClickHouseSql.Format($"""
            SELECT date, geo, sum(impressions), sum(clicks), sum(cost), sum(conversions), sum(conversion_value)
            FROM {ExperimentSchema.GeoDayRollup} GROUP BY date, geo ORDER BY date, geo
            """));

        Assert.Equal(expectedByUser.Keys.Select(k => $"{k.Item1:yyyy-MM-dd} {k.Item2}"), byUser.Select(r => $"{r.Key[0]} {r.Key[1]}"));
        Assert.Equal(expectedByGeo.Keys.Select(k => $"{k.Item1:yyyy-MM-dd} {k.Item2}"), byGeo.Select(r => $"{r.Key[0]} {r.Key[1]}"));
        foreach (var (expected, actual) in expectedByUser.Values.Concat(expectedByGeo.Values).Zip(byUser.Concat(byGeo)))
            for (int c = 0; c < 5; c++)
                AssertClose(expected[c], actual.Sums[c], $"rollup {actual.Key[0]} {actual.Key[1]} column {c}");
    }

    private static async Task<List<(string[] Key, double[] Sums)>> RollupAsync(TestDatabase db, ClickHouseSql query)
    {
        var rows = new List<(string[], double[])>();
        await foreach (var row in db.Client.QueryTabSeparatedAsync(query))
            rows.Add(([row[0]!, row[1]!], row.Skip(2).Select(v => double.Parse(v!, CultureInfo.InvariantCulture)).ToArray()));
        return rows;
    }

    private static DateTime Later(DateTime a, DateTime b) => a > b ? a : b;

    private static DateTime Earlier(DateTime a, DateTime b) => a < b ? a : b;

    private static void AssertSame(SufficientStatistics expected, SufficientStatistics actual, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.CovariateCount, actual.CovariateCount);
        AssertClose(expected.SumY, actual.SumY, $"{what} Σy");
        AssertClose(expected.SumY2, actual.SumY2, $"{what} Σy²");
        for (int j = 0; j < expected.CovariateCount; j++)
        {
            AssertClose(expected.SumX[j], actual.SumX[j], $"{what} Σx[{j}]");
            AssertClose(expected.SumXY[j], actual.SumXY[j], $"{what} Σxy[{j}]");
        }
        for (int j = 0; j < expected.SumXX.Count; j++)
            AssertClose(expected.SumXX[j], actual.SumXX[j], $"{what} Σxx[{j}]");
    }

    private static void AssertClose(double expected, double actual, string what)
    {
        double scale = Math.Max(Math.Abs(expected), Math.Abs(actual));
        Assert.True(Math.Abs(expected - actual) <= Tolerance * scale,
            $"{what}: expected {expected.ToString("R", CultureInfo.InvariantCulture)}, got {actual.ToString("R", CultureInfo.InvariantCulture)}");
    }
}
