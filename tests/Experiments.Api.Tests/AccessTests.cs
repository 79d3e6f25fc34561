using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Experiments.Api.Tests;

/// <summary>API keys, roles, the audit trail and the rate limit, through the real pipeline over a real SQLite store.</summary>
public class AccessTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    /// <summary>Creates a key with the admin client and returns it.</summary>
    public static async Task<string> CreateKey(ApiFactory factory, string role, string? name = null)
    {
        using var admin = factory.CreateClient();
        var created = (await admin.Post("/api/v1/keys", $$"""{"name": "{{name ?? role + "-" + Guid.NewGuid().ToString("N")[..8]}}", "role": "{{role}}"}"""))
            .Expect(HttpStatusCode.Created);
        return created["key"]!.GetValue<string>();
    }

    /// <summary>Every endpoint and the least role it needs (null: anonymous). A new endpoint must be added here.</summary>
    private static readonly Dictionary<(string Method, string Route), string?> Required = new()
    {
        [("GET", "/health")] = null,
        [("GET", "/health/live")] = null,
        [("GET", "/health/ready")] = null,
        [("GET", "/openapi/{documentName}.json")] = null,
        [("GET", "/reference/{documentName?}")] = null,
        [("GET", "/reference/scalar.js")] = null,
        [("GET", "/reference/scalar.aspnetcore.js")] = null,
        [("GET", "/reference/favicon.svg")] = null,
        [("GET", "/metrics")] = "reader",
        [("POST", "/api/v1/stats/ab")] = "reader",
        [("POST", "/api/v1/stats/ab/metrics")] = "reader",
        [("POST", "/api/v1/stats/synthetic-control")] = "reader",
        [("POST", "/api/v1/stats/geo-power")] = "reader",
        [("POST", "/api/v1/stats/tbr")] = "reader",
        [("POST", "/api/v1/stats/power")] = "reader",
        [("PUT", "/api/v1/experiments/{id}")] = "analyst",
        [("GET", "/api/v1/experiments/")] = "reader",
        [("GET", "/api/v1/experiments/{id}")] = "reader",
        [("POST", "/api/v1/experiments/{id}/start")] = "analyst",
        [("POST", "/api/v1/experiments/{id}/stop")] = "analyst",
        [("POST", "/api/v1/experiments/{id}/archive")] = "admin",
        [("GET", "/api/v1/decisions/{experimentId}")] = "reader",
        [("POST", "/api/v1/decisions/")] = "reader",
        [("POST", "/api/v1/experiments/{id}/analyses")] = "analyst",
        [("POST", "/api/v1/experiments/{id}/aggregates/rebuild")] = "analyst",
        [("GET", "/api/v1/experiments/{id}/runs")] = "reader",
        [("GET", "/api/v1/runs/{runId}")] = "reader",
        [("GET", "/api/v1/experiments/{id}/results/")] = "reader",
        [("GET", "/api/v1/experiments/{id}/results/history")] = "reader",
        [("GET", "/api/v1/experiments/{id}/charts/{chart}.{format}")] = "reader",
        [("POST", "/api/v1/stats/power/curve.{format}")] = "reader",
        [("POST", "/api/v1/keys/")] = "admin",
        [("GET", "/api/v1/keys/")] = "admin",
        [("DELETE", "/api/v1/keys/{keyId}")] = "admin",
        [("GET", "/api/v1/audit")] = "admin",
        [("GET", "/dashboards")] = "reader",
        [("POST", "/dashboards")] = "reader",
        [("GET", "/dashboards/sign-in")] = null,
        [("POST", "/dashboards/sign-in")] = null,
        [("GET", "/dashboards/sign-out")] = null,
        [("POST", "/dashboards/sign-out")] = null,
        [("GET", "/_framework/opaque-redirect")] = "reader", // Razor components' redirect for enhanced navigation (unused: no script)
    };

    /// <summary>Pages answer a caller without a key with a redirect to the sign-in page, not a 401 problem.</summary>
    private static bool IsPage(string route) => route.StartsWith("/dashboards", StringComparison.Ordinal);

    private static readonly string[] RoleOrder = ["reader", "analyst", "admin"];

    [Fact]
    public async Task Every_endpoint_answers_each_role_and_no_key_as_its_role_requires()
    {
        var endpoints = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (Method: m, Route: "/" + e.RoutePattern.RawText!.TrimStart('/'))))
            .ToList();
        Assert.Empty(endpoints.Where(e => !Required.ContainsKey(e)).Select(e => $"{e.Method} {e.Route} has no row in the role matrix"));

        var keys = new Dictionary<string, string?> { ["none"] = null, ["admin"] = ApiFactory.AdminKey };
        keys["reader"] = await CreateKey(factory, "reader");
        keys["analyst"] = await CreateKey(factory, "analyst");
        var failures = new List<string>();
        foreach (var (method, route) in endpoints)
        {
            string? needed = Required[(method, route)];
            string path = route.Replace("{id}", "matrix-nothing").Replace("{runId}", Guid.NewGuid().ToString())
                .Replace("{keyId}", Guid.NewGuid().ToString()).Replace("{documentName}", "v1").Replace("{documentName?}", "v1")
                .Replace("{experimentId}", "matrix-nothing").Replace("{chart}", "lift").Replace("{format}", "png");
            foreach (var (who, key) in keys)
            {
                using var client = factory.ClientWith(key, followRedirects: false); // a page's redirect to sign-in is its answer
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (method is "POST" or "PUT")
                    request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                using var reply = await client.SendAsync(request); // raw: some answers are scripts, pages or metrics, not JSON
                bool allowed = needed is null || (who != "none" && Array.IndexOf(RoleOrder, who) >= Array.IndexOf(RoleOrder, needed));
                var expected = allowed ? (HttpStatusCode?)null
                    : who == "none" ? (IsPage(route) ? HttpStatusCode.Redirect : HttpStatusCode.Unauthorized) : HttpStatusCode.Forbidden;
                bool ok = expected is { } status
                    ? reply.StatusCode == status
                    : reply.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) && (int)reply.StatusCode < 500;
                if (!ok)
                    failures.Add($"{method} {path} as {who}: {(int)reply.StatusCode} (expected {(expected is { } e ? ((int)e).ToString() : "allowed")})");
            }
        }
        Assert.Empty(failures);
    }

    [Fact]
    public async Task Without_a_key_or_with_an_unknown_one_the_answer_is_a_401_problem_naming_the_header()
    {
        using var none = factory.ClientWith(null);
        using var unknown = factory.ClientWith("exp_" + new string('x', 43));
        using var malformed = factory.CreateClient();
        malformed.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", "dXNlcjpwYXNz");

        foreach (var client in new[] { none, unknown, malformed })
        {
            var reply = (await client.Get("/api/v1/experiments")).AssertProblem(HttpStatusCode.Unauthorized, "Authorization");
            Assert.DoesNotContain("exp_xxx", reply.Text);
        }
    }

    [Fact]
    public async Task A_role_too_low_is_a_403_naming_the_role_needed()
    {
        using var reader = factory.ClientWith(await CreateKey(factory, "reader", "dashboards"));

        var reply = (await reader.Put("/api/v1/experiments/too-low", TestExperiments.Json(TestExperiments.Checkout("too-low"))))
            .AssertProblem(HttpStatusCode.Forbidden, "role");

        Assert.Contains("needs the analyst role; the key 'dashboards' has the reader role", reply.Text);
        (await reader.Get("/api/v1/experiments/too-low")).AssertProblem(HttpStatusCode.NotFound, "id"); // nothing was stored
    }

    [Fact]
    public async Task The_key_is_accepted_in_the_X_Api_Key_header_too()
    {
        string key = await CreateKey(factory, "reader");
        using var client = factory.ClientWith(null);
        client.DefaultRequestHeaders.Add("X-Api-Key", key);

        (await client.Get("/api/v1/experiments")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_key_is_shown_once_stored_as_a_hash_and_refused_once_revoked()
    {
        using var admin = factory.CreateClient();
        var created = (await admin.Post("/api/v1/keys", """{"name": "pricing-service", "role": "reader"}""")).Expect(HttpStatusCode.Created);
        string key = created["key"]!.GetValue<string>();
        string id = created["id"]!.GetValue<string>();
        using var service = factory.ClientWith(key);
        (await service.Get("/api/v1/experiments")).Expect(HttpStatusCode.OK);

        var listed = await admin.Get("/api/v1/keys");
        Assert.DoesNotContain(key, listed.Text);
        Assert.Contains("pricing-service", listed.Text);
        Assert.Matches("^exp_[A-Za-z0-9_-]{43}$", key); // 256 random bits, base64url
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={factory.DatabaseFile}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT key_hash FROM api_keys WHERE id = $id";
            command.Parameters.AddWithValue("$id", id);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))), (string)(await command.ExecuteScalarAsync())!);
        }

        Assert.Equal(HttpStatusCode.NoContent, (await admin.Send(HttpMethod.Delete, $"/api/v1/keys/{id}", null)).Status);
        (await service.Get("/api/v1/experiments")).AssertProblem(HttpStatusCode.Unauthorized, "Authorization");
        (await admin.Send(HttpMethod.Delete, $"/api/v1/keys/{id}", null)).AssertProblem(HttpStatusCode.NotFound, "keyId");
    }

    [Theory]
    [InlineData("""{"role": "reader"}""", "name")]
    [InlineData("""{"name": "x", "role": "owner"}""", "role")]
    [InlineData("""{"name": "x"}""", "role")]
    public async Task A_bad_key_request_is_a_400_naming_the_field(string body, string field)
    {
        using var admin = factory.CreateClient();

        (await admin.Post("/api/v1/keys", body)).AssertProblem(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task Every_change_is_in_the_audit_trail_with_who_what_on_what_and_the_body_hash()
    {
        string analystKey = await CreateKey(factory, "analyst", "growth-team");
        using var analyst = factory.ClientWith(analystKey);
        string body = TestExperiments.Json(TestExperiments.Checkout("audited"));

        (await analyst.Put("/api/v1/experiments/audited", body)).Expect(HttpStatusCode.Created);
        (await analyst.Put("/api/v1/experiments/audited", body)).Expect(HttpStatusCode.OK);
        var run = (await analyst.Post("/api/v1/experiments/audited/analyses", "{}")).Expect(HttpStatusCode.Accepted);
        using var admin = factory.CreateClient();
        var events = (await admin.Get("/api/v1/audit?limit=1000")).Expect(HttpStatusCode.OK)["events"]!.AsArray()
            .Where(e => e!["actor"]!.GetValue<string>() == "growth-team").ToList();

        Assert.Equal(["analysis.queued", "experiment.replaced", "experiment.created"], events.Select(e => e!["action"]!.GetValue<string>()));
        Assert.Equal($"audited/{run["id"]!.GetValue<string>()}", events[0]!["target"]!.GetValue<string>());
        Assert.Equal("audited", events[2]!["target"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body))), events[2]!["bodySha256"]!.GetValue<string>());
        // Reading is not a change; a reader cannot see the trail.
        using var reader = factory.ClientWith(await CreateKey(factory, "reader"));
        (await reader.Get("/api/v1/audit")).AssertProblem(HttpStatusCode.Forbidden, "role");
    }

    [Fact]
    public async Task The_OpenAPI_document_declares_the_key_schemes()
    {
        using var client = factory.CreateClient();

        var document = (await client.Get("/openapi/v1.json")).Expect(HttpStatusCode.OK);

        var schemes = document["components"]!["securitySchemes"]!;
        Assert.Equal("bearer", schemes["bearer"]!["scheme"]!.GetValue<string>());
        Assert.Equal("X-Api-Key", schemes["apiKey"]!["name"]!.GetValue<string>());
        Assert.NotEmpty(document["security"]!.AsArray());
    }
}

/// <summary>A key over its rate gets 429 problems with Retry-After, never a 5xx.</summary>
public class RateLimitTests(RateLimitTests.LowLimitFactory factory) : IClassFixture<RateLimitTests.LowLimitFactory>
{
    public sealed class LowLimitFactory : ApiFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
            [new("Auth:PermitsPerSecond", "1"), new("Auth:Burst", "3")];
    }

    [Fact]
    public async Task Past_its_burst_a_key_gets_429_with_Retry_After()
    {
        using var client = factory.CreateClient();

        var replies = new List<Reply>();
        for (int i = 0; i < 8; i++)
            replies.Add(await client.Get("/api/v1/experiments"));

        Assert.All(replies, r => Assert.True(r.Status is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"{(int)r.Status}"));
        var limited = replies.First(r => r.Status == HttpStatusCode.TooManyRequests);
        limited.AssertProblem(HttpStatusCode.TooManyRequests, "rate");
        Assert.True(replies.Count(r => r.Status == HttpStatusCode.OK) <= 4);
        using var raw = await client.GetAsync("/api/v1/experiments");
        Assert.Equal(HttpStatusCode.TooManyRequests, raw.StatusCode);
        Assert.True(raw.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
    }
}
