using System.ComponentModel.DataAnnotations;
using Quartz;

namespace Experiments.Jobs.Scheduling;

/// <summary>How the Quartz scheduler runs (configuration section <c>Jobs</c>).</summary>
public sealed class JobsOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Jobs";

    /// <summary>The scheduler's name; every worker of one deployment shares it (and so its jobs).</summary>
    public string SchedulerName { get; set; } = "experiments";

    /// <summary>
    /// This worker's id in a cluster; the machine name when empty. Keep it stable across restarts:
    /// a worker that comes back under its old id recovers its own interrupted jobs at once, instead
    /// of waiting for another node to notice it died.
    /// </summary>
    public string? InstanceId { get; set; }

    /// <summary>Quartz clustering (PostgreSQL only); on by default for PostgreSQL, off for SQLite.</summary>
    public bool? Clustered { get; set; }

    /// <summary>How often a clustered worker records that it is alive.</summary>
    public TimeSpan CheckinInterval { get; set; } = TimeSpan.FromSeconds(7.5);

    /// <summary>How long past a missed check-in the other workers wait before recovering a worker's jobs.</summary>
    public TimeSpan CheckinMisfireThreshold { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Jobs one worker runs at once (analyses are CPU- and I/O-heavy: keep it near the core count).</summary>
    public int MaxConcurrency { get; set; } = 2;

    /// <summary>When the daily analysis of running experiments fires (Quartz cron, UTC). 04:00 by default.</summary>
    public string DailyAnalysisCron { get; set; } = "0 0 4 * * ?";

    /// <summary>Whether the daily job is scheduled at all.</summary>
    public bool ScheduleDailyAnalysis { get; set; } = true;

    /// <summary>How long the scheduler waits, when nothing is due, before looking for new triggers (also how soon a worker notices a trigger another process added).</summary>
    public TimeSpan IdleWaitTime { get; set; } = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(SchedulerName))
            yield return new ValidationResult("Jobs:SchedulerName is empty.", [nameof(SchedulerName)]);
        if (MaxConcurrency is < 1 or > 64)
            yield return new ValidationResult("Jobs:MaxConcurrency must be between 1 and 64.", [nameof(MaxConcurrency)]);
        if (CheckinInterval <= TimeSpan.Zero || CheckinMisfireThreshold <= TimeSpan.Zero)
            yield return new ValidationResult("Jobs:CheckinInterval and CheckinMisfireThreshold must be positive.", [nameof(CheckinInterval)]);
        if (IdleWaitTime < TimeSpan.FromSeconds(1))
            yield return new ValidationResult("Jobs:IdleWaitTime must be at least one second (Quartz's minimum).", [nameof(IdleWaitTime)]);
        if (string.IsNullOrWhiteSpace(DailyAnalysisCron) || !CronExpression.TryParse(DailyAnalysisCron, out _))
            yield return new ValidationResult($"Jobs:DailyAnalysisCron '{DailyAnalysisCron}' is not a Quartz cron expression.", [nameof(DailyAnalysisCron)]);
    }
}
