using System.Data.Common;
using System.Globalization;
using System.Reflection;
using Dapper;
using Microsoft.Extensions.Logging;

namespace Experiments.Jobs.Results;

/// <summary>One versioned schema change: SQL for every provider, or one script per provider where dialects differ.</summary>
/// <param name="Version">Its number; migrations apply in ascending order.</param>
/// <param name="Name">What it does, from its file name.</param>
/// <param name="Sql">The script for the provider at hand.</param>
public sealed record Migration(int Version, string Name, string Sql);

/// <summary>
/// Applies the embedded migrations (<c>Results/Migrations/NNNN_name.sql</c> for every provider,
/// <c>NNNN_name.sqlite.sql</c> / <c>NNNN_name.postgresql.sql</c> where dialects differ) and records
/// each in <c>schema_migrations</c>. Idempotent: an applied version is never run again. Each
/// migration runs in its own transaction under a lock (PostgreSQL advisory lock, SQLite's write
/// lock), so workers starting together apply it once.
/// </summary>
public sealed class SchemaMigrator(ResultsDatabase database, ILogger<SchemaMigrator> logger, TimeProvider clock)
{
    /// <summary>An arbitrary key for <c>pg_advisory_xact_lock</c>, the same for every worker.</summary>
    private const long MigrationLockKey = 0x45_78_70_4D_69_67; // "ExpMig"

    private const string ResourcePrefix = "Experiments.Jobs.Results.Migrations.";

    /// <summary>The migrations for a provider, ascending.</summary>
    /// <exception cref="InvalidOperationException">Two scripts claim one version for the same provider.</exception>
    public static IReadOnlyList<Migration> For(StoreProvider provider)
    {
        string dialect = provider == StoreProvider.PostgreSql ? "postgresql" : "sqlite";
        var assembly = typeof(SchemaMigrator).Assembly;
        var migrations = new SortedDictionary<int, Migration>();
        foreach (string resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            string file = resource[ResourcePrefix.Length..^".sql".Length];   // 0002_quartz_job_store.sqlite
            string[] parts = file.Split('.');
            if (parts.Length == 2 && parts[1] != dialect)
                continue;
            int underscore = parts[0].IndexOf('_');
            int version = int.Parse(parts[0][..underscore], CultureInfo.InvariantCulture);
            string name = parts[0][(underscore + 1)..];
            if (migrations.ContainsKey(version))
                throw new InvalidOperationException($"Two migrations claim version {version} for {provider}.");
            migrations[version] = new Migration(version, name, Read(assembly, resource));
        }
        return migrations.Values.ToList();
    }

    /// <summary>Applies every migration not yet recorded; returns the versions it applied (none when up to date).</summary>
    public async Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken = default)
    {
        var applied = new List<int>();
        await using var connection = await database.OpenAsync(cancellationToken);
        if (database.Provider == StoreProvider.Sqlite)
        {
            // Readers (progress polling, the API) then never wait for the writer, nor it for them.
            await connection.ExecuteAsync("PRAGMA journal_mode=WAL");
        }
        foreach (var migration in For(database.Provider))
        {
            await using var transaction = await ResultsDatabase.BeginWriteAsync(connection, cancellationToken);
            if (database.Provider == StoreProvider.PostgreSql)
                await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@key)", new { key = MigrationLockKey }, transaction);
            await connection.ExecuteAsync(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)",
                transaction: transaction);
            bool done = await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM schema_migrations WHERE version = @version", new { version = migration.Version }, transaction) > 0;
            if (done)
            {
                await transaction.RollbackAsync(cancellationToken);
                continue;
            }
            await Execute(connection, transaction, migration, cancellationToken);
            await connection.ExecuteAsync(
                "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (@version, @name, @at)",
                new { version = migration.Version, name = migration.Name, at = clock.GetUtcNow().ToUnixTimeMilliseconds() }, transaction);
            await transaction.CommitAsync(cancellationToken);
            applied.Add(migration.Version);
            logger.LogInformation("Applied migration {MigrationVersion} {MigrationName} to the {Provider} results store",
                migration.Version, migration.Name, database.Provider);
        }
        return applied;
    }

    /// <summary>The versions recorded as applied, ascending.</summary>
    public async Task<IReadOnlyList<int>> AppliedVersionsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var versions = await connection.QueryAsync<long>(new CommandDefinition(
            "SELECT version FROM schema_migrations ORDER BY version", cancellationToken: cancellationToken));
        return versions.Select(v => (int)v).ToList();
    }

    private static async Task Execute(DbConnection connection, DbTransaction transaction, Migration migration, CancellationToken cancellationToken)
    {
        // Both drivers run a script of several statements as one command (SQLite statement by statement,
        // PostgreSQL as one batch); no text is ever spliced into it.
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = migration.Sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
