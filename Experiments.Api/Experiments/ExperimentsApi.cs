using Experiments.Api.Access;
using Experiments.Api.Infrastructure;
using Experiments.Jobs.Results;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Experiments.Api.Experiments;

/// <summary>The experiment registry: the definitions analyses read.</summary>
public static partial class ExperimentsApi
{
    private const string LogCategory = "Experiments.Api.Experiments";

    public static IEndpointRouteBuilder MapExperiments(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/experiments").WithTags("Experiments");
        group.MapPut("/{id}", PutExperiment)
            .RequireAuthorization(AccessSetup.AnalystPolicy)
            .WithSummary("Register or replace an experiment")
            .WithDescription("201 when the id is new, 200 when it replaces a definition. The body's id, when given, must equal the path's. Results already published stay as they are.");
        group.MapGet("/", ListExperiments)
            .AllowOnly("status")
            .WithSummary("List experiments")
            .WithDescription("By id; ?status=running (draft, running, completed, archived) keeps one status.");
        group.MapGet("/{id}", GetExperiment)
            .WithSummary("One experiment's definition");
        return app;
    }

    internal static async Task<Results<Created<ExperimentResponse>, Ok<ExperimentResponse>, ValidationProblem>> PutExperiment(
        string id, ExperimentRequest? request, ResultsStore store, AuditTrail audit, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (ExperimentIds.Malformed(id) is { } malformed)
            return malformed;
        if (request is null)
            return ApiProblems.Invalid("body", "Send the experiment's definition as a JSON object.");
        var definition = request.ToDefinition(id);
        bool replaces = await store.GetExperimentAsync(id, cancellationToken) is not null;
        await store.SaveExperimentAsync(definition, cancellationToken);
        await audit.RecordAsync(replaces ? "experiment.replaced" : "experiment.created", id, cancellationToken);
        LogSaved(loggers.CreateLogger(LogCategory), id, replaces ? "replaced" : "registered", definition.Type, definition.Status, definition.Metrics.Count);
        var response = ExperimentResponse.From(definition);
        return replaces ? TypedResults.Ok(response) : TypedResults.Created($"/api/v1/experiments/{id}", response);
    }

    internal static async Task<Results<Ok<ExperimentListResponse>, ValidationProblem>> ListExperiments(
        string? status, ResultsStore store, CancellationToken cancellationToken)
    {
        ExperimentStatus? filter = null;
        if (status is not null)
        {
            filter = Enum.GetValues<ExperimentStatus>().Cast<ExperimentStatus?>()
                .FirstOrDefault(s => string.Equals(s.ToString(), status, StringComparison.OrdinalIgnoreCase));
            if (filter is null)
                return ApiProblems.Invalid("status", "status must be draft, running, completed or archived.");
        }
        var experiments = await store.ListExperimentsAsync(filter, cancellationToken);
        return TypedResults.Ok(new ExperimentListResponse(experiments.Select(ExperimentResponse.From).ToList()));
    }

    internal static async Task<Results<Ok<ExperimentResponse>, NotFoundProblem, ValidationProblem>> GetExperiment(
        string id, ResultsStore store, CancellationToken cancellationToken)
    {
        if (ExperimentIds.Malformed(id) is { } malformed)
            return malformed;
        return await store.GetExperimentAsync(id, cancellationToken) is { } experiment
            ? TypedResults.Ok(ExperimentResponse.From(experiment))
            : ExperimentIds.Unknown(id);
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information,
        Message = "Experiment {ExperimentId} {Action}: type {Type}, status {Status}, {MetricCount} metrics")]
    private static partial void LogSaved(ILogger logger, string experimentId, string action, ExperimentType type, ExperimentStatus status, int metricCount);
}
