using Dapper;
using Experiments.Jobs.Results;
using Experiments.Jobs.Store.Tests.Infrastructure;

namespace Experiments.Jobs.Store.Tests;

public class ResultsStoreTests
{
    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task An_experiment_round_trips_through_its_JSON_and_columns(StoreProvider provider)
    {
        await using var h = await Harness.CreateAsync(provider);
        var experiment = TestExperiments.Checkout() with { Name = "Robert'); DROP TABLE experiments;--" };

        await h.Store.SaveExperimentAsync(experiment);
        await h.Store.SaveExperimentAsync(TestExperiments.Geo());
        await h.Store.SaveExperimentAsync(TestExperiments.Checkout("draft-one", ExperimentStatus.Draft));
        var read = await h.Store.GetExperimentAsync("checkout");

        Assert.NotNull(read);
        Assert.Equal(ResultsJson.Serialize(experiment), ResultsJson.Serialize(read));
        Assert.Equal(["checkout", "tv-campaign"], (await h.Store.ListExperimentsAsync(ExperimentStatus.Running)).Select(e => e.Id));
        Assert.Equal(3, (await h.Store.ListExperimentsAsync()).Count);
        await using var connection = await h.Store.Database.OpenAsync();
        var columns = await connection.QuerySingleAsync<(string Type, string Status, string StartsOn, string EndsOn)>(
            "SELECT type, status, starts_on, ends_on FROM experiments WHERE id = 'checkout'");
        Assert.Equal(("ab", "running", "2024-03-01", "2024-03-14"), columns);
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task An_invalid_definition_is_refused_naming_the_field(StoreProvider provider)
    {
        await using var h = await Harness.CreateAsync(provider);
        var experiment = TestExperiments.Checkout() with { Variants = [new VariantDefinition("control", 0.5), new VariantDefinition("treatment", 0.6)] };

        var e = await Assert.ThrowsAsync<ExperimentDefinitionException>(() => h.Store.SaveExperimentAsync(experiment));

        Assert.Equal("variants", e.Field);
        Assert.Empty(await h.Store.ListExperimentsAsync());
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task A_new_run_adds_a_version_and_never_overwrites_an_old_result(StoreProvider provider)
    {
        await using var h = await Harness.CreateAsync(provider);
        var first = await h.QueueAsync(TestExperiments.Checkout());
        Assert.Equal(Analysis.AnalysisOutcomeKind.Succeeded, (await h.Service.ExecuteAsync(first.Id)).Kind);
        var v1 = await h.Store.ListResultsAsync("checkout");

        h.Clock.Set(TestExperiments.DuringExperiment.AddDays(2));
        var second = await h.Service.CreateRunAsync("checkout", new AnalysisParameters("daily"));
        Assert.Equal(Analysis.AnalysisOutcomeKind.Succeeded, (await h.Service.ExecuteAsync(second.Id)).Kind);
        var all = await h.Store.ListResultsAsync("checkout");

        Assert.Equal(3, v1.Count);
        Assert.Equal(6, all.Count);
        foreach (var metric in new[] { "revenue", "conversion", "clicks_per_view" })
        {
            var versions = all.Where(r => r.Metric == metric).ToList();
            Assert.Equal([1, 2], versions.Select(r => r.Version));
            var old = v1.Single(r => r.Metric == metric);
            Assert.Equal(old, versions[0]);                                  // untouched, byte for byte
            Assert.Equal(first.Id, versions[0].RunId);
            Assert.Equal(second.Id, versions[1].RunId);
            Assert.NotEqual(versions[0].ResultJson, versions[1].ResultJson); // two more days of data
            Assert.Equal(new DateOnly(2024, 3, 11), versions[1].DataWindow.End);
            Assert.Equal(versions[1], await h.Store.GetLatestResultAsync("checkout", metric));
            Assert.Equal(old, await h.Store.GetResultAsync("checkout", metric, 1));
            Assert.Null(await h.Store.GetResultAsync("checkout", metric, 3));
        }
        Assert.Equal(all.Where(r => r.Version == 2), await h.Store.ListLatestResultsAsync("checkout"));
        Assert.Empty(await h.Store.ListLatestResultsAsync("tv-campaign"));

        // The key stops any writer from replacing a version, whatever SQL it sends.
        await using var connection = await h.Store.Database.OpenAsync();
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => connection.ExecuteAsync(
            "INSERT INTO published_results (experiment_id, metric, version, run_id, is_final, engine_version, window_start, window_end, result, published_at_ms) " +
            "SELECT experiment_id, metric, version, run_id, is_final, engine_version, window_start, window_end, '{}', published_at_ms FROM published_results WHERE version = 1"));
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task A_failure_during_publication_leaves_no_result_and_fails_the_run_with_the_reason(StoreProvider provider)
    {
        await using var h = await Harness.CreateAsync(provider);
        var run = await h.QueueAsync(TestExperiments.Checkout());
        // A real database error in the middle of the transaction: the first metric's row is already
        // inserted when the second one's insert fails.
        await using (var connection = await h.Store.Database.OpenAsync())
            await connection.ExecuteAsync(provider == StoreProvider.Sqlite
                ? """
                  CREATE TRIGGER fail_publication BEFORE INSERT ON published_results WHEN NEW.metric = 'conversion'
                  BEGIN SELECT RAISE(ABORT, 'injected failure while publishing'); END;
                  """
                : """
                  CREATE FUNCTION fail_publication() RETURNS trigger LANGUAGE plpgsql AS $$
                  BEGIN
                      IF NEW.metric = 'conversion' THEN RAISE EXCEPTION 'injected failure while publishing'; END IF;
                      RETURN NEW;
                  END $$;
                  CREATE TRIGGER fail_publication BEFORE INSERT ON published_results FOR EACH ROW EXECUTE FUNCTION fail_publication();
                  """);

        var outcome = await h.Service.ExecuteAsync(run.Id);
        var after = await h.Store.GetRunAsync(run.Id);

        Assert.Equal(Analysis.AnalysisOutcomeKind.Failed, outcome.Kind);
        Assert.Empty(outcome.Published);
        Assert.Empty(await h.Store.ListResultsAsync("checkout"));
        Assert.Equal(RunStatus.Failed, after!.Status);
        Assert.Contains("injected failure while publishing", after.Reason);
        Assert.Contains("nothing was published", after.Reason);
        Assert.Equal(RunStage.Publish, after.Stage);
        Assert.NotNull(after.Durations.Engine);
        Assert.Null(after.Durations.Publish);
        Assert.NotNull(after.FinishedAt);
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task Reports_are_kept_per_rendering(StoreProvider provider)
    {
        await using var h = await Harness.CreateAsync(provider);
        await h.Store.SaveExperimentAsync(TestExperiments.Checkout());

        var first = await h.Store.SaveReportAsync("checkout", null, "html", "Week 1", "<h1>Week 1</h1>");
        h.Clock.Set(TestExperiments.DuringExperiment.AddDays(7));
        var second = await h.Store.SaveReportAsync("checkout", null, "html", "Week 2", "<h1>Week 2</h1>");

        Assert.Equal([second, first], await h.Store.ListReportsAsync("checkout"));
    }
}
