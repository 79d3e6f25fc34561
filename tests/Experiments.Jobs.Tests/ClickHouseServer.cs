using System.Diagnostics;
using Experiments.Jobs.ClickHouse;

namespace Experiments.Jobs.Tests;

/// <summary>
/// A real ClickHouse server shared by the integration tests: the one at CLICKHOUSE_URL when set,
/// otherwise a private server started with <c>scripts/clickhouse.sh</c> on its own ports and data
/// folder, and stopped when the tests end.
/// </summary>
public sealed class ClickHouseServer : IAsyncLifetime
{
    private const string HttpPort = "18124";
    private Dictionary<string, string>? _privateServerEnvironment;

    /// <summary>The server's HTTP endpoint.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>The repository's root (where <c>scripts/</c> is).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public async Task InitializeAsync()
    {
        var url = Environment.GetEnvironmentVariable("CLICKHOUSE_URL");
        if (!string.IsNullOrWhiteSpace(url))
        {
            Endpoint = new Uri(url);
            return;
        }
        _privateServerEnvironment = new Dictionary<string, string>
        {
            ["CLICKHOUSE_DATA_DIR"] = Path.Combine(RepositoryRoot, ".data", "clickhouse-tests"),
            ["CLICKHOUSE_HTTP_PORT"] = HttpPort,
            ["CLICKHOUSE_TCP_PORT"] = "19124",
            ["CLICKHOUSE_INTERSERVER_PORT"] = "19125",
        };
        var output = await RunScriptAsync("start");
        Endpoint = new Uri(output.Trim().Split('\n')[^1]);
    }

    public async Task DisposeAsync()
    {
        if (_privateServerEnvironment is not null)
            await RunScriptAsync("stop");
    }

    /// <summary>A client of a fresh database named after the test (with a unique suffix).</summary>
    public ClickHouseClient Client(string databaseName, ClickHouseRetryPolicy? retry = null, HttpClient? http = null,
        bool compress = true, TimeSpan? timeout = null) =>
        new(new ClickHouseOptions
        {
            Endpoint = Endpoint,
            Database = databaseName,
            ReadRetry = retry ?? ClickHouseRetryPolicy.Default,
            CompressRequests = compress,
            CompressResponses = compress,
            QueryTimeout = timeout ?? TimeSpan.FromMinutes(2),
        }, http);

    /// <summary>A database name no other test uses.</summary>
    public static string UniqueDatabaseName(string prefix) => $"test_{prefix}_{Guid.NewGuid():N}";

    /// <summary>Creates a migrated database for one test; dropped when disposed.</summary>
    public async Task<TestDatabase> CreateDatabaseAsync(string prefix, bool migrate = true)
    {
        var name = UniqueDatabaseName(prefix);
        var client = Client(name);
        if (migrate)
            await new ClickHouseMigrator(client).ApplyAsync();
        return new TestDatabase(name, client);
    }

    private async Task<string> RunScriptAsync(string command)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(RepositoryRoot, "scripts", "clickhouse.sh"), command])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryRoot,
        };
        foreach (var (key, value) in _privateServerEnvironment!)
            start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"scripts/clickhouse.sh {command} failed ({process.ExitCode}): {await stderr}");
        return await stdout;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "scripts", "clickhouse.sh")))
                return dir.FullName;
        throw new InvalidOperationException("Could not find scripts/clickhouse.sh above the test binaries.");
    }
}

/// <summary>One test's database and a client of it; dropped on dispose.</summary>
public sealed class TestDatabase(string name, ClickHouseClient client) : IAsyncDisposable
{
    public string Name { get; } = name;

    public ClickHouseClient Client { get; } = client;

    public async ValueTask DisposeAsync()
    {
        await Client.ExecuteAsync(ClickHouseSql.Format($"DROP DATABASE IF EXISTS {SqlIdentifier.Database(Name)}"), null, useDatabase: false, default);
        Client.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ClickHouseCollection : ICollectionFixture<ClickHouseServer>
{
    public const string Name = "ClickHouse";
}
