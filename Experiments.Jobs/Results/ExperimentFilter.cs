namespace Experiments.Jobs.Results;

/// <summary>Which experiments a listing keeps; a null criterion keeps every value.</summary>
/// <param name="Status">Only this status.</param>
/// <param name="Type">Only this type.</param>
/// <param name="Owner">Only this owner (compared without case).</param>
/// <param name="Tag">Only experiments carrying this tag.</param>
public sealed record ExperimentFilter(ExperimentStatus? Status = null, ExperimentType? Type = null, string? Owner = null, string? Tag = null)
{
    /// <summary>Whether <paramref name="experiment"/> passes every criterion.</summary>
    public bool Matches(ExperimentDefinition experiment) =>
        (Status is null || experiment.Status == Status)
        && (Type is null || experiment.Type == Type)
        && (Owner is null || string.Equals(experiment.Owner, Owner, StringComparison.OrdinalIgnoreCase))
        && (Tag is null || experiment.Tags.Contains(Tag, StringComparer.Ordinal));
}
