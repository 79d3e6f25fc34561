using Experiments.Engine.AbTesting;
using Experiments.Engine.SyntheticControl;
using Experiments.Jobs.Analysis;
using Experiments.Jobs.Results;

namespace Experiments.Api.Tests;

/// <summary>
/// A test double of the experiment data source (not of a database): a fixed number of seeded units
/// per variant and day, aggregated into the engine's inputs as the pushdown queries would, and a
/// fixed cost per read. Same experiment, window and day → same statistics, so a test can recompute
/// the engine's answer on exactly what a run read. A/B mean and proportion metrics only.
/// </summary>
public sealed class FixedDataSource : IExperimentDataSource
{
    /// <summary>Units per variant first exposed on each day.</summary>
    public const int UnitsPerVariantAndDay = 40;

    /// <summary>What the contract check reports having read.</summary>
    public static readonly ReadCost ContractCost = new(16, 256);

    /// <summary>What every query-stage read reports having read.</summary>
    public static readonly ReadCost QueryCost = new(1_000, 40_000);

    /// <summary>The treatment's lift in revenue per unit.</summary>
    public const double RevenueLift = 0.8;

    public Task<DataContractResult> CheckContractAsync(ExperimentDefinition experiment, DateRange window, CancellationToken cancellationToken) =>
        Task.FromResult(new DataContractResult([], ContractCost));

    public Task<DataRead<IReadOnlyList<MeanVariant>>> ReadMeanStatisticsAsync(ExperimentDefinition experiment, MetricDefinition metric,
        DateRange window, CancellationToken cancellationToken) =>
        Task.FromResult(new DataRead<IReadOnlyList<MeanVariant>>(MeanVariants(experiment, metric, window.Start, window.End), QueryCost));

    public Task<DataRead<IReadOnlyList<DailyStatistics>>> ReadDailyCumulativeStatisticsAsync(ExperimentDefinition experiment, MetricDefinition metric,
        DateRange window, CancellationToken cancellationToken) =>
        Task.FromResult(new DataRead<IReadOnlyList<DailyStatistics>>(
            window.Days().Select(day => new DailyStatistics(day, MeanVariants(experiment, metric, window.Start, day))).ToList(), QueryCost));

    public Task<DataRead<IReadOnlyList<RatioVariant>>> ReadRatioStatisticsAsync(ExperimentDefinition experiment, MetricDefinition metric,
        DateRange window, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This test double serves mean and proportion metrics only.");

    public Task<DataRead<Panel>> ReadGeoPanelAsync(ExperimentDefinition experiment, MetricDefinition metric, DateRange window,
        CancellationToken cancellationToken) =>
        throw new NotSupportedException("This test double serves A/B experiments only.");

    /// <summary>Per-variant statistics of the units first exposed from <paramref name="first"/> to <paramref name="last"/>.</summary>
    public static IReadOnlyList<MeanVariant> MeanVariants(ExperimentDefinition experiment, MetricDefinition metric, DateOnly first, DateOnly last) =>
        experiment.Variants.Select((variant, i) =>
            new MeanVariant(variant.Name, SufficientStatistics.FromValues(Values(metric, i, first, last)))).ToList();

    private static double[] Values(MetricDefinition metric, int variant, DateOnly first, DateOnly last)
    {
        var values = new List<double>();
        for (var day = first; day <= last; day = day.AddDays(1))
        {
            // One seed per variant and day: a day's units are the same whichever window includes them.
            var random = new Random(variant * 1_000_003 + day.DayNumber);
            for (int unit = 0; unit < UnitsPerVariantAndDay; unit++)
            {
                double revenue = 8 + 4 * random.NextDouble() + (variant > 0 ? RevenueLift : 0);
                bool converted = random.NextDouble() < (variant > 0 ? 0.14 : 0.10);
                values.Add(metric.Kind == MetricKind.Proportion ? (converted ? 1 : 0) : revenue);
            }
        }
        return values.ToArray();
    }
}
