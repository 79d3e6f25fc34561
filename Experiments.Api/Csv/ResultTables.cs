using Experiments.Jobs.Analysis;
using Experiments.Jobs.Results;
using Microsoft.Data.Analysis;
using static Experiments.Api.Csv.CsvTable;

namespace Experiments.Api.Csv;

/// <summary>The tables of published results, as <c>?table=</c> names them.</summary>
public enum ResultTable
{
    /// <summary>A/B: each treatment against the control, absolute and relative lift (one row each), per metric and version. The A/B default.</summary>
    Comparisons,

    /// <summary>A/B: each variant's units, mean and standard error.</summary>
    Variants,

    /// <summary>A/B: the always-valid daily path of the absolute lift (daily cumulative lift).</summary>
    Cumulative,

    /// <summary>Geo: average effect, lift %, incremental outcome and iROAS with intervals, and the pre-period fit. The geo default.</summary>
    Summary,

    /// <summary>Geo: the treated series and the synthetic control per day, with the counterfactual's interval after the start.</summary>
    Counterfactual,

    /// <summary>Geo: the effect per day (actual − synthetic) with its interval after the start.</summary>
    Effect,

    /// <summary>Geo: the donor weights.</summary>
    Weights,

    /// <summary>Geo: the placebo distribution, when results carry one.</summary>
    Placebos,
}

/// <summary>
/// Published results as tidy, long tables for notebooks (one row per observation, one column per variable):
/// every table starts with the published result's keys (experiment, metric, version, finality, run,
/// publication time, data window), so versions and metrics stack.
/// </summary>
internal static class ResultTables
{
    public static readonly IReadOnlyList<string> Names = Enum.GetValues<ResultTable>().Select(t => CsvTable.Name<ResultTable>(t)!).ToList();

    public static ResultTable Default(ExperimentType type) => type == ExperimentType.Ab ? ResultTable.Comparisons : ResultTable.Summary;

    public static bool AppliesTo(ResultTable table, ExperimentType type) =>
        table is ResultTable.Comparisons or ResultTable.Variants or ResultTable.Cumulative ? type == ExperimentType.Ab : type == ExperimentType.Geo;

    public static ResultTable? Parse(string text) =>
        Enum.GetValues<ResultTable>().Cast<ResultTable?>().FirstOrDefault(t => CsvTable.Name<ResultTable>(t) == text);

    /// <summary>The table of <paramref name="results"/>; null for a table no stored result carries (placebos).</summary>
    public static DataFrame? Build(ResultTable table, ExperimentDefinition experiment, IReadOnlyList<PublishedResult> results)
    {
        var rows = new List<(PublishedResult Result, Row Row)>();
        foreach (var result in results)
        {
            IEnumerable<Row> produced = experiment.Type == ExperimentType.Ab
                ? AbRows(table, ResultsJson.Deserialize<AbMetricResult>(result.ResultJson))
                : GeoRows(table, ResultsJson.Deserialize<GeoMetricResult>(result.ResultJson), experiment);
            rows.AddRange(produced.Select(r => (result, r)));
        }
        if (table == ResultTable.Placebos)
            return null;

        var columns = new List<DataFrameColumn>
        {
            Text("experiment_id", rows.Select(r => r.Result.ExperimentId)),
            Text("metric", rows.Select(r => r.Result.Metric)),
            Integer("version", rows.Select(r => (long?)r.Result.Version)),
            Text("finality", rows.Select(r => r.Result.IsFinal ? "final" : "provisional")),
            Text("run_id", rows.Select(r => r.Result.RunId.ToString("D"))),
            Instant("published_at", rows.Select(r => (DateTimeOffset?)r.Result.PublishedAt)),
            Day("window_start", rows.Select(r => (DateOnly?)r.Result.DataWindow.Start)),
            Day("window_end", rows.Select(r => (DateOnly?)r.Result.DataWindow.End)),
        };
        var layout = Layout(table);
        for (int c = 0; c < layout.Length; c++)
        {
            int index = c;
            var (name, kind) = layout[c];
            columns.Add(kind switch
            {
                CellKind.Text => Text(name, rows.Select(r => (string?)r.Row.Cells[index])),
                CellKind.Day => Day(name, rows.Select(r => (DateOnly?)r.Row.Cells[index])),
                CellKind.Integer => Integer(name, rows.Select(r => (long?)r.Row.Cells[index])),
                CellKind.Flag => Flag(name, rows.Select(r => (bool?)r.Row.Cells[index])),
                _ => Number(name, rows.Select(r => (double?)r.Row.Cells[index])),
            });
        }
        return new DataFrame(columns);
    }

