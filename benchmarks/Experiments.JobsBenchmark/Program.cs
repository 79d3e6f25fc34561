// The jobs benchmark: how soon a queued analysis starts, how many a worker host runs per second, and
// how soon a run cut off by a killed worker succeeds elsewhere, on both job storages (SQLite: the
// results store's file and Hangfire's file beside it; PostgreSQL: a fresh database per scenario with
// the results store and Hangfire's schema). The data source is the tests' in-memory one, so the
// figures are the job layer's own: Hangfire, the results store and the analysis service around a
// source that answers at once. Progress goes to standard error; the Markdown table to standard output.
//
//   dotnet run -c Release --project benchmarks/Experiments.JobsBenchmark -- --postgres "Host=127.0.0.1;Port=15577;Username=experiments;Database=experiments"
//
// Options: --postgres <connection string> (a server where the role may create databases; without it
// only SQLite is measured), --latency-runs N (100), --gap-ms N (300), --process-latency-runs N (50),
// --throughput-runs N (1000), --recoveries N (3), --warmup N (3).
using System.Diagnostics;
using System.Globalization;
using Experiments.Jobs.Results;
using Experiments.JobsBenchmark;

var options = Arguments.Parse(args);
var clock = Stopwatch.StartNew();
void Progress(string message) => Console.Error.WriteLine($"[{clock.Elapsed.TotalSeconds,6:0.0} s] {message}");

var providers = options.Postgres is null ? new[] { StoreProvider.Sqlite } : [StoreProvider.Sqlite, StoreProvider.PostgreSql];
var scenarios = new Scenarios(options.Postgres, Progress);
var inProcess = new Dictionary<StoreProvider, LatencyFigure>();
var acrossProcesses = new Dictionary<StoreProvider, LatencyFigure>();
var throughput = new Dictionary<StoreProvider, ThroughputFigure>();
var recoveries = new List<RecoveryFigure>();
var gap = TimeSpan.FromMilliseconds(options.GapMs);

foreach (var provider in providers)
{
    Progress($"{provider}: {options.LatencyRuns} runs queued {options.GapMs} ms apart onto a worker host in this process");
    inProcess[provider] = await scenarios.LatencyInProcessAsync(provider, options.LatencyRuns, gap, options.WarmUp);
    Progress($"  median {Table.Ms(Stats.Percentile(inProcess[provider].ToContractCheck!, 50))}");

    if (options.ProcessLatencyRuns > 0)
    {
        Progress($"{provider}: {options.ProcessLatencyRuns} runs queued {options.GapMs} ms apart by this process onto a worker process");
        acrossProcesses[provider] = await scenarios.LatencyAcrossProcessesAsync(provider, options.ProcessLatencyRuns, gap, options.WarmUp);
        Progress($"  median {Table.Ms(Stats.Percentile(acrossProcesses[provider].ToStartedAt, 50))}");
    }

    Progress($"{provider}: {options.ThroughputRuns} runs queued at once onto one worker host");
    throughput[provider] = await scenarios.ThroughputAsync(provider, options.ThroughputRuns);
    Progress($"  {throughput[provider].RunsPerSecond:0.0} runs/s ({throughput[provider].Wall.TotalSeconds:0.0} s)");
}

if (options.Postgres is not null)
{
    for (int i = 1; i <= options.Recoveries; i++)
    {
        Progress($"PostgreSql: recovery {i} of {options.Recoveries} (SIGKILL of the worker process running the run)");
        var recovery = await scenarios.RecoveryAsync();
        recoveries.Add(recovery);
        Progress($"  succeeded {recovery.ToSucceeded.TotalSeconds:0.0} s after the kill (started {recovery.ToRestart.TotalSeconds:0.0} s after; {recovery.HangfireJobs} job(s))");
    }
}

Console.WriteLine(Table.Render(options, providers, inProcess, acrossProcesses, throughput, recoveries, scenarios.Settings));
Progress("done");
return 0;

namespace Experiments.JobsBenchmark
{
    /// <summary>The command line.</summary>
    public sealed record Arguments(string? Postgres, int LatencyRuns, int GapMs, int ProcessLatencyRuns, int ThroughputRuns, int Recoveries, int WarmUp)
    {
        public static Arguments Parse(string[] args)
        {
            var parsed = new Arguments(null, 100, 300, 50, 1000, 3, 3);
            for (int i = 0; i < args.Length; i++)
            {
                string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
                parsed = args[i] switch
                {
                    "--postgres" => parsed with { Postgres = value },
                    "--latency-runs" => parsed with { LatencyRuns = Count(value) },
                    "--gap-ms" => parsed with { GapMs = Count(value) },
                    "--process-latency-runs" => parsed with { ProcessLatencyRuns = Count(value) },
                    "--throughput-runs" => parsed with { ThroughputRuns = Count(value) },
                    "--recoveries" => parsed with { Recoveries = Count(value) },
                    "--warmup" => parsed with { WarmUp = Count(value) },
                    _ => throw new ArgumentException($"Unknown option {args[i]}."),
                };
                i++;
            }
            if (parsed.LatencyRuns < 1 || parsed.ThroughputRuns < 1)
                throw new ArgumentException("--latency-runs and --throughput-runs must be at least 1.");
            return parsed;
        }

        private static int Count(string value) => int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
    }

    /// <summary>Nearest-rank percentiles, as the API latency harness reports them.</summary>
    public static class Stats
    {
        public static double Percentile(IReadOnlyList<double> values, double percent)
        {
            var sorted = values.Order().ToArray();
            int rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
            return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
        }
    }
}
