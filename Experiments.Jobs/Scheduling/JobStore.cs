using Experiments.Jobs.Analysis;
using Experiments.Jobs.Results;
using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.Storage.SQLite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Experiments.Jobs.Scheduling;

/// <summary>
/// Hangfire's job storage as configured (<see cref="JobStorageOptions"/>), resolved against the
/// results store: a SQLite file of its own (one server process, enforced by <see cref="SqliteServerLock"/>)
/// or PostgreSQL with a sliding invisibility timeout (any number of workers).
/// </summary>
public sealed class JobStore
{
    private JobStore(StoreProvider provider, string connectionString, string? sqliteFile, string schema, TimeSpan invisibilityTimeout, TimeSpan queuePollInterval)
    {
        Provider = provider;
        ConnectionString = connectionString;
        SqliteFile = sqliteFile;
        Schema = schema;
        InvisibilityTimeout = invisibilityTimeout;
        QueuePollInterval = queuePollInterval;
    }

    /// <summary>SQLite or PostgreSQL.</summary>
    public StoreProvider Provider { get; }

    /// <summary>For PostgreSQL the Npgsql connection string; for SQLite the file's absolute path.</summary>
    public string ConnectionString { get; }

    /// <summary>The SQLite file's absolute path, or null on PostgreSQL.</summary>
    public string? SqliteFile { get; }

    /// <summary>The PostgreSQL schema of Hangfire's tables.</summary>
    public string Schema { get; }

    /// <summary>How long a fetched job stays invisible to other fetches (renewed while it runs on PostgreSQL).</summary>
    public TimeSpan InvisibilityTimeout { get; }

    /// <summary>How often an idle server polls the queue.</summary>
    public TimeSpan QueuePollInterval { get; }

    /// <summary>Resolves the options, defaulting to the results store's provider and a SQLite file beside its own.</summary>
    /// <exception cref="OptionsValidationException">The storage cannot be resolved, or its invisibility timeout does not exceed the longest analysis.</exception>
    public static JobStore Resolve(JobStorageOptions options, ResultsDatabase results, AnalysisOptions analysis, string contentRoot)
    {
        var provider = options.Provider ?? results.Provider;
        if (!Enum.IsDefined(provider))
            throw Invalid("Jobs:Storage:Provider must be Sqlite or PostgreSql.");
        var invisibility = options.InvisibilityTimeoutFor(provider);
        if (provider == StoreProvider.PostgreSql)
        {
            string? connection = options.ConnectionString;
            if (string.IsNullOrWhiteSpace(connection))
                connection = results.Provider == StoreProvider.PostgreSql
                    ? results.ConnectionString
                    : throw Invalid("Jobs:Storage:ConnectionString is required for PostgreSql when the results store is SQLite.");
            try
            {
                connection = new NpgsqlConnectionStringBuilder(connection).ConnectionString;
            }
            catch (ArgumentException e)
            {
                throw Invalid($"Jobs:Storage:ConnectionString is not a PostgreSQL connection string: {e.Message}");
            }
            return new JobStore(provider, connection, null, options.Schema, invisibility, options.QueuePollInterval);
        }

        // SQLite: no sliding invisibility, so a job running longer than the timeout would be fetched again.
        if (invisibility <= analysis.AttemptTimeout)
            throw Invalid($"Jobs:Storage:InvisibilityTimeout ({invisibility}) must exceed Analysis:AttemptTimeout ({analysis.AttemptTimeout}) on SQLite, " +
                          "which cannot extend a running job's invisibility: a longer analysis would be started a second time.");
        string file;
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            file = results.Provider == StoreProvider.Sqlite
                ? Path.ChangeExtension(new SqliteConnectionStringBuilder(results.ConnectionString).DataSource, ".jobs.db")
                : Path.GetFullPath(Path.Combine(".data", "jobs.db"), contentRoot);
        }
        else
        {
            string dataSource;
            try
            {
                dataSource = new SqliteConnectionStringBuilder(options.ConnectionString).DataSource;
            }
            catch (ArgumentException e)
            {
                throw Invalid($"Jobs:Storage:ConnectionString is not a SQLite connection string (Data Source=<file>): {e.Message}");
            }
            if (string.IsNullOrWhiteSpace(dataSource) || dataSource == ":memory:")
                throw Invalid("Jobs:Storage:ConnectionString must name a file (Data Source=<file>).");
            file = Path.GetFullPath(dataSource, contentRoot);
        }
        if (results.Provider == StoreProvider.Sqlite
            && string.Equals(file, new SqliteConnectionStringBuilder(results.ConnectionString).DataSource, StringComparison.Ordinal))
            throw Invalid("Jobs:Storage:ConnectionString names the results store's own SQLite file; Hangfire needs a file of its own.");
        if (Path.GetDirectoryName(file) is { Length: > 0 } folder)
            Directory.CreateDirectory(folder);
        return new JobStore(provider, file, file, options.Schema, invisibility, options.QueuePollInterval);
    }

    /// <summary>Creates Hangfire's storage (which creates its tables when missing).</summary>
    public JobStorage CreateStorage()
    {
        if (Provider == StoreProvider.PostgreSql)
        {
            var options = new PostgreSqlStorageOptions
            {
                SchemaName = Schema,
                PrepareSchemaIfNecessary = true,
                // A running job's fetch time is renewed in the background, so the timeout can be short
                // (it only delays recovery from a killed worker) and long analyses never run twice.
                UseSlidingInvisibilityTimeout = true,
                InvisibilityTimeout = InvisibilityTimeout,
                QueuePollInterval = QueuePollInterval,
            };
            return new PostgreSqlStorage(new NpgsqlConnectionFactory(ConnectionString, options), options);
        }
        return new SQLiteStorage(SqliteFile!, new SQLiteStorageOptions
        {
            QueuePollInterval = QueuePollInterval,
            InvisibilityTimeout = InvisibilityTimeout,
        });
    }

    /// <summary>Where the jobs live, for logs and errors: the SQLite file, or the PostgreSQL host, database and schema (never a password).</summary>
    public string Describe()
    {
        if (Provider == StoreProvider.Sqlite)
            return $"SQLite file {SqliteFile}";
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString);
        return $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database}, schema {Schema}";
    }

    private static OptionsValidationException Invalid(string message) =>
        new(JobsOptions.Section, typeof(JobsOptions), [message]);
}
