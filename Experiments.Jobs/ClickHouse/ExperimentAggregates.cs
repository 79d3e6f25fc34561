using System.Globalization;
using Experiments.Engine.AbTesting;

namespace Experiments.Jobs.ClickHouse;

/// <summary>What an experiment's aggregates are folded over: the first day of post-exposure sums and the pre-period.</summary>
/// <param name="ExperimentId">The experiment.</param>
/// <param name="FirstDay">The first day whose events count (the analysis window's start).</param>
/// <param name="PrePeriod">The CUPED pre-period.</param>
public sealed record AggregatesScope(string ExperimentId, DateOnly FirstDay, PrePeriod PrePeriod);

/// <summary>The outcome of a refresh: which snapshot answers a window ending on a day, what was folded, what it read.</summary>
/// <param name="Through">The last day folded in (the window's last day, or a later day folded earlier).</param>
/// <param name="Snapshots">Each folded day and the version of its per-unit snapshot.</param>
/// <param name="FoldedDays">The days folded (or folded again) by this refresh, in order; empty when nothing had changed.</param>
/// <param name="Cost">Rows and bytes read by the refresh (the change check and every fold), and its server time.</param>
public sealed record AggregatesRefresh(DateOnly Through, IReadOnlyDictionary<DateOnly, ulong> Snapshots, IReadOnlyList<DateOnly> FoldedDays,
    ClickHouseQueryStatistics Cost)
{
    /// <summary>The snapshot version of <paramref name="day"/>.</summary>
    /// <exception cref="InvalidOperationException">The day has not been folded.</exception>
    public ulong VersionOf(DateOnly day) => Snapshots.TryGetValue(day, out var version)
        ? version
        : throw new InvalidOperationException($"The aggregates have not been folded through {day:yyyy-MM-dd}.");
}

