using System.Diagnostics.Metrics;

namespace Experiments.Api.Decisions;

/// <summary>Decisions served, by decision, and answers a client's cached copy made unnecessary (304); exported on /metrics as <c>experiments_decisions_served</c>.</summary>
internal static class DecisionMetrics
{
    private static readonly Meter Meter = new("Experiments.Decisions");

    private static readonly Counter<long> Served = Meter.CreateCounter<long>("served",
        description: "Decisions served: decision (ship, keep_running, stop, investigate, or not_modified for a 304).");

    public static void Record(DecisionAnswer answer) =>
        Served.Add(1, new KeyValuePair<string, object?>("decision", System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(answer.Decision.ToString())));

    public static void NotModified() => Served.Add(1, new KeyValuePair<string, object?>("decision", "not_modified"));
}
