using Experiments.Engine;
using Experiments.Engine.Geo;

namespace Experiments.Api.Statistics;

/// <summary>
/// Body of <c>POST /api/v1/stats/geo-power</c>: an untreated history panel, the treated-market sets to consider (or
/// sizes to rank the best sets of), test durations and effect sizes. Effects are injected into history and
/// detected with the same conformal test the synthetic-control endpoint reports.
/// </summary>
public sealed record GeoPowerRequest
{
    public List<PanelRowRequest?>? Rows { get; init; }

    /// <summary>Explicit candidate treated sets (give this or treatedCounts).</summary>
    public List<List<string>>? CandidateSets { get; init; }

    /// <summary>Set sizes to generate and rank candidates for (e.g. [2, 3, 4, 5]).</summary>
    public List<int>? TreatedCounts { get; init; }

    public List<int>? Durations { get; init; }

    /// <summary>Relative effects to simulate (0.05 = +5%); include 0 to see the false-positive rate.</summary>
    public List<double>? EffectSizes { get; init; }
    public double? Alpha { get; init; }
    public double? TargetPower { get; init; }
    public int? Windows { get; init; }
    public int? WindowSpacing { get; init; }
    public int? MinimumPrePeriods { get; init; }
    public SyntheticControlMethod? Method { get; init; }
    public bool? FixedEffects { get; init; }
    public ConformalPermutation? Permutation { get; init; }
    public int? Seed { get; init; }
    public double? CostPerIncrementalUnit { get; init; }
    public double? Budget { get; init; }

    /// <summary>How many ranked designs to return (default 20).</summary>
    public int? Top { get; init; }

    internal GeoPowerSpecification ToSpecification()
    {
        if (Durations is not { Count: > 0 })
            throw new StatisticsInputException("durations", "Give the test durations to simulate (in periods).");
        if (EffectSizes is not { Count: > 0 })
            throw new StatisticsInputException("effectSizes", "Give the relative effects to simulate (e.g. [0, 0.05, 0.1]).");
        if (Top is { } top && top <= 0)
            throw new StatisticsInputException("top", "top must be a positive number of designs.");
        var defaults = new GeoPowerSpecification { Durations = Durations, EffectSizes = EffectSizes };
        return defaults with
        {
            CandidateSets = CandidateSets?.Select(s => (IReadOnlyList<string>)s).ToList(),
            TreatedCounts = TreatedCounts,
            Alpha = Alpha ?? defaults.Alpha,
            TargetPower = TargetPower ?? defaults.TargetPower,
            Windows = Windows ?? defaults.Windows,
            WindowSpacing = WindowSpacing ?? defaults.WindowSpacing,
            MinimumPrePeriods = MinimumPrePeriods ?? defaults.MinimumPrePeriods,
            Model = Method == SyntheticControlMethod.Augmented ? GeoModel.Augmented : GeoModel.SyntheticControl,
            FixedEffects = FixedEffects ?? defaults.FixedEffects,
            Permutation = Permutation ?? defaults.Permutation,
            Seed = Seed ?? defaults.Seed,
            CostPerIncrementalUnit = CostPerIncrementalUnit,
            Budget = Budget,
        };
    }
}

/// <summary>Result of <c>POST /api/v1/stats/geo-power</c>: the ranked designs with their power curves.</summary>
public sealed record GeoPowerResponse(IReadOnlyList<GeoPowerDesign> Designs, int DesignCount, IReadOnlyList<GeoPowerWindow> Windows,
    int CandidateSetCount, int SimulationCount, double? FalsePositiveRate, int ZeroEffectSimulations, string EngineVersion);
