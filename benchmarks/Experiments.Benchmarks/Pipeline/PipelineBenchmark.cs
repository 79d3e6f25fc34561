using System.Diagnostics;
using System.Globalization;
using Experiments.Engine.AbTesting;
using Experiments.Jobs.Analysis;
using Experiments.Jobs.ClickHouse;
using Experiments.Jobs.Demo;
using Experiments.Jobs.Results;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Experiments.Benchmarks.Pipeline;

/// <summary>
/// The data plane at scale: generate impression logs, load them into ClickHouse, analyse one A/B experiment with
/// CUPED end to end (contract check, pushdown query, engine, publish into a SQLite results store), and time a
/// bare ClickHouse query that computes the same per-unit sums by scanning the raw impressions — in the same run.
/// <code>dotnet run -c Release --project benchmarks/Experiments.Benchmarks -- pipeline [--users N] [--days-pre N] [--days N] [--skip-load] [--clickhouse URL] [--database NAME]</code>
/// The full scale is 1,000,000 users × 60 days × 10 impressions ≈ 600M impressions.
/// </summary>
public static class PipelineBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = Options(args);
        var scale = DemoScale.Full;
        if (options.TryGetValue("users", out var users)) scale = scale with { Users = int.Parse(users, CultureInfo.InvariantCulture) };
        if (options.TryGetValue("days-pre", out var pre)) scale = scale with { PreDays = int.Parse(pre, CultureInfo.InvariantCulture) };
        if (options.TryGetValue("days", out var days)) scale = scale with { ExperimentDays = int.Parse(days, CultureInfo.InvariantCulture) };
        string database = options.GetValueOrDefault("database") ?? $"bench_{scale.Users}_{scale.PreDays}_{scale.ExperimentDays}";
        var endpoint = new Uri(options.GetValueOrDefault("clickhouse") ?? Environment.GetEnvironmentVariable("CLICKHOUSE_URL") ?? "http://127.0.0.1:18123/");
        var client = new ClickHouseClient(new ClickHouseOptions { Endpoint = endpoint, Database = database, QueryTimeout = TimeSpan.FromHours(3) });
        var generator = new DemoDataGenerator(scale);
        Console.WriteLine($"scale: {scale.Users:N0} users × {scale.PreDays}+{scale.ExperimentDays} days × {scale.ImpressionsPerUserDay} impressions/user/day ≈ {scale.ExpectedImpressions:N0} impressions; ClickHouse {endpoint} database {database}");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores; {File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()}");

        await new ClickHouseMigrator(client).ApplyAsync();
        if (!options.ContainsKey("skip-load"))
        {
            // 1. The generator alone, over the impressions of the first eleven days (rows/s without the insert).
            var sample = new DemoDataGenerator(scale with { PreDays = Math.Min(10, scale.PreDays), ExperimentDays = 1 });
            var clock = Stopwatch.StartNew();
            long generated = 0;
            await foreach (var _ in sample.Impressions())
                generated++;
            Console.WriteLine($"generator: {generated:N0} impressions in {clock.Elapsed.TotalSeconds:F1} s = {generated / clock.Elapsed.TotalSeconds:N0} rows/s (one core, no insert)");

            // 2. Generation and insert together, as the demo command does.
            var log = new ExperimentEventLog(client);
            clock.Restart();
            long impressions = await log.InsertImpressionsAsync(generator.Impressions());
            var impressionTime = clock.Elapsed;
            Console.WriteLine($"insert: {impressions:N0} impressions in {impressionTime.TotalSeconds:F1} s = {impressions / impressionTime.TotalSeconds:N0} rows/s (raw table + two materialized rollups)");
            clock.Restart();
            long conversions = await log.InsertConversionsAsync(generator.Conversions());
            long exposures = await log.InsertExposuresAsync(generator.Exposures());
            long spend = await log.InsertGeoSpendAsync(generator.GeoSpend());
            Console.WriteLine($"insert: {conversions:N0} conversions, {exposures:N0} exposures, {spend:N0} spend rows in {clock.Elapsed.TotalSeconds:F1} s");
        }

        // 3. One A/B analysis with CUPED, end to end through the analysis service.
        var folder = Directory.CreateTempSubdirectory("experiments-bench-").FullName;
        var storeDatabase = ResultsDatabase.Create(new ResultsStoreOptions { ConnectionString = $"Data Source={Path.Combine(folder, "results.db")}" }, folder);
        await new SchemaMigrator(storeDatabase, NullLogger<SchemaMigrator>.Instance, TimeProvider.System).MigrateAsync();
        var store = new ResultsStore(storeDatabase, TimeProvider.System);
        var service = new AnalysisService(store, new ClickHouseExperimentDataSource(client), TimeProvider.System,
            Microsoft.Extensions.Options.Options.Create(new AnalysisOptions()), NullLogger<AnalysisService>.Instance);
        var experiment = DemoExperiments.For(scale, generator.Truth)[0] with
        {
            Metrics = [new MetricDefinition("clicks", MetricKind.Mean, Cuped: true)],
            Guardrails = [],
            Holdout = null, // the same one-metric analysis as before the demo became a holdout campaign
        };
        await store.SaveExperimentAsync(experiment);
        var total = Stopwatch.StartNew();
        var run = await service.CreateRunAsync(experiment.Id, new AnalysisParameters("benchmark"));
        var outcome = await service.ExecuteAsync(run.Id);
        var endToEnd = total.Elapsed;
        var recorded = (await store.GetRunAsync(run.Id))!;
        Console.WriteLine($"analysis: {outcome.Kind} in {endToEnd.TotalSeconds:F2} s end to end; stages: contract {Ms(recorded.Durations.ContractCheck)}, query {Ms(recorded.Durations.Query)}, engine {Ms(recorded.Durations.Engine)}, publish {Ms(recorded.Durations.Publish)}; ClickHouse read {recorded.RowsRead:N0} rows, {recorded.BytesRead / 1e6:N0} MB");
        if (outcome.Kind != AnalysisOutcomeKind.Succeeded)
            Console.WriteLine($"  reason: {outcome.Reason}");

        // 4. The bare alternative: the same per-unit sums (clicks after exposure, clicks in the pre-period) from a scan
        // of the raw impressions, measured now, on the same server.
        var window = new AnalysisWindow(scale.ExperimentStart.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), scale.End.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
        var raw = ClickHouseSql.Format($"""
            SELECT variant, count() AS n, sum(y) AS sum_y, sum(y * y) AS sum_y2, sum(x) AS sum_x, sum(x * x) AS sum_x2, sum(x * y) AS sum_xy
            FROM
            (
                SELECT user_id, variant,
                       sumIf(clicks, event_time >= exposed_at) AS y,
                       sumIf(clicks, event_time < {window.Start}) AS x
                FROM {ExperimentSchema.Impressions}
                ALL INNER JOIN
                (
                    SELECT unit_id AS user_id, any(variant) AS variant, min(first_exposure_time) AS exposed_at
                    FROM {ExperimentSchema.Exposures} WHERE experiment_id = {experiment.Id} GROUP BY unit_id
                ) USING user_id
                WHERE event_time >= {scale.Start.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc)} AND event_time < {window.End}
                GROUP BY user_id, variant
            )
            GROUP BY variant
            """);
        var rawClock = Stopwatch.StartNew();
        var rawResult = await client.QueryJsonAsync(raw);
        var rawTime = rawClock.Elapsed;
        Console.WriteLine($"raw scan: {rawTime.TotalSeconds:F2} s, {rawResult.Statistics.RowsRead:N0} rows, {rawResult.Statistics.BytesRead / 1e6:N0} MB read");
        Console.WriteLine($"ratio: end-to-end analysis / raw scan = {endToEnd.TotalSeconds / rawTime.TotalSeconds:F3} (target ≤ 0.2)");
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
        return outcome.Kind == AnalysisOutcomeKind.Succeeded ? 0 : 1;
    }

    private static string Ms(TimeSpan? t) => t is { } v ? $"{v.TotalMilliseconds:N0} ms" : "–";

    private static Dictionary<string, string> Options(string[] args)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            string key = args[i].TrimStart('-');
            result[key] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
        }
        return result;
    }
}
