using System.Globalization;
using System.Text.Json;
using Experiments.Engine.AbTesting;

namespace Experiments.Jobs.ClickHouse;

/// <summary>
/// Pushdown queries: ClickHouse aggregates the logs into exactly the engine's inputs — per-variant
/// sufficient statistics, ratio sums, cumulative daily looks, geo × day panels — so only a few rows
/// per variant (or per geo and day) leave the server.
/// </summary>
/// <remarks>
/// <para><b>Units.</b> An experiment's units are the distinct <c>unit_id</c>s of its exposures first
/// exposed before the window's end; a unit's variant is the one of its earliest exposure (ties go to
/// the smaller name, so the answer is deterministic).</para>
/// <para><b>Metric.</b> A unit's metric is the sum of its events from max(window start, first exposure)
/// to the window's end; units without such events count with 0.</para>
/// <para><b>Covariate.</b> The pre-period value is the unit's sum over the pre-period days from the
/// user × day rollup. A unit with no rollup row in the pre-period (no impression and no conversion:
/// a new user) has x = 0 and the missing indicator m = 1.</para>
/// <para><b>Distributed tables.</b> Joins between per-unit aggregates run on subqueries; where raw
/// events meet the exposures, the exposures side is a <c>GLOBAL</c> subquery, so on a
/// <c>Distributed</c> table it is computed once and sent to the shards, and on a local table
/// <c>GLOBAL</c> changes nothing. Rollups are read with <c>sum() … GROUP BY</c>, never <c>FINAL</c>.</para>
/// </remarks>
public sealed class ExperimentStatisticsQueries(ClickHouseClient client)
{
    /// <summary>
    /// Per-variant CUPED sums with the post-exposure metric read from the user × day rollup over whole days from
    /// each unit's exposure day (see <see cref="PostExposureGranularity.Day"/>): the fast path for large logs.
    /// </summary>
    public async Task<CupedStatistics> CupedStatisticsAsync(string experimentId, ExperimentMetric metric, AnalysisWindow window,
        PrePeriod prePeriod, ExperimentMetric? covariate, PostExposureGranularity granularity, CancellationToken cancellationToken = default)
    {
        if (granularity == PostExposureGranularity.Exact)
            return await CupedStatisticsAsync(experimentId, metric, window, prePeriod, covariate, cancellationToken).ConfigureAwait(false);
        ArgumentNullException.ThrowIfNull(experimentId);
        ArgumentNullException.ThrowIfNull(window);
        ArgumentNullException.ThrowIfNull(prePeriod);
        if (window.Start.TimeOfDay != TimeSpan.Zero || window.End.TimeOfDay != TimeSpan.Zero)
            throw new ArgumentException("Day granularity needs a window of whole UTC days.", nameof(window));
        var result = await client.QueryJsonAsync(CupedFromRollupSql(experimentId, metric, window, prePeriod, covariate ?? metric), cancellationToken).ConfigureAwait(false);
        return new CupedStatistics(result.Rows.Select(ReadCupedSums).ToArray(), result.Statistics);
    }

    /// <summary>
    /// Per-variant n, Σy, Σy², Σx, Σx², Σxy, Σm, Σxm, Σmy of <paramref name="metric"/> with the
    /// pre-period covariate <paramref name="covariate"/> (by default the same metric).
    /// </summary>
    public async Task<CupedStatistics> CupedStatisticsAsync(string experimentId, ExperimentMetric metric, AnalysisWindow window,
        PrePeriod prePeriod, ExperimentMetric? covariate = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(experimentId);
        ArgumentNullException.ThrowIfNull(window);
        ArgumentNullException.ThrowIfNull(prePeriod);
        var result = await client.QueryJsonAsync(CupedSql(experimentId, metric, window, prePeriod, covariate ?? metric), cancellationToken).ConfigureAwait(false);
        return new CupedStatistics(result.Rows.Select(ReadCupedSums).ToArray(), result.Statistics);
    }

    /// <summary>Per-variant n, Σa, Σa², Σb, Σb², Σab of the per-unit ratio <paramref name="numerator"/> / <paramref name="denominator"/>,
    /// from raw events with the post-exposure window exact to the second.</summary>
    public Task<RatioStatisticsResult> RatioStatisticsAsync(string experimentId, ExperimentMetric numerator, ExperimentMetric denominator,
        AnalysisWindow window, CancellationToken cancellationToken = default) =>
        RatioStatisticsAsync(experimentId, numerator, denominator, window, PostExposureGranularity.Exact, cancellationToken);

