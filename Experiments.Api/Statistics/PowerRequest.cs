using Experiments.Engine;
using Experiments.Engine.Power;

namespace Experiments.Api.Statistics;

/// <summary>Body of <c>POST /api/v1/stats/power</c>. Give <c>baselineRate</c> for a proportion or
/// <c>baselineMean</c> with <c>standardDeviation</c> for a mean.</summary>
public sealed record PowerRequest
{
    public double? BaselineMean { get; init; }
    public double? StandardDeviation { get; init; }
    public double? BaselineRate { get; init; }
    public double? RelativeMde { get; init; }
    public double? Alpha { get; init; }
    public double? Power { get; init; }
    public int? Variants { get; init; }
    public double? DailyUnits { get; init; }
    public double? CovariateCorrelation { get; init; }
    public double? Days { get; init; }

    internal PowerInput ToInput()
    {
        if (BaselineRate is not null && (BaselineMean is not null || StandardDeviation is not null))
            throw new StatisticsInputException("baselineRate", "Give baselineRate for a proportion, or baselineMean with standardDeviation for a mean — not both.");
        if (BaselineRate is null && BaselineMean is null)
            throw new StatisticsInputException("baselineMean", "Give baselineMean with standardDeviation (a mean metric) or baselineRate (a proportion).");
        return new PowerInput
        {
            BaselineMean = BaselineRate ?? BaselineMean!.Value,
            IsProportion = BaselineRate is not null,
            StandardDeviation = StandardDeviation,
            RelativeMde = RelativeMde,
            Alpha = Alpha ?? 0.05,
            Power = Power ?? 0.8,
            Variants = Variants ?? 2,
            DailyUnits = DailyUnits,
            CovariateCorrelation = CovariateCorrelation,
            Days = Days,
        };
    }
}
