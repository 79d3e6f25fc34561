using Experiments.Engine.AbTesting;
using Experiments.Jobs.Results;

namespace Experiments.Jobs.Store.Tests.Infrastructure;

/// <summary>Experiment definitions the tests share.</summary>
public static class TestExperiments
{
    /// <summary>Experiment window 2024-03-01..03-14, conversion window 3 days: final from 2024-03-18T00:00Z.</summary>
    public static readonly DateRange Window = new(new DateOnly(2024, 3, 1), new DateOnly(2024, 3, 14));

    /// <summary>A clock during the experiment: the default data window is 03-01..03-09.</summary>
    public static readonly DateTimeOffset DuringExperiment = new(2024, 3, 10, 6, 0, 0, TimeSpan.Zero);

    /// <summary>A checkout A/B test: revenue with CUPED, conversion, clicks per view (a ratio), a guardrail on conversion.</summary>
    public static ExperimentDefinition Checkout(string id = "checkout", ExperimentStatus status = ExperimentStatus.Running) => new()
    {
        Id = id,
        Name = "New checkout flow",
        Type = ExperimentType.Ab,
        Metrics =
        [
            new MetricDefinition("revenue", MetricKind.Mean, Cuped: true),
            new MetricDefinition("conversion", MetricKind.Proportion),
            new MetricDefinition("clicks_per_view", MetricKind.Ratio),
        ],
        Variants = [new VariantDefinition("control", 0.5), new VariantDefinition("treatment", 0.5)],
        Control = "control",
        PrePeriod = new DateRange(new DateOnly(2024, 2, 1), new DateOnly(2024, 2, 28)),
        ExperimentWindow = Window,
        ConversionWindowDays = 3,
        Guardrails = [new GuardrailDefinition("conversion", 0.02)],
        Status = status,
    };

    /// <summary>A geo test: two treated markets, four weeks of pre-period.</summary>
    public static ExperimentDefinition Geo(string id = "tv-campaign") => new()
    {
        Id = id,
        Name = "TV campaign in two markets",
        Type = ExperimentType.Geo,
        Metrics = [new MetricDefinition("revenue", MetricKind.Mean)],
        PrePeriod = new DateRange(new DateOnly(2024, 2, 1), new DateOnly(2024, 2, 29)),
        ExperimentWindow = Window,
        ConversionWindowDays = 0,
        TreatedMarkets = ["berlin", "hamburg"],
        Status = ExperimentStatus.Running,
        Alpha = 0.1,
    };

    /// <summary>Recent dates around the real clock, for tests that run the real scheduler.</summary>
    public static ExperimentDefinition Recent(string id)
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        return Checkout(id) with
        {
            PrePeriod = new DateRange(today.AddDays(-40), today.AddDays(-11)),
            ExperimentWindow = new DateRange(today.AddDays(-10), today.AddDays(10)),
        };
    }
}
