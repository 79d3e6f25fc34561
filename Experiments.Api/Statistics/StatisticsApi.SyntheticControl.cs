using System.Diagnostics;
using Experiments.Engine;
using Experiments.Engine.Geo;
using Experiments.Engine.SyntheticControl;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Experiments.Api.Statistics;

public static partial class StatisticsApi
{
    internal static Results<Ok<SyntheticControlResponse>, ValidationProblem> AnalyzeSyntheticControl(SyntheticControlRequest request, ILoggerFactory loggers,
        Microsoft.Extensions.Options.IOptions<WorkLimits> limits, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        limits.Value.CheckRows(request.Rows?.Count ?? 0);
        if (request.Placebos != false)
        {
            int units = request.Rows?.Where(r => r?.Unit is not null).Select(r => r!.Unit).Distinct().Count() ?? 0;
            if (units + 1 > limits.Value.MaxSyntheticControlFits)
                throw new WorkLimitException("placebos",
                    $"In-space placebos over {units:N0} markets need {units + 1:N0} fits, over the limit of {limits.Value.MaxSyntheticControlFits:N0} (Limits:MaxSyntheticControlFits); "
                    + "send \"placebos\": false, or fewer donor markets.");
        }
        var (treated, start) = SyntheticControlRequestMapper.Treatment(request);
        var panel = SyntheticControlRequestMapper.Panel(request);
        var predictors = SyntheticControlRequestMapper.Predictors(request, panel, start);
        var method = request.Method ?? SyntheticControlMethod.Scm;
        double alpha = request.Alpha ?? 0.1;
        bool fixedEffects = request.FixedEffects ?? predictors.Count == 0;
        if (method == SyntheticControlMethod.Augmented && predictors.Count > 0)
            throw new StatisticsInputException("method", "The augmented method fits the outcome path; drop the predictors or use \"scm\".");
        if (predictors.Count > 0 && request.Placebos == false)
            throw new StatisticsInputException("placebos", "With predictors, inference is by in-space placebos; leave \"placebos\" on.");
        if (predictors.Count == 0 && request.OptimizationPeriods is not null)
            throw new StatisticsInputException("optimizationPeriods", "optimizationPeriods chooses predictor weights; without predictors the fit uses every pre-period.");
        var prepared = clock.Elapsed;

        var specification = new SyntheticControlSpecification
        {
            TreatedUnits = treated,
            TreatmentStart = start,
            DonorUnits = request.DonorUnits,
            Predictors = predictors,
            LossPeriods = request.OptimizationPeriods,
            OutcomeCentering = fixedEffects ? OutcomeCentering.UnitPreTreatmentMean : OutcomeCentering.None,
        };
        InSpacePlaceboResult? placebo = request.Placebos ?? true
            ? SyntheticControlInference.InSpacePlacebo(panel, specification, new InSpacePlaceboOptions { CancellationToken = cancellationToken })
            : null;

        SyntheticControlResponse response = predictors.Count == 0
            ? OutcomePath(panel, request, treated, start, method, alpha, fixedEffects, placebo)
            : PredictorBased(panel, request, specification, alpha, placebo);
        var total = clock.Elapsed;
        LogSyntheticControl(loggers.CreateLogger("Experiments.Api.Statistics"), method, predictors.Count, panel.Units.Count, panel.Periods.Count,
            treated.Count, placebo is not null, EngineInfo.Version, prepared.TotalMilliseconds, (total - prepared).TotalMilliseconds);
        return TypedResults.Ok(response);
    }

    private static SyntheticControlResponse OutcomePath(Panel panel, SyntheticControlRequest request, List<string> treated, int start,
        SyntheticControlMethod method, double alpha, bool fixedEffects, InSpacePlaceboResult? placebo)
    {
        var result = GeoExperiment.Analyze(panel, new GeoExperimentSpecification
        {
            TreatedUnits = treated,
            TreatmentStart = start,
            DonorUnits = request.DonorUnits,
            Model = method == SyntheticControlMethod.Augmented ? GeoModel.Augmented : GeoModel.SyntheticControl,
            FixedEffects = fixedEffects,
            Alpha = alpha,
            Spend = request.Spend,
            PointwiseIntervals = request.PointwiseIntervals ?? true,
        });
        static IntervalResponse Interval(GeoInterval i) => new(i.Estimate, i.Lower, i.Upper);
        return new SyntheticControlResponse(method, fixedEffects, alpha,
            result.Weights.ToDictionary(w => w.Unit, w => w.Weight),
            result.PreRmspe, result.L2Imbalance, result.ScaledL2Imbalance, result.RidgeLambda,
            new EffectResponse(result.Effect.Estimate, result.Effect.Lower, result.Effect.Upper, result.Effect.PValue, result.Effect.SharpNullPValue),
            result.LiftPercent is { } lift ? Interval(lift) : null, result.LiftUnavailableReason,
            Interval(result.Incremental), result.Iroas is { } iroas ? Interval(iroas) : null,
            result.Series.Select(s => new SeriesPointResponse(s.Period, s.Actual, s.Synthetic, s.Lower, s.Upper)).ToList(),
            Placebo(placebo), null,
            new InferenceResponse("conformal",
                "Chernozhukov, Wüthrich & Zhu (2021) conformal inference with seeded permutations: pValue tests no average effect and the interval " +
                "inverts the same test (statistic |Σ residual|), so they agree; sharpNullPValue is GeoLift's test of no effect in any post period " +
                "(statistic Σ|residual|); lift, incremental and iROAS intervals are images of the effect interval."),
            EngineInfo.Version);
    }

