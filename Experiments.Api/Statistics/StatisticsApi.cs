using System.Diagnostics;
using Experiments.Engine;
using Experiments.Engine.AbTesting;
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
        group.MapPost("/power", PlanPower)
            .WithSummary("Sample size, duration and MDE")
            .WithDescription("Units per variant and days for a relative MDE, and the MDE reachable in planned days, with and without CUPED.");
        return app;
    }

    internal static Results<Ok<AbResponse>, ValidationProblem> AnalyzeAb(AbRequest request, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger("Experiments.Api.Statistics");
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
        LogAnalysis(logger, result.Metric, options.Cuped, options.Sequential, result.Variants.Count,
            result.Variants.Sum(v => v.Count), result.Srm.Mismatch, result.EngineVersion,
            prepare.TotalMilliseconds, (total - prepare).TotalMilliseconds);
        return TypedResults.Ok(AbResponse.From(result, covariateNames));
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
        Message = "A/B analysis: metric {Metric}, cuped {Cuped}, sequential {Sequential}, {VariantCount} variants, {Units} units, SRM mismatch {SrmMismatch}, engine {EngineVersion}; prepare {PrepareMs:F3} ms, estimate {EstimateMs:F3} ms")]
    private static partial void LogAnalysis(ILogger logger, MetricKind metric, bool cuped, bool sequential, int variantCount,
        long units, bool srmMismatch, string engineVersion, double prepareMs, double estimateMs);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information,
        Message = "Power plan: relative MDE {RelativeMde}, planned days {Days}, units per variant {SampleSizePerVariant}, engine {EngineVersion}")]
    private static partial void LogPower(ILogger logger, double? relativeMde, double? days, long? sampleSizePerVariant, string engineVersion);
}
