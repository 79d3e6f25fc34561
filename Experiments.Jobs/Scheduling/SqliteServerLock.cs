using Hangfire;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Experiments.Jobs.Scheduling;

/// <summary>
/// One Hangfire server per SQLite job file. Hangfire.Storage.SQLite marks a job as taken under an
/// in-process lock only (two processes on one file ran some jobs twice), so a server process takes an
/// exclusive lock on <c>&lt;file&gt;.server.lock</c> before Hangfire's server starts and keeps it until it
/// stops; a second server on the file refuses to start, saying to use PostgreSQL. Holding the lock
/// also proves that every job the file shows as taken was taken by a process that is gone, so those
/// are handed back to the queue at once instead of after the invisibility timeout.
/// </summary>
public sealed partial class SqliteServerLock(JobStore store, JobStorage storage, ILogger<SqliteServerLock> logger) : IHostedService, IDisposable
{
    private FileStream? _lock;

    /// <summary>The lock file of a SQLite job file.</summary>
    public static string LockFileOf(string sqliteFile) => sqliteFile + ".server.lock";

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Another Hangfire server holds the file.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        string file = store.SqliteFile!;
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock) on Unix and a sharing lock on
            // Windows; the operating system drops it when the process ends, however it ends.
            _lock = new FileStream(LockFileOf(file), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new InvalidOperationException(
                $"Another Hangfire server already runs jobs from the SQLite file {file}. SQLite job storage serves one server process only; " +
                "to run several workers (or an API and workers) set Jobs:Storage:Provider=PostgreSql, or give this process Jobs:RunServer=false so it only enqueues.");
        }
        _ = storage.GetMonitoringApi(); // Hangfire creates its tables with the storage; make sure they exist.
        int handedBack = await HandBackOrphanedJobsAsync(file, cancellationToken);
        LogStarted(file, handedBack);
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _lock?.Dispose();
        _lock = null;
    }

    /// <summary>Puts every taken job back in the queue (sqlite-net stores the taken time as ticks; 0 is "not taken").</summary>
    private static async Task<int> HandBackOrphanedJobsAsync(string file, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, DefaultTimeout = 30 }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE JobQueue SET FetchedAt = 0 WHERE FetchedAt <> 0";
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Hangfire server holds the SQLite job file {File}; {HandedBack} job(s) left taken by an ended process were handed back to the queue")]
    private partial void LogStarted(string file, int handedBack);
}
