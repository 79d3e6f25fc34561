using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Experiments.Engine.Geo;
using Experiments.Engine.SyntheticControl;

namespace Experiments.Api.Tests;

/// <summary><c>POST /api/v1/stats/synthetic-control</c> through the real HTTP pipeline, on the published datasets.</summary>
public class SyntheticControlApiTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private static string DataPath(string file) => Path.Combine(AppContext.BaseDirectory, "Data", file);

    /// <summary>GeoLift_Test as long rows with dates mapped to days 1..105, as GeoLift's GeoDataRead does.</summary>
    private static JsonArray GeoLiftRows()
    {
        var records = File.ReadAllLines(DataPath("GeoLift_Test.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        var day = records.Select(r => r[0]).Distinct().Order(StringComparer.Ordinal).Select((d, i) => (d, i)).ToDictionary(x => x.d, x => x.i + 1);
        return new JsonArray(records.Select(r => (JsonNode)new JsonObject
        {
            ["unit"] = r[1], ["period"] = day[r[0]], ["outcome"] = double.Parse(r[2], CultureInfo.InvariantCulture),
        }).ToArray());
    }

    private async Task<(HttpStatusCode Status, JsonNode Body)> Post(JsonNode body)
    {
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await _client.PostAsync("/api/v1/stats/synthetic-control", content);
        string text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotMatch(@"[:\[,]\s*""?-?(NaN|Infinity)\b", text);
        return (response.StatusCode, JsonNode.Parse(text)!);
    }

    private static JsonObject Walkthrough(bool pointwise = false) => new()
    {
        ["rows"] = GeoLiftRows(),
        ["treatedUnits"] = new JsonArray("chicago", "portland"),
        ["treatmentStart"] = 91,
        ["treatmentEnd"] = 105,
        ["alpha"] = 0.1,
        ["placebos"] = false,
        ["pointwiseIntervals"] = pointwise,
        ["spend"] = new JsonObject { ["chicago"] = 32500, ["portland"] = 32500 },
    };

    [Fact]
    public async Task GeoLiftWalkthroughOverHttpEqualsTheEngineAndThePublishedFigures()
    {
        var (status, body) = await Post(Walkthrough());
        Assert.Equal(HttpStatusCode.OK, status);
        // Published: ATT 155.556, incremental 4667, lift 5.4%, cincinnati 0.2272.
        Assert.Equal(155.556, body["effect"]!["estimate"]!.GetValue<double>(), 1e-2);
        Assert.Equal(4667, body["incremental"]!["estimate"]!.GetValue<double>(), 1.0);
        Assert.InRange(body["liftPercent"]!["estimate"]!.GetValue<double>(), 5.35, 5.45);
        Assert.Equal(0.2272, body["weights"]!["cincinnati"]!.GetValue<double>(), 1e-4);
        Assert.Equal("conformal", body["inference"]!["method"]!.GetValue<string>());

        // The endpoint adds nothing to the engine's numbers: the same analysis in-process agrees exactly.
        var panel = Panel.FromRows(GeoLiftRows().Select(r => new PanelRow(r!["unit"]!.GetValue<string>(), r["period"]!.GetValue<int>(), r["outcome"]!.GetValue<double>())), "outcome");
        var engine = GeoExperiment.Analyze(panel, new GeoExperimentSpecification
        {
            TreatedUnits = ["chicago", "portland"], TreatmentStart = 91, TreatmentEnd = 105, PointwiseIntervals = false,
            Spend = new Dictionary<string, double> { ["chicago"] = 32500, ["portland"] = 32500 },
        });
        Assert.Equal(engine.Effect.Lower, body["effect"]!["lower"]!.GetValue<double>(), 1e-9);
        Assert.Equal(engine.Effect.PValue, body["effect"]!["pValue"]!.GetValue<double>(), 1e-12);
        Assert.Equal(engine.Iroas!.Estimate, body["iroas"]!["estimate"]!.GetValue<double>(), 1e-12);
        Assert.Equal(105, body["series"]!.AsArray().Count);
    }

    [Fact]
    public async Task AugmentedMethodAndPlacebosAreReturned()
    {
        var request = Walkthrough();
        request["method"] = "augmented";
        request["placebos"] = true;
        var (status, body) = await Post(request);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(156.805, body["effect"]!["estimate"]!.GetValue<double>(), 1e-2);
        Assert.NotNull(body["ridgeLambda"]);
        var placebo = body["placebo"]!;
        Assert.Equal(39, placebo["units"]!.AsArray().Count);
        Assert.InRange(placebo["pValue"]!.GetValue<double>(), 1.0 / 39, 1.0);
    }

    [Fact]
    public async Task BasqueWithSynthPredictorsReproducesAbadieGardeazabal()
    {
        var lines = File.ReadAllLines(DataPath("basque.csv"));
        var header = lines[0].Split(',');
        var covariates = header.Skip(4).ToArray();
        var rows = new JsonArray();
        foreach (var line in lines.Skip(1))
        {
            var f = line.Split(',');
            var cov = new JsonObject();
            for (int c = 0; c < covariates.Length; c++)
                cov[covariates[c]] = f[4 + c].Length == 0 ? null : double.Parse(f[4 + c], CultureInfo.InvariantCulture);
            rows.Add(new JsonObject
            {
                ["unit"] = f[1], ["period"] = int.Parse(f[2], CultureInfo.InvariantCulture),
                ["outcome"] = double.Parse(f[3], CultureInfo.InvariantCulture), ["covariates"] = cov,
            });
        }
        static JsonObject Mean(string variable, params int[] periods) => new() { ["variable"] = variable, ["periods"] = new JsonArray(periods.Select(p => (JsonNode)p).ToArray()), ["aggregate"] = "mean" };
        var predictors = new JsonArray();
        foreach (var c in new[] { "school.illit", "school.prim", "school.med", "school.high", "school.post.high", "invest" })
            predictors.Add(Mean(c, 1964, 1965, 1966, 1967, 1968, 1969));
        predictors.Add(Mean("outcome", Enumerable.Range(1960, 10).ToArray()));
        foreach (var c in new[] { "sec.agriculture", "sec.energy", "sec.industry", "sec.construction", "sec.services.venta", "sec.services.nonventa" })
            predictors.Add(Mean(c, 1961, 1963, 1965, 1967, 1969));
        predictors.Add(Mean("popdens", 1969));
        var (status, body) = await Post(new JsonObject
        {
            ["rows"] = rows,
            ["treatedUnits"] = new JsonArray("Basque Country (Pais Vasco)"),
            ["treatmentStart"] = 1970,
            ["predictors"] = predictors,
            ["optimizationPeriods"] = new JsonArray(Enumerable.Range(1960, 10).Select(p => (JsonNode)p).ToArray()),
        });
        Assert.Equal(HttpStatusCode.OK, status);
        // Abadie & Gardeazabal (2003): Cataluña 0.8508, Madrid 0.1492 (4 dp; peers spread 2e-5).
        Assert.Equal(0.8508, body["weights"]!["Cataluna"]!.GetValue<double>(), 1e-4);
        Assert.Equal(0.1492, body["weights"]!["Madrid (Comunidad De)"]!.GetValue<double>(), 1e-4);
        Assert.False(body["fixedEffects"]!.GetValue<bool>());
        Assert.Equal("placebo", body["inference"]!["method"]!.GetValue<string>());
        Assert.Null(body["effect"]!["lower"]);
        Assert.Equal(18, body["placebo"]!["units"]!.AsArray().Count);
        Assert.Equal(14, body["predictors"]!.AsArray().Count);
    }

    [Fact]
    public async Task HostileUnitNamesComeBackVerbatim()
    {
        var request = Walkthrough();
        const string hostile = "chicago'; DROP TABLE x; -- \\ \"quoted\" ☃";
        foreach (var row in request["rows"]!.AsArray())
            if (row!["unit"]!.GetValue<string>() == "cincinnati")
                row["unit"] = hostile;
        var (status, body) = await Post(request);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0.2272, body["weights"]![hostile]!.GetValue<double>(), 1e-4);
    }

    public static TheoryData<string, string, string> BadRequests() => new()
    {
        { "no rows", """{"rows":[],"treatedUnits":["a"],"treatmentStart":3}""", "rows" },
        { "row without outcome", """{"rows":[{"unit":"a","period":1}],"treatedUnits":["a"],"treatmentStart":3}""", "rows[0].outcome" },
        { "row without unit", """{"rows":[{"period":1,"outcome":2}],"treatedUnits":["a"],"treatmentStart":3}""", "rows[0].unit" },
        { "NaN outcome", """{"rows":[{"unit":"a","period":1,"outcome":NaN}],"treatedUnits":["a"],"treatmentStart":3}""", "rows[0].outcome" },
        { "period not an integer", """{"rows":[{"unit":"a","period":1.5,"outcome":2}],"treatedUnits":["a"],"treatmentStart":3}""", "rows[0].period" },
        { "no treated units", """{"rows":[{"unit":"a","period":1,"outcome":2}],"treatedUnits":[],"treatmentStart":3}""", "treatedUnits" },
        { "no treatment start", """{"rows":[{"unit":"a","period":1,"outcome":2}],"treatedUnits":["a"]}""", "treatmentStart" },
        { "end before start", """{"rows":[{"unit":"a","period":1,"outcome":2}],"treatedUnits":["a"],"treatmentStart":3,"treatmentEnd":2}""", "treatmentEnd" },
        { "alpha one", """{"rows":[{"unit":"a","period":1,"outcome":2}],"treatedUnits":["a"],"treatmentStart":3,"alpha":1}""", "alpha" },
        { "unknown method", """{"rows":[{"unit":"a","period":1,"outcome":2}],"treatedUnits":["a"],"treatmentStart":3,"method":"gsyn"}""", "method" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task StructurallyBadRequestsGetA400NamingTheField(string what, string json, string field)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await _client.PostAsync("/api/v1/stats/synthetic-control", content);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{what}: {response.StatusCode} {body.ToJsonString()}");
        Assert.True(body["errors"]!.AsObject().ContainsKey(field), $"{what}: {body.ToJsonString()}");
    }

    public static TheoryData<string, string> BadSpecifications() => new()
    {
        { "treated unit absent", "treatedUnits" },
        { "duplicate row", "rows" },
        { "missing cell", "rows" },
        { "donor is treated", "donorUnits" },
        { "unknown predictor variable", "predictors[0].variable" },
        { "predictor after the start", "predictors[0].periods" },
        { "median aggregate", "predictors[0].aggregate" },
        { "augmented with predictors", "method" },
        { "optimization periods without predictors", "optimizationPeriods" },
        { "spend missing for a treated unit", "spend[portland]" },
        { "too few periods for alpha", "alpha" },
    };

    [Theory]
    [MemberData(nameof(BadSpecifications))]
    public async Task BadSpecificationsGetA400(string what, string field)
    {
        var request = Walkthrough();
        var rows = request["rows"]!.AsArray();
        switch (what)
        {
            case "treated unit absent": request["treatedUnits"] = new JsonArray("atlantis"); break;
            case "duplicate row": rows.Add(rows[0]!.DeepClone()); break;
            case "missing cell": rows.RemoveAt(5); break;
            case "donor is treated": request["donorUnits"] = new JsonArray("chicago", "miami"); break;
            case "unknown predictor variable": request["predictors"] = JsonNode.Parse("""[{"variable":"income","periods":[1,2]}]"""); break;
            case "predictor after the start": request["predictors"] = JsonNode.Parse("""[{"variable":"outcome","periods":[90,91]}]"""); break;
            case "median aggregate": request["predictors"] = JsonNode.Parse("""[{"variable":"outcome","periods":[1,2],"aggregate":"median"}]"""); break;
            case "augmented with predictors": request["method"] = "augmented"; request["predictors"] = JsonNode.Parse("""[{"variable":"outcome","periods":[1,2]}]"""); break;
            case "optimization periods without predictors": request["optimizationPeriods"] = new JsonArray(1, 2, 3); break;
            case "spend missing for a treated unit": request["spend"] = new JsonObject { ["chicago"] = 1 }; break;
            case "too few periods for alpha": request["alpha"] = 0.005; break;
        }
        var (status, body) = await Post(request);
        Assert.True(status == HttpStatusCode.BadRequest, $"{what}: {status} {body.ToJsonString()[..Math.Min(400, body.ToJsonString().Length)]}");
        Assert.True(body["errors"]!.AsObject().ContainsKey(field), $"{what}: {body.ToJsonString()}");
    }
}

/// <summary><c>POST /api/v1/stats/geo-power</c> on GeoLift's pre-test history (the walkthrough's market selection).</summary>
public class GeoPowerApiTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private static JsonArray PreTestRows()
    {
        var records = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Data", "GeoLift_PreTest.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        var day = records.Select(r => r[0]).Distinct().Order(StringComparer.Ordinal).Select((d, i) => (d, i)).ToDictionary(x => x.d, x => x.i + 1);
        return new JsonArray(records.Select(r => (JsonNode)new JsonObject
        {
            ["unit"] = r[1], ["period"] = day[r[0]], ["outcome"] = double.Parse(r[2], CultureInfo.InvariantCulture),
        }).ToArray());
    }

    private async Task<(HttpStatusCode, JsonNode)> Post(JsonNode body)
    {
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await _client.PostAsync("/api/v1/stats/geo-power", content);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    [Fact]
    public async Task RanksMarketSetsWithPowerAlphaAtZeroEffect()
    {
        var (status, body) = await Post(new JsonObject
        {
            ["rows"] = PreTestRows(),
            ["treatedCounts"] = new JsonArray(2, 3, 4, 5),
            ["durations"] = new JsonArray(10, 15),
            ["effectSizes"] = new JsonArray(0, 0.05, 0.1, 0.15, 0.2),
            ["top"] = 5,
        });
        Assert.Equal(HttpStatusCode.OK, status);
        var designs = body["designs"]!.AsArray();
        Assert.Equal(5, designs.Count);
        Assert.Equal(1, designs[0]!["rank"]!.GetValue<int>());
        Assert.True(body["designCount"]!.GetValue<int>() > 100);
        // Power at zero effect over every simulated design is the false-positive rate: near alpha = 0.1.
        Assert.InRange(body["falsePositiveRate"]!.GetValue<double>(), 0.04, 0.16);
        Assert.All(designs, d => Assert.Equal(5, d!["cells"]!.AsArray().Count));
    }

    [Theory]
    [InlineData("""{"treatedCounts":[2],"durations":[10],"effectSizes":[0.1]}""", "rows")]
    [InlineData("""{"rows":[{"unit":"a","period":1,"outcome":1}],"treatedCounts":[2],"effectSizes":[0.1]}""", "durations")]
    [InlineData("""{"rows":[{"unit":"a","period":1,"outcome":1}],"treatedCounts":[2],"durations":[10]}""", "effectSizes")]
    [InlineData("""{"rows":[{"unit":"a","period":1,"outcome":1}],"treatedCounts":[2],"durations":[10],"effectSizes":[0.1],"top":0}""", "top")]
    public async Task BadInputGetsA400(string json, string field)
    {
        var (status, body) = await Post(JsonNode.Parse(json)!);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(body["errors"]!.AsObject().ContainsKey(field), body.ToJsonString());
    }

    [Fact]
    public async Task EngineErrorsNameTheirField()
    {
        var (status, body) = await Post(new JsonObject
        {
            ["rows"] = PreTestRows(),
            ["candidateSets"] = new JsonArray(new JsonArray("chicago", "atlantis")),
            ["durations"] = new JsonArray(10),
            ["effectSizes"] = new JsonArray(0.1),
        });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("atlantis", body["detail"]!.GetValue<string>());
    }
}