    /// <summary>
    /// Per-variant ratio sums. With <see cref="PostExposureGranularity.Day"/> both per-unit sums come from the user × day
    /// rollup (which has every metric's sum) over whole days from each unit's exposure day, so no raw event is read;
    /// with <see cref="PostExposureGranularity.Exact"/> they come from raw events from the exposure's second.
    /// </summary>
    public async Task<RatioStatisticsResult> RatioStatisticsAsync(string experimentId, ExperimentMetric numerator, ExperimentMetric denominator,
        AnalysisWindow window, PostExposureGranularity granularity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(experimentId);
        ArgumentNullException.ThrowIfNull(window);
        if (granularity == PostExposureGranularity.Day && (window.Start.TimeOfDay != TimeSpan.Zero || window.End.TimeOfDay != TimeSpan.Zero))
            throw new ArgumentException("Day granularity needs a window of whole UTC days.", nameof(window));
        var sql = granularity == PostExposureGranularity.Day
            ? RatioFromRollupSql(experimentId, numerator, denominator, window)
            : RatioSql(experimentId, numerator, denominator, window);
        var result = await client.QueryJsonAsync(sql, cancellationToken).ConfigureAwait(false);
        return new RatioStatisticsResult(result.Rows.Select(ReadRatioVariant).ToArray(), result.Statistics);
    }

    /// <summary>One row of variant, n, sum_a, sum_a2, sum_b, sum_b2, sum_ab.</summary>
    internal static RatioVariant ReadRatioVariant(JsonElement r)
    {
        string name = r.GetProperty("variant").GetString()!;
        return new RatioVariant(name, new RatioStatistics(
            r.GetProperty("n").GetClickHouseInt64(),
            r.GetProperty("sum_a").GetClickHouseDouble(), r.GetProperty("sum_a2").GetClickHouseDouble(),
            r.GetProperty("sum_b").GetClickHouseDouble(), r.GetProperty("sum_b2").GetClickHouseDouble(),
            r.GetProperty("sum_ab").GetClickHouseDouble(), $"variants[{name}]"));
    }

    /// <summary>
    /// For every day of the window, the CUPED sums as they stood at the day's end: units exposed by
    /// then, each with its metric accumulated from exposure to then. Cumulated in SQL, because a
    /// unit's Σy² over days is not the sum of its daily squares.
    /// </summary>
    public async Task<DailyCupedStatistics> DailyCumulativeStatisticsAsync(string experimentId, ExperimentMetric metric, AnalysisWindow window,
        PrePeriod prePeriod, ExperimentMetric? covariate = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(experimentId);
        ArgumentNullException.ThrowIfNull(window);
        ArgumentNullException.ThrowIfNull(prePeriod);
        var result = await client.QueryJsonAsync(DailyCumulativeSql(experimentId, metric, window, prePeriod, covariate ?? metric), cancellationToken).ConfigureAwait(false);
        var looks = result.Rows
            .Select(r => (Day: DateOnly.ParseExact(r.GetProperty("cutoff").GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture), Sums: ReadCupedSums(r)))
            .GroupBy(x => x.Day)
            .Select(g => new DailyCupedLook(g.Key, g.Select(x => x.Sums).ToArray()))
            .ToArray();
        return new DailyCupedStatistics(looks, result.Statistics);
    }

