using Experiments.Jobs.Results;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Experiments.Api.Access;

/// <summary>
/// The first admin key. With <c>Auth:BootstrapAdminKey</c> that key is accepted (stored, hashed, when
/// missing). Otherwise, on the first start — no key exists at all — a random admin key is created and
/// written to <see cref="AccessOptions.AdminKeyFile"/> with mode 0600; the log says where, never the key.
/// </summary>
internal sealed partial class AdminKeyBootstrap(
    AccessStore keys, SchemaMigrator migrator, ResultsDatabase database, IOptions<AccessOptions> options, IHostEnvironment environment,
    ILogger<AdminKeyBootstrap> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await migrator.MigrateAsync(cancellationToken); // idempotent; the store's own hosted service may not have run yet
        if (options.Value.BootstrapAdminKey is { } configured)
        {
            if (await keys.FindActiveKeyAsync(AccessStore.Hash(configured), cancellationToken) is null)
            {
                await keys.CreateKeyAsync("bootstrap-admin", ApiRole.Admin, "bootstrap", configured, cancellationToken);
                LogConfigured();
            }
            return;
        }
        if (await keys.AnyKeyAsync(cancellationToken))
            return;
        string file = AdminKeyFile();
        var (_, key) = await keys.CreateKeyAsync("admin", ApiRole.Admin, "bootstrap", cancellationToken: cancellationToken);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var create = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        await using (var stream = new FileStream(file, create))
        await using (var writer = new StreamWriter(stream))
            await writer.WriteLineAsync(key);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite); // also when the file was there before
        LogCreated(file);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private string AdminKeyFile()
    {
        if (options.Value.AdminKeyFile is { Length: > 0 } configured)
            return Path.GetFullPath(configured, environment.ContentRootPath);
        if (database.Provider == StoreProvider.Sqlite)
            return Path.Combine(Path.GetDirectoryName(new SqliteConnectionStringBuilder(database.ConnectionString).DataSource)!, "admin-key");
        return Path.GetFullPath(Path.Combine(".data", "admin-key"), environment.ContentRootPath);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No API key existed: created the admin key 'admin' and wrote it to {File} (mode 0600). Create keys for people and systems with POST /api/v1/keys.")]
    private partial void LogCreated(string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "Accepting the admin key set by Auth:BootstrapAdminKey (stored as 'bootstrap-admin', hashed)")]
    private partial void LogConfigured();
}
