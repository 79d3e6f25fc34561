using System.Diagnostics.Metrics;
using Experiments.Jobs.ClickHouse;
using Experiments.Jobs.Results;
using Hangfire;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Prometheus;

namespace Experiments.Api.Operations;

/// <summary>
/// What operators poll: <c>/health/live</c> (the process answers), <c>/health/ready</c> (the results
/// store answers and, when configured, ClickHouse), both without a key; and <c>/metrics</c> in the
/// Prometheus text format (a reader key): requests and latency per endpoint (prometheus-net's HTTP
/// metrics), the <c>Experiments</c> meter (analysis attempts by outcome, stage durations, decisions
/// served) and the jobs waiting in Hangfire's queues.
/// </summary>
public static class Operations
{
    /// <summary>Registers the health checks and the queue gauges.</summary>
    public static IServiceCollection AddOperations(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<ResultsStoreHealth>("results-store", tags: ["ready"])
            .AddCheck<ClickHouseHealth>("clickhouse", tags: ["ready"]);
        services.AddSingleton<JobQueueGauges>();
        services.AddHostedService(sp => sp.GetRequiredService<JobQueueGauges>());
        return services;
    }

    /// <summary>Maps the health endpoints and /metrics, and records HTTP metrics for every request after this point.</summary>
    public static WebApplication MapOperations(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous().WithTags("Service");
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") }).AllowAnonymous().WithTags("Service");
        app.MapMetrics("/metrics");
        return app;
    }

    private sealed class ResultsStoreHealth(ResultsDatabase database) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var connection = await database.OpenAsync(cancellationToken);
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT 1";
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy($"{database.Provider} answers");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy($"The {database.Provider} results store does not answer.");
            }
        }
    }

    private sealed class ClickHouseHealth(IServiceProvider services) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (services.GetService<ClickHouseClient>() is not { } client)
                return HealthCheckResult.Healthy("not configured");
            try
            {
                await client.QueryJsonAsync(ClickHouseSql.Format($"SELECT 1"), cancellationToken);
                return HealthCheckResult.Healthy("answers");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy("ClickHouse does not answer.");
            }
        }
    }

    /// <summary>Jobs waiting in Hangfire (enqueued, scheduled, failed), read from its storage when /metrics is scraped.</summary>
    private sealed class JobQueueGauges(JobStorage storage) : IHostedService, IDisposable
    {
        private Meter? _meter;

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            // prometheus-net starts listening to .NET meters just before its first collection, so measurements
            // made before the first scrape would be lost: collect once now. The adapter shows a meter's counter
            // as a gauge and forgets a series idle for its expiry (5 minutes by default); a count of analyses must
            // not vanish on a quiet night, so it is kept for a day (the adapter's maximum).
            Metrics.ConfigureMeterAdapter(adapter => adapter.MetricsExpireAfter = TimeSpan.FromDays(1));
            await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(Stream.Null, cancellationToken);
            _meter = new Meter("Experiments");
            _meter.CreateObservableGauge("jobs", Observe, description: "Hangfire jobs by state: enqueued (waiting to start), scheduled (retries and deferrals), processing, failed.");
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose() => _meter?.Dispose();

        private IEnumerable<Measurement<long>> Observe()
        {
            Hangfire.Storage.Monitoring.StatisticsDto stats;
            try
            {
                stats = storage.GetMonitoringApi().GetStatistics();
            }
            catch (Exception)
            {
                yield break; // the storage is unreachable: no reading rather than a wrong one
            }
            yield return new Measurement<long>(stats.Enqueued, new KeyValuePair<string, object?>("state", "enqueued"));
            yield return new Measurement<long>(stats.Scheduled, new KeyValuePair<string, object?>("state", "scheduled"));
            yield return new Measurement<long>(stats.Processing, new KeyValuePair<string, object?>("state", "processing"));
            yield return new Measurement<long>(stats.Failed, new KeyValuePair<string, object?>("state", "failed"));
        }
    }
}
