using System.Net;
using Experiments.Jobs.Analysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Quartz;

namespace Experiments.Api.Tests;

/// <summary>
/// Jobs:RunScheduler=false: the API only records runs and puts their triggers in the shared job
/// store; a worker sharing the database executes them, and the API serves what it published.
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
        var scheduler = await factory.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        var triggers = await scheduler.GetTriggersOfJob(new JobKey("scale-out", "analysis"));
        var second = await _client.Post("/api/v1/experiments/scale-out/analyses");
        var waiting = (await _client.Get($"/api/v1/runs/{runId}")).Expect(HttpStatusCode.OK);

        Assert.Null((await scheduler.GetMetadata()).RunningSince);
        Assert.Equal(runId, Assert.Single(triggers).JobDataMap.GetString("runId"));
        Assert.Equal(("queued", 0), (waiting["status"]!.GetValue<string>(), waiting["attempts"]!.GetValue<int>()));
        second.AssertProblem(HttpStatusCode.Conflict, "id");
        Assert.Contains($"/api/v1/runs/{runId}", second.Body!["detail"]!.GetValue<string>());
        Assert.Single((await _client.Get("/api/v1/experiments/scale-out/runs")).Expect(HttpStatusCode.OK)["runs"]!.AsArray());

        // A worker on the same database picks the trigger up.
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = Path.GetTempPath() });
        builder.Configuration.AddInMemoryCollection(factory.StoreSettings);
        builder.Services.AddSingleton<IExperimentDataSource>(new FixedDataSource());
        builder.Services.AddExperimentsJobs(builder.Configuration, runScheduler: true);
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
