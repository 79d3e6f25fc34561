using Experiments.Api.Access;
using Experiments.Api.Charts;
using Experiments.Api.Dashboards;
using Experiments.Api.Decisions;
using Experiments.Api.Experiments;
using Experiments.Api.Operations;
using Prometheus;
using Scalar.AspNetCore;
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
builder.Services.AddOpenApi(openApi => openApi.AddDocumentTransformer<ApiKeySecurityScheme>());
builder.Services.AddHttpContextAccessor();
// API keys with roles, the per-key rate limit, the request size limit, the first admin key.
builder.Services.AddApiAccess(builder.Configuration);
builder.Services.AddOperations();
builder.Services.AddOptions<Experiments.Api.Statistics.WorkLimits>().Bind(builder.Configuration.GetSection(Experiments.Api.Statistics.WorkLimits.Section))
    .Validate(limits => limits.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(limits)).All(_ => false),
        "Limits:MaxPanelRows, MaxSyntheticControlFits and MaxGeoPowerSimulations must be positive.")
    .ValidateOnStart();
// The results store, the analysis service and the queue. By default this process also runs a Hangfire
// server (one process does everything); with Jobs:RunServer=false it only enqueues, and workers
// (dotnet run --project Experiments.Jobs) sharing the job storage execute the runs.
builder.Services.AddExperimentsJobs(builder.Configuration, runServer: builder.Configuration.GetValue("Jobs:RunServer", true));
builder.Services.AddDecisions();
// The executive dashboards under /dashboards (Razor components, static server rendering).
builder.Services.AddDashboards();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
AuditTrail.BufferBodies(app);
app.UseRouting();
app.UseHttpMetrics(); // requests and latency per endpoint, for /metrics
app.UseApiAccess();
// The dashboards' forms (sign-in, sign-out) carry an antiforgery token; a post without one is refused.
app.UseAntiforgery();

// The OpenAPI document and its interactive reference are open to all: they describe the contract (including the
// key schemes) and hold no data, and a browser must be able to load them before it has a way to send a key.
app.MapOpenApi().AllowAnonymous();
app.MapScalarApiReference("/reference", reference => reference.WithTitle("Experiments API")).AllowAnonymous();
app.MapOperations();
app.MapGet("/health", () => TypedResults.Ok(new HealthResponse("ok", EngineInfo.Version))).WithTags("Service").AllowAnonymous();
app.MapStatistics();
app.MapExperiments();
app.MapRuns();
app.MapPublishedResults();
app.MapCharts();
app.MapAccess();
app.MapDecisions();
app.MapJobsDashboard();
app.MapDashboards();

if (!await HostStart.TryStartAsync(app, "service"))
    return 3;
await app.WaitForShutdownAsync();
return 0;

/// <summary>Entry point, visible to the test host.</summary>
public partial class Program;
