using Experiments.Api.Access;
using System.Globalization;
using System.Text.Json;
using Experiments.Api.Infrastructure;
using Experiments.Jobs.Results;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Experiments.Api.Experiments;

/// <summary>The experiment registry: the definitions analyses read.</summary>
public static partial class ExperimentsApi
{
    private const string LogCategory = "Experiments.Api.Experiments";

    /// <summary>The default and the largest page size of the listing.</summary>
    public const int DefaultLimit = 50, MaximumLimit = 200;

    public static IEndpointRouteBuilder MapExperiments(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/experiments").WithTags("Experiments");
        group.MapPut("/{id}", PutExperiment)
            .RequireAuthorization(AccessSetup.AnalystPolicy)
            .WithSummary("Register or replace an experiment")
            .WithDescription("201 when the id is new, 200 when it replaces a definition. The body's id, when given, must equal the path's. "
                + "The design (type, metrics, variants and split, control, windows, markets, guardrails, primary metric, alpha, targets) changes only "
                + "while the experiment is a draft, and the status only through start, stop and archive: otherwise a 409 naming the current status. "
                + "Name, owner, hypothesis, description and tags may change at any time. Results already published stay as they are.");
        group.MapGet("/", ListExperiments)
            .AllowOnly("status", "type", "owner", "tag", "limit", "cursor")
            .WithSummary("List experiments")
            .WithDescription($"By id, a page at a time: ?status= (draft, running, completed, archived), ?type= (ab, geo), ?owner=, ?tag= keep matching ones; "
                + $"?limit= sets the page size (default {DefaultLimit}, at most {MaximumLimit}); pass the answer's nextCursor as ?cursor= for the next page.");
        group.MapGet("/{id}", GetExperiment)
            .WithSummary("One experiment's definition");
        group.MapPost("/{id}/start", StartExperiment)
            .RequireAuthorization(AccessSetup.AnalystPolicy)
            .WithSummary("Start a draft experiment")
            .WithDescription("draft → running. A running experiment is analysed by the daily job; starting queues nothing by itself. 409 from any other status.");
        group.MapPost("/{id}/stop", StopExperiment)
            .RequireAuthorization(AccessSetup.AnalystPolicy)
            .WithSummary("Stop a running experiment")
            .WithDescription("running → completed: the daily job no longer analyses it; its results stay published. 409 from any other status.");
        group.MapPost("/{id}/archive", ArchiveExperiment)
            .RequireAuthorization(AccessSetup.AdminPolicy)
            .WithSummary("Archive a completed (or never started) experiment")
            .WithDescription("completed or draft → archived, kept for the record. 409 from running (stop it first) or archived.");
        return app;
    }

    internal static async Task<Results<Created<ExperimentResponse>, Ok<ExperimentResponse>, ValidationProblem, ConflictProblem>> PutExperiment(
        string id, ExperimentRequest? request, ResultsStore store, AuditTrail audit, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (ExperimentIds.Malformed(id) is { } malformed)
            return malformed;
        if (request is null)
            return ApiProblems.Invalid("body", "Send the experiment's definition as a JSON object.");
        var definition = request.ToDefinition(id);
        var logger = loggers.CreateLogger(LogCategory);
        // Optimistic: the write succeeds only if the stored status is still the one the checks saw;
        // a concurrent start/stop between the read and the write sends the request round again.
        for (int attempt = 0; ; attempt++)
        {
            var current = await store.GetExperimentAsync(id, cancellationToken);
            if (current is null)
            {
                if (await store.TryInsertExperimentAsync(definition, cancellationToken))
                {
                    await audit.RecordAsync("experiment.created", id, cancellationToken);
                    LogSaved(logger, id, "registered", definition.Type, definition.Status, definition.Metrics.Count);
                    return TypedResults.Created($"/api/v1/experiments/{id}", ExperimentResponse.From(definition));
                }
                continue;
            }
            var replacement = request.Status is null ? definition with { Status = current.Status } : definition;
            if (replacement.Status != current.Status)
                return ApiProblems.Conflict("status",
                    $"Experiment '{id}' is {Name(current.Status)}; its status changes only through POST /api/v1/experiments/{id}/start, /stop and /archive.");
            if (current.Status != ExperimentStatus.Draft && current.FirstDesignChange(replacement) is { } field)
                return ApiProblems.Conflict(field,
                    $"Experiment '{id}' is {Name(current.Status)}: its design ({field} here) can change only while it is a draft. "
                    + "Name, owner, hypothesis, description and tags may change; register a new experiment for a new design.");
            if (await store.TryReplaceExperimentAsync(replacement, current.Status, cancellationToken))
            {
                await audit.RecordAsync("experiment.replaced", id, cancellationToken);
                LogSaved(logger, id, "replaced", replacement.Type, replacement.Status, replacement.Metrics.Count);
                return TypedResults.Ok(ExperimentResponse.From(replacement));
            }
            if (attempt >= 3)
                return ApiProblems.Conflict("id", $"Experiment '{id}' kept changing while it was being replaced; send the request again.");
        }
    }

