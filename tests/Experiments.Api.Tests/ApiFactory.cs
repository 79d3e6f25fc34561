using Experiments.Jobs.Analysis;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Experiments.Api.Tests;

/// <summary>
/// The whole API pipeline (routing, JSON, validation, problem details) in memory, over a real results
/// store: a SQLite file in a temporary folder of its own, removed with the factory. Like a scale-out
/// API it only enqueues analyses (Jobs:RunServer=false), which is all the statistics and registry
/// tests need; <see cref="SchedulerApiFactory"/> runs a Hangfire server in-process, as the service does by default.
/// </summary>
public class ApiFactory : WebApplicationFactory<Program>
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "experiments-api-tests", Guid.NewGuid().ToString("N"));

    /// <summary>The results store's file.</summary>
    public string DatabaseFile => Path.Combine(_folder, "experiments.db");

    /// <summary>The configuration a worker needs to share this API's results store and queue.</summary>
    public IReadOnlyDictionary<string, string?> StoreSettings => new Dictionary<string, string?>
    {
        ["ResultsStore:Provider"] = "Sqlite",
        ["ResultsStore:ConnectionString"] = $"Data Source={DatabaseFile}",
        ["Jobs:ScheduleDailyAnalysis"] = "false",
        ["Jobs:SchedulePollingInterval"] = "00:00:01",
        ["Jobs:Storage:QueuePollInterval"] = "00:00:00.200",
    };

    /// <summary>The admin key every client of <see cref="WebApplicationFactory{TEntryPoint}.CreateClient()"/> sends (Auth:BootstrapAdminKey).</summary>
    public const string AdminKey = "exp_test-admin-key-0123456789abcdefghijklmnopqrstuvwxyz";

    /// <summary>Whether the API runs a Hangfire server in-process.</summary>
    protected virtual bool RunServer => false;

    /// <summary>More settings for a test's own factory.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [];

    /// <summary>Clients send the admin key unless a test says otherwise (<see cref="ClientWith"/>).</summary>
    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminKey);
    }

    /// <summary>A client that sends <paramref name="key"/> as its bearer key, or no key at all.</summary>
    public HttpClient ClientWith(string? key, bool followRedirects = true)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = followRedirects });
        client.DefaultRequestHeaders.Authorization = key is null ? null : new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>The data source to register instead of the service's own, if any.</summary>
    protected virtual IExperimentDataSource? DataSource => null;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in StoreSettings)
            builder.UseSetting(key, value);
        builder.UseSetting("Jobs:RunServer", RunServer ? "true" : "false");
        builder.UseSetting("Auth:BootstrapAdminKey", AdminKey);
        builder.UseSetting("Decisions:ServerCacheSeconds", "0"); // tests read decisions right after changing what they rest on
        foreach (var (key, value) in ExtraSettings)
            builder.UseSetting(key, value);
        if (DataSource is { } source)
            builder.ConfigureTestServices(services =>
            {
                services.RemoveAll<IExperimentDataSource>();
                services.AddSingleton(source);
            });
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Never started: nothing was written.
        }
    }
}

/// <summary>The API as it runs by default: a Hangfire server in-process, the data source it registers itself.</summary>
public class SchedulerApiFactory : ApiFactory
{
    protected override bool RunServer => true;
}

/// <summary>The API with a Hangfire server in-process and <see cref="FixedDataSource"/> as its data source.</summary>
public sealed class FixedDataApiFactory : SchedulerApiFactory
{
    protected override IExperimentDataSource? DataSource { get; } = new FixedDataSource();
}
