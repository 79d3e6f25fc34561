using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Experiments.Jobs.Results;

/// <summary>
/// Opens connections to the results database, SQLite or PostgreSQL:
/// every caller goes through the same ADO.NET types, so the SQL is the only thing that can differ
/// between the two, and it differs only in the migrations that must.
/// </summary>
public sealed class ResultsDatabase
{
    private ResultsDatabase(StoreProvider provider, string connectionString)
    {
        Provider = provider;
        ConnectionString = connectionString;
    }

    /// <summary>SQLite or PostgreSQL.</summary>
    public StoreProvider Provider { get; }

    /// <summary>The connection string the store uses (for SQLite: an absolute file path, foreign keys on).</summary>
    public string ConnectionString { get; }

    /// <summary>Resolves the options: a relative SQLite file is placed under <paramref name="contentRoot"/> and its folder created.</summary>
    /// <exception cref="ArgumentException">The connection string cannot be parsed.</exception>
    public static ResultsDatabase Create(ResultsStoreOptions options, string contentRoot)
    {
        if (options.Provider == StoreProvider.PostgreSql)
        {
            var pg = new NpgsqlConnectionStringBuilder(options.ConnectionString).ConnectionString;
            return new ResultsDatabase(StoreProvider.PostgreSql, pg);
        }
        var builder = new SqliteConnectionStringBuilder(options.ConnectionString);
        string path = Path.GetFullPath(builder.DataSource, contentRoot);
        string? folder = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(folder))
            Directory.CreateDirectory(folder);
        builder.DataSource = path;
        builder.ForeignKeys = true;
        return new ResultsDatabase(StoreProvider.Sqlite, builder.ConnectionString);
    }

    /// <summary>Opens a connection.</summary>
    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        DbConnection connection = Provider == StoreProvider.PostgreSql
            ? new NpgsqlConnection(ConnectionString)
            : new SqliteConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Begins a write transaction. On SQLite it is <c>BEGIN IMMEDIATE</c>, which takes the write lock
    /// up front (waiting up to the command timeout) rather than failing later when a read turns into a write.
    /// </summary>
    public static async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken = default) =>
        connection is SqliteConnection sqlite
            ? sqlite.BeginTransaction(deferred: false)
            : await connection.BeginTransactionAsync(cancellationToken);
}
