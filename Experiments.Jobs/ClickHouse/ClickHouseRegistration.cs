using Experiments.Jobs.Analysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Experiments.Jobs.ClickHouse;

/// <summary>
/// Wires the impression logs in: when the configuration names a ClickHouse endpoint (<c>ClickHouse:Endpoint</c>,
/// optional <c>ClickHouse:Database</c>, <c>ClickHouse:User</c>, <c>ClickHouse:Password</c>), the analyses read
/// from it and its schema migrations are applied when the host starts.
/// </summary>
internal static class ClickHouseRegistration
{
    public const string Section = "ClickHouse";

    public static bool TryAdd(IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        if (string.IsNullOrWhiteSpace(section["Endpoint"]))
            return false;
        if (!Uri.TryCreate(section["Endpoint"], UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
            throw new InvalidOperationException($"ClickHouse:Endpoint must be an http(s) URL (got '{section["Endpoint"]}').");
        var options = new ClickHouseOptions
        {
            Endpoint = endpoint,
            Database = string.IsNullOrWhiteSpace(section["Database"]) ? "default" : section["Database"]!,
            User = section["User"],
            Password = section["Password"],
        };
        services.AddSingleton(options);
        services.AddSingleton(_ => new ClickHouseClient(options));
        services.AddSingleton(sp => new ExperimentAggregates(sp.GetRequiredService<ClickHouseClient>()));
        services.AddSingleton<AggregatesRebuild>();
        // The incremental refresh is on unless ClickHouse:IncrementalRefresh is false (then every analysis reads every day).
        bool incremental = !string.Equals(section["IncrementalRefresh"], "false", StringComparison.OrdinalIgnoreCase);
        services.AddSingleton<IExperimentDataSource>(sp => new ClickHouseExperimentDataSource(sp.GetRequiredService<ClickHouseClient>(),
            aggregates: incremental ? sp.GetRequiredService<ExperimentAggregates>() : null));
        services.AddHostedService<ClickHouseSchemaMigration>();
        return true;
    }
}

/// <summary>Applies the ClickHouse schema migrations when the host starts, and logs what it applied.</summary>
internal sealed partial class ClickHouseSchemaMigration(ClickHouseClient client, ILogger<ClickHouseSchemaMigration> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var applied = await new ClickHouseMigrator(client).ApplyAsync(cancellationToken).ConfigureAwait(false);
        LogApplied(string.Join(", ", applied), applied.Count);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "ClickHouse schema migrations applied: {Count} ({Versions})")]
    private partial void LogApplied(string versions, int count);
}
