using System.Buffers.Binary;
using System.Xml.Linq;
using Experiments.Charts;
using SkiaSharp;

namespace Experiments.Charts.Tests;

public sealed class RenderTests
{
    public static TheoryData<string> ChartNames() => new(SampleCharts.All().Select(c => c.Name));

    private static Chart Build(string name) => SampleCharts.All().Single(c => c.Name == name).Build();

    /// <summary>Where the rendered pictures are kept for people to look at (beside the test assembly).</summary>
    private static string Keep(string file, byte[] bytes)
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "charts");
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, file);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [MemberData(nameof(ChartNames))]
    public void Png_has_the_nominal_size_at_double_density_and_carries_title_and_alt_text(string name)
    {
        using var chart = Build(name);
        byte[] png = chart.ToPng();
        Keep($"{name}.png", png);

        Assert.Equal(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 }, png[..8]);
        Assert.Equal(Chart.Width * Chart.PngScale, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(Chart.DefaultHeight * Chart.PngScale, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        Assert.True(png.Length > 20_000, $"{name}.png is only {png.Length} bytes");
        var text = PngText.Read(png);
        Assert.Equal(chart.Title, text["Title"]);
        Assert.Equal(chart.AltText, text["Description"]);
        Assert.False(string.IsNullOrWhiteSpace(chart.Title));
        Assert.True(chart.AltText.Length > 80, chart.AltText);

        using var bitmap = SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        Assert.Equal(Chart.Width * Chart.PngScale, bitmap.Width);
    }

    [Theory]
    [MemberData(nameof(ChartNames))]
    public void Title_text_is_drawn(string name)
    {
        // ScottPlot draws no text at all when it finds no font: the title band (above the data area, where
        // only the title is drawn) must hold dark pixels, and as many as a line of text makes.
        using var chart = Build(name);
        using var bitmap = SKBitmap.Decode(chart.ToPng());
        int dark = 0;
        for (int y = 0; y < 30 * Chart.PngScale; y++)
            for (int x = 0; x < bitmap.Width; x++)
                if (bitmap.GetPixel(x, y) is var p && p.Red < 120 && p.Green < 120 && p.Blue < 120)
                    dark++;
        Assert.True(dark > 1500, $"{name}: only {dark} dark pixels in the title band");
    }

    [Theory]
    [MemberData(nameof(ChartNames))]
    public void Svg_is_an_svg_document_with_title_desc_and_the_shipped_font(string name)
    {
        using var chart = Build(name);
        string svg = chart.ToSvg();
        Keep($"{name}.svg", System.Text.Encoding.UTF8.GetBytes(svg));

        var root = XDocument.Parse(svg).Root!;
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(ns + "svg", root.Name);
        Assert.Equal("img", (string?)root.Attribute("role"));
        Assert.Equal(chart.Title, (string?)root.Attribute("aria-label"));
        Assert.Equal(chart.Title, root.Element(ns + "title")?.Value);
        Assert.Equal(chart.AltText, root.Element(ns + "desc")?.Value);
        Assert.Equal(Chart.Width.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)root.Attribute("width"));
        Assert.True(svg.Length > 5_000, $"{name}.svg is only {svg.Length} characters");
        var fonts = root.Descendants().Select(e => (string?)e.Attribute("font-family")).Where(f => f is not null).Distinct().ToList();
        Assert.NotEmpty(fonts);
        Assert.All(fonts, f => Assert.Contains(ChartFonts.Family, f!));
    }

    [Fact]
    public void A_forest_plot_of_many_rows_grows_taller_and_keeps_every_row()
    {
        var rows = Enumerable.Range(1, 9).Select(i => new LiftRow($"metric {i}", i % 3 == 0 ? "control-b" : "treatment", 0.01 * i - 0.04, 0.01 * i - 0.06, 0.01 * i - 0.02)).ToList();
        using var chart = ExperimentCharts.Lift(new LiftChartData("Nine rows", 0.05, ValueKind.Percent, rows));
        Assert.Equal(120 + 70 * 9, chart.Height);
        byte[] png = chart.ToPng();
        Keep("lift-nine-rows.png", png);
        Assert.Equal(chart.Height * Chart.PngScale, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        Assert.Equal(9, System.Text.RegularExpressions.Regex.Matches(chart.AltText, @"\(treatment\)|\(control-b\)").Count);
    }

    [Fact]
    public void Inline_svgs_of_different_charts_share_no_id_and_every_reference_resolves()
    {
        var seen = new HashSet<string>();
        foreach (var (name, build) in SampleCharts.All())
        {
            using var chart = build();
            string svg = chart.ToSvgElement();
            Assert.StartsWith("<svg", svg);
            var ids = System.Text.RegularExpressions.Regex.Matches(svg, "\\bid=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
            var references = System.Text.RegularExpressions.Regex.Matches(svg, "url\\(#([^)]+)\\)").Select(m => m.Groups[1].Value).ToList();
            Assert.All(references, r => Assert.Contains(r, ids));
            Assert.All(ids, id => Assert.True(seen.Add(id), $"{name}: id {id} is used by another chart too"));
        }
    }

    [Fact]
    public void Charts_render_concurrently_to_the_same_bytes()
    {
        // Requests draw charts in parallel; the font registry and the renderer must not mix them up.
        byte[] reference;
        using (var chart = ExperimentCharts.Counterfactual(SampleCharts.Counterfactual()))
            reference = chart.ToPng();
        var renders = Enumerable.Range(0, 8).AsParallel().WithDegreeOfParallelism(4).Select(_ =>
        {
            using var chart = ExperimentCharts.Counterfactual(SampleCharts.Counterfactual());
            return chart.ToPng();
        }).ToList();
        Assert.All(renders, png => Assert.Equal(reference, png));
    }

    [Fact]
    public void The_shipped_font_is_registered_and_resolves_to_DejaVu_Sans()
    {
        Assert.Equal(ChartFonts.Family, ChartFonts.Ensure());
        Assert.True(File.Exists(Path.Combine(ChartFonts.Directory, "DejaVuSans.ttf")));
        Assert.True(File.Exists(Path.Combine(ChartFonts.Directory, "DejaVu-LICENSE.txt")));
        Assert.Equal(ChartFonts.Family, ScottPlot.Fonts.Default);
        using var regular = ScottPlot.Fonts.GetTypeface(ChartFonts.Family, bold: false, italic: false);
        using var bold = ScottPlot.Fonts.GetTypeface(ChartFonts.Family, bold: true, italic: false);
        Assert.Equal("DejaVu Sans", regular.FamilyName);
        Assert.True(bold.IsBold);
    }
}
