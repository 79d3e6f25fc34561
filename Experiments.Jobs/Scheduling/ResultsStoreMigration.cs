using Experiments.Jobs.Results;
using Microsoft.Extensions.Hosting;

namespace Experiments.Jobs.Scheduling;

/// <summary>Applies the results store's migrations when the host starts, before the scheduler (which validates its tables) starts.</summary>
internal sealed class ResultsStoreMigration(SchemaMigrator migrator) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => migrator.MigrateAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