    private enum CellKind { Text, Number, Integer, Flag, Day }

    private sealed record Row(params object?[] Cells);

    private static (string Name, CellKind Kind)[] Layout(ResultTable table) => table switch
    {
        ResultTable.Comparisons =>
        [
            ("variant", CellKind.Text), ("scale", CellKind.Text), ("estimate", CellKind.Number), ("std_error", CellKind.Number),
            ("lower", CellKind.Number), ("upper", CellKind.Number), ("level", CellKind.Number), ("p_value", CellKind.Number),
            ("adjusted_p_value", CellKind.Number), ("sequential", CellKind.Flag), ("cuped_variance_reduction", CellKind.Number),
        ],
        ResultTable.Variants =>
        [
            ("variant", CellKind.Text), ("is_control", CellKind.Flag), ("units", CellKind.Integer), ("mean", CellKind.Number),
            ("std_error", CellKind.Number), ("unadjusted_mean", CellKind.Number),
        ],
        ResultTable.Cumulative =>
        [
            ("day", CellKind.Day), ("variant", CellKind.Text), ("estimate", CellKind.Number), ("std_error", CellKind.Number),
            ("lower", CellKind.Number), ("upper", CellKind.Number), ("level", CellKind.Number), ("p_value", CellKind.Number),
        ],
        ResultTable.Summary =>
        [
            ("quantity", CellKind.Text), ("estimate", CellKind.Number), ("lower", CellKind.Number), ("upper", CellKind.Number),
            ("level", CellKind.Number), ("p_value", CellKind.Number),
        ],
        ResultTable.Counterfactual =>
        [
            ("day", CellKind.Day), ("phase", CellKind.Text), ("actual", CellKind.Number), ("synthetic", CellKind.Number),
            ("lower", CellKind.Number), ("upper", CellKind.Number),
        ],
        ResultTable.Effect =>
        [
            ("day", CellKind.Day), ("phase", CellKind.Text), ("effect", CellKind.Number), ("lower", CellKind.Number), ("upper", CellKind.Number),
        ],
        ResultTable.Weights => [("unit", CellKind.Text), ("weight", CellKind.Number)],
        _ => [],
    };

    private static IEnumerable<Row> AbRows(ResultTable table, AbMetricResult result)
    {
        var analysis = result.Analysis;
        double level = 1 - analysis.Alpha;
        switch (table)
        {
            case ResultTable.Comparisons:
                foreach (var c in analysis.Comparisons)
                {
                    yield return new Row(c.Variant, "absolute", c.Absolute.Estimate, c.Absolute.StdError, c.Absolute.Lower, c.Absolute.Upper, level,
                        c.Absolute.PValue, c.AdjustedPValue, analysis.Sequential, c.Cuped?.VarianceReduction);
                    if (c.Relative is { } r)
                        yield return new Row(c.Variant, "relative", r.Estimate, r.StdError, r.Lower, r.Upper, level, r.PValue, null,
                            analysis.Sequential, c.Cuped?.VarianceReduction);
                }
                break;
            case ResultTable.Variants:
                foreach (var v in analysis.Variants)
                    yield return new Row(v.Name, v.Name == analysis.Control, v.Count, v.Mean, v.StdError, v.UnadjustedMean);
                break;
            case ResultTable.Cumulative:
                foreach (var day in result.SequentialPath)
                    foreach (var c in day.Comparisons)
                        yield return new Row(day.Day, c.Variant, c.Absolute.Estimate, c.Absolute.StdError, c.Absolute.Lower, c.Absolute.Upper, level, c.Absolute.PValue);
                break;
        }
    }

