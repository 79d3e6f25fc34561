using System.Net;
using System.Text.Json.Nodes;
using Experiments.Jobs.Results;

namespace Experiments.Api.Tests;

/// <summary>
/// Statuses moved by start/stop/archive, the design frozen outside draft, the decision fields of a
/// definition, and the filtered, paged listing — through the real pipeline over a real SQLite store.
/// </summary>
public class ExperimentLifecycleApiTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private static ExperimentDefinition Draft(string id) => TestExperiments.Checkout(id) with
    {
        Status = ExperimentStatus.Draft,
        Owner = "growth-team",
        Hypothesis = "A one-page checkout loses fewer buyers.",
        Description = "Checkout in one page instead of three.",
        Tags = ["checkout", "q1"],
        PrimaryMetric = "revenue",
        TargetMde = 0.02,
        PlannedDurationDays = 14,
        Guardrails = [new GuardrailDefinition("conversion", 0.02)],
    };

    [Fact]
    public async Task An_experiment_moves_draft_running_completed_archived_and_nothing_else()
    {
        const string id = "life-checkout";
        var created = (await _client.Put($"/api/v1/experiments/{id}", TestExperiments.Json(Draft(id)))).Expect(HttpStatusCode.Created);
        Assert.Equal("draft", created["status"]!.GetValue<string>());
        Assert.Equal("growth-team", created["owner"]!.GetValue<string>());
        Assert.Equal(["checkout", "q1"], created["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal(0.02, created["targetMde"]!.GetValue<double>());

        // Wrong transitions from draft: 409 naming the current status.
        var stopDraft = (await _client.Post($"/api/v1/experiments/{id}/stop")).AssertProblem(HttpStatusCode.Conflict, "status");
        Assert.Contains("is draft", stopDraft.Body!["detail"]!.GetValue<string>());

        Assert.Equal("running", (await _client.Post($"/api/v1/experiments/{id}/start")).Expect(HttpStatusCode.OK)["status"]!.GetValue<string>());
        // Starting queues nothing by itself: the daily job analyses running experiments.
        Assert.Empty((await _client.Get($"/api/v1/experiments/{id}/runs")).Expect(HttpStatusCode.OK)["runs"]!.AsArray());
        var again = (await _client.Post($"/api/v1/experiments/{id}/start")).AssertProblem(HttpStatusCode.Conflict, "status");
        Assert.Equal($"Experiment '{id}' is running; start moves draft experiments to running.", again.Body!["detail"]!.GetValue<string>());
        (await _client.Post($"/api/v1/experiments/{id}/archive")).AssertProblem(HttpStatusCode.Conflict, "status");

        Assert.Equal("completed", (await _client.Post($"/api/v1/experiments/{id}/stop")).Expect(HttpStatusCode.OK)["status"]!.GetValue<string>());
        (await _client.Post($"/api/v1/experiments/{id}/start")).AssertProblem(HttpStatusCode.Conflict, "status");
        Assert.Equal("archived", (await _client.Post($"/api/v1/experiments/{id}/archive")).Expect(HttpStatusCode.OK)["status"]!.GetValue<string>());
        var archived = (await _client.Post($"/api/v1/experiments/{id}/archive")).AssertProblem(HttpStatusCode.Conflict, "status");
        Assert.Contains("is archived", archived.Body!["detail"]!.GetValue<string>());
        var analysis = (await _client.Post($"/api/v1/experiments/{id}/analyses", "{}")).AssertProblem(HttpStatusCode.Conflict, "status");
        Assert.Contains("not analysed again", analysis.Text);

        var read = (await _client.Get($"/api/v1/experiments/{id}")).Expect(HttpStatusCode.OK);
        Assert.Equal("archived", read["status"]!.GetValue<string>());
        Assert.Equal("A one-page checkout loses fewer buyers.", read["hypothesis"]!.GetValue<string>());

        // A draft may be archived without ever running.
        await _client.Put("/api/v1/experiments/life-abandoned", TestExperiments.Json(Draft("life-abandoned")));
        (await _client.Post("/api/v1/experiments/life-abandoned/archive")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Concurrent_starts_move_the_experiment_once()
    {
        await _client.Put("/api/v1/experiments/life-race", TestExperiments.Json(Draft("life-race")));
        var replies = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => _client.Post("/api/v1/experiments/life-race/start")));
        Assert.Equal(1, replies.Count(r => r.Status == HttpStatusCode.OK));
        Assert.All(replies.Where(r => r.Status != HttpStatusCode.OK), r => r.AssertProblem(HttpStatusCode.Conflict, "status"));
    }

    [Fact]
    public async Task Transitions_of_bad_or_unknown_ids_are_400_and_404()
    {
        foreach (var action in new[] { "start", "stop", "archive" })
        {
            (await _client.Post($"/api/v1/experiments/never-there/{action}")).AssertProblem(HttpStatusCode.NotFound, "id");
            (await _client.Post(ClientExtensions.ExperimentPath("x' OR '1'='1", $"/{action}"))).AssertProblem(HttpStatusCode.BadRequest, "id");
        }
    }

    [Fact]
    public async Task Outside_draft_only_non_design_fields_change()
    {
        const string id = "life-frozen";
        var draft = Draft(id);
        await _client.Put($"/api/v1/experiments/{id}", TestExperiments.Json(draft));
        // In draft the design may change.
        (await _client.Put($"/api/v1/experiments/{id}", TestExperiments.Json(draft with { Alpha = 0.1 }))).Expect(HttpStatusCode.OK);
        (await _client.Post($"/api/v1/experiments/{id}/start")).Expect(HttpStatusCode.OK);
        var running = draft with { Alpha = 0.1, Status = ExperimentStatus.Running };

        // Name, owner, hypothesis, description and tags: 200, status kept even when the body leaves it out.
        var body = JsonNode.Parse(TestExperiments.Json(running with { Name = "Renamed", Owner = "checkout-team", Description = "Now with notes.", Tags = ["checkout"] }))!.AsObject();
        body.Remove("status");
        var edited = (await _client.Put($"/api/v1/experiments/{id}", body.ToJsonString())).Expect(HttpStatusCode.OK);
        Assert.Equal("running", edited["status"]!.GetValue<string>());
        Assert.Equal("checkout-team", edited["owner"]!.GetValue<string>());

        // The design: 409 naming the field and the current status; nothing stored.
        (string Field, ExperimentDefinition Changed)[] designChanges =
        [
            ("variants", running with { Variants = [new VariantDefinition("control", 0.4), new VariantDefinition("treatment", 0.6)] }),
            ("metrics", running with { Metrics = [running.Metrics[0]], Guardrails = [] }),
            ("experimentWindow", running with { ExperimentWindow = new DateRange(running.ExperimentWindow.Start, running.ExperimentWindow.End.AddDays(7)) }),
            ("prePeriod", running with { PrePeriod = new DateRange(running.PrePeriod.Start.AddDays(1), running.PrePeriod.End) }),
            ("guardrails", running with { Guardrails = [new GuardrailDefinition("conversion", 0.05)] }),
            ("primaryMetric", running with { PrimaryMetric = "conversion" }),
            ("targetMde", running with { TargetMde = 0.05 }),
            ("alpha", running with { Alpha = 0.05 }),
        ];
        foreach (var (field, changed) in designChanges)
        {
            var conflict = (await _client.Put($"/api/v1/experiments/{id}", TestExperiments.Json(changed))).AssertProblem(HttpStatusCode.Conflict, field);
            Assert.Contains($"Experiment '{id}' is running", conflict.Body!["detail"]!.GetValue<string>());
        }
        // A status in the body that differs from the stored one: use the lifecycle endpoints.
        (await _client.Put($"/api/v1/experiments/{id}", TestExperiments.Json(running with { Status = ExperimentStatus.Completed }))).AssertProblem(HttpStatusCode.Conflict, "status");

        var stored = (await _client.Get($"/api/v1/experiments/{id}")).Expect(HttpStatusCode.OK);
        Assert.Equal("Renamed", stored["name"]!.GetValue<string>());
        Assert.Equal(0.5, stored["variants"]![1]!["expectedShare"]!.GetValue<double>());
        Assert.Equal("running", stored["status"]!.GetValue<string>());
    }

    public static TheoryData<string, string> BadDecisionFields => new()
    {
        { Valid(d => d["primaryMetric"] = "profit"), "primaryMetric" },
        { Valid(d => d["targetMde"] = 0), "targetMde" },
        { Valid(d => d["targetMde"] = -0.1), "targetMde" },
        { Valid(d => d["plannedDurationDays"] = 0), "plannedDurationDays" },
        { Valid(d => d["plannedDurationDays"] = 15), "plannedDurationDays" },
        { Valid(d => d["targetIroas"] = 2.0), "targetIroas" },
        { Valid(d => d["tags"] = new JsonArray("Checkout")), "tags[0]" },
        { Valid(d => d["tags"] = new JsonArray("a", "a")), "tags[1]" },
        { Valid(d => d["tags"] = new JsonArray(Enumerable.Range(0, 21).Select(i => (JsonNode)JsonValue.Create($"t{i}")).ToArray())), "tags" },
        { Valid(d => d["tags"] = new JsonArray((JsonNode?)null)), "tags[0]" },
        { Valid(d => d["owner"] = " "), "owner" },
        { Valid(d => d["owner"] = new string('o', 201)), "owner" },
        { Valid(d => d["owner"] = "growth\nteam"), "owner" },
        { Valid(d => d["description"] = ""), "description" },
        { Valid(d => d["guardrails"]![0]!["harm"] = "sideways"), "guardrails[0].harm" },
        { Valid(d => d["guardrails"]![0]!["maximumRelativeDrop"] = 1.0), "guardrails[0].maximumRelativeDrop" },
        { Valid(d => d["guardrails"] = new JsonArray(JsonNode.Parse("""{"metric":"conversion","maximumRelativeDrop":0.01}"""), JsonNode.Parse("""{"metric":"conversion","maximumRelativeDrop":0.02}"""))), "guardrails[1].metric" },
    };

    [Theory]
    [MemberData(nameof(BadDecisionFields))]
    public async Task A_bad_decision_field_is_a_400_naming_it(string body, string field)
    {
        (await _client.Put("/api/v1/experiments/life-bad", body)).AssertProblem(HttpStatusCode.BadRequest, field);
        (await _client.Get("/api/v1/experiments/life-bad")).AssertProblem(HttpStatusCode.NotFound, "id");
    }

    [Fact]
    public async Task A_geo_experiment_states_a_target_iroas_not_an_mde()
    {
        string geo = """
            {"name": "TV", "type": "geo", "metrics": [{"name": "revenue", "kind": "mean"}], "treatedMarkets": ["berlin"],
             "prePeriod": {"start": "2024-02-01", "end": "2024-02-29"}, "experimentWindow": {"start": "2024-03-01", "end": "2024-03-14"}, "targetIroas": 2.5}
            """;
        Assert.Equal(2.5, (await _client.Put("/api/v1/experiments/life-geo", geo)).Expect(HttpStatusCode.Created)["targetIroas"]!.GetValue<double>());
        (await _client.Put("/api/v1/experiments/life-geo-mde", geo.Replace("\"targetIroas\": 2.5", "\"targetMde\": 0.02"))).AssertProblem(HttpStatusCode.BadRequest, "targetMde");
        (await _client.Put("/api/v1/experiments/life-geo-neg", geo.Replace("2.5", "-1"))).AssertProblem(HttpStatusCode.BadRequest, "targetIroas");
    }

    [Fact]
    public async Task A_guardrail_without_a_direction_means_decrease_as_before()
    {
        string body = Valid(d => { d.Remove("id"); d["guardrails"] = new JsonArray(JsonNode.Parse("""{"metric":"conversion","maximumRelativeDrop":0.01}""")); });
        var created = (await _client.Put("/api/v1/experiments/life-legacy-guardrail", body)).Expect(HttpStatusCode.Created);
        Assert.Equal("decrease", created["guardrails"]![0]!["harm"]!.GetValue<string>());
        string increase = Valid(d => { d.Remove("id"); d["guardrails"] = new JsonArray(JsonNode.Parse("""{"metric":"conversion","maximumRelativeDrop":0.01,"harm":"increase"}""")); });
        Assert.Equal("increase", (await _client.Put("/api/v1/experiments/life-increase-guardrail", increase)).Expect(HttpStatusCode.Created)["guardrails"]![0]!["harm"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_list_filters_by_type_owner_and_tag_and_pages_with_a_cursor()
    {
        // Seven experiments of owner "pager", two tagged "paged-special", one geo.
        for (int i = 0; i < 6; i++)
            await _client.Put($"/api/v1/experiments/page-{i}", TestExperiments.Json(Draft($"page-{i}") with
            {
                Owner = "Pager",
                Tags = i % 3 == 0 ? ["paged-special"] : ["paged"],
            }));
        string geo = """
            {"name": "TV", "type": "geo", "metrics": [{"name": "revenue", "kind": "mean"}], "treatedMarkets": ["berlin"], "owner": "pager",
             "prePeriod": {"start": "2024-02-01", "end": "2024-02-29"}, "experimentWindow": {"start": "2024-03-01", "end": "2024-03-14"}}
            """;
        (await _client.Put("/api/v1/experiments/page-geo", geo)).Expect(HttpStatusCode.Created);

        static List<string> Ids(JsonNode body) => body["experiments"]!.AsArray().Select(e => e!["id"]!.GetValue<string>()).ToList();

        // Pages of 3 over the owner's seven, in id order, the cursor opaque and the last page without one.
        var seen = new List<string>();
        string? cursor = null;
        int pages = 0;
        do
        {
            var page = (await _client.Get($"/api/v1/experiments?owner=pager&limit=3{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}")).Expect(HttpStatusCode.OK);
            var ids = Ids(page);
            Assert.InRange(ids.Count, 1, 3);
            seen.AddRange(ids);
            cursor = page["nextCursor"]?.GetValue<string>();
            Assert.DoesNotContain("page-", cursor ?? "");
            pages++;
        }
        while (cursor is not null);
        Assert.Equal(3, pages);
        Assert.Equal(["page-0", "page-1", "page-2", "page-3", "page-4", "page-5", "page-geo"], seen);

        Assert.Equal(["page-0", "page-3"], Ids((await _client.Get("/api/v1/experiments?tag=paged-special")).Expect(HttpStatusCode.OK)));
        Assert.Equal(["page-geo"], Ids((await _client.Get("/api/v1/experiments?owner=PAGER&type=geo")).Expect(HttpStatusCode.OK)));
        Assert.Equal(["page-3"], Ids((await _client.Get("/api/v1/experiments?owner=pager&tag=paged-special&status=draft&type=ab&limit=1&cursor="
            + Uri.EscapeDataString((await _client.Get("/api/v1/experiments?owner=pager&tag=paged-special&limit=1")).Expect(HttpStatusCode.OK)["nextCursor"]!.GetValue<string>()))).Expect(HttpStatusCode.OK)));
        var all = (await _client.Get("/api/v1/experiments?tag=paged-special")).Expect(HttpStatusCode.OK);
        Assert.Null(all["nextCursor"]);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=201", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("limit=-1", "limit")]
    [InlineData("cursor=not-a-cursor!", "cursor")]
    [InlineData("cursor=ZTE6Jw", "cursor")]
    [InlineData("cursor=", "cursor")]
    [InlineData("type=multivariate", "type")]
    [InlineData("tag=Has%20Space", "tag")]
    [InlineData("owner=", "owner")]
    [InlineData("status=paused", "status")]
    [InlineData("page=2", "page")]
    public async Task A_bad_list_parameter_is_a_400_naming_it(string query, string field)
    {
        (await _client.Get($"/api/v1/experiments?{query}")).AssertProblem(HttpStatusCode.BadRequest, field);
    }

    /// <summary>A valid draft's JSON with one change.</summary>
    private static string Valid(Action<JsonObject> change)
    {
        var json = JsonNode.Parse(TestExperiments.Json(Draft("life-bad")))!.AsObject();
        change(json);
        return json.ToJsonString();
    }
}
