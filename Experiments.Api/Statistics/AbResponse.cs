using Experiments.Engine.AbTesting;
using Experiments.Engine.Inference;

namespace Experiments.Api.Statistics;

/// <summary>Result of <c>POST /api/v1/stats/ab</c>.</summary>
public sealed record AbResponse(
    string Control,
    MetricKind Metric,
    double Alpha,
    bool Sequential,
    MultipleTestingCorrection Correction,
    SrmResponse Srm,
    IReadOnlyList<VariantResponse> Variants,
    IReadOnlyList<ComparisonResponse> Comparisons,
    IReadOnlyList<CovariateResponse>? Covariates,
    string EngineVersion)
{
    public static AbResponse From(AbAnalysisResult result, IReadOnlyList<string>? covariateNames)
    {
        IReadOnlyList<CovariateResponse>? covariates = result.Cuped is { } fit
            ? fit.Theta.Select((theta, j) => new CovariateResponse(covariateNames?[j] ?? $"x{j + 1}", theta, fit.CovariateMeans[j])).ToList()
            : null;
        return new AbResponse(result.Control, result.Metric, result.Alpha, result.Sequential, result.Correction,
            new SrmResponse(result.Srm.ChiSquare, result.Srm.DegreesOfFreedom, result.Srm.PValue, result.Srm.Threshold, result.Srm.Mismatch),
            result.Variants.Select(v => new VariantResponse(v.Name, v.Count, v.Mean, v.StdError, v.UnadjustedMean)).ToList(),
            result.Comparisons.Select(c => new ComparisonResponse(c.Variant, c.Absolute, c.Relative, c.RelativeUnavailableReason,
                c.Cuped is { } cuped
                    ? new CupedResponse(covariates!.Count == 1 ? covariates[0].Theta : null, covariates, cuped.VarianceReduction,
                        cuped.SampleSizeSaving, cuped.EquivalentSampleSize, cuped.UnadjustedAbsolute)
                    : null,
                c.AdjustedPValue)).ToList(),
            covariates, result.EngineVersion);
    }
}

/// <summary>Sample-ratio-mismatch check.</summary>
public sealed record SrmResponse(double ChiSquare, int DegreesOfFreedom, double PValue, double Threshold, bool Mismatch);

/// <summary>A variant's estimate (CUPED-adjusted when CUPED is on; <c>unadjustedMean</c> then gives the plain one).</summary>
public sealed record VariantResponse(string Name, long N, double Mean, double StdError, double? UnadjustedMean);

/// <summary>A treatment against the control.</summary>
public sealed record ComparisonResponse(string Variant, EffectEstimate Absolute, EffectEstimate? Relative,
    string? RelativeUnavailableReason, CupedResponse? Cuped, double AdjustedPValue);

/// <summary>What CUPED did for a comparison. <c>theta</c> is set when there is a single covariate.</summary>
public sealed record CupedResponse(double? Theta, IReadOnlyList<CovariateResponse> Coefficients, double VarianceReduction,
    double SampleSizeSaving, double EquivalentSampleSize, EffectEstimate UnadjustedAbsolute);

/// <summary>A covariate's CUPED coefficient and its pooled mean.</summary>
public sealed record CovariateResponse(string Name, double Theta, double Mean);

/// <summary>Result of <c>POST /api/v1/stats/ab/metrics</c>: each metric's analysis, with adjusted
/// p-values over the whole family of metrics × treatments.</summary>
public sealed record MetricsResponse(MultipleTestingCorrection Correction, IReadOnlyDictionary<string, AbResponse> Metrics);
