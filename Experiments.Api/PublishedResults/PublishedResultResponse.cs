using System.Text.Json;
using Experiments.Jobs.Results;

namespace Experiments.Api.PublishedResults;

/// <summary>Whether a result can still change.</summary>
public enum ResultFinality
{
    /// <summary>The experiment is still running, or its conversion window is still open: a later run may publish a different number.</summary>
    Provisional,

    /// <summary>The experiment has ended and its conversion window has closed.</summary>
    Final,
}

/// <summary>One published version of one metric's result.</summary>
/// <param name="Metric">The metric.</param>
/// <param name="Version">1 for the first publication, then one more per run that published the metric; no version is ever overwritten.</param>
/// <param name="Finality"><c>provisional</c> or <c>final</c>.</param>
/// <param name="EngineVersion">The engine build that produced it.</param>
/// <param name="RunId">The run that published it.</param>
/// <param name="PublishedAt">When it was published.</param>
/// <param name="DataWindow">The days of data behind it.</param>
/// <param name="Result">The result as the engine produced it: for an A/B metric <c>analysis</c> (estimates, intervals, p-values, SRM, CUPED), <c>sequentialPath</c>, <c>guardrail</c> and, on a holdout campaign's conversion metric, <c>holdout</c> (lift %, incremental conversions and revenue, spend, cost per incremental conversion, iROAS); for a geo metric the synthetic-control <c>analysis</c> (with incremental outcome, spend, iROAS and cost per incremental outcome) and <c>firstDay</c>.</param>
public sealed record PublishedResultResponse(
    string Metric,
    int Version,
    ResultFinality Finality,
    string EngineVersion,
    Guid RunId,
    DateTimeOffset PublishedAt,
    DateRange DataWindow,
    JsonElement Result)
{
    internal static PublishedResultResponse From(PublishedResult result)
    {
        using var json = JsonDocument.Parse(result.ResultJson);
        return new PublishedResultResponse(result.Metric, result.Version, result.IsFinal ? ResultFinality.Final : ResultFinality.Provisional,
            result.EngineVersion, result.RunId, result.PublishedAt, result.DataWindow, json.RootElement.Clone());
    }
}

/// <summary>Published results of an experiment.</summary>
/// <param name="ExperimentId">The experiment.</param>
/// <param name="Results">By metric, then version.</param>
public sealed record ResultListResponse(string ExperimentId, IReadOnlyList<PublishedResultResponse> Results);
