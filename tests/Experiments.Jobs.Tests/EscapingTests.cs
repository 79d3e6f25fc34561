using System.Globalization;
using System.Text;
using Experiments.Jobs.ClickHouse;

namespace Experiments.Jobs.Tests;

[Collection(ClickHouseCollection.Name)]
public sealed class EscapingTests(ClickHouseServer server)
{
    /// <summary>Strings that break naive quoting, TSV framing, NULL markers, encodings or error detection.</summary>
    public static readonly string[] Hostile =
    [
        "'; DROP TABLE impressions; --",
        "x'); DROP TABLE exposures; SELECT ('",
        "O'Brien",
        "\\",
        "ends with a backslash\\",
        "\\'",
        "quote ' and \" double",
        "nul\0inside",
        "new\nline",
        "tab\there",
        "carriage\rreturn",
        "controls \u0001\u0002\u001b\u007f\b\f",
        "emoji 🧪🚀 ünïcødé 日本語",
        "`backtick` $dollar {brace} %s",
        "\\N",
        "  spaces  ",
        "Code: 60, e.displayText() = DB::Exception: not an error, e.what() = DB::Exception",
        "",
    ];

    // By index: test names carry the arguments, and a NUL or control character would make the TRX report invalid XML.
    public static TheoryData<int> HostileStrings() => [.. Enumerable.Range(0, Hostile.Length)];

    [Theory]
    [MemberData(nameof(HostileStrings))]
    public async Task A_hostile_literal_comes_back_verbatim_in_every_format(int index)
    {
        string value = Hostile[index];
        using var client = server.Client("default");
        var query = ClickHouseSql.Format($"SELECT {value} AS s, length({value}) AS bytes, 'after' AS sentinel");

        var tsv = await FirstAsync(client.QueryTabSeparatedAsync(query));
        var json = await FirstAsync(client.QueryJsonEachRowAsync(query));

        Assert.Equal(value, tsv[0]);
        Assert.Equal("after", tsv[2]);
        Assert.Equal(value, json.GetProperty("s").GetString());
        Assert.Equal(Encoding.UTF8.GetByteCount(value), json.GetProperty("bytes").GetClickHouseInt64());
    }

