using System.Diagnostics;
using Experiments.Engine;
using Experiments.Engine.AbTesting;
using Experiments.Engine.Inference;
using Experiments.Engine.Power;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Experiments.Api.Statistics;

/// <summary>Stateless statistics for notebooks: post data, get estimates with their uncertainty.</summary>
public static partial class StatisticsApi
{
    public static IEndpointRouteBuilder MapStatistics(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/stats").WithTags("Statistics");
        group.MapPost("/ab", AnalyzeAb)
            .WithSummary("A/B/n analysis of one metric")
            .WithDescription("Absolute and relative lift with intervals and p-values for every treatment against the control: Welch t tests, delta-method relative lift and ratio metrics, optional CUPED, sample-ratio check, Holm/BH adjustment, optional always-valid sequential intervals.");
        group.MapPost("/ab/metrics", AnalyzeMetrics)
            .WithSummary("A/B/n analysis of several metrics with one multiplicity correction")
            .WithDescription("Each entry of metrics is an /ab request; adjusted p-values treat every treatment of every metric as one family (Holm by default, or Benjamini–Hochberg).");
        group.MapPost("/synthetic-control", AnalyzeSyntheticControl)
            .WithSummary("Synthetic control / geo experiment analysis")
            .WithDescription("Donor weights, the counterfactual path, the average effect with a conformal interval and p-value, lift, incremental outcome and iROAS, and in-space placebos. Without predictors the fit is on the pre-period outcome path (GeoLift); with predictors it is Synth's nested optimisation.");
        group.MapPost("/geo-power", PlanGeoExperiment)
            .WithSummary("Geo experiment power analysis and market selection")
            .WithDescription("Injects each effect into history over many simulated test windows for every candidate treated set and duration, estimates it with the synthetic-control analysis and its conformal test, and ranks the designs by minimum detectable effect, power and pre-period fit; power at zero effect is the false-positive rate.");
        group.MapPost("/tbr", AnalyzeTbr)
            .WithSummary("Time-based regression for a treatment/control geo split")
            .WithDescription("Kerman, Wang & Vaver (2017): the treatment group's counterfactual from a pre-period regression on the control group; incremental outcome, relative lift and iROAS with intervals, per test period and cumulative.");
        group.MapPost("/power", PlanPower)
            .WithSummary("Sample size, duration and MDE")
            .WithDescription("Units per variant and days for a relative MDE, and the MDE reachable in planned days, with and without CUPED.");
        return app;
    }

    internal static Results<Ok<AbResponse>, ValidationProblem> AnalyzeAb(AbRequest request, ILoggerFactory loggers)
    {
        var (result, covariateNames) = Analyze(request, loggers.CreateLogger("Experiments.Api.Statistics"), metricName: null);
        return TypedResults.Ok(AbResponse.From(result, covariateNames));
    }

    internal static Results<Ok<MetricsResponse>, ValidationProblem> AnalyzeMetrics(MetricsRequest request, ILoggerFactory loggers)
    {
        if (request.Metrics is not { Count: > 0 } metrics)
            throw new StatisticsInputException("metrics", "Give the metrics: an object whose keys are metric names and whose values are /ab requests.");
        var logger = loggers.CreateLogger("Experiments.Api.Statistics");
        var correction = request.Correction ?? MultipleTestingCorrection.Holm;
        var analyses = new List<(string Name, AbAnalysisResult Result, IReadOnlyList<string>? Covariates)>();
        foreach (var (name, metric) in metrics)
        {
            if (metric is null)
                throw new StatisticsInputException($"metrics.{name}", $"Metric '{name}' must be an /ab request object.");
            try
            {
                var (result, covariates) = Analyze(metric, logger, name);
                analyses.Add((name, result, covariates));
            }
            catch (StatisticsInputException e)
            {
                throw new StatisticsInputException($"metrics.{name}.{e.Field}", $"Metric '{name}': {e.Message}");
            }
        }
        var adjusted = AbAnalysis.AdjustAcrossMetrics(analyses.Select(a => a.Result).ToList(), correction);
        return TypedResults.Ok(new MetricsResponse(correction,
            analyses.Select((a, i) => (a.Name, Response: AbResponse.From(adjusted[i], a.Covariates)))
                .ToDictionary(a => a.Name, a => a.Response)));
    }

