using System.Globalization;
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
            .AllowOnly("metric", "version")
            .WithSummary("The latest published result of each metric")
            .WithDescription("?metric=revenue keeps one metric; ?metric=revenue&version=3 gives that version.");
        group.MapGet("/history", GetHistory)
            .AllowOnly("metric")
            .WithSummary("Every published version")
            .WithDescription("By metric, then version; ?metric=revenue keeps one metric.");
        return app;
    }

    internal static async Task<Results<Ok<ResultListResponse>, NotFoundProblem, ValidationProblem>> GetResults(
        string id, string? metric, string? version, ResultsStore store, CancellationToken cancellationToken)
    {
        if (ExperimentIds.Malformed(id) is { } malformed)
            return malformed;
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

        if (metric is null)
        {
            var latest = await store.ListLatestResultsAsync(id, cancellationToken);
            return TypedResults.Ok(new ResultListResponse(id, latest.Select(PublishedResultResponse.From).ToList()));
        }
        var result = number is { } n
            ? await store.GetResultAsync(id, metric, n, cancellationToken)
            : await store.GetLatestResultAsync(id, metric, cancellationToken);
        if (result is not null)
            return TypedResults.Ok(new ResultListResponse(id, [PublishedResultResponse.From(result)]));
        if (number is { } missing && await store.GetLatestResultAsync(id, metric, cancellationToken) is { } newest)
            return ApiProblems.NotFound("version", $"Metric '{metric}' of experiment '{id}' has versions 1 to {newest.Version}, not {missing}.");
        return NoSuchMetric(experiment, metric);
    }

    internal static async Task<Results<Ok<ResultListResponse>, NotFoundProblem, ValidationProblem>> GetHistory(
        string id, string? metric, ResultsStore store, CancellationToken cancellationToken)
    {
        if (ExperimentIds.Malformed(id) is { } malformed)
            return malformed;
        if (metric is not null && string.IsNullOrWhiteSpace(metric))
            return ApiProblems.Invalid("metric", "metric is empty; name one of the experiment's metrics or leave it out.");
        if (await store.GetExperimentAsync(id, cancellationToken) is not { } experiment)
            return ExperimentIds.Unknown(id);
        var results = await store.ListResultsAsync(id, metric, cancellationToken);
        if (metric is not null && results.Count == 0)
            return NoSuchMetric(experiment, metric);
        return TypedResults.Ok(new ResultListResponse(id, results.Select(PublishedResultResponse.From).ToList()));
    }

    /// <summary>A 404 for a metric without results: either not one of the experiment's, or not published yet.</summary>
    private static NotFoundProblem NoSuchMetric(ExperimentDefinition experiment, string metric) =>
        experiment.Metrics.Any(m => m.Name == metric)
            ? ApiProblems.NotFound("metric", $"No result of metric '{metric}' has been published yet; queue an analysis with POST /api/v1/experiments/{experiment.Id}/analyses.")
            : ApiProblems.NotFound("metric", $"Experiment '{experiment.Id}' has no metric '{metric}' (its metrics: {string.Join(", ", experiment.Metrics.Select(m => m.Name))}).");
}
