using Experiments.Jobs.ClickHouse;

namespace Experiments.Jobs.Tests;

[Collection(ClickHouseCollection.Name)]
public sealed class MigrationTests(ClickHouseServer server)
{
    [Fact]
    public async Task Migrations_are_applied_once_in_order_and_a_second_run_does_nothing()
    {
        await using var db = await server.CreateDatabaseAsync("migrate", migrate: false);
        var migrator = new ClickHouseMigrator(db.Client);

        var first = await migrator.ApplyAsync();
        var second = await migrator.ApplyAsync();

        Assert.Equal([1, 2, 3], first);
        Assert.Empty(second);
        Assert.Equal([1, 2, 3], (await migrator.AppliedVersionsAsync()).Order());
        Assert.Equal(3L, await ScalarAsync(db, ClickHouseSql.Format($"SELECT count() FROM {ExperimentSchema.SchemaMigrations}")));
        var tables = await TablesAsync(db);
        Assert.Equal(
            ["conversions", "experiment_daily_looks", "experiment_refresh_watermarks", "experiment_unit_aggregates", "exposures", "geo_day_rollup", "geo_day_rollup_conversions_mv", "geo_day_rollup_impressions_mv", "geo_spend",
             "impressions", "schema_migrations", "user_day_rollup", "user_day_rollup_conversions_mv", "user_day_rollup_impressions_mv"],
            tables);
    }

    [Fact]
    public async Task A_later_migration_is_applied_on_its_own_to_a_database_that_has_the_earlier_ones()
    {
        await using var db = await server.CreateDatabaseAsync("migrate_later", migrate: false);
        var migrator = new ClickHouseMigrator(db.Client);

        var onlyFirst = await migrator.ApplyAsync(ExperimentSchema.Migrations.Take(1).ToArray());
        Assert.DoesNotContain("user_day_rollup", await TablesAsync(db));
        var rest = await migrator.ApplyAsync();

        Assert.Equal([1], onlyFirst);
        Assert.Equal([2, 3], rest);
        Assert.Contains("user_day_rollup", await TablesAsync(db));
    }

    [Fact]
    public async Task A_database_migrated_by_newer_code_is_refused()
    {
        await using var db = await server.CreateDatabaseAsync("migrate_newer");
        await db.Client.ExecuteAsync(ClickHouseSql.Format(
            $"INSERT INTO {ExperimentSchema.SchemaMigrations} (version, description, applied_at) VALUES (99, 'from the future', now())"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new ClickHouseMigrator(db.Client).ApplyAsync());
        Assert.Contains("99", error.Message);
    }

    internal static async Task<long> ScalarAsync(TestDatabase db, ClickHouseSql query)
    {
        await foreach (var row in db.Client.QueryTabSeparatedAsync(query))
            return long.Parse(row[0]!, System.Globalization.CultureInfo.InvariantCulture);
        throw new InvalidOperationException("No row.");
    }

    internal static async Task<List<string>> TablesAsync(TestDatabase db)
    {
        var names = new List<string>();
        await foreach (var row in db.Client.QueryTabSeparatedAsync(
            ClickHouseSql.Format($"SELECT name FROM system.tables WHERE database = {db.Name} ORDER BY name")))
            names.Add(row[0]!);
        return names;
    }
}