    private static (AbAnalysisResult Result, IReadOnlyList<string>? CovariateNames) Analyze(AbRequest request, ILogger logger, string? metricName)
    {
        var clock = Stopwatch.StartNew();
        var options = AbRequestMapper.Options(request);
        var variants = AbRequestMapper.Variants(request);
        IReadOnlyList<string>? covariateNames = null;
        AbAnalysisResult result;
        TimeSpan prepare;
        if (options.Metric == MetricKind.Ratio)
        {
            var ratio = AbRequestMapper.RatioVariants(variants);
            prepare = clock.Elapsed;
            result = AbAnalysis.Analyze(ratio, options);
        }
        else
        {
            var means = AbRequestMapper.MeanVariants(variants, options.Metric);
            if (options.Cuped)
                covariateNames = CovariateNames(variants, means[0].Statistics.CovariateCount);
            prepare = clock.Elapsed;
            result = AbAnalysis.Analyze(means, options);
        }
        var total = clock.Elapsed;
        LogAnalysis(logger, metricName ?? "(single)", result.Metric, options.Cuped, options.Sequential, result.Variants.Count,
            result.Variants.Sum(v => v.Count), result.Srm.Mismatch, result.EngineVersion,
            prepare.TotalMilliseconds, (total - prepare).TotalMilliseconds);
        return (result, covariateNames);
    }

    internal static Results<Ok<TbrResponse>, ValidationProblem> AnalyzeTbr(TbrRequest request, ILoggerFactory loggers,
        Microsoft.Extensions.Options.IOptions<WorkLimits> limits)
    {
        var clock = Stopwatch.StartNew();
        limits.Value.CheckRows(request.Rows?.Count ?? 0);
        var response = TbrRequestMapper.Analyze(request);
        LogTbr(loggers.CreateLogger("Experiments.Api.Statistics"), request.Rows?.Count ?? 0, response.PrePeriods, response.Series.Count,
            response.EngineVersion, clock.Elapsed.TotalMilliseconds);
        return TypedResults.Ok(response);
    }

    internal static Results<Ok<PowerResult>, ValidationProblem> PlanPower(PowerRequest request, ILoggerFactory loggers)
    {
        var result = PowerAnalysis.Plan(request.ToInput());
        LogPower(loggers.CreateLogger("Experiments.Api.Statistics"), request.RelativeMde, request.Days, result.WithoutCuped.SampleSizePerVariant, EngineInfo.Version);
        return TypedResults.Ok(result);
    }

    private static IReadOnlyList<string> CovariateNames(List<AbVariantRequest> variants, int expandedCount)
    {
        var first = variants[0];
        var names = first.Covariates?.Keys.ToList() ?? (first.X is not null ? ["x"] : new List<string>());
        if (first.CovariateSums?.SumX is { } sums)
            names = Enumerable.Range(1, sums.Length).Select(j => $"x{j}").ToList();
        else if (first.SumX is not null)
            names = ["x"];
        // Missing-value indicators are appended by the engine in input order.
        var missing = names.Where((_, j) => variants.Any(v =>
            (v.Covariates is { } c ? c[names[j]] : v.X)?.Any(value => value is null) == true)).Select(n => $"{n} (missing)");
        var all = names.Concat(missing).ToList();
        return all.Count == expandedCount ? all : Enumerable.Range(1, expandedCount).Select(j => $"x{j}").ToList();
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information,
        Message = "A/B analysis {MetricName}: metric {Metric}, cuped {Cuped}, sequential {Sequential}, {VariantCount} variants, {Units} units, SRM mismatch {SrmMismatch}, engine {EngineVersion}; prepare {PrepareMs:F3} ms, estimate {EstimateMs:F3} ms")]
    private static partial void LogAnalysis(ILogger logger, string metricName, MetricKind metric, bool cuped, bool sequential, int variantCount,
        long units, bool srmMismatch, string engineVersion, double prepareMs, double estimateMs);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information,
        Message = "TBR: {RowCount} rows, {PrePeriods} pre-periods, {TestPeriods} test periods, engine {EngineVersion}; {ElapsedMs:F2} ms")]
    private static partial void LogTbr(ILogger logger, int rowCount, int prePeriods, int testPeriods, string engineVersion, double elapsedMs);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information,
        Message = "Power plan: relative MDE {RelativeMde}, planned days {Days}, units per variant {SampleSizePerVariant}, engine {EngineVersion}")]
    private static partial void LogPower(ILogger logger, double? relativeMde, double? days, long? sampleSizePerVariant, string engineVersion);
}
