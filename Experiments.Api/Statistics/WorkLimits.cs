using System.ComponentModel.DataAnnotations;

namespace Experiments.Api.Statistics;

/// <summary>
/// Documented limits on the stateless requests whose cost grows fast with their input (configuration
/// section <c>Limits</c>), checked before any work starts: a request over one is a 422 naming the
/// field and the limit, never a long computation.
/// </summary>
public sealed class WorkLimits : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Limits";

    /// <summary>Panel rows (market × period) one synthetic-control, TBR or geo-power request may send.</summary>
    public int MaxPanelRows { get; set; } = 100_000;

    /// <summary>
    /// Synthetic-control fits one request may cost: one for the treated markets plus, with in-space
    /// placebos (the default), one per donor market.
    /// </summary>
    public int MaxSyntheticControlFits { get; set; } = 500;

    /// <summary>Simulated tests one geo-power request may run: candidate sets × durations × windows × effect sizes.</summary>
    public int MaxGeoPowerSimulations { get; set; } = 20_000;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxPanelRows < 1 || MaxSyntheticControlFits < 1 || MaxGeoPowerSimulations < 1)
            yield return new ValidationResult("Limits:MaxPanelRows, MaxSyntheticControlFits and MaxGeoPowerSimulations must be positive.");
    }

    /// <summary>Throws when <paramref name="rows"/> exceeds <see cref="MaxPanelRows"/>.</summary>
    public void CheckRows(int rows)
    {
        if (rows > MaxPanelRows)
            throw new WorkLimitException("rows", $"{rows:N0} panel rows exceed the limit of {MaxPanelRows:N0} per request (Limits:MaxPanelRows); aggregate to fewer markets or periods.");
    }
}

/// <summary>A request that would exceed a <see cref="WorkLimits"/> limit: 422 naming <see cref="Field"/>.</summary>
public sealed class WorkLimitException(string field, string message) : Exception(message)
{
    /// <summary>The request field that drives the cost.</summary>
    public string Field { get; } = field;
}
