using System.Text.Json.Nodes;
using Experiments.Jobs.Analysis;
using Experiments.Jobs.ClickHouse;
using Experiments.Jobs.Demo;
using Experiments.Jobs.Results;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Experiments.Jobs.Tests;

/// <summary>
/// The whole data path with real parts: generated logs in ClickHouse, the ClickHouse data source, the analysis
/// service, and a real SQLite results store. The known effects are recovered in the published results; a retyped
/// column and a missing day stop a run before estimation, with the reason recorded.
/// </summary>
[Collection(ClickHouseCollection.Name)]
public sealed class EndToEndAnalysisTests(ClickHouseServer server, ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("experiments-e2e-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private async Task<(ResultsStore Store, AnalysisService Service)> ServiceAsync(IExperimentDataSource source)
    {
        var database = ResultsDatabase.Create(new ResultsStoreOptions { ConnectionString = $"Data Source={Path.Combine(_folder, "results.db")}" }, _folder);
        await new SchemaMigrator(database, NullLogger<SchemaMigrator>.Instance, TimeProvider.System).MigrateAsync();
        var store = new ResultsStore(database, TimeProvider.System);
        var service = new AnalysisService(store, source, TimeProvider.System, Options.Create(new AnalysisOptions()), NullLogger<AnalysisService>.Instance);
        return (store, service);
    }

    [Fact]
    public async Task PublishedResultsRecoverTheGeneratedEffects()
    {
        var scale = DemoScale.Demo with { Users = 12_000 };
        var generator = new DemoDataGenerator(scale);
        var truth = generator.Truth;
        await using var db = await server.CreateDatabaseAsync("e2e");
        await DemoLoader.LoadAsync(new ExperimentEventLog(db.Client), generator);
        var (store, service) = await ServiceAsync(new ClickHouseExperimentDataSource(db.Client));

        var outcomes = new Dictionary<string, AnalysisOutcome>();
        foreach (var experiment in DemoExperiments.For(scale, truth))
        {
            await store.SaveExperimentAsync(experiment);
            var run = await service.CreateRunAsync(experiment.Id, new AnalysisParameters("test"));
            outcomes[experiment.Id] = await service.ExecuteAsync(run.Id);
            var recorded = await store.GetRunAsync(run.Id);
            output.WriteLine($"{experiment.Id}: {outcomes[experiment.Id].Kind} {outcomes[experiment.Id].Reason}; window {recorded!.DataWindow}; rows read {recorded.RowsRead:N0}, bytes {recorded.BytesRead:N0}; stages {recorded.Durations}");
            Assert.Equal(AnalysisOutcomeKind.Succeeded, outcomes[experiment.Id].Kind);
            Assert.True(recorded.RowsRead > 0 && recorded.BytesRead > 0);
            Assert.False(string.IsNullOrEmpty(recorded.EngineVersion));
        }

        // A/B: revenue per user, CUPED, true lift 5%.
        var revenue = JsonNode.Parse(outcomes[truth.AbExperimentId].Published.Single(p => p.Metric == "revenue").ResultJson)!;
        var relative = revenue["analysis"]!["comparisons"]![0]!["relative"]!;
        output.WriteLine($"A/B revenue lift {relative["estimate"]} [{relative["lower"]}, {relative["upper"]}]");
        Assert.InRange(truth.AbLift, relative["lower"]!.GetValue<double>(), relative["upper"]!.GetValue<double>());
        double reduction = revenue["analysis"]!["comparisons"]![0]!["cuped"]!["varianceReduction"]!.GetValue<double>();
        Assert.InRange(reduction, truth.ExpectedVarianceReduction - 0.05, truth.ExpectedVarianceReduction + 0.05);
        Assert.True(outcomes[truth.AbExperimentId].Published.All(p => p.IsFinal), "the window closed long ago: results are final");

        // A/A: not significant.
        var aa = JsonNode.Parse(outcomes[truth.AaExperimentId].Published.Single().ResultJson)!;
        Assert.True(aa["analysis"]!["comparisons"]![0]!["absolute"]!["pValue"]!.GetValue<double>() > 0.05);

        // Geo: conversions in the treated markets, true lift 18%.
        var geo = JsonNode.Parse(outcomes[truth.GeoCampaignId].Published.Single(p => p.Metric == "conversions").ResultJson)!;
        var lift = geo["analysis"]!["liftPercent"]!;
        output.WriteLine($"geo conversions lift {lift["estimate"]}% [{lift["lower"]}, {lift["upper"]}]");
        Assert.InRange(100 * truth.GeoLift, lift["lower"]!.GetValue<double>(), lift["upper"]!.GetValue<double>());

        // A/B holdout: incremental conversions, revenue and iROAS of the campaign among the treatment's users.
        var conversions = JsonNode.Parse(outcomes[truth.AbExperimentId].Published.Single(p => p.Metric == "conversions").ResultJson)!;
        var holdout = conversions["holdout"]!["comparisons"]![0]!;
        var ab = truth.AbHoldout;
        output.WriteLine($"A/B holdout: {holdout.ToJsonString()}");
        output.WriteLine($"truth: {ab}");
        Assert.Equal(ab.TreatedUnits, holdout["treatedUnits"]!.GetValue<long>());
        Assert.Equal(ab.Spend, holdout["spend"]!.GetValue<double>(), 1e-9 * ab.Spend);
        AssertCovers(ab.IncrementalConversions, holdout["incrementalConversions"]!, "incremental conversions");
        AssertCovers(ab.IncrementalRevenue, holdout["incrementalRevenue"]!, "incremental revenue");
        AssertCovers(ab.Iroas, holdout["iroas"]!, "iROAS");
        AssertCovers(ab.CostPerIncrementalConversion, holdout["costPerIncrementalConversion"]!, "cost per incremental conversion");
        AssertCovers(100 * truth.AbLift, holdout["liftPercent"]!, "lift % in conversions");
        // The converted rate (0/1 per user, CUPED on the pre-period indicator): its relative lift.
        var converted = JsonNode.Parse(outcomes[truth.AbExperimentId].Published.Single(p => p.Metric == "converted").ResultJson)!;
        Assert.Equal("proportion", converted["analysis"]!["metric"]!.GetValue<string>());
        AssertCovers(ab.ConvertedRelativeLift!.Value, converted["analysis"]!["comparisons"]![0]!["relative"]!, "converted rate lift");

        // Geo campaign: incremental conversions and cost per incremental conversion; iROAS from the revenue metric.
        var geoAnalysis = geo["analysis"]!;
        var geoRevenue = JsonNode.Parse(outcomes[truth.GeoCampaignId].Published.Single(p => p.Metric == "revenue").ResultJson)!["analysis"]!;
        output.WriteLine($"geo: incremental {geoAnalysis["incremental"]!.ToJsonString()}, cost per incremental {geoAnalysis["costPerIncremental"]?.ToJsonString()} ({geoAnalysis["incrementalityUnavailableReason"]}), iROAS {geoRevenue["iroas"]!.ToJsonString()}; truth {truth.GeoHoldout}");
        Assert.Equal(truth.GeoHoldout.Spend, geoAnalysis["totalSpend"]!.GetValue<double>(), 1e-6);
        AssertCovers(truth.GeoHoldout.IncrementalConversions, geoAnalysis["incremental"]!, "geo incremental conversions");
        AssertCovers(truth.GeoHoldout.Iroas, geoRevenue["iroas"]!, "geo iROAS");
        AssertCovers(truth.GeoHoldout.CostPerIncrementalConversion, geoAnalysis["costPerIncremental"]!, "geo cost per incremental conversion");
    }

    [Fact]
    public async Task AnalysesOverTheIncrementalAggregatesPublishWhatTheFullQueriesPublish()
    {
        var scale = DemoScale.Demo with { Users = 4_000 };
        var generator = new DemoDataGenerator(scale);
        await using var db = await server.CreateDatabaseAsync("e2e_refresh");
        await DemoLoader.LoadAsync(new ExperimentEventLog(db.Client), generator);
        var experiment = DemoExperiments.For(scale, generator.Truth).Single(e => e.Id == generator.Truth.AbExperimentId);
        var (store, full) = await ServiceAsync(new ClickHouseExperimentDataSource(db.Client));
        var aggregates = new ExperimentAggregates(db.Client);
        var incremental = new AnalysisService(store, new ClickHouseExperimentDataSource(db.Client, aggregates: aggregates), TimeProvider.System,
            Options.Create(new AnalysisOptions()), NullLogger<AnalysisService>.Instance);
        await store.SaveExperimentAsync(experiment);

        async Task<(AnalysisOutcome Outcome, long RowsRead)> Run(AnalysisService service)
        {
            var run = await service.CreateRunAsync(experiment.Id, new AnalysisParameters("test"));
            var outcome = await service.ExecuteAsync(run.Id);
            Assert.Equal(AnalysisOutcomeKind.Succeeded, outcome.Kind);
            return (outcome, (await store.GetRunAsync(run.Id))!.RowsRead);
        }
        var expected = await Run(full);
        var folded = await Run(incremental);
        var again = await Run(incremental);
        var rebuilt = await new AggregatesRebuild(aggregates).RebuildAsync(experiment, DateTimeOffset.UtcNow);
        var afterRebuild = await Run(incremental);
        output.WriteLine($"rows read: full {expected.RowsRead:N0}; first incremental {folded.RowsRead:N0} (folds every day); next {again.RowsRead:N0}; "
            + $"rebuild folded {rebuilt.DaysFolded} days reading {rebuilt.RowsRead:N0}; after it {afterRebuild.RowsRead:N0}");
        foreach (var other in new[] { folded, again, afterRebuild })
            foreach (var published in expected.Outcome.Published)
                AssertSameNumbers(JsonNode.Parse(published.ResultJson)!["analysis"]!,
                    JsonNode.Parse(other.Outcome.Published.Single(p => p.Metric == published.Metric).ResultJson)!["analysis"]!, published.Metric);
        // The holdout's spend still reads raw impressions (exact to the second), so the whole run reads less, not nothing.
        Assert.True(again.RowsRead < expected.RowsRead, $"with nothing new the analysis read {again.RowsRead:N0} rows, the full one {expected.RowsRead:N0}");
    }

    /// <summary>The same JSON shape with every number equal to 1e-9 relative (1e-12 absolute near zero).</summary>
    private static void AssertSameNumbers(JsonNode? expected, JsonNode? actual, string path)
    {
        switch (expected)
        {
            case JsonObject o:
                var other = Assert.IsType<JsonObject>(actual);
                Assert.Equal(o.Select(p => p.Key).Order(), other.Select(p => p.Key).Order());
                foreach (var (key, value) in o)
                    AssertSameNumbers(value, other[key], $"{path}.{key}");
                break;
            case JsonArray a:
                var items = Assert.IsType<JsonArray>(actual);
                Assert.Equal(a.Count, items.Count);
                for (int i = 0; i < a.Count; i++)
                    AssertSameNumbers(a[i], items[i], $"{path}[{i}]");
                break;
            case JsonValue v when v.TryGetValue<double>(out var x):
                double y = actual!.GetValue<double>();
                Assert.True(Math.Abs(x - y) <= 1e-9 * Math.Max(Math.Abs(x), Math.Abs(y)) + 1e-12, $"{path}: expected {x:R}, got {y:R}");
                break;
            default:
                Assert.Equal(expected?.ToJsonString(), actual?.ToJsonString());
                break;
        }
    }

    private void AssertCovers(double truth, JsonNode interval, string what)
    {
        double lower = interval["lower"]!.GetValue<double>(), upper = interval["upper"]!.GetValue<double>();
        output.WriteLine($"{what}: {interval["estimate"]} [{lower}, {upper}], truth {truth}");
        Assert.True(lower <= truth && truth <= upper, $"{what}: truth {truth} outside [{lower}, {upper}]");
    }

    [Fact]
    public async Task ARetypedColumnFailsTheRunBeforeEstimationNamingTheColumn()
    {
        var scale = DemoScale.Demo with { Users = 500, PreDays = 8, ExperimentDays = 4 };
        var generator = new DemoDataGenerator(scale);
        await using var db = await server.CreateDatabaseAsync("contract");
        await DemoLoader.LoadAsync(new ExperimentEventLog(db.Client), generator);
        await db.Client.ExecuteAsync(ClickHouseSql.Format($"ALTER TABLE {ExperimentSchema.Conversions} MODIFY COLUMN value Float32"));
        var (store, service) = await ServiceAsync(new ClickHouseExperimentDataSource(db.Client));
        var experiment = DemoExperiments.For(scale, generator.Truth)[0];
        await store.SaveExperimentAsync(experiment);
        var run = await service.CreateRunAsync(experiment.Id, new AnalysisParameters("test"));

        var outcome = await service.ExecuteAsync(run.Id);

        Assert.Equal(AnalysisOutcomeKind.Failed, outcome.Kind);
        Assert.Contains("'value'", outcome.Reason);
        var recorded = await store.GetRunAsync(run.Id);
        Assert.Equal(RunStatus.Failed, recorded!.Status);
        Assert.Equal(RunStage.ContractCheck, recorded.Stage);
        Assert.Empty(await store.ListResultsAsync(experiment.Id));
    }

    [Fact]
    public async Task AMissingDayDefersTheRunAndPublishesNothing()
    {
        var scale = DemoScale.Demo with { Users = 500, PreDays = 8, ExperimentDays = 4 };
        var generator = new DemoDataGenerator(scale);
        var missing = scale.ExperimentStart.AddDays(2);
        await using var db = await server.CreateDatabaseAsync("freshness");
        var log = new ExperimentEventLog(db.Client);
        await log.InsertImpressionsAsync(generator.Impressions().Where(i => DateOnly.FromDateTime(i.EventTime) != missing));
        await log.InsertConversionsAsync(generator.Conversions().Where(c => DateOnly.FromDateTime(c.EventTime) != missing));
        await log.InsertExposuresAsync(generator.Exposures());
        var (store, service) = await ServiceAsync(new ClickHouseExperimentDataSource(db.Client));
        var experiment = DemoExperiments.For(scale, generator.Truth)[0];
        await store.SaveExperimentAsync(experiment);
        var run = await service.CreateRunAsync(experiment.Id, new AnalysisParameters("test"));

        var outcome = await service.ExecuteAsync(run.Id);

        Assert.Equal(AnalysisOutcomeKind.Deferred, outcome.Kind);
        Assert.Contains(missing.ToString("yyyy-MM-dd"), outcome.Reason);
        Assert.Equal(RunStatus.Deferred, (await store.GetRunAsync(run.Id))!.Status);
        Assert.Empty(await store.ListResultsAsync(experiment.Id));
    }

    [Fact]
    public async Task AProportionOnANameThatIsNotZeroOneFailsTheContractNamingTheMetric()
    {
        var scale = DemoScale.Demo with { Users = 200, PreDays = 8, ExperimentDays = 2 };
        var generator = new DemoDataGenerator(scale);
        await using var db = await server.CreateDatabaseAsync("proportion");
        await DemoLoader.LoadAsync(new ExperimentEventLog(db.Client), generator);
        var (store, service) = await ServiceAsync(new ClickHouseExperimentDataSource(db.Client));
        var experiment = DemoExperiments.For(scale, generator.Truth)[0] with
        {
            Metrics = [new MetricDefinition("conversions", Engine.AbTesting.MetricKind.Proportion), new MetricDefinition("revenue", Engine.AbTesting.MetricKind.Mean)],
            Guardrails = [],
        };
        await store.SaveExperimentAsync(experiment);
        var run = await service.CreateRunAsync(experiment.Id, new AnalysisParameters("test"));
        var outcome = await service.ExecuteAsync(run.Id);
        output.WriteLine(outcome.Reason);
        Assert.Equal(AnalysisOutcomeKind.Failed, outcome.Kind);
        Assert.Contains("'conversions'", outcome.Reason);
        Assert.Contains("converted, clicked", outcome.Reason);
        Assert.Equal(RunStage.ContractCheck, (await store.GetRunAsync(run.Id))!.Stage);
        Assert.Empty(await store.ListResultsAsync(experiment.Id));
    }

    /// <summary>
    /// A geo campaign whose id has no rows in geo_spend still publishes its lift, without iROAS or cost per incremental
    /// conversion, and says why; an A/B holdout whose campaign has no impressions publishes incremental conversions and
    /// says why the cost figures are missing. The clicked rate (0/1 per user) works end to end as a proportion.
    /// </summary>
    [Fact]
    public async Task CampaignsWithoutSpendPublishLiftAndSayWhyTheCostFiguresAreMissing()
    {
        var scale = DemoScale.Demo with { Users = 3000, PreDays = 14, ExperimentDays = 7 };
        var generator = new DemoDataGenerator(scale);
        await using var db = await server.CreateDatabaseAsync("nospend");
        await DemoLoader.LoadAsync(new ExperimentEventLog(db.Client), generator);
        var (store, service) = await ServiceAsync(new ClickHouseExperimentDataSource(db.Client));
        var experiments = DemoExperiments.For(scale, generator.Truth);
        var geo = experiments[2] with { Holdout = experiments[2].Holdout! with { CampaignId = "never-ran" } };
        var ab = experiments[0] with
        {
            Metrics = [.. experiments[0].Metrics, new MetricDefinition("clicked", Engine.AbTesting.MetricKind.Proportion, Cuped: true)],
            Holdout = experiments[0].Holdout! with { CampaignId = "never-ran" },
        };
        foreach (var experiment in new[] { geo, ab })
            await store.SaveExperimentAsync(experiment);

        var geoOutcome = await service.ExecuteAsync((await service.CreateRunAsync(geo.Id, new AnalysisParameters("test"))).Id);
        Assert.Equal(AnalysisOutcomeKind.Succeeded, geoOutcome.Kind);
        var conversions = JsonNode.Parse(geoOutcome.Published.Single(p => p.Metric == "conversions").ResultJson)!["analysis"]!;
        output.WriteLine($"geo: lift {conversions["liftPercent"]?.ToJsonString()}; {conversions["incrementalityUnavailableReason"]}");
        Assert.NotNull(conversions["liftPercent"]);
        Assert.Null(conversions["iroas"]);
        Assert.Null(conversions["costPerIncremental"]);
        Assert.Contains("'never-ran' has no rows in geo_spend", conversions["incrementalityUnavailableReason"]!.GetValue<string>());

        var abOutcome = await service.ExecuteAsync((await service.CreateRunAsync(ab.Id, new AnalysisParameters("test"))).Id);
        Assert.Equal(AnalysisOutcomeKind.Succeeded, abOutcome.Kind);
        var holdout = JsonNode.Parse(abOutcome.Published.Single(p => p.Metric == "conversions").ResultJson)!["holdout"]!["comparisons"]![0]!;
        output.WriteLine($"A/B: {holdout.ToJsonString()}");
        Assert.Equal(0, holdout["spend"]!.GetValue<double>());
        Assert.NotNull(holdout["incrementalConversions"]);
        Assert.Null(holdout["iroas"]);
        Assert.Contains("no spend", holdout["iroasUnavailableReason"]!.GetValue<string>());
        Assert.Contains("no spend", holdout["costPerIncrementalConversionUnavailableReason"]!.GetValue<string>());
        var clicked = JsonNode.Parse(abOutcome.Published.Single(p => p.Metric == "clicked").ResultJson)!["analysis"]!;
        Assert.Equal("proportion", clicked["metric"]!.GetValue<string>());
        Assert.InRange(clicked["variants"]![0]!["mean"]!.GetValue<double>(), 0.01, 0.99);
    }

    [Fact]
    public async Task AnUnknownMetricFailsTheContract()
    {
        var scale = DemoScale.Demo with { Users = 200, PreDays = 8, ExperimentDays = 2 };
        var generator = new DemoDataGenerator(scale);
        await using var db = await server.CreateDatabaseAsync("metric");
        await DemoLoader.LoadAsync(new ExperimentEventLog(db.Client), generator);
        var (store, service) = await ServiceAsync(new ClickHouseExperimentDataSource(db.Client));
        var experiment = DemoExperiments.For(scale, generator.Truth)[0] with
        {
            Metrics = [new MetricDefinition("dwell_time", Engine.AbTesting.MetricKind.Mean)],
            Guardrails = [],
            Holdout = null,
        };
        await store.SaveExperimentAsync(experiment);
        var run = await service.CreateRunAsync(experiment.Id, new AnalysisParameters("test"));
        var outcome = await service.ExecuteAsync(run.Id);
        Assert.Equal(AnalysisOutcomeKind.Failed, outcome.Kind);
        Assert.Contains("dwell_time", outcome.Reason);
    }
}

/// <summary>A ClickHouse outage and a renamed column, through the ClickHouse data source and a real SQLite store.</summary>
[Collection(ClickHouseCollection.Name)]
public sealed class DataSourceFailureTests(ClickHouseServer server) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("experiments-failure-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private async Task<(ResultsStore Store, AnalysisService Service)> ServiceAsync(IExperimentDataSource source, int maxAttempts = 4)
    {
        var database = ResultsDatabase.Create(new ResultsStoreOptions { ConnectionString = $"Data Source={Path.Combine(_folder, "results.db")}" }, _folder);
        await new SchemaMigrator(database, NullLogger<SchemaMigrator>.Instance, TimeProvider.System).MigrateAsync();
        var store = new ResultsStore(database, TimeProvider.System);
        return (store, new AnalysisService(store, source, TimeProvider.System,
            Options.Create(new AnalysisOptions { MaxAttempts = maxAttempts }), NullLogger<AnalysisService>.Instance));
    }

    [Fact]
    public async Task AnOutageIsRetriedThenFailsTheRunWithTheReasonAndNothingPublished()
    {
        // A server that is not there: connection refused on every attempt.
        var unreachable = new ClickHouseClient(new ClickHouseOptions
        {
            Endpoint = new Uri("http://127.0.0.1:1/"),
            ReadRetry = new ClickHouseRetryPolicy(2, TimeSpan.FromMilliseconds(10), 2.0, TimeSpan.FromMilliseconds(20)),
            ConnectTimeout = TimeSpan.FromSeconds(1),
        });
        var scale = DemoScale.Demo with { Users = 100, PreDays = 8, ExperimentDays = 2 };
        var (store, service) = await ServiceAsync(new ClickHouseExperimentDataSource(unreachable), maxAttempts: 3);
        var experiment = DemoExperiments.For(scale, new DemoDataGenerator(scale).Truth)[0];
        await store.SaveExperimentAsync(experiment);
        var run = await service.CreateRunAsync(experiment.Id, new AnalysisParameters("test"));

        var first = await service.ExecuteAsync(run.Id);
        var second = await service.ExecuteAsync(run.Id);
        var third = await service.ExecuteAsync(run.Id);

        Assert.Equal(AnalysisOutcomeKind.RetryScheduled, first.Kind);
        Assert.Equal(AnalysisOutcomeKind.RetryScheduled, second.Kind);
        Assert.Equal(AnalysisOutcomeKind.Failed, third.Kind);
        Assert.Contains("unreachable", third.Reason);
        var recorded = await store.GetRunAsync(run.Id);
        Assert.Equal(RunStatus.Failed, recorded!.Status);
        Assert.Equal(3, recorded.Attempts);
        Assert.Empty(await store.ListResultsAsync(experiment.Id));
    }

    [Fact]
    public async Task ARenamedColumnFailsTheRunNamingIt()
    {
        var scale = DemoScale.Demo with { Users = 300, PreDays = 8, ExperimentDays = 3 };
        var generator = new DemoDataGenerator(scale);
        await using var db = await server.CreateDatabaseAsync("renamed");
        await DemoLoader.LoadAsync(new ExperimentEventLog(db.Client), generator);
        // ClickHouse 18.16 has no RENAME COLUMN: a rename is a new column and the old one dropped.
        await db.Client.ExecuteAsync(ClickHouseSql.Format($"ALTER TABLE {ExperimentSchema.Impressions} ADD COLUMN click_count UInt8"));
        await db.Client.ExecuteAsync(ClickHouseSql.Format($"ALTER TABLE {ExperimentSchema.Impressions} DROP COLUMN clicks"));
        var (store, service) = await ServiceAsync(new ClickHouseExperimentDataSource(db.Client));
        var experiment = DemoExperiments.For(scale, generator.Truth)[0];
        await store.SaveExperimentAsync(experiment);
        var run = await service.CreateRunAsync(experiment.Id, new AnalysisParameters("test"));

        var outcome = await service.ExecuteAsync(run.Id);

        Assert.Equal(AnalysisOutcomeKind.Failed, outcome.Kind);
        Assert.Contains("'clicks'", outcome.Reason);
        Assert.Contains("missing", outcome.Reason);
        Assert.Equal(RunStage.ContractCheck, (await store.GetRunAsync(run.Id))!.Stage);
        Assert.Empty(await store.ListResultsAsync(experiment.Id));
    }
}