    private static SyntheticControlResponse PredictorBased(Panel panel, SyntheticControlRequest request, SyntheticControlSpecification specification,
        double alpha, InSpacePlaceboResult? placebo)
    {
        ArgumentNullException.ThrowIfNull(placebo);
        var fit = placebo.TreatedFit;
        var post = fit.Path.Where(p => p.IsPostTreatment).ToList();
        int treatedCount = specification.TreatedUnits.Count;
        double incremental = fit.Effect.Cumulative * treatedCount;
        double? iroas = null;
        if (request.Spend is { } spend)
        {
            double total = specification.TreatedUnits.Sum(u => spend.TryGetValue(u, out var s)
                ? s
                : throw new StatisticsInputException($"spend[{u}]", $"No spend is given for treated unit '{u}'."));
            iroas = total != 0 ? incremental / total : null;
        }
        double syntheticTotal = post.Sum(p => p.Synthetic);
        return new SyntheticControlResponse(SyntheticControlMethod.Scm, specification.OutcomeCentering == OutcomeCentering.UnitPreTreatmentMean, alpha,
            fit.Weights.ToDictionary(w => w.Unit, w => w.Weight),
            fit.PreRmspe, null, null, null,
            new EffectResponse(fit.Effect.Estimate, null, null, placebo.PValue, null),
            syntheticTotal > 0 ? new IntervalResponse(100 * fit.Effect.RelativeEffect, null, null) : null,
            syntheticTotal > 0 ? null : "The synthetic total is not positive, so a percent lift is undefined.",
            new IntervalResponse(incremental, null, null),
            iroas is { } r ? new IntervalResponse(r, null, null) : null,
            fit.Path.Select(p => new SeriesPointResponse(p.Period, p.Actual, p.Synthetic, null, null)).ToList(),
            Placebo(placebo),
            fit.Predictors.Select(p => new PredictorBalanceResponse(p.Predictor, p.Weight, p.Treated, p.Synthetic, p.DonorAverage)).ToList(),
            new InferenceResponse("placebo",
                "Predictor-based synthetic control (Abadie, Diamond & Hainmueller 2010): the p-value is the in-space placebo (RMSPE-ratio rank) " +
                "p-value; no interval is reported because conformal inference needs the fit on the outcome path — drop the predictors for intervals."),
            EngineInfo.Version);
    }

    internal static Results<Ok<GeoPowerResponse>, ValidationProblem> PlanGeoExperiment(GeoPowerRequest request, ILoggerFactory loggers,
        Microsoft.Extensions.Options.IOptions<WorkLimits> limits, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        limits.Value.CheckRows(request.Rows?.Count ?? 0);
        var specification = request.ToSpecification();
        long simulations = (long)(specification.CandidateSets?.Count ?? specification.TreatedCounts?.Count ?? 0)
            * specification.Durations.Count * specification.Windows * specification.EffectSizes.Count;
        if (simulations > limits.Value.MaxGeoPowerSimulations)
            throw new WorkLimitException(specification.CandidateSets is not null ? "candidateSets" : "treatedCounts",
                $"{simulations:N0} simulated tests (candidate sets × durations × windows × effect sizes) exceed the limit of {limits.Value.MaxGeoPowerSimulations:N0} "
                + "per request (Limits:MaxGeoPowerSimulations); ask for fewer of any of them.");
        var panel = SyntheticControlRequestMapper.Panel(request.Rows, lastPeriod: null);
        // The simulations stop when the caller goes away (the token is the request's).
        var result = GeoPower.Analyze(panel, specification with { CancellationToken = cancellationToken });
        int top = request.Top ?? 20;
        LogGeoPower(loggers.CreateLogger("Experiments.Api.Statistics"), panel.Units.Count, panel.Periods.Count, result.CandidateSetCount,
            result.SimulationCount, result.FalsePositiveRate, EngineInfo.Version, clock.Elapsed.TotalMilliseconds);
        return TypedResults.Ok(new GeoPowerResponse(result.Designs.Take(top).ToList(), result.Designs.Count, result.Windows, result.CandidateSetCount,
            result.SimulationCount, result.FalsePositiveRate, result.ZeroEffectSimulations, EngineInfo.Version));
    }

    [LoggerMessage(EventId = 111, Level = LogLevel.Information,
        Message = "Geo power: {UnitCount} units × {PeriodCount} periods, {CandidateSets} candidate sets, {Simulations} simulations, false-positive rate {FalsePositiveRate}, engine {EngineVersion}; {ElapsedMs:F0} ms")]
    private static partial void LogGeoPower(ILogger logger, int unitCount, int periodCount, int candidateSets, int simulations, double? falsePositiveRate,
        string engineVersion, double elapsedMs);

    private static PlaceboResponse? Placebo(InSpacePlaceboResult? placebo) =>
        placebo is null
            ? null
            : new PlaceboResponse(placebo.Units[0].RmspeRatio, placebo.PValue, placebo.Rank, placebo.UnitCount,
                placebo.Units.Select(u => new PlaceboUnitResponse(u.Unit, u.RmspeRatio, u.PreRmspe, u.PostRmspe, u.AverageEffect)).ToList());

    [LoggerMessage(EventId = 110, Level = LogLevel.Information,
        Message = "Synthetic control: method {Method}, {PredictorCount} predictors, {UnitCount} units × {PeriodCount} periods, {TreatedCount} treated, placebos {Placebos}, engine {EngineVersion}; prepare {PrepareMs:F1} ms, estimate {EstimateMs:F1} ms")]
    private static partial void LogSyntheticControl(ILogger logger, SyntheticControlMethod method, int predictorCount, int unitCount, int periodCount,
        int treatedCount, bool placebos, string engineVersion, double prepareMs, double estimateMs);
}
