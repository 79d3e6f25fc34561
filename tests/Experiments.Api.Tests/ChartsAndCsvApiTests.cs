using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Experiments.Charts;
using Experiments.Engine.AbTesting;
using Experiments.Engine.Geo;
using Experiments.Engine.SyntheticControl;
using Experiments.Jobs.Analysis;
using Experiments.Jobs.Results;
using Microsoft.Data.Analysis;
using Microsoft.Extensions.DependencyInjection;

namespace Experiments.Api.Tests;

/// <summary>
/// Charts and CSV of published results through the real pipeline: an A/B experiment analysed by a real run
/// (<see cref="FixedDataSource"/>), a geo experiment whose engine result is published into the real store.
/// </summary>
public class ChartsAndCsvApiTests(FixedDataApiFactory factory) : IClassFixture<FixedDataApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private static readonly DateOnly GeoStart = new(2024, 5, 1);

    [Theory]
    [InlineData("lift")]
    [InlineData("cumulative")]
    public async Task Ab_charts_render_as_png_and_svg_with_title_and_alt_text(string chart)
    {
        string id = $"charts-ab-{chart}";
        await AnalysedAb(id);

        var png = await Fetch($"/api/v1/experiments/{id}/charts/{chart}.png");
        Assert.Equal("image/png", png.ContentType);
        AssertPng(png.Bytes);
        var text = PngText.Read(png.Bytes);
        Assert.False(string.IsNullOrWhiteSpace(text["Title"]));
        Assert.Contains("95%", text["Description"]);

        var svg = await Fetch($"/api/v1/experiments/{id}/charts/{chart}.svg");
        Assert.Equal("image/svg+xml", svg.ContentType);
        var root = XDocument.Parse(System.Text.Encoding.UTF8.GetString(svg.Bytes)).Root!;
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(text["Title"], root.Element(ns + "title")!.Value);
        Assert.Equal(text["Description"], root.Element(ns + "desc")!.Value);
    }

    [Fact]
    public async Task The_lift_chart_writes_the_published_relative_lifts_into_its_alt_text()
    {
        await AnalysedAb("charts-ab-alt");
        var results = (await _client.Get("/api/v1/experiments/charts-ab-alt/results")).Expect(HttpStatusCode.OK)["results"]!.AsArray();
        var png = await Fetch("/api/v1/experiments/charts-ab-alt/charts/lift.png");
        string alt = PngText.Read(png.Bytes)["Description"];
        foreach (var result in results)
        {
            var relative = result!["result"]!["analysis"]!["comparisons"]![0]!["relative"]!;
            string expected = NumberFormat.EstimateWithRange(relative["estimate"]!.GetValue<double>(), relative["lower"]!.GetValue<double>(),
                relative["upper"]!.GetValue<double>(), ValueKind.Percent);
            Assert.Contains($"{result["metric"]!.GetValue<string>()}: {expected}", alt);
        }
    }

    [Theory]
    [InlineData("counterfactual")]
    [InlineData("effect")]
    [InlineData("placebos")]
    public async Task A_geo_chart_of_an_ab_experiment_is_a_404_that_says_so(string chart)
    {
        await AnalysedAb($"charts-ab-{chart}");
        var reply = (await _client.Get($"/api/v1/experiments/charts-ab-{chart}/charts/{chart}.png")).AssertProblem(HttpStatusCode.NotFound, "chart");
        Assert.Contains("applies to geo experiments", reply.Body!["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Chart_requests_that_cannot_be_answered_are_problems_naming_the_field()
    {
        await AnalysedAb("charts-ab-bad");
        (await _client.Get("/api/v1/experiments/charts-ab-bad/charts/funnel.png")).AssertProblem(HttpStatusCode.NotFound, "chart");
        (await _client.Get("/api/v1/experiments/charts-ab-bad/charts/Lift.png")).AssertProblem(HttpStatusCode.NotFound, "chart");
        (await _client.Get("/api/v1/experiments/charts-ab-bad/charts/lift.gif")).AssertProblem(HttpStatusCode.NotFound, "format");
        (await _client.Get("/api/v1/experiments/charts-ab-bad/charts/cumulative.png?metric=bounces")).AssertProblem(HttpStatusCode.NotFound, "metric");
        (await _client.Get("/api/v1/experiments/charts-ab-bad/charts/lift.png?metric=revenue")).AssertProblem(HttpStatusCode.BadRequest, "metric");
        (await _client.Get("/api/v1/experiments/charts-ab-bad/charts/lift.png?size=big")).AssertProblem(HttpStatusCode.BadRequest, "size");
        (await _client.Get("/api/v1/experiments/no-such-experiment/charts/lift.png")).AssertProblem(HttpStatusCode.NotFound, "id");
        (await _client.Get("/api/v1/experiments/BAD%20ID/charts/lift.png")).AssertProblem(HttpStatusCode.BadRequest, "id");

        // Registered, never analysed: nothing published yet.
        (await _client.Put("/api/v1/experiments/charts-unanalysed", TestExperiments.Json(TestExperiments.Checkout("charts-unanalysed")))).Expect(HttpStatusCode.Created);
        var none = (await _client.Get("/api/v1/experiments/charts-unanalysed/charts/lift.svg")).AssertProblem(HttpStatusCode.NotFound, "chart");
        Assert.Contains("queue an analysis", none.Body!["detail"]!.GetValue<string>());
        (await _client.Get("/api/v1/experiments/charts-unanalysed/charts/cumulative.svg")).AssertProblem(HttpStatusCode.NotFound, "chart");
    }

    [Theory]
    [InlineData("lift")]
    [InlineData("cumulative")]
    [InlineData("counterfactual")]
    [InlineData("effect")]
    public async Task Geo_charts_render_from_the_published_result(string chart)
    {
        await PublishedGeo($"charts-geo-{chart}");
        foreach (var format in new[] { "png", "svg" })
        {
            var image = await Fetch($"/api/v1/experiments/charts-geo-{chart}/charts/{chart}.{format}?{(chart == "lift" ? "" : "metric=orders")}");
            Assert.Equal(format == "png" ? "image/png" : "image/svg+xml", image.ContentType);
            if (format == "png")
                AssertPng(image.Bytes);
            else
                Assert.Contains("<desc>", System.Text.Encoding.UTF8.GetString(image.Bytes));
        }
    }

    [Fact]
    public async Task Placebos_of_a_geo_result_without_them_and_ab_tables_of_a_geo_experiment_are_404s()
    {
        await PublishedGeo("charts-geo-404");
        var reply = (await _client.Get("/api/v1/experiments/charts-geo-404/charts/placebos.png")).AssertProblem(HttpStatusCode.NotFound, "chart");
        Assert.Contains("no placebo distribution", reply.Body!["detail"]!.GetValue<string>());
        (await _client.Get("/api/v1/experiments/charts-geo-404/results?format=csv&table=comparisons")).AssertProblem(HttpStatusCode.NotFound, "table");
        (await _client.Get("/api/v1/experiments/charts-geo-404/results?format=csv&table=placebos")).AssertProblem(HttpStatusCode.NotFound, "table");
    }

    [Fact]
    public async Task Ab_comparisons_as_csv_parse_back_to_the_json_numbers()
    {
        await AnalysedAb("csv-ab");
        var json = (await _client.Get("/api/v1/experiments/csv-ab/results")).Expect(HttpStatusCode.OK)["results"]!.AsArray();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/experiments/csv-ab/results");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        string csv = await response.Content.ReadAsStringAsync();
        Assert.Equal(csv, await CsvText("/api/v1/experiments/csv-ab/results?format=csv"));
        Assert.StartsWith("experiment_id,metric,version,finality,run_id,published_at,window_start,window_end,variant,scale,estimate,", csv);

        var frame = Read(csv);
        Assert.Equal(4, frame.Rows.Count); // two metrics × (absolute, relative)
        foreach (var result in json)
        {
            string metric = result!["metric"]!.GetValue<string>();
            var comparison = result["result"]!["analysis"]!["comparisons"]![0]!;
            foreach (var scale in new[] { "absolute", "relative" })
            {
                var row = frame.Rows.Single(r => (string)r["metric"] == metric && (string)r["scale"] == scale);
                var estimate = comparison[scale]!;
                Assert.Equal("csv-ab", row["experiment_id"]);
                Assert.Equal(result["version"]!.GetValue<int>(), (long)row["version"]);
                Assert.Equal(result["finality"]!.GetValue<string>(), row["finality"]);
                Assert.Equal(result["runId"]!.GetValue<string>(), row["run_id"]);
                Assert.Equal("treatment", row["variant"]);
                foreach (var (column, property) in new[] { ("estimate", "estimate"), ("std_error", "stdError"), ("lower", "lower"), ("upper", "upper"), ("p_value", "pValue") })
                    Assert.Equal(estimate[property]!.GetValue<double>(), (double)row[column]);
                Assert.Equal(0.95, (double)row["level"], 12);
                if (scale == "absolute")
                    Assert.Equal(comparison["adjustedPValue"]!.GetValue<double>(), (double)row["adjusted_p_value"]);
                else
                    Assert.Null(row["adjusted_p_value"]);
                Assert.Equal("2024-03-01", row["window_start"]);
                Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", (string)row["published_at"]);
            }
        }
    }

    [Fact]
    public async Task Ab_variants_and_daily_cumulative_lift_as_csv_parse_back_to_the_json_numbers()
    {
        await AnalysedAb("csv-ab-tables");
        var revenue = (await _client.Get("/api/v1/experiments/csv-ab-tables/results?metric=revenue")).Expect(HttpStatusCode.OK)["results"]![0]!["result"]!;

        var variants = Read(await CsvText("/api/v1/experiments/csv-ab-tables/results?metric=revenue&format=csv&table=variants"));
        var jsonVariants = revenue["analysis"]!["variants"]!.AsArray();
        Assert.Equal(jsonVariants.Count, (int)variants.Rows.Count);
        for (int i = 0; i < jsonVariants.Count; i++)
        {
            Assert.Equal(jsonVariants[i]!["name"]!.GetValue<string>(), variants.Rows[i]["variant"]);
            Assert.Equal(jsonVariants[i]!["count"]!.GetValue<long>(), (long)variants.Rows[i]["units"]);
            Assert.Equal(jsonVariants[i]!["mean"]!.GetValue<double>(), (double)variants.Rows[i]["mean"]);
            Assert.Equal(i == 0, (bool)variants.Rows[i]["is_control"]);
        }

        var path = Read(await CsvText("/api/v1/experiments/csv-ab-tables/results?metric=revenue&format=csv&table=cumulative"));
        var jsonPath = revenue["sequentialPath"]!.AsArray();
        Assert.Equal(jsonPath.Count, (int)path.Rows.Count);
        for (int i = 0; i < jsonPath.Count; i++)
        {
            var absolute = jsonPath[i]!["comparisons"]![0]!["absolute"]!;
            Assert.Equal(jsonPath[i]!["day"]!.GetValue<string>(), path.Rows[i]["day"]);
            Assert.Equal(absolute["estimate"]!.GetValue<double>(), (double)path.Rows[i]["estimate"]);
            Assert.Equal(absolute["lower"]!.GetValue<double>(), (double)path.Rows[i]["lower"]);
            Assert.Equal(absolute["upper"]!.GetValue<double>(), (double)path.Rows[i]["upper"]);
        }

        // Every version in the history's CSV.
        var history = Read(await CsvText("/api/v1/experiments/csv-ab-tables/results/history?format=csv"));
        Assert.Equal(4, history.Rows.Count);

        (await _client.Get("/api/v1/experiments/csv-ab-tables/results?format=xml")).AssertProblem(HttpStatusCode.BadRequest, "format");
        (await _client.Get("/api/v1/experiments/csv-ab-tables/results?format=csv&table=pivot")).AssertProblem(HttpStatusCode.BadRequest, "table");
        (await _client.Get("/api/v1/experiments/csv-ab-tables/results?table=variants")).AssertProblem(HttpStatusCode.BadRequest, "table");
        (await _client.Get("/api/v1/experiments/csv-ab-tables/results?format=csv&table=weights")).AssertProblem(HttpStatusCode.NotFound, "table");
    }

    [Fact]
    public async Task The_run_history_as_csv_has_one_row_per_run_with_the_json_values()
    {
        await AnalysedAb("csv-runs");
        var runs = (await _client.Get("/api/v1/experiments/csv-runs/runs")).Expect(HttpStatusCode.OK)["runs"]!.AsArray();
        var frame = Read(await CsvText("/api/v1/experiments/csv-runs/runs?format=csv"));
        Assert.Equal(runs.Count, (int)frame.Rows.Count);
        for (int i = 0; i < runs.Count; i++)
        {
            var run = runs[i]!;
            var row = frame.Rows[i];
            Assert.Equal(run["id"]!.GetValue<string>(), row["run_id"]);
            Assert.Equal(run["status"]!.GetValue<string>(), row["status"]);
            Assert.Equal(run["stage"]!.GetValue<string>(), row["stage"]);
            Assert.Equal(run["rowsRead"]!.GetValue<long>(), (long)row["rows_read"]);
            Assert.Equal(run["stageDurations"]!["queryMs"]!.GetValue<double>(), (double)row["query_ms"]);
            Assert.Equal(run["dataWindow"]!["end"]!.GetValue<string>(), row["window_end"]);
            Assert.Equal(DateTimeOffset.Parse(run["createdAt"]!.GetValue<string>(), CultureInfo.InvariantCulture),
                DateTimeOffset.Parse((string)row["created_at"], CultureInfo.InvariantCulture));
        }
        (await _client.Get("/api/v1/experiments/csv-runs/runs?format=csv&table=x")).AssertProblem(HttpStatusCode.BadRequest, "table");
    }

    [Fact]
    public async Task Geo_tables_as_csv_parse_back_to_the_json_numbers()
    {
        await PublishedGeo("csv-geo");
        var analysis = (await _client.Get("/api/v1/experiments/csv-geo/results")).Expect(HttpStatusCode.OK)["results"]![0]!["result"]!["analysis"]!;

        var summary = Read(await CsvText("/api/v1/experiments/csv-geo/results?format=csv"));
        var incremental = summary.Rows.Single(r => (string)r["quantity"] == "incremental");
        Assert.Equal(analysis["incremental"]!["estimate"]!.GetValue<double>(), (double)incremental["estimate"]);
        Assert.Equal(analysis["incremental"]!["lower"]!.GetValue<double>(), (double)incremental["lower"]);
        var effect = summary.Rows.Single(r => (string)r["quantity"] == "effect_per_market_day");
        Assert.Equal(analysis["effect"]!["pValue"]!.GetValue<double>(), (double)effect["p_value"]);

        var series = analysis["series"]!.AsArray();
        var counterfactual = Read(await CsvText("/api/v1/experiments/csv-geo/results?format=csv&table=counterfactual"));
        var effects = Read(await CsvText("/api/v1/experiments/csv-geo/results?format=csv&table=effect"));
        Assert.Equal(series.Count, (int)counterfactual.Rows.Count);
        for (int i = 0; i < series.Count; i++)
        {
            var day = DateOnly.FromDayNumber(series[i]!["period"]!.GetValue<int>());
            Assert.Equal(day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), counterfactual.Rows[i]["day"]);
            Assert.Equal(day < GeoStart ? "pre" : "test", counterfactual.Rows[i]["phase"]);
            double actual = series[i]!["actual"]!.GetValue<double>(), synthetic = series[i]!["synthetic"]!.GetValue<double>();
            Assert.Equal(actual, (double)counterfactual.Rows[i]["actual"]);
            Assert.Equal(synthetic, (double)counterfactual.Rows[i]["synthetic"]);
            Assert.Equal(series[i]!["upper"]?.GetValue<double>(), (double?)counterfactual.Rows[i]["upper"]);
            Assert.Equal(actual - synthetic, (double)effects.Rows[i]["effect"]);
        }

        var weights = Read(await CsvText("/api/v1/experiments/csv-geo/results?format=csv&table=weights"));
        var jsonWeights = analysis["weights"]!.AsArray();
        Assert.Equal(jsonWeights.Select(w => (w!["unit"]!.GetValue<string>(), w["weight"]!.GetValue<double>())),
            weights.Rows.Select(r => ((string)r["unit"], (double)r["weight"])));
    }

    [Fact]
    public async Task The_power_curve_renders_for_a_plan_and_refuses_one_without_a_sample()
    {
        const string plan = """{"baselineRate": 0.1, "relativeMde": 0.05, "covariateCorrelation": 0.5}""";
        var png = await _client.PostAsync("/api/v1/stats/power/curve.png", new StringContent(plan, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, png.StatusCode);
        byte[] bytes = await png.Content.ReadAsByteArrayAsync();
        AssertPng(bytes);
        var json = (await _client.Post("/api/v1/stats/power", plan)).Expect(HttpStatusCode.OK);
        long units = json["withoutCuped"]!["sampleSizePerVariant"]!.GetValue<long>();
        string alt = PngText.Read(bytes)["Description"];
        Assert.Contains($"Without CUPED, {NumberFormat.Count(units)} units per variant: 80% power at a lift of +5.0%", alt);
        Assert.Contains("With CUPED", alt);

        var svg = await _client.PostAsync("/api/v1/stats/power/curve.svg", new StringContent("""{"baselineMean": 10, "standardDeviation": 4, "days": 14, "dailyUnits": 2000}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, svg.StatusCode);
        Assert.Equal("image/svg+xml", svg.Content.Headers.ContentType!.MediaType);
        (await _client.Post("/api/v1/stats/power/curve.png", """{"baselineRate": 0.1}""")).AssertProblem(HttpStatusCode.BadRequest, "relativeMde");
        (await _client.Post("/api/v1/stats/power/curve.jpg", plan)).AssertProblem(HttpStatusCode.NotFound, "format");
    }

    [Fact]
    public async Task The_openapi_document_declares_the_images_and_the_csv()
    {
        var document = (await _client.Get("/openapi/v1.json")).Expect(HttpStatusCode.OK);
        var paths = document["paths"]!.AsObject();
        var chart = paths["/api/v1/experiments/{id}/charts/{chart}.{format}"]!["get"]!["responses"]!;
        Assert.NotNull(chart["200"]!["content"]!["image/png"]);
        Assert.NotNull(chart["200"]!["content"]!["image/svg+xml"]);
        Assert.NotNull(chart["404"]);
        Assert.NotNull(paths["/api/v1/stats/power/curve.{format}"]!["post"]);
        foreach (var path in new[] { "/api/v1/experiments/{id}/results", "/api/v1/experiments/{id}/results/history", "/api/v1/experiments/{id}/runs" })
        {
            var ok = paths[path]!["get"]!["responses"]!["200"]!["content"]!.AsObject();
            Assert.True(ok.ContainsKey("text/csv"), $"{path}: {ok.ToJsonString()}");
            Assert.True(ok.ContainsKey("application/json"), $"{path}: {ok.ToJsonString()}");
        }
    }

    private static void AssertPng(byte[] png)
    {
        Assert.Equal(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 }, png[..8]);
        Assert.Equal(Chart.Width * Chart.PngScale, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(Chart.DefaultHeight * Chart.PngScale, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        Assert.True(png.Length > 20_000, $"only {png.Length} bytes");
        // The title was drawn: dark pixels in the band above the data area, as many as a line of text makes.
        using var bitmap = SkiaSharp.SKBitmap.Decode(png);
        Assert.Equal(Chart.Width * Chart.PngScale, bitmap.Width);
        int dark = 0;
        for (int y = 0; y < 30 * Chart.PngScale; y++)
            for (int x = 0; x < bitmap.Width; x++)
                if (bitmap.GetPixel(x, y) is var p && p.Red < 120 && p.Green < 120 && p.Blue < 120)
                    dark++;
        Assert.True(dark > 1500, $"only {dark} dark pixels in the title band");
    }

    private async Task<(byte[] Bytes, string? ContentType)> Fetch(string path)
    {
        using var response = await _client.GetAsync(path);
        byte[] bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(bytes)}");
        // Kept beside the test assembly for people to look at.
        string folder = Path.Combine(AppContext.BaseDirectory, "api-charts");
        Directory.CreateDirectory(folder);
        string name = path.Split('?')[0].Replace("/api/v1/experiments/", "", StringComparison.Ordinal).Replace("/charts/", "-", StringComparison.Ordinal);
        await File.WriteAllBytesAsync(Path.Combine(folder, name), bytes);
        return (bytes, response.Content.Headers.ContentType?.MediaType);
    }

    private async Task<string> CsvText(string path)
    {
        using var response = await _client.GetAsync(path);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {text}");
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        return text;
    }

    /// <summary>Reads a CSV as a notebook would, with the column types stated and the invariant culture.</summary>
    private static DataFrame Read(string csv)
    {
        string[] header = csv[..csv.IndexOf('\r')].Split(',');
        var integers = new HashSet<string> { "version", "units", "rows_read", "bytes_read", "attempts" };
        var flags = new HashSet<string> { "sequential", "is_control" };
        var numbers = new HashSet<string>
        {
            "estimate", "std_error", "lower", "upper", "level", "p_value", "adjusted_p_value", "cuped_variance_reduction", "mean",
            "unadjusted_mean", "actual", "synthetic", "effect", "weight", "contract_check_ms", "query_ms", "engine_ms", "publish_ms",
        };
        var types = header.Select(h => integers.Contains(h) ? typeof(long) : flags.Contains(h) ? typeof(bool) : numbers.Contains(h) ? typeof(double) : typeof(string)).ToArray();
        return DataFrame.LoadCsvFromString(csv, dataTypes: types, cultureInfo: CultureInfo.InvariantCulture);
    }

    private async Task AnalysedAb(string id)
    {
        (await _client.Put($"/api/v1/experiments/{id}", TestExperiments.Json(TestExperiments.Checkout(id)))).Expect(HttpStatusCode.Created);
        var queued = await _client.Post($"/api/v1/experiments/{id}/analyses");
        queued.Expect(HttpStatusCode.Accepted);
        var run = await _client.WaitForRun(queued.Location!.OriginalString);
        Assert.True(run["status"]!.GetValue<string>() == "succeeded", run.ToJsonString());
    }

    /// <summary>Registers a geo experiment and publishes the engine's analysis of a made-up panel (+12% in two of ten markets) as a run would.</summary>
    private async Task PublishedGeo(string id)
    {
        var experiment = new ExperimentDefinition
        {
            Id = id,
            Name = "Spring campaign",
            Type = ExperimentType.Geo,
            Metrics = [new MetricDefinition("orders", MetricKind.Mean)],
            TreatedMarkets = ["m0", "m1"],
            PrePeriod = new DateRange(GeoStart.AddDays(-42), GeoStart.AddDays(-1)),
            ExperimentWindow = new DateRange(GeoStart, GeoStart.AddDays(20)),
            Alpha = 0.1,
            Status = ExperimentStatus.Completed,
        };
        (await _client.Put($"/api/v1/experiments/{id}", TestExperiments.Json(experiment))).Expect(HttpStatusCode.Created);

        var random = new Random(20240501);
        var rows = new List<PanelRow>();
        for (int market = 0; market < 10; market++)
        {
            double level = 800 + 60 * market;
            for (var day = experiment.PrePeriod.Start; day <= experiment.ExperimentWindow.End; day = day.AddDays(1))
            {
                double outcome = level * (1 + 0.08 * Math.Sin(2 * Math.PI * day.DayNumber / 7)) + 20 * (random.NextDouble() - 0.5);
                if (market < 2 && day >= GeoStart)
                    outcome *= 1.12;
                rows.Add(new PanelRow($"m{market}", day.DayNumber, outcome));
            }
        }
        var panel = Panel.FromRows(rows);
        var analysis = GeoExperiment.Analyze(panel, new GeoExperimentSpecification
        {
            TreatedUnits = experiment.TreatedMarkets,
            TreatmentStart = GeoStart.DayNumber,
            Alpha = experiment.Alpha,
        });

        var store = factory.Services.GetRequiredService<ResultsStore>();
        var window = new DateRange(experiment.PrePeriod.Start, experiment.ExperimentWindow.End);
        var run = await store.CreateRunAsync(id, new AnalysisParameters("test"), window);
        const string holder = "charts-test";
        await store.StartAttemptAsync(run.Id, holder, TimeSpan.FromMinutes(5));
        await store.PublishAsync(run.Id, [new ResultToPublish("orders", ResultsJson.Serialize(new GeoMetricResult("orders", analysis, experiment.PrePeriod.Start)))],
            isFinal: true, "test-engine", DateTimeOffset.UtcNow, holder);
    }
}
