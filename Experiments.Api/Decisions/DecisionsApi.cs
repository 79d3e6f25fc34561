using Microsoft.Extensions.Caching.Memory;
using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using Experiments.Api.Infrastructure;
using Experiments.Jobs.Results;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Experiments.Api.Decisions;

/// <summary>
/// The A/B decision API for product systems: ship, keep running, stop or investigate, from published
/// results only — never a query or an analysis. Each answer carries a strong ETag over everything it
/// depends on (the definition, the latest result version of each metric, the day, the settings) and
/// <c>Cache-Control: private, max-age</c>, so a system polling every second mostly gets a 304.
/// </summary>
public static class DecisionsApi
{
    /// <summary>Adds the decision settings (section <c>Decisions</c>), validated at start-up.</summary>
    public static IServiceCollection AddDecisions(this IServiceCollection services)
    {
        services.AddOptions<DecisionOptions>().BindConfiguration(DecisionOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DecisionOptions>, DecisionOptionsValidator>();
        return services;
    }

    public static IEndpointRouteBuilder MapDecisions(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/decisions").WithTags("Decisions");
        group.MapGet("/{experimentId}", GetDecision)
            .AllowOnly()
            .Produces(StatusCodes.Status304NotModified)
            .WithSummary("Ship, keep running, stop or investigate: one experiment")
            .WithDescription("From published results only. Carries a strong ETag and Cache-Control: private, max-age; If-None-Match with the ETag gives a 304.");
        group.MapPost("/", PostDecisions)
            .AllowOnly()
            .WithSummary("Decisions for several experiments")
            .WithDescription($"Body {{\"experimentIds\": [...]}} with 1 to {DecisionOptions.MaximumBatch} distinct ids; ids without an experiment are listed under notFound. Carries an ETag over all the answers.");
        return app;
    }

    internal static async Task<Results<Ok<DecisionAnswer>, StatusCodeHttpResult, NotFoundProblem, ValidationProblem>> GetDecision(
        string experimentId, HttpContext http, ResultsStore store, TimeProvider clock, IOptions<DecisionOptions> options, IMemoryCache cache,
        CancellationToken cancellationToken)
    {
        if (!ExperimentDefinition.IsValidId(experimentId))
            return ApiProblems.Invalid("experimentId", ExperimentDefinition.IdRule);
        var today = Today(clock);
        // A product system polls every second: the answer (and its tag) is reused for ServerCacheSeconds.
        string cacheKey = $"decision:{experimentId}:{today.DayNumber}";
        if (!cache.TryGetValue(cacheKey, out (DecisionAnswer Answer, EntityTagHeaderValue Tag) cached))
        {
            if (await store.GetExperimentAsync(experimentId, cancellationToken) is not { } experiment)
                return ApiProblems.NotFound("experimentId", $"There is no experiment '{experimentId}'.");
            var latest = await store.ListLatestResultsAsync(experimentId, cancellationToken);
            cached = (DecisionRules.Decide(experiment, latest, today, options.Value),
                new EntityTagHeaderValue(Tag([(experiment, latest)], today, options.Value)));
            if (options.Value.ServerCacheSeconds > 0)
                cache.Set(cacheKey, cached, TimeSpan.FromSeconds(options.Value.ServerCacheSeconds));
        }
        SetCaching(http, cached.Tag, options.Value);
        if (http.Request.GetTypedHeaders().IfNoneMatch is { Count: > 0 } ifNoneMatch
            && ifNoneMatch.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(cached.Tag, useStrongComparison: false)))
        {
            DecisionMetrics.NotModified();
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }
        DecisionMetrics.Record(cached.Answer);
        return TypedResults.Ok(cached.Answer);
    }

    internal static async Task<Results<Ok<DecisionBatchResponse>, ValidationProblem>> PostDecisions(
        DecisionBatchRequest? request, HttpContext http, ResultsStore store, TimeProvider clock, IOptions<DecisionOptions> options, CancellationToken cancellationToken)
    {
        if (request is null)
            return ApiProblems.Invalid("body", "Send {\"experimentIds\": [...]} with 1 to 100 experiment ids.");
        if (request.ExperimentIds is not { Count: > 0 } ids)
            return ApiProblems.Invalid("experimentIds", $"Give experimentIds: 1 to {DecisionOptions.MaximumBatch} experiment ids.");
        if (ids.Count > DecisionOptions.MaximumBatch)
            return ApiProblems.Invalid("experimentIds", $"At most {DecisionOptions.MaximumBatch} experiment ids per request (got {ids.Count}); split the list.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < ids.Count; i++)
        {
            if (!ExperimentDefinition.IsValidId(ids[i]))
                return ApiProblems.Invalid($"experimentIds[{i}]", ExperimentDefinition.IdRule);
            if (!seen.Add(ids[i]!))
                return ApiProblems.Invalid($"experimentIds[{i}]", $"'{ids[i]}' is asked for twice.");
        }

        var today = Today(clock);
        var found = new List<(ExperimentDefinition Experiment, IReadOnlyList<PublishedResult> Latest)>(ids.Count);
        var notFound = new List<string>();
        foreach (var id in ids)
        {
            if (await store.GetExperimentAsync(id!, cancellationToken) is { } experiment)
                found.Add((experiment, await store.ListLatestResultsAsync(id!, cancellationToken)));
            else
                notFound.Add(id!);
        }
        SetCaching(http, new EntityTagHeaderValue(Tag(found, today, options.Value, notFound)), options.Value);
        var answers = found.Select(f => DecisionRules.Decide(f.Experiment, f.Latest, today, options.Value)).ToList();
        answers.ForEach(DecisionMetrics.Record);
        return TypedResults.Ok(new DecisionBatchResponse(answers, notFound));
    }

    private static DateOnly Today(TimeProvider clock) => DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);

    private static void SetCaching(HttpContext http, EntityTagHeaderValue tag, DecisionOptions options)
    {
        var headers = http.Response.GetTypedHeaders();
        headers.ETag = tag;
        headers.CacheControl = new CacheControlHeaderValue { Private = true, MaxAge = TimeSpan.FromSeconds(options.MaxAgeSeconds) };
    }

    /// <summary>
    /// A strong ETag over everything an answer depends on: each experiment's stored definition (its status
    /// included), the metric and version of each latest result, today's date (staleness and days left move
    /// with it) and the settings. Results are never overwritten, so a version names its content.
    /// </summary>
    private static string Tag(IEnumerable<(ExperimentDefinition Experiment, IReadOnlyList<PublishedResult> Latest)> answers, DateOnly today,
        DecisionOptions options, IEnumerable<string>? notFound = null)
    {
        var text = new StringBuilder();
        text.Append("decisions-v1|").Append(today.DayNumber).Append('|').Append(options.StaleAfterDays).Append('|').Append(options.Power).Append('|');
        foreach (var (experiment, latest) in answers)
        {
            text.Append(ResultsJson.Serialize(experiment)).Append('|');
            foreach (var result in latest.OrderBy(r => r.Metric, StringComparer.Ordinal))
                text.Append(result.Metric).Append(':').Append(result.Version).Append('|');
        }
        foreach (var id in notFound ?? [])
            text.Append("missing:").Append(id).Append('|');
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return "\"" + Convert.ToHexStringLower(hash.AsSpan(0, 16)) + "\"";
    }

    private sealed class DecisionOptionsValidator : IValidateOptions<DecisionOptions>
    {
        public ValidateOptionsResult Validate(string? name, DecisionOptions options)
        {
            var failures = options.Validate(new ValidationContext(options)).Select(r => r.ErrorMessage ?? "invalid").ToList();
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
