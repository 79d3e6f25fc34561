using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Experiments.Api.Tests;

/// <summary><c>POST /api/v1/stats/tbr</c> on Google's matched_markets salesandcost example.</summary>
public class TbrApiTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private static JsonObject SalesAndCost()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "Data");
        var group = File.ReadAllLines(Path.Combine(dir, "matched_markets_geoassignment.csv")).Skip(1).Select(l => l.Split(',')).ToDictionary(f => f[0], f => f[1]);
        var lines = File.ReadAllLines(Path.Combine(dir, "matched_markets_salesandcost.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        var day = lines.Select(f => f[0]).Distinct().Order(StringComparer.Ordinal).Select((d, i) => (d, i)).ToDictionary(x => x.d, x => x.i + 1);
        var rows = new JsonArray(lines.Select(f => (JsonNode)new JsonObject
        {
            ["unit"] = f[1], ["period"] = day[f[0]],
            ["outcome"] = double.Parse(f[2], CultureInfo.InvariantCulture), ["cost"] = double.Parse(f[3], CultureInfo.InvariantCulture),
        }).ToArray());
        // Pre 2015-01-05..02-15 = days 1..42, test 02-16..03-15 = days 43..70; the cool-down after is ignored.
        return new JsonObject
        {
            ["rows"] = rows,
            ["treatmentUnits"] = new JsonArray(group.Where(g => g.Value == "2").Select(g => (JsonNode)g.Key).ToArray()),
            ["testStart"] = 43, ["testEnd"] = 70, ["alpha"] = 0.2,
        };
    }

    private async Task<(HttpStatusCode, JsonNode)> Post(JsonNode body)
    {
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await _client.PostAsync("/api/v1/stats/tbr", content);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    [Fact]
    public async Task ReproducesTheMatchedMarketsIroas()
    {
        var (status, body) = await Post(SalesAndCost());
        Assert.Equal(HttpStatusCode.OK, status);
        // matched_markets test_tbr_iroas.py (R package values): slope 0.9997001, iROAS 2.946742 with one-sided 90% lower bound
        // 2.826194, incremental response 147337.122 — printed to 7 significant digits.
        Assert.Equal(0.9997001, body["slope"]!.GetValue<double>(), 1e-7);
        Assert.Equal(2.946742, body["iroas"]!["estimate"]!.GetValue<double>(), 1e-6);
        Assert.Equal(2.826194, body["iroas"]!["lower"]!.GetValue<double>(), 1e-6);
        Assert.Equal(147337.122, body["incremental"]!["estimate"]!.GetValue<double>(), 1e-3);
        Assert.Equal(50000, body["incrementalCost"]!.GetValue<double>(), 1e-6);
        Assert.Equal(28, body["series"]!.AsArray().Count);
        Assert.Equal(43, body["series"]![0]!["period"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("no treatment", "treatmentUnits")]
    [InlineData("unknown control", "controlUnits")]
    [InlineData("overlapping groups", "controlUnits")]
    [InlineData("no test start", "testStart")]
    [InlineData("test before pre", "testStart")]
    [InlineData("too few pre-periods", "prePeriods")]
    [InlineData("bad alpha", "alpha")]
    public async Task BadInputGetsA400(string what, string field)
    {
        var body = SalesAndCost();
        switch (what)
        {
            case "no treatment": body["treatmentUnits"] = new JsonArray(); break;
            case "unknown control": body["controlUnits"] = new JsonArray("999"); break;
            case "overlapping groups": body["controlUnits"] = new JsonArray(body["treatmentUnits"]![0]!.GetValue<string>()); break;
            case "no test start": body.Remove("testStart"); break;
            case "test before pre": body["preStart"] = 50; break;
            case "too few pre-periods": body["preStart"] = 41; break;
            case "bad alpha": body["alpha"] = 1.5; break;
        }
        var (status, response) = await Post(body);
        Assert.True(status == HttpStatusCode.BadRequest, $"{what}: {status}");
        Assert.True(response["errors"]!.AsObject().ContainsKey(field), $"{what}: {response.ToJsonString()}");
    }
}
