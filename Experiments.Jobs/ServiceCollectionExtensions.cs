using Experiments.Jobs.Analysis;
using Experiments.Jobs.Results;
using Experiments.Jobs.Scheduling;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Quartz;

// The extension lives in the container's namespace so that a host's Program.cs finds it without a using.
// ReSharper disable once CheckNamespace
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the results store, the analysis service and the Quartz scheduler.</summary>
public static class ExperimentsJobsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the results store (migrated when the host starts), <see cref="AnalysisService"/>,
    /// <see cref="AnalysisQueue"/> and a Quartz scheduler whose persistent job store lives in the
    /// same database (clustered on PostgreSQL). Options come from the sections <c>ResultsStore</c>,
    /// <c>Analysis</c> and <c>Jobs</c>, each validated at start-up; missing keys take the defaults
    /// of <see cref="ResultsStoreOptions"/>, <see cref="AnalysisOptions"/> and <see cref="JobsOptions"/>.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="configuration">The host's configuration.</param>
    /// <param name="runScheduler">True to run the scheduler in this process (a worker, or an API that does
    /// everything); false to only enqueue, leaving execution to workers sharing the database.</param>
    /// <exception cref="OptionsValidationException">An option is invalid.</exception>
    public static IServiceCollection AddExperimentsJobs(this IServiceCollection services, IConfiguration configuration, bool runScheduler)
    {
        var storeOptions = Bind<ResultsStoreOptions>(services, configuration, ResultsStoreOptions.Section);
        var jobsOptions = Bind<JobsOptions>(services, configuration, JobsOptions.Section);
        Bind<AnalysisOptions>(services, configuration, AnalysisOptions.Section);

        var database = ResultsDatabase.Create(storeOptions, configuration[HostDefaults.ContentRootKey] ?? Directory.GetCurrentDirectory());
        bool clustered = jobsOptions.Clustered ?? database.Provider == StoreProvider.PostgreSql;
        if (clustered && database.Provider != StoreProvider.PostgreSql)
            throw new OptionsValidationException(JobsOptions.Section, typeof(JobsOptions),
                ["Jobs:Clustered needs ResultsStore:Provider PostgreSql: a SQLite file cannot be shared by several workers."]);

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(database);
        services.AddSingleton<SchemaMigrator>();
        services.AddSingleton<ResultsStore>();
        // The impression logs when ClickHouse is configured; otherwise runs fail with a clear reason.
        Experiments.Jobs.ClickHouse.ClickHouseRegistration.TryAdd(services, configuration);
        services.TryAddSingleton<IExperimentDataSource, UnconfiguredDataSource>();
        services.AddScoped<AnalysisService>();
        services.AddScoped<AnalysisQueue>();
        services.AddHostedService<ResultsStoreMigration>();

        services.AddQuartz(quartz =>
        {
            quartz.ConfigureScheduler(scheduler =>
            {
                scheduler.InstanceName = jobsOptions.SchedulerName;
                if (clustered)
                    scheduler.InstanceId = string.IsNullOrWhiteSpace(jobsOptions.InstanceId) ? Environment.MachineName : jobsOptions.InstanceId;
                scheduler.IdleWaitTime = jobsOptions.IdleWaitTime;
                // A stopping worker cancels its jobs; a cancelled analysis is handed back for recovery.
                scheduler.ShutdownJobInterruption = ShutdownJobInterruption.Always;
            });
            // Quartz keeps real time even when a test gives the analysis a clock of its own.
            quartz.UseTimeProvider(TimeProvider.System);
            quartz.UseDefaultThreadPool(jobsOptions.MaxConcurrency);
            quartz.UsePersistentStore(store =>
            {
                store.ConfigureStore(ado =>
                {
                    ado.TablePrefix = "qrtz_";
                    ado.StoreJobDataAsStrings = true;
                    ado.SchemaProvisioning = SchemaProvisioning.Validate;
                    ado.RecoverFiringsCancelledByShutdown = true;
                });
                if (database.Provider == StoreProvider.PostgreSql)
                    store.UsePostgres(database.QuartzConnectionString);
                else
                    store.UseSqlite(database.QuartzConnectionString);
                if (clustered)
                    store.UseClustering(cluster =>
                    {
                        cluster.CheckinInterval = jobsOptions.CheckinInterval;
                        cluster.CheckinMisfireThreshold = jobsOptions.CheckinMisfireThreshold;
                    });
            });
            quartz.AddJobType<AnalyseExperimentJob>();
            if (runScheduler && jobsOptions.ScheduleDailyAnalysis)
            {
                quartz.ScheduleJob<AnalyseRunningExperimentsJob>(
                    trigger => trigger
                        .WithIdentity("daily-analysis", AnalysisQueue.Group)
                        .WithCronSchedule(jobsOptions.DailyAnalysisCron, cron => cron.InTimeZone(TimeZoneInfo.Utc)),
                    job => job
                        .WithIdentity(AnalyseRunningExperimentsJob.Key)
                        .RequestRecovery()
                        .DisallowConcurrentExecution());
            }
        });
        if (runScheduler)
            services.AddQuartzHostedService(hosted => hosted.WaitForJobsToComplete = false);
        return services;
    }

    private static T Bind<T>(IServiceCollection services, IConfiguration configuration, string section) where T : class, System.ComponentModel.DataAnnotations.IValidatableObject, new()
    {
        services.AddOptions<T>().Bind(configuration.GetSection(section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<T>, ValidatedOptions<T>>());
        // Read once here too: the scheduler's configuration is decided while services are registered.
        var options = new T();
        configuration.GetSection(section).Bind(options);
        return ValidatedOptions<T>.Check(options);
    }
}
