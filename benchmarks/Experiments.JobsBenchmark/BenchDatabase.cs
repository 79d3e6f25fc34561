using Experiments.Jobs.Results;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Experiments.JobsBenchmark;

/// <summary>
/// A fresh store for one scenario. SQLite: a temporary folder holding the results store's file, and
/// Hangfire's file beside it by default (<c>experiments.jobs.db</c>). PostgreSQL: a new database on the
/// benchmark's server holding the results store and Hangfire's schema. Removed on disposal.
/// </summary>
public sealed class BenchDatabase : IAsyncDisposable
{
    private readonly string? _serverConnection;
    private readonly string? _postgresName;

    private BenchDatabase(StoreProvider provider, string connectionString, string folder, string? serverConnection, string? postgresName)
    {
        Provider = provider;
        ConnectionString = connectionString;
        Folder = folder;
        _serverConnection = serverConnection;
        _postgresName = postgresName;
    }

    /// <summary>SQLite or PostgreSQL.</summary>
    public StoreProvider Provider { get; }

    /// <summary>The results store's connection string.</summary>
    public string ConnectionString { get; }

    /// <summary>A temporary folder of the scenario's own: the SQLite files, and the content root and working folder of every host and process.</summary>
    public string Folder { get; }

    /// <summary>
    /// The scenario's settings on top of the embedded production defaults: the results store, and no
    /// daily recurring job (it fires at 04:00 UTC and has nothing to do with these figures).
    /// </summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["ResultsStore:Provider"] = Provider.ToString(),
        ["ResultsStore:ConnectionString"] = ConnectionString,
        ["Jobs:ScheduleDailyAnalysis"] = "false",
    };

    /// <summary>Creates an empty store; <paramref name="postgresServer"/> is a connection string to a server on which the role may create databases.</summary>
    public static async Task<BenchDatabase> CreateAsync(StoreProvider provider, string? postgresServer)
    {
        string folder = Path.Combine(Path.GetTempPath(), "experiments-jobs-benchmark", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        if (provider == StoreProvider.Sqlite)
            return new BenchDatabase(provider, $"Data Source={Path.Combine(folder, "experiments.db")}", folder, null, null);

        if (string.IsNullOrWhiteSpace(postgresServer))
            throw new InvalidOperationException("The PostgreSQL figures need --postgres <connection string> (benchmarks/jobs.sh starts a private server).");
        var server = new NpgsqlConnectionStringBuilder(postgresServer);
        string name = $"jobs_bench_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(server.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        server.Database = name;
        return new BenchDatabase(provider, server.ConnectionString, folder, postgresServer, name);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_postgresName is not null)
        {
            NpgsqlConnection.ClearAllPools();
            try
            {
                await using var connection = new NpgsqlConnection(_serverConnection);
                await connection.OpenAsync();
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_postgresName}\" WITH (FORCE)", connection);
                await drop.ExecuteNonQueryAsync();
            }
            catch (NpgsqlException)
            {
                // The benchmark's server is disposable: a database left behind does no harm.
            }
        }
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A file a killed process still held; the temporary folder is cleaned by the system.
        }
    }
}
