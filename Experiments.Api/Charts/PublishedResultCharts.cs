using Experiments.Charts;
using Experiments.Engine.AbTesting;
using Experiments.Jobs.Analysis;
using Experiments.Jobs.Results;

namespace Experiments.Api.Charts;

/// <summary>The charts an experiment can have, as named in the chart endpoints' paths.</summary>
public enum ChartKind
{
    /// <summary>Lift by metric with intervals (a forest plot): A/B and geo.</summary>
    Lift,

    /// <summary>Cumulative lift over time with its band: A/B (the always-valid daily path) and geo (incremental outcome per published version).</summary>
    Cumulative,

    /// <summary>Actual vs synthetic control with the band and the treatment start: geo.</summary>
    Counterfactual,

    /// <summary>Effect per day with its band: geo.</summary>
    Effect,

    /// <summary>Placebo distribution with the observed value marked: geo, when the result carries placebos.</summary>
    Placebos,
}

/// <summary>Why a chart cannot be drawn, in words for the 404's detail.</summary>
/// <param name="Field">The request part it is about (<c>chart</c>, <c>metric</c>).</param>
/// <param name="Message">What is missing and what to do.</param>
public sealed record ChartUnavailable(string Field, string Message);

/// <summary>
/// Turns published results (the records the analysis jobs store) into the chart module's inputs. Reads
/// only what was published; computes no statistics beyond presentation (an effect's interval as the
/// image of the counterfactual's).
/// </summary>
internal static class PublishedResultCharts
{
    public static readonly IReadOnlyList<string> Names = Enum.GetValues<ChartKind>().Select(k => k.ToString().ToLowerInvariant()).ToList();

    /// <summary>The experiment types a chart applies to.</summary>
    public static bool AppliesTo(ChartKind chart, ExperimentType type) => chart switch
    {
        ChartKind.Lift or ChartKind.Cumulative => true,
        _ => type == ExperimentType.Geo,
    };

    /// <summary>Lift by metric: relative lift of every treatment (A/B) or the lift % of the treated markets (geo), latest versions.</summary>
    public static LiftChartData? Lift(ExperimentDefinition experiment, IReadOnlyList<PublishedResult> latest)
    {
        var rows = new List<LiftRow>();
        double alpha = experiment.Alpha;
        bool sequential = false;
        foreach (var metric in experiment.Metrics)
        {
            if (latest.FirstOrDefault(r => r.Metric == metric.Name) is not { } result)
                continue;
            if (experiment.Type == ExperimentType.Ab)
            {
                var ab = ResultsJson.Deserialize<AbMetricResult>(result.ResultJson);
                alpha = ab.Analysis.Alpha;
                sequential |= ab.Analysis.Sequential;
                foreach (var comparison in ab.Analysis.Comparisons)
                    if (comparison.Relative is { } relative)
                        rows.Add(new LiftRow(metric.Name, comparison.Variant, relative.Estimate, relative.Lower, relative.Upper));
            }
            else
            {
                var geo = ResultsJson.Deserialize<GeoMetricResult>(result.ResultJson);
                if (geo.Analysis.LiftPercent is { } lift)
                    rows.Add(new LiftRow(metric.Name, "treated markets", lift.Estimate / 100, lift.Lower / 100, lift.Upper / 100));
            }
        }
        return rows.Count == 0 ? null : new LiftChartData(experiment.Name, alpha, ValueKind.Percent, rows, sequential);
    }

    /// <summary>
    /// Cumulative lift of one metric: for an A/B test the always-valid path the run published (absolute lift per
    /// treatment with its confidence sequence, day by day); for a geo experiment the incremental outcome of each
    /// published version at the last day of its data.
    /// </summary>
    public static CumulativeChartData? Cumulative(ExperimentDefinition experiment, MetricDefinition metric, IReadOnlyList<PublishedResult> versions)
    {
        if (versions.Count == 0)
            return null;
        if (experiment.Type == ExperimentType.Ab)
        {
            var ab = ResultsJson.Deserialize<AbMetricResult>(versions.MaxBy(v => v.Version)!.ResultJson);
            var series = ab.SequentialPath
                .SelectMany(day => day.Comparisons.Select(c => (day.Day, c.Variant, c.Absolute)))
                .GroupBy(x => x.Variant)
                .Select(g => new CumulativeSeries(g.Key, g.OrderBy(x => x.Day)
                    .Select(x => new CumulativePoint(x.Day, x.Absolute.Estimate, x.Absolute.Lower, x.Absolute.Upper)).ToList()))
                .ToList();
            if (series.Count == 0)
                return null;
            var kind = metric.Kind == MetricKind.Proportion ? ValueKind.PercentagePoints : ValueKind.Number;
            return new CumulativeChartData(experiment.Name, metric.Name, $"absolute lift in {metric.Name}", kind, ab.Analysis.Alpha,
                "confidence sequence", series);
        }
        // One point per last day of data; a later version of the same window replaces an earlier one.
        var points = versions.OrderBy(v => v.Version)
            .GroupBy(v => v.DataWindow.End)
            .Select(g => (Day: g.Key, Result: ResultsJson.Deserialize<GeoMetricResult>(g.Last().ResultJson)))
            .Where(x => x.Day >= experiment.ExperimentWindow.Start)
            .OrderBy(x => x.Day)
            .Select(x => new CumulativePoint(x.Day, x.Result.Analysis.Incremental.Estimate, x.Result.Analysis.Incremental.Lower, x.Result.Analysis.Incremental.Upper))
            .ToList();
        return points.Count == 0
            ? null
            : new CumulativeChartData(experiment.Name, metric.Name, $"incremental {metric.Name}", ValueKind.Count, experiment.Alpha, "interval",
                [new CumulativeSeries("Treated markets", points)]);
    }

    /// <summary>The treated series against the synthetic control, day by day (the series' periods are day numbers).</summary>
    public static CounterfactualChartData Counterfactual(ExperimentDefinition experiment, MetricDefinition metric, PublishedResult latest)
    {
        var geo = ResultsJson.Deserialize<GeoMetricResult>(latest.ResultJson);
        var points = geo.Analysis.Series
            .Select(p => new CounterfactualPoint(DateOnly.FromDayNumber(p.Period), p.Actual, p.Synthetic, p.Lower, p.Upper))
            .ToList();
        return new CounterfactualChartData(experiment.Name, metric.Name, ValueKind.Count, experiment.Alpha, experiment.ExperimentWindow.Start, points);
    }
}
