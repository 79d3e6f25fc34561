using System.Net;
using System.Text.Json.Nodes;
using Experiments.Engine;
using Experiments.Engine.AbTesting;
using Experiments.Engine.Inference;
using Experiments.Jobs.Results;

namespace Experiments.Api.Tests;

/// <summary>
/// Runs that succeed — the scheduler in-process, <see cref="FixedDataSource"/> as the data source —
/// and the versioned results they publish, read through the API.
/// </summary>
public class PublishedResultsApiTests(FixedDataApiFactory factory) : IClassFixture<FixedDataApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task Two_runs_publish_versions_1_and_2_and_the_history_keeps_both()
    {
        var experiment = TestExperiments.Checkout("results-checkout");
        (await _client.Put("/api/v1/experiments/results-checkout", TestExperiments.Json(experiment))).Expect(HttpStatusCode.Created);

        // Run 1 over the first nine days only (its conversion window has not closed: provisional),
        // run 2 over the default window, which is complete (final).
        var first = await RunToCompletion("""{"window": {"start": "2024-03-01", "end": "2024-03-09"}}""");
        var afterFirst = (await _client.Get("/api/v1/experiments/results-checkout/results")).Expect(HttpStatusCode.OK);
        var second = await RunToCompletion(null);

        foreach (var run in new[] { first, second })
        {
            Assert.Equal("succeeded", run["status"]!.GetValue<string>());
            Assert.Equal("publish", run["stage"]!.GetValue<string>());
            Assert.Null(run["reason"]);
            Assert.Equal(1, run["attempts"]!.GetValue<int>());
            Assert.Equal(EngineInfo.Version, run["engineVersion"]!.GetValue<string>());
            // The contract check, then per metric (revenue, conversion) the totals and the daily path.
            Assert.Equal(FixedDataSource.ContractCost.RowsRead + 4 * FixedDataSource.QueryCost.RowsRead, run["rowsRead"]!.GetValue<long>());
            Assert.Equal(FixedDataSource.ContractCost.BytesRead + 4 * FixedDataSource.QueryCost.BytesRead, run["bytesRead"]!.GetValue<long>());
            foreach (var stage in new[] { "contractCheckMs", "queryMs", "engineMs", "publishMs" })
                Assert.InRange(run["stageDurations"]![stage]!.GetValue<double>(), 0, 60_000);
            Assert.NotNull(run["finishedAt"]);
        }
        Assert.Equal("""{"trigger":"api","windowOverride":{"start":"2024-03-01","end":"2024-03-09"}}""", first["parameters"]!.ToJsonString());
        Assert.Equal("""{"start":"2024-03-01","end":"2024-03-09"}""", first["dataWindow"]!.ToJsonString());
        Assert.Equal("""{"start":"2024-03-01","end":"2024-03-17"}""", second["dataWindow"]!.ToJsonString());

        // Latest per metric: version 2 of each, from run 2, final.
        var latest = (await _client.Get("/api/v1/experiments/results-checkout/results")).Expect(HttpStatusCode.OK);
        Assert.Equal("results-checkout", latest["experimentId"]!.GetValue<string>());
        var results = latest["results"]!.AsArray();
        Assert.Equal(["conversion", "revenue"], results.Select(r => r!["metric"]!.GetValue<string>()));
        Assert.All(results, r =>
        {
            Assert.Equal(2, r!["version"]!.GetValue<int>());
            Assert.Equal("final", r["finality"]!.GetValue<string>());
            Assert.Equal(second["id"]!.GetValue<string>(), r["runId"]!.GetValue<string>());
            Assert.Equal(EngineInfo.Version, r["engineVersion"]!.GetValue<string>());
            Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00$", r["publishedAt"]!.GetValue<string>());
        });

        // The published numbers are the engine's on exactly the inputs the run read (Holm across the two metrics).
        AssertEngineAnswer(experiment, TestExperiments.Window.Start, new DateOnly(2024, 3, 17), results);
        var afterFirstResults = afterFirst["results"]!.AsArray();
        Assert.All(afterFirstResults, r => Assert.Equal("provisional", r!["finality"]!.GetValue<string>()));
        AssertEngineAnswer(experiment, TestExperiments.Window.Start, new DateOnly(2024, 3, 9), afterFirstResults);

        // One version of one metric.
        var v1 = (await _client.Get("/api/v1/experiments/results-checkout/results?metric=revenue&version=1")).Expect(HttpStatusCode.OK);
        var revenueV1 = v1["results"]!.AsArray().Single()!;
        Assert.Equal(afterFirstResults.Single(r => r!["metric"]!.GetValue<string>() == "revenue")!.ToJsonString(), revenueV1.ToJsonString());
        var revenueLatest = (await _client.Get("/api/v1/experiments/results-checkout/results?metric=revenue")).Expect(HttpStatusCode.OK);
        Assert.Equal(2, revenueLatest["results"]![0]!["version"]!.GetValue<int>());

        // History: every version, none overwritten.
        var history = (await _client.Get("/api/v1/experiments/results-checkout/results/history?metric=revenue")).Expect(HttpStatusCode.OK)["results"]!.AsArray();
        Assert.Equal([1, 2], history.Select(r => r!["version"]!.GetValue<int>()));
        Assert.Equal(revenueV1.ToJsonString(), history[0]!.ToJsonString());
        Assert.Equal([first["id"]!.GetValue<string>(), second["id"]!.GetValue<string>()], history.Select(r => r!["runId"]!.GetValue<string>()));
        Assert.Equal(["provisional", "final"], history.Select(r => r!["finality"]!.GetValue<string>()));
        Assert.NotEqual(history[0]!["result"]!.ToJsonString(), history[1]!["result"]!.ToJsonString());
        var everything = (await _client.Get("/api/v1/experiments/results-checkout/results/history")).Expect(HttpStatusCode.OK)["results"]!.AsArray();
        Assert.Equal(["conversion:1", "conversion:2", "revenue:1", "revenue:2"],
            everything.Select(r => $"{r!["metric"]!.GetValue<string>()}:{r["version"]!.GetValue<int>()}"));

        // The experiment's runs, newest first.
        var runs = (await _client.Get("/api/v1/experiments/results-checkout/runs")).Expect(HttpStatusCode.OK)["runs"]!.AsArray();
        Assert.Equal([second["id"]!.GetValue<string>(), first["id"]!.GetValue<string>()], runs.Select(r => r!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Bad_result_queries_are_problems_naming_the_field()
    {
        await _client.Put("/api/v1/experiments/results-queries", TestExperiments.Json(TestExperiments.Checkout("results-queries")));
        await RunToCompletion(null, "results-queries");
        const string results = "/api/v1/experiments/results-queries/results";

        (await _client.Get($"{results}?metric=revenue&version=0")).AssertProblem(HttpStatusCode.BadRequest, "version");
        (await _client.Get($"{results}?metric=revenue&version=-1")).AssertProblem(HttpStatusCode.BadRequest, "version");
        (await _client.Get($"{results}?metric=revenue&version=two")).AssertProblem(HttpStatusCode.BadRequest, "version");
        (await _client.Get($"{results}?metric=revenue&version=99999999999")).AssertProblem(HttpStatusCode.BadRequest, "version");
        (await _client.Get($"{results}?version=1")).AssertProblem(HttpStatusCode.BadRequest, "version");
        (await _client.Get($"{results}?metric=")).AssertProblem(HttpStatusCode.BadRequest, "metric");
        (await _client.Get($"{results}?metrc=revenue")).AssertProblem(HttpStatusCode.BadRequest, "metrc");
        (await _client.Get($"{results}/history?version=1")).AssertProblem(HttpStatusCode.BadRequest, "version");
        var newer = (await _client.Get($"{results}?metric=revenue&version=2")).AssertProblem(HttpStatusCode.NotFound, "version");
        Assert.Contains("versions 1 to 1", newer.Body!["detail"]!.GetValue<string>());
        var unknown = (await _client.Get($"{results}?metric={Uri.EscapeDataString("revenue' OR '1'='1")}")).AssertProblem(HttpStatusCode.NotFound, "metric");
        Assert.Contains("its metrics: revenue, conversion", unknown.Body!["detail"]!.GetValue<string>());
        (await _client.Get($"{results}/history?metric={Uri.EscapeDataString("ünïcödé; DROP TABLE published_results")}")).AssertProblem(HttpStatusCode.NotFound, "metric");
        (await _client.Get("/api/v1/experiments/no-such-experiment/results")).AssertProblem(HttpStatusCode.NotFound, "id");
        (await _client.Get("/api/v1/experiments/no-such-experiment/results/history")).AssertProblem(HttpStatusCode.NotFound, "id");

        // Nothing a query sent changed what was published.
        var history = (await _client.Get($"{results}/history")).Expect(HttpStatusCode.OK)["results"]!.AsArray();
        Assert.Equal(["conversion:1", "revenue:1"], history.Select(r => $"{r!["metric"]!.GetValue<string>()}:{r["version"]!.GetValue<int>()}"));
    }

    private async Task<JsonNode> RunToCompletion(string? body, string experimentId = "results-checkout")
    {
        var queued = await _client.Post($"/api/v1/experiments/{experimentId}/analyses", body);
        queued.Expect(HttpStatusCode.Accepted);
        var run = await _client.WaitForRun(queued.Location!.OriginalString);
        Assert.True(run["status"]!.GetValue<string>() == "succeeded", run.ToJsonString());
        return run;
    }

    private static void AssertEngineAnswer(ExperimentDefinition experiment, DateOnly first, DateOnly last, JsonArray published)
    {
        var options = new AbAnalysisOptions
        {
            Control = "control",
            Alpha = experiment.Alpha,
            ExpectedShares = new Dictionary<string, double> { ["control"] = 0.5, ["treatment"] = 0.5 },
        };
        var expected = AbAnalysis.AdjustAcrossMetrics(
        [
            AbAnalysis.Analyze(FixedDataSource.MeanVariants(experiment, experiment.Metrics[0], first, last), options with { Metric = MetricKind.Mean }),
            AbAnalysis.Analyze(FixedDataSource.MeanVariants(experiment, experiment.Metrics[1], first, last), options with { Metric = MetricKind.Proportion }),
        ], MultipleTestingCorrection.Holm);
        foreach (var (metric, reference) in new[] { ("revenue", expected[0]), ("conversion", expected[1]) })
        {
            var result = published.Single(r => r!["metric"]!.GetValue<string>() == metric)!["result"]!;
            Assert.Equal(metric, result["metric"]!.GetValue<string>());
            var comparison = result["analysis"]!["comparisons"]![0]!;
            var absolute = comparison["absolute"]!;
            var want = reference.Comparisons[0];
            Assert.Equal("treatment", comparison["variant"]!.GetValue<string>());
            Assert.Equal(want.Absolute.Estimate, absolute["estimate"]!.GetValue<double>(), 1e-12);
            Assert.Equal(want.Absolute.Lower, absolute["lower"]!.GetValue<double>(), 1e-12);
            Assert.Equal(want.Absolute.Upper, absolute["upper"]!.GetValue<double>(), 1e-12);
            Assert.Equal(want.Absolute.PValue, absolute["pValue"]!.GetValue<double>(), 1e-12);
            Assert.Equal(want.AdjustedPValue, comparison["adjustedPValue"]!.GetValue<double>(), 1e-12);
            Assert.Equal((last.DayNumber - first.DayNumber + 1) * FixedDataSource.UnitsPerVariantAndDay,
                result["analysis"]!["variants"]![1]!["count"]!.GetValue<long>());
            Assert.Equal(last.DayNumber - first.DayNumber + 1, result["sequentialPath"]!.AsArray().Count);
        }
        // The injected revenue lift lies inside its interval.
        Assert.InRange(FixedDataSource.RevenueLift, expected[0].Comparisons[0].Absolute.Lower, expected[0].Comparisons[0].Absolute.Upper);
    }
}
