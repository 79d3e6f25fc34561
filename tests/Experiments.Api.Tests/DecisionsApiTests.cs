using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Experiments.Api.Decisions;
using Experiments.Engine;
using Experiments.Jobs.Results;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Experiments.Api.Tests;

/// <summary>
/// The decision API through the real pipeline: runs publish results (in-process scheduler,
/// <see cref="FixedDataSource"/>), and the answers are the pure rules applied to exactly what the store
/// holds, with ETags that change when a result or the definition does.
/// </summary>
public class DecisionsApiTests(FixedDataApiFactory factory) : IClassFixture<FixedDataApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task A_decision_is_the_rules_on_the_published_results_and_polling_it_is_a_304()
    {
        const string id = "decision-checkout";
        (await _client.Put($"/api/v1/experiments/{id}", TestExperiments.Json(TestExperiments.Checkout(id)))).Expect(HttpStatusCode.Created);

        // Nothing published although data through 2024-03-17 should exist: stale. Asking ran nothing.
        var before = await Get($"/api/v1/decisions/{id}");
        Assert.Equal(HttpStatusCode.OK, before.Status);
        Assert.Equal("investigate", before.Body!["decision"]!.GetValue<string>());
        Assert.StartsWith("stale:", before.Body["reasons"]![0]!.GetValue<string>());
        Assert.Empty((await _client.Get($"/api/v1/experiments/{id}/runs")).Expect(HttpStatusCode.OK)["runs"]!.AsArray());

        await RunToCompletion(id);
        var answer = await Get($"/api/v1/decisions/{id}");
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(await Expected(id), answer.Body!.ToJsonString());
        // FixedDataSource: revenue +0.8 per unit in the treatment, conversion 14% vs 10% (a guardrail against drops).
        Assert.Equal("ship", answer.Body["decision"]!.GetValue<string>());
        Assert.Equal("revenue", answer.Body["primary"]!["metric"]!.GetValue<string>());
        Assert.Equal("treatment", answer.Body["primary"]!["variant"]!.GetValue<string>());
        Assert.Equal("fixedHorizon", answer.Body["primary"]!["test"]!.GetValue<string>());
        Assert.Equal("final", answer.Body["finality"]!.GetValue<string>());
        Assert.Equal(1, answer.Body["resultVersion"]!.GetValue<int>());
        Assert.Equal(EngineInfo.Version, answer.Body["engineVersion"]!.GetValue<string>());
        Assert.True(answer.Body["srmOk"]!.GetValue<bool>());
        Assert.Equal("2024-03-17", answer.Body["dataThrough"]!.GetValue<string>());
        var guardrail = answer.Body["guardrails"]!.AsArray().Single()!;
        Assert.Equal("conversion", guardrail["metric"]!.GetValue<string>());
        Assert.False(guardrail["harmed"]!.GetValue<bool>());
        Assert.Equal("decrease", guardrail["harm"]!.GetValue<string>());
        foreach (var field in new[] { "experimentId", "decision", "reasons", "primary", "guardrails", "srmOk", "powerReached", "finality", "engineVersion", "resultVersion", "asOf" })
            Assert.True(answer.Body.AsObject().ContainsKey(field), field);

        // Caching: a strong ETag, private max-age; the same ETag back is a 304 with no body.
        Assert.NotNull(answer.ETag);
        Assert.False(answer.ETag!.IsWeak);
        Assert.Equal("max-age=60, private", answer.CacheControl); // as HttpClient prints Cache-Control: private, max-age=60
        Assert.NotEqual(before.ETag!.Tag, answer.ETag.Tag);
        var notModified = await Get($"/api/v1/decisions/{id}", answer.ETag.Tag);
        Assert.Equal(HttpStatusCode.NotModified, notModified.Status);
        Assert.Equal("", notModified.Text);
        Assert.Equal(answer.ETag.Tag, notModified.ETag!.Tag);
        Assert.Equal(HttpStatusCode.NotModified, (await Get($"/api/v1/decisions/{id}", $"\"other\", {answer.ETag.Tag}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Get($"/api/v1/decisions/{id}", "\"other\"")).Status);

        // A new version of the results, then a new status: new ETags, and the old one gets the full answer.
        await RunToCompletion(id);
        var second = await Get($"/api/v1/decisions/{id}", answer.ETag.Tag);
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.NotEqual(answer.ETag.Tag, second.ETag!.Tag);
        Assert.Equal(2, second.Body!["resultVersion"]!.GetValue<int>());
        (await _client.Post($"/api/v1/experiments/{id}/stop")).Expect(HttpStatusCode.OK);
        var stopped = await Get($"/api/v1/decisions/{id}", second.ETag.Tag);
        Assert.Equal(HttpStatusCode.OK, stopped.Status);
        Assert.Equal("completed", stopped.Body!["status"]!.GetValue<string>());
        Assert.Equal(await Expected(id), stopped.Body.ToJsonString());
    }

    [Fact]
    public async Task A_batch_answers_known_ids_in_order_and_lists_unknown_ones()
    {
        (await _client.Put("/api/v1/experiments/batch-a", TestExperiments.Json(TestExperiments.Checkout("batch-a") with { Status = ExperimentStatus.Draft }))).Expect(HttpStatusCode.Created);
        (await _client.Put("/api/v1/experiments/batch-b", TestExperiments.Json(TestExperiments.Checkout("batch-b")))).Expect(HttpStatusCode.Created);

        // Started today: no complete day yet, so nothing is missing.
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        (await _client.Put("/api/v1/experiments/batch-young", TestExperiments.Json(TestExperiments.Checkout("batch-young") with
        {
            PrePeriod = new DateRange(today.AddDays(-28), today.AddDays(-1)),
            ExperimentWindow = new DateRange(today, today.AddDays(13)),
        }))).Expect(HttpStatusCode.Created);

        var reply = await Post("""{"experimentIds": ["batch-b", "batch-unknown", "batch-a", "batch-young"]}""");
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(["batch-b", "batch-a", "batch-young"], reply.Body!["decisions"]!.AsArray().Select(d => d!["experimentId"]!.GetValue<string>()));
        Assert.Equal(["investigate", "investigate", "keep_running"], reply.Body["decisions"]!.AsArray().Select(d => d!["decision"]!.GetValue<string>()));
        Assert.StartsWith("no_results_yet:", reply.Body["decisions"]![2]!["reasons"]![0]!.GetValue<string>());
        Assert.StartsWith("not_started:", reply.Body["decisions"]![1]!["reasons"]![0]!.GetValue<string>());
        Assert.Equal(["batch-unknown"], reply.Body["notFound"]!.AsArray().Select(d => d!.GetValue<string>()));
        Assert.NotNull(reply.ETag);
        Assert.Equal("max-age=60, private", reply.CacheControl);
        // Each answer is the single answer.
        Assert.Equal((await Get("/api/v1/decisions/batch-b")).Body!.ToJsonString(), reply.Body["decisions"]![0]!.ToJsonString());
    }

    public static TheoryData<string, string> BadBatches => new()
    {
        { "null", "body" },
        { "{}", "experimentIds" },
        { """{"experimentIds": []}""", "experimentIds" },
        { "{\"experimentIds\": [" + string.Join(", ", Enumerable.Range(0, 101).Select(i => $"\"e{i}\"")) + "]}", "experimentIds" },
        { """{"experimentIds": ["a", "b", "a"]}""", "experimentIds[2]" },
        { """{"experimentIds": ["ok", "x' OR '1'='1"]}""", "experimentIds[1]" },
        { """{"experimentIds": [null]}""", "experimentIds[0]" },
        { """{"experimentIds": "a"}""", "experimentIds" },
        { """{"ids": ["a"]}""", "ids" },
    };

    [Theory]
    [MemberData(nameof(BadBatches))]
    public async Task A_bad_batch_is_a_400_naming_the_field(string body, string field)
    {
        var reply = await _client.Post("/api/v1/decisions", body);
        reply.AssertProblem(HttpStatusCode.BadRequest, field);
        if (body.Contains("e100", StringComparison.Ordinal))
            Assert.Contains("At most 100", reply.Body!["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_bad_or_unknown_id_is_a_problem_naming_experimentId()
    {
        (await _client.Get("/api/v1/decisions/" + Uri.EscapeDataString("Robert'); DROP TABLE experiments;--"))).AssertProblem(HttpStatusCode.BadRequest, "experimentId");
        (await _client.Get("/api/v1/decisions/" + new string('a', 65))).AssertProblem(HttpStatusCode.BadRequest, "experimentId");
        (await _client.Get("/api/v1/decisions/never-registered")).AssertProblem(HttpStatusCode.NotFound, "experimentId");
        (await _client.Get("/api/v1/decisions/never-registered?fresh=1")).AssertProblem(HttpStatusCode.BadRequest, "fresh");
    }

    [Fact]
    public async Task The_OpenAPI_document_declares_the_decision_and_lifecycle_endpoints()
    {
        var document = (await _client.Get("/openapi/v1.json")).Expect(HttpStatusCode.OK);
        var paths = document["paths"]!.AsObject();
        foreach (var path in new[] { "/api/v1/decisions/{experimentId}", "/api/v1/decisions", "/api/v1/experiments/{id}/start", "/api/v1/experiments/{id}/stop", "/api/v1/experiments/{id}/archive" })
            Assert.True(paths.ContainsKey(path), path);
        var get = paths["/api/v1/decisions/{experimentId}"]!["get"]!["responses"]!.AsObject();
        Assert.True(get.ContainsKey("200") && get.ContainsKey("304") && get.ContainsKey("400") && get.ContainsKey("404"), get.ToJsonString());
        Assert.Contains("keep_running", document["components"]!["schemas"]!.ToJsonString());
    }

    /// <summary>What the rules say on what the store holds now, as the API would serialize it.</summary>
    private async Task<string> Expected(string id)
    {
        var store = factory.Services.GetRequiredService<ResultsStore>();
        var experiment = (await store.GetExperimentAsync(id))!;
        var latest = await store.ListLatestResultsAsync(id);
        var answer = DecisionRules.Decide(experiment, latest, DateOnly.FromDateTime(DateTime.UtcNow), new DecisionOptions());
        var options = factory.Services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        return JsonNode.Parse(JsonSerializer.Serialize(answer, options))!.ToJsonString();
    }

    private async Task RunToCompletion(string id)
    {
        var queued = await _client.Post($"/api/v1/experiments/{id}/analyses");
        queued.Expect(HttpStatusCode.Accepted);
        var run = await _client.WaitForRun(queued.Location!.OriginalString);
        Assert.True(run["status"]!.GetValue<string>() == "succeeded", run.ToJsonString());
    }

    private sealed record CachedReply(HttpStatusCode Status, JsonNode? Body, string Text, EntityTagHeaderValue? ETag, string? CacheControl);

    private async Task<CachedReply> Get(string path, string? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (ifNoneMatch is not null)
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        return await Send(request);
    }

    private async Task<CachedReply> Post(string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/decisions") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        return await Send(request);
    }

    private async Task<CachedReply> Send(HttpRequestMessage request)
    {
        using var response = await _client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return new CachedReply(response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), text, response.Headers.ETag,
            response.Headers.CacheControl?.ToString());
    }
}
