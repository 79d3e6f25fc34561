using System.Net;
using Microsoft.AspNetCore.Hosting;

namespace Experiments.Api.Tests;

/// <summary>Health checks, /metrics and the API reference, through the real pipeline.</summary>
public class OperationsTests(FixedDataApiFactory factory) : IClassFixture<FixedDataApiFactory>
{
    [Fact]
    public async Task Liveness_and_readiness_answer_without_a_key()
    {
        using var anonymous = factory.ClientWith(null);

        using var live = await anonymous.GetAsync("/health/live");
        using var ready = await anonymous.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_need_a_key_and_count_requests_analyses_and_jobs_in_the_Prometheus_format()
    {
        using var admin = factory.CreateClient();
        await admin.Put("/api/v1/experiments/metered", TestExperiments.Json(TestExperiments.Checkout("metered")));
        var queued = (await admin.Post("/api/v1/experiments/metered/analyses")).Expect(HttpStatusCode.Accepted);
        var run = await admin.WaitForRun($"/api/v1/runs/{queued["id"]!.GetValue<string>()}");
        Assert.Equal("succeeded", run["status"]!.GetValue<string>());
        using var reader = factory.ClientWith(await AccessTests.CreateKey(factory, "reader"));
        (await reader.Get("/api/v1/decisions/metered")).Expect(HttpStatusCode.OK);

        using var anonymous = factory.ClientWith(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);
        using var response = await reader.GetAsync("/metrics");
        string text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("http_requests_received_total{code=\"202\",method=\"POST\",controller=\"\",action=\"\",endpoint=\"", text);
        Assert.Contains("http_request_duration_seconds_bucket", text);
        Assert.Matches("experiments_analysis_attempts\\{outcome=\"succeeded\"\\} [1-9]", text);
        Assert.Contains("experiments_analysis_stage_seconds_bucket{stage=\"engine\"", text);
        Assert.Matches("experiments_jobs\\{state=\"enqueued\"\\} \\d", text);
        Assert.Matches("experiments_decisions_served\\{decision=\"(ship|keep_running|stop|investigate)\"\\} [1-9]", text);
    }

    [Fact]
    public async Task The_API_reference_and_the_OpenAPI_document_are_open_to_read()
    {
        using var anonymous = factory.ClientWith(null);

        using var reference = await anonymous.GetAsync("/reference/v1");
        using var document = await anonymous.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
        Assert.Contains("Experiments API", await reference.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
    }
}

/// <summary>Readiness fails with 503 when a configured ClickHouse does not answer.</summary>
public class ReadinessTests(ReadinessTests.DeadClickHouseFactory factory) : IClassFixture<ReadinessTests.DeadClickHouseFactory>
{
    public sealed class DeadClickHouseFactory : ApiFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
            [new("ClickHouse:Endpoint", "http://127.0.0.1:9/"), new("ClickHouse:Database", "nowhere")];

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            // The ClickHouse migrations would fail the start; readiness is what is under test here.
            builder.ConfigureServices(services =>
            {
                var migration = services.Single(d => d.ImplementationType?.Name == "ClickHouseSchemaMigration");
                services.Remove(migration);
            });
        }
    }

    [Fact]
    public async Task An_unreachable_ClickHouse_makes_the_service_not_ready_but_still_live()
    {
        using var anonymous = factory.ClientWith(null);

        using var ready = await anonymous.GetAsync("/health/ready");
        using var live = await anonymous.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("Unhealthy", await ready.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }
}

/// <summary>The decision API reuses an answer for Decisions:ServerCacheSeconds, then computes it afresh.</summary>
public class DecisionCacheTests(DecisionCacheTests.CachingFactory factory) : IClassFixture<DecisionCacheTests.CachingFactory>
{
    public sealed class CachingFactory : ApiFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [new("Decisions:ServerCacheSeconds", "1.5")];
    }

    [Fact]
    public async Task A_decision_is_reused_within_the_server_cache_time_and_recomputed_after()
    {
        using var admin = factory.CreateClient();
        (await admin.Put("/api/v1/experiments/cached", TestExperiments.Json(TestExperiments.Checkout("cached")))).Expect(HttpStatusCode.Created);
        var first = (await admin.Get("/api/v1/decisions/cached")).Expect(HttpStatusCode.OK);

        (await admin.Post("/api/v1/experiments/cached/stop")).Expect(HttpStatusCode.OK);
        var reused = (await admin.Get("/api/v1/decisions/cached")).Expect(HttpStatusCode.OK);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var fresh = (await admin.Get("/api/v1/decisions/cached")).Expect(HttpStatusCode.OK);

        Assert.Equal("running", first["status"]!.GetValue<string>());
        Assert.Equal("running", reused["status"]!.GetValue<string>());
        Assert.Equal("completed", fresh["status"]!.GetValue<string>());
    }
}
