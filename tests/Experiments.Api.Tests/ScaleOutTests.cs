using System.Net;
using Experiments.Jobs.Analysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Hangfire;

namespace Experiments.Api.Tests;

/// <summary>
/// Jobs:RunServer=false: the API only records runs and enqueues their jobs in the shared job storage;
/// a worker sharing it executes them, and the API serves what it published. (On the embedded SQLite
/// storage one worker may share the file with enqueue-only APIs; several workers need PostgreSQL.)
/// </summary>
public class ScaleOutTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task An_enqueue_only_API_leaves_the_run_to_a_worker_and_refuses_a_second_while_it_is_open()
    {
        await _client.Put("/api/v1/experiments/scale-out", TestExperiments.Json(TestExperiments.Checkout("scale-out")));

        var queued = await _client.Post("/api/v1/experiments/scale-out/analyses");
        var run = queued.Expect(HttpStatusCode.Accepted);
        string runId = run["id"]!.GetValue<string>();
        var jobs = factory.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
        var enqueued = jobs.EnqueuedJobs("default", 0, 10);
        var second = await _client.Post("/api/v1/experiments/scale-out/analyses");
        var waiting = (await _client.Get($"/api/v1/runs/{runId}")).Expect(HttpStatusCode.OK);

        Assert.Empty(jobs.Servers());
        Assert.Equal(runId, Assert.Single(enqueued).Value.Job.Args[0]!.ToString());
        Assert.Equal(("queued", 0), (waiting["status"]!.GetValue<string>(), waiting["attempts"]!.GetValue<int>()));
        second.AssertProblem(HttpStatusCode.Conflict, "id");
        Assert.Contains($"/api/v1/runs/{runId}", second.Body!["detail"]!.GetValue<string>());
        Assert.Single((await _client.Get("/api/v1/experiments/scale-out/runs")).Expect(HttpStatusCode.OK)["runs"]!.AsArray());

        // A worker on the same stores picks the job up.
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = Path.GetTempPath() });
        builder.Configuration.AddInMemoryCollection(factory.StoreSettings);
        builder.Services.AddSingleton<IExperimentDataSource>(new FixedDataSource());
        builder.Services.AddExperimentsJobs(builder.Configuration, runServer: true);
        using var worker = builder.Build();
        await worker.StartAsync();
        var finished = await _client.WaitForRun($"/api/v1/runs/{runId}");
        await worker.StopAsync();

        Assert.Equal("succeeded", finished["status"]!.GetValue<string>());
        var results = (await _client.Get("/api/v1/experiments/scale-out/results")).Expect(HttpStatusCode.OK)["results"]!.AsArray();
        Assert.Equal([runId, runId], results.Select(r => r!["runId"]!.GetValue<string>()));
        (await _client.Post("/api/v1/experiments/scale-out/analyses")).Expect(HttpStatusCode.Accepted);
    }
}
