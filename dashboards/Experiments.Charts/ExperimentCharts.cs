using System.Text;
using ScottPlot;

namespace Experiments.Charts;

/// <summary>
/// The charts of the service: each is a function of a result, in the house style, with a title and a
/// text alternative written from the same numbers (and the same rounding) as the picture. The API's chart
/// endpoints, the dashboards and the report all draw through here.
/// </summary>
public static class ExperimentCharts
{
    /// <summary>
    /// <c>lift</c>: a forest plot, one row per metric (and treatment), the estimate with its interval and caps,
    /// the value written beside it, a dashed zero line; green where the interval lies on the good side of zero,
    /// red on the bad side (minding metrics whose good direction is down), grey otherwise.
    /// </summary>
    public static Chart Lift(LiftChartData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Rows.Count == 0)
            throw new ArgumentException("A lift chart needs at least one row.", nameof(data));
        string level = NumberFormat.Level(data.Alpha);
        string title = $"{data.Experiment}: lift by metric";
        var plot = ChartStyle.NewPlot(title);
        double scale = Scale(data.Kind);
        bool severalVariants = data.Rows.Select(r => r.Variant).Distinct().Count() > 1;
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        var alt = new StringBuilder();
        alt.Append($"Forest plot of the {Describe(data.Kind)} lift against the control, by metric, with {level} {(data.Sequential ? "confidence sequences" : "confidence intervals")}. ");

        double lowest = 0, highest = 0;
        for (int i = 0; i < data.Rows.Count; i++)
        {
            var row = data.Rows[i];
            double y = data.Rows.Count - 1 - i;
            string name = severalVariants ? $"{row.Metric} ({row.Variant})" : row.Metric;
            ticks.AddMajor(y, name);
            var (color, verdict) = Verdict(row);
            double lo = row.Lower * scale, hi = row.Upper * scale, est = row.Estimate * scale;
            lowest = Math.Min(lowest, lo);
            highest = Math.Max(highest, hi);

            var whisker = plot.Add.Line(lo, y, hi, y);
            whisker.LineWidth = 2.5f;
            whisker.LineColor = color;
            whisker.MarkerSize = 0;
            foreach (double end in new[] { lo, hi })
            {
                var cap = plot.Add.Line(end, y - 0.12, end, y + 0.12);
                cap.LineWidth = 2.5f;
                cap.LineColor = color;
                cap.MarkerSize = 0;
            }
            plot.Add.Marker(est, y, MarkerShape.FilledSquare, 11, color);
            ChartStyle.Annotate(plot, NumberFormat.EstimateWithInterval(row.Estimate, row.Lower, row.Upper, data.Kind), hi, y, color,
                Alignment.MiddleLeft, offsetX: 12);
            alt.Append($"{name}: {NumberFormat.EstimateWithRange(row.Estimate, row.Lower, row.Upper, data.Kind)}, {verdict}. ");
        }

