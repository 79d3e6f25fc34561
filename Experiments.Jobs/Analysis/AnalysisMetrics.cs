using System.Diagnostics.Metrics;
using Experiments.Jobs.Results;

namespace Experiments.Jobs.Analysis;

/// <summary>
/// The jobs' own measurements as .NET meters (the <c>Experiments.Analysis</c> meter), which any exporter can
/// publish — the API's /metrics exports them in the Prometheus format: analysis attempts by outcome
/// and the duration of each stage.
/// </summary>
public static class AnalysisMetrics
{
    /// <summary>The meter's name; Prometheus exporters prefix it to each instrument's name (<c>experiments_analysis_attempts</c>).</summary>
    public const string MeterName = "Experiments.Analysis";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Attempts = Meter.CreateCounter<long>(
        "attempts", description: "Analysis attempts by outcome (succeeded, failed, deferred, retry_scheduled, already_finished, busy).");

    private static readonly Histogram<double> StageSeconds = Meter.CreateHistogram<double>(
        "stage_seconds", unit: "s", description: "Duration of each stage of an analysis attempt (contract_check, query, engine, publish).");

    /// <summary>Counts an attempt and its stages' durations.</summary>
    public static void Record(AnalysisOutcomeKind outcome, StageDurations durations)
    {
        Attempts.Add(1, new KeyValuePair<string, object?>("outcome", Snake(outcome.ToString())));
        Stage("contract_check", durations.ContractCheck);
        Stage("query", durations.Query);
        Stage("engine", durations.Engine);
        Stage("publish", durations.Publish);
    }

    private static void Stage(string stage, TimeSpan? duration)
    {
        if (duration is { } d)
            StageSeconds.Record(d.TotalSeconds, new KeyValuePair<string, object?>("stage", stage));
    }

    private static string Snake(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