    [Fact]
    public void Literals_of_other_types_are_invariant_and_unambiguous()
    {
        Assert.Equal("1.5", ClickHouseSql.Literal(1.5));
        Assert.Equal("-2.5E-300", ClickHouseSql.Literal(-2.5e-300));
        Assert.Equal("0", ClickHouseSql.Literal(double.Epsilon)); // 18.16 cannot parse subnormals
        Assert.Equal("nan", ClickHouseSql.Literal(double.NaN));
        Assert.Equal("-inf", ClickHouseSql.Literal(double.NegativeInfinity));
        Assert.Equal("18446744073709551615", ClickHouseSql.Literal(ulong.MaxValue));
        Assert.Equal("-9223372036854775808", ClickHouseSql.Literal(long.MinValue));
        Assert.Equal("toDate('2024-02-29')", ClickHouseSql.Literal(new DateOnly(2024, 2, 29)));
        Assert.Equal("toDateTime('2024-02-29 23:59:59', 'UTC')", ClickHouseSql.Literal(new DateTime(2024, 2, 29, 23, 59, 59, DateTimeKind.Utc)));
        Assert.Equal("NULL", ClickHouseSql.Literal<string?>(null));
        Assert.Equal(@"'a\'b\\c\0d\ne\x01'", ClickHouseSql.Literal("a'b\\c\0d\ne\u0001"));
        Assert.Throws<ArgumentException>(() => ClickHouseSql.Literal(new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Local)));
        Assert.Throws<ArgumentException>(() => ClickHouseSql.Literal(new DateTime(2024, 1, 1, 0, 0, 0, 500, DateTimeKind.Utc)));
        Assert.Throws<ArgumentException>(() => ClickHouseSql.Literal(new object()));
        Assert.Throws<ArgumentException>(() => SqlIdentifier.Database("x; DROP DATABASE default"));
    }

    [Fact]
    public async Task Numbers_and_dates_survive_the_round_trip_exactly()
    {
        using var client = server.Client("default");
        double[] doubles = [0.1, 0.30000000000000004, -2.5e-300, 1e300, double.MaxValue, -0.0, 123456789.123456789];
        var date = new DateOnly(2024, 2, 29);
        var time = new DateTime(2024, 2, 29, 23, 59, 59, DateTimeKind.Utc);

        foreach (var d in doubles)
        {
            var row = await FirstAsync(client.QueryTabSeparatedAsync(ClickHouseSql.Format($"SELECT toFloat64({d})")));
            Assert.Equal(d, double.Parse(row[0]!, CultureInfo.InvariantCulture));
        }
        var other = await FirstAsync(client.QueryTabSeparatedAsync(ClickHouseSql.Format(
            $"SELECT {ulong.MaxValue}, {long.MinValue}, {date}, toUnixTimestamp({time}), {true}")));
        Assert.Equal(["18446744073709551615", "-9223372036854775808", "2024-02-29", "1709251199", "1"], other.Select(f => f!));
    }

    [Fact]
    public async Task A_string_that_has_no_UTF8_form_is_refused_before_anything_is_sent()
    {
        using var client = server.Client("default");

        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.QueryJsonAsync(ClickHouseSql.Format($"SELECT {"lone \uD800 surrogate"}")));
    }

    [Fact]
    public async Task Hostile_strings_in_every_user_controlled_field_are_stored_and_matched_verbatim_and_nothing_else_runs()
    {
        await using var db = await server.CreateDatabaseAsync("hostile");
        var log = new ExperimentEventLog(db.Client);
        var start = new DateTime(2024, 3, 1, 0, 0, 0, DateTimeKind.Utc);
        var window = new AnalysisWindow(start, start.AddDays(2));
        var pre = new PrePeriod(new DateOnly(2024, 2, 1), new DateOnly(2024, 3, 1));
        int k = Hostile.Length;
        // Experiment i has variants Hostile[(i+1)%k] and Hostile[(i+2)%k]; user u of experiment i has
        // i+1 units per variant, so every count identifies the strings it was matched by.
        var exposures = new List<Exposure>();
        var impressions = new List<Impression>();
        var conversions = new List<Conversion>();
        var spend = new List<GeoSpend>();
        ulong user = 1;
        for (int i = 0; i < k; i++)
        {
            string experiment = Hostile[i], a = Hostile[(i + 1) % k], b = Hostile[(i + 2) % k];
            foreach (var variant in new[] { a, b })
                for (int j = 0; j <= i; j++, user++)
                {
                    exposures.Add(new Exposure(experiment, user, variant, start.AddHours(1)));
                    impressions.Add(new Impression(start.AddHours(2), user, Hostile[i], Hostile[(i + 3) % k], experiment, variant, 0.5, 1));
                    conversions.Add(new Conversion(start.AddHours(3), user, Hostile[i], 2.0));
                }
            spend.Add(new GeoSpend(new DateOnly(2024, 3, 1), Hostile[i], Hostile[(i + 3) % k], i + 1));
            spend.Add(new GeoSpend(new DateOnly(2024, 3, 1), Hostile[i], "other campaign", 1000));
        }
        await log.InsertExposuresAsync(ClickHouseClientTests.Rows(exposures));
        await log.InsertImpressionsAsync(ClickHouseClientTests.Rows(impressions));
        await log.InsertConversionsAsync(ClickHouseClientTests.Rows(conversions));
        await log.InsertGeoSpendAsync(ClickHouseClientTests.Rows(spend));
        var queries = new ExperimentStatisticsQueries(db.Client);
        var aggregates = new ExperimentAggregates(db.Client);

        for (int i = 0; i < k; i++)
        {
            string experiment = Hostile[i];
            var expectedVariants = new[] { Hostile[(i + 1) % k], Hostile[(i + 2) % k] }.Order(StringComparer.Ordinal).ToArray();

            var cuped = await queries.CupedStatisticsAsync(experiment, ExperimentMetric.Clicks, window, pre);
            var ratio = await queries.RatioStatisticsAsync(experiment, ExperimentMetric.ConversionValue, ExperimentMetric.Impressions, window);

            Assert.Equal(expectedVariants, cuped.Variants.Select(v => v.Variant));
            Assert.All(cuped.Variants, v => Assert.Equal(i + 1, v.Count));
            Assert.All(cuped.Variants, v => Assert.Equal(i + 1, v.SumY)); // one click each
            Assert.Equal(expectedVariants, ratio.Variants.Select(v => v.Name));
            Assert.All(ratio.Variants, v => Assert.Equal(2.0 * (i + 1), v.Statistics.SumNumerator));

            // The incremental refresh keys its tables by the experiment id: the same units and sums.
            var scope = new AggregatesScope(experiment, window.FirstDay, pre);
            var refresh = await aggregates.RefreshAsync(scope, window.LastDay);
            var folded = await aggregates.CupedStatisticsAsync(refresh, experiment, ExperimentMetric.Clicks, ExperimentMetric.Clicks, window.LastDay);
            Assert.Equal(expectedVariants, folded.Variants.Select(v => v.Variant));
            Assert.All(folded.Variants, v => Assert.Equal(i + 1, v.Count));
            Assert.All(folded.Variants, v => Assert.Equal(i + 1, v.SumY));
            Assert.Equal(2L * (i + 1), await MigrationTests.ScalarAsync(db,
                ClickHouseSql.Format($"SELECT count() FROM {ExperimentSchema.Impressions} WHERE experiment_id = {experiment} AND geo = {experiment}")));
        }

        // Geo panel filtered by a hostile campaign: each geo's spend is only that campaign's.
        for (int i = 0; i < k; i++)
        {
            string campaign = Hostile[(i + 3) % k];
            var panel = await queries.GeoDayPanelAsync(ExperimentMetric.Conversions, new DateOnly(2024, 3, 1), new DateOnly(2024, 3, 2), campaign);
            var row = Assert.Single(panel.Observations, o => o.Geo == Hostile[i]);
            Assert.Equal(i + 1, row.Spend);
            Assert.Equal(2 * (i + 1), row.Outcome);
        }

        // Stored verbatim, and nothing was dropped or added.
        var storedGeos = new List<string>();
        await foreach (var row in db.Client.QueryJsonEachRowAsync(ClickHouseSql.Format($"SELECT DISTINCT geo FROM {ExperimentSchema.Impressions} ORDER BY geo")))
            storedGeos.Add(row.GetProperty("geo").GetString()!);
        Assert.Equal(Hostile.Order(StringComparer.Ordinal), storedGeos.Order(StringComparer.Ordinal));
        Assert.Equal(
            ["conversions", "experiment_daily_looks", "experiment_refresh_watermarks", "experiment_unit_aggregates", "exposures", "geo_day_rollup", "geo_day_rollup_conversions_mv", "geo_day_rollup_impressions_mv", "geo_spend",
             "impressions", "schema_migrations", "user_day_rollup", "user_day_rollup_conversions_mv", "user_day_rollup_impressions_mv"],
            await MigrationTests.TablesAsync(db));
        Assert.Equal(exposures.Count, await MigrationTests.ScalarAsync(db, ClickHouseSql.Format($"SELECT count() FROM {ExperimentSchema.Exposures}")));
        Assert.Equal(impressions.Count, await MigrationTests.ScalarAsync(db, ClickHouseSql.Format($"SELECT count() FROM {ExperimentSchema.Impressions}")));
        Assert.Equal(conversions.Count, await MigrationTests.ScalarAsync(db, ClickHouseSql.Format($"SELECT count() FROM {ExperimentSchema.Conversions}")));
        Assert.Equal(spend.Count, await MigrationTests.ScalarAsync(db, ClickHouseSql.Format($"SELECT count() FROM {ExperimentSchema.GeoSpend}")));
        Assert.Equal(3L, await MigrationTests.ScalarAsync(db, ClickHouseSql.Format($"SELECT count() FROM {ExperimentSchema.SchemaMigrations}")));
    }

    private static async Task<T> FirstAsync<T>(IAsyncEnumerable<T> rows)
    {
        await foreach (var row in rows)
            return row;
        throw new InvalidOperationException("No row.");
    }
}
