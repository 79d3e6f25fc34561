using Experiments.Engine.AbTesting;
using Experiments.Jobs.Results;

namespace Experiments.Api.Experiments;

/// <summary>
/// An experiment's definition as sent to <c>PUT /api/v1/experiments/{id}</c>. Every field is nullable
/// here so that a missing one is reported by name rather than taking a silent default; the defaults
/// that do apply are stated on each field.
/// </summary>
/// <param name="Id">Optional; when given it must equal the id in the path.</param>
/// <param name="Name">A name for people.</param>
/// <param name="Type"><c>ab</c> or <c>geo</c>.</param>
/// <param name="Metrics">The metrics, the first being the primary one.</param>
/// <param name="Variants">A/B only: the variants with their expected shares.</param>
/// <param name="Control">A/B only: the control variant (default <c>control</c>).</param>
/// <param name="PrePeriod">The days before the experiment that feed CUPED covariates or the synthetic control's fit.</param>
/// <param name="ExperimentWindow">The days the treatment runs.</param>
/// <param name="ConversionWindowDays">Days after the window during which conversions still count (default 0).</param>
/// <param name="TreatedMarkets">Geo only: the treated markets.</param>
/// <param name="Guardrails">Metrics that must not degrade.</param>
/// <param name="Status"><c>draft</c> (default), <c>running</c>, <c>completed</c> or <c>archived</c>.</param>
/// <param name="Alpha">Two-sided error rate of the published intervals (default 0.05).</param>
/// <param name="Holdout">Optional: marks a holdout campaign whose incrementality and spend are reported.</param>
/// <param name="Owner">Who answers for the experiment (a person or team).</param>
/// <param name="Hypothesis">What is expected to happen, and why.</param>
/// <param name="Description">A description for people.</param>
/// <param name="Tags">Labels to filter by: lower-case letters, digits, '-', '_', '.', ':'; at most 20.</param>
/// <param name="PrimaryMetric">The metric decisions are taken on (default: the first metric).</param>
/// <param name="TargetMde">A/B: the smallest relative lift worth detecting (0.02 = 2%).</param>
/// <param name="PlannedDurationDays">A/B: planned days from the window's start (default: the window's length).</param>
/// <param name="TargetIroas">Geo: the iROAS the campaign must reach.</param>
public sealed record ExperimentRequest(
    string? Id,
    string? Name,
    ExperimentType? Type,
    IReadOnlyList<MetricRequest?>? Metrics,
    IReadOnlyList<VariantRequest?>? Variants,
    string? Control,
    DateRangeRequest? PrePeriod,
    DateRangeRequest? ExperimentWindow,
    int? ConversionWindowDays,
    IReadOnlyList<string?>? TreatedMarkets,
    IReadOnlyList<GuardrailRequest?>? Guardrails,
    ExperimentStatus? Status,
    double? Alpha,
    HoldoutRequest? Holdout = null,
    string? Owner = null,
    string? Hypothesis = null,
    string? Description = null,
    IReadOnlyList<string?>? Tags = null,
    string? PrimaryMetric = null,
    double? TargetMde = null,
    int? PlannedDurationDays = null,
    double? TargetIroas = null)
{
    /// <summary>
    /// The definition this request describes under <paramref name="pathId"/>, checked by
    /// <see cref="ExperimentDefinition.Validate"/>.
    /// </summary>
    /// <exception cref="ExperimentDefinitionException">A field is missing, malformed or inconsistent; the exception names it.</exception>
    public ExperimentDefinition ToDefinition(string pathId)
    {
        if (Id is not null && Id != pathId)
            throw new ExperimentDefinitionException("id", "The id in the body differs from the id in the path; they must be the same (or leave it out of the body).");
        var definition = new ExperimentDefinition
        {
            Id = pathId,
            Name = Name!,
            Type = Type ?? throw new ExperimentDefinitionException("type", "Give the type: 'ab' or 'geo'."),
            Metrics = Metrics?.Select((m, i) => m?.ToDefinition(i) ?? throw Missing($"metrics[{i}]", "a metric object")).ToList()!,
            Variants = Variants?.Select((v, i) => v?.ToDefinition(i) ?? throw Missing($"variants[{i}]", "a variant object")).ToList() ?? [],
            Control = Control ?? "control",
            PrePeriod = PrePeriod?.ToRange("prePeriod")!,
            ExperimentWindow = ExperimentWindow?.ToRange("experimentWindow")!,
            ConversionWindowDays = ConversionWindowDays ?? 0,
            TreatedMarkets = TreatedMarkets?.Select(market => market!).ToList() ?? [],
            Guardrails = Guardrails?.Select((g, i) => g?.ToDefinition(i) ?? throw Missing($"guardrails[{i}]", "a guardrail object")).ToList() ?? [],
            Status = Status ?? ExperimentStatus.Draft,
            Alpha = Alpha ?? 0.05,
            Holdout = Holdout?.ToDefinition(Type ?? ExperimentType.Ab),
            Owner = Owner,
            Hypothesis = Hypothesis,
            Description = Description,
            Tags = Tags?.Select((tag, i) => tag ?? throw Missing($"tags[{i}]", "a tag")).ToList() ?? [],
            PrimaryMetric = PrimaryMetric,
            TargetMde = TargetMde,
            PlannedDurationDays = PlannedDurationDays,
            TargetIroas = TargetIroas,
        };
        definition.Validate();
        return definition;
    }

    internal static ExperimentDefinitionException Missing(string field, string what) => new(field, $"Give {field}: {what}.");
}

