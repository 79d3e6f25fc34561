namespace Experiments.Jobs.ClickHouse;

/// <summary>One versioned schema change: statements run in order, then the version is recorded.</summary>
/// <param name="Version">A positive number; migrations apply in ascending order, each once.</param>
/// <param name="Description">What the migration does (stored with the version).</param>
/// <param name="Statements">Idempotent DDL (<c>IF NOT EXISTS</c>), so a migration cut off half-way can be rerun.</param>
public sealed record ClickHouseMigration(int Version, string Description, IReadOnlyList<ClickHouseSql> Statements);

/// <summary>
/// The impression-log schema: every table, view and column name that SQL may use (the identifier
/// allow-list) and the migrations that create them.
/// </summary>
/// <remarks>
/// <para>Times are <c>DateTime('UTC')</c>, so days and windows mean the same on any server time zone.
/// Raw tables are partitioned by month (a day per partition would make hundreds of small partitions
/// that 18.16 merges poorly) and ordered by day first, so a window's time condition skips whole
/// index granules; the analysis groups by user within that.</para>
/// <para>The rollups are SummingMergeTree tables fed by materialized views on insert. Rows with the
/// same key are summed only when parts merge, at a time of the server's choosing, so every read of a
/// rollup aggregates with <c>sum() … GROUP BY</c> — which is also what makes the same SQL correct on
/// <c>Distributed</c> tables.</para>
/// </remarks>
public static class ExperimentSchema
{
    /// <summary>Ad impressions: one row per impression, with its cost and clicks.</summary>
    public static SqlIdentifier Impressions { get; } = new("impressions");

    /// <summary>Conversions: one row per conversion, with its value.</summary>
    public static SqlIdentifier Conversions { get; } = new("conversions");

    /// <summary>Experiment exposures (assignments): a unit's variant and when it was first exposed.</summary>
    public static SqlIdentifier Exposures { get; } = new("exposures");

    /// <summary>Daily media spend per geo and campaign.</summary>
    public static SqlIdentifier GeoSpend { get; } = new("geo_spend");

    /// <summary>Per user and day: impressions, clicks, cost, conversions, conversion value.</summary>
    public static SqlIdentifier UserDayRollup { get; } = new("user_day_rollup");

    /// <summary>Per geo and day: the same sums.</summary>
    public static SqlIdentifier GeoDayRollup { get; } = new("geo_day_rollup");

    /// <summary>
    /// Per experiment, per unit: variant, first exposure, pre-period sums and post-exposure sums from the first
    /// day through <c>through</c> — one snapshot per folded day and version (see <see cref="ExperimentAggregates"/>).
    /// </summary>
    public static SqlIdentifier UnitAggregates { get; } = new("experiment_unit_aggregates");

    /// <summary>Per experiment, folded snapshot and variant: each metric's n, Σy and Σy² (the daily cumulative looks).</summary>
    public static SqlIdentifier DailyLooks { get; } = new("experiment_daily_looks");

    /// <summary>Per experiment and day: the source row counts folded in, and the version of that day's snapshot.</summary>
    public static SqlIdentifier RefreshWatermarks { get; } = new("experiment_refresh_watermarks");

    /// <summary>The applied migration versions.</summary>
    public static SqlIdentifier SchemaMigrations { get; } = new("schema_migrations");

    internal static SqlIdentifier UserDayFromImpressions { get; } = new("user_day_rollup_impressions_mv");
    internal static SqlIdentifier UserDayFromConversions { get; } = new("user_day_rollup_conversions_mv");
    internal static SqlIdentifier GeoDayFromImpressions { get; } = new("geo_day_rollup_impressions_mv");
    internal static SqlIdentifier GeoDayFromConversions { get; } = new("geo_day_rollup_conversions_mv");

