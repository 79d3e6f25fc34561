using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Experiments.Jobs.Results;

namespace Experiments.Api.Tests;

/// <summary>The experiment registry through the real pipeline and a real SQLite results store.</summary>
public class ExperimentsApiTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task An_experiment_is_registered_listed_read_and_replaced()
    {
        var experiment = TestExperiments.Checkout("registry-checkout") with
        {
            Name = "Robert'); DROP TABLE experiments;-- «ünïcode»",
            Status = ExperimentStatus.Draft,
        };

        var created = await _client.Put("/api/v1/experiments/registry-checkout", TestExperiments.Json(experiment));
        // A draft's design may change (outside draft it may not: see ExperimentLifecycleApiTests).
        var replaced = await _client.Put("/api/v1/experiments/registry-checkout",
            TestExperiments.Json(experiment with { Alpha = 0.1 }));
        var listed = (await _client.Get("/api/v1/experiments")).Expect(HttpStatusCode.OK);
        var read = (await _client.Get("/api/v1/experiments/registry-checkout")).Expect(HttpStatusCode.OK);

        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.True(File.Exists(factory.DatabaseFile), "the store should be the factory's temporary SQLite file");
        Assert.Equal("/api/v1/experiments/registry-checkout", created.Location?.OriginalString);
        Assert.Equal(JsonNode.Parse(TestExperiments.Json(experiment))!.ToJsonString(), created.Body!.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, replaced.Status);
        Assert.Null(replaced.Location);
        Assert.Contains("registry-checkout", listed["experiments"]!.AsArray().Select(e => e!["id"]!.GetValue<string>()));
        // What was stored is what is served, the hostile name included; the replacement won.
        Assert.Equal(experiment.Name, read["name"]!.GetValue<string>());
        Assert.Equal("draft", read["status"]!.GetValue<string>());
        Assert.Equal(0.1, read["alpha"]!.GetValue<double>());
        Assert.Equal("2024-03-01", read["experimentWindow"]!["start"]!.GetValue<string>());
        Assert.Equal("treatment", read["variants"]![1]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_list_filters_by_status()
    {
        await _client.Put("/api/v1/experiments/filter-running", TestExperiments.Json(TestExperiments.Checkout("filter-running")));
        await _client.Put("/api/v1/experiments/filter-draft",
            TestExperiments.Json(TestExperiments.Checkout("filter-draft") with { Status = ExperimentStatus.Draft }));

        static List<string> Ids(JsonNode body) => body["experiments"]!.AsArray().Select(e => e!["id"]!.GetValue<string>()).ToList();
        var running = Ids((await _client.Get("/api/v1/experiments?status=running")).Expect(HttpStatusCode.OK));
        var drafts = Ids((await _client.Get("/api/v1/experiments?status=Draft")).Expect(HttpStatusCode.OK));

        Assert.Contains("filter-running", running);
        Assert.DoesNotContain("filter-draft", running);
        Assert.Contains("filter-draft", drafts);
        Assert.DoesNotContain("filter-running", drafts);
        (await _client.Get("/api/v1/experiments?status=paused")).AssertProblem(HttpStatusCode.BadRequest, "status");
        (await _client.Get("/api/v1/experiments?status=1")).AssertProblem(HttpStatusCode.BadRequest, "status");
        (await _client.Get("/api/v1/experiments?statu=running")).AssertProblem(HttpStatusCode.BadRequest, "statu");
    }

    [Fact]
    public async Task An_unknown_experiment_is_a_404_naming_the_id()
    {
        var reply = (await _client.Get("/api/v1/experiments/never-registered")).AssertProblem(HttpStatusCode.NotFound, "id");
        Assert.Contains("never-registered", reply.Body!["detail"]!.GetValue<string>());
        Assert.NotNull(reply.Body["traceId"]);
    }

    public static TheoryData<string, string> BadDefinitions => new()
    {
        // A field missing, malformed or inconsistent → its name.
        { """{"type":"ab"}""", "name" },
        { """{"name":"x","type":"ab","metrics":[{"name":"revenue","kind":"mean"}]}""", "prePeriod" },
        { Valid(d => d.Remove("type")), "type" },
        { Valid(d => d["type"] = "multivariate"), "type" },
        { Valid(d => d["metrics"] = new JsonArray()), "metrics" },
        { Valid(d => d["metrics"]![0]!.AsObject().Remove("kind")), "metrics[0].kind" },
        { Valid(d => d["metrics"]![1]!["name"] = "revenue"), "metrics[1].name" },
        { Valid(d => d["metrics"]![0]!["cupd"] = true), "metrics[0].cupd" },
        { Valid(d => { d["metrics"]![0]!["kind"] = "ratio"; d["metrics"]![0]!["cuped"] = true; }), "metrics[0].cuped" },
        { Valid(d => d["variants"]![1]!["expectedShare"] = 0.6), "variants" },
        { Valid(d => d["variants"]![1]!.AsObject().Remove("expectedShare")), "variants[1].expectedShare" },
        { Valid(d => d["variants"]![1] = null), "variants[1]" },
        { Valid(d => d["control"] = "baseline"), "control" },
        { Valid(d => d["prePeriod"]!["end"] = "2024-03-05"), "prePeriod" },
        { Valid(d => d["prePeriod"]!.AsObject().Remove("end")), "prePeriod.end" },
        { Valid(d => d["experimentWindow"]!["start"] = "2024-02-30"), "experimentWindow.start" },
        { Valid(d => d["experimentWindow"]!["end"] = "2024-02-29"), "experimentWindow.end" },
        { Valid(d => d["conversionWindowDays"] = -1), "conversionWindowDays" },
        { Valid(d => d["alpha"] = 1.5), "alpha" },
        { Valid(d => d["alpha"] = "0.05"), "alpha" },
        { Valid(d => d["guardrails"]![0]!["metric"] = "profit"), "guardrails[0].metric" },
        { Valid(d => d["treatedMarkets"] = new JsonArray("berlin")), "treatedMarkets" },
        { Valid(d => d["status"] = "paused"), "status" },
        { Valid(d => d["id"] = "another-id"), "id" },
        { Valid(d => d["id"] = "bad-body-id'; DROP TABLE experiments;--"), "id" },
        { Valid(d => d["holdout"] = new JsonObject { ["revenueMetric"] = "revenue" }), "holdout.conversionMetric" },
        { Valid(d => d["holdout"] = new JsonObject { ["conversionMetric"] = "orders" }), "holdout.conversionMetric" },
        { Valid(d => d["holdout"] = new JsonObject { ["conversionMetric"] = "conversion", ["revenueMetric"] = "profit" }), "holdout.revenueMetric" },
        { Valid(d => d["holdout"] = new JsonObject { ["conversionMetric"] = "conversion", ["revenueMetric"] = "conversion" }), "holdout.revenueMetric" },
        { Valid(d => d["holdout"] = new JsonObject { ["conversionMetric"] = "conversion", ["spend"] = "geoSpend" }), "holdout.spend" },
        { Valid(d => d["holdout"] = new JsonObject { ["conversionMetric"] = "conversion", ["spend"] = "tv" }), "holdout.spend" },
        { Valid(d => d["holdout"] = new JsonObject { ["conversionMetric"] = "conversion", ["campaignId"] = "" }), "holdout.campaignId" },
        { Valid(d => d["holdout"] = new JsonObject { ["conversionMetric"] = "conversion", ["campaign"] = "x" }), "holdout.campaign" },
        { "null", "body" },
        { "[1, 2]", "body" },
        { """{"name": "unterminated""", "name" },
    };

    [Theory]
    [MemberData(nameof(BadDefinitions))]
    public async Task A_bad_definition_is_a_400_naming_the_field_and_stores_nothing(string body, string field)
    {
        (await _client.Put("/api/v1/experiments/bad-body-id", body)).AssertProblem(HttpStatusCode.BadRequest, field);

        (await _client.Get("/api/v1/experiments/bad-body-id")).AssertProblem(HttpStatusCode.NotFound, "id");
    }

    [Fact]
    public async Task A_geo_experiment_without_treated_markets_names_them()
    {
        string body = """
            {"name": "TV", "type": "geo", "metrics": [{"name": "revenue", "kind": "mean"}],
             "prePeriod": {"start": "2024-02-01", "end": "2024-02-29"}, "experimentWindow": {"start": "2024-03-01", "end": "2024-03-14"}}
            """;
        (await _client.Put("/api/v1/experiments/tv", body)).AssertProblem(HttpStatusCode.BadRequest, "treatedMarkets");
    }

    [Fact]
    public async Task A_holdout_campaign_is_registered_with_its_metrics_and_spend_source()
    {
        var experiment = TestExperiments.Checkout("registry-holdout") with
        {
            Holdout = new HoldoutDefinition("conversion", "revenue", SpendSource.ImpressionsCost, "spring-retargeting"),
        };
        var created = await _client.Put("/api/v1/experiments/registry-holdout", """
            {"name": "Retargeting holdout", "type": "ab", "status": "running",
             "metrics": [{"name": "revenue", "kind": "mean"}, {"name": "conversion", "kind": "proportion"}],
             "variants": [{"name": "control", "expectedShare": 0.5}, {"name": "treatment", "expectedShare": 0.5}],
             "prePeriod": {"start": "2024-02-01", "end": "2024-02-28"}, "experimentWindow": {"start": "2024-03-01", "end": "2024-03-14"},
             "holdout": {"conversionMetric": "conversion", "revenueMetric": "revenue", "campaignId": "spring-retargeting"}}
            """);
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var holdout = created.Body!["holdout"]!;
        Assert.Equal("conversion", holdout["conversionMetric"]!.GetValue<string>());
        Assert.Equal("revenue", holdout["revenueMetric"]!.GetValue<string>());
        Assert.Equal("impressionsCost", holdout["spend"]!.GetValue<string>());
        Assert.Equal("spring-retargeting", holdout["campaignId"]!.GetValue<string>());
        Assert.Equal(experiment.Holdout, (await _client.Get("/api/v1/experiments/registry-holdout")).Expect(HttpStatusCode.OK)["holdout"]
            .Deserialize<HoldoutDefinition>(ResultsJson.Options));

        string geo = """
            {"name": "TV", "type": "geo", "metrics": [{"name": "conversions", "kind": "mean"}], "treatedMarkets": ["berlin"],
             "prePeriod": {"start": "2024-02-01", "end": "2024-02-29"}, "experimentWindow": {"start": "2024-03-01", "end": "2024-03-14"},
             "holdout": {"conversionMetric": "conversions"}}
            """;
        (await _client.Put("/api/v1/experiments/tv-holdout", geo)).AssertProblem(HttpStatusCode.BadRequest, "holdout.campaignId");
        Assert.Equal(HttpStatusCode.Created, (await _client.Put("/api/v1/experiments/tv-holdout", geo.Replace("\"conversions\"}}", "\"conversions\", \"campaignId\": \"tv\"}}"))).Status);
    }

    public static TheoryData<string> HostileIds => new()
    {
        "Robert'); DROP TABLE experiments;--",
        "a\"b",
        "x' OR '1'='1",
        "ünïcödé-实验-🙂",
        "UPPER-case",
        "with space",
        "100%",
        "semi;colon",
        new string('a', 65),
        "tab\tand\nnewline",
    };

    [Theory]
    [MemberData(nameof(HostileIds))]
    public async Task A_hostile_id_is_a_400_on_every_route_and_touches_nothing(string id)
    {
        await _client.Put("/api/v1/experiments/hostile-guard", TestExperiments.Json(TestExperiments.Checkout("hostile-guard")));
        string before = (await _client.Get("/api/v1/experiments")).Text;

        var replies = new[]
        {
            await _client.Put(ClientExtensions.ExperimentPath(id), TestExperiments.Json(TestExperiments.Checkout("hostile-guard") with { Id = id })),
            await _client.Get(ClientExtensions.ExperimentPath(id)),
            await _client.Post(ClientExtensions.ExperimentPath(id, "/analyses")),
            await _client.Get(ClientExtensions.ExperimentPath(id, "/runs")),
            await _client.Get(ClientExtensions.ExperimentPath(id, "/results")),
            await _client.Get(ClientExtensions.ExperimentPath(id, "/results?metric=revenue&version=1")),
            await _client.Get(ClientExtensions.ExperimentPath(id, "/results/history")),
            await _client.Post(ClientExtensions.ExperimentPath(id, "/start")),
            await _client.Post(ClientExtensions.ExperimentPath(id, "/stop")),
            await _client.Post(ClientExtensions.ExperimentPath(id, "/archive")),
        };

        Assert.All(replies, reply => reply.AssertProblem(HttpStatusCode.BadRequest, "id"));
        (await _client.Get("/api/v1/decisions/" + Uri.EscapeDataString(id))).AssertProblem(HttpStatusCode.BadRequest, "experimentId");
        Assert.Equal(before, (await _client.Get("/api/v1/experiments")).Text);
        (await _client.Get("/api/v1/experiments/hostile-guard/runs")).Expect(HttpStatusCode.OK);
    }

    /// <summary>A valid definition's JSON with one change.</summary>
    private static string Valid(Action<JsonObject> change)
    {
        var json = JsonNode.Parse(TestExperiments.Json(TestExperiments.Checkout("bad-body-id")))!.AsObject();
        change(json);
        return json.ToJsonString();
    }
}
