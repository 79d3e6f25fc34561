using Experiments.Engine;
using Experiments.Engine.AbTesting;
using Experiments.Engine.Geo;
using Experiments.Engine.Inference;
using Experiments.Engine.SyntheticControl;
using Experiments.Jobs.ClickHouse;
using Experiments.Jobs.Results;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Experiments.Jobs.Analysis;

/// <summary>
/// Runs analyses: records a run, then its stages — contract check → query → engine → publish —
/// each timed and recorded on the run as it ends, so progress can be read while it runs.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>A broken contract (a renamed or retyped column) fails the run before any estimation, naming the column.</item>
/// <item>A late or missing day defers the run (status deferred, due again after <see cref="AnalysisOptions.DeferDelay"/>).</item>
/// <item>An unreachable data source is retried with exponential back-off up to <see cref="AnalysisOptions.MaxAttempts"/>, then fails the run with the reason.</item>
/// <item>Results are published with the run's final status in one transaction: nothing partial is ever published.</item>
/// <item>A result is final once the experiment has ended and its conversion window has closed (by the injected clock), provisional before.</item>
/// </list>
/// </remarks>
public sealed partial class AnalysisService(
    ResultsStore store, IExperimentDataSource dataSource, TimeProvider clock, IOptions<AnalysisOptions> options, ILogger<AnalysisService> logger)
{
    private readonly AnalysisOptions _options = options.Value;

    /// <summary>
    /// Records a queued run. Its data window is the caller's override, else the experiment's first
    /// day to the last complete day (yesterday, UTC), extended past the experiment's end by the
    /// conversion window.
    /// </summary>
    /// <exception cref="InvalidOperationException">The experiment does not exist, or has no complete day of data yet.</exception>
    public async Task<AnalysisRun> CreateRunAsync(string experimentId, AnalysisParameters parameters, CancellationToken cancellationToken = default)
    {
        var experiment = await store.GetExperimentAsync(experimentId, cancellationToken)
            ?? throw new InvalidOperationException($"There is no experiment '{experimentId}'.");
        var window = parameters.WindowOverride ?? DefaultWindow(experiment);
        if (window.End < window.Start)
            throw new InvalidOperationException(
                $"Experiment '{experimentId}' starts on {experiment.ExperimentWindow.Start:yyyy-MM-dd}; there is no complete day of data to analyse yet.");
        var run = await store.CreateRunAsync(experimentId, parameters, window, cancellationToken);
        LogQueued(run.Id, experimentId, window.ToString(), parameters.Trigger);
        return run;
    }

    /// <summary>The default data window of an experiment at the clock's current time.</summary>
    public DateRange DefaultWindow(ExperimentDefinition experiment) => DefaultWindow(experiment, clock.GetUtcNow());

    /// <summary>The default data window of an experiment at <paramref name="now"/>: from its start through yesterday or its last day of data.</summary>
    public static DateRange DefaultWindow(ExperimentDefinition experiment, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        var yesterday = DateOnly.FromDateTime(now.UtcDateTime).AddDays(-1);
        var lastDataDay = experiment.ExperimentWindow.End.AddDays(experiment.ConversionWindowDays);
        return new DateRange(experiment.ExperimentWindow.Start, yesterday < lastDataDay ? yesterday : lastDataDay);
    }

    /// <summary>
    /// Executes one attempt of a run. Safe to call again for the same run, from any process (a job
    /// delivered twice, or recovered after a crash): a run that already succeeded or failed is left
    /// alone, and an attempt starts only while it holds its experiment's lease in the store, so two
    /// analyses of one experiment never overlap; when another attempt holds it the outcome is
    /// <see cref="AnalysisOutcomeKind.Busy"/>, due again when that lease lapses.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled (the worker is shutting down); the run stays running for recovery.</exception>
    public async Task<AnalysisOutcome> ExecuteAsync(Guid runId, CancellationToken cancellationToken = default)
    {
        string holder = Guid.NewGuid().ToString("N");
        var start = await store.StartAttemptAsync(runId, holder, _options.LeaseDuration, cancellationToken);
        if (start.BusyUntil is { } busyUntil)
        {
            LogBusy(runId, start.ExperimentId!, busyUntil);
            return new AnalysisOutcome(runId, start.ExperimentId!, AnalysisOutcomeKind.Busy,
                "Another analysis of this experiment is in progress.", busyUntil + TimeSpan.FromSeconds(1), []);
        }
        if (start.Run is not { } run)
        {
            var existing = await store.GetRunAsync(runId, cancellationToken);
            LogAlreadyFinished(runId, existing?.Status.ToString() ?? "unknown");
            return new AnalysisOutcome(runId, existing?.ExperimentId ?? "", AnalysisOutcomeKind.AlreadyFinished, existing?.Reason, null, []);
        }
        using var scope = logger.BeginScope(new Dictionary<string, object>
        {
            ["RunId"] = run.Id,
            ["ExperimentId"] = run.ExperimentId,
            ["DataWindow"] = run.DataWindow.ToString(),
            ["Attempt"] = run.Attempts,
        });
        LogStarted(run.Id, run.ExperimentId, run.DataWindow.ToString(), run.Attempts);

        // The attempt ends at the worker's shutdown, at AttemptTimeout, or when its lease is lost.
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(_options.AttemptTimeout);
        var lease = new LeaseKeeper(store, run.ExperimentId, holder, _options.LeaseDuration, attempt);
        var renewing = lease.RunAsync();
        AnalysisOutcome outcome;
        try
        {
            outcome = await ExecuteStagesAsync(run, lease, cancellationToken, attempt.Token);
        }
        catch (OperationCanceledException) when (lease.Lost && !cancellationToken.IsCancellationRequested)
        {
            LogLeaseLost(run.Id, run.ExperimentId);
            outcome = new AnalysisOutcome(run.Id, run.ExperimentId, AnalysisOutcomeKind.Busy,
                "The attempt lost its experiment's lease to another attempt.", null, []);
        }
        finally
        {
            await lease.StopAsync(renewing);
            await store.ReleaseLeaseAsync(run.ExperimentId, holder, CancellationToken.None);
        }
        var final = await store.GetRunAsync(run.Id, CancellationToken.None) ?? run;
        AnalysisMetrics.Record(outcome.Kind, final.Durations);
        LogFinished(run.Id, run.ExperimentId, run.DataWindow.ToString(), outcome.Kind, final.RowsRead, final.BytesRead,
            final.EngineVersion ?? "", Ms(final.Durations.ContractCheck), Ms(final.Durations.Query), Ms(final.Durations.Engine),
            Ms(final.Durations.Publish), outcome.Reason ?? "");
        return outcome;
    }

    /// <summary>Renews an attempt's lease every third of its duration; cancels the attempt when the lease is lost.</summary>
    private sealed class LeaseKeeper(ResultsStore store, string experimentId, string holder, TimeSpan duration, CancellationTokenSource attempt)
    {
        private readonly CancellationTokenSource _stop = new();

        public string Holder => holder;

        public bool Lost { get; private set; }

        public async Task RunAsync()
        {
            try
            {
                while (true)
                {
                    // Real time: the lease guards against other processes, whatever clock the analysis is given.
                    await Task.Delay(duration / 3, TimeProvider.System, _stop.Token);
                    bool held;
                    try
                    {
                        held = await store.RenewLeaseAsync(experimentId, holder, duration, _stop.Token);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        continue; // the store is briefly unreachable: try again at the next beat, before the lease lapses
                    }
                    if (!held)
                    {
                        Lost = true;
                        await attempt.CancelAsync();
                        return;
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
        }

        public async Task StopAsync(Task running)
        {
            await _stop.CancelAsync();
            await running;
            _stop.Dispose();
        }
    }

    private async Task<AnalysisOutcome> ExecuteStagesAsync(AnalysisRun run, LeaseKeeper lease, CancellationToken shutdown, CancellationToken cancellationToken)
    {
        var stage = RunStage.ContractCheck;
        try
        {
            var experiment = await store.GetExperimentAsync(run.ExperimentId, cancellationToken);
            if (experiment is null)
                return await Fail(run, $"The experiment '{run.ExperimentId}' no longer exists.");

            // Contract check: columns and types, then freshness.
            await store.EnterStageAsync(run.Id, stage, cancellationToken);
            long started = clock.GetTimestamp();
            var contract = await dataSource.CheckContractAsync(experiment, run.DataWindow, cancellationToken);
            await store.RecordStageAsync(run.Id, stage, clock.GetElapsedTime(started), contract.Cost.RowsRead, contract.Cost.BytesRead,
                cancellationToken: cancellationToken);
            var schema = contract.SchemaProblems.ToList();
            if (schema.Count > 0)
                return await Fail(run, "The data contract is broken: " + string.Join(" ", schema.Select(p => p.Message)));
            var late = contract.FreshnessProblems.ToList();
            if (late.Count > 0)
            {
                var retryAt = clock.GetUtcNow() + _options.DeferDelay;
                string reason = "The data is not complete yet: " + string.Join(" ", late.Select(p => p.Message));
                await store.DeferAsync(run.Id, reason, retryAt, CancellationToken.None);
                return new AnalysisOutcome(run.Id, run.ExperimentId, AnalysisOutcomeKind.Deferred, reason, retryAt, []);
            }

            // Query: the engine's inputs for every metric.
            stage = RunStage.Query;
            await store.EnterStageAsync(run.Id, stage, cancellationToken);
            started = clock.GetTimestamp();
            var inputs = await ReadInputsAsync(experiment, run.DataWindow, cancellationToken);
            var spend = experiment.Holdout is null ? null : await dataSource.ReadSpendAsync(experiment, run.DataWindow, cancellationToken);
            var cost = inputs.Aggregate(spend?.Cost ?? ReadCost.None, (c, i) => c + i.Cost);
            await store.RecordStageAsync(run.Id, stage, clock.GetElapsedTime(started), cost.RowsRead, cost.BytesRead,
                cancellationToken: cancellationToken);

            // Engine: pure statistics.
            stage = RunStage.Engine;
            await store.EnterStageAsync(run.Id, stage, cancellationToken);
            started = clock.GetTimestamp();
            IReadOnlyList<ResultToPublish> results;
            try
            {
                results = experiment.Type == ExperimentType.Ab
                    ? EstimateAb(experiment, inputs, spend?.Value)
                    : EstimateGeo(experiment, inputs, spend?.Value, run.DataWindow);
            }
            catch (StatisticsInputException e)
            {
                return await Fail(run, $"The engine refused the data: {e.Message} (field {e.Field})");
            }
            await store.RecordStageAsync(run.Id, stage, clock.GetElapsedTime(started), engineVersion: EngineInfo.Version,
                cancellationToken: cancellationToken);

            // Publish: every result and the final status in one transaction.
            stage = RunStage.Publish;
            await store.EnterStageAsync(run.Id, stage, cancellationToken);
            var publishStarted = clock.GetUtcNow();
            bool isFinal = IsFinal(experiment, run.DataWindow);
            IReadOnlyList<PublishedResult> published;
            try
            {
                published = await store.PublishAsync(run.Id, results, isFinal, EngineInfo.Version, publishStarted, lease.Holder, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return await Fail(run, $"Publication failed and was rolled back, so nothing was published: {e.Message}");
            }
            return new AnalysisOutcome(run.Id, run.ExperimentId, AnalysisOutcomeKind.Succeeded, null, null, published);
        }
        catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
        {
            return await RetryOrFail(run, stage, "could not reach the data source", $"The data source was unreachable in all {run.Attempts} attempts", e.Message);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            // The worker is stopping: leave the run as it is; the job handed back to the queue starts it again.
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !shutdown.IsCancellationRequested)
        {
            // The attempt's own end: over AttemptTimeout (retried like an outage), or a lost lease (the caller's concern).
            if (lease.Lost)
                throw;
            return await RetryOrFail(run, stage, "ran past Analysis:AttemptTimeout", $"Every one of the {run.Attempts} attempts ran past Analysis:AttemptTimeout",
                $"stopped after {_options.AttemptTimeout}");
        }
        catch (Exception e)
        {
            LogUnexpected(e, run.Id, run.ExperimentId, stage);
            return await Fail(run, $"Stage {stage} failed: {e.GetType().Name}: {e.Message}");
        }
    }

    private async Task<AnalysisOutcome> RetryOrFail(AnalysisRun run, RunStage stage, string what, string gaveUp, string detail)
    {
        if (run.Attempts >= _options.MaxAttempts)
            return await Fail(run, $"{gaveUp} (stage {stage}): {detail}");
        var retryAt = clock.GetUtcNow() + _options.RetryDelay(run.Attempts);
        string reason = $"Attempt {run.Attempts} of {_options.MaxAttempts} {what} (stage {stage}): {detail}";
        await store.RequeueAsync(run.Id, reason, retryAt, CancellationToken.None);
        LogRetry(run.Id, run.ExperimentId, run.Attempts, retryAt, detail);
        return new AnalysisOutcome(run.Id, run.ExperimentId, AnalysisOutcomeKind.RetryScheduled, reason, retryAt, []);
    }

    /// <summary>Whether a result over <paramref name="window"/> is final at the clock's current time.</summary>
    public bool IsFinal(ExperimentDefinition experiment, DateRange window) =>
        clock.GetUtcNow() >= experiment.FinalAfter
        && window.End >= experiment.ExperimentWindow.End.AddDays(experiment.ConversionWindowDays);

    /// <summary>Failures that may go away on a later attempt.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        DataSourceUnavailableException => true,
        ClickHouseConnectionException => true,
        ClickHouseServerException server => server.IsTransient,
        _ => false,
    };

    private async Task<AnalysisOutcome> Fail(AnalysisRun run, string reason)
    {
        await store.FailAsync(run.Id, reason, CancellationToken.None);
        return new AnalysisOutcome(run.Id, run.ExperimentId, AnalysisOutcomeKind.Failed, reason, null, []);
    }

    private sealed record MetricInput(MetricDefinition Metric, ReadCost Cost, IReadOnlyList<MeanVariant>? Means = null,
        IReadOnlyList<RatioVariant>? Ratios = null, IReadOnlyList<DailyStatistics>? Daily = null, Panel? Panel = null);

    private async Task<IReadOnlyList<MetricInput>> ReadInputsAsync(ExperimentDefinition experiment, DateRange window, CancellationToken cancellationToken)
    {
        var inputs = new List<MetricInput>(experiment.Metrics.Count);
        foreach (var metric in experiment.Metrics)
        {
            if (experiment.Type == ExperimentType.Geo)
            {
                var panel = await dataSource.ReadGeoPanelAsync(experiment, metric, window, cancellationToken);
                inputs.Add(new MetricInput(metric, panel.Cost, Panel: panel.Value));
            }
            else if (metric.Kind == MetricKind.Ratio)
            {
                var ratios = await dataSource.ReadRatioStatisticsAsync(experiment, metric, window, cancellationToken);
                inputs.Add(new MetricInput(metric, ratios.Cost, Ratios: ratios.Value));
            }
            else
            {
                // The two reads are independent; issued together, the source can overlap them (ClickHouse's joins
                // leave cores idle in a single query).
                var meansRead = dataSource.ReadMeanStatisticsAsync(experiment, metric, window, cancellationToken);
                var dailyRead = dataSource.ReadDailyCumulativeStatisticsAsync(experiment, metric, window, cancellationToken);
                await Task.WhenAll(meansRead, dailyRead);
                var means = await meansRead;
                var daily = await dailyRead;
                inputs.Add(new MetricInput(metric, means.Cost + daily.Cost, Means: means.Value, Daily: daily.Value));
            }
        }
        return inputs;
    }

    private static List<ResultToPublish> EstimateAb(ExperimentDefinition experiment, IReadOnlyList<MetricInput> inputs, CampaignSpend? spend)
    {
        var shares = experiment.Variants.ToDictionary(v => v.Name, v => v.ExpectedShare);
        var analyses = new List<AbAnalysisResult>(inputs.Count);
        foreach (var input in inputs)
        {
            var options = Options(experiment, input.Metric, shares);
            analyses.Add(input.Ratios is { } ratios ? AbAnalysis.Analyze(ratios, options) : AbAnalysis.Analyze(input.Means!, options));
        }
        if (analyses.Count > 1)
            analyses = AbAnalysis.AdjustAcrossMetrics(analyses, MultipleTestingCorrection.Holm).ToList();
        var holdout = Holdout(experiment, inputs, analyses, spend);

        var results = new List<ResultToPublish>(inputs.Count);
        for (int i = 0; i < inputs.Count; i++)
        {
            var metric = inputs[i].Metric;
            var path = SequentialPath(experiment, metric, inputs[i].Daily, shares);
            var guardrail = experiment.Guardrails.FirstOrDefault(g => g.Metric == metric.Name) is { } g
                ? new GuardrailVerdict(g.MaximumRelativeDrop, analyses[i].Comparisons
                    .Where(c => c.Relative is { } r && g.IsHarmedBy(r.Lower, r.Upper)).Select(c => c.Variant).ToList(), g.Harm)
                : null;
            results.Add(new ResultToPublish(metric.Name, Results.ResultsJson.Serialize(new AbMetricResult(metric.Name, analyses[i], path, guardrail,
                metric.Name == experiment.Holdout?.ConversionMetric ? holdout : null))));
        }
        return results;
    }

    /// <summary>
    /// The conversion-lift figures of a holdout campaign from the published analyses of its conversion and revenue
    /// metrics (the intervals at the experiment's α) and the spend on each treatment's units; null for other experiments.
    /// </summary>
    private static HoldoutResult? Holdout(ExperimentDefinition experiment, IReadOnlyList<MetricInput> inputs,
        IReadOnlyList<AbAnalysisResult> analyses, CampaignSpend? spend)
    {
        if (experiment.Holdout is not { } holdout || spend is null)
            return null;
        int Index(string name) => inputs.Select((input, i) => (input, i)).First(x => x.input.Metric.Name == name).i;
        var perVariant = experiment.Variants.ToDictionary(v => v.Name, v => spend.Totals.GetValueOrDefault(v.Name), StringComparer.Ordinal);
        return HoldoutLift.Analyze(holdout.ConversionMetric, analyses[Index(holdout.ConversionMetric)],
            holdout.RevenueMetric, holdout.RevenueMetric is { } revenue ? analyses[Index(revenue)] : null, perVariant);
    }

    private static AbAnalysisOptions Options(ExperimentDefinition experiment, MetricDefinition metric, IReadOnlyDictionary<string, double> shares) => new()
    {
        Control = experiment.Control,
        Alpha = experiment.Alpha,
        Metric = metric.Kind,
        Cuped = metric.Cuped,
        ExpectedShares = shares,
    };

    /// <summary>
    /// The always-valid path: each day's cumulative statistics analysed with confidence sequences
    /// (<see cref="ConfidenceSequence"/>), so reading it every day keeps the error rate. Days with
    /// too little data for an estimate (fewer than two units, no variance yet) are left out.
    /// </summary>
    private static List<SequentialDay> SequentialPath(ExperimentDefinition experiment, MetricDefinition metric,
        IReadOnlyList<DailyStatistics>? daily, IReadOnlyDictionary<string, double> shares)
    {
        var path = new List<SequentialDay>();
        if (daily is null)
            return path;
        var options = Options(experiment, metric, shares) with { Cuped = false, Sequential = true };
        foreach (var day in daily.OrderBy(d => d.Day))
        {
            try
            {
                var result = AbAnalysis.Analyze(day.Variants.Select(v => v with { Statistics = v.Statistics.WithoutCovariates() }).ToList(), options);
                path.Add(new SequentialDay(day.Day, result.Comparisons.Select(c => new SequentialComparison(c.Variant, c.Absolute)).ToList()));
            }
            catch (StatisticsInputException)
            {
                // Not enough data on this day for an honest estimate; the path starts later.
            }
        }
        return path;
    }

    private static List<ResultToPublish> EstimateGeo(ExperimentDefinition experiment, IReadOnlyList<MetricInput> inputs, CampaignSpend? spend, DateRange window)
    {
        // A holdout campaign's spend in the treated markets over the test days (0 in a treated market without rows);
        // none at all when the campaign has no spend rows, which the result then says.
        IReadOnlyDictionary<string, double>? marketSpend = null;
        string? noSpend = null;
        if (experiment.Holdout is { } holdout && spend is not null)
        {
            if (spend.Rows > 0)
                marketSpend = experiment.TreatedMarkets.ToDictionary(m => m, m => spend.Totals.GetValueOrDefault(m), StringComparer.Ordinal);
            else
                noSpend = $"The campaign '{holdout.CampaignId}' has no rows in geo_spend from {experiment.ExperimentWindow.Start:yyyy-MM-dd} to "
                    + $"{(window.End < experiment.ExperimentWindow.End ? window.End : experiment.ExperimentWindow.End):yyyy-MM-dd}, so iROAS and the cost per incremental conversion are not computed.";
        }
        var results = new List<ResultToPublish>(inputs.Count);
        foreach (var input in inputs)
        {
            var panel = input.Panel!;
            var lastTreated = experiment.ExperimentWindow.End.DayNumber;
            var specification = new GeoExperimentSpecification
            {
                TreatedUnits = experiment.TreatedMarkets,
                TreatmentStart = experiment.ExperimentWindow.Start.DayNumber,
                TreatmentEnd = Math.Min(lastTreated, panel.Periods[^1]),
                Alpha = experiment.Alpha,
                Spend = marketSpend,
            };
            var analysis = GeoExperiment.Analyze(panel, specification);
            if (noSpend is not null)
                analysis = analysis with { IncrementalityUnavailableReason = noSpend };
            results.Add(new ResultToPublish(input.Metric.Name, Results.ResultsJson.Serialize(
                new GeoMetricResult(input.Metric.Name, analysis, DateOnly.FromDayNumber(panel.Periods[0])))));
        }
        return results;
    }

    private static long? Ms(TimeSpan? duration) => duration is { } d ? (long)d.TotalMilliseconds : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "Queued analysis run {RunId} of {ExperimentId} over {DataWindow} ({Trigger})")]
    private partial void LogQueued(Guid runId, string experimentId, string dataWindow, string trigger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Analysis run {RunId} of {ExperimentId} over {DataWindow}: attempt {Attempt} started")]
    private partial void LogStarted(Guid runId, string experimentId, string dataWindow, int attempt);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Analysis run {RunId} of {ExperimentId} over {DataWindow}: {Outcome}; read {RowsRead} rows, {BytesRead} bytes; engine {EngineVersion}; contract check {ContractCheckMs} ms, query {QueryMs} ms, engine {EngineMs} ms, publish {PublishMs} ms. {Reason}")]
    private partial void LogFinished(Guid runId, string experimentId, string dataWindow, AnalysisOutcomeKind outcome, long rowsRead, long bytesRead,
        string engineVersion, long? contractCheckMs, long? queryMs, long? engineMs, long? publishMs, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Analysis run {RunId} of {ExperimentId}: attempt {Attempt} could not reach the data source; retrying at {RetryAt}: {Error}")]
    private partial void LogRetry(Guid runId, string experimentId, int attempt, DateTimeOffset retryAt, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Analysis run {RunId} of {ExperimentId} waits: another analysis of the experiment holds its lease until {BusyUntil}")]
    private partial void LogBusy(Guid runId, string experimentId, DateTimeOffset busyUntil);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Analysis run {RunId} of {ExperimentId} lost its lease to another attempt and stopped; that attempt finishes the run")]
    private partial void LogLeaseLost(Guid runId, string experimentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Analysis run {RunId} is already {Status}; nothing to do")]
    private partial void LogAlreadyFinished(Guid runId, string status);

    [LoggerMessage(Level = LogLevel.Error, Message = "Analysis run {RunId} of {ExperimentId} failed unexpectedly in stage {Stage}")]
    private partial void LogUnexpected(Exception exception, Guid runId, string experimentId, RunStage stage);
}
