namespace Experiments.Jobs.ClickHouse;

/// <summary>An ad impression.</summary>
/// <param name="EventTime">When it was served (UTC, whole seconds).</param>
/// <param name="UserId">The user it was served to.</param>
/// <param name="Geo">The user's market.</param>
/// <param name="CampaignId">The campaign.</param>
/// <param name="ExperimentId">The experiment the impression was served under (empty when none).</param>
/// <param name="Variant">The variant served.</param>
/// <param name="Cost">What it cost.</param>
/// <param name="Clicks">Clicks on it.</param>
public sealed record Impression(DateTime EventTime, ulong UserId, string Geo, string CampaignId, string ExperimentId, string Variant, double Cost, byte Clicks);

/// <summary>A conversion.</summary>
/// <param name="EventTime">When it happened (UTC, whole seconds).</param>
/// <param name="UserId">The user who converted.</param>
/// <param name="Geo">The user's market.</param>
/// <param name="Value">Its value (revenue).</param>
public sealed record Conversion(DateTime EventTime, ulong UserId, string Geo, double Value);

/// <summary>A unit's exposure to an experiment (its assignment). Duplicates are allowed: queries take
/// each unit's earliest exposure and the variant it was exposed to then.</summary>
/// <param name="ExperimentId">The experiment.</param>
/// <param name="UnitId">The randomisation unit (the user id).</param>
/// <param name="Variant">The variant it was assigned to.</param>
/// <param name="FirstExposureTime">When it was first exposed (UTC, whole seconds).</param>
public sealed record Exposure(string ExperimentId, ulong UnitId, string Variant, DateTime FirstExposureTime);

/// <summary>A day's media spend in one geo for one campaign.</summary>
/// <param name="Date">The day (UTC).</param>
/// <param name="Geo">The market.</param>
/// <param name="CampaignId">The campaign.</param>
/// <param name="Spend">The spend.</param>
public sealed record GeoSpend(DateOnly Date, string Geo, string CampaignId, double Spend);

/// <summary>
/// Writes the impression logs (streamed, gzip TabSeparated) and rebuilds the rollups the
/// materialized views maintain.
/// </summary>
public sealed class ExperimentEventLog(ClickHouseClient client)
{
    private static readonly SqlIdentifier[] ImpressionColumns =
    [
        ExperimentSchema.Columns.EventTime, ExperimentSchema.Columns.UserId, ExperimentSchema.Columns.Geo,
        ExperimentSchema.Columns.CampaignId, ExperimentSchema.Columns.ExperimentId, ExperimentSchema.Columns.Variant,
        ExperimentSchema.Columns.Cost, ExperimentSchema.Columns.Clicks,
    ];

    private static readonly SqlIdentifier[] ConversionColumns =
    [
        ExperimentSchema.Columns.EventTime, ExperimentSchema.Columns.UserId, ExperimentSchema.Columns.Geo, ExperimentSchema.Columns.Value,
    ];

    private static readonly SqlIdentifier[] ExposureColumns =
    [
        ExperimentSchema.Columns.ExperimentId, ExperimentSchema.Columns.UnitId, ExperimentSchema.Columns.Variant, ExperimentSchema.Columns.FirstExposureTime,
    ];

    private static readonly SqlIdentifier[] GeoSpendColumns =
    [
        ExperimentSchema.Columns.Date, ExperimentSchema.Columns.Geo, ExperimentSchema.Columns.CampaignId, ExperimentSchema.Columns.Spend,
    ];

    /// <summary>Inserts impressions (the rollups follow through their materialized views).</summary>
    /// <returns>Rows sent.</returns>
    public Task<long> InsertImpressionsAsync(IAsyncEnumerable<Impression> rows, CancellationToken cancellationToken = default) =>
        client.InsertAsync(ExperimentSchema.Impressions, ImpressionColumns, rows, static (r, w) =>
        {
            w.Write(r.EventTime);
            w.Write(r.UserId);
            w.Write(r.Geo);
            w.Write(r.CampaignId);
            w.Write(r.ExperimentId);
            w.Write(r.Variant);
            w.Write(r.Cost);
            w.Write((ulong)r.Clicks);
        }, cancellationToken);

    /// <summary>Inserts conversions.</summary>
    /// <returns>Rows sent.</returns>
    public Task<long> InsertConversionsAsync(IAsyncEnumerable<Conversion> rows, CancellationToken cancellationToken = default) =>
        client.InsertAsync(ExperimentSchema.Conversions, ConversionColumns, rows, static (r, w) =>
        {
            w.Write(r.EventTime);
            w.Write(r.UserId);
            w.Write(r.Geo);
            w.Write(r.Value);
        }, cancellationToken);

    /// <summary>Inserts exposures.</summary>
    /// <returns>Rows sent.</returns>
    public Task<long> InsertExposuresAsync(IAsyncEnumerable<Exposure> rows, CancellationToken cancellationToken = default) =>
        client.InsertAsync(ExperimentSchema.Exposures, ExposureColumns, rows, static (r, w) =>
        {
            w.Write(r.ExperimentId);
            w.Write(r.UnitId);
            w.Write(r.Variant);
            w.Write(r.FirstExposureTime);
        }, cancellationToken);

    /// <summary>Inserts daily geo spend.</summary>
    /// <returns>Rows sent.</returns>
    public Task<long> InsertGeoSpendAsync(IAsyncEnumerable<GeoSpend> rows, CancellationToken cancellationToken = default) =>
        client.InsertAsync(ExperimentSchema.GeoSpend, GeoSpendColumns, rows, static (r, w) =>
        {
            w.Write(r.Date);
            w.Write(r.Geo);
            w.Write(r.CampaignId);
            w.Write(r.Spend);
        }, cancellationToken);

    /// <summary>
    /// Rebuilds both rollups from the raw tables: truncate, then <c>INSERT … SELECT</c> with the
    /// materialized views' own SELECTs. For after a migration adds a rollup to existing data, or a
    /// repair. Rows inserted into the raw tables while it runs may be counted twice or not at all,
    /// so pause ingestion first.
    /// </summary>
    public async Task RebuildRollupsAsync(CancellationToken cancellationToken = default)
    {
        (SqlIdentifier Target, ClickHouseSql[] Selects)[] rollups =
        [
            (ExperimentSchema.UserDayRollup, [ExperimentSchema.UserDayFromImpressionsSelect, ExperimentSchema.UserDayFromConversionsSelect]),
            (ExperimentSchema.GeoDayRollup, [ExperimentSchema.GeoDayFromImpressionsSelect, ExperimentSchema.GeoDayFromConversionsSelect]),
        ];
        foreach (var (target, selects) in rollups)
        {
            await client.ExecuteAsync(ClickHouseSql.Format($"TRUNCATE TABLE {target}"), cancellationToken).ConfigureAwait(false);
            foreach (var select in selects)
                await client.ExecuteAsync(ClickHouseSql.Format($"INSERT INTO {target} {select}"), cancellationToken).ConfigureAwait(false);
        }
    }
}
