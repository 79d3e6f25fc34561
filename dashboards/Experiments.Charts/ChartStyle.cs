using System.Globalization;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace Experiments.Charts;

/// <summary>
/// The house style (the pictures in the design folder): DejaVu Sans, a bold title, no top or right frame,
/// a light grid, a flat legend inside the plot, a dashed zero line, green/red only where an interval
/// excludes zero, grey otherwise.
/// </summary>
internal static class ChartStyle
{
    public static readonly Color Ink = Color.FromHex("#222222");
    public static readonly Color Blue = Color.FromHex("#1F77B4");
    public static readonly Color Orange = Color.FromHex("#FF7F0E");
    public static readonly Color Better = Color.FromHex("#1A7F37");
    public static readonly Color Worse = Color.FromHex("#D62728");
    public static readonly Color Neutral = Color.FromHex("#5A6270");
    public static readonly Color ZeroLine = Color.FromHex("#808080");
    public static readonly Color GridLine = Color.FromHex("#E5E5E5");
    public static readonly Color BarFill = Color.FromHex("#A9B1BC");

    public const float TitleSize = 16;
    public const float LabelSize = 13;
    public const float TickSize = 12;
    public const float AnnotationSize = 12;

    /// <summary>A new plot in the house style; the font is registered first.</summary>
    public static Plot NewPlot(string title)
    {
        string font = ChartFonts.Ensure();
        var plot = new Plot();
        plot.Title(title, TitleSize);
        plot.Axes.Title.Label.Bold = true;
        plot.Axes.Title.Label.ForeColor = Ink;
        plot.Axes.Right.FrameLineStyle.Width = 0;
        plot.Axes.Top.FrameLineStyle.Width = 0;
        foreach (var axis in new IAxis[] { plot.Axes.Left, plot.Axes.Bottom })
        {
            axis.Label.FontSize = LabelSize;
            axis.Label.Bold = false;
            axis.Label.ForeColor = Ink;
            axis.TickLabelStyle.FontSize = TickSize;
            axis.TickLabelStyle.ForeColor = Ink;
            axis.FrameLineStyle.Color = Ink;
        }
        plot.Grid.MajorLineColor = GridLine;
        plot.Legend.ShadowOffset = new PixelOffset(0, 0);
        plot.Legend.ShadowColor = Colors.Transparent;
        plot.Legend.OutlineColor = Color.FromHex("#CCCCCC");
        plot.Legend.FontSize = TickSize;
        plot.Legend.FontName = font;
        return plot;
    }

    /// <summary>Applies the shipped font to every label, tick, legend and text of the plot (call once everything is added).</summary>
    public static void Finish(Plot plot)
    {
        // Not plot.Font.Set: it fixes a regular weight and the bold title loses its weight.
        string font = ChartFonts.Ensure();
        plot.Axes.Title.Label.FontName = font;
        foreach (var axis in plot.Axes.GetAxes())
        {
            axis.Label.FontName = font;
            axis.TickLabelStyle.FontName = font;
        }
        plot.Legend.FontName = font;
        foreach (var text in plot.GetPlottables<ScottPlot.Plottables.Text>())
            text.LabelStyle.FontName = font;
    }

    /// <summary>A dashed grey zero line, as on every chart of an effect.</summary>
    public static void ZeroLineY(Plot plot)
    {
        var line = plot.Add.HorizontalLine(0, 1.5f, ZeroLine, LinePattern.Dashed);
        line.ExcludeFromLegend = true;
    }

    /// <summary>Tick labels written by <paramref name="format"/>.</summary>
    public static void FormatTicks(IAxis axis, Func<double, string> format) =>
        axis.TickGenerator = new NumericAutomatic { LabelFormatter = format };

    /// <summary>
    /// Date ticks on an axis whose coordinates are <see cref="DateOnly.DayNumber"/>s: "Mar 1", every 1, 2, 7,
    /// 14 or 28 days from the first day so that at most <paramref name="maxTicks"/> fit.
    /// </summary>
    public static void DateTicks(IAxis axis, int firstDay, int lastDay, int maxTicks = 9)
    {
        int span = Math.Max(lastDay - firstDay, 1);
        int step = new[] { 1, 2, 7, 14, 28, 56, 91, 182, 364 }.FirstOrDefault(s => span / s + 1 <= maxTicks, 364);
        var ticks = new NumericManual();
        for (int day = firstDay; day <= lastDay; day += step)
            ticks.AddMajor(day, NumberFormat.ShortDate(DateOnly.FromDayNumber(day)));
        axis.TickGenerator = ticks;
    }

    /// <summary>A text annotation in the house font.</summary>
    public static ScottPlot.Plottables.Text Annotate(Plot plot, string text, double x, double y, Color color, Alignment alignment,
        float offsetX = 0, float offsetY = 0, bool bold = false)
    {
        var label = plot.Add.Text(text, x, y);
        label.LabelStyle.FontSize = AnnotationSize;
        label.LabelStyle.ForeColor = color;
        label.LabelStyle.Alignment = alignment;
        label.LabelStyle.Bold = bold;
        label.OffsetX = offsetX;
        label.OffsetY = offsetY;
        return label;
    }

    /// <summary>A band's fill colour: the line's colour, light.</summary>
    public static Color Band(Color line) => line.WithAlpha(0.2);

    /// <summary>Axis numbers: thousands separators, a true minus sign.</summary>
    public static string AxisNumber(double value) =>
        Math.Abs(value) < 1e-12 ? "0" : (value < 0 ? "\u2212" : "") + Math.Abs(value).ToString("#,0.####", CultureInfo.InvariantCulture);
}
