using System.Globalization;
using System.Text.Json;
using Experiments.Jobs.Results;

namespace Experiments.Jobs.Demo;

/// <summary>
/// <c>demo-summary --api URL [--truth FILE] [--key-file FILE]</c>: reads the published results of the demo's holdout campaigns from the
/// API and prints each incrementality figure with its interval next to what the generator put in (the truth file).
/// It computes nothing: every published number is printed as the service published it.
/// </summary>
public static class DemoSummary
{
    /// <summary>Prints the table; returns the exit code.</summary>
    /// <param name="api">The service's base address.</param>
    /// <param name="truthFile">The generator's truth file.</param>
    /// <param name="keyFile">A file holding an API key (reader or above) to send; read from a file so it never appears in a process list.</param>
    /// <param name="output">Where to print.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    public static async Task<int> RunAsync(Uri api, string truthFile, string? keyFile, TextWriter output, CancellationToken cancellationToken = default)
    {
        var truth = ResultsJson.Deserialize<DemoTruth>(await File.ReadAllTextAsync(truthFile, cancellationToken));
        using var http = new HttpClient { BaseAddress = api };
        if (keyFile is not null)
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer",
                (await File.ReadAllTextAsync(keyFile, cancellationToken)).Trim());

        async Task<JsonElement> Get(string path)
        {
            using var response = await http.GetAsync(path, cancellationToken);
            response.EnsureSuccessStatusCode();
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            return json.RootElement.Clone();
        }
        async Task<JsonElement?> Result(string experiment, string metric)
        {
            var list = await Get($"api/v1/experiments/{experiment}/results");
            foreach (var r in list.GetProperty("results").EnumerateArray())
                if (r.GetProperty("metric").GetString() == metric)
                    return r.GetProperty("result");
            return null;
        }

        // A/B holdout.
        var ab = truth.AbHoldout;
        double abAlpha = (await Get($"api/v1/experiments/{truth.AbExperimentId}")).GetProperty("alpha").GetDouble();
        output.WriteLine($"== {truth.AbExperimentId}: holdout test of campaign '{ab.CampaignId}', treatment vs holdout, {Level(abAlpha)} intervals ==");
        var table = new Table();
        if (await Result(truth.AbExperimentId, "conversions") is { } conversions && conversions.TryGetProperty("holdout", out var holdout)
            && holdout.ValueKind == JsonValueKind.Object)
        {
            var c = holdout.GetProperty("comparisons")[0];
            table.Add("treated users", Plain(c.GetProperty("treatedUnits").GetDouble(), "N0"), Plain(ab.TreatedUnits, "N0"));
            table.Add("lift in conversions", Interval(c, "liftPercent", "liftUnavailableReason", "+0.0;-0.0", "%"), Signed(100 * truth.AbLift, "%"));
            table.Add("incremental conversions", Interval(c, "incrementalConversions", null, "N0"), Plain(ab.IncrementalConversions, "N0"));
            table.Add("incremental revenue", Interval(c, "incrementalRevenue", "incrementalRevenueUnavailableReason", "N0"), Plain(ab.IncrementalRevenue, "N0"));
            table.Add("spend on treated users", Plain(c.GetProperty("spend").GetDouble(), "N2"), Plain(ab.Spend, "N2"));
            table.Add("cost per incremental conversion", Interval(c, "costPerIncrementalConversion", "costPerIncrementalConversionUnavailableReason", "N2"),
                Plain(ab.CostPerIncrementalConversion, "N2"));
            table.Add("iROAS", Interval(c, "iroas", "iroasUnavailableReason", "N2"), Plain(ab.Iroas, "N2"));
        }
        else
        {
            table.Add("holdout figures", "not published (see the run's reason)", "");
        }
        if (await Result(truth.AbExperimentId, "converted") is { } converted)
            table.Add("lift in converted rate (0/1)", ScaledInterval(converted.GetProperty("analysis").GetProperty("comparisons")[0].GetProperty("relative"), 100, "+0.0;-0.0", "%"),
                ab.ConvertedRelativeLift is { } l ? Signed(100 * l, "%") : "");
        table.WriteTo(output);
        output.WriteLine();

        // Geo campaign.
        var geo = truth.GeoHoldout;
        double geoAlpha = (await Get($"api/v1/experiments/{truth.GeoCampaignId}")).GetProperty("alpha").GetDouble();
        output.WriteLine($"== {truth.GeoCampaignId}: geo campaign in {string.Join(", ", truth.TreatedGeos)}, {Level(geoAlpha)} conformal intervals ==");
        table = new Table();
        if (await Result(truth.GeoCampaignId, "conversions") is { } geoConversions)
        {
            var a = geoConversions.GetProperty("analysis");
            table.Add("lift in conversions", Interval(a, "liftPercent", "liftUnavailableReason", "+0.0;-0.0", "%"), Signed(100 * truth.GeoLift, "%"));
            table.Add("incremental conversions", Interval(a, "incremental", null, "N0"), Plain(geo.IncrementalConversions, "N0"));
            table.Add("spend in treated markets", a.GetProperty("totalSpend").ValueKind == JsonValueKind.Number ? Plain(a.GetProperty("totalSpend").GetDouble(), "N2") : "none",
                Plain(geo.Spend, "N2"));
            table.Add("cost per incremental conversion", Interval(a, "costPerIncremental", "incrementalityUnavailableReason", "N2"), Plain(geo.CostPerIncrementalConversion, "N2"));
        }
        if (await Result(truth.GeoCampaignId, "revenue") is { } geoRevenue)
        {
            var a = geoRevenue.GetProperty("analysis");
            table.Add("incremental revenue", Interval(a, "incremental", null, "N0"), Plain(geo.IncrementalRevenue, "N0"));
            table.Add("iROAS", Interval(a, "iroas", "incrementalityUnavailableReason", "N3"), Plain(geo.Iroas, "N3"));
        }
        table.WriteTo(output);
        return 0;
    }

    private static string Level(double alpha) => (1 - alpha).ToString("P0", CultureInfo.InvariantCulture).Replace(" ", "", StringComparison.Ordinal);

    private static string Plain(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Signed(double value, string suffix) => value.ToString("+0.0;-0.0", CultureInfo.InvariantCulture) + suffix;

    private static string Interval(JsonElement parent, string name, string? reasonName, string format, string suffix = "")
    {
        if (parent.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Object)
            return ScaledInterval(e, 1, format, suffix);
        string reason = reasonName is not null && parent.TryGetProperty(reasonName, out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "";
        return "unavailable: " + reason;
    }

    private static string ScaledInterval(JsonElement e, double scale, string format, string suffix)
    {
        string F(string p) => (scale * e.GetProperty(p).GetDouble()).ToString(format, CultureInfo.InvariantCulture) + suffix;
        return $"{F("estimate")} ({F("lower")} to {F("upper")})";
    }

    private sealed class Table
    {
        private readonly List<(string Figure, string Published, string Truth)> _rows = [];

        public void Add(string figure, string published, string truth) => _rows.Add((figure, published, truth));

        public void WriteTo(TextWriter output)
        {
            const string header = "published (interval)";
            int a = Math.Max("figure".Length, _rows.Max(r => r.Figure.Length)), b = Math.Max(header.Length, _rows.Max(r => r.Published.Length));
            output.WriteLine($"{"figure".PadRight(a)}  {header.PadRight(b)}  truth");
            foreach (var (figure, published, truth) in _rows)
                output.WriteLine($"{figure.PadRight(a)}  {published.PadRight(b)}  {truth}");
        }
    }
}
