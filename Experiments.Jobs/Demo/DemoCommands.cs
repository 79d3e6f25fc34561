using System.Diagnostics;
using System.Globalization;
using Experiments.Jobs.Analysis;
using Experiments.Jobs.ClickHouse;
using Experiments.Jobs.Results;

namespace Experiments.Jobs.Demo;

/// <summary>
/// The worker program's commands besides running the host:
/// <c>generate-demo [--scale demo|full] [--users N] [--days-pre N] [--days N] [--clickhouse URL] [--database NAME] [--out FOLDER]</c>
/// streams a workload into ClickHouse and writes its experiment definitions and truth as JSON;
/// <c>backfill-rollups [--clickhouse URL] [--database NAME]</c> rebuilds the rollups from the raw tables;
/// <c>demo-summary [--api URL] [--truth FILE] [--key-file FILE]</c> prints the demo's published incrementality figures next to the truth;
/// <c>rebuild-aggregates --experiment ID [--definition FILE] [--through YYYY-MM-DD] [--clickhouse URL] [--database NAME]</c>
/// rebuilds an A/B experiment's per-unit aggregates (the incremental refresh) from scratch, from the experiment's
/// definition (by default the demo's <c>.data/demo/ID.json</c>);
/// <c>refresh-benchmark --experiment ID [--definition FILE] [--day N]</c> folds days 1..N−1, then measures the
/// nightly refresh of day N against the full day-granularity queries of that window.
/// </summary>
public static class DemoCommands
{
    /// <summary>Runs the command in <paramref name="args"/>; null when the arguments name no command.</summary>
    public static async Task<int?> TryRunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("generate-demo" or "backfill-rollups" or "demo-summary" or "rebuild-aggregates" or "refresh-benchmark"))
            return null;
        var options = Options(args[1..]);
        if (args[0] == "demo-summary")
            return await DemoSummary.RunAsync(new Uri(options.GetValueOrDefault("api") ?? "http://127.0.0.1:5080/"),
                options.GetValueOrDefault("truth") ?? Path.Combine(".data", "demo", "truth.json"), options.GetValueOrDefault("key-file"), Console.Out);
        var endpoint = new Uri(options.GetValueOrDefault("clickhouse") ?? Environment.GetEnvironmentVariable("CLICKHOUSE_URL") ?? "http://127.0.0.1:18123/");
        var client = new ClickHouseClient(new ClickHouseOptions
        {
            Endpoint = endpoint,
            Database = options.GetValueOrDefault("database") ?? "default",
            QueryTimeout = TimeSpan.FromHours(2),
        });
        await new ClickHouseMigrator(client).ApplyAsync();
        var log = new ExperimentEventLog(client);
        if (args[0] == "backfill-rollups")
        {
            var clock = Stopwatch.StartNew();
            await log.RebuildRollupsAsync();
            Console.WriteLine($"rollups rebuilt in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        }

        if (args[0] == "rebuild-aggregates")
            return await RebuildAggregatesAsync(client, options);
        if (args[0] == "refresh-benchmark")
            return await RefreshBenchmarkAsync(client, options);

        var scale = options.GetValueOrDefault("scale") == "full" ? DemoScale.Full : DemoScale.Demo;
        if (options.TryGetValue("users", out var users))
            scale = scale with { Users = int.Parse(users, CultureInfo.InvariantCulture) };
        if (options.TryGetValue("days-pre", out var pre))
            scale = scale with { PreDays = int.Parse(pre, CultureInfo.InvariantCulture) };
        if (options.TryGetValue("days", out var days))
            scale = scale with { ExperimentDays = int.Parse(days, CultureInfo.InvariantCulture) };
        var generator = new DemoDataGenerator(scale);
        Console.WriteLine($"generating {scale.Users:N0} users × {scale.PreDays + scale.ExperimentDays} days (≈ {scale.ExpectedImpressions:N0} impressions) into {endpoint}");

        // The generator alone, for the benchmark's figure (rows/s without the insert).
        if (options.ContainsKey("measure-generator"))
        {
            var genClock = Stopwatch.StartNew();
            long rows = 0;
            await foreach (var _ in generator.Impressions())
                rows++;
            Console.WriteLine($"generator: {rows:N0} impressions in {genClock.Elapsed.TotalSeconds:F1} s = {rows / genClock.Elapsed.TotalSeconds:N0} rows/s");
        }

        var result = await DemoLoader.LoadAsync(log, generator);
        Console.WriteLine($"loaded {result.Impressions:N0} impressions, {result.Conversions:N0} conversions, {result.Exposures:N0} exposures, {result.GeoSpendRows:N0} spend rows in {result.Elapsed.TotalSeconds:F1} s = {result.RowsPerSecond:N0} rows/s");

        string folder = options.GetValueOrDefault("out") ?? Path.Combine(".data", "demo");
        Directory.CreateDirectory(folder);
        foreach (var experiment in DemoExperiments.For(scale, generator.Truth))
            await File.WriteAllTextAsync(Path.Combine(folder, $"{experiment.Id}.json"), ResultsJson.Serialize(experiment));
        await File.WriteAllTextAsync(Path.Combine(folder, "truth.json"), ResultsJson.Serialize(generator.Truth));
        Console.WriteLine($"experiment definitions and the truth written to {folder}");
        return 0;
    }

    private static async Task<int> RebuildAggregatesAsync(ClickHouseClient client, Dictionary<string, string> options)
    {
        if (!options.TryGetValue("experiment", out var id))
        {
            await Console.Error.WriteLineAsync("rebuild-aggregates needs --experiment ID.");
            return 2;
        }
        var file = options.GetValueOrDefault("definition") ?? Path.Combine(".data", "demo", $"{id}.json");
        var experiment = ResultsJson.Deserialize<ExperimentDefinition>(await File.ReadAllTextAsync(file));
        if (experiment.Id != id)
        {
            await Console.Error.WriteLineAsync($"{file} defines experiment '{experiment.Id}', not '{id}'.");
            return 2;
        }
        DateOnly? through = options.TryGetValue("through", out var day) ? DateOnly.ParseExact(day, "yyyy-MM-dd", CultureInfo.InvariantCulture) : null;
        var clock = Stopwatch.StartNew();
        var result = await new AggregatesRebuild(new ExperimentAggregates(client)).RebuildAsync(experiment, DateTimeOffset.UtcNow, through);
        Console.WriteLine($"aggregates of {result.ExperimentId} rebuilt: {result.DaysFolded} days folded ({result.FirstDay:yyyy-MM-dd} to {result.Through:yyyy-MM-dd}), "
            + $"{result.RowsRead:N0} rows read, in {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    private static async Task<int> RefreshBenchmarkAsync(ClickHouseClient client, Dictionary<string, string> options)
    {
        if (!options.TryGetValue("experiment", out var id))
        {
            await Console.Error.WriteLineAsync("refresh-benchmark needs --experiment ID.");
            return 2;
        }
        var experiment = ResultsJson.Deserialize<ExperimentDefinition>(
            await File.ReadAllTextAsync(options.GetValueOrDefault("definition") ?? Path.Combine(".data", "demo", $"{id}.json")));
        int dayNumber = options.TryGetValue("day", out var n) ? int.Parse(n, CultureInfo.InvariantCulture) : 30;
        var first = experiment.ExperimentWindow.Start;
        var day = first.AddDays(dayNumber - 1);
        var scope = Analysis.ClickHouseExperimentDataSource.Scope(experiment, new DateRange(first, day));
        var aggregates = new ExperimentAggregates(client);
        var queries = new ExperimentStatisticsQueries(client);
        var metrics = experiment.Metrics.Where(m => m.Kind != Experiments.Engine.AbTesting.MetricKind.Ratio && Analysis.ClickHouseExperimentDataSource.MetricNames.ContainsKey(m.Name))
            .Select(m => Analysis.ClickHouseExperimentDataSource.MetricNames[m.Name]).Distinct().ToArray();

        var clock = Stopwatch.StartNew();
        var setup = await aggregates.RefreshAsync(scope, day.AddDays(-1), rebuild: true);
        if (setup.Through != day.AddDays(-1))
        {
            await Console.Error.WriteLineAsync($"The aggregates of {id} were already folded through {setup.Through:yyyy-MM-dd}, after day {dayNumber}: measure on a freshly generated database.");
            return 1;
        }
        Console.WriteLine($"setup: days 1..{dayNumber - 1} folded in {clock.Elapsed.TotalSeconds:F1} s ({setup.Cost.RowsRead:N0} rows read)");

        // The nightly refresh of day N and the inputs read from it, against the full queries of the same window.
        clock.Restart();
        var refresh = await aggregates.RefreshAsync(scope, day);
        var refreshTime = clock.Elapsed;
        long readRows = 0;
        clock.Restart();
        foreach (var metric in metrics)
        {
            readRows += (await aggregates.CupedStatisticsAsync(refresh, id, metric, metric, day)).Cost.RowsRead;
            readRows += (await aggregates.DailyLooksAsync(refresh, scope, metric, day)).Cost.RowsRead;
        }
        var readTime = clock.Elapsed;
        var window = new AnalysisWindow(first.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), day.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
        long fullRows = 0;
        clock.Restart();
        foreach (var metric in metrics)
        {
            fullRows += (await queries.CupedStatisticsAsync(id, metric, window, scope.PrePeriod, metric, PostExposureGranularity.Day)).Cost.RowsRead;
            fullRows += (await queries.DailyCumulativeFromRollupAsync(id, metric, window)).Cost.RowsRead;
        }
        var fullTime = clock.Elapsed;
        clock.Restart();
        var idle = await aggregates.RefreshAsync(scope, day);
        var idleTime = clock.Elapsed;
        Console.WriteLine($"day {dayNumber} ({day:yyyy-MM-dd}), metrics {string.Join(", ", metrics)}:");
        Console.WriteLine($"  refresh (folds {refresh.FoldedDays.Count} day): {refresh.Cost.RowsRead:N0} rows, {refreshTime.TotalSeconds:F2} s; "
            + $"inputs from the aggregates: {readRows:N0} rows, {readTime.TotalSeconds:F2} s");
        Console.WriteLine($"  full queries (CUPED + daily looks per metric): {fullRows:N0} rows, {fullTime.TotalSeconds:F2} s");
        Console.WriteLine($"  refresh with nothing new: {idle.Cost.RowsRead:N0} rows, {idleTime.TotalSeconds:F2} s");
        return 0;
    }

    private static Dictionary<string, string> Options(string[] args)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
                throw new ArgumentException($"Unexpected argument '{args[i]}'.");
            string key = args[i][2..];
            result[key] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
        }
        return result;
    }
}