    /// <summary>
    /// The geo × day panel of <paramref name="outcome"/> (from the geo × day rollup) and spend (of
    /// <paramref name="campaignId"/>, or of all campaigns when null) over the days [start, end).
    /// </summary>
    public async Task<GeoDayPanel> GeoDayPanelAsync(ExperimentMetric outcome, DateOnly start, DateOnly end, string? campaignId = null,
        CancellationToken cancellationToken = default)
    {
        if (start >= end)
            throw new ArgumentException($"The panel's start {start:O} must be before its end {end:O}.");
        var result = await client.QueryJsonAsync(GeoPanelSql(outcome, start, end, campaignId), cancellationToken).ConfigureAwait(false);
        var found = result.Rows.ToDictionary(
            r => (Geo: r.GetProperty("geo").GetString()!, Date: DateOnly.ParseExact(r.GetProperty("date").GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture)),
            r => (Outcome: r.GetProperty("outcome").GetClickHouseDouble(), Spend: r.GetProperty("spend").GetClickHouseDouble()));
        var geos = found.Keys.Select(k => k.Geo).Distinct().Order(StringComparer.Ordinal).ToArray();
        var observations = new List<GeoDayObservation>(geos.Length * (end.DayNumber - start.DayNumber));
        foreach (var geo in geos)
            for (var day = start; day < end; day = day.AddDays(1))
            {
                var (o, s) = found.GetValueOrDefault((geo, day));
                observations.Add(new GeoDayObservation(geo, day, o, s));
            }
        return new GeoDayPanel(start, end, geos, observations, result.Statistics);
    }

    /// <summary>
    /// Per variant, the cost of its units' impressions from their exposure (to the second) to the window's end, of
    /// <paramref name="campaignId"/> only when given, and how many impressions carried it. Variants without such
    /// impressions have no row.
    /// </summary>
    public async Task<SpendTotals> VariantSpendAsync(string experimentId, AnalysisWindow window, string? campaignId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(experimentId);
        ArgumentNullException.ThrowIfNull(window);
        var result = await client.QueryJsonAsync(VariantSpendSql(experimentId, window, campaignId), cancellationToken).ConfigureAwait(false);
        return ReadSpend(result, "variant");
    }

    /// <summary>Per geo, the spend of <paramref name="campaignId"/> in <c>geo_spend</c> over the days [start, end], and its rows.</summary>
    public async Task<SpendTotals> GeoSpendAsync(string campaignId, DateOnly start, DateOnly end, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(campaignId);
        var result = await client.QueryJsonAsync(ClickHouseSql.Format($"""
            SELECT geo, sum(spend) AS spend, count() AS rows
            FROM {ExperimentSchema.GeoSpend}
            WHERE campaign_id = {campaignId} AND date >= {start} AND date <= {end}
            GROUP BY geo
            ORDER BY geo
            """), cancellationToken).ConfigureAwait(false);
        return ReadSpend(result, "geo");
    }

    private static SpendTotals ReadSpend(ClickHouseJsonResult result, string key) => new(
        result.Rows.ToDictionary(r => r.GetProperty(key).GetString()!, r => r.GetProperty("spend").GetClickHouseDouble(), StringComparer.Ordinal),
        result.Rows.Sum(r => r.GetProperty("rows").GetClickHouseInt64()),
        result.Statistics);

    // ---- SQL ------------------------------------------------------------------------------------

    internal static ClickHouseSql VariantSpendSql(string experimentId, AnalysisWindow window, string? campaignId)
    {
        var campaign = campaignId is null ? ClickHouseSql.Format($"") : ClickHouseSql.Format($"AND campaign_id = {campaignId}");
        return ClickHouseSql.Format($"""
        SELECT variant, sum(cost) AS spend, sum(n) AS rows
        FROM
        (
            SELECT user_id, sum(cost) AS cost, count() AS n
            FROM {ExperimentSchema.Impressions}
            GLOBAL ANY INNER JOIN
            (
                {ExposedAtSql(experimentId)}
            ) USING user_id
            WHERE {PostExposureSql(window)} {campaign}
            GROUP BY user_id
        )
        ALL INNER JOIN
        (
            {UnitsSql(experimentId, window)}
        ) USING user_id
        GROUP BY variant
        ORDER BY variant
        """);
    }

    /// <summary>The experiment's units: user_id, variant (of the earliest exposure), exposed_at.</summary>
    internal static ClickHouseSql UnitsSql(string experimentId, AnalysisWindow window) => ClickHouseSql.Format($"""
        SELECT unit_id AS user_id,
               argMin(variant, (first_exposure_time, variant)) AS variant,
               min(first_exposure_time) AS exposed_at
        FROM {ExperimentSchema.Exposures}
        WHERE experiment_id = {experimentId}
        GROUP BY unit_id
        HAVING exposed_at < {window.End}
        """);

    /// <summary>Each exposed unit's first exposure, the right-hand side of the GLOBAL join with raw events.</summary>
    private static ClickHouseSql ExposedAtSql(string experimentId) => ClickHouseSql.Format($"""
        SELECT unit_id AS user_id, min(first_exposure_time) AS exposed_at
        FROM {ExperimentSchema.Exposures}
        WHERE experiment_id = {experimentId}
        GROUP BY unit_id
        """);

