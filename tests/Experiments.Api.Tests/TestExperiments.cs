using Experiments.Engine.AbTesting;
using Experiments.Jobs.Results;

namespace Experiments.Api.Tests;

/// <summary>Experiment definitions the tests register.</summary>
public static class TestExperiments
{
    /// <summary>2024-03-01..03-14 with a 3-day conversion window: the default data window is 03-01..03-17, and its results are final.</summary>
    public static readonly DateRange Window = new(new DateOnly(2024, 3, 1), new DateOnly(2024, 3, 14));

    /// <summary>A checkout A/B test: revenue (a mean), conversion (a proportion) with a guardrail.</summary>
    public static ExperimentDefinition Checkout(string id) => new()
    {
        Id = id,
        Name = "New checkout flow",
        Type = ExperimentType.Ab,
        Metrics = [new MetricDefinition("revenue", MetricKind.Mean), new MetricDefinition("conversion", MetricKind.Proportion)],
        Variants = [new VariantDefinition("control", 0.5), new VariantDefinition("treatment", 0.5)],
        Control = "control",
        PrePeriod = new DateRange(new DateOnly(2024, 2, 1), new DateOnly(2024, 2, 28)),
        ExperimentWindow = Window,
        ConversionWindowDays = 3,
        Guardrails = [new GuardrailDefinition("conversion", 0.02)],
        Status = ExperimentStatus.Running,
    };

    /// <summary>The definition as a client sends it: the API's JSON (camelCase, ISO dates).</summary>
    public static string Json(ExperimentDefinition experiment) => ResultsJson.Serialize(experiment);
}