        var zero = plot.Add.VerticalLine(0, 1.5f, ChartStyle.ZeroLine, LinePattern.Dashed);
        zero.ExcludeFromLegend = true;
        double span = Math.Max(highest - lowest, 1e-9);
        // Room on the right for the values written beside the intervals.
        plot.Axes.SetLimitsX(lowest - 0.06 * span, highest + 0.45 * span);
        plot.Axes.SetLimitsY(-0.6, data.Rows.Count - 0.4);
        plot.Axes.Left.TickGenerator = ticks;
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.Left.MinorTickStyle.Length = 0;
        plot.Grid.YAxisStyle.IsVisible = false;
        ChartStyle.FormatTicks(plot.Axes.Bottom, ChartStyle.AxisNumber);
        plot.XLabel($"{(data.Kind == ValueKind.Percent ? "Relative lift" : "Lift")} vs. control{Unit(data.Kind)}, {level} {(data.Sequential ? "CS" : "CI")}");
        ChartStyle.Finish(plot);
        // Rows keep the design's spacing (about 70 px each) once there are more than four.
        int height = Math.Max(Chart.DefaultHeight, 120 + 70 * data.Rows.Count);
        return new Chart(title, alt.ToString().TrimEnd(), plot, height);
    }

    /// <summary>
    /// <c>cumulative</c>: the estimate with all data up to each day, with its band (a confidence sequence for an
    /// A/B test, so the path can be read daily) and the zero line; the latest value in the title.
    /// </summary>
    public static Chart Cumulative(CumulativeChartData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var series = data.Series.Where(s => s.Points.Count > 0).ToList();
        if (series.Count == 0)
            throw new ArgumentException("A cumulative chart needs at least one point.", nameof(data));
        string level = NumberFormat.Level(data.Alpha);
        string title = series.Count == 1
            ? $"Cumulative {data.Quantity}: {NumberFormat.Value(series[0].Points[^1].Estimate, data.Kind, signed: true)}"
            : $"Cumulative {data.Quantity} by variant";
        var plot = ChartStyle.NewPlot(title);
        var palette = new[] { ChartStyle.Blue, ChartStyle.Orange, ChartStyle.Better, ChartStyle.Worse, ChartStyle.Neutral };
        double scale = Scale(data.Kind);
        var alt = new StringBuilder();
        alt.Append($"Line chart of the cumulative {data.Quantity} in {data.Metric} for {data.Experiment}, day by day, with its {level} {data.BandName} as a band. ");
        for (int s = 0; s < series.Count; s++)
        {
            var points = series[s].Points;
            var color = palette[s % palette.Length];
            double[] xs = points.Select(p => (double)p.Day.DayNumber).ToArray();
            var band = plot.Add.FillY(xs, points.Select(p => p.Lower * scale).ToArray(), points.Select(p => p.Upper * scale).ToArray());
            band.FillColor = ChartStyle.Band(color);
            band.LineWidth = 0;
            band.LegendText = series.Count == 1 ? $"{level} {data.BandName}" : $"{series[s].Name}: {level} {data.BandName}";
            var line = plot.Add.ScatterLine(xs, points.Select(p => p.Estimate * scale).ToArray(), color);
            line.LineWidth = 2.5f;
            // A path of a few points (a geo experiment's published versions) shows its points.
            line.MarkerSize = points.Count <= 5 ? 8 : 0;
            line.LegendText = series.Count == 1 ? $"Cumulative {data.Quantity}" : series[s].Name;
            if (points.Count == 1)
            {
                var bar = plot.Add.Line(xs[0], points[0].Lower * scale, xs[0], points[0].Upper * scale);
                bar.LineColor = color;
                bar.LineWidth = 2;
                bar.MarkerSize = 0;
            }
            var first = points[0];
            var last = points[^1];
            alt.Append($"{series[s].Name}: on {NumberFormat.IsoDate(last.Day)} {NumberFormat.EstimateWithRange(last.Estimate, last.Lower, last.Upper, data.Kind)}");
            alt.Append(last.Lower > 0 || last.Upper < 0 ? ", the band excludes zero" : ", the band includes zero");
            alt.Append($"; on {NumberFormat.IsoDate(first.Day)}, the first day, {NumberFormat.EstimateWithRange(first.Estimate, first.Lower, first.Upper, data.Kind)}. ");
        }
        ChartStyle.ZeroLineY(plot);
        int firstDay = series.Min(s => s.Points[0].Day.DayNumber), lastDay = series.Max(s => s.Points[^1].Day.DayNumber);
        ChartStyle.DateTicks(plot.Axes.Bottom, firstDay, lastDay);
        ChartStyle.FormatTicks(plot.Axes.Left, ChartStyle.AxisNumber);
        plot.YLabel($"Cumulative {data.Quantity}{Unit(data.Kind)}");
        plot.ShowLegend(Alignment.UpperLeft);
        ChartStyle.Finish(plot);
        return new Chart(title, alt.ToString().TrimEnd(), plot);
    }

    /// <summary>
    /// <c>counterfactual</c>: the treated markets' actual series (solid) against the synthetic control (dashed)
    /// with the counterfactual's interval band after the treatment start, marked by a dotted line and a label.
    /// </summary>
    public static Chart Counterfactual(CounterfactualChartData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Points.Count == 0)
            throw new ArgumentException("A counterfactual chart needs at least one day.", nameof(data));
        string level = NumberFormat.Level(data.Alpha);
        string title = $"{data.Experiment}: actual vs. synthetic control";
        var plot = ChartStyle.NewPlot(title);
        double[] xs = data.Points.Select(p => (double)p.Day.DayNumber).ToArray();
        var banded = data.Points.Where(p => p.Lower is not null && p.Upper is not null).ToList();
        if (banded.Count > 0)
        {
            var band = plot.Add.FillY(banded.Select(p => (double)p.Day.DayNumber).ToArray(),
                banded.Select(p => p.Lower!.Value).ToArray(), banded.Select(p => p.Upper!.Value).ToArray());
            band.FillColor = ChartStyle.Band(ChartStyle.Orange);
            band.LineWidth = 0;
            band.LegendText = $"{level} interval";
        }
        var synthetic = plot.Add.ScatterLine(xs, data.Points.Select(p => p.Synthetic).ToArray(), ChartStyle.Orange);
        synthetic.LineWidth = 2;
        synthetic.LinePattern = LinePattern.Dashed;
        synthetic.MarkerSize = 0;
        synthetic.LegendText = "Synthetic control";
        var actual = plot.Add.ScatterLine(xs, data.Points.Select(p => p.Actual).ToArray(), ChartStyle.Blue);
        actual.LineWidth = 2;
        actual.MarkerSize = 0;
        actual.LegendText = "Actual (treated)";

        var (bottom, top) = Range(data.Points.SelectMany(p => new[] { p.Actual, p.Synthetic, p.Lower ?? p.Actual, p.Upper ?? p.Actual }));
        top += 0.08 * (top - bottom);
        MarkTreatmentStart(plot, data.TreatmentStart, top);
        plot.Axes.SetLimitsY(bottom - 0.04 * (top - bottom), top);
        ChartStyle.DateTicks(plot.Axes.Bottom, data.Points[0].Day.DayNumber, data.Points[^1].Day.DayNumber);
        ChartStyle.FormatTicks(plot.Axes.Left, ChartStyle.AxisNumber);
        plot.YLabel(Capitalise(data.Metric));
        plot.ShowLegend(Alignment.UpperLeft);
        ChartStyle.Finish(plot);

        var test = data.Points.Where(p => p.Day >= data.TreatmentStart).ToList();
        var pre = data.Points.Where(p => p.Day < data.TreatmentStart).ToList();
        var alt = new StringBuilder();
        alt.Append($"Line chart of {data.Metric} per day in the treated markets (solid) against their synthetic control (dashed) for {data.Experiment}, ");
        alt.Append($"from {NumberFormat.IsoDate(data.Points[0].Day)} to {NumberFormat.IsoDate(data.Points[^1].Day)}; the treatment started on {NumberFormat.IsoDate(data.TreatmentStart)}. ");
        if (pre.Count > 0)
            alt.Append($"Before it, {pre.Count} days averaging {NumberFormat.Value(pre.Average(p => p.Actual), data.Kind)} actual and {NumberFormat.Value(pre.Average(p => p.Synthetic), data.Kind)} synthetic. ");
        if (test.Count > 0)
        {
            alt.Append($"After it, {test.Count} days averaging {NumberFormat.Value(test.Average(p => p.Actual), data.Kind)} actual and {NumberFormat.Value(test.Average(p => p.Synthetic), data.Kind)} synthetic");
            var bandDays = test.Where(p => p.Lower is not null && p.Upper is not null).ToList();
            if (bandDays.Count > 0)
            {
                int above = bandDays.Count(p => p.Actual > p.Upper), below = bandDays.Count(p => p.Actual < p.Lower);
                alt.Append($"; the actual series lies above the counterfactual's {level} interval on {above} of {bandDays.Count} days and below it on {below}");
            }
            alt.Append('.');
        }
        return new Chart(title, alt.ToString().TrimEnd(), plot);
    }

    /// <summary>
    /// <c>effect</c>: the effect per day (actual − synthetic) with its interval band after the treatment start,
    /// the pre-period gaps in grey (how well the control fits), the zero line and the treatment start.
    /// </summary>
    public static Chart Effect(CounterfactualChartData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Points.Count == 0)
            throw new ArgumentException("An effect chart needs at least one day.", nameof(data));
        string level = NumberFormat.Level(data.Alpha);
        string title = $"{data.Experiment}: effect per day on {data.Metric}";
        var plot = ChartStyle.NewPlot(title);
        var pre = data.Points.Where(p => p.Day < data.TreatmentStart).ToList();
        var test = data.Points.Where(p => p.Day >= data.TreatmentStart).ToList();
        // The effect's interval is the image of the counterfactual's: actual − upper to actual − lower.
        var banded = test.Where(p => p.Lower is not null && p.Upper is not null).ToList();
        if (banded.Count > 0)
        {
            var band = plot.Add.FillY(banded.Select(p => (double)p.Day.DayNumber).ToArray(),
                banded.Select(p => p.Actual - p.Upper!.Value).ToArray(), banded.Select(p => p.Actual - p.Lower!.Value).ToArray());
            band.FillColor = ChartStyle.Band(ChartStyle.Blue);
            band.LineWidth = 0;
            band.LegendText = $"{level} interval";
        }
        if (pre.Count > 0)
        {
            var gaps = plot.Add.ScatterLine(pre.Select(p => (double)p.Day.DayNumber).ToArray(), pre.Select(p => p.Actual - p.Synthetic).ToArray(), ChartStyle.Neutral);
            gaps.LineWidth = 1.5f;
            gaps.MarkerSize = 0;
            gaps.LegendText = "Pre-period gap (fit)";
        }
        if (test.Count > 0)
        {
            var effect = plot.Add.ScatterLine(test.Select(p => (double)p.Day.DayNumber).ToArray(), test.Select(p => p.Actual - p.Synthetic).ToArray(), ChartStyle.Blue);
            effect.LineWidth = 2.5f;
            effect.MarkerSize = 0;
            effect.LegendText = "Effect (actual − synthetic)";
        }
        ChartStyle.ZeroLineY(plot);
        var (bottom, top) = Range(data.Points.SelectMany(p => new[]
        {
            p.Actual - p.Synthetic, 0,
            p.Upper is { } u ? p.Actual - u : p.Actual - p.Synthetic,
            p.Lower is { } l ? p.Actual - l : p.Actual - p.Synthetic,
        }));
        top += 0.12 * (top - bottom);
        MarkTreatmentStart(plot, data.TreatmentStart, top);
        plot.Axes.SetLimitsY(bottom - 0.04 * (top - bottom), top);
        ChartStyle.DateTicks(plot.Axes.Bottom, data.Points[0].Day.DayNumber, data.Points[^1].Day.DayNumber);
        ChartStyle.FormatTicks(plot.Axes.Left, ChartStyle.AxisNumber);
        plot.YLabel($"Effect on {data.Metric} per day");
        plot.ShowLegend(Alignment.UpperLeft);
        ChartStyle.Finish(plot);

        var alt = new StringBuilder();
        alt.Append($"Line chart of the effect on {data.Metric} per day (actual minus synthetic control) for {data.Experiment}, with its {level} interval as a band after the treatment start on {NumberFormat.IsoDate(data.TreatmentStart)}. ");
        if (pre.Count > 0)
        {
            double rmspe = Math.Sqrt(pre.Average(p => (p.Actual - p.Synthetic) * (p.Actual - p.Synthetic)));
            alt.Append($"Before the start the gap is a fit error: root mean square {NumberFormat.Value(rmspe, data.Kind)} over {pre.Count} days. ");
        }
        if (test.Count > 0)
        {
            var largest = test.MaxBy(p => p.Actual - p.Synthetic)!;
            var smallest = test.MinBy(p => p.Actual - p.Synthetic)!;
            alt.Append($"After it, {test.Count} days: the daily effect ranges from {NumberFormat.Value(smallest.Actual - smallest.Synthetic, data.Kind, signed: true)} ({NumberFormat.IsoDate(smallest.Day)}) ");
            alt.Append($"to {NumberFormat.Value(largest.Actual - largest.Synthetic, data.Kind, signed: true)} ({NumberFormat.IsoDate(largest.Day)})");
            if (banded.Count > 0)
            {
                int above = banded.Count(p => p.Actual - p.Upper!.Value > 0), below = banded.Count(p => p.Actual - p.Lower!.Value < 0);
                alt.Append($"; its interval lies above zero on {above} of {banded.Count} days and below zero on {below}");
            }
            alt.Append('.');
        }
        return new Chart(title, alt.ToString().TrimEnd(), plot);
    }

    /// <summary>
    /// <c>placebos</c>: a histogram of the placebo statistic over every donor refitted as if treated, with the
    /// treated markets' value marked and the permutation p-value.
    /// </summary>
    public static Chart Placebos(PlaceboChartData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Placebos.Count == 0)
            throw new ArgumentException("A placebo chart needs at least one placebo.", nameof(data));
        string title = $"{data.Experiment}: {data.Statistic} against placebos";
        var plot = ChartStyle.NewPlot(title);
        double[] values = data.Placebos.Select(p => p.Value).ToArray();
        // Bins of the placebos' own spread (about √n of them), extended to reach the observed value.
        var (low, high) = Range(values);
        double width = (high - low) / Math.Clamp((int)Math.Ceiling(Math.Sqrt(values.Length)), 4, 15);
        double min = Math.Min(low, data.Observed), max = Math.Max(high, data.Observed);
        int binCount = Math.Max(1, (int)Math.Ceiling((max - min) / width - 1e-9));
        var counts = new int[binCount];
        foreach (double v in values)
            counts[Math.Clamp((int)Math.Floor((v - min) / width), 0, binCount - 1)]++;
        var bars = new List<Bar>();
        for (int b = 0; b < binCount; b++)
            bars.Add(new Bar
            {
                Position = min + (b + 0.5) * width,
                Value = counts[b],
                Size = width * 0.92,
                FillColor = ChartStyle.BarFill,
                LineWidth = 0,
            });
        var barPlot = plot.Add.Bars(bars);
        barPlot.LegendText = $"Placebos ({values.Length} markets)";
        var observed = plot.Add.VerticalLine(data.Observed, 2.5f, ChartStyle.Worse, LinePattern.Solid);
        observed.LegendText = "Treated (observed)";
        int tallest = Math.Max(counts.Max(), 1);
        double top = tallest * 1.3 + 0.5;
        bool right = data.Observed > (min + max) / 2;
        ChartStyle.Annotate(plot, $"Treated: {NumberFormat.Value(data.Observed, data.Kind)} ({NumberFormat.PValue(data.PValue)})",
            data.Observed, tallest * 0.6, ChartStyle.Worse, right ? Alignment.MiddleRight : Alignment.MiddleLeft, offsetX: right ? -8 : 8, bold: true);
        plot.Axes.SetLimitsY(0, top);
        plot.Axes.SetLimitsX(min - width, max + width);
        ChartStyle.FormatTicks(plot.Axes.Bottom, ChartStyle.AxisNumber);
        var counting = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true, LabelFormatter = ChartStyle.AxisNumber };
        plot.Axes.Left.TickGenerator = counting;
        plot.XLabel(Capitalise(data.Statistic));
        plot.YLabel("Markets");
        plot.ShowLegend(right ? Alignment.UpperLeft : Alignment.UpperRight);
        ChartStyle.Finish(plot);

        int atLeast = values.Count(v => v >= data.Observed);
        string alt = $"Histogram of the {data.Statistic} of {values.Length} placebo markets for {data.Experiment}, from {NumberFormat.Value(values.Min(), data.Kind)} to {NumberFormat.Value(values.Max(), data.Kind)}, " +
            $"with the treated markets' value {NumberFormat.Value(data.Observed, data.Kind)} marked; {atLeast} of {values.Length} placebos are at least as large; permutation {NumberFormat.PValue(data.PValue)}.";
        return new Chart(title, alt, plot);
    }

    /// <summary>
    /// The power curve of <c>POST /api/v1/stats/power</c>: the probability of detecting each true relative lift
    /// at the planned sample, with the target power and the minimum detectable effect marked.
    /// </summary>
    public static Chart Power(PowerChartData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Curves.Count == 0 || data.Curves.Any(c => c.Points.Count == 0))
            throw new ArgumentException("A power chart needs at least one curve with points.", nameof(data));
        string target = NumberFormat.Percent(data.TargetPower, 0);
        var main = data.Curves[0];
        string title = $"Power by true lift: {target} power at {NumberFormat.Percent(main.Mde, signed: true)} with {NumberFormat.Count(main.UnitsPerVariant)} units per variant";
        var plot = ChartStyle.NewPlot(title);
        var palette = new[] { ChartStyle.Blue, ChartStyle.Better, ChartStyle.Orange };
        var alt = new StringBuilder();
        alt.Append($"Line chart of the power of a two-sided test at α = {data.Alpha.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)} against the true relative lift. ");
        for (int c = 0; c < data.Curves.Count; c++)
        {
            var curve = data.Curves[c];
            var color = palette[c % palette.Length];
            var line = plot.Add.ScatterLine(curve.Points.Select(p => p.RelativeEffect * 100).ToArray(), curve.Points.Select(p => p.Power * 100).ToArray(), color);
            line.LineWidth = 2.5f;
            line.MarkerSize = 0;
            line.LegendText = $"{curve.Name}: {NumberFormat.Count(curve.UnitsPerVariant)} per variant";
            plot.Add.Marker(curve.Mde * 100, data.TargetPower * 100, MarkerShape.FilledCircle, 9, color);
            var mde = plot.Add.VerticalLine(curve.Mde * 100, 1.2f, color, LinePattern.Dotted);
            mde.ExcludeFromLegend = true;
            alt.Append($"{curve.Name}, {NumberFormat.Count(curve.UnitsPerVariant)} units per variant: {target} power at a lift of {NumberFormat.Percent(curve.Mde, signed: true)}");
            var half = curve.Points.FirstOrDefault(p => p.Power >= 0.5);
            if (half is not null)
                alt.Append($", 50% power near {NumberFormat.Percent(half.RelativeEffect, signed: true)}");
            alt.Append(". ");
        }
        var goal = plot.Add.HorizontalLine(data.TargetPower * 100, 1.5f, ChartStyle.ZeroLine, LinePattern.Dashed);
        goal.LegendText = $"Target power {target}";
        plot.Axes.SetLimitsY(0, 105);
        ChartStyle.FormatTicks(plot.Axes.Left, v => ChartStyle.AxisNumber(v) + "%");
        ChartStyle.FormatTicks(plot.Axes.Bottom, v => (v > 0 ? "+" : "") + ChartStyle.AxisNumber(v) + "%");
        plot.XLabel("True relative lift");
        plot.YLabel("Power");
        plot.ShowLegend(Alignment.LowerRight);
        ChartStyle.Finish(plot);
        return new Chart(title, alt.ToString().TrimEnd(), plot);
    }

    private static void MarkTreatmentStart(Plot plot, DateOnly start, double top)
    {
        double x = start.DayNumber - 0.5;
        var line = plot.Add.VerticalLine(x, 1.5f, ChartStyle.Ink, LinePattern.Dotted);
        line.ExcludeFromLegend = true;
        ChartStyle.Annotate(plot, "Treatment start", x, top, ChartStyle.Ink, Alignment.UpperLeft, offsetX: 4, offsetY: 2);
    }

    private static (Color Color, string Verdict) Verdict(LiftRow row)
    {
        bool excludesZero = row.Lower > 0 || row.Upper < 0;
        if (!excludesZero)
            return (ChartStyle.Neutral, "the interval includes zero");
        bool up = row.Lower > 0;
        return up == row.HigherIsBetter
            ? (ChartStyle.Better, up ? "better than control (the interval lies above zero)" : "better than control (the interval lies below zero, and lower is better)")
            : (ChartStyle.Worse, up ? "worse than control (the interval lies above zero, and lower is better)" : "worse than control (the interval lies below zero)");
    }

    private static double Scale(ValueKind kind) => kind is ValueKind.Percent or ValueKind.PercentagePoints ? 100 : 1;

    private static string Unit(ValueKind kind) => kind switch
    {
        ValueKind.Percent => " (%)",
        ValueKind.PercentagePoints => " (pp)",
        ValueKind.Currency => $" ({NumberFormat.CurrencySymbol})",
        _ => "",
    };

    private static string Describe(ValueKind kind) => kind == ValueKind.Percent ? "relative" : "absolute";

    private static (double Min, double Max) Range(IEnumerable<double> values)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (double v in values)
        {
            if (!double.IsFinite(v))
                continue;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        if (double.IsInfinity(min))
            return (0, 1);
        if (max - min < 1e-12)
            return (min - 1, max + 1);
        return (min, max);
    }

    private static string Capitalise(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