    /// <summary>The raw-event condition: inside the window and not before the unit's exposure.</summary>
    private static ClickHouseSql PostExposureSql(AnalysisWindow window) =>
        ClickHouseSql.Format($"event_time >= {window.Start} AND event_time < {window.End} AND event_time >= exposed_at");

    /// <summary>
    /// Every unit with its variant and its post-exposure value of each metric as columns v0, v1, …
    /// (0 where it has no events): one left join per raw table involved.
    /// </summary>
    internal static ClickHouseSql UnitValuesSql(string experimentId, AnalysisWindow window, IReadOnlyList<ExperimentMetric> metrics)
    {
        var current = UnitsSql(experimentId, window);
        var carried = new List<ClickHouseSql> { ClickHouseSql.Format($"variant") };
        var comma = ClickHouseSql.Format($", ");
        var byTable = metrics.Select((metric, index) => (Source: MetricSource.Of(metric), Column: new SqlIdentifier("v" + index.ToString(CultureInfo.InvariantCulture))))
            .GroupBy(x => x.Source.RawTable);
        foreach (var table in byTable)
        {
            var sums = ClickHouseSql.Join(comma, table.Select(x => ClickHouseSql.Format($"{x.Source.PerUnit(ClickHouseSql.Format($"sum({x.Source.RawValue})"))} AS {x.Column}")));
            var post = ClickHouseSql.Format($"""
                SELECT user_id, {sums}
                FROM {table.Key}
                GLOBAL ANY INNER JOIN
                (
                    {ExposedAtSql(experimentId)}
                ) USING user_id
                WHERE {PostExposureSql(window)}
                GROUP BY user_id
                """);
            var keep = ClickHouseSql.Join(comma, carried.Concat(table.Select(x => ClickHouseSql.Format($"{x.Column}"))));
            current = ClickHouseSql.Format($"""
                SELECT user_id, {keep}
                FROM
                (
                    {current}
                )
                ALL LEFT JOIN
                (
                    {post}
                ) USING user_id
                """);
            carried.AddRange(table.Select(x => ClickHouseSql.Format($"{x.Column}")));
        }
        return current;
    }

    /// <summary>Each exposed unit's pre-period value (pre_value) and has_pre = 1, for units with any activity in the pre-period.</summary>
    internal static ClickHouseSql PrePeriodSql(string experimentId, PrePeriod prePeriod, ExperimentMetric covariate) => ClickHouseSql.Format($"""
        SELECT user_id, {MetricSource.Of(covariate).PerUnit(ClickHouseSql.Format($"sum({MetricSource.Of(covariate).RollupValue})"))} AS pre_value, toUInt8(1) AS has_pre
        FROM {ExperimentSchema.UserDayRollup}
        WHERE date >= {prePeriod.Start} AND date < {prePeriod.End}
          AND user_id GLOBAL IN (SELECT unit_id FROM {ExperimentSchema.Exposures} WHERE experiment_id = {experimentId})
        GROUP BY user_id
        """);

    /// <summary>The nine CUPED sums over rows with columns y, x, m, grouped by the given keys.</summary>
    private static ClickHouseSql CupedSumsSql => ClickHouseSql.Format($"""
        count() AS n,
               sum(y) AS sum_y, sum(y * y) AS sum_y2,
               sum(x) AS sum_x, sum(x * x) AS sum_x2, sum(x * y) AS sum_xy,
               sum(m) AS sum_m, sum(x * m) AS sum_xm, sum(m * y) AS sum_my
        """);

    internal static ClickHouseSql CupedSql(string experimentId, ExperimentMetric metric, AnalysisWindow window, PrePeriod prePeriod, ExperimentMetric covariate) =>
        ClickHouseSql.Format($"""
        SELECT variant,
               {CupedSumsSql}
        FROM
        (
            SELECT variant, v0 AS y, pre_value AS x, toFloat64(1 - has_pre) AS m
            FROM
            (
                {UnitValuesSql(experimentId, window, [metric])}
            )
            ALL LEFT JOIN
            (
                {PrePeriodSql(experimentId, prePeriod, covariate)}
            ) USING user_id
        )
        GROUP BY variant
        ORDER BY variant
        """);

