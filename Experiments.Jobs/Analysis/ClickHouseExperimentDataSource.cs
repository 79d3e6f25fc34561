using System.Globalization;
using Experiments.Engine.AbTesting;
using Experiments.Engine.SyntheticControl;
using Experiments.Jobs.ClickHouse;
using Experiments.Jobs.Results;

namespace Experiments.Jobs.Analysis;

/// <summary>
/// The experiment data source over the ClickHouse impression logs: the data contract is checked against
/// <c>system.columns</c> and per-day row counts, and every read is one pushdown query returning the engine's
/// inputs (<see cref="ExperimentStatisticsQueries"/>), with ClickHouse's own count of rows and bytes read.
/// </summary>
/// <remarks>
/// Metric names of experiment definitions map onto the logs' allow-listed metrics (<see cref="MetricNames"/>):
/// <c>revenue</c> (conversion value), <c>conversions</c>, <c>clicks</c>, <c>impressions</c>, <c>cost</c>; ratio
/// metrics are named <c>a_per_b</c> (<c>clicks_per_impression</c>, <c>revenue_per_conversion</c>, …). A name the
/// logs do not have fails the contract with a message listing the known ones.
/// </remarks>
/// <param name="client">The ClickHouse client.</param>
/// <param name="freshness">The freshness rule of the contract check.</param>
/// <param name="granularity">How mean, proportion and ratio metrics read the post-exposure window: whole days from the
/// user × day rollup (the default, cheap) or exact to the second from raw events.</param>
/// <param name="aggregates">When given (and at day granularity), an A/B experiment's mean, proportion, ratio and daily
/// inputs come from its per-unit aggregates, which each read first brings up to the window's last day (the incremental
/// refresh: only new or changed days are read from the logs); the refresh's reads count in the read's cost.</param>
public sealed class ClickHouseExperimentDataSource(ClickHouseClient client, FreshnessRule? freshness = null,
    PostExposureGranularity granularity = PostExposureGranularity.Day, ExperimentAggregates? aggregates = null) : IExperimentDataSource
{
    private readonly ExperimentStatisticsQueries _queries = new(client);

    /// <summary>Metric names experiment definitions may use, and the log metric each one reads.</summary>
    public static IReadOnlyDictionary<string, ExperimentMetric> MetricNames { get; } = new Dictionary<string, ExperimentMetric>(StringComparer.Ordinal)
    {
        ["revenue"] = ExperimentMetric.ConversionValue,
        ["conversion_value"] = ExperimentMetric.ConversionValue,
        ["conversions"] = ExperimentMetric.Conversions,
        ["conversion"] = ExperimentMetric.Conversions,
        ["clicks"] = ExperimentMetric.Clicks,
        ["click"] = ExperimentMetric.Clicks,
        ["impressions"] = ExperimentMetric.Impressions,
        ["impression"] = ExperimentMetric.Impressions,
        ["cost"] = ExperimentMetric.Cost,
        ["converted"] = ExperimentMetric.Converted,
        ["clicked"] = ExperimentMetric.Clicked,
    };

    /// <summary>The metric names whose per-unit value is 0 or 1, the only ones a proportion metric may use.</summary>
    public static IReadOnlyList<string> ZeroOneMetricNames { get; } =
        MetricNames.Where(m => MetricSource.Of(m.Value).Indicator).Select(m => m.Key).ToArray();

    /// <inheritdoc />
    public async Task<DataContractResult> CheckContractAsync(ExperimentDefinition experiment, DateRange window, CancellationToken cancellationToken)
    {
        var problems = new List<ContractProblem>();
        var required = new List<RequiredColumn>();
        var rawTables = new HashSet<string>(StringComparer.Ordinal) { ExperimentSchema.Impressions.Name };
        foreach (var metric in experiment.Metrics)
        {
            bool known = MetricNames.TryGetValue(metric.Name, out var named);
            if (known && DataContract.CheckProportion(metric, MetricSource.Of(named).Indicator, ZeroOneMetricNames) is { } notZeroOne)
            {
                problems.Add(notZeroOne);
                continue;
            }
            if (known && experiment.Type == ExperimentType.Geo && MetricSource.Of(named).Indicator)
            {
                problems.Add(new ContractProblem(ContractProblemKind.WrongMetricKind, "metrics", metric.Name, null,
                    $"The metric '{metric.Name}' is a 0/1 value per user; a geo experiment's metrics are per-market totals (use conversions or clicks)."));
                continue;
            }
            if (!TryResolve(metric, out var numerator, out var denominator, out string? error))
            {
                problems.Add(new ContractProblem(ContractProblemKind.MissingColumn, "metrics", metric.Name, null, error!));
                continue;
            }
            foreach (var m in new[] { numerator, denominator }.OfType<ExperimentMetric>())
            {
                var (table, column, type) = RawColumn(m);
                required.Add(new RequiredColumn(table, column, type));
                required.Add(new RequiredColumn(table, "event_time", "DateTime('UTC')"));
                required.Add(new RequiredColumn(table, "user_id", "UInt64"));
                rawTables.Add(table);
                if (experiment.Type == ExperimentType.Geo)
                {
                    required.Add(new RequiredColumn(table, "geo", "LowCardinality(String)"));
                    required.Add(new RequiredColumn(ExperimentSchema.GeoDayRollup.Name, RollupColumn(m), RollupType(m)));
                }
                else if (metric.Cuped)
                {
                    required.Add(new RequiredColumn(ExperimentSchema.UserDayRollup.Name, RollupColumn(m), RollupType(m)));
                }
            }
        }
        if (experiment.Holdout is { Spend: SpendSource.ImpressionsCost })
        {
            required.Add(new RequiredColumn(ExperimentSchema.Impressions.Name, "cost", "Float64"));
            required.Add(new RequiredColumn(ExperimentSchema.Impressions.Name, "campaign_id", "String"));
        }
        else if (experiment.Holdout is { Spend: SpendSource.GeoSpend })
        {
            required.Add(new RequiredColumn(ExperimentSchema.GeoSpend.Name, "date", "Date"));
            required.Add(new RequiredColumn(ExperimentSchema.GeoSpend.Name, "geo", "LowCardinality(String)"));
            required.Add(new RequiredColumn(ExperimentSchema.GeoSpend.Name, "campaign_id", "String"));
            required.Add(new RequiredColumn(ExperimentSchema.GeoSpend.Name, "spend", "Float64"));
        }
        if (experiment.Type == ExperimentType.Ab)
        {
            required.Add(new RequiredColumn(ExperimentSchema.Exposures.Name, "experiment_id", "String"));
            required.Add(new RequiredColumn(ExperimentSchema.Exposures.Name, "unit_id", "UInt64"));
            required.Add(new RequiredColumn(ExperimentSchema.Exposures.Name, "variant", "String"));
            required.Add(new RequiredColumn(ExperimentSchema.Exposures.Name, "first_exposure_time", "DateTime('UTC')"));
        }

        // The freshness check reads day counts from the geo × day rollup.
        required.Add(new RequiredColumn(ExperimentSchema.GeoDayRollup.Name, "date", "Date"));
        foreach (var table in rawTables)
            required.Add(new RequiredColumn(ExperimentSchema.GeoDayRollup.Name, table == ExperimentSchema.Conversions.Name ? "conversions" : "impressions", "UInt64"));
        var tables = required.Select(r => r.Table).Distinct(StringComparer.Ordinal).ToList();
        var columns = await client.QueryJsonAsync(ClickHouseSql.Format($"""
            SELECT table, name, type FROM system.columns
            WHERE database = currentDatabase() AND table IN ({ClickHouseSql.Join(ClickHouseSql.Format($", "), tables.Select(t => ClickHouseSql.Format($"{t}")))})
            """), cancellationToken).ConfigureAwait(false);
        var observed = columns.Rows.Select(r => new ObservedColumn(r.GetProperty("table").GetString()!, r.GetProperty("name").GetString()!, r.GetProperty("type").GetString()!)).ToList();
        problems.AddRange(DataContract.CheckColumns(required.Distinct(), observed));
        var cost = new ReadCost(columns.Statistics.RowsRead, columns.Statistics.BytesRead);
        if (problems.Count > 0)
            return new DataContractResult(problems, cost);

        // Freshness: every day of the window in every raw table the analysis reads, each with a plausible volume
        // against the trailing days (the pre-period counts as trailing days).
        var rule = freshness ?? FreshnessRule.Default;
        var from = window.Start.AddDays(-rule.TrailingDays);
        // Day counts come from the geo × day rollup, which the materialized views fill as rows arrive: the same
        // counts as the raw tables for a few thousand rows read instead of every event.
        foreach (var table in rawTables.Order(StringComparer.Ordinal))
        {
            var counted = table == ExperimentSchema.Conversions.Name ? ClickHouseSql.Format($"conversions") : ClickHouseSql.Format($"impressions");
            var volumes = await client.QueryJsonAsync(ClickHouseSql.Format($"""
                SELECT toString(date) AS day, toUInt64(sum({counted})) AS n FROM {ExperimentSchema.GeoDayRollup}
                WHERE date >= {from} AND date <= {window.End}
                GROUP BY day
                """), cancellationToken).ConfigureAwait(false);
            cost += new ReadCost(volumes.Statistics.RowsRead, volumes.Statistics.BytesRead);
            problems.AddRange(DataContract.CheckFreshness(table, window,
                volumes.Rows.Select(r => new DayVolume(DateOnly.ParseExact(r.GetProperty("day").GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture),
                    r.GetProperty("n").GetClickHouseInt64())), rule));
        }
        return new DataContractResult(problems, cost);
    }

    /// <inheritdoc />
    public async Task<DataRead<IReadOnlyList<MeanVariant>>> ReadMeanStatisticsAsync(ExperimentDefinition experiment, MetricDefinition metric,
        DateRange window, CancellationToken cancellationToken)
    {
        var source = Single(metric);
        var refresh = await RefreshAsync(experiment, window, cancellationToken).ConfigureAwait(false);
        var result = refresh is null
            ? await _queries.CupedStatisticsAsync(experiment.Id, source, Window(window), PrePeriod(experiment), source, granularity, cancellationToken).ConfigureAwait(false)
            : await aggregates!.CupedStatisticsAsync(refresh, experiment.Id, source, source, window.End, cancellationToken).ConfigureAwait(false);
        var variants = result.ToMeanVariants();
        if (!metric.Cuped)
            variants = variants.Select(v => v with { Statistics = v.Statistics.WithoutCovariates() }).ToList();
        return new DataRead<IReadOnlyList<MeanVariant>>(variants, Cost(result.Cost) + Cost(refresh?.Cost));
    }

    /// <inheritdoc />
    public async Task<DataRead<IReadOnlyList<RatioVariant>>> ReadRatioStatisticsAsync(ExperimentDefinition experiment, MetricDefinition metric,
        DateRange window, CancellationToken cancellationToken)
    {
        if (!TryResolve(metric, out var numerator, out var denominator, out string? error) || denominator is null)
            throw new InvalidOperationException(error ?? $"'{metric.Name}' is not a ratio metric (name it numerator_per_denominator).");
        var refresh = await RefreshAsync(experiment, window, cancellationToken).ConfigureAwait(false);
        var result = refresh is null
            ? await _queries.RatioStatisticsAsync(experiment.Id, numerator!.Value, denominator.Value, Window(window), granularity, cancellationToken).ConfigureAwait(false)
            : await aggregates!.RatioStatisticsAsync(refresh, experiment.Id, numerator!.Value, denominator.Value, window.End, cancellationToken).ConfigureAwait(false);
        return new DataRead<IReadOnlyList<RatioVariant>>(result.Variants, Cost(result.Cost) + Cost(refresh?.Cost));
    }

    /// <inheritdoc />
    public async Task<DataRead<IReadOnlyList<DailyStatistics>>> ReadDailyCumulativeStatisticsAsync(ExperimentDefinition experiment, MetricDefinition metric,
        DateRange window, CancellationToken cancellationToken)
    {
        var source = Single(metric);
        if (granularity == PostExposureGranularity.Day)
        {
            var refresh = await RefreshAsync(experiment, window, cancellationToken).ConfigureAwait(false);
            var daily = refresh is null
                ? await _queries.DailyCumulativeFromRollupAsync(experiment.Id, source, Window(window), cancellationToken).ConfigureAwait(false)
                : await aggregates!.DailyLooksAsync(refresh, Scope(experiment, window), source, window.End, cancellationToken).ConfigureAwait(false);
            return new DataRead<IReadOnlyList<DailyStatistics>>(daily.Looks.Select(l => new DailyStatistics(l.Day, l.Variants)).ToList(),
                Cost(daily.Cost) + Cost(refresh?.Cost));
        }
        var result = await _queries.DailyCumulativeStatisticsAsync(experiment.Id, source, Window(window), PrePeriod(experiment), source, cancellationToken).ConfigureAwait(false);
        var looks = result.Looks.Select(l => new DailyStatistics(l.Day,
            l.ToMeanVariants().Select(v => v with { Statistics = v.Statistics.WithoutCovariates() }).ToList())).ToList();
        return new DataRead<IReadOnlyList<DailyStatistics>>(looks, Cost(result.Cost));
    }

    /// <inheritdoc />
    public async Task<DataRead<Panel>> ReadGeoPanelAsync(ExperimentDefinition experiment, MetricDefinition metric, DateRange window,
        CancellationToken cancellationToken)
    {
        var source = Single(metric);
        var panel = await _queries.GeoDayPanelAsync(source, experiment.PrePeriod.Start, window.End.AddDays(1), cancellationToken: cancellationToken).ConfigureAwait(false);
        var rows = panel.Observations.Select(o => new PanelRow(o.Geo, o.Date.DayNumber, o.Outcome, [o.Spend]));
        return new DataRead<Panel>(Panel.FromRows(rows, metric.Name, ["spend"]), Cost(panel.Cost));
    }

    /// <inheritdoc />
    public async Task<DataRead<CampaignSpend>> ReadSpendAsync(ExperimentDefinition experiment, DateRange window, CancellationToken cancellationToken)
    {
        var holdout = experiment.Holdout ?? throw new InvalidOperationException($"Experiment '{experiment.Id}' is not a holdout campaign.");
        SpendTotals totals;
        if (holdout.Spend == SpendSource.GeoSpend)
        {
            var last = window.End < experiment.ExperimentWindow.End ? window.End : experiment.ExperimentWindow.End;
            totals = await _queries.GeoSpendAsync(holdout.CampaignId!, experiment.ExperimentWindow.Start, last, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            totals = await _queries.VariantSpendAsync(experiment.Id, Window(window), holdout.CampaignId, cancellationToken).ConfigureAwait(false);
        }
        return new DataRead<CampaignSpend>(new CampaignSpend(totals.Totals, totals.Rows), Cost(totals.Cost));
    }

    /// <summary>The experiment's per-unit aggregates for a window starting on <paramref name="window"/>'s first day.</summary>
    public static AggregatesScope Scope(ExperimentDefinition experiment, DateRange window) =>
        new(experiment.Id, window.Start, PrePeriod(experiment));

    /// <summary>Brings the aggregates up to the window's last day, when the reads go through them.</summary>
    private async Task<AggregatesRefresh?> RefreshAsync(ExperimentDefinition experiment, DateRange window, CancellationToken cancellationToken)
    {
        // A window that does not start on the experiment's first day (an override) reads the logs: folding it would
        // replace the experiment's aggregates with ones the nightly runs cannot use.
        if (aggregates is null || granularity != PostExposureGranularity.Day || experiment.Type != ExperimentType.Ab
            || window.Start != experiment.ExperimentWindow.Start)
            return null;
        return await aggregates.RefreshAsync(Scope(experiment, window), window.End, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static bool TryResolve(MetricDefinition metric, out ExperimentMetric? numerator, out ExperimentMetric? denominator, out string? error)
    {
        numerator = denominator = null;
        error = null;
        if (metric.Kind == MetricKind.Ratio)
        {
            var parts = metric.Name.Split("_per_", 2, StringSplitOptions.None);
            if (parts.Length == 2 && MetricNames.TryGetValue(parts[0], out var a) && MetricNames.TryGetValue(parts[1], out var b))
            {
                numerator = a;
                denominator = b;
                return true;
            }
            error = $"The ratio metric '{metric.Name}' is not in the logs: name it numerator_per_denominator with each of {string.Join(", ", MetricNames.Keys)}.";
            return false;
        }
        if (MetricNames.TryGetValue(metric.Name, out var single))
        {
            if (metric.Kind == MetricKind.Proportion && !MetricSource.Of(single).Indicator)
            {
                error = $"The proportion metric '{metric.Name}' is not 0/1 per unit; the 0/1 metrics are {string.Join(", ", ZeroOneMetricNames)}.";
                return false;
            }
            numerator = single;
            return true;
        }
        error = $"The metric '{metric.Name}' is not in the logs; known metrics: {string.Join(", ", MetricNames.Keys)}.";
        return false;
    }

    private static ExperimentMetric Single(MetricDefinition metric) =>
        TryResolve(metric, out var numerator, out var denominator, out string? error) && denominator is null
            ? numerator!.Value
            : throw new InvalidOperationException(error ?? $"'{metric.Name}' is a ratio metric.");

    private static (string Table, string Column, string Type) RawColumn(ExperimentMetric metric) => metric switch
    {
        ExperimentMetric.Clicks or ExperimentMetric.Clicked => (ExperimentSchema.Impressions.Name, "clicks", "UInt8"),
        ExperimentMetric.Cost => (ExperimentSchema.Impressions.Name, "cost", "Float64"),
        ExperimentMetric.Impressions => (ExperimentSchema.Impressions.Name, "user_id", "UInt64"),
        ExperimentMetric.Conversions or ExperimentMetric.Converted => (ExperimentSchema.Conversions.Name, "user_id", "UInt64"),
        _ => (ExperimentSchema.Conversions.Name, "value", "Float64"),
    };

    private static string RollupColumn(ExperimentMetric metric) => metric switch
    {
        ExperimentMetric.Clicks or ExperimentMetric.Clicked => "clicks",
        ExperimentMetric.Cost => "cost",
        ExperimentMetric.Impressions => "impressions",
        ExperimentMetric.Conversions or ExperimentMetric.Converted => "conversions",
        _ => "conversion_value",
    };

    private static string RollupType(ExperimentMetric metric) => metric is ExperimentMetric.Cost or ExperimentMetric.ConversionValue ? "Float64" : "UInt64";

    private static AnalysisWindow Window(DateRange window) =>
        new(window.Start.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), window.End.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));

    private static PrePeriod PrePeriod(ExperimentDefinition experiment) => new(experiment.PrePeriod.Start, experiment.PrePeriod.End.AddDays(1));

    private static ReadCost Cost(ClickHouseQueryStatistics? statistics) =>
        statistics is null ? ReadCost.None : new(statistics.RowsRead, statistics.BytesRead);
}
