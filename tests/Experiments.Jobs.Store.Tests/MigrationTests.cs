using Dapper;
using Experiments.Jobs.Results;
using Experiments.Jobs.Store.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Experiments.Jobs.Store.Tests;

public class MigrationTests
{
    private static SchemaMigrator Migrator(ResultsDatabase database) => new(database, NullLogger<SchemaMigrator>.Instance, TimeProvider.System);

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task Migrations_apply_once_and_a_second_run_changes_nothing(StoreProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        var expected = SchemaMigrator.For(provider).Select(m => m.Version).ToList();

        var first = await Migrator(database.Open()).MigrateAsync();
        var tablesAfterFirst = await Tables(database);
        var second = await Migrator(database.Open()).MigrateAsync();
        var third = await Migrator(database.Open()).MigrateAsync();

        Assert.Equal([1, 2, 3, 4], expected);
        Assert.Equal(expected, first);
        Assert.Empty(second);
        Assert.Empty(third);
        Assert.Equal(expected, await Migrator(database.Open()).AppliedVersionsAsync());
        Assert.Equal(tablesAfterFirst, await Tables(database));
        foreach (var table in new[] { "experiments", "analysis_runs", "published_results", "reports", "schema_migrations", "analysis_leases", "api_keys", "audit_events" })
            Assert.Contains(table, tablesAfterFirst);
        // Migration 3 drops every table migration 2 created for Quartz (Hangfire keeps its own storage).
        Assert.DoesNotContain(tablesAfterFirst, t => t.StartsWith("qrtz_", StringComparison.Ordinal) || t.Contains("_qrtz_", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task Workers_migrating_at_the_same_time_apply_each_version_once(StoreProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);

        var applied = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Migrator(database.Open()).MigrateAsync())));

        Assert.Equal([1, 2, 3, 4], applied.SelectMany(a => a).Order().ToList());
        await using var connection = await database.Open().OpenAsync();
        Assert.Equal(4, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM schema_migrations"));
    }

    [Fact]
    public void Only_the_retired_Quartz_tables_needed_a_script_per_dialect()
    {
        var sqlite = SchemaMigrator.For(StoreProvider.Sqlite);
        var postgres = SchemaMigrator.For(StoreProvider.PostgreSql);

        Assert.Equal(sqlite[0].Sql, postgres[0].Sql);
        Assert.NotEqual(sqlite[1].Sql, postgres[1].Sql);
        Assert.Equal("quartz_job_store", postgres[1].Name);
        Assert.Equal(sqlite[2].Sql, postgres[2].Sql);
        Assert.Equal("hangfire", postgres[2].Name);
    }

    private static async Task<List<string>> Tables(TestDatabase database)
    {
        await using var connection = await database.Open().OpenAsync();
        string sql = database.Provider == StoreProvider.Sqlite
            ? "SELECT name FROM sqlite_master WHERE type IN ('table', 'index', 'trigger') ORDER BY name"
            : "SELECT tablename FROM pg_tables WHERE schemaname = 'public' UNION ALL SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1";
        return (await connection.QueryAsync<string>(sql)).ToList();
    }
}
