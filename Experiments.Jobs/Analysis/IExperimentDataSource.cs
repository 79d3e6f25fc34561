using Experiments.Engine.AbTesting;
using Experiments.Engine.SyntheticControl;
using Experiments.Jobs.Results;

namespace Experiments.Jobs.Analysis;

/// <summary>
/// What an analysis reads: the engine's inputs, aggregated where the data lives (ClickHouse pushes
/// the sums down), plus the data contract and the cost of each read.
/// </summary>
/// <remarks>
/// <para>Implementations throw <see cref="DataSourceUnavailableException"/> when the source cannot
/// be reached or answers with a failure that may go away (the run is retried with back-off);
/// anything else fails the run.</para>
/// <para>Every method reads the experiment's units as of the given window: exposures
/// during the window, conversions up to the window's end (and up to the conversion window after
/// the experiment's end once that is inside the window).</para>
/// </remarks>
public interface IExperimentDataSource
{
    /// <summary>
    /// Checks the data contract for the experiment and window: the columns and types the
    /// experiment's metrics need, and freshness — every day of the window present with a plausible
    /// volume in each table that should have it (exposures only on the experiment's days, conversions
    /// through the window's end, which runs past the experiment by the conversion window). Use
    /// <see cref="DataContract"/> to turn observations into a result.
    /// </summary>
    Task<DataContractResult> CheckContractAsync(ExperimentDefinition experiment, DateRange window, CancellationToken cancellationToken);

    /// <summary>
    /// Per-variant sufficient statistics of a mean or proportion metric over the window; when
    /// <see cref="MetricDefinition.Cuped"/> is set, with the metric's pre-period value as the one
    /// covariate (0 for units without pre-period data).
    /// </summary>
    Task<DataRead<IReadOnlyList<MeanVariant>>> ReadMeanStatisticsAsync(ExperimentDefinition experiment, MetricDefinition metric,
        DateRange window, CancellationToken cancellationToken);

    /// <summary>Per-variant ratio statistics (numerator and denominator sums per unit) of a ratio metric over the window.</summary>
    Task<DataRead<IReadOnlyList<RatioVariant>>> ReadRatioStatisticsAsync(ExperimentDefinition experiment, MetricDefinition metric,
        DateRange window, CancellationToken cancellationToken);

    /// <summary>
    /// Per-variant statistics cumulated day by day: entry d holds every unit first exposed on or
    /// before day d of the window with its metric up to day d (without covariates). It feeds the
    /// always-valid (sequential) path of the estimate.
    /// </summary>
    Task<DataRead<IReadOnlyList<DailyStatistics>>> ReadDailyCumulativeStatisticsAsync(ExperimentDefinition experiment, MetricDefinition metric,
        DateRange window, CancellationToken cancellationToken);

    /// <summary>
    /// The market × day panel of a geo experiment's metric over the pre-period and the window.
    /// Periods are <see cref="DateOnly.DayNumber"/> values; units are market names.
    /// </summary>
    Task<DataRead<Panel>> ReadGeoPanelAsync(ExperimentDefinition experiment, MetricDefinition metric, DateRange window,
        CancellationToken cancellationToken);

    /// <summary>
    /// The spend of a holdout campaign (<see cref="ExperimentDefinition.Holdout"/>): for an A/B experiment, per variant,
    /// the cost of its units' impressions in their post-exposure window (of the campaign when one is named); for a geo
    /// experiment, per market, the campaign's <c>geo_spend</c> over the experiment's days within the window.
    /// A source without spend (the default) fails a holdout campaign's run with the reason.
    /// </summary>
    Task<DataRead<CampaignSpend>> ReadSpendAsync(ExperimentDefinition experiment, DateRange window, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"This data source has no campaign spend, so the holdout campaign '{experiment.Id}' cannot be analysed.");
}

/// <summary>A campaign's spend, summed per variant (A/B) or per market (geo).</summary>
/// <param name="Totals">Spend per variant or market; absent where nothing was spent.</param>
/// <param name="Rows">How many source rows carried spend (0: the campaign has no spend recorded at all).</param>
public sealed record CampaignSpend(IReadOnlyDictionary<string, double> Totals, long Rows);

/// <summary>A value read from the data source and what reading it cost.</summary>
/// <typeparam name="T">The value.</typeparam>
/// <param name="Value">What was read.</param>
/// <param name="Cost">Rows and bytes the source read for it.</param>
public sealed record DataRead<T>(T Value, ReadCost Cost);

/// <summary>The rows and bytes a query read at the source (ClickHouse's <c>rows_read</c>/<c>bytes_read</c>).</summary>
/// <param name="RowsRead">Rows read.</param>
/// <param name="BytesRead">Bytes read.</param>
public sealed record ReadCost(long RowsRead, long BytesRead)
{
    /// <summary>Nothing read.</summary>
    public static ReadCost None { get; } = new(0, 0);

    /// <summary>The cost of two reads together.</summary>
    public static ReadCost operator +(ReadCost a, ReadCost b) => new(a.RowsRead + b.RowsRead, a.BytesRead + b.BytesRead);
}

/// <summary>Per-variant statistics cumulated up to one day.</summary>
/// <param name="Day">The last day included.</param>
/// <param name="Variants">Each variant's statistics up to that day.</param>
public sealed record DailyStatistics(DateOnly Day, IReadOnlyList<MeanVariant> Variants);

/// <summary>
/// The data source could not be reached, or failed in a way that may pass (a timeout, too many
/// queries, a network error). The run is retried with back-off, then fails with this message.
/// </summary>
public sealed class DataSourceUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
