using Experiments.Api.Experiments;
using Experiments.Api.Infrastructure;
using Experiments.Charts;
using Experiments.Jobs.Results;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Experiments.Api.Charts;

/// <summary>
/// Charts of published results, rendered on the server: <c>GET /api/v1/experiments/{id}/charts/{chart}.{png|svg}</c>.
/// They read published results only, never start a query or an analysis.
/// </summary>
public static class ChartsApi
{
    public static IEndpointRouteBuilder MapCharts(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/experiments/{id}/charts").WithTags("Charts");
        group.MapGet("/{chart}.{format}", GetChart)
            .AllowOnly("metric")
            .WithSummary("A chart of the published results, PNG or SVG")
            .WithDescription("chart: lift (lift by metric with intervals, a forest plot; A/B and geo), cumulative (cumulative lift over time with its band: the always-valid daily path of an A/B test, the incremental outcome of each published version of a geo experiment), counterfactual (actual vs synthetic control with the band and the treatment start; geo), effect (effect per day; geo), placebos (placebo distribution with the observed value; geo). format: png (1600×800, 2× density) or svg (800×400, with <title> and <desc>). ?metric= picks the metric of cumulative, counterfactual, effect and placebos (default: the primary, first metric). 404 when the chart does not apply to the experiment's type or nothing has been published.")
            .Produces(StatusCodes.Status200OK, typeof(Stream), "image/png", "image/svg+xml");
        app.MapPost("/api/v1/stats/power/curve.{format}", GetPowerCurve)
            .WithTags("Statistics", "Charts")
            .WithSummary("The power curve of a plan, PNG or SVG")
            .WithDescription("The body of POST /api/v1/stats/power. Power against the true relative lift at the plan's units per variant (from relativeMde, or from days × dailyUnits), with the target power and the minimum detectable lift marked; with covariateCorrelation a second curve with CUPED at the same traffic.")
            .Produces(StatusCodes.Status200OK, typeof(Stream), "image/png", "image/svg+xml");
        return app;
    }

