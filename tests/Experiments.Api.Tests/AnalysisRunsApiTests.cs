using System.Net;
using System.Text.Json.Nodes;
using Experiments.Jobs.Results;

namespace Experiments.Api.Tests;

/// <summary>
/// Analysis runs on the service as it starts by default: a Hangfire server in-process, and no
/// experiment data source registered yet, so a run must fail and say why.
/// </summary>
public class AnalysisRunsApiTests(SchedulerApiFactory factory) : IClassFixture<SchedulerApiFactory>
{
    private const string IsoInstant = @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$";

    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task Rebuilding_aggregates_without_ClickHouse_is_a_409_that_says_so()
    {
        (await _client.Put("/api/v1/experiments/rebuild-checkout", TestExperiments.Json(TestExperiments.Checkout("rebuild-checkout"))))
            .Expect(HttpStatusCode.Created);

        var reply = (await _client.Post("/api/v1/experiments/rebuild-checkout/aggregates/rebuild")).AssertProblem(HttpStatusCode.Conflict, "id");

        Assert.Contains("ClickHouse:Endpoint is not set", reply.Text);
        (await _client.Post("/api/v1/experiments/rebuild-nothing/aggregates/rebuild")).AssertProblem(HttpStatusCode.NotFound, "id");
    }

    [Fact]
    public async Task Register_list_get_trigger_and_poll_a_run_that_fails_for_want_of_a_data_source()
    {
        // Register → list → get.
        (await _client.Put("/api/v1/experiments/runs-checkout", TestExperiments.Json(TestExperiments.Checkout("runs-checkout"))))
            .Expect(HttpStatusCode.Created);
        var listed = (await _client.Get("/api/v1/experiments?status=running")).Expect(HttpStatusCode.OK);
        Assert.Contains("runs-checkout", listed["experiments"]!.AsArray().Select(e => e!["id"]!.GetValue<string>()));
        (await _client.Get("/api/v1/experiments/runs-checkout")).Expect(HttpStatusCode.OK);

        // Trigger: 202 with the queued run and where to poll it.
        var queued = await _client.Post("/api/v1/experiments/runs-checkout/analyses");
        var run = queued.Expect(HttpStatusCode.Accepted);
        string runId = run["id"]!.GetValue<string>();
        Assert.Equal($"/api/v1/runs/{runId}", queued.Location?.OriginalString);
        Assert.Equal("queued", run["status"]!.GetValue<string>());
        Assert.Equal(0, run["attempts"]!.GetValue<int>());

        // Poll until it finishes.
        var finished = await _client.WaitForRun(queued.Location!.OriginalString);

        Assert.Equal("failed", finished["status"]!.GetValue<string>());
        Assert.Equal("Stage ContractCheck failed: InvalidOperationException: No experiment data source is configured: " +
            "set ClickHouse:Endpoint (and ClickHouse:Database) to analyse the impression logs.", finished["reason"]!.GetValue<string>());
        Assert.Equal("contractCheck", finished["stage"]!.GetValue<string>());
        Assert.Equal(runId, finished["id"]!.GetValue<string>());
        Assert.Equal("runs-checkout", finished["experimentId"]!.GetValue<string>());
        // The default window: the experiment's days and its 3-day conversion window, all in the past.
        Assert.Equal("""{"start":"2024-03-01","end":"2024-03-17"}""", finished["dataWindow"]!.ToJsonString());
        Assert.Equal("""{"trigger":"api","windowOverride":null}""", finished["parameters"]!.ToJsonString());
        Assert.Equal(0, finished["rowsRead"]!.GetValue<long>());
        Assert.Equal(0, finished["bytesRead"]!.GetValue<long>());
        Assert.Null(finished["engineVersion"]);
        Assert.Equal("""{"contractCheckMs":null,"queryMs":null,"engineMs":null,"publishMs":null}""", finished["stageDurations"]!.ToJsonString());
        Assert.Equal(1, finished["attempts"]!.GetValue<int>());
        Assert.Null(finished["nextAttemptAt"]);
        var created = Instant(finished, "createdAt");
        var started = Instant(finished, "startedAt");
        var ended = Instant(finished, "finishedAt");
        Assert.True(created <= started && started <= ended, $"{created:O} ≤ {started:O} ≤ {ended:O}");
        Assert.True(DateTimeOffset.UtcNow - created < TimeSpan.FromMinutes(5));

        // The experiment's runs list it; nothing was published.
        var runs = (await _client.Get("/api/v1/experiments/runs-checkout/runs")).Expect(HttpStatusCode.OK);
        Assert.Equal(finished.ToJsonString(), runs["runs"]!.AsArray().Single()!.ToJsonString());
        Assert.Empty((await _client.Get("/api/v1/experiments/runs-checkout/results")).Expect(HttpStatusCode.OK)["results"]!.AsArray());
        Assert.Empty((await _client.Get("/api/v1/experiments/runs-checkout/results/history")).Expect(HttpStatusCode.OK)["results"]!.AsArray());
        var none = (await _client.Get("/api/v1/experiments/runs-checkout/results?metric=revenue")).AssertProblem(HttpStatusCode.NotFound, "metric");
        Assert.Contains("has been published yet", none.Body!["detail"]!.GetValue<string>());

        // A failed run is closed: the next analysis may be queued.
        (await _client.Post("/api/v1/experiments/runs-checkout/analyses")).Expect(HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task Queueing_for_an_unknown_experiment_is_a_404_naming_the_id()
    {
        (await _client.Post("/api/v1/experiments/nobody-registered-this/analyses")).AssertProblem(HttpStatusCode.NotFound, "id");
        (await _client.Get("/api/v1/experiments/nobody-registered-this/runs")).AssertProblem(HttpStatusCode.NotFound, "id");
    }

    [Theory]
    [InlineData("""{"window": {"start": "2024-02-20", "end": "2024-03-05"}}""", "window.start")]
    [InlineData("""{"window": {"start": "2024-03-01", "end": "2024-03-18"}}""", "window.end")]
    [InlineData("""{"window": {"start": "2024-03-05", "end": "2024-03-04"}}""", "window.end")]
    [InlineData("""{"window": {"start": "2024-03-05"}}""", "window.end")]
    [InlineData("""{"window": {"start": "2024-03-05", "stop": "2024-03-06"}}""", "window.stop")]
    [InlineData("""{"window": {"start": "March 5th", "end": "2024-03-06"}}""", "window.start")]
    [InlineData("""{"windw": {"start": "2024-03-05", "end": "2024-03-06"}}""", "windw")]
    public async Task A_bad_analysis_request_is_a_400_naming_the_field_and_queues_nothing(string body, string field)
    {
        await _client.Put("/api/v1/experiments/runs-bad-request", TestExperiments.Json(TestExperiments.Checkout("runs-bad-request")));

        (await _client.Post("/api/v1/experiments/runs-bad-request/analyses", body)).AssertProblem(HttpStatusCode.BadRequest, field);

        Assert.Empty((await _client.Get("/api/v1/experiments/runs-bad-request/runs")).Expect(HttpStatusCode.OK)["runs"]!.AsArray());
    }

    [Fact]
    public async Task An_experiment_without_a_complete_day_of_data_is_a_409()
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var future = TestExperiments.Checkout("runs-future") with
        {
            PrePeriod = new DateRange(today.AddDays(-20), today.AddDays(-1)),
            ExperimentWindow = new DateRange(today, today.AddDays(14)),
        };
        await _client.Put("/api/v1/experiments/runs-future", TestExperiments.Json(future));

        (await _client.Post("/api/v1/experiments/runs-future/analyses")).AssertProblem(HttpStatusCode.Conflict, "experimentWindow");
        Assert.Empty((await _client.Get("/api/v1/experiments/runs-future/runs")).Expect(HttpStatusCode.OK)["runs"]!.AsArray());
    }

    [Theory]
    [InlineData("not-a-guid")]
    [InlineData("12345")]
    [InlineData("'; DROP TABLE analysis_runs; --")]
    [InlineData("3f2b8c1e-5d4a-4e7b-9c2d-1a0b9e8f7c6d' OR '1'='1")]
    [InlineData("ünïcödé-🙂")]
    public async Task A_malformed_run_id_is_a_400_naming_it(string runId)
    {
        (await _client.Get($"/api/v1/runs/{Uri.EscapeDataString(runId)}")).AssertProblem(HttpStatusCode.BadRequest, "runId");
    }

    [Fact]
    public async Task An_unknown_run_is_a_404_naming_it()
    {
        (await _client.Get($"/api/v1/runs/{Guid.NewGuid()}")).AssertProblem(HttpStatusCode.NotFound, "runId");
    }

    private static DateTimeOffset Instant(JsonNode run, string field)
    {
        string text = run[field]!.GetValue<string>();
        Assert.Matches(IsoInstant, text);
        return DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
    }
}
