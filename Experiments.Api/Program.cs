using Experiments.Api.Decisions;
using Experiments.Api.Experiments;
using Experiments.Api.Infrastructure;
using Experiments.Api.PublishedResults;
using Experiments.Api.Runs;
using Experiments.Api.Statistics;
using Experiments.Engine;
using Experiments.Jobs.Scheduling;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddExperimentsJobsDefaults();

builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
builder.Services.ConfigureHttpJsonOptions(options => JsonSetup.Configure(options.SerializerOptions));
builder.Services.AddOpenApi();
// The results store, the analysis service and the queue. By default this process also runs a Hangfire
// server (one process does everything); with Jobs:RunServer=false it only enqueues, and workers
// (dotnet run --project Experiments.Jobs) sharing the job storage execute the runs.
builder.Services.AddExperimentsJobs(builder.Configuration, runServer: builder.Configuration.GetValue("Jobs:RunServer", true));
builder.Services.AddDecisions();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapOpenApi();
app.MapGet("/health", () => TypedResults.Ok(new HealthResponse("ok", EngineInfo.Version))).WithTags("Service");
app.MapStatistics();
app.MapExperiments();
app.MapRuns();
app.MapPublishedResults();
app.MapDecisions();
app.MapJobsDashboard();

if (!await HostStart.TryStartAsync(app, "service"))
    return 3;
await app.WaitForShutdownAsync();
return 0;

/// <summary>Entry point, visible to the test host.</summary>
public partial class Program;
