namespace Experiments.Jobs.ClickHouse;

/// <summary>
/// Applies versioned schema migrations at start-up: creates the database and the
/// <c>schema_migrations</c> table when missing, then runs, in ascending order, each migration whose
/// version is not recorded there, recording it after its last statement succeeds.
/// </summary>
/// <remarks>
/// ClickHouse has no transactions or locks. A migration cut off half-way is not recorded and runs
/// again next time, which is why its statements must be idempotent (<c>IF NOT EXISTS</c>). Two
/// processes starting at the same moment may both run a migration; the statements tolerate that
/// and the version is read with <c>DISTINCT</c>. A database that records a version this build does
/// not know is refused: it was migrated by newer code.
/// </remarks>
public sealed class ClickHouseMigrator(ClickHouseClient client)
{
    /// <summary>Lets 18.16 create <c>LowCardinality</c> columns (experimental there; harmless later).</summary>
    private static readonly IReadOnlyDictionary<string, string> DdlSettings =
        new Dictionary<string, string> { ["allow_experimental_low_cardinality_type"] = "1" };

    /// <summary>Applies <see cref="ExperimentSchema.Migrations"/>.</summary>
    /// <returns>The versions applied by this call (empty when the schema was up to date).</returns>
    public Task<IReadOnlyList<int>> ApplyAsync(CancellationToken cancellationToken = default) =>
        ApplyAsync(ExperimentSchema.Migrations, cancellationToken);

    /// <summary>Applies the given migrations.</summary>
    /// <returns>The versions applied by this call.</returns>
    /// <exception cref="ArgumentException">Versions are not positive and strictly increasing.</exception>
    /// <exception cref="InvalidOperationException">The database records a version not in <paramref name="migrations"/>.</exception>
    public async Task<IReadOnlyList<int>> ApplyAsync(IReadOnlyList<ClickHouseMigration> migrations, CancellationToken cancellationToken = default)
    {
        for (int i = 0; i < migrations.Count; i++)
            if (migrations[i].Version <= 0 || (i > 0 && migrations[i].Version <= migrations[i - 1].Version))
                throw new ArgumentException("Migration versions must be positive and strictly increasing.", nameof(migrations));

        var database = SqlIdentifier.Database(client.Options.Database);
        await client.ExecuteAsync(ClickHouseSql.Format($"CREATE DATABASE IF NOT EXISTS {database}"), null, useDatabase: false, cancellationToken).ConfigureAwait(false);
        await client.ExecuteAsync(ClickHouseSql.Format($"""
            CREATE TABLE IF NOT EXISTS {ExperimentSchema.SchemaMigrations}
            (
                version UInt32,
                description String,
                applied_at DateTime('UTC')
            )
            ENGINE = MergeTree
            ORDER BY version
            """), cancellationToken).ConfigureAwait(false);

        var applied = await AppliedVersionsAsync(cancellationToken).ConfigureAwait(false);
        var known = migrations.Select(m => m.Version).ToHashSet();
        var unknown = applied.Where(v => !known.Contains(v)).Order().ToList();
        if (unknown.Count > 0)
            throw new InvalidOperationException(
                $"Database '{database.Name}' records migration(s) {string.Join(", ", unknown)}, which this build does not know; it was migrated by newer code.");

        var done = new List<int>();
        foreach (var migration in migrations.Where(m => !applied.Contains(m.Version)))
        {
            foreach (var statement in migration.Statements)
                await client.ExecuteAsync(statement, DdlSettings, useDatabase: true, cancellationToken).ConfigureAwait(false);
            await client.ExecuteAsync(ClickHouseSql.Format($"""
                INSERT INTO {ExperimentSchema.SchemaMigrations} (version, description, applied_at)
                VALUES ({migration.Version}, {migration.Description}, now())
                """), cancellationToken).ConfigureAwait(false);
            done.Add(migration.Version);
        }
        return done;
    }

    /// <summary>The versions recorded in <c>schema_migrations</c>.</summary>
    public async Task<IReadOnlySet<int>> AppliedVersionsAsync(CancellationToken cancellationToken = default)
    {
        var versions = new HashSet<int>();
        await foreach (var row in client.QueryTabSeparatedAsync(
            ClickHouseSql.Format($"SELECT DISTINCT version FROM {ExperimentSchema.SchemaMigrations} ORDER BY version"), cancellationToken).ConfigureAwait(false))
        {
            versions.Add(int.Parse(row[0]!, System.Globalization.CultureInfo.InvariantCulture));
        }
        return versions;
    }
}
