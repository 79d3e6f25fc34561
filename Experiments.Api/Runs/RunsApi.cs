using Experiments.Api.Access;
using Experiments.Api.Csv;
using Experiments.Api.Experiments;
using Experiments.Api.Infrastructure;
using Experiments.Jobs.Analysis;
using Experiments.Jobs.Results;
using Experiments.Jobs.Scheduling;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Experiments.Api.Runs;

/// <summary>
/// Analysis runs: queue one for an experiment, then poll it. The run executes as a Hangfire job,
/// in this process by default or on a worker when the API only enqueues (Jobs:RunServer=false).
/// </summary>
public static class RunsApi
{
    /// <summary>What a run records as its trigger when the API queued it.</summary>
    public const string Trigger = "api";

    public static IEndpointRouteBuilder MapRuns(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1").WithTags("Analysis runs");
        group.MapPost("/experiments/{id}/analyses", QueueAnalysis)
            .RequireAuthorization(AccessSetup.AnalystPolicy)
            .WithSummary("Queue an analysis of an experiment")
            .WithDescription("202 with the queued run and its Location. The optional body {\"window\": {\"start\", \"end\"}} picks the days; by default the experiment's first day to yesterday (UTC), at most its end plus the conversion window. 409 while another run of the experiment is queued, running or deferred, or before it has a complete day of data.");
        group.MapPost("/experiments/{id}/aggregates/rebuild", RebuildAggregates)
            .RequireAuthorization(AccessSetup.AnalystPolicy)
            .WithSummary("Rebuild an A/B experiment's per-unit aggregates from scratch")
            .WithDescription("Folds every day of the experiment's incremental-refresh aggregates again from the logs in ClickHouse (from its first day through its default window's end, or the last day already folded if later) and answers with the days folded and the rows read. 409 for a geo experiment, before its first complete day, or without ClickHouse.");
        group.MapGet("/experiments/{id}/runs", ListRuns)
            .AllowOnly("format")
            .ProducesJsonOrCsv<RunListResponse>()
            .WithSummary("An experiment's runs, newest first")
            .WithDescription("With Accept: text/csv or ?format=csv, the run history as CSV: one row per run (status, stage, reason, data window, rows and bytes read, engine version, stage milliseconds, attempts, times in ISO 8601 UTC).");
        group.MapGet("/runs/{runId}", GetRun)
            .WithSummary("One run: status, stage, data window, parameters, rows and bytes read, engine version, stage durations, attempts, reason");
        return app;
    }

    internal static async Task<Results<Accepted<RunResponse>, NotFoundProblem, ConflictProblem, ValidationProblem>> QueueAnalysis(
        string id, AnalysisRequest? request, ResultsStore store, AnalysisService analysis, AnalysisQueue queue,
        AuditTrail audit, CancellationToken cancellationToken)
    {
        if (ExperimentIds.Malformed(id) is { } malformed)
            return malformed;
        if (await store.GetExperimentAsync(id, cancellationToken) is not { } experiment)
            return ExperimentIds.Unknown(id);
        if (experiment.Status == ExperimentStatus.Archived)
            return ApiProblems.Conflict("status", $"Experiment '{id}' is archived: it is kept for the record and is not analysed again.");

        DateRange? window = null;
        if (request?.Window is { } requested)
        {
            window = requested.ToRange("window");
            var lastDataDay = experiment.ExperimentWindow.End.AddDays(experiment.ConversionWindowDays);
            if (window.Start < experiment.ExperimentWindow.Start)
                return ApiProblems.Invalid("window.start", $"The window starts before the experiment does ({experiment.ExperimentWindow.Start:yyyy-MM-dd}).");
            if (window.End > lastDataDay)
                return ApiProblems.Invalid("window.end", $"The window ends after the experiment's last day of data ({lastDataDay:yyyy-MM-dd}: its end plus the conversion window).");
        }
        else if (analysis.DefaultWindow(experiment) is { } defaultWindow && defaultWindow.End < defaultWindow.Start)
        {
            return ApiProblems.Conflict("experimentWindow",
                $"The experiment starts on {experiment.ExperimentWindow.Start:yyyy-MM-dd}: there is no complete day of data to analyse yet.");
        }

        // Checked, then queued: two requests at the same instant can both pass, and then the experiment's
        // job (which never runs twice at once) executes their runs one after the other.
        if (await store.HasOpenRunAsync(id, cancellationToken))
        {
            var open = (await store.ListRunsAsync(id, cancellationToken)).FirstOrDefault(r => r.Status is RunStatus.Queued or RunStatus.Running or RunStatus.Deferred);
            string which = open is null ? "Another run" : $"Run {open.Id:D} ({open.Status.ToString().ToLowerInvariant()}, {RunResponse.Location(open.Id)})";
            return ApiProblems.Conflict("id", $"{which} of experiment '{id}' is still open; queue another once it has finished.");
        }

        // AnalysisService logs the queued run with its window and trigger.
        var run = await queue.EnqueueAsync(id, new AnalysisParameters(Trigger, window), cancellationToken);
        await audit.RecordAsync("analysis.queued", $"{id}/{run.Id:D}", cancellationToken);
        return TypedResults.Accepted(RunResponse.Location(run.Id), RunResponse.From(run));
    }

