using System.Security;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using ScottPlot;
using SkiaSharp;

namespace Experiments.Charts;

/// <summary>An image format a chart renders to.</summary>
public enum ChartFormat
{
    /// <summary>A PNG at twice the nominal size, for high-density screens.</summary>
    Png,

    /// <summary>An SVG document at the nominal size (inline in pages and reports).</summary>
    Svg,
}

/// <summary>
/// A chart ready to render: its title, its text alternative (the numbers in words, intervals and level
/// included) and the plot. Both outputs carry the title and the text alternative: the SVG as
/// <c>&lt;title&gt;</c>/<c>&lt;desc&gt;</c> and <c>aria-label</c>, the PNG as <c>tEXt</c> chunks
/// (<c>Title</c>, <c>Description</c>).
/// </summary>
public sealed partial class Chart : IDisposable
{
    /// <summary>Nominal width in CSS pixels.</summary>
    public const int Width = 800;

    /// <summary>Nominal height in CSS pixels of every chart but a tall forest plot.</summary>
    public const int DefaultHeight = 400;

    /// <summary>The PNG's pixel density over the nominal size.</summary>
    public const int PngScale = 2;

    internal Chart(string title, string altText, Plot plot, int height = DefaultHeight)
    {
        Title = title;
        AltText = altText;
        Plot = plot;
        Height = height;
    }

    /// <summary>Nominal height in CSS pixels: <see cref="DefaultHeight"/>, more for a forest plot of many rows.</summary>
    public int Height { get; }

    /// <summary>What the chart shows, as its heading says it.</summary>
    public string Title { get; }

    /// <summary>The chart's numbers in sentences, for screen readers and for anyone who cannot see the image.</summary>
    public string AltText { get; }

    /// <summary>The ScottPlot plot (house style applied).</summary>
    public Plot Plot { get; }

    /// <summary>The MIME type of a format.</summary>
    public static string ContentType(ChartFormat format) => format == ChartFormat.Png ? "image/png" : "image/svg+xml";

    /// <summary>Renders to <paramref name="format"/>.</summary>
    public byte[] Render(ChartFormat format) => format == ChartFormat.Png ? ToPng() : Encoding.UTF8.GetBytes(ToSvg());

    /// <summary>A PNG of <see cref="Width"/>×<see cref="Height"/> at <see cref="PngScale"/>× density, with the title and text alternative as tEXt chunks.</summary>
    public byte[] ToPng()
    {
        byte[] png;
        lock (Plot)
        {
            Plot.ScaleFactor = PngScale;
            using var surface = SKSurface.Create(new SKImageInfo(Width * PngScale, Height * PngScale))
                ?? throw new InvalidOperationException("SkiaSharp could not create a drawing surface.");
            Plot.Render(surface);
            using var image = surface.Snapshot();
            using var pixels = image.PeekPixels() ?? throw new InvalidOperationException("SkiaSharp gave no pixels to encode.");
            // ScottPlot's default encoding tries every PNG filter at zlib level 6: about 5× slower than the "up"
            // filter at level 4 for files under a fifth larger (1600 × 800 charts: ~70 ms instead of ~350 ms here).
            using var data = pixels.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.Up, 4))
                ?? throw new InvalidOperationException("SkiaSharp could not encode the PNG.");
            png = data.ToArray();
        }
        return PngText.Insert(png, [("Title", Title), ("Description", AltText)]);
    }

    /// <summary>
    /// The <c>&lt;svg&gt;</c> element alone (no XML declaration), for inline use in an HTML page or report: its ids are
    /// prefixed with a hash of the chart, so several charts on one page never share a clip path.
    /// </summary>
    public string ToSvgElement()
    {
        string svg = ToSvg();
        return svg[svg.IndexOf("<svg", StringComparison.Ordinal)..].TrimEnd();
    }

    /// <summary>An SVG document of <see cref="Width"/>×<see cref="Height"/> with <c>role="img"</c>, <c>&lt;title&gt;</c> and <c>&lt;desc&gt;</c>; its ids are unique to the chart.</summary>
    public string ToSvg()
    {
        string svg;
        lock (Plot)
        {
            Plot.ScaleFactor = 1;
            svg = Plot.GetSvgXml(Width, Height);
        }
        int open = svg.IndexOf("<svg", StringComparison.Ordinal);
        int end = open < 0 ? -1 : svg.IndexOf('>', open);
        if (end < 0)
            throw new InvalidOperationException("ScottPlot returned no <svg> element.");
        string attributes = $" role=\"img\" aria-label=\"{SecurityElement.Escape(Title)}\"";
        string head = $"<title>{SecurityElement.Escape(Title)}</title><desc>{SecurityElement.Escape(AltText)}</desc>";
        bool selfClosing = svg[end - 1] == '/';
        svg = selfClosing
            ? svg[..(end - 1)] + attributes + ">" + head + "</svg>" + svg[(end + 1)..]
            : svg[..end] + attributes + ">" + head + svg[(end + 1)..];
        // Skia numbers its clip paths per canvas ("cl_1"): two charts inline on one page would clip each other.
        string prefix = "c" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(svg)))[..8] + "-";
        svg = IdAttribute().Replace(svg, m => $"{m.Groups[1].Value}=\"{prefix}{m.Groups[2].Value}\"");
        return IdReference().Replace(svg, m => $"{m.Groups[1].Value}#{prefix}{m.Groups[2].Value}");
    }

    [GeneratedRegex("\\b(id)=\"([^\"]+)\"")]
    private static partial Regex IdAttribute();

    [GeneratedRegex("(url\\(|href=\")#([^)\"]+)")]
    private static partial Regex IdReference();

    /// <inheritdoc />
    public void Dispose() => Plot.Dispose();
}