    private static IEnumerable<Row> GeoRows(ResultTable table, GeoMetricResult result, ExperimentDefinition experiment)
    {
        var a = result.Analysis;
        double level = 1 - experiment.Alpha;
        int start = experiment.ExperimentWindow.Start.DayNumber;
        switch (table)
        {
            case ResultTable.Summary:
                yield return new Row("effect_per_market_day", a.Effect.Estimate, a.Effect.Lower, a.Effect.Upper, level, a.Effect.PValue);
                if (a.LiftPercent is { } lift)
                    yield return new Row("lift_percent", lift.Estimate, lift.Lower, lift.Upper, level, null);
                yield return new Row("incremental", a.Incremental.Estimate, a.Incremental.Lower, a.Incremental.Upper, level, null);
                if (a.Iroas is { } iroas)
                    yield return new Row("iroas", iroas.Estimate, iroas.Lower, iroas.Upper, level, null);
                yield return new Row("pre_rmspe", a.PreRmspe, null, null, null, null);
                yield return new Row("scaled_l2_imbalance", a.ScaledL2Imbalance, null, null, null, null);
                break;
            case ResultTable.Counterfactual:
                foreach (var p in a.Series)
                    yield return new Row(DateOnly.FromDayNumber(p.Period), p.Period < start ? "pre" : "test", p.Actual, p.Synthetic, p.Lower, p.Upper);
                break;
            case ResultTable.Effect:
                foreach (var p in a.Series)
                    yield return new Row(DateOnly.FromDayNumber(p.Period), p.Period < start ? "pre" : "test", p.Actual - p.Synthetic,
                        p.Upper is { } u ? p.Actual - u : null, p.Lower is { } l ? p.Actual - l : null);
                break;
            case ResultTable.Weights:
                foreach (var w in a.Weights)
                    yield return new Row(w.Unit, w.Weight);
                break;
        }
    }
}

/// <summary>The run history as a table: one row per run, newest first.</summary>
internal static class RunTables
{
    public static DataFrame Build(IReadOnlyList<AnalysisRun> runs) => new(
        Text("run_id", runs.Select(r => r.Id.ToString("D"))),
        Text("experiment_id", runs.Select(r => r.ExperimentId)),
        Text("status", runs.Select(r => Name<RunStatus>(r.Status))),
        Text("stage", runs.Select(r => Name<RunStage>(r.Stage))),
        Text("reason", runs.Select(r => r.Reason)),
        Text("trigger", runs.Select(r => r.Parameters.Trigger)),
        Day("window_start", runs.Select(r => (DateOnly?)r.DataWindow.Start)),
        Day("window_end", runs.Select(r => (DateOnly?)r.DataWindow.End)),
        Integer("rows_read", runs.Select(r => (long?)r.RowsRead)),
        Integer("bytes_read", runs.Select(r => (long?)r.BytesRead)),
        Text("engine_version", runs.Select(r => r.EngineVersion)),
        Number("contract_check_ms", runs.Select(r => r.Durations.ContractCheck?.TotalMilliseconds)),
        Number("query_ms", runs.Select(r => r.Durations.Query?.TotalMilliseconds)),
        Number("engine_ms", runs.Select(r => r.Durations.Engine?.TotalMilliseconds)),
        Number("publish_ms", runs.Select(r => r.Durations.Publish?.TotalMilliseconds)),
        Integer("attempts", runs.Select(r => (long?)r.Attempts)),
        Instant("next_attempt_at", runs.Select(r => r.NextAttemptAt)),
        Instant("created_at", runs.Select(r => (DateTimeOffset?)r.CreatedAt)),
        Instant("started_at", runs.Select(r => r.StartedAt)),
        Instant("finished_at", runs.Select(r => r.FinishedAt)));
}
