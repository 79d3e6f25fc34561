using System.Security;
using System.Text;
using ScottPlot;

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
public sealed class Chart : IDisposable
{
    /// <summary>Nominal width in CSS pixels.</summary>
    public const int Width = 800;

    /// <summary>Nominal height in CSS pixels.</summary>
    public const int Height = 400;

    /// <summary>The PNG's pixel density over the nominal size.</summary>
    public const int PngScale = 2;

    internal Chart(string title, string altText, Plot plot)
    {
        Title = title;
        AltText = altText;
        Plot = plot;
    }

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
        lock (Plot)
        {
            Plot.ScaleFactor = PngScale;
            byte[] png = Plot.GetImageBytes(Width * PngScale, Height * PngScale, ImageFormat.Png);
            return PngText.Insert(png, [("Title", Title), ("Description", AltText)]);
        }
    }

    /// <summary>An SVG document of <see cref="Width"/>×<see cref="Height"/> with <c>role="img"</c>, <c>&lt;title&gt;</c> and <c>&lt;desc&gt;</c>.</summary>
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
        return selfClosing
            ? svg[..(end - 1)] + attributes + ">" + head + "</svg>" + svg[(end + 1)..]
            : svg[..end] + attributes + ">" + head + svg[(end + 1)..];
    }

    /// <inheritdoc />
    public void Dispose() => Plot.Dispose();
}
