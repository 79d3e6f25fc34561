using Experiments.Engine.AbTesting;
using Experiments.Engine.SyntheticControl;

namespace Experiments.Jobs.ClickHouse;

/// <summary>
/// One variant's sums for a CUPED analysis with a pre-period covariate x that some units lack:
/// those units have x = 0 and the missing indicator m = 1 (others m = 0), as
/// <see cref="MissingCovariates"/> would make them from raw values.
/// </summary>
/// <param name="Variant">The variant's name.</param>
/// <param name="Count">n, the units.</param>
/// <param name="SumY">Σy.</param>
/// <param name="SumY2">Σy².</param>
/// <param name="SumX">Σx.</param>
/// <param name="SumX2">Σx².</param>
/// <param name="SumXY">Σxy.</param>
/// <param name="SumM">Σm, the units without pre-period data (Σm² = Σm since m is 0 or 1).</param>
/// <param name="SumXM">Σxm (0 by construction: x is 0 where m is 1; returned so nothing is assumed).</param>
/// <param name="SumMY">Σmy.</param>
public sealed record CupedVariantSums(string Variant, long Count, double SumY, double SumY2,
    double SumX, double SumX2, double SumXY, double SumM, double SumXM, double SumMY)
{
    /// <summary>
    /// The engine's statistics: covariates [x] without the indicator, or [x, m] with it — matching
    /// <see cref="MissingCovariates.Expand"/>, which adds the indicator column when any unit of any
    /// variant lacks the covariate.
    /// </summary>
    public SufficientStatistics ToSufficientStatistics(bool withMissingIndicator) => withMissingIndicator
        ? new SufficientStatistics(Count, SumY, SumY2, [SumX, SumM], [SumX2, SumXM, SumXM, SumM], [SumXY, SumMY], $"variants[{Variant}]")
        : new SufficientStatistics(Count, SumY, SumY2, [SumX], [SumX2], [SumXY], $"variants[{Variant}]");

    /// <summary>The engine's variants for one analysis, with the indicator when any variant has a unit without pre-period data.</summary>
    public static IReadOnlyList<MeanVariant> ToMeanVariants(IReadOnlyList<CupedVariantSums> variants)
    {
        bool indicator = variants.Any(v => v.SumM > 0);
        return variants.Select(v => new MeanVariant(v.Variant, v.ToSufficientStatistics(indicator))).ToArray();
    }
}

/// <summary>Per-variant CUPED sums of an experiment's metric, and what the query cost.</summary>
/// <param name="Variants">One entry per variant with exposed units, ordered by name.</param>
/// <param name="Cost">Rows and bytes the server read, and its time.</param>
public sealed record CupedStatistics(IReadOnlyList<CupedVariantSums> Variants, ClickHouseQueryStatistics Cost)
{
    /// <summary>The engine's input (<see cref="AbAnalysis.Analyze(IReadOnlyList{MeanVariant}, AbAnalysisOptions)"/>).</summary>
    public IReadOnlyList<MeanVariant> ToMeanVariants() => CupedVariantSums.ToMeanVariants(Variants);
}

/// <summary>The CUPED sums as they stood at the end of one day: units exposed by then, metric accumulated since exposure.</summary>
/// <param name="Day">The UTC day the look is taken at the end of (or at the window's end on its last day).</param>
/// <param name="Variants">One entry per variant with units exposed by then, ordered by name.</param>
public sealed record DailyCupedLook(DateOnly Day, IReadOnlyList<CupedVariantSums> Variants)
{
    /// <summary>The engine's input for this look.</summary>
    public IReadOnlyList<MeanVariant> ToMeanVariants() => CupedVariantSums.ToMeanVariants(Variants);
}

/// <summary>Cumulative daily looks for sequential monitoring, and what the query cost.</summary>
/// <param name="Looks">One look per day of the window that has exposed units, in order.</param>
/// <param name="Cost">Rows and bytes the server read, and its time.</param>
public sealed record DailyCupedStatistics(IReadOnlyList<DailyCupedLook> Looks, ClickHouseQueryStatistics Cost);

/// <summary>Per-variant ratio-metric sums (Σa, Σa², Σb, Σb², Σab), and what the query cost.</summary>
/// <param name="Variants">The engine's input, one per variant, ordered by name.</param>
/// <param name="Cost">Rows and bytes the server read, and its time.</param>
public sealed record RatioStatisticsResult(IReadOnlyList<RatioVariant> Variants, ClickHouseQueryStatistics Cost);

/// <summary>One geo's outcome and spend on one day.</summary>
/// <param name="Geo">The market.</param>
/// <param name="Date">The UTC day.</param>
/// <param name="Outcome">The outcome metric's total.</param>
/// <param name="Spend">Media spend (of the campaign asked for, or all).</param>
public sealed record GeoDayObservation(string Geo, DateOnly Date, double Outcome, double Spend);

/// <summary>
/// A balanced geo × day panel over [Start, End): every geo that has an outcome or spend on some day
/// has a row for every day, 0 where nothing was recorded.
/// </summary>
/// <param name="Start">The first day.</param>
/// <param name="End">The day after the last.</param>
/// <param name="Geos">The geos, ordered by name.</param>
/// <param name="Observations">Geo-major, then by day.</param>
/// <param name="Cost">Rows and bytes the server read, and its time.</param>
public sealed record GeoDayPanel(DateOnly Start, DateOnly End, IReadOnlyList<string> Geos, IReadOnlyList<GeoDayObservation> Observations,
    ClickHouseQueryStatistics Cost)
{
    /// <summary>
    /// Rows for the engine's <see cref="Panel"/>: unit = geo, period = day number (1 = <see cref="Start"/>),
    /// outcome, and spend as the one covariate (name it when building the panel).
    /// </summary>
    public IReadOnlyList<PanelRow> ToPanelRows() =>
        Observations.Select(o => new PanelRow(o.Geo, o.Date.DayNumber - Start.DayNumber + 1, o.Outcome, [o.Spend])).ToArray();
}

/// <summary>One day's cumulative look: every variant's statistics up to the day's end.</summary>
/// <param name="Day">The last day included.</param>
/// <param name="Variants">The engine's input for the look (no covariates).</param>
public sealed record DailyLook(DateOnly Day, IReadOnlyList<MeanVariant> Variants);

/// <summary>Daily cumulative looks read from the user × day rollup, and what the queries cost.</summary>
/// <param name="Looks">One look per day from the first exposure on.</param>
/// <param name="Cost">Rows and bytes the server read, and its time.</param>
public sealed record DailyRollupLooks(IReadOnlyList<DailyLook> Looks, ClickHouseQueryStatistics Cost);

/// <summary>Spend summed per variant or per geo, with the rows behind it, and what the query cost.</summary>
/// <param name="Totals">Spend per variant or geo; absent where there was none.</param>
/// <param name="Rows">Source rows that carried spend.</param>
/// <param name="Cost">Rows and bytes the server read, and its time.</param>
public sealed record SpendTotals(IReadOnlyDictionary<string, double> Totals, long Rows, ClickHouseQueryStatistics Cost);
