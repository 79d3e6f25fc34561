using System.Text.Json;
using Experiments.Engine;
using Experiments.Engine.AbTesting;
using Experiments.Engine.Geo;
using Experiments.Engine.Inference;
using Experiments.Jobs.Analysis;
using Experiments.Jobs.Results;
using Experiments.Jobs.Store.Tests.Infrastructure;

namespace Experiments.Jobs.Store.Tests;

public class AnalysisServiceTests
{
    private static readonly DateRange FirstNineDays = new(new DateOnly(2024, 3, 1), new DateOnly(2024, 3, 9));

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task A_run_publishes_exactly_what_the_engine_computes_on_the_inputs_it_read(StoreProvider provider)
    {
        await using var h = await Harness.CreateAsync(provider);
        var experiment = TestExperiments.Checkout();
        var run = await h.QueueAsync(experiment);

        var outcome = await h.Service.ExecuteAsync(run.Id);

        // The engine on the same inputs, adjusted across the three metrics as the service does.
        var shares = new Dictionary<string, double> { ["control"] = 0.5, ["treatment"] = 0.5 };
        var options = new AbAnalysisOptions { Control = "control", ExpectedShares = shares };
        var expected = AbAnalysis.AdjustAcrossMetrics(
        [
            AbAnalysis.Analyze(h.Source.MeanVariants(experiment, experiment.Metrics[0], FirstNineDays), options with { Cuped = true }),
            AbAnalysis.Analyze(h.Source.MeanVariants(experiment, experiment.Metrics[1], FirstNineDays), options with { Metric = MetricKind.Proportion }),
            AbAnalysis.Analyze(h.Source.RatioVariants(experiment, FirstNineDays), options with { Metric = MetricKind.Ratio }),
        ], MultipleTestingCorrection.Holm);

        Assert.Equal(AnalysisOutcomeKind.Succeeded, outcome.Kind);
        Assert.Equal(FirstNineDays, run.DataWindow);
        var published = await h.Store.ListResultsAsync("checkout");
        Assert.Equal(["clicks_per_view", "conversion", "revenue"], published.Select(r => r.Metric));
        foreach (var (metric, reference) in new[] { ("revenue", expected[0]), ("conversion", expected[1]), ("clicks_per_view", expected[2]) })
        {
            var result = published.Single(r => r.Metric == metric);
            Assert.Equal(1, result.Version);
            Assert.False(result.IsFinal);
            Assert.Equal(EngineInfo.Version, result.EngineVersion);
            using var json = JsonDocument.Parse(result.ResultJson);
            var comparison = json.RootElement.GetProperty("analysis").GetProperty("comparisons")[0];
            var absolute = comparison.GetProperty("absolute");
            Assert.Equal(reference.Comparisons[0].Absolute.Estimate, absolute.GetProperty("estimate").GetDouble(), 12);
            Assert.Equal(reference.Comparisons[0].Absolute.Lower, absolute.GetProperty("lower").GetDouble(), 12);
            Assert.Equal(reference.Comparisons[0].AdjustedPValue, comparison.GetProperty("adjustedPValue").GetDouble(), 12);
        }
        // The injected revenue lift (0.3 per unit) lies inside the CUPED interval.
        Assert.InRange(0.3, expected[0].Comparisons[0].Absolute.Lower, expected[0].Comparisons[0].Absolute.Upper);

        var finished = await h.Store.GetRunAsync(run.Id);
        Assert.Equal(RunStatus.Succeeded, finished!.Status);
        Assert.Equal(1, finished.Attempts);
        Assert.Equal(EngineInfo.Version, finished.EngineVersion);
        Assert.All(new[] { finished.Durations.ContractCheck, finished.Durations.Query, finished.Durations.Engine, finished.Durations.Publish },
            d => Assert.NotNull(d));
        // The double's costs: 16 days of volumes for the contract; 2,000 rows per variant or day read
        // (revenue and conversion: 2 variants + 9 days each; clicks per view: 2 variants).
        Assert.Equal(16 + 2000 * (11 + 11 + 2), finished.RowsRead);
        Assert.Equal(16 * 16 + 80_000 * (11 + 11 + 2), finished.BytesRead);
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task The_sequential_path_is_the_always_valid_estimate_of_each_day(StoreProvider provider)
    {
        await using var h = await Harness.CreateAsync(provider);
        var experiment = TestExperiments.Checkout();
        var run = await h.QueueAsync(experiment);

        await h.Service.ExecuteAsync(run.Id);

        var revenue = await h.Store.GetLatestResultAsync("checkout", "revenue");
        using var json = JsonDocument.Parse(revenue!.ResultJson);
        var path = json.RootElement.GetProperty("sequentialPath");
        Assert.Equal(9, path.GetArrayLength());
        var third = path[2];
        Assert.Equal("2024-03-03", third.GetProperty("day").GetString());
        var daily = await h.Source.ReadDailyCumulativeStatisticsAsync(experiment, experiment.Metrics[0], FirstNineDays, default);
        var reference = AbAnalysis.Analyze(daily.Value[2].Variants, new AbAnalysisOptions { Sequential = true,
            ExpectedShares = new Dictionary<string, double> { ["control"] = 0.5, ["treatment"] = 0.5 } });
        var absolute = third.GetProperty("comparisons")[0].GetProperty("absolute");
        Assert.Equal(reference.Comparisons[0].Absolute.Lower, absolute.GetProperty("lower").GetDouble(), 12);
        Assert.Equal(reference.Comparisons[0].Absolute.Upper, absolute.GetProperty("upper").GetDouble(), 12);
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task A_geo_run_publishes_the_synthetic_control_analysis(StoreProvider provider)
    {
        await using var h = await Harness.CreateAsync(provider);
        var experiment = TestExperiments.Geo();
        var run = await h.QueueAsync(experiment);

        var outcome = await h.Service.ExecuteAsync(run.Id);

        Assert.Equal(AnalysisOutcomeKind.Succeeded, outcome.Kind);
        var reference = GeoExperiment.Analyze(h.Source.GeoPanel(experiment, FirstNineDays), new GeoExperimentSpecification
        {
            TreatedUnits = ["berlin", "hamburg"],
            TreatmentStart = new DateOnly(2024, 3, 1).DayNumber,
            TreatmentEnd = new DateOnly(2024, 3, 9).DayNumber,
            Alpha = 0.1,
        });
        using var json = JsonDocument.Parse(outcome.Published.Single().ResultJson);
        var effect = json.RootElement.GetProperty("analysis").GetProperty("effect");
        Assert.Equal(reference.Effect.Estimate, effect.GetProperty("estimate").GetDouble(), 9);
        Assert.Equal(reference.Effect.PValue, effect.GetProperty("pValue").GetDouble(), 12);
        Assert.Equal("2024-02-01", json.RootElement.GetProperty("firstDay").GetString());
        // An 8% lift on ~1000 a day: the estimate's lift lies near it.
        Assert.InRange(reference.LiftPercent!.Estimate, 4, 12);
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task A_renamed_or_retyped_column_fails_the_run_before_estimation_naming_the_column(StoreProvider provider)
    {
        await using var h = await Harness.CreateAsync(provider);
        h.Source.RenameColumn("impressions", "revenue", "revenue_eur");
        h.Source.RetypeColumn("impressions", "converted", "String");
        var run = await h.QueueAsync(TestExperiments.Checkout());

        var outcome = await h.Service.ExecuteAsync(run.Id);
        var after = await h.Store.GetRunAsync(run.Id);

        Assert.Equal(AnalysisOutcomeKind.Failed, outcome.Kind);
        Assert.Equal(RunStatus.Failed, after!.Status);
        Assert.Contains("Column 'revenue' of table 'impressions' is missing", after.Reason);
        Assert.Contains("Column 'converted' of table 'impressions' is String; the analysis needs UInt8", after.Reason);
        Assert.Equal(0, h.Source.Queries);
        Assert.Equal(RunStage.ContractCheck, after.Stage);
        Assert.Null(after.Durations.Query);
        Assert.Null(after.EngineVersion);
        Assert.Empty(await h.Store.ListResultsAsync("checkout"));
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task A_missing_or_partly_loaded_day_defers_the_run_and_publishes_nothing(StoreProvider provider)
    {
        await using var h = await Harness.CreateAsync(provider);
        h.Source.SetDayRows(new DateOnly(2024, 3, 9), 0);
        h.Source.SetDayRows(new DateOnly(2024, 3, 8), 3_000);
        var run = await h.QueueAsync(TestExperiments.Checkout());

        var outcome = await h.Service.ExecuteAsync(run.Id);
        var deferred = await h.Store.GetRunAsync(run.Id);

        Assert.Equal(AnalysisOutcomeKind.Deferred, outcome.Kind);
        Assert.Equal(h.Clock.GetUtcNow() + TimeSpan.FromHours(1), outcome.RetryAt);
        Assert.Equal(RunStatus.Deferred, deferred!.Status);
        Assert.Contains("no rows for 2024-03-09", deferred.Reason);
        Assert.Contains("3000 rows for 2024-03-08", deferred.Reason);
        Assert.Equal(outcome.RetryAt, deferred.NextAttemptAt);
        Assert.Equal(0, h.Source.Queries);
        Assert.Empty(await h.Store.ListResultsAsync("checkout"));

        // The day arrives; the rescheduled attempt of the same run publishes.
        h.Source.SetDayRows(new DateOnly(2024, 3, 9), 10_000);
        h.Source.SetDayRows(new DateOnly(2024, 3, 8), 10_000);
        h.Clock.Set(outcome.RetryAt!.Value);
        var retried = await h.Service.ExecuteAsync(run.Id);

        Assert.Equal(AnalysisOutcomeKind.Succeeded, retried.Kind);
        Assert.Equal(2, (await h.Store.GetRunAsync(run.Id))!.Attempts);
        Assert.Equal(3, (await h.Store.ListResultsAsync("checkout")).Count);
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task An_unreachable_data_source_is_retried_with_back_off_then_fails_the_run_with_the_reason(StoreProvider provider)
    {
        await using var h = await Harness.CreateAsync(provider, new AnalysisOptions
        {
            MaxAttempts = 3, RetryInitialDelay = TimeSpan.FromSeconds(10), RetryMultiplier = 3,
        });
        h.Source.FailNext(3);
        var run = await h.QueueAsync(TestExperiments.Checkout());
        var start = h.Clock.GetUtcNow();

        var first = await h.Service.ExecuteAsync(run.Id);
        var queued = await h.Store.GetRunAsync(run.Id);
        h.Clock.Set(first.RetryAt!.Value);
        var second = await h.Service.ExecuteAsync(run.Id);
        h.Clock.Set(second.RetryAt!.Value);
        var third = await h.Service.ExecuteAsync(run.Id);
        var failed = await h.Store.GetRunAsync(run.Id);

        Assert.Equal(AnalysisOutcomeKind.RetryScheduled, first.Kind);
        Assert.Equal(start + TimeSpan.FromSeconds(10), first.RetryAt);
        Assert.Equal(RunStatus.Queued, queued!.Status);
        Assert.Contains("Attempt 1 of 3 could not reach the data source", queued.Reason);
        Assert.Equal(AnalysisOutcomeKind.RetryScheduled, second.Kind);
        Assert.Equal(first.RetryAt + TimeSpan.FromSeconds(30), second.RetryAt);
        Assert.Equal(AnalysisOutcomeKind.Failed, third.Kind);
        Assert.Equal(RunStatus.Failed, failed!.Status);
        Assert.Equal(3, failed.Attempts);
        Assert.Contains("unreachable in all 3 attempts", failed.Reason);
        Assert.Contains("Connection refused", failed.Reason);
        Assert.Equal(3, h.Source.ContractChecks);
        Assert.Equal(0, h.Source.Queries);
        Assert.Empty(await h.Store.ListResultsAsync("checkout"));

        // A finished run is left alone when its job fires again (a recovered or duplicate firing).
        var again = await h.Service.ExecuteAsync(run.Id);
        Assert.Equal(AnalysisOutcomeKind.AlreadyFinished, again.Kind);
        Assert.Equal(3, (await h.Store.GetRunAsync(run.Id))!.Attempts);
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task Results_are_provisional_until_the_experiment_and_its_conversion_window_are_over(StoreProvider provider)
    {
        await using var h = await Harness.CreateAsync(provider);
        var experiment = TestExperiments.Checkout();
        await h.Store.SaveExperimentAsync(experiment);

        // 03-17: the experiment ended on 03-14, but conversions still arrive until the end of 03-17.
        h.Clock.Set(new DateTimeOffset(2024, 3, 17, 23, 59, 0, TimeSpan.Zero));
        var during = await h.Service.CreateRunAsync("checkout", new AnalysisParameters("daily"));
        await h.Service.ExecuteAsync(during.Id);
        // 03-18 00:00: the conversion window has closed and the data covers it.
        h.Clock.Set(new DateTimeOffset(2024, 3, 18, 0, 0, 0, TimeSpan.Zero));
        var after = await h.Service.CreateRunAsync("checkout", new AnalysisParameters("daily"));
        await h.Service.ExecuteAsync(after.Id);
        // Late, but over a window that stops before the conversion window's end: still provisional.
        var partial = await h.Service.CreateRunAsync("checkout", new AnalysisParameters("manual", new DateRange(new DateOnly(2024, 3, 1), new DateOnly(2024, 3, 14))));
        await h.Service.ExecuteAsync(partial.Id);

        var revenue = await h.Store.ListResultsAsync("checkout", "revenue");
        Assert.Equal(new DateOnly(2024, 3, 16), during.DataWindow.End);
        Assert.Equal(new DateOnly(2024, 3, 17), after.DataWindow.End);
        Assert.Equal([false, true, false], revenue.Select(r => r.IsFinal));
        Assert.Equal(new DateTimeOffset(2024, 3, 18, 0, 0, 0, TimeSpan.Zero), experiment.FinalAfter);
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task Progress_is_readable_while_a_run_is_in_its_query_stage(StoreProvider provider)
    {
        await using var h = await Harness.CreateAsync(provider);
        h.Source.HangInQuery = true;
        var run = await h.QueueAsync(TestExperiments.Checkout());

        _ = Task.Run(() => h.Service.ExecuteAsync(run.Id));
        await h.Source.QueryEntered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var progress = await h.Store.GetRunAsync(run.Id);

        Assert.Equal(RunStatus.Running, progress!.Status);
        Assert.Equal(RunStage.Query, progress.Stage);
        Assert.NotNull(progress.Durations.ContractCheck);
        Assert.Equal(16, progress.RowsRead);
        Assert.NotNull(progress.StartedAt);
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task The_finished_run_is_logged_with_named_fields(StoreProvider provider)
    {
        await using var h = await Harness.CreateAsync(provider);
        var run = await h.QueueAsync(TestExperiments.Checkout());

        await h.Service.ExecuteAsync(run.Id);

        var entry = h.Log.Entries.Single(e => e.Fields.ContainsKey("Outcome"));
        var stored = await h.Store.GetRunAsync(run.Id);
        Assert.Equal(run.Id, entry.Fields["RunId"]);
        Assert.Equal("checkout", entry.Fields["ExperimentId"]);
        Assert.Equal("2024-03-01..2024-03-09", entry.Fields["DataWindow"]);
        Assert.Equal(AnalysisOutcomeKind.Succeeded, entry.Fields["Outcome"]);
        Assert.Equal(stored!.RowsRead, entry.Fields["RowsRead"]);
        Assert.Equal(stored.BytesRead, entry.Fields["BytesRead"]);
        Assert.Equal(EngineInfo.Version, entry.Fields["EngineVersion"]);
        foreach (var field in new[] { "ContractCheckMs", "QueryMs", "EngineMs", "PublishMs" })
            Assert.IsType<long>(entry.Fields[field]);
    }
}