    /// <summary>
    /// The CUPED sums with each unit's post-exposure value summed over the user × day rollup from its exposure
    /// day to the window's last day, so no raw event is read.
    /// </summary>
    internal static ClickHouseSql CupedFromRollupSql(string experimentId, ExperimentMetric metric, AnalysisWindow window, PrePeriod prePeriod, ExperimentMetric covariate) =>
        ClickHouseSql.Format($"""
        SELECT variant,
               {CupedSumsSql}
        FROM
        (
            SELECT variant, y, pre_value AS x, toFloat64(1 - has_pre) AS m
            FROM
            (
                SELECT user_id, variant, y
                FROM
                (
                    {UnitsSql(experimentId, window)}
                )
                ALL LEFT JOIN
                (
                    SELECT user_id, {MetricSource.Of(metric).PerUnit(ClickHouseSql.Format($"sum({MetricSource.Of(metric).RollupValue})"))} AS y
                    FROM {ExperimentSchema.UserDayRollup}
                    GLOBAL ANY INNER JOIN
                    (
                        {ExposedAtSql(experimentId)}
                    ) USING user_id
                    WHERE date >= {window.FirstDay} AND date <= {window.LastDay} AND {MetricSource.Of(metric).RollupValue} != 0
                      AND date >= toDate(exposed_at)
                    GROUP BY user_id
                ) USING user_id
            )
            ALL LEFT JOIN
            (
                {PrePeriodSql(experimentId, prePeriod, covariate)}
            ) USING user_id
        )
        GROUP BY variant
        ORDER BY variant
        """);

