using Experiments.Engine.AbTesting;
using Experiments.Engine.SyntheticControl;
using Experiments.Jobs.Analysis;
using Experiments.Jobs.Results;

namespace Experiments.Jobs.Scheduling;

/// <summary>Stands in until a real data source is registered: every read fails the run with a reason saying so.</summary>
internal sealed class UnconfiguredDataSource : IExperimentDataSource
{
    private static InvalidOperationException Missing() =>
        new("No experiment data source is configured: set ClickHouse:Endpoint (and ClickHouse:Database) to analyse the impression logs.");

    public Task<DataContractResult> CheckContractAsync(ExperimentDefinition experiment, DateRange window, CancellationToken cancellationToken) => throw Missing();

    public Task<DataRead<IReadOnlyList<MeanVariant>>> ReadMeanStatisticsAsync(ExperimentDefinition experiment, MetricDefinition metric, DateRange window, CancellationToken cancellationToken) => throw Missing();

    public Task<DataRead<IReadOnlyList<RatioVariant>>> ReadRatioStatisticsAsync(ExperimentDefinition experiment, MetricDefinition metric, DateRange window, CancellationToken cancellationToken) => throw Missing();

    public Task<DataRead<IReadOnlyList<DailyStatistics>>> ReadDailyCumulativeStatisticsAsync(ExperimentDefinition experiment, MetricDefinition metric, DateRange window, CancellationToken cancellationToken) => throw Missing();

    public Task<DataRead<Panel>> ReadGeoPanelAsync(ExperimentDefinition experiment, MetricDefinition metric, DateRange window, CancellationToken cancellationToken) => throw Missing();
}
