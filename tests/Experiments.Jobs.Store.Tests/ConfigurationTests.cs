using Experiments.Jobs.Analysis;
using Experiments.Jobs.Results;
using Experiments.Jobs.Scheduling;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Experiments.Jobs.Store.Tests;

public class ConfigurationTests
{
    [Fact]
    public void The_embedded_appsettings_say_what_the_option_classes_default_to()
    {
        var configuration = new ConfigurationManager();
        configuration.AddExperimentsJobsDefaults();

        Assert.Equivalent(new ResultsStoreOptions(), configuration.GetSection(ResultsStoreOptions.Section).Get<ResultsStoreOptions>(), strict: true);
        Assert.Equivalent(new AnalysisOptions(), configuration.GetSection(AnalysisOptions.Section).Get<AnalysisOptions>(), strict: true);
        Assert.Equivalent(new JobsOptions(), configuration.GetSection(JobsOptions.Section).Get<JobsOptions>(), strict: true);
    }

    [Theory]
    [InlineData("ResultsStore:ConnectionString", "", "ResultsStore:ConnectionString is empty")]
    [InlineData("ResultsStore:ConnectionString", "Data Source=:memory:", "must name a SQLite file")]
    [InlineData("Jobs:DailyAnalysisCron", "every day", "Jobs:DailyAnalysisCron 'every day' is not a cron expression")]
    [InlineData("Jobs:DailyAnalysisCron", "0 25 * * *", "is not a cron expression")]
    [InlineData("Jobs:WorkerCount", "0", "Jobs:WorkerCount must be between 1 and 64")]
    [InlineData("Jobs:Storage:Provider", "PostgreSql", "Jobs:Storage:ConnectionString is required for PostgreSql")]
    [InlineData("Jobs:Storage:ConnectionString", "Data Source=:memory:", "must name a file")]
    [InlineData("Jobs:Storage:ConnectionString", "Data Source=.data/experiments.db", "names the results store's own SQLite file")]
    [InlineData("Jobs:Storage:InvisibilityTimeout", "00:10:00", "Jobs:Storage:InvisibilityTimeout (00:10:00) must exceed Analysis:AttemptTimeout (00:20:00)")]
    [InlineData("Jobs:Storage:Schema", "hangfire; drop", "Jobs:Storage:Schema must be a plain identifier")]
    [InlineData("Analysis:AttemptTimeout", "00:00:00", "Analysis:AttemptTimeout must be positive")]
    [InlineData("Analysis:MaxAttempts", "0", "Analysis:MaxAttempts must be between 1 and 100")]
    public void Invalid_options_stop_the_host_at_start_up_with_the_key_named(string key, string value, string message)
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection([new(key, value)]);

        var e = Assert.Throws<OptionsValidationException>(() => new ServiceCollection().AddExperimentsJobs(configuration, runServer: false));

        Assert.Contains(message, e.Message);
    }
}