    /// <summary>
    /// Daily cumulative looks read from the user × day rollup at day granularity, without expanding unit-days into
    /// cutoffs: with y_u(d) a unit's value up to day d, Σ_u y_u(d) and Σ_u y_u(d)² grow each day by Σ_u v_{u,d} and
    /// Σ_u (2·v_{u,d}·y_u(d−1) + v_{u,d}²), which need only each unit's running sum (its day-sorted values and
    /// arrayCumSum). Days with v = 0 add nothing to either and are skipped; rows of one day split over rollup parts
    /// not yet merged are consecutive increments and give the same sums. Units count from their exposure day; no
    /// covariate sums (the sequential path is unadjusted).
    /// </summary>
    public async Task<DailyRollupLooks> DailyCumulativeFromRollupAsync(string experimentId,
        ExperimentMetric metric, AnalysisWindow window, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(experimentId);
        ArgumentNullException.ThrowIfNull(window);
        int days = window.LastDay.DayNumber - window.FirstDay.DayNumber + 1;
        var value = MetricSource.Of(metric).RollupValue;
        // With f the per-unit value of the running sum c (c itself, or c > 0 for an indicator), a day adds f(c) − f(c − v)
        // to Σy and f(c)² − f(c − v)² to Σy²; for an indicator both are 1 on the unit's first day with an event.
        var increment = MetricSource.Of(metric).Indicator
            ? ClickHouseSql.Format($"sum(toFloat64(c > 0) - toFloat64(c - v > 0)) AS sum_v, sum(toFloat64(c > 0) - toFloat64(c - v > 0)) AS sum_dsq")
            : ClickHouseSql.Format($"sum(v) AS sum_v, sum(2 * v * (c - v) + v * v) AS sum_dsq");
        var increments = await client.QueryJsonAsync(ClickHouseSql.Format($"""
            SELECT variant, t, {increment}
            FROM
            (
                SELECT variant, arraySort(ks) AS keys, arraySort((x, k) -> k, vs, ks) AS vals, arrayCumSum(vals) AS cums
                FROM
                (
                    SELECT user_id, variant,
                           groupArray(toUInt32(date - {window.FirstDay})) AS ks,
                           groupArray(toFloat64({value})) AS vs
                    FROM {ExperimentSchema.UserDayRollup}
                    GLOBAL ANY INNER JOIN
                    (
                        {UnitsSql(experimentId, window)}
                    ) USING user_id
                    WHERE date >= {window.FirstDay} AND date <= {window.LastDay} AND {value} != 0 AND date >= toDate(exposed_at)
                    GROUP BY user_id, variant
                )
            )
            ARRAY JOIN keys AS t, vals AS v, cums AS c
            GROUP BY variant, t
            """), cancellationToken).ConfigureAwait(false);
        var arrivals = await client.QueryJsonAsync(ClickHouseSql.Format($"""
            SELECT variant, toUInt32(greatest(toDate(exposed_at), {window.FirstDay}) - {window.FirstDay}) AS t, count() AS n
            FROM
            (
                {UnitsSql(experimentId, window)}
            )
            GROUP BY variant, t
            """), cancellationToken).ConfigureAwait(false);

        var variants = arrivals.Rows.Select(r => r.GetProperty("variant").GetString()!)
            .Concat(increments.Rows.Select(r => r.GetProperty("variant").GetString()!)).Distinct().Order(StringComparer.Ordinal).ToArray();
        var n = variants.ToDictionary(v => v, _ => new double[days]);
        var sum = variants.ToDictionary(v => v, _ => new double[days]);
        var squares = variants.ToDictionary(v => v, _ => new double[days]);
        foreach (var r in arrivals.Rows)
            n[r.GetProperty("variant").GetString()!][r.GetProperty("t").GetClickHouseInt64()] += r.GetProperty("n").GetClickHouseInt64();
        foreach (var r in increments.Rows)
        {
            string variant = r.GetProperty("variant").GetString()!;
            long t = r.GetProperty("t").GetClickHouseInt64();
            sum[variant][t] += r.GetProperty("sum_v").GetClickHouseDouble();
            squares[variant][t] += r.GetProperty("sum_dsq").GetClickHouseDouble();
        }
        var looks = new List<DailyLook>(days);
        var running = variants.ToDictionary(v => v, _ => (N: 0.0, Y: 0.0, Y2: 0.0));
        for (int d = 0; d < days; d++)
        {
            foreach (var v in variants)
            {
                var (rn, ry, ry2) = running[v];
                running[v] = (rn + n[v][d], ry + sum[v][d], ry2 + squares[v][d]);
            }
            if (variants.Any(v => running[v].N > 0))
                looks.Add(new DailyLook(window.FirstDay.AddDays(d), variants.Where(v => running[v].N > 0)
                    .Select(v => new MeanVariant(v, new SufficientStatistics((long)running[v].N, running[v].Y, Math.Max(running[v].Y2, running[v].Y * running[v].Y / running[v].N), field: $"variants[{v}]")))
                    .ToArray()));
        }
        var cost = new ClickHouseQueryStatistics(increments.Statistics.RowsRead + arrivals.Statistics.RowsRead,
            increments.Statistics.BytesRead + arrivals.Statistics.BytesRead, increments.Statistics.Elapsed + arrivals.Statistics.Elapsed);
        return new DailyRollupLooks(looks, cost);
    }

    /// <summary>The ratio sums with each unit's numerator and denominator summed over the user × day rollup from its exposure day.</summary>
    internal static ClickHouseSql RatioFromRollupSql(string experimentId, ExperimentMetric numerator, ExperimentMetric denominator, AnalysisWindow window)
    {
        var a = MetricSource.Of(numerator);
        var b = MetricSource.Of(denominator);
        return ClickHouseSql.Format($"""
        SELECT variant,
               count() AS n,
               sum(a) AS sum_a, sum(a * a) AS sum_a2,
               sum(b) AS sum_b, sum(b * b) AS sum_b2,
               sum(a * b) AS sum_ab
        FROM
        (
            SELECT variant, a, b
            FROM
            (
                {UnitsSql(experimentId, window)}
            )
            ALL LEFT JOIN
            (
                SELECT user_id, {a.PerUnit(ClickHouseSql.Format($"sum({a.RollupValue})"))} AS a, {b.PerUnit(ClickHouseSql.Format($"sum({b.RollupValue})"))} AS b
                FROM {ExperimentSchema.UserDayRollup}
                GLOBAL ANY INNER JOIN
                (
                    {ExposedAtSql(experimentId)}
                ) USING user_id
                WHERE date >= {window.FirstDay} AND date <= {window.LastDay} AND date >= toDate(exposed_at)
                GROUP BY user_id
            ) USING user_id
        )
        GROUP BY variant
        ORDER BY variant
        """);
    }

