using Experiments.Api.Infrastructure;
using Experiments.Api.Statistics;
using Experiments.Engine;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
builder.Services.ConfigureHttpJsonOptions(options => JsonSetup.Configure(options.SerializerOptions));
builder.Services.AddOpenApi();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapOpenApi();
app.MapGet("/health", () => TypedResults.Ok(new HealthResponse("ok", EngineInfo.Version))).WithTags("Service");
app.MapStatistics();

app.Run();

/// <summary>Entry point, visible to the test host.</summary>
public partial class Program;
