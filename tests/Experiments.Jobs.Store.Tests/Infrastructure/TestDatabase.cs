using System.Diagnostics;
using Experiments.Jobs.Results;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Experiments.Jobs.Store.Tests.Infrastructure;

/// <summary>
/// A fresh, real database for one test: a SQLite file in a temporary folder, or a new database on
/// the test PostgreSQL server (EXPERIMENTS_POSTGRES, or the private cluster of scripts/postgres.sh).
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string? _sqliteFile;
    private readonly string? _postgresName;

    private TestDatabase(StoreProvider provider, string connectionString, string? sqliteFile, string? postgresName)
    {
        Provider = provider;
        ConnectionString = connectionString;
        _sqliteFile = sqliteFile;
        _postgresName = postgresName;
    }

    /// <summary>The database kind.</summary>
    public StoreProvider Provider { get; }

    /// <summary>Its connection string, as configuration would give it.</summary>
    public string ConnectionString { get; }

    /// <summary>The options pointing at it.</summary>
    public ResultsStoreOptions Options => new() { Provider = Provider, ConnectionString = ConnectionString };

    /// <summary>Configuration keys pointing at it.</summary>
    public IEnumerable<KeyValuePair<string, string?>> Configuration =>
    [
        new("ResultsStore:Provider", Provider.ToString()),
        new("ResultsStore:ConnectionString", ConnectionString),
    ];

    /// <summary>The store's view of it.</summary>
    public ResultsDatabase Open() => ResultsDatabase.Create(Options, Path.GetTempPath());

    /// <summary>Creates an empty database.</summary>
    public static async Task<TestDatabase> CreateAsync(StoreProvider provider)
    {
        if (provider == StoreProvider.Sqlite)
        {
            string folder = Path.Combine(Path.GetTempPath(), "experiments-store-tests");
            Directory.CreateDirectory(folder);
            string file = Path.Combine(folder, $"{Guid.NewGuid():N}.db");
            return new TestDatabase(provider, $"Data Source={file}", file, null);
        }
        var server = new NpgsqlConnectionStringBuilder(PostgresServer.ConnectionString);
        string name = $"t_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(server.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        server.Database = name;
        return new TestDatabase(provider, server.ConnectionString, null, name);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_sqliteFile is not null)
        {
            SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" })
                File.Delete(_sqliteFile + suffix);
            return;
        }
        NpgsqlConnection.ClearAllPools();
        try
        {
            await using var connection = new NpgsqlConnection(PostgresServer.ConnectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_postgresName}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException)
        {
            // A database left behind on a disposable test server is harmless.
        }
    }
}

/// <summary>
/// The PostgreSQL server the tests use: EXPERIMENTS_POSTGRES when set (test.sh starts one), else
/// the private cluster of scripts/postgres.sh, started on first use and stopped when the test
/// process exits.
/// </summary>
public static class PostgresServer
{
    private static readonly Lazy<string> Server = new(Start);

    /// <summary>An Npgsql connection string to the server's default database for the test role.</summary>
    public static string ConnectionString => Server.Value;

    private static string Start()
    {
        string? configured = Environment.GetEnvironmentVariable("EXPERIMENTS_POSTGRES");
        if (!string.IsNullOrWhiteSpace(configured))
            return configured;
        string script = Path.Combine(RepositoryRoot(), "scripts", "postgres.sh");
        string connection = RunScript(script, "start");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => RunScript(script, "stop");
        return connection;
    }

    private static string RunScript(string script, string verb)
    {
        var start = new ProcessStartInfo("bash", [script, verb]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"scripts/postgres.sh {verb} failed ({process.ExitCode}): {error}");
        return output.Trim();
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "scripts", "postgres.sh")))
                return dir.FullName;
        throw new InvalidOperationException("scripts/postgres.sh was not found above the test assembly; set EXPERIMENTS_POSTGRES instead.");
    }
}
