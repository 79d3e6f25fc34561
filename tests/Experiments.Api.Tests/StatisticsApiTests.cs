using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Experiments.Api.Tests;

/// <summary>The stateless statistics endpoints through the real HTTP pipeline.</summary>
public class StatisticsApiTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private static readonly JsonElement Reference = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Reference", "ab_reference.json"))).RootElement;

    private async Task<(HttpStatusCode Status, JsonNode Body, string? ContentType)> Post(string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await _client.PostAsync(path, content);
        string text = await response.Content.ReadAsStringAsync();
        // Never a non-finite number in a response (as a bare token or a named-literal string).
        Assert.DoesNotMatch(@"[:\[,]\s*""?-?(NaN|Infinity)\b", text);
        return (response.StatusCode, JsonNode.Parse(text)!, response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task RawValuesGiveTheReferenceAnswer()
    {
        // The CUPED fixture case posted as a notebook would, compared with statsmodels' values.
        var c = Reference.GetProperty("abCases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "cuped-one-covariate");
        var body = new JsonObject
        {
            ["alpha"] = c.GetProperty("alpha").GetDouble(),
            ["control"] = "control",
            ["cuped"] = true,
            ["variants"] = new JsonArray(c.GetProperty("variants").EnumerateArray().Select(v => (JsonNode)new JsonObject
            {
                ["name"] = v.GetProperty("name").GetString(),
                ["y"] = JsonNode.Parse(v.GetProperty("y").GetRawText()),
                ["x"] = JsonNode.Parse(v.GetProperty("x")[0].GetRawText()),
            }).ToArray()),
        };
        var (status, response, _) = await Post("/api/v1/stats/ab", body.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        var expected = c.GetProperty("expected").GetProperty("comparisons")[0];
        var comparison = response["comparisons"]![0]!;
        foreach (var scale in new[] { "absolute", "relative" })
            foreach (var key in new[] { "estimate", "stdError", "pValue" })
            {
                double e = expected.GetProperty(scale).GetProperty(key).GetDouble();
                double a = comparison[scale]![key]!.GetValue<double>();
                Assert.True(Math.Abs(a - e) <= 1e-9 * Math.Abs(e), $"{scale}.{key}: expected {e}, got {a}");
            }
        double theta = c.GetProperty("expected").GetProperty("theta")[0].GetDouble();
        Assert.Equal(theta, comparison["cuped"]!["theta"]!.GetValue<double>(), 1e-9 * Math.Abs(theta));
        Assert.Equal(expected.GetProperty("varianceReduction").GetDouble(), comparison["cuped"]!["varianceReduction"]!.GetValue<double>(), 1e-9);
        Assert.False(response["srm"]!["mismatch"]!.GetValue<bool>());
        Assert.NotNull(response["engineVersion"]);
    }

    [Fact]
    public async Task SufficientStatisticsGiveTheSameAnswerAsRawValues()
    {
        double[] yc = [3.1, 4.2, 5.0, 2.2, 6.3, 4.4], yt = [4.1, 5.2, 6.9, 3.8, 5.5, 6.0];
        double[] xc = [3.0, 4.0, 4.5, 2.0, 6.0, 4.0], xt = [3.5, 4.8, 6.1, 3.0, 5.1, 5.5];
        string raw = JsonSerializer.Serialize(new
        {
            cuped = true,
            variants = new object[] { new { name = "control", y = yc, x = xc }, new { name = "treatment", y = yt, x = xt } },
        });
        static object Sums(string name, double[] y, double[] x) => new
        {
            name, n = y.Length, sumY = y.Sum(), sumY2 = y.Sum(v => v * v), sumX = x.Sum(), sumX2 = x.Sum(v => v * v),
            sumXY = y.Zip(x, (a, b) => a * b).Sum(),
        };
        string sums = JsonSerializer.Serialize(new { cuped = true, variants = new[] { Sums("control", yc, xc), Sums("treatment", yt, xt) } });
        var a = (await Post("/api/v1/stats/ab", raw)).Body["comparisons"]![0]!["absolute"]!;
        var b = (await Post("/api/v1/stats/ab", sums)).Body["comparisons"]![0]!["absolute"]!;
        Assert.Equal(a["estimate"]!.GetValue<double>(), b["estimate"]!.GetValue<double>(), 1e-10);
        Assert.Equal(a["stdError"]!.GetValue<double>(), b["stdError"]!.GetValue<double>(), 1e-10);
    }

    [Fact]
    public async Task ProportionFromCountsRatioAndSequentialWork()
    {
        var (status, proportion, _) = await Post("/api/v1/stats/ab",
            """{"metric":"proportion","variants":[{"name":"control","n":10000,"sumY":800},{"name":"treatment","n":10050,"sumY":905}]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0.08, proportion["variants"]![0]!["mean"]!.GetValue<double>(), 12);

        (status, var ratio, _) = await Post("/api/v1/stats/ab",
            """{"metric":"ratio","variants":[{"name":"control","y":[1,0,2,1,0,3],"denominator":[10,5,12,8,4,15]},{"name":"treatment","y":[2,1,2,1,1,3],"denominator":[9,6,11,8,5,14]}]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(7.0 / 54, ratio["variants"]![0]!["mean"]!.GetValue<double>(), 12);

        string body = """{"variants":[{"name":"control","n":3000,"sumY":15000,"sumY2":100000},{"name":"treatment","n":3000,"sumY":15300,"sumY2":102000}]}""";
        var fixedHorizon = (await Post("/api/v1/stats/ab", body)).Body["comparisons"]![0]!["absolute"]!;
        var sequential = (await Post("/api/v1/stats/ab", body.Replace("{\"variants\"", "{\"sequential\":true,\"variants\""))).Body;
        Assert.True(sequential["sequential"]!.GetValue<bool>());
        var cs = sequential["comparisons"]![0]!["absolute"]!;
        // The always-valid interval is wider than the fixed-horizon one at the same data.
        Assert.True(cs["upper"]!.GetValue<double>() - cs["lower"]!.GetValue<double>() >
                    fixedHorizon["upper"]!.GetValue<double>() - fixedHorizon["lower"]!.GetValue<double>());
        Assert.Null(cs["degreesOfFreedom"]);
    }

    [Fact]
    public async Task SampleRatioMismatchIsFlaggedAgainstExpectedShares()
    {
        var (_, body, _) = await Post("/api/v1/stats/ab",
            """{"expectedShares":{"control":0.5,"treatment":0.5},"variants":[{"name":"control","n":10000,"sumY":800,"sumY2":900},{"name":"treatment","n":10600,"sumY":905,"sumY2":1000}]}""");
        Assert.True(body["srm"]!["mismatch"]!.GetValue<bool>());
        (_, body, _) = await Post("/api/v1/stats/ab",
            """{"expectedShares":{"control":0.485,"treatment":0.515},"variants":[{"name":"control","n":10000,"sumY":800,"sumY2":900},{"name":"treatment","n":10600,"sumY":905,"sumY2":1000}]}""");
        Assert.False(body["srm"]!["mismatch"]!.GetValue<bool>());
    }

    [Fact]
    public async Task ZeroControlMeanGivesNoRelativeLiftRatherThanNaN()
    {
        var (status, body, _) = await Post("/api/v1/stats/ab",
            """{"variants":[{"name":"control","y":[-1,1,-2,2]},{"name":"treatment","y":[1,2,3,4]}]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Null(body["comparisons"]![0]!["relative"]);
        Assert.Contains("zero", body["comparisons"]![0]!["relativeUnavailableReason"]!.GetValue<string>());
    }

    public static TheoryData<string, string, string> BadRequests() => new()
    {
        { "truncated JSON (the reader stops inside the first variant)", """{"variants":[{"name":"control","y":[1,2,3]""", "variants[0]" },
        { "not JSON at all", "hello", "body" },
        { "NaN literal", """{"variants":[{"name":"control","y":[1,NaN,3]},{"name":"treatment","y":[1,2,3]}]}""", "variants[0].y[1]" },
        { "NaN as a string", """{"variants":[{"name":"control","y":[1,"NaN",3]},{"name":"treatment","y":[1,2,3]}]}""", "variants[0].y[1]" },
        { "Infinity by overflow", """{"variants":[{"name":"control","y":[1,1e999,3]},{"name":"treatment","y":[1,2,3]}]}""", "variants[control].y[1]" },
        { "one unit", """{"variants":[{"name":"control","y":[1]},{"name":"treatment","y":[1,2,3]}]}""", "variants[control].n" },
        { "zero units by sums", """{"variants":[{"name":"control","n":0,"sumY":0,"sumY2":0},{"name":"treatment","n":5,"sumY":5,"sumY2":7}]}""", "variants[control].n" },
        { "zero variance", """{"variants":[{"name":"control","y":[2,2,2,2]},{"name":"treatment","y":[1,2,3]}]}""", "variants[control].y" },
        { "x and y lengths differ", """{"cuped":true,"variants":[{"name":"control","y":[1,2,3],"x":[1,2]},{"name":"treatment","y":[1,2,3],"x":[1,2,3]}]}""", "variants[control].x" },
        { "unknown control", """{"control":"baseline","variants":[{"name":"control","y":[1,2,3]},{"name":"treatment","y":[1,2,3]}]}""", "control" },
        { "duplicate names", """{"variants":[{"name":"control","y":[1,2,3]},{"name":"control","y":[1,2,4]}]}""", "variants[1].name" },
        { "alpha zero", """{"alpha":0,"variants":[{"name":"control","y":[1,2,3]},{"name":"treatment","y":[1,2,3]}]}""", "alpha" },
        { "alpha one", """{"alpha":1,"variants":[{"name":"control","y":[1,2,3]},{"name":"treatment","y":[1,2,3]}]}""", "alpha" },
        { "alpha negative", """{"alpha":-0.05,"variants":[{"name":"control","y":[1,2,3]},{"name":"treatment","y":[1,2,3]}]}""", "alpha" },
        { "no variants", """{"alpha":0.05}""", "variants" },
        { "single variant", """{"variants":[{"name":"control","y":[1,2,3]}]}""", "variants" },
        { "missing name", """{"variants":[{"y":[1,2,3]},{"name":"treatment","y":[1,2,3]}]}""", "variants[0].name" },
        { "raw and sums together", """{"variants":[{"name":"control","y":[1,2,3],"n":3},{"name":"treatment","y":[1,2,3]}]}""", "variants[control]" },
        { "raw and sums mixed", """{"variants":[{"name":"control","y":[1,2,3]},{"name":"treatment","n":3,"sumY":6,"sumY2":14}]}""", "variants[treatment]" },
        { "impossible sums", """{"variants":[{"name":"control","n":10,"sumY":100,"sumY2":5},{"name":"treatment","n":3,"sumY":6,"sumY2":14}]}""", "variants[control].sumY2" },
        { "missing sum", """{"variants":[{"name":"control","n":10,"sumY":100},{"name":"treatment","n":3,"sumY":6,"sumY2":14}]}""", "variants[control].sumY2" },
        { "unknown property", """{"cupd":true,"variants":[{"name":"control","y":[1,2,3]},{"name":"treatment","y":[1,2,3]}]}""", "cupd" },
        { "unknown metric", """{"metric":"median","variants":[{"name":"control","y":[1,2,3]},{"name":"treatment","y":[1,2,3]}]}""", "metric" },
        { "number as string", """{"alpha":"0.05","variants":[{"name":"control","y":[1,2,3]},{"name":"treatment","y":[1,2,3]}]}""", "alpha" },
        { "CUPED without covariates", """{"cuped":true,"variants":[{"name":"control","y":[1,2,3]},{"name":"treatment","y":[1,2,3]}]}""", "variants[control].x" },
        { "covariate only in one variant", """{"cuped":true,"variants":[{"name":"control","y":[1,2,3],"x":[1,2,3]},{"name":"treatment","y":[1,2,3]}]}""", "variants[treatment].x" },
        { "proportion not 0/1", """{"metric":"proportion","variants":[{"name":"control","y":[0,1,2]},{"name":"treatment","y":[0,1,1]}]}""", "variants[control].y" },
        { "ratio without denominator", """{"metric":"ratio","variants":[{"name":"control","y":[1,2,3]},{"name":"treatment","y":[1,2,3],"denominator":[1,2,3]}]}""", "variants[control].denominator" },
        { "denominator on a mean", """{"variants":[{"name":"control","y":[1,2,3],"denominator":[1,1,1]},{"name":"treatment","y":[1,2,3]}]}""", "variants[control].denominator" },
        { "share for an unknown variant", """{"expectedShares":{"control":0.5,"other":0.5},"variants":[{"name":"control","y":[1,2,3]},{"name":"treatment","y":[1,2,4]}]}""", "expectedShares[other]" },
        { "negative share", """{"expectedShares":{"control":0.5,"treatment":-0.5},"variants":[{"name":"control","y":[1,2,3]},{"name":"treatment","y":[1,2,4]}]}""", "expectedShares[1]" },
        { "hostile name as control", """{"control":"'; DROP TABLE experiments; --","variants":[{"name":"control","y":[1,2,3]},{"name":"treatment","y":[1,2,4]}]}""", "control" },
        { "null variant", """{"variants":[null,{"name":"treatment","y":[1,2,4]}]}""", "variants[0]" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadInputGetsA400ProblemNamingTheField(string what, string json, string field)
    {
        var (status, body, contentType) = await Post("/api/v1/stats/ab", json);
        Assert.True(status == HttpStatusCode.BadRequest, $"{what}: status {status}, body {body.ToJsonString()}");
        Assert.Equal("application/problem+json", contentType);
        Assert.Equal(400, body["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(body["detail"]?.GetValue<string>()), $"{what}: no detail");
        var errors = body["errors"]!.AsObject();
        Assert.True(errors.ContainsKey(field), $"{what}: expected field '{field}', got {string.Join(", ", errors.Select(e => e.Key))}");
    }

    [Fact]
    public async Task WrongContentTypeIsA415Problem()
    {
        using var content = new StringContent("""{"variants":[]}""", Encoding.UTF8, "text/plain");
        using var response = await _client.PostAsync("/api/v1/stats/ab", content);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task PowerPlanWithAndWithoutCuped()
    {
        var (status, body, _) = await Post("/api/v1/stats/power",
            """{"baselineMean":50,"standardDeviation":30,"relativeMde":0.05,"alpha":0.05,"power":0.8,"variants":2,"dailyUnits":2000,"covariateCorrelation":0.7,"days":14}""");
        Assert.Equal(HttpStatusCode.OK, status);
        // statsmodels NormalIndPower: d = 2.5/30, n = 2260.4718266859454 (fixture powerCases[0]).
        Assert.Equal(2261, body["withoutCuped"]!["sampleSizePerVariant"]!.GetValue<long>());
        Assert.Equal(3, body["withoutCuped"]!["days"]!.GetValue<long>());
        long cuped = body["withCuped"]!["sampleSizePerVariant"]!.GetValue<long>();
        Assert.InRange(cuped, (long)(0.51 * 2260.47), (long)(0.51 * 2260.47) + 2);
        Assert.True(body["withCuped"]!["mdeAtPlannedDays"]!.GetValue<double>() < body["withoutCuped"]!["mdeAtPlannedDays"]!.GetValue<double>());

        (status, body, _) = await Post("/api/v1/stats/power", """{"baselineRate":0.1,"relativeMde":0.1}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Null(body["withCuped"]);
    }

    [Theory]
    [InlineData("""{"standardDeviation":3,"relativeMde":0.1}""", "baselineMean")]
    [InlineData("""{"baselineRate":0.1,"baselineMean":3,"relativeMde":0.1}""", "baselineRate")]
    [InlineData("""{"baselineRate":1.2,"relativeMde":0.1}""", "baselineRate")]
    [InlineData("""{"baselineRate":0.1,"relativeMde":0.1,"alpha":2}""", "alpha")]
    [InlineData("""{"baselineRate":0.1,"relativeMde":0.1,"covariateCorrelation":-1}""", "covariateCorrelation")]
    [InlineData("""{"baselineRate":0.1,"days":10}""", "dailyUnits")]
    [InlineData("""{"baselineRate":0.1,"relativeMde":0.1,"variants":1}""", "variants")]
    public async Task PowerBadInputGetsA400(string json, string field)
    {
        var (status, body, _) = await Post("/api/v1/stats/power", json);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(body["errors"]!.AsObject().ContainsKey(field), body.ToJsonString());
    }

    [Fact]
    public async Task HealthAndOpenApiDocumentAreServed()
    {
        var health = await _client.GetFromJsonAsync<JsonObject>("/health");
        Assert.Equal("ok", health!["status"]!.GetValue<string>());
        var openApi = await _client.GetFromJsonAsync<JsonObject>("/openapi/v1.json");
        var paths = openApi!["paths"]!.AsObject();
        Assert.True(paths.ContainsKey("/api/v1/stats/ab"));
        Assert.True(paths.ContainsKey("/api/v1/stats/power"));
    }
}

/// <summary>Several metrics of one experiment with one multiplicity correction.</summary>
public class MetricsApiTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task AdjustedPValuesCoverEveryMetricAndTreatment()
    {
        string revenue = """{"variants":[{"name":"control","n":5000,"sumY":25000,"sumY2":200000},{"name":"treatment","n":5000,"sumY":25600,"sumY2":206000}]}""";
        string conversion = """{"metric":"proportion","variants":[{"name":"control","n":5000,"sumY":400},{"name":"treatment","n":5000,"sumY":440}]}""";
        using var content = new StringContent("{\"correction\":\"holm\",\"metrics\":{\"revenue\":" + revenue + ",\"conversion\":" + conversion + "}}", Encoding.UTF8, "application/json");
        using var response = await _client.PostAsync("/api/v1/stats/ab/metrics", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var p = new[] { "revenue", "conversion" }.Select(m => body["metrics"]![m]!["comparisons"]![0]!).ToList();
        var raw = p.Select(c => c["absolute"]!["pValue"]!.GetValue<double>()).ToList();
        var adjusted = p.Select(c => c["adjustedPValue"]!.GetValue<double>()).ToList();
        // Holm over two hypotheses: the smaller p doubles, the larger is max(itself, the first).
        int small = raw[0] < raw[1] ? 0 : 1;
        Assert.Equal(Math.Min(1, 2 * raw[small]), adjusted[small], 12);
        Assert.Equal(Math.Max(adjusted[small], raw[1 - small]), adjusted[1 - small], 12);
    }

    [Fact]
    public async Task AnErrorInOneMetricNamesTheMetric()
    {
        using var content = new StringContent("""{"metrics":{"revenue":{"alpha":2,"variants":[{"name":"control","y":[1,2,3]},{"name":"treatment","y":[1,2,4]}]}}}""", Encoding.UTF8, "application/json");
        using var response = await _client.PostAsync("/api/v1/stats/ab/metrics", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(body["errors"]!.AsObject().ContainsKey("metrics.revenue.alpha"), body.ToJsonString());
    }
}