/// <summary>A metric of an experiment.</summary>
/// <param name="Name">The metric's name as the data source knows it.</param>
/// <param name="Kind"><c>mean</c>, <c>proportion</c> or <c>ratio</c>.</param>
/// <param name="Cuped">Adjust with the metric's pre-period value (default false; not for ratios).</param>
public sealed record MetricRequest(string? Name, MetricKind? Kind, bool? Cuped)
{
    internal MetricDefinition ToDefinition(int index) => new(Name!,
        Kind ?? throw ExperimentRequest.Missing($"metrics[{index}].kind", "mean, proportion or ratio"),
        Cuped ?? false);
}

/// <summary>A variant of an A/B experiment.</summary>
/// <param name="Name">The variant's name as logged.</param>
/// <param name="ExpectedShare">The share of units it should receive, in (0, 1).</param>
public sealed record VariantRequest(string? Name, double? ExpectedShare)
{
    internal VariantDefinition ToDefinition(int index) => new(Name!,
        ExpectedShare ?? throw ExperimentRequest.Missing($"variants[{index}].expectedShare", "the share of units it should receive, in (0, 1)"));
}

/// <summary>A guardrail: a metric that must not move in the harmful direction by more than a relative amount.</summary>
/// <param name="Metric">One of the experiment's metrics.</param>
/// <param name="MaximumRelativeDrop">The tolerated relative change in the harmful direction, in [0, 1) (a drop for <c>decrease</c>, a rise for <c>increase</c>).</param>
/// <param name="Harm"><c>decrease</c> (default) when less is worse, <c>increase</c> when more is worse (latency, errors).</param>
public sealed record GuardrailRequest(string? Metric, double? MaximumRelativeDrop, GuardrailHarm? Harm = null)
{
    internal GuardrailDefinition ToDefinition(int index) => new(Metric!,
        MaximumRelativeDrop ?? throw ExperimentRequest.Missing($"guardrails[{index}].maximumRelativeDrop", "the tolerated relative change in the harmful direction, in [0, 1)"),
        Harm ?? GuardrailHarm.Decrease);
}

/// <summary>A holdout campaign: which metrics are conversions and revenue, and where spend is read.</summary>
/// <param name="ConversionMetric">One of the experiment's metrics, counted as conversions.</param>
/// <param name="RevenueMetric">Optional: one of the experiment's mean metrics, counted as revenue.</param>
/// <param name="Spend"><c>impressionsCost</c> (A/B, the default there) or <c>geoSpend</c> (geo, the default there).</param>
/// <param name="CampaignId">The campaign whose spend counts (required for geo).</param>
public sealed record HoldoutRequest(string? ConversionMetric, string? RevenueMetric, SpendSource? Spend, string? CampaignId)
{
    internal HoldoutDefinition ToDefinition(ExperimentType type) => new(
        ConversionMetric ?? throw ExperimentRequest.Missing("holdout.conversionMetric", "the metric counted as conversions"),
        RevenueMetric,
        Spend ?? (type == ExperimentType.Geo ? SpendSource.GeoSpend : SpendSource.ImpressionsCost),
        CampaignId);
}

/// <summary>Calendar days, both ends included, as ISO dates (<c>2024-03-01</c>).</summary>
/// <param name="Start">The first day.</param>
/// <param name="End">The last day.</param>
public sealed record DateRangeRequest(DateOnly? Start, DateOnly? End)
{
    /// <summary>The range, or an exception naming <c>field.start</c> or <c>field.end</c>.</summary>
    /// <exception cref="ExperimentDefinitionException">A day is missing, or the range ends before it starts.</exception>
    public DateRange ToRange(string field)
    {
        var start = Start ?? throw ExperimentRequest.Missing($"{field}.start", "the first day as an ISO date");
        var end = End ?? throw ExperimentRequest.Missing($"{field}.end", "the last day as an ISO date");
        if (end < start)
            throw new ExperimentDefinitionException($"{field}.end", $"{field} ends before it starts.");
        return new DateRange(start, end);
    }
}
