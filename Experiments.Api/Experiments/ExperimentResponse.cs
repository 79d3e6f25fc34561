using Experiments.Jobs.Results;

namespace Experiments.Api.Experiments;

/// <summary>
/// A registered experiment. It has the request's shape, so a client can read one, change a field and
/// put it back.
/// </summary>
/// <param name="Id">The experiment's id.</param>
/// <param name="Name">A name for people.</param>
/// <param name="Type"><c>ab</c> or <c>geo</c>.</param>
/// <param name="Metrics">The metrics, the first being the primary one.</param>
/// <param name="Variants">The variants with their expected shares (A/B).</param>
/// <param name="Control">The control variant (A/B).</param>
/// <param name="PrePeriod">The pre-period's days.</param>
/// <param name="ExperimentWindow">The days the treatment runs.</param>
/// <param name="ConversionWindowDays">Days after the window during which conversions still count.</param>
/// <param name="TreatedMarkets">The treated markets (geo).</param>
/// <param name="Guardrails">Metrics that must not degrade.</param>
/// <param name="Status"><c>draft</c>, <c>running</c>, <c>completed</c> or <c>archived</c>.</param>
/// <param name="Alpha">Two-sided error rate of the published intervals.</param>
/// <param name="Holdout">The holdout campaign's metrics and spend source, or null.</param>
/// <param name="Owner">Who answers for the experiment.</param>
/// <param name="Hypothesis">What is expected to happen, and why.</param>
/// <param name="Description">A description for people.</param>
/// <param name="Tags">Labels to filter by.</param>
/// <param name="PrimaryMetric">The metric decisions are taken on; null means the first metric.</param>
/// <param name="TargetMde">A/B: the smallest relative lift worth detecting.</param>
/// <param name="PlannedDurationDays">A/B: planned days; null means the experiment window's length.</param>
/// <param name="TargetIroas">Geo: the iROAS the campaign must reach.</param>
public sealed record ExperimentResponse(
    string Id,
    string Name,
    ExperimentType Type,
    IReadOnlyList<MetricDefinition> Metrics,
    IReadOnlyList<VariantDefinition> Variants,
    string Control,
    DateRange PrePeriod,
    DateRange ExperimentWindow,
    int ConversionWindowDays,
    IReadOnlyList<string> TreatedMarkets,
    IReadOnlyList<GuardrailDefinition> Guardrails,
    ExperimentStatus Status,
    double Alpha,
    HoldoutDefinition? Holdout,
    string? Owner,
    string? Hypothesis,
    string? Description,
    IReadOnlyList<string> Tags,
    string? PrimaryMetric,
    double? TargetMde,
    int? PlannedDurationDays,
    double? TargetIroas)
{
    internal static ExperimentResponse From(ExperimentDefinition e) => new(e.Id, e.Name, e.Type, e.Metrics, e.Variants, e.Control,
        e.PrePeriod, e.ExperimentWindow, e.ConversionWindowDays, e.TreatedMarkets, e.Guardrails, e.Status, e.Alpha, e.Holdout,
        e.Owner, e.Hypothesis, e.Description, e.Tags, e.PrimaryMetric, e.TargetMde, e.PlannedDurationDays, e.TargetIroas);
}

/// <summary>A page of registered experiments, by id.</summary>
/// <param name="Experiments">The experiments on this page.</param>
/// <param name="NextCursor">Pass it as <c>cursor</c> (with the same filters) for the next page; null on the last page.</param>
public sealed record ExperimentListResponse(IReadOnlyList<ExperimentResponse> Experiments, string? NextCursor = null);
