using Experiments.Jobs.Analysis;
using Experiments.Jobs.Results;
using Experiments.Jobs.Scheduling;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Hangfire;
using Hangfire.AspNetCore;

// The extension lives in the container's namespace so that a host's Program.cs finds it without a using.
// ReSharper disable once CheckNamespace
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the results store, the analysis service and the Hangfire jobs.</summary>
public static class ExperimentsJobsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the results store (migrated when the host starts), <see cref="AnalysisService"/>,
    /// <see cref="AnalysisQueue"/>, Hangfire's client over the configured job storage and, when
    /// <paramref name="runServer"/>, a Hangfire server that runs the jobs and keeps the daily job
    /// registered. Options come from the sections <c>ResultsStore</c>, <c>Analysis</c> and <c>Jobs</c>,
    /// each validated at start-up; missing keys take the defaults of <see cref="ResultsStoreOptions"/>,
    /// <see cref="AnalysisOptions"/> and <see cref="JobsOptions"/>.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="configuration">The host's configuration.</param>
    /// <param name="runServer">True to run a Hangfire server in this process (a worker, or an API that does
    /// everything); false to only enqueue, leaving execution to workers sharing the job storage.</param>
    /// <exception cref="OptionsValidationException">An option is invalid.</exception>
    public static IServiceCollection AddExperimentsJobs(this IServiceCollection services, IConfiguration configuration, bool runServer)
    {
        var storeOptions = Bind<ResultsStoreOptions>(services, configuration, ResultsStoreOptions.Section);
        var jobsOptions = Bind<JobsOptions>(services, configuration, JobsOptions.Section);
        var analysisOptions = Bind<AnalysisOptions>(services, configuration, AnalysisOptions.Section);

        string contentRoot = configuration[HostDefaults.ContentRootKey] ?? Directory.GetCurrentDirectory();
        var database = ResultsDatabase.Create(storeOptions, contentRoot);
        var jobStore = JobStore.Resolve(jobsOptions.Storage, database, analysisOptions, contentRoot);

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(database);
        services.AddSingleton<SchemaMigrator>();
        services.AddSingleton<ResultsStore>();
        services.AddSingleton<AccessStore>();
        // The impression logs when ClickHouse is configured; otherwise runs fail with a clear reason.
        Experiments.Jobs.ClickHouse.ClickHouseRegistration.TryAdd(services, configuration);
        services.TryAddSingleton<IExperimentDataSource, UnconfiguredDataSource>();
        services.AddScoped<AnalysisService>();
        services.AddScoped<AnalysisQueue>();
        services.AddScoped<AnalysisJobs>();
        services.AddHostedService<ResultsStoreMigration>();

        // Hangfire keeps its storage and job activator in statics (JobStorage.Current, JobActivator.Current);
        // registering this host's own first makes its client, server and dashboard use them, so several
        // hosts in one process (tests, an API beside a worker) never run each other's jobs.
        services.AddSingleton(jobStore);
        services.AddSingleton<JobStorage>(_ => jobStore.CreateStorage());
        services.AddSingleton<JobActivator>(provider => new AspNetCoreJobActivator(provider.GetRequiredService<IServiceScopeFactory>()));
        services.AddHangfire((provider, hangfire) => hangfire
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseLogProvider(new HangfireLogs(provider.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>())));
        if (runServer)
        {
            if (jobStore.Provider == StoreProvider.Sqlite)
                services.AddHostedService<SqliteServerLock>();
            services.AddHostedService<DailyAnalysisRegistration>();
            services.AddHangfireServer(server =>
            {
                server.WorkerCount = jobsOptions.WorkerCount;
                server.SchedulePollingInterval = jobsOptions.SchedulePollingInterval;
                server.ShutdownTimeout = jobsOptions.ShutdownTimeout;
                server.StopTimeout = jobsOptions.ShutdownTimeout;
                if (!string.IsNullOrWhiteSpace(jobsOptions.ServerName))
                    server.ServerName = jobsOptions.ServerName;
            });
        }
        return services;
    }

    private static T Bind<T>(IServiceCollection services, IConfiguration configuration, string section) where T : class, System.ComponentModel.DataAnnotations.IValidatableObject, new()
    {
        services.AddOptions<T>().Bind(configuration.GetSection(section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<T>, ValidatedOptions<T>>());
        // Read once here too: the job storage is decided while services are registered.
        var options = new T();
        configuration.GetSection(section).Bind(options);
        return ValidatedOptions<T>.Check(options);
    }
}