    internal static async Task<Results<FileContentHttpResult, NotFoundProblem, ValidationProblem>> GetChart(
        string id, string chart, string format, string? metric, ResultsStore store, CancellationToken cancellationToken)
    {
        if (ExperimentIds.Malformed(id) is { } malformed)
            return malformed;
        if (!TryParseLower(chart, out var kind))
            return ApiProblems.NotFound("chart", $"There is no chart '{chart}'; the charts are {string.Join(", ", PublishedResultCharts.Names)}.");
        ChartFormat? imageFormat = format switch { "png" => ChartFormat.Png, "svg" => ChartFormat.Svg, _ => null };
        if (imageFormat is not { } output)
            return ApiProblems.NotFound("format", $"Charts are served as .png or .svg, not .{format}.");
        if (metric is not null && string.IsNullOrWhiteSpace(metric))
            return ApiProblems.Invalid("metric", "metric is empty; name one of the experiment's metrics or leave it out.");
        if (await store.GetExperimentAsync(id, cancellationToken) is not { } experiment)
            return ExperimentIds.Unknown(id);
        string name = chart.ToLowerInvariant();
        string type = experiment.Type == ExperimentType.Ab ? "an A/B experiment" : "a geo experiment";
        if (!PublishedResultCharts.AppliesTo(kind, experiment.Type))
            return ApiProblems.NotFound("chart", $"The {name} chart applies to geo experiments; '{id}' is {type}. Its charts: {string.Join(", ", PublishedResultCharts.Names.Where(n => PublishedResultCharts.AppliesTo(Enum.Parse<ChartKind>(n, true), experiment.Type)))}.");

        MetricDefinition? chosen = null;
        if (kind != ChartKind.Lift)
        {
            chosen = metric is null ? experiment.Metrics[0] : experiment.Metrics.FirstOrDefault(m => m.Name == metric);
            if (chosen is null)
                return ApiProblems.NotFound("metric", $"Experiment '{id}' has no metric '{metric}' (its metrics: {string.Join(", ", experiment.Metrics.Select(m => m.Name))}).");
        }
        else if (metric is not null)
        {
            return ApiProblems.Invalid("metric", "The lift chart shows every metric; leave metric out.");
        }

        string nothingPublished = $"Nothing has been published for {(chosen is null ? $"experiment '{id}'" : $"metric '{chosen.Name}' of experiment '{id}'")} yet; queue an analysis with POST /api/v1/experiments/{id}/analyses.";
        Chart? drawn;
        switch (kind)
        {
            case ChartKind.Lift:
            {
                var latest = await store.ListLatestResultsAsync(id, cancellationToken);
                if (latest.Count == 0)
                    return ApiProblems.NotFound("chart", nothingPublished);
                drawn = PublishedResultCharts.Lift(experiment, latest) is { } data ? ExperimentCharts.Lift(data) : null;
                if (drawn is null)
                    return ApiProblems.NotFound("chart", experiment.Type == ExperimentType.Ab
                        ? $"No published result of '{id}' has a relative lift (a control mean of zero leaves it undefined)."
                        : $"No published result of '{id}' has a lift % (a synthetic total that is not positive leaves it undefined).");
                break;
            }
            case ChartKind.Cumulative:
            {
                var versions = await store.ListResultsAsync(id, chosen!.Name, cancellationToken);
                if (versions.Count == 0)
                    return ApiProblems.NotFound("chart", nothingPublished);
                if (PublishedResultCharts.Cumulative(experiment, chosen, versions) is not { } data)
                    return ApiProblems.NotFound("chart", experiment.Type == ExperimentType.Ab
                        ? $"The published result of '{chosen.Name}' has no daily path (ratio metrics have none, and days with too little data are left out)."
                        : $"No published version of '{chosen.Name}' covers a day of the treatment yet.");
                drawn = ExperimentCharts.Cumulative(data);
                break;
            }
            case ChartKind.Counterfactual or ChartKind.Effect:
            {
                if (await store.GetLatestResultAsync(id, chosen!.Name, cancellationToken) is not { } latest)
                    return ApiProblems.NotFound("chart", nothingPublished);
                var data = PublishedResultCharts.Counterfactual(experiment, chosen, latest);
                drawn = kind == ChartKind.Counterfactual ? ExperimentCharts.Counterfactual(data) : ExperimentCharts.Effect(data);
                break;
            }
            default:
            {
                if (await store.GetLatestResultAsync(id, chosen!.Name, cancellationToken) is null)
                    return ApiProblems.NotFound("chart", nothingPublished);
                return ApiProblems.NotFound("chart",
                    $"The published results of '{id}' carry no placebo distribution: analysis runs publish the conformal interval, donor weights and the counterfactual. In-space placebos come from POST /api/v1/stats/synthetic-control on the panel.");
            }
        }
        using (drawn)
            return TypedResults.File(drawn.Render(output), Chart.ContentType(output));
    }

    internal static Results<FileContentHttpResult, NotFoundProblem, ValidationProblem> GetPowerCurve(string format, Statistics.PowerRequest request)
    {
        ChartFormat? imageFormat = format switch { "png" => ChartFormat.Png, "svg" => ChartFormat.Svg, _ => null };
        if (imageFormat is not { } output)
            return ApiProblems.NotFound("format", $"Charts are served as .png or .svg, not .{format}.");
        using var chart = ExperimentCharts.Power(PowerCurves.For(request.ToInput()));
        return TypedResults.File(chart.Render(output), Chart.ContentType(output));
    }

    private static bool TryParseLower(string text, out ChartKind kind)
    {
        int index = PublishedResultCharts.Names.ToList().IndexOf(text);
        kind = index >= 0 ? (ChartKind)index : default;
        return index >= 0;
    }
}