    /// <summary>Column names, for inserts.</summary>
    internal static class Columns
    {
        public static SqlIdentifier EventTime { get; } = new("event_time");
        public static SqlIdentifier UserId { get; } = new("user_id");
        public static SqlIdentifier Geo { get; } = new("geo");
        public static SqlIdentifier CampaignId { get; } = new("campaign_id");
        public static SqlIdentifier ExperimentId { get; } = new("experiment_id");
        public static SqlIdentifier Variant { get; } = new("variant");
        public static SqlIdentifier Cost { get; } = new("cost");
        public static SqlIdentifier Clicks { get; } = new("clicks");
        public static SqlIdentifier Value { get; } = new("value");
        public static SqlIdentifier UnitId { get; } = new("unit_id");
        public static SqlIdentifier FirstExposureTime { get; } = new("first_exposure_time");
        public static SqlIdentifier Date { get; } = new("date");
        public static SqlIdentifier Spend { get; } = new("spend");
    }

    /// <summary>The migrations, in order.</summary>
    public static IReadOnlyList<ClickHouseMigration> Migrations { get; } =
    [
        new(1, "raw event tables: impressions, conversions, exposures, geo spend",
        [
            ClickHouseSql.Format($"""
                CREATE TABLE IF NOT EXISTS {Impressions}
                (
                    event_time DateTime('UTC'),
                    user_id UInt64,
                    geo LowCardinality(String),
                    campaign_id String,
                    experiment_id String,
                    variant String,
                    cost Float64,
                    clicks UInt8
                )
                ENGINE = MergeTree
                PARTITION BY toYYYYMM(event_time)
                ORDER BY (toDate(event_time), user_id)
                """),
            ClickHouseSql.Format($"""
                CREATE TABLE IF NOT EXISTS {Conversions}
                (
                    event_time DateTime('UTC'),
                    user_id UInt64,
                    geo LowCardinality(String),
                    value Float64
                )
                ENGINE = MergeTree
                PARTITION BY toYYYYMM(event_time)
                ORDER BY (toDate(event_time), user_id)
                """),
            ClickHouseSql.Format($"""
                CREATE TABLE IF NOT EXISTS {Exposures}
                (
                    experiment_id String,
                    unit_id UInt64,
                    variant String,
                    first_exposure_time DateTime('UTC')
                )
                ENGINE = MergeTree
                PARTITION BY toYYYYMM(first_exposure_time)
                ORDER BY (experiment_id, unit_id)
                """),
            ClickHouseSql.Format($"""
                CREATE TABLE IF NOT EXISTS {GeoSpend}
                (
                    date Date,
                    geo LowCardinality(String),
                    campaign_id String,
                    spend Float64
                )
                ENGINE = MergeTree
                PARTITION BY toYYYYMM(date)
                ORDER BY (date, geo, campaign_id)
                """),
        ]),
        new(2, "user x day and geo x day rollups maintained by materialized views",
        [
            ClickHouseSql.Format($"""
                CREATE TABLE IF NOT EXISTS {UserDayRollup}
                (
                    date Date,
                    user_id UInt64,
                    impressions UInt64,
                    clicks UInt64,
                    cost Float64,
                    conversions UInt64,
                    conversion_value Float64
                )
                ENGINE = SummingMergeTree((impressions, clicks, cost, conversions, conversion_value))
                PARTITION BY toYYYYMM(date)
                ORDER BY (date, user_id)
                """),
            ClickHouseSql.Format($"""
                CREATE TABLE IF NOT EXISTS {GeoDayRollup}
                (
                    date Date,
                    geo LowCardinality(String),
                    impressions UInt64,
                    clicks UInt64,
                    cost Float64,
                    conversions UInt64,
                    conversion_value Float64
                )
                ENGINE = SummingMergeTree((impressions, clicks, cost, conversions, conversion_value))
                PARTITION BY toYYYYMM(date)
                ORDER BY (date, geo)
                """),
            ClickHouseSql.Format($"CREATE MATERIALIZED VIEW IF NOT EXISTS {UserDayFromImpressions} TO {UserDayRollup} AS {UserDayFromImpressionsSelect}"),
            ClickHouseSql.Format($"CREATE MATERIALIZED VIEW IF NOT EXISTS {UserDayFromConversions} TO {UserDayRollup} AS {UserDayFromConversionsSelect}"),
            ClickHouseSql.Format($"CREATE MATERIALIZED VIEW IF NOT EXISTS {GeoDayFromImpressions} TO {GeoDayRollup} AS {GeoDayFromImpressionsSelect}"),
            ClickHouseSql.Format($"CREATE MATERIALIZED VIEW IF NOT EXISTS {GeoDayFromConversions} TO {GeoDayRollup} AS {GeoDayFromConversionsSelect}"),
        ]),
        new(3, "incremental refresh: per-unit aggregates per experiment, daily looks and the watermark", AggregateTables),
    ];

