using System.ComponentModel.DataAnnotations;

namespace Experiments.Jobs.Analysis;

/// <summary>How analysis runs retry and wait (configuration section <c>Analysis</c>).</summary>
public sealed class AnalysisOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Analysis";

    /// <summary>Attempts in all when the data source is unreachable, the first included; then the run fails.</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>The wait after the first transient failure.</summary>
    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The growth of the wait per further failure (attempt k waits Initial · Multiplier^(k−1)).</summary>
    public double RetryMultiplier { get; set; } = 2.0;

    /// <summary>The longest wait between attempts.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long a deferred run (a late or missing day) waits before it looks again.</summary>
    public TimeSpan DeferDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The longest an attempt may run; one that takes longer is cancelled and counts as a transient
    /// failure (retried with back-off). Job stores without a sliding invisibility timeout (SQLite) must
    /// hide a fetched job for longer than this, which start-up checks.
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromMinutes(20);

    /// <summary>
    /// How long an attempt's hold on its experiment lasts unless renewed (it is renewed every third of
    /// this while the attempt runs). Another attempt of the experiment starts only once it is released
    /// or has lapsed, so this bounds how long a killed worker's experiment waits.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The wait before attempt <paramref name="failedAttempts"/> + 1.</summary>
    public TimeSpan RetryDelay(int failedAttempts)
    {
        double ticks = RetryInitialDelay.Ticks * Math.Pow(RetryMultiplier, Math.Max(0, failedAttempts - 1));
        return ticks >= RetryMaxDelay.Ticks ? RetryMaxDelay : TimeSpan.FromTicks((long)ticks);
    }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxAttempts is < 1 or > 100)
            yield return new ValidationResult("Analysis:MaxAttempts must be between 1 and 100.", [nameof(MaxAttempts)]);
        if (RetryInitialDelay < TimeSpan.Zero || RetryMaxDelay < TimeSpan.Zero || DeferDelay <= TimeSpan.Zero)
            yield return new ValidationResult("Analysis delays must not be negative, and DeferDelay must be positive.", [nameof(RetryInitialDelay)]);
        if (AttemptTimeout <= TimeSpan.Zero)
            yield return new ValidationResult("Analysis:AttemptTimeout must be positive.", [nameof(AttemptTimeout)]);
        if (LeaseDuration < TimeSpan.FromSeconds(1))
            yield return new ValidationResult("Analysis:LeaseDuration must be at least one second.", [nameof(LeaseDuration)]);
        if (!(RetryMultiplier >= 1.0) || double.IsInfinity(RetryMultiplier))
            yield return new ValidationResult("Analysis:RetryMultiplier must be a number of at least 1.", [nameof(RetryMultiplier)]);
    }
}
