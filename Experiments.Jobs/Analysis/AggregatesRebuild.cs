using Experiments.Jobs.ClickHouse;
using Experiments.Jobs.Results;

namespace Experiments.Jobs.Analysis;

/// <summary>What a rebuild of an experiment's aggregates did.</summary>
/// <param name="ExperimentId">The experiment.</param>
/// <param name="FirstDay">The first day folded.</param>
/// <param name="Through">The last day folded.</param>
/// <param name="DaysFolded">How many days were folded.</param>
/// <param name="RowsRead">Rows the rebuild read in ClickHouse.</param>
/// <param name="BytesRead">Bytes the rebuild read in ClickHouse.</param>
public sealed record AggregatesRebuildResult(string ExperimentId, DateOnly FirstDay, DateOnly Through, int DaysFolded, long RowsRead, long BytesRead);

/// <summary>
/// Rebuilds an A/B experiment's per-unit aggregates from scratch (<see cref="ExperimentAggregates"/>): every day from
/// the experiment's start through its default data window's end (or the last day already folded, if later) is folded
/// again from the logs. The next analysis reads the rebuilt aggregates.
/// </summary>
public sealed class AggregatesRebuild(ExperimentAggregates aggregates)
{
    /// <summary>Rebuilds the aggregates of <paramref name="experiment"/> as of <paramref name="now"/>.</summary>
    /// <exception cref="InvalidOperationException">The experiment is not an A/B experiment, or has no complete day of data yet.</exception>
    public async Task<AggregatesRebuildResult> RebuildAsync(ExperimentDefinition experiment, DateTimeOffset now, DateOnly? through = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        if (experiment.Type != ExperimentType.Ab)
            throw new InvalidOperationException($"Experiment '{experiment.Id}' is a {experiment.Type} experiment; only A/B experiments keep per-unit aggregates.");
        var window = AnalysisService.DefaultWindow(experiment, now);
        var last = through ?? window.End;
        if (last < window.Start)
            throw new InvalidOperationException(
                $"Experiment '{experiment.Id}' starts on {window.Start:yyyy-MM-dd}; there is no complete day of data to fold yet.");
        var scope = ClickHouseExperimentDataSource.Scope(experiment, window);
        var refresh = await aggregates.RefreshAsync(scope, last, rebuild: true, cancellationToken).ConfigureAwait(false);
        return new AggregatesRebuildResult(experiment.Id, scope.FirstDay, refresh.Through, refresh.FoldedDays.Count,
            refresh.Cost.RowsRead, refresh.Cost.BytesRead);
    }
}