    /// <summary>
    /// The tables of the incremental refresh. Rows are never updated: a day folded again gets a new version, and
    /// readers take the version the watermark names, so nothing depends on a mutation finishing.
    /// </summary>
    internal static IReadOnlyList<ClickHouseSql> AggregateTables =>
    [
        ClickHouseSql.Format($"""
            CREATE TABLE IF NOT EXISTS {UnitAggregates}
            (
                experiment_id String,
                through Date,
                version UInt64,
                user_id UInt64,
                variant String,
                exposed_at DateTime('UTC'),
                has_pre UInt8,
                pre_impressions Float64,
                pre_clicks Float64,
                pre_cost Float64,
                pre_conversions Float64,
                pre_conversion_value Float64,
                impressions Float64,
                clicks Float64,
                cost Float64,
                conversions Float64,
                conversion_value Float64
            )
            ENGINE = MergeTree
            PARTITION BY toYYYYMM(through)
            ORDER BY (experiment_id, through, version, user_id)
            """),
        ClickHouseSql.Format($"""
            CREATE TABLE IF NOT EXISTS {DailyLooks}
            (
                experiment_id String,
                through Date,
                version UInt64,
                variant String,
                metric String,
                n UInt64,
                sum_y Float64,
                sum_y2 Float64
            )
            ENGINE = MergeTree
            ORDER BY (experiment_id, through, version, variant, metric)
            """),
        ClickHouseSql.Format($"""
            CREATE TABLE IF NOT EXISTS {RefreshWatermarks}
            (
                experiment_id String,
                date Date,
                version UInt64,
                snapshot_version UInt64,
                first_day Date,
                pre_start Date,
                pre_end Date,
                impressions UInt64,
                conversions UInt64,
                exposures UInt64,
                folded_at DateTime('UTC')
            )
            ENGINE = MergeTree
            ORDER BY (experiment_id, date, version)
            """),
    ];

    // The rollups' SELECTs, shared by the materialized views and the backfill so the two cannot drift.

    internal static ClickHouseSql UserDayFromImpressionsSelect => ClickHouseSql.Format($"""
        SELECT toDate(event_time) AS date, user_id,
               count() AS impressions, sum(toUInt64(clicks)) AS clicks, sum(cost) AS cost,
               toUInt64(0) AS conversions, toFloat64(0) AS conversion_value
        FROM {Impressions}
        GROUP BY date, user_id
        """);

    internal static ClickHouseSql UserDayFromConversionsSelect => ClickHouseSql.Format($"""
        SELECT toDate(event_time) AS date, user_id,
               toUInt64(0) AS impressions, toUInt64(0) AS clicks, toFloat64(0) AS cost,
               count() AS conversions, sum(value) AS conversion_value
        FROM {Conversions}
        GROUP BY date, user_id
        """);

    internal static ClickHouseSql GeoDayFromImpressionsSelect => ClickHouseSql.Format($"""
        SELECT toDate(event_time) AS date, geo,
               count() AS impressions, sum(toUInt64(clicks)) AS clicks, sum(cost) AS cost,
               toUInt64(0) AS conversions, toFloat64(0) AS conversion_value
        FROM {Impressions}
        GROUP BY date, geo
        """);

    internal static ClickHouseSql GeoDayFromConversionsSelect => ClickHouseSql.Format($"""
        SELECT toDate(event_time) AS date, geo,
               toUInt64(0) AS impressions, toUInt64(0) AS clicks, toFloat64(0) AS cost,
               count() AS conversions, sum(value) AS conversion_value
        FROM {Conversions}
        GROUP BY date, geo
        """);
}