    internal static async Task<Results<Ok<ExperimentListResponse>, ValidationProblem>> ListExperiments(
        string? status, string? type, string? owner, string? tag, string? limit, string? cursor, ResultsStore store, CancellationToken cancellationToken)
    {
        ExperimentStatus? statusFilter = null;
        if (status is not null && (statusFilter = ParseEnum<ExperimentStatus>(status)) is null)
            return ApiProblems.Invalid("status", "status must be draft, running, completed or archived.");
        ExperimentType? typeFilter = null;
        if (type is not null && (typeFilter = ParseEnum<ExperimentType>(type)) is null)
            return ApiProblems.Invalid("type", "type must be ab or geo.");
        if (owner is not null && (string.IsNullOrWhiteSpace(owner) || owner.Length > 200))
            return ApiProblems.Invalid("owner", "owner must be 1–200 characters (an experiment's owner, compared without case).");
        if (tag is not null && !ExperimentDefinition.IsValidTag(tag))
            return ApiProblems.Invalid("tag", ExperimentDefinition.TagRule);
        int pageSize = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaximumLimit))
            return ApiProblems.Invalid("limit", $"limit must be a whole number from 1 to {MaximumLimit} (default {DefaultLimit}).");
        string? after = null;
        if (cursor is not null && (after = ListCursor.Decode(cursor)) is null)
            return ApiProblems.Invalid("cursor", "cursor is not one this service handed out; pass the nextCursor of the previous page unchanged, or leave it out for the first page.");

        var (page, more) = await store.ListExperimentsPageAsync(new ExperimentFilter(statusFilter, typeFilter, owner, tag), after, pageSize, cancellationToken);
        return TypedResults.Ok(new ExperimentListResponse(page.Select(ExperimentResponse.From).ToList(),
            more ? ListCursor.Encode(page[^1].Id) : null));
    }

    internal static Task<Results<Ok<ExperimentResponse>, NotFoundProblem, ValidationProblem, ConflictProblem>> StartExperiment(
        string id, ResultsStore store, AuditTrail audit, ILoggerFactory loggers, CancellationToken cancellationToken) =>
        Transition(id, "start", [ExperimentStatus.Draft], ExperimentStatus.Running, store, audit, loggers, cancellationToken);

    internal static Task<Results<Ok<ExperimentResponse>, NotFoundProblem, ValidationProblem, ConflictProblem>> StopExperiment(
        string id, ResultsStore store, AuditTrail audit, ILoggerFactory loggers, CancellationToken cancellationToken) =>
        Transition(id, "stop", [ExperimentStatus.Running], ExperimentStatus.Completed, store, audit, loggers, cancellationToken);

    internal static Task<Results<Ok<ExperimentResponse>, NotFoundProblem, ValidationProblem, ConflictProblem>> ArchiveExperiment(
        string id, ResultsStore store, AuditTrail audit, ILoggerFactory loggers, CancellationToken cancellationToken) =>
        Transition(id, "archive", [ExperimentStatus.Completed, ExperimentStatus.Draft], ExperimentStatus.Archived, store, audit, loggers, cancellationToken);

    /// <summary>
    /// Moves an experiment from one of <paramref name="from"/> to <paramref name="to"/>, atomically: the
    /// write happens only if the stored status is still the one read, so two concurrent transitions
    /// cannot both succeed.
    /// </summary>
    private static async Task<Results<Ok<ExperimentResponse>, NotFoundProblem, ValidationProblem, ConflictProblem>> Transition(
        string id, string action, ExperimentStatus[] from, ExperimentStatus to, ResultsStore store, AuditTrail audit, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        if (ExperimentIds.Malformed(id) is { } malformed)
            return malformed;
        while (true)
        {
            if (await store.GetExperimentAsync(id, cancellationToken) is not { } current)
                return ExperimentIds.Unknown(id);
            if (!from.Contains(current.Status))
                return ApiProblems.Conflict("status",
                    $"Experiment '{id}' is {Name(current.Status)}; {action} moves {string.Join(" or ", from.Select(Name))} experiments to {Name(to)}.");
            var moved = current with { Status = to };
            if (await store.TryReplaceExperimentAsync(moved, current.Status, cancellationToken))
            {
                await audit.RecordAsync(to switch
                {
                    ExperimentStatus.Running => "experiment.started",
                    ExperimentStatus.Completed => "experiment.stopped",
                    _ => "experiment.archived",
                }, id, cancellationToken);
                LogTransition(loggers.CreateLogger(LogCategory), id, current.Status, to);
                return TypedResults.Ok(ExperimentResponse.From(moved));
            }
            // Another writer changed the status meanwhile: judge the transition again against the new one.
        }
    }

    private static T? ParseEnum<T>(string text) where T : struct, Enum =>
        Enum.GetValues<T>().Cast<T?>().FirstOrDefault(v => string.Equals(v.ToString(), text, StringComparison.OrdinalIgnoreCase));

    private static string Name<T>(T value) where T : struct, Enum => JsonNamingPolicy.CamelCase.ConvertName(value.ToString());

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

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Experiment {ExperimentId} moved from {From} to {To}")]
    private static partial void LogTransition(ILogger logger, string experimentId, ExperimentStatus from, ExperimentStatus to);
}
