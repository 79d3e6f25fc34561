using System.Collections.Concurrent;
using System.Diagnostics;
using Experiments.Engine.AbTesting;
using Experiments.Engine.SyntheticControl;
using Experiments.Jobs.Analysis;
using Experiments.Jobs.Results;
using Experiments.Jobs.Store.Tests.Infrastructure;

namespace Experiments.JobsBenchmark;

/// <summary>
/// The tests' in-memory data source (fast, no I/O), noting the moment each experiment's first contract
/// check is entered: the first thing an analysis asks of its data source, i.e. the moment the run started work.
/// </summary>
public sealed class TimingDataSource(InMemoryDataSource inner) : IExperimentDataSource
{
    private readonly ConcurrentDictionary<string, long> _entered = new();
    private int _contractChecks;

    /// <summary>How many contract checks were entered (one per attempt that got its experiment's lease).</summary>
    public int ContractChecks => Volatile.Read(ref _contractChecks);

    /// <summary>The <see cref="Stopwatch"/> timestamp of the experiment's first contract check, if any.</summary>
    public long? EnteredAt(string experimentId) => _entered.TryGetValue(experimentId, out long at) ? at : null;

    /// <inheritdoc />
    public Task<DataContractResult> CheckContractAsync(ExperimentDefinition experiment, DateRange window, CancellationToken cancellationToken)
    {
        _entered.TryAdd(experiment.Id, Stopwatch.GetTimestamp());
        Interlocked.Increment(ref _contractChecks);
        return inner.CheckContractAsync(experiment, window, cancellationToken);
    }

    /// <inheritdoc />
    public Task<DataRead<IReadOnlyList<MeanVariant>>> ReadMeanStatisticsAsync(ExperimentDefinition experiment, MetricDefinition metric, DateRange window,
        CancellationToken cancellationToken) => inner.ReadMeanStatisticsAsync(experiment, metric, window, cancellationToken);

    /// <inheritdoc />
    public Task<DataRead<IReadOnlyList<RatioVariant>>> ReadRatioStatisticsAsync(ExperimentDefinition experiment, MetricDefinition metric, DateRange window,
        CancellationToken cancellationToken) => inner.ReadRatioStatisticsAsync(experiment, metric, window, cancellationToken);

    /// <inheritdoc />
    public Task<DataRead<IReadOnlyList<DailyStatistics>>> ReadDailyCumulativeStatisticsAsync(ExperimentDefinition experiment, MetricDefinition metric,
        DateRange window, CancellationToken cancellationToken) => inner.ReadDailyCumulativeStatisticsAsync(experiment, metric, window, cancellationToken);

    /// <inheritdoc />
    public Task<DataRead<Panel>> ReadGeoPanelAsync(ExperimentDefinition experiment, MetricDefinition metric, DateRange window,
        CancellationToken cancellationToken) => inner.ReadGeoPanelAsync(experiment, metric, window, cancellationToken);
}
