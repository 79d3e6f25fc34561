namespace Experiments.Jobs.ClickHouse;

/// <summary>A per-unit metric the pushdown queries can aggregate: the allow-list of metric columns.</summary>
public enum ExperimentMetric
{
    /// <summary>Number of impressions.</summary>
    Impressions,

    /// <summary>Number of clicks.</summary>
    Clicks,

    /// <summary>Cost of the impressions.</summary>
    Cost,

    /// <summary>Number of conversions.</summary>
    Conversions,

    /// <summary>Total conversion value (revenue).</summary>
    ConversionValue,

    /// <summary>Whether the unit converted at least once: 1 or 0 per unit (its conversions, capped at 1).</summary>
    Converted,

    /// <summary>Whether the unit clicked at least once: 1 or 0 per unit (its clicks, capped at 1).</summary>
    Clicked,
}

/// <summary>
/// Where a metric lives: its raw table and the per-row value, its column in the rollups, and whether the per-unit
/// value is an indicator (1 when the unit's sum is positive, else 0) rather than the sum itself.
/// </summary>
internal sealed record MetricSource(SqlIdentifier RawTable, ClickHouseSql RawValue, ClickHouseSql RollupValue, bool Indicator = false)
{
    /// <summary>The per-unit value from the unit's summed events: the sum, or 1 when it is positive for an indicator.</summary>
    public ClickHouseSql PerUnit(ClickHouseSql total) =>
        Indicator ? ClickHouseSql.Format($"toFloat64(({total}) > 0)") : ClickHouseSql.Format($"toFloat64({total})");

    public static MetricSource Of(ExperimentMetric metric) => metric switch
    {
        ExperimentMetric.Impressions => new(ExperimentSchema.Impressions, ClickHouseSql.Format($"1"), ClickHouseSql.Format($"impressions")),
        ExperimentMetric.Clicks => new(ExperimentSchema.Impressions, ClickHouseSql.Format($"clicks"), ClickHouseSql.Format($"clicks")),
        ExperimentMetric.Cost => new(ExperimentSchema.Impressions, ClickHouseSql.Format($"cost"), ClickHouseSql.Format($"cost")),
        ExperimentMetric.Conversions => new(ExperimentSchema.Conversions, ClickHouseSql.Format($"1"), ClickHouseSql.Format($"conversions")),
        ExperimentMetric.ConversionValue => new(ExperimentSchema.Conversions, ClickHouseSql.Format($"value"), ClickHouseSql.Format($"conversion_value")),
        ExperimentMetric.Converted => new(ExperimentSchema.Conversions, ClickHouseSql.Format($"1"), ClickHouseSql.Format($"conversions"), Indicator: true),
        ExperimentMetric.Clicked => new(ExperimentSchema.Impressions, ClickHouseSql.Format($"clicks"), ClickHouseSql.Format($"clicks"), Indicator: true),
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "Not a metric the queries know."),
    };
}

/// <summary>The analysis window [Start, End) in UTC: units first exposed before End, and their events
/// from max(Start, first exposure) until End.</summary>
public sealed record AnalysisWindow
{
    /// <summary>Creates the window.</summary>
    /// <exception cref="ArgumentException">Start is not before End, a local time, or a fraction of a second.</exception>
    public AnalysisWindow(DateTime start, DateTime end)
    {
        ClickHouseSql.FormatDateTime(start);
        ClickHouseSql.FormatDateTime(end);
        if (start >= end)
            throw new ArgumentException($"The window's start {start:O} must be before its end {end:O}.");
        Start = DateTime.SpecifyKind(start, DateTimeKind.Utc);
        End = DateTime.SpecifyKind(end, DateTimeKind.Utc);
    }

    /// <summary>The first instant of the window (inclusive).</summary>
    public DateTime Start { get; }

    /// <summary>The end of the window (exclusive).</summary>
    public DateTime End { get; }

    /// <summary>The UTC day of <see cref="Start"/>.</summary>
    public DateOnly FirstDay => DateOnly.FromDateTime(Start);

    /// <summary>The UTC day of the window's last second.</summary>
    public DateOnly LastDay => DateOnly.FromDateTime(End.AddSeconds(-1));
}

/// <summary>The pre-period of a CUPED covariate: whole UTC days [Start, End), read from the user × day rollup.</summary>
public sealed record PrePeriod
{
    /// <summary>Creates the period.</summary>
    /// <exception cref="ArgumentException">Start is not before End.</exception>
    public PrePeriod(DateOnly start, DateOnly end)
    {
        if (start >= end)
            throw new ArgumentException($"The pre-period's start {start:O} must be before its end {end:O}.");
        Start = start;
        End = end;
    }

    /// <summary>The first day (inclusive).</summary>
    public DateOnly Start { get; }

    /// <summary>The day after the last (exclusive).</summary>
    public DateOnly End { get; }
}

/// <summary>How finely a unit's post-exposure window starts.</summary>
public enum PostExposureGranularity
{
    /// <summary>From the exposure's second, reading raw events: exact, and as costly as a scan of the window's raw rows.</summary>
    Exact,

    /// <summary>
    /// From the start of the exposure's UTC day, reading the user × day rollup only. Events earlier on the exposure
    /// day count too; they happened before the unit saw either variant, so they are independent of the assignment:
    /// the lift stays unbiased and only a little noise is added. This is what makes analyses of large logs cheap.
    /// </summary>
    Day,
}