    internal static async Task<Results<Ok<AggregatesRebuildResult>, NotFoundProblem, ConflictProblem, ValidationProblem>> RebuildAggregates(
        string id, ResultsStore store, IServiceProvider services, TimeProvider clock, AuditTrail audit, CancellationToken cancellationToken)
    {
        if (ExperimentIds.Malformed(id) is { } malformed)
            return malformed;
        if (await store.GetExperimentAsync(id, cancellationToken) is not { } experiment)
            return ExperimentIds.Unknown(id);
        if (services.GetService<AggregatesRebuild>() is not { } rebuild)
            return ApiProblems.Conflict("id", "This service reads no ClickHouse logs (ClickHouse:Endpoint is not set), so there are no aggregates to rebuild.");
        if (experiment.Type != ExperimentType.Ab)
            return ApiProblems.Conflict("type", $"Experiment '{id}' is a geo experiment; only A/B experiments keep per-unit aggregates.");
        if (AnalysisService.DefaultWindow(experiment, clock.GetUtcNow()) is { } window && window.End < window.Start)
            return ApiProblems.Conflict("experimentWindow",
                $"The experiment starts on {experiment.ExperimentWindow.Start:yyyy-MM-dd}: there is no complete day of data to fold yet.");

        var result = await rebuild.RebuildAsync(experiment, clock.GetUtcNow(), cancellationToken: cancellationToken);
        await audit.RecordAsync("aggregates.rebuilt", $"{id}/{result.FirstDay:yyyy-MM-dd}..{result.Through:yyyy-MM-dd}", cancellationToken);
        return TypedResults.Ok(result);
    }

    internal static async Task<Results<Ok<RunListResponse>, CsvResult, NotFoundProblem, ValidationProblem>> ListRuns(
        string id, string? format, HttpRequest request, ResultsStore store, CancellationToken cancellationToken)
    {
        if (ExperimentIds.Malformed(id) is { } malformed)
            return malformed;
        bool csv = CsvTable.Requested(request, format, out var badFormat);
        if (badFormat is not null)
            return badFormat;
        if (await store.GetExperimentAsync(id, cancellationToken) is null)
            return ExperimentIds.Unknown(id);
        var runs = await store.ListRunsAsync(id, cancellationToken);
        return csv
            ? new CsvResult(CsvTable.Write(RunTables.Build(runs)))
            : TypedResults.Ok(new RunListResponse(id, runs.Select(RunResponse.From).ToList()));
    }

    internal static async Task<Results<Ok<RunResponse>, NotFoundProblem, ValidationProblem>> GetRun(
        string runId, ResultsStore store, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(runId, out var id))
            return ApiProblems.Invalid("runId", "A run id is a GUID such as 3f2b8c1e-5d4a-4e7b-9c2d-1a0b9e8f7c6d (the id a queued analysis returned).");
        return await store.GetRunAsync(id, cancellationToken) is { } run
            ? TypedResults.Ok(RunResponse.From(run))
            : ApiProblems.NotFound("runId", $"There is no run {id:D}.");
    }
}
