using System.ComponentModel.DataAnnotations;
using Cronos;
using Experiments.Jobs.Results;

namespace Experiments.Jobs.Scheduling;

/// <summary>How Hangfire runs the jobs (configuration section <c>Jobs</c>).</summary>
public sealed class JobsOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Jobs";

    /// <summary>This server's name on the dashboard; Hangfire's default (machine name and process id) when empty.</summary>
    public string? ServerName { get; set; }

    /// <summary>Jobs one process runs at once (analyses are CPU- and I/O-heavy: keep it near the core count).</summary>
    public int WorkerCount { get; set; } = 2;

    /// <summary>When the daily analysis of running experiments fires: a cron expression in UTC (five fields, or six with seconds). 04:00 by default.</summary>
    public string DailyAnalysisCron { get; set; } = "0 4 * * *";

    /// <summary>Whether the daily job is registered at all (false removes it).</summary>
    public bool ScheduleDailyAnalysis { get; set; } = true;

    /// <summary>How often a server moves due scheduled jobs (retries, deferred runs) to the queue and checks recurring jobs.</summary>
    public TimeSpan SchedulePollingInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long an orderly stop waits for running jobs to observe cancellation and hand their runs back.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Where Hangfire keeps its jobs.</summary>
    public JobStorageOptions Storage { get; set; } = new();

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (WorkerCount is < 1 or > 64)
            yield return new ValidationResult("Jobs:WorkerCount must be between 1 and 64.", [nameof(WorkerCount)]);
        if (SchedulePollingInterval < TimeSpan.FromMilliseconds(100) || SchedulePollingInterval > TimeSpan.FromMinutes(5))
            yield return new ValidationResult("Jobs:SchedulePollingInterval must be between 100 ms and 5 minutes.", [nameof(SchedulePollingInterval)]);
        if (ShutdownTimeout <= TimeSpan.Zero)
            yield return new ValidationResult("Jobs:ShutdownTimeout must be positive.", [nameof(ShutdownTimeout)]);
        if (!TryParseCron(DailyAnalysisCron, out _))
            yield return new ValidationResult(
                $"Jobs:DailyAnalysisCron '{DailyAnalysisCron}' is not a cron expression (five fields, minute to day of week, or six with seconds first).",
                [nameof(DailyAnalysisCron)]);
        foreach (var problem in Storage.Validate())
            yield return problem;
    }

    /// <summary>Parses a cron expression the way Hangfire reads it: five fields, or six with seconds.</summary>
    public static bool TryParseCron(string? expression, out CronExpression? cron)
    {
        cron = null;
        if (string.IsNullOrWhiteSpace(expression))
            return false;
        var format = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard;
        return CronExpression.TryParse(expression, format, out cron);
    }
}

/// <summary>Hangfire's job storage (configuration section <c>Jobs:Storage</c>).</summary>
public sealed class JobStorageOptions
{
    /// <summary>Sqlite (one server process per file, enforced) or PostgreSql (any number of workers); the results store's provider when empty.</summary>
    public StoreProvider? Provider { get; set; }

    /// <summary>
    /// For SQLite <c>Data Source=&lt;file&gt;</c> (a relative file is under the content root); by default a
    /// file beside the results store's (<c>experiments.db</c> → <c>experiments.jobs.db</c>). For
    /// PostgreSQL an Npgsql connection string; by default the results store's database, in the schema <see cref="Schema"/>.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>The PostgreSQL schema of Hangfire's tables.</summary>
    public string Schema { get; set; } = "hangfire";

    /// <summary>
    /// How long a fetched job stays invisible to other fetches. SQLite has no sliding invisibility, so
    /// this must exceed <c>Analysis:AttemptTimeout</c> (else a long analysis would be started a second
    /// time); 30 minutes by default. PostgreSQL renews it while the job runs (sliding), so it only
    /// bounds how soon a killed worker's job runs elsewhere; 30 seconds by default.
    /// </summary>
    public TimeSpan? InvisibilityTimeout { get; set; }

    /// <summary>How often an idle server looks for new jobs (SQLite polls; PostgreSQL too, Hangfire.PostgreSql has no notifications by default).</summary>
    public TimeSpan QueuePollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The invisibility timeout in force for <paramref name="provider"/>.</summary>
    public TimeSpan InvisibilityTimeoutFor(StoreProvider provider) =>
        InvisibilityTimeout ?? (provider == StoreProvider.Sqlite ? TimeSpan.FromMinutes(30) : TimeSpan.FromSeconds(30));

    internal IEnumerable<ValidationResult> Validate()
    {
        if (QueuePollInterval < TimeSpan.FromMilliseconds(100) || QueuePollInterval > TimeSpan.FromMinutes(1))
            yield return new ValidationResult("Jobs:Storage:QueuePollInterval must be between 100 ms and 1 minute.", [nameof(QueuePollInterval)]);
        if (InvisibilityTimeout is { } timeout && timeout < TimeSpan.FromSeconds(5))
            yield return new ValidationResult("Jobs:Storage:InvisibilityTimeout must be at least 5 seconds.", [nameof(InvisibilityTimeout)]);
        if (string.IsNullOrWhiteSpace(Schema) || !Schema.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            yield return new ValidationResult("Jobs:Storage:Schema must be a plain identifier (letters, digits, underscores).", [nameof(Schema)]);
    }
}