    internal static ClickHouseSql RatioSql(string experimentId, ExperimentMetric numerator, ExperimentMetric denominator, AnalysisWindow window) =>
        ClickHouseSql.Format($"""
        SELECT variant,
               count() AS n,
               sum(a) AS sum_a, sum(a * a) AS sum_a2,
               sum(b) AS sum_b, sum(b * b) AS sum_b2,
               sum(a * b) AS sum_ab
        FROM
        (
            SELECT variant, v0 AS a, v1 AS b
            FROM
            (
                {UnitValuesSql(experimentId, window, [numerator, denominator])}
            )
        )
        GROUP BY variant
        ORDER BY variant
        """);

    /// <summary>
    /// Per (unit, day) post-exposure sums plus a zero row on each unit's first day in the window;
    /// each row is copied to every cutoff day from its own day to the last (arrayJoin), so summing
    /// per (unit, cutoff) gives the unit's value accumulated to the cutoff's end.
    /// </summary>
    internal static ClickHouseSql DailyCumulativeSql(string experimentId, ExperimentMetric metric, AnalysisWindow window, PrePeriod prePeriod, ExperimentMetric covariate)
    {
        var source = MetricSource.Of(metric);
        var units = UnitsSql(experimentId, window);
        return ClickHouseSql.Format($"""
        SELECT cutoff, variant,
               {CupedSumsSql}
        FROM
        (
            SELECT user_id, cutoff, {source.PerUnit(ClickHouseSql.Format($"sum(v)"))} AS y
            FROM
            (
                SELECT user_id, day + arrayJoin(range(toUInt32({window.LastDay} - day + 1))) AS cutoff, v
                FROM
                (
                    SELECT user_id, toDate(event_time) AS day, toFloat64(sum({source.RawValue})) AS v
                    FROM {source.RawTable}
                    GLOBAL ANY INNER JOIN
                    (
                        {ExposedAtSql(experimentId)}
                    ) USING user_id
                    WHERE {PostExposureSql(window)}
                    GROUP BY user_id, day
                    UNION ALL
                    SELECT user_id, greatest(toDate(exposed_at), {window.FirstDay}) AS day, toFloat64(0) AS v
                    FROM
                    (
                        {units}
                    )
                )
            )
            GROUP BY user_id, cutoff
        )
        ALL INNER JOIN
        (
            SELECT user_id, variant, pre_value AS x, toFloat64(1 - has_pre) AS m
            FROM
            (
                {units}
            )
            ALL LEFT JOIN
            (
                {PrePeriodSql(experimentId, prePeriod, covariate)}
            ) USING user_id
        ) USING user_id
        GROUP BY cutoff, variant
        ORDER BY cutoff, variant
        """);
    }

    internal static ClickHouseSql GeoPanelSql(ExperimentMetric outcome, DateOnly start, DateOnly end, string? campaignId)
    {
        var campaign = campaignId is null ? ClickHouseSql.Format($"") : ClickHouseSql.Format($"AND campaign_id = {campaignId}");
        return ClickHouseSql.Format($"""
        SELECT geo, date, outcome, spend
        FROM
        (
            SELECT geo, date, toFloat64(sum({MetricSource.Of(outcome).RollupValue})) AS outcome
            FROM {ExperimentSchema.GeoDayRollup}
            WHERE date >= {start} AND date < {end}
            GROUP BY geo, date
        )
        ALL FULL JOIN
        (
            SELECT geo, date, sum(spend) AS spend
            FROM {ExperimentSchema.GeoSpend}
            WHERE date >= {start} AND date < {end} {campaign}
            GROUP BY geo, date
        ) USING geo, date
        ORDER BY geo, date
        """);
    }

    private static CupedVariantSums ReadCupedSums(JsonElement row) => new(
        row.GetProperty("variant").GetString()!,
        row.GetProperty("n").GetClickHouseInt64(),
        row.GetProperty("sum_y").GetClickHouseDouble(), row.GetProperty("sum_y2").GetClickHouseDouble(),
        row.GetProperty("sum_x").GetClickHouseDouble(), row.GetProperty("sum_x2").GetClickHouseDouble(), row.GetProperty("sum_xy").GetClickHouseDouble(),
        row.GetProperty("sum_m").GetClickHouseDouble(), row.GetProperty("sum_xm").GetClickHouseDouble(), row.GetProperty("sum_my").GetClickHouseDouble());
}
