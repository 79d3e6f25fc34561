using System.Globalization;
using Experiments.Api.Csv;
using Experiments.Api.Experiments;
using Experiments.Api.Infrastructure;
using Experiments.Jobs.Results;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Experiments.Api.PublishedResults;

/// <summary>
/// Published results: what analysis runs concluded, versioned per experiment and metric. Reading
/// never changes anything, and nothing published is ever overwritten.
/// </summary>
public static class PublishedResultsApi
{
    public static IEndpointRouteBuilder MapPublishedResults(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/experiments/{id}/results").WithTags("Results");
        group.MapGet("/", GetResults)
            .AllowOnly("metric", "version", "format", "table")
            .ProducesJsonOrCsv<ResultListResponse>()
            .WithSummary("The latest published result of each metric")
            .WithDescription("?metric=revenue keeps one metric; ?metric=revenue&version=3 gives that version. " + CsvDescription);
        group.MapGet("/history", GetHistory)
            .AllowOnly("metric", "format", "table")
            .ProducesJsonOrCsv<ResultListResponse>()
            .WithSummary("Every published version")
            .WithDescription("By metric, then version; ?metric=revenue keeps one metric. " + CsvDescription);
        return app;
    }

    private const string CsvDescription =
        "With Accept: text/csv or ?format=csv, one tidy table as CSV (invariant culture, ISO dates), chosen by ?table=: " +
        "comparisons (default), variants or cumulative for A/B experiments; summary (default), counterfactual, effect or weights for geo experiments.";

    internal static async Task<Results<Ok<ResultListResponse>, CsvResult, NotFoundProblem, ValidationProblem>> GetResults(
        string id, string? metric, string? version, string? format, string? table, HttpRequest request, ResultsStore store, CancellationToken cancellationToken)
    {
        if (ExperimentIds.Malformed(id) is { } malformed)
            return malformed;
        bool csv = CsvTable.Requested(request, format, out var badFormat);
        if (badFormat is not null)
            return badFormat;
        if (metric is not null && string.IsNullOrWhiteSpace(metric))
            return ApiProblems.Invalid("metric", "metric is empty; name one of the experiment's metrics or leave it out.");
        int? number = null;
        if (version is not null)
        {
            if (!int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v < 1)
                return ApiProblems.Invalid("version", "version must be a whole number from 1 up.");
            if (metric is null)
                return ApiProblems.Invalid("version", "Versions count per metric: give the metric too (?metric=revenue&version=3).");
            number = v;
        }
        if (await store.GetExperimentAsync(id, cancellationToken) is not { } experiment)
            return ExperimentIds.Unknown(id);
        var chosen = ChooseTable(experiment, csv, table, out var problem, out var notFound);
        if (problem is not null)
            return problem;
        if (notFound is not null)
            return notFound;

        if (metric is null)
        {
            var latest = await store.ListLatestResultsAsync(id, cancellationToken);
            return csv ? Table(experiment, chosen.GetValueOrDefault(), latest) : TypedResults.Ok(new ResultListResponse(id, latest.Select(PublishedResultResponse.From).ToList()));
        }
        var result = number is { } n
            ? await store.GetResultAsync(id, metric, n, cancellationToken)
            : await store.GetLatestResultAsync(id, metric, cancellationToken);
        if (result is not null)
            return csv ? Table(experiment, chosen.GetValueOrDefault(), [result]) : TypedResults.Ok(new ResultListResponse(id, [PublishedResultResponse.From(result)]));
        if (number is { } missing && await store.GetLatestResultAsync(id, metric, cancellationToken) is { } newest)
            return ApiProblems.NotFound("version", $"Metric '{metric}' of experiment '{id}' has versions 1 to {newest.Version}, not {missing}.");
        return NoSuchMetric(experiment, metric);
    }

    internal static async Task<Results<Ok<ResultListResponse>, CsvResult, NotFoundProblem, ValidationProblem>> GetHistory(
        string id, string? metric, string? format, string? table, HttpRequest request, ResultsStore store, CancellationToken cancellationToken)
    {
        if (ExperimentIds.Malformed(id) is { } malformed)
            return malformed;
        bool csv = CsvTable.Requested(request, format, out var badFormat);
        if (badFormat is not null)
            return badFormat;
        if (metric is not null && string.IsNullOrWhiteSpace(metric))
            return ApiProblems.Invalid("metric", "metric is empty; name one of the experiment's metrics or leave it out.");
        if (await store.GetExperimentAsync(id, cancellationToken) is not { } experiment)
            return ExperimentIds.Unknown(id);
        var chosen = ChooseTable(experiment, csv, table, out var problem, out var notFound);
        if (problem is not null)
            return problem;
        if (notFound is not null)
            return notFound;
        var results = await store.ListResultsAsync(id, metric, cancellationToken);
        if (metric is not null && results.Count == 0)
            return NoSuchMetric(experiment, metric);
        return csv ? Table(experiment, chosen.GetValueOrDefault(), results) : TypedResults.Ok(new ResultListResponse(id, results.Select(PublishedResultResponse.From).ToList()));
    }

    /// <summary>The CSV table asked for (the type's default without <c>?table=</c>); null when JSON was asked for or the choice is refused.</summary>
    private static ResultTable? ChooseTable(ExperimentDefinition experiment, bool csv, string? table, out ValidationProblem? problem, out NotFoundProblem? notFound)
    {
        problem = null;
        notFound = null;
        if (!csv)
        {
            if (table is not null)
                problem = ApiProblems.Invalid("table", "table picks a CSV table; ask for CSV too (?format=csv or Accept: text/csv).");
            return null;
        }
        if (table is null)
            return ResultTables.Default(experiment.Type);
        if (ResultTables.Parse(table) is not { } parsed)
        {
            problem = ApiProblems.Invalid("table", $"There is no table '{table}'; the tables are {string.Join(", ", ResultTables.Names)}.");
            return null;
        }
        if (!ResultTables.AppliesTo(parsed, experiment.Type))
        {
            string type = experiment.Type == ExperimentType.Ab ? "an A/B experiment" : "a geo experiment";
            notFound = ApiProblems.NotFound("table", $"The {table} table does not apply to '{experiment.Id}', {type}; its tables: {string.Join(", ", ResultTables.Names.Where(n => ResultTables.AppliesTo(ResultTables.Parse(n)!.Value, experiment.Type)))}.");
            return null;
        }
        return parsed;
    }

    private static Results<Ok<ResultListResponse>, CsvResult, NotFoundProblem, ValidationProblem> Table(
        ExperimentDefinition experiment, ResultTable table, IReadOnlyList<PublishedResult> results) =>
        ResultTables.Build(table, experiment, results) is { } frame
            ? new CsvResult(CsvTable.Write(frame))
            : ApiProblems.NotFound("table", $"The published results of '{experiment.Id}' carry no {ResultTables.Names[(int)table]} table: analysis runs publish the conformal interval, donor weights and the counterfactual; in-space placebos come from POST /api/v1/stats/synthetic-control.");

    /// <summary>A 404 for a metric without results: either not one of the experiment's, or not published yet.</summary>
    private static NotFoundProblem NoSuchMetric(ExperimentDefinition experiment, string metric) =>
        experiment.Metrics.Any(m => m.Name == metric)
            ? ApiProblems.NotFound("metric", $"No result of metric '{metric}' has been published yet; queue an analysis with POST /api/v1/experiments/{experiment.Id}/analyses.")
            : ApiProblems.NotFound("metric", $"Experiment '{experiment.Id}' has no metric '{metric}' (its metrics: {string.Join(", ", experiment.Metrics.Select(m => m.Name))}).");
}
