using System.Globalization;
using System.Text;
using Experiments.Jobs.Results;

namespace Experiments.JobsBenchmark;

/// <summary>The Markdown table of the figures, with the settings they were measured with.</summary>
public static class Table
{
    public static string Render(Arguments options, IReadOnlyList<StoreProvider> providers,
        IReadOnlyDictionary<StoreProvider, LatencyFigure> inProcess, IReadOnlyDictionary<StoreProvider, LatencyFigure> acrossProcesses,
        IReadOnlyDictionary<StoreProvider, ThroughputFigure> throughput, IReadOnlyList<RecoveryFigure> recoveries,
        IReadOnlyDictionary<StoreProvider, EffectiveSettings> settings)
    {
        var text = new StringBuilder();
        text.AppendLine("| figure | SQLite | PostgreSQL | target |");
        text.AppendLine("|---|---:|---:|---|");
        string gap = $"{options.GapMs} ms apart";

        Row(text, $"Queue → start, worker host in the enqueuing process: median ({options.LatencyRuns} runs, {gap})",
            p => Cell(inProcess, p, f => Ms(Stats.Percentile(f.ToContractCheck!, 50))), "< 1.5 s");
        Row(text, "… p95", p => Cell(inProcess, p, f => Ms(Stats.Percentile(f.ToContractCheck!, 95))), "");
        Row(text, "… max", p => Cell(inProcess, p, f => Ms(f.ToContractCheck!.Max())), "");
        if (acrossProcesses.Count > 0)
        {
            Row(text, $"Queue → start, worker in another process: median ({options.ProcessLatencyRuns} runs, {gap})",
                p => Cell(acrossProcesses, p, f => Ms(Stats.Percentile(f.ToStartedAt, 50))), "< 1.5 s");
            Row(text, "… p95", p => Cell(acrossProcesses, p, f => Ms(Stats.Percentile(f.ToStartedAt, 95))), "");
            Row(text, "… max", p => Cell(acrossProcesses, p, f => Ms(f.ToStartedAt.Max())), "");
        }
        Row(text, $"Throughput: {options.ThroughputRuns:N0} runs queued at once, one worker host",
            p => Cell(throughput, p, f => $"{f.RunsPerSecond.ToString("0.0", CultureInfo.InvariantCulture)} runs/s"), "");
        Row(text, "… wall time, first enqueue → all succeeded (of which enqueueing)",
            p => Cell(throughput, p, f => $"{Seconds(f.Wall)} ({Seconds(f.Enqueue)})"), "");
        Row(text, "… mean attempt, started → finished as the store records it",
            p => Cell(throughput, p, f => Ms(f.MeanAttempt.TotalMilliseconds)), "");
        if (recoveries.Count > 0)
        {
            Row(text, $"Recovery: SIGKILL of the worker process mid-run → run succeeded on the survivor ({recoveries.Count} runs)",
                p => p == StoreProvider.PostgreSql ? string.Join(", ", recoveries.Select(r => Seconds(r.ToSucceeded))) : "—", "");
            Row(text, "… median",
                p => p == StoreProvider.PostgreSql ? Seconds(Median(recoveries.Select(r => r.ToSucceeded))) : "—", "< 60 s");
            Row(text, "… of which kill → the survivor's attempt started",
                p => p == StoreProvider.PostgreSql ? string.Join(", ", recoveries.Select(r => Seconds(r.ToRestart))) : "—", "");
            Row(text, "… Hangfire jobs the survivor ran for the run",
                p => p == StoreProvider.PostgreSql ? string.Join(", ", recoveries.Select(r => r.HangfireJobs.ToString(CultureInfo.InvariantCulture))) : "—", "");
        }

        text.AppendLine();
        foreach (var provider in providers)
        {
            if (!settings.TryGetValue(provider, out var s))
                continue;
            text.AppendLine(
                $"{Name(provider)}: Jobs:Storage:QueuePollInterval {Seconds(s.QueuePollInterval)}, Jobs:SchedulePollingInterval {Seconds(s.SchedulePollingInterval)}, " +
                $"Jobs:WorkerCount {s.WorkerCount}, Jobs:Storage:InvisibilityTimeout {Seconds(s.InvisibilityTimeout)}" +
                (provider == StoreProvider.PostgreSql ? " (sliding)" : "") + $", Analysis:LeaseDuration {Seconds(s.LeaseDuration)}.");
        }
        return text.ToString();
    }

    /// <summary>A duration in milliseconds: "12 ms" below a second, "1.23 s" above.</summary>
    public static string Ms(double milliseconds) =>
        milliseconds < 1000
            ? $"{milliseconds.ToString("0", CultureInfo.InvariantCulture)} ms"
            : $"{(milliseconds / 1000).ToString("0.00", CultureInfo.InvariantCulture)} s";

    private static string Seconds(TimeSpan duration) => duration.TotalSeconds switch
    {
        >= 60 and var s when s % 60 == 0 => $"{(s / 60).ToString("0", CultureInfo.InvariantCulture)} min",
        var s when s == Math.Round(s) => $"{s.ToString("0", CultureInfo.InvariantCulture)} s",
        >= 10 and var s => $"{s.ToString("0.0", CultureInfo.InvariantCulture)} s",
        var s => $"{s.ToString("0.00", CultureInfo.InvariantCulture)} s",
    };

    private static TimeSpan Median(IEnumerable<TimeSpan> values) =>
        TimeSpan.FromMilliseconds(Stats.Percentile(values.Select(v => v.TotalMilliseconds).ToList(), 50));

    private static string Name(StoreProvider provider) => provider == StoreProvider.Sqlite ? "SQLite" : "PostgreSQL";

    private static string Cell<T>(IReadOnlyDictionary<StoreProvider, T> figures, StoreProvider provider, Func<T, string> format) =>
        figures.TryGetValue(provider, out var figure) ? format(figure) : "—";

    private static void Row(StringBuilder text, string figure, Func<StoreProvider, string> cell, string target) =>
        text.AppendLine(CultureInfo.InvariantCulture, $"| {figure} | {cell(StoreProvider.Sqlite)} | {cell(StoreProvider.PostgreSql)} | {target} |");
}
