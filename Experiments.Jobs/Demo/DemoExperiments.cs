using Experiments.Engine.AbTesting;
using Experiments.Jobs.Results;

namespace Experiments.Jobs.Demo;

/// <summary>The experiment definitions that go with a generated workload: the A/B test, the A/A test and the geo experiment.</summary>
public static class DemoExperiments
{
    /// <summary>Definitions of the workload's three experiments, running, with the pre-period and window of the scale.</summary>
    public static IReadOnlyList<ExperimentDefinition> For(DemoScale scale, DemoTruth truth)
    {
        var pre = new DateRange(scale.Start, scale.ExperimentStart.AddDays(-1));
        var window = new DateRange(scale.ExperimentStart, scale.End.AddDays(-1));
        return
        [
            new ExperimentDefinition
            {
                Id = truth.AbExperimentId,
                Name = "Checkout retargeting holdout (A/B)",
                Type = ExperimentType.Ab,
                Metrics =
                [
                    new MetricDefinition("revenue", MetricKind.Mean, Cuped: true),
                    new MetricDefinition("conversions", MetricKind.Mean, Cuped: true),
                    new MetricDefinition("converted", MetricKind.Proportion, Cuped: true),
                    new MetricDefinition("clicks_per_impression", MetricKind.Ratio),
                ],
                Holdout = new HoldoutDefinition("conversions", "revenue", SpendSource.ImpressionsCost, truth.AbHoldout.CampaignId),
                Variants = [new VariantDefinition("control", 0.5), new VariantDefinition("treatment", 0.5)],
                Control = "control",
                PrePeriod = pre,
                ExperimentWindow = window,
                Guardrails = [new GuardrailDefinition("clicks_per_impression", 0.02)],
                Status = ExperimentStatus.Running,
            },
            new ExperimentDefinition
            {
                Id = truth.AaExperimentId,
                Name = "A/A calibration",
                Type = ExperimentType.Ab,
                Metrics = [new MetricDefinition("revenue", MetricKind.Mean, Cuped: true)],
                Variants = [new VariantDefinition("a", 0.5), new VariantDefinition("b", 0.5)],
                Control = "a",
                PrePeriod = pre,
                ExperimentWindow = window,
                Status = ExperimentStatus.Running,
            },
            new ExperimentDefinition
            {
                Id = truth.GeoCampaignId,
                Name = "Autumn brand campaign (geo)",
                Type = ExperimentType.Geo,
                Metrics = [new MetricDefinition("conversions", MetricKind.Mean), new MetricDefinition("revenue", MetricKind.Mean)],
                PrePeriod = pre,
                ExperimentWindow = window,
                TreatedMarkets = truth.TreatedGeos,
                Holdout = new HoldoutDefinition("conversions", "revenue", SpendSource.GeoSpend, truth.GeoCampaignId),
                Alpha = 0.1,
                Status = ExperimentStatus.Running,
            },
        ];
    }
}
