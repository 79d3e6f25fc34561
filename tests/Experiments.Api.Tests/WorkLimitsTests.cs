using System.Net;
using System.Text.Json.Nodes;

namespace Experiments.Api.Tests;

/// <summary>Expensive stateless requests over a documented work limit get a 422 naming the field and the limit, before any work starts.</summary>
public class WorkLimitsTests(WorkLimitsTests.SmallLimitsFactory factory) : IClassFixture<WorkLimitsTests.SmallLimitsFactory>
{
    public sealed class SmallLimitsFactory : ApiFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
            [new("Limits:MaxPanelRows", "200"), new("Limits:MaxSyntheticControlFits", "4"), new("Limits:MaxGeoPowerSimulations", "50")];
    }

    private static JsonArray Rows(int units, int periods) => new(
        Enumerable.Range(0, units).SelectMany(u => Enumerable.Range(1, periods).Select(p => (JsonNode)new JsonObject
        {
            ["unit"] = $"m{u}", ["period"] = p, ["outcome"] = 100.0 + 3 * u + (p % 7) + ((u * 7919 + p * 104729) % 13) / 3.0, // not a perfect pre-fit
        })).ToArray());

    [Fact]
    public async Task Too_many_panel_rows_is_a_422_naming_rows_and_the_limit()
    {
        using var client = factory.CreateClient();
        var body = new JsonObject { ["rows"] = Rows(10, 21), ["treatedUnits"] = new JsonArray("m0"), ["treatmentStart"] = 15 };

        var reply = (await client.Post("/api/v1/stats/synthetic-control", body.ToJsonString())).AssertProblem(HttpStatusCode.UnprocessableEntity, "rows");

        Assert.Contains("limit of 200", reply.Text);
        Assert.Contains("Limits:MaxPanelRows", reply.Text);
    }

    [Fact]
    public async Task Placebos_over_the_fit_limit_are_a_422_naming_placebos_and_without_them_the_request_runs()
    {
        using var client = factory.CreateClient();
        var body = new JsonObject { ["rows"] = Rows(6, 20), ["treatedUnits"] = new JsonArray("m0"), ["treatmentStart"] = 15 };

        var reply = (await client.Post("/api/v1/stats/synthetic-control", body.ToJsonString())).AssertProblem(HttpStatusCode.UnprocessableEntity, "placebos");
        body["placebos"] = false;
        var without = await client.Post("/api/v1/stats/synthetic-control", body.ToJsonString());

        Assert.Contains("7 fits, over the limit of 4", reply.Text);
        Assert.True(without.Status == HttpStatusCode.OK, without.Text);
    }

    [Fact]
    public async Task Too_many_geo_power_simulations_is_a_422_naming_the_candidates()
    {
        using var client = factory.CreateClient();
        var body = new JsonObject
        {
            ["rows"] = Rows(6, 30),
            ["treatedCounts"] = new JsonArray(1, 2),
            ["durations"] = new JsonArray(5, 7),
            ["effectSizes"] = new JsonArray(0, 0.1),
            ["windows"] = 10,
        };

        var reply = (await client.Post("/api/v1/stats/geo-power", body.ToJsonString())).AssertProblem(HttpStatusCode.UnprocessableEntity, "treatedCounts");

        Assert.Contains("80 simulated tests", reply.Text);
    }
}

/// <summary>A panel whose pre-period every synthetic copy matches exactly is a 400 naming placebos, never a 500 or a non-finite number.</summary>
public class ExactPreFitTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task An_exact_pre_period_fit_is_a_400_naming_placebos()
    {
        using var client = factory.CreateClient();
        var rows = new JsonArray(Enumerable.Range(0, 6).SelectMany(u => Enumerable.Range(1, 20).Select(p => (JsonNode)new JsonObject
        {
            ["unit"] = $"m{u}", ["period"] = p, ["outcome"] = 100.0 + u + (p % 7),
        })).ToArray());
        var body = new JsonObject { ["rows"] = rows, ["treatedUnits"] = new JsonArray("m0"), ["treatmentStart"] = 15 };

        var reply = (await client.Post("/api/v1/stats/synthetic-control", body.ToJsonString())).AssertProblem(HttpStatusCode.BadRequest, "placebos");

        Assert.Contains("fits the pre-period exactly", reply.Text);
    }
}