/// <summary>
/// Incremental daily refresh: per experiment, per-unit aggregates in ClickHouse (variant, first exposure, pre-period
/// sums of every metric, post-exposure sums of every metric from the first day through the last folded day), from
/// which the engine's inputs are read without touching the logs again.
/// </summary>
/// <remarks>
/// <para><b>Snapshots.</b> Folding day d writes a new per-unit snapshot <c>(through = d, version)</c>: the snapshot of
/// d − 1 plus each unit's user × day rollup sums of day d (from its exposure day on), with the units exposed on day d
/// added (their pre-period sums read once, when they arrive). Next to it go the daily cumulative looks of day d (per
/// variant and metric n, Σy, Σy²). A snapshot is never updated: folding a day again writes a new version.</para>
/// <para><b>Watermark.</b> Per day, the rows folded in: impressions and conversions of the day (counted from the geo ×
/// day rollup, whose sums do not change when parts merge) and the experiment's exposure rows first exposed that day;
/// also for the pre-period's days. A refresh counts them again (a few thousand rows read) and folds from the earliest
/// day whose counts changed — a late row re-folds its day and the days after it, since each snapshot builds on the
/// one before — or, with nothing changed, only the days not yet folded. A changed pre-period day, first day or
/// pre-period folds everything again. The watermark rows of a refresh are written in one insert at the end, after
/// its snapshots: a refresh cut off half-way leaves snapshots no watermark names, and the next one starts over.</para>
/// <para><b>Cost.</b> A nightly refresh reads the new day's rollup rows, the experiment's exposures and the previous
/// snapshot (one row per unit) — independent of the experiment's age — plus the pre-period's rollup when units
/// arrived that day. Reads of engine inputs read one snapshot or the small looks table.</para>
/// <para><b>Exactness.</b> The sums are those of <see cref="ExperimentStatisticsQueries"/> at day granularity: units
/// exposed before the window's end, post-exposure rollup rows from max(first day, exposure day) to the last day, the
/// pre-period covariate with its missing indicator.</para>
/// <para><b>Concurrency.</b> One refresh at a time per instance. Two processes refreshing one experiment at once
/// write different versions and the last watermark wins; both sets of snapshots are complete.</para>
/// </remarks>
public sealed class ExperimentAggregates(ClickHouseClient client)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The sum columns of the user × day rollup that the aggregates carry, in order.</summary>
    private static readonly string[] SumColumns = ["impressions", "clicks", "cost", "conversions", "conversion_value"];

    /// <summary>
    /// Brings the aggregates of <paramref name="scope"/> up to <paramref name="lastDay"/> (and re-folds any folded
    /// day whose source rows changed), or with <paramref name="rebuild"/> folds every day again from scratch.
    /// </summary>
    public async Task<AggregatesRefresh> RefreshAsync(AggregatesScope scope, DateOnly lastDay, bool rebuild = false,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (lastDay < scope.FirstDay)
            throw new ArgumentException($"The last day {lastDay:yyyy-MM-dd} is before the first day {scope.FirstDay:yyyy-MM-dd}.", nameof(lastDay));
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await RefreshLockedAsync(scope, lastDay, rebuild, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<AggregatesRefresh> RefreshLockedAsync(AggregatesScope scope, DateOnly lastDay, bool rebuild, CancellationToken cancellationToken)
    {
        var cost = new ClickHouseQueryStatistics(0, 0, TimeSpan.Zero);
        var (watermark, commit, watermarkCost) = await ReadWatermarkAsync(scope.ExperimentId, cancellationToken).ConfigureAwait(false);
        cost = Add(cost, watermarkCost);
        bool sameScope = watermark.Count > 0 && watermark.Values.All(w =>
            w.FirstDay == scope.FirstDay && w.PreStart == scope.PrePeriod.Start && w.PreEnd == scope.PrePeriod.End);
        if (!sameScope)
            watermark = [];
        var lastFolded = watermark.Where(w => w.Value.SnapshotVersion != 0).Select(w => w.Key).DefaultIfEmpty(DateOnly.MinValue).Max();
        var through = lastFolded > lastDay ? lastFolded : lastDay;

        var (observed, observeCost) = await ObserveAsync(scope, through, cancellationToken).ConfigureAwait(false);
        cost = Add(cost, observeCost);

        // The earliest day to fold: the first day on a rebuild or a changed pre-period (or exposure before the first
        // day); else the first changed or never-folded day.
        DateOnly? start = rebuild || !sameScope ? scope.FirstDay : null;
        foreach (var day in observed.Keys.Union(watermark.Keys).Order())
        {
            if (start is not null)
                break;
            var seen = observed.GetValueOrDefault(day);
            var folded = watermark.TryGetValue(day, out var w) ? new DayCounts(w.Impressions, w.Conversions, w.Exposures) : default;
            if (seen != folded)
                start = day < scope.FirstDay ? scope.FirstDay : day;
        }
        for (var day = scope.FirstDay; start is null && day <= through; day = day.AddDays(1))
            if (!watermark.TryGetValue(day, out var w) || w.SnapshotVersion == 0)
                start = day;

        var snapshots = watermark.Where(w => w.Value.SnapshotVersion != 0).ToDictionary(w => w.Key, w => w.Value.SnapshotVersion);
        if (start is null)
            return new AggregatesRefresh(through, snapshots, [], cost);

        ulong version = Math.Max((ulong)DateTime.UtcNow.Ticks, commit + 1);
        var foldedDays = new List<DateOnly>();
        for (var day = start.Value; day <= through; day = day.AddDays(1))
        {
            ulong previous = day == scope.FirstDay ? 0 : snapshots.GetValueOrDefault(day.AddDays(-1));
            bool arrivals = day == scope.FirstDay
                ? observed.Any(o => o.Key <= day && o.Value.Exposures > 0)
                : observed.GetValueOrDefault(day).Exposures > 0;
            cost = Add(cost, await client.ExecuteCountedAsync(FoldSql(scope, day, version, previous, arrivals), cancellationToken).ConfigureAwait(false));
            cost = Add(cost, await client.ExecuteCountedAsync(LooksSql(scope.ExperimentId, day, version), cancellationToken).ConfigureAwait(false));
            snapshots[day] = version;
            foldedDays.Add(day);
        }

        var now = DateTime.UtcNow;
        now = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
        var rows = observed.Keys.Union(watermark.Keys).Union(snapshots.Keys).Distinct().Order().Select(day =>
        {
            var counts = observed.GetValueOrDefault(day);
            return ClickHouseSql.Format($"({scope.ExperimentId}, {day}, {version}, {snapshots.GetValueOrDefault(day)}, {scope.FirstDay}, {scope.PrePeriod.Start}, {scope.PrePeriod.End}, {counts.Impressions}, {counts.Conversions}, {counts.Exposures}, {now})");
        });
        await client.ExecuteAsync(ClickHouseSql.Format($"""
            INSERT INTO {ExperimentSchema.RefreshWatermarks}
                (experiment_id, date, version, snapshot_version, first_day, pre_start, pre_end, impressions, conversions, exposures, folded_at)
            VALUES {ClickHouseSql.Join(ClickHouseSql.Format($", "), rows)}
            """), cancellationToken).ConfigureAwait(false);
        return new AggregatesRefresh(through, snapshots, foldedDays, cost);
    }

    /// <summary>Per-variant CUPED sums of <paramref name="metric"/> (covariate: <paramref name="covariate"/> over the pre-period) from the snapshot of <paramref name="lastDay"/>.</summary>
    public async Task<CupedStatistics> CupedStatisticsAsync(AggregatesRefresh refresh, string experimentId, ExperimentMetric metric,
        ExperimentMetric covariate, DateOnly lastDay, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(refresh);
        var y = MetricSource.Of(metric);
        var x = MetricSource.Of(covariate);
        var result = await client.QueryJsonAsync(ClickHouseSql.Format($"""
            SELECT variant,
                   count() AS n,
                   sum(y) AS sum_y, sum(y * y) AS sum_y2,
                   sum(x) AS sum_x, sum(x * x) AS sum_x2, sum(x * y) AS sum_xy,
                   sum(m) AS sum_m, sum(x * m) AS sum_xm, sum(m * y) AS sum_my
            FROM
            (
                SELECT variant, {y.PerUnit(y.RollupValue)} AS y, {x.PerUnit(PreColumn(x))} AS x, toFloat64(1 - has_pre) AS m
                FROM {ExperimentSchema.UnitAggregates}
                WHERE experiment_id = {experimentId} AND through = {lastDay} AND version = {refresh.VersionOf(lastDay)}
            )
            GROUP BY variant
            ORDER BY variant
            """), cancellationToken).ConfigureAwait(false);
        return new CupedStatistics(result.Rows.Select(r => new CupedVariantSums(
            r.GetProperty("variant").GetString()!,
            r.GetProperty("n").GetClickHouseInt64(),
            r.GetProperty("sum_y").GetClickHouseDouble(), r.GetProperty("sum_y2").GetClickHouseDouble(),
            r.GetProperty("sum_x").GetClickHouseDouble(), r.GetProperty("sum_x2").GetClickHouseDouble(), r.GetProperty("sum_xy").GetClickHouseDouble(),
            r.GetProperty("sum_m").GetClickHouseDouble(), r.GetProperty("sum_xm").GetClickHouseDouble(), r.GetProperty("sum_my").GetClickHouseDouble())).ToArray(),
            result.Statistics);
    }

    /// <summary>Per-variant ratio sums of <paramref name="numerator"/> / <paramref name="denominator"/> from the snapshot of <paramref name="lastDay"/>.</summary>
    public async Task<RatioStatisticsResult> RatioStatisticsAsync(AggregatesRefresh refresh, string experimentId, ExperimentMetric numerator,
        ExperimentMetric denominator, DateOnly lastDay, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(refresh);
        var a = MetricSource.Of(numerator);
        var b = MetricSource.Of(denominator);
        var result = await client.QueryJsonAsync(ClickHouseSql.Format($"""
            SELECT variant,
                   count() AS n,
                   sum(a) AS sum_a, sum(a * a) AS sum_a2,
                   sum(b) AS sum_b, sum(b * b) AS sum_b2,
                   sum(a * b) AS sum_ab
            FROM
            (
                SELECT variant, {a.PerUnit(a.RollupValue)} AS a, {b.PerUnit(b.RollupValue)} AS b
                FROM {ExperimentSchema.UnitAggregates}
                WHERE experiment_id = {experimentId} AND through = {lastDay} AND version = {refresh.VersionOf(lastDay)}
            )
            GROUP BY variant
            ORDER BY variant
            """), cancellationToken).ConfigureAwait(false);
        return new RatioStatisticsResult(result.Rows.Select(ExperimentStatisticsQueries.ReadRatioVariant).ToArray(), result.Statistics);
    }

    /// <summary>
    /// The daily cumulative looks of <paramref name="metric"/> from the first day through <paramref name="lastDay"/>, as
    /// <see cref="ExperimentStatisticsQueries.DailyCumulativeFromRollupAsync"/> gives them, from the looks table.
    /// </summary>
    public async Task<DailyRollupLooks> DailyLooksAsync(AggregatesRefresh refresh, AggregatesScope scope, ExperimentMetric metric,
        DateOnly lastDay, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(refresh);
        ArgumentNullException.ThrowIfNull(scope);
        var result = await client.QueryJsonAsync(ClickHouseSql.Format($"""
            SELECT toString(through) AS day, version, variant, n, sum_y, sum_y2
            FROM {ExperimentSchema.DailyLooks}
            WHERE experiment_id = {scope.ExperimentId} AND metric = {metric.ToString()}
              AND through >= {scope.FirstDay} AND through <= {lastDay}
            ORDER BY through, variant
            """), cancellationToken).ConfigureAwait(false);
        var looks = result.Rows
            .Select(r => (Day: ParseDay(r.GetProperty("day").GetString()!), Version: ulong.Parse(r.GetProperty("version").ToString(), CultureInfo.InvariantCulture), Row: r))
            .Where(r => refresh.Snapshots.TryGetValue(r.Day, out var v) && v == r.Version)
            .GroupBy(r => r.Day)
            .OrderBy(g => g.Key)
            .Select(g => new DailyLook(g.Key, g.Select(r => (Variant: r.Row.GetProperty("variant").GetString()!, N: r.Row.GetProperty("n").GetClickHouseInt64(),
                    Sum: r.Row.GetProperty("sum_y").GetClickHouseDouble(), Squares: r.Row.GetProperty("sum_y2").GetClickHouseDouble()))
                .Where(v => v.N > 0)
                .OrderBy(v => v.Variant, StringComparer.Ordinal)
                .Select(v => new MeanVariant(v.Variant, new SufficientStatistics(v.N, v.Sum, Math.Max(v.Squares, v.Sum * v.Sum / v.N), field: $"variants[{v.Variant}]")))
                .ToArray()))
            .Where(l => l.Variants.Count > 0)
            .ToArray();
        return new DailyRollupLooks(looks, result.Statistics);
    }

    // ---- the watermark ----------------------------------------------------------------------------

    private sealed record WatermarkDay(ulong SnapshotVersion, DateOnly FirstDay, DateOnly PreStart, DateOnly PreEnd, long Impressions, long Conversions, long Exposures);

    private readonly record struct DayCounts(long Impressions, long Conversions, long Exposures);

    /// <summary>The watermark of the last committed refresh (its version), or nothing.</summary>
    private async Task<(Dictionary<DateOnly, WatermarkDay> Days, ulong Version, ClickHouseQueryStatistics Cost)> ReadWatermarkAsync(string experimentId,
        CancellationToken cancellationToken)
    {
        var result = await client.QueryJsonAsync(ClickHouseSql.Format($"""
            SELECT toString(date) AS day, version, snapshot_version, toString(first_day) AS first_day, toString(pre_start) AS pre_start,
                   toString(pre_end) AS pre_end, impressions, conversions, exposures
            FROM {ExperimentSchema.RefreshWatermarks}
            WHERE experiment_id = {experimentId}
              AND version = (SELECT max(version) FROM {ExperimentSchema.RefreshWatermarks} WHERE experiment_id = {experimentId})
            """), cancellationToken).ConfigureAwait(false);
        var days = new Dictionary<DateOnly, WatermarkDay>();
        ulong version = 0;
        foreach (var r in result.Rows)
        {
            version = ulong.Parse(r.GetProperty("version").ToString(), CultureInfo.InvariantCulture);
            days[ParseDay(r.GetProperty("day").GetString()!)] = new WatermarkDay(
                ulong.Parse(r.GetProperty("snapshot_version").ToString(), CultureInfo.InvariantCulture),
                ParseDay(r.GetProperty("first_day").GetString()!), ParseDay(r.GetProperty("pre_start").GetString()!), ParseDay(r.GetProperty("pre_end").GetString()!),
                r.GetProperty("impressions").GetClickHouseInt64(), r.GetProperty("conversions").GetClickHouseInt64(), r.GetProperty("exposures").GetClickHouseInt64());
        }
        return (days, version, result.Statistics);
    }

    /// <summary>
    /// Per day, the source rows now: impressions and conversions of the pre-period's days and of the first day through
    /// <paramref name="through"/>, and the experiment's exposure rows by day up to <paramref name="through"/>.
    /// </summary>
    private async Task<(Dictionary<DateOnly, DayCounts> Days, ClickHouseQueryStatistics Cost)> ObserveAsync(AggregatesScope scope, DateOnly through,
        CancellationToken cancellationToken)
    {
        var volumes = await client.QueryJsonAsync(ClickHouseSql.Format($"""
            SELECT toString(date) AS day, toUInt64(sum(impressions)) AS impressions, toUInt64(sum(conversions)) AS conversions
            FROM {ExperimentSchema.GeoDayRollup}
            WHERE (date >= {scope.PrePeriod.Start} AND date < {scope.PrePeriod.End}) OR (date >= {scope.FirstDay} AND date <= {through})
            GROUP BY date
            """), cancellationToken).ConfigureAwait(false);
        var exposures = await client.QueryJsonAsync(ClickHouseSql.Format($"""
            SELECT toString(toDate(first_exposure_time)) AS day, count() AS exposures
            FROM {ExperimentSchema.Exposures}
            WHERE experiment_id = {scope.ExperimentId} AND first_exposure_time < {through.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc)}
            GROUP BY day
            """), cancellationToken).ConfigureAwait(false);
        var days = new Dictionary<DateOnly, DayCounts>();
        foreach (var r in volumes.Rows)
        {
            var day = ParseDay(r.GetProperty("day").GetString()!);
            days[day] = days.GetValueOrDefault(day) with { Impressions = r.GetProperty("impressions").GetClickHouseInt64(), Conversions = r.GetProperty("conversions").GetClickHouseInt64() };
        }
        foreach (var r in exposures.Rows)
        {
            var day = ParseDay(r.GetProperty("day").GetString()!);
            days[day] = days.GetValueOrDefault(day) with { Exposures = r.GetProperty("exposures").GetClickHouseInt64() };
        }
        return (days, Add(volumes.Statistics, exposures.Statistics));
    }

    // ---- SQL ----------------------------------------------------------------------------------------

    private static ClickHouseSql PreColumn(MetricSource source) => ClickHouseSql.Format($"{new SqlIdentifier("pre_" + source.RollupValue.Text)}");

    private static ClickHouseSql Columns(string prefix, string? alias = null) => ClickHouseSql.Join(ClickHouseSql.Format($", "),
        SumColumns.Select(c => alias is null
            ? ClickHouseSql.Format($"{new SqlIdentifier(prefix + c)}")
            : ClickHouseSql.Format($"{new SqlIdentifier(prefix + c)} AS {new SqlIdentifier(alias + c)}")));

    /// <summary>
    /// Writes the snapshot of <paramref name="day"/>: the units exposed by its end with the previous snapshot's sums
    /// (version <paramref name="previous"/>; 0 for none) plus the day's rollup sums, and pre-period sums for units
    /// arriving that day (read only when <paramref name="arrivals"/>).
    /// </summary>
    internal static ClickHouseSql FoldSql(AggregatesScope scope, DateOnly day, ulong version, ulong previous, bool arrivals)
    {
        var comma = ClickHouseSql.Format($", ");
        var end = day.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var start = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var arrived = day == scope.FirstDay
            ? ClickHouseSql.Format($"min(first_exposure_time) < {end}")
            : ClickHouseSql.Format($"min(first_exposure_time) >= {start} AND min(first_exposure_time) < {end}");
        var pre = ClickHouseSql.Join(comma, SumColumns.Select(c => ClickHouseSql.Format($"if(in_prev, {new SqlIdentifier("prev_pre_" + c)}, {new SqlIdentifier("new_pre_" + c)})")));
        var post = ClickHouseSql.Join(comma, SumColumns.Select(c => ClickHouseSql.Format($"{new SqlIdentifier("prev_" + c)} + {new SqlIdentifier("day_" + c)}")));
        var newPre = ClickHouseSql.Join(comma, SumColumns.Select(c => ClickHouseSql.Format($"toFloat64(sum({new SqlIdentifier(c)})) AS {new SqlIdentifier("new_pre_" + c)}")));
        var daySums = ClickHouseSql.Join(comma, SumColumns.Select(c => ClickHouseSql.Format($"toFloat64(sum({new SqlIdentifier(c)})) AS {new SqlIdentifier("day_" + c)}")));
        var units = ClickHouseSql.Format($"""
            SELECT user_id, variant, exposed_at, in_prev, prev_has_pre, {Columns("prev_pre_")}, {Columns("prev_")}
            FROM
            (
                {ExperimentStatisticsQueries.UnitsSql(scope.ExperimentId, new AnalysisWindow(start, end))}
            )
            ALL LEFT JOIN
            (
                SELECT user_id, toUInt8(1) AS in_prev, has_pre AS prev_has_pre, {Columns("pre_", "prev_pre_")}, {Columns("", "prev_")}
                FROM {ExperimentSchema.UnitAggregates}
                WHERE experiment_id = {scope.ExperimentId} AND through = {day.AddDays(-1)} AND version = {previous}
            ) USING user_id
            """);
        // Units arriving that day get their pre-period sums; without arrivals the pre-period is not read at all.
        var withPre = arrivals
            ? ClickHouseSql.Format($"""
                SELECT user_id, variant, exposed_at, in_prev, prev_has_pre, new_has_pre, {Columns("prev_pre_")}, {Columns("new_pre_")}, {Columns("prev_")}
                FROM
                (
                    {units}
                )
                ALL LEFT JOIN
                (
                    SELECT user_id, toUInt8(1) AS new_has_pre, {newPre}
                    FROM {ExperimentSchema.UserDayRollup}
                    WHERE date >= {scope.PrePeriod.Start} AND date < {scope.PrePeriod.End}
                      AND user_id GLOBAL IN
                      (
                          SELECT unit_id FROM {ExperimentSchema.Exposures}
                          WHERE experiment_id = {scope.ExperimentId}
                          GROUP BY unit_id
                          HAVING {arrived}
                      )
                    GROUP BY user_id
                ) USING user_id
                """)
            : ClickHouseSql.Format($"""
                SELECT user_id, variant, exposed_at, in_prev, prev_has_pre, toUInt8(0) AS new_has_pre, {Columns("prev_pre_")},
                       {ClickHouseSql.Join(comma, SumColumns.Select(c => ClickHouseSql.Format($"toFloat64(0) AS {new SqlIdentifier("new_pre_" + c)}")))}, {Columns("prev_")}
                FROM
                (
                    {units}
                )
                """);
        // Every unit here was first exposed by the day's end, so the day is never before its exposure day.
        return ClickHouseSql.Format($"""
            INSERT INTO {ExperimentSchema.UnitAggregates}
                (experiment_id, through, version, user_id, variant, exposed_at, has_pre, {Columns("pre_")}, {Columns("")})
            SELECT {scope.ExperimentId}, {day}, {version}, user_id, variant, exposed_at,
                   if(in_prev, prev_has_pre, new_has_pre), {pre}, {post}
            FROM
            (
                {withPre}
            )
            ALL LEFT JOIN
            (
                SELECT user_id, {daySums}
                FROM {ExperimentSchema.UserDayRollup}
                WHERE date = {day}
                GROUP BY user_id
            ) USING user_id
            """);
    }

    /// <summary>The daily look of every metric at the end of <paramref name="day"/>, from its snapshot.</summary>
    internal static ClickHouseSql LooksSql(string experimentId, DateOnly day, ulong version)
    {
        var pairs = ClickHouseSql.Join(ClickHouseSql.Format($", "), Enum.GetValues<ExperimentMetric>().Select(m =>
            ClickHouseSql.Format($"({m.ToString()}, {MetricSource.Of(m).PerUnit(MetricSource.Of(m).RollupValue)})")));
        return ClickHouseSql.Format($"""
            INSERT INTO {ExperimentSchema.DailyLooks} (experiment_id, through, version, variant, metric, n, sum_y, sum_y2)
            SELECT {experimentId}, {day}, {version}, variant, metric, count(), sum(y), sum(y * y)
            FROM
            (
                SELECT variant, arrayJoin([{pairs}]) AS pair, tupleElement(pair, 1) AS metric, tupleElement(pair, 2) AS y
                FROM {ExperimentSchema.UnitAggregates}
                WHERE experiment_id = {experimentId} AND through = {day} AND version = {version}
            )
            GROUP BY variant, metric
            """);
    }

    private static DateOnly ParseDay(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static ClickHouseQueryStatistics Add(ClickHouseQueryStatistics a, ClickHouseQueryStatistics b) =>
        new(a.RowsRead + b.RowsRead, a.BytesRead + b.BytesRead, a.Elapsed + b.Elapsed);
}
