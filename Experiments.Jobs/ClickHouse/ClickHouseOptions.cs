namespace Experiments.Jobs.ClickHouse;

/// <summary>Where and how to talk to ClickHouse's HTTP interface.</summary>
public sealed record ClickHouseOptions
{
    /// <summary>The HTTP endpoint, for example <c>http://127.0.0.1:8123/</c>.</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>The database queries run in (sent as the <c>database</c> parameter). Comes from configuration.</summary>
    public string Database { get; init; } = "default";

    /// <summary>The user (HTTP basic authentication); null for the server's default user without password.</summary>
    public string? User { get; init; }

    /// <summary>The user's password.</summary>
    public string? Password { get; init; }

    /// <summary>
    /// The longest a request may take, from sending it to reading the last byte of the answer. It is
    /// also sent as <c>max_execution_time</c>, because 18.16 keeps running a query whose client has
    /// gone away.
    /// </summary>
    public TimeSpan QueryTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest to wait for a TCP connection.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How reads are retried. Inserts and DDL are never retried: they are not idempotent.</summary>
    public ClickHouseRetryPolicy ReadRetry { get; init; } = ClickHouseRetryPolicy.Default;

    /// <summary>Whether insert bodies are gzip-compressed (<c>Content-Encoding: gzip</c>).</summary>
    public bool CompressRequests { get; init; } = true;

    /// <summary>Whether answers are requested gzip-compressed (<c>enable_http_compression=1</c>).</summary>
    public bool CompressResponses { get; init; } = true;
}

/// <summary>
/// Exponential back-off for reads: attempt k (k ≥ 1) that fails with a connection failure or a
/// transient server error waits <c>min(InitialDelay · Multiplier^(k−1), MaxDelay)</c> before attempt k + 1,
/// up to <see cref="MaxAttempts"/> attempts in all. A streamed read is only retried before its first
/// row has been handed out.
/// </summary>
/// <param name="MaxAttempts">Attempts in all, including the first (1 disables retries).</param>
/// <param name="InitialDelay">The wait after the first failure.</param>
/// <param name="Multiplier">The growth of the wait per failure (≥ 1).</param>
/// <param name="MaxDelay">The longest single wait.</param>
public sealed record ClickHouseRetryPolicy(int MaxAttempts, TimeSpan InitialDelay, double Multiplier, TimeSpan MaxDelay)
{
    /// <summary>Four attempts, waiting 0.2 s, 0.4 s and 0.8 s between them.</summary>
    public static ClickHouseRetryPolicy Default { get; } = new(4, TimeSpan.FromMilliseconds(200), 2.0, TimeSpan.FromSeconds(5));

    /// <summary>One attempt, no retry.</summary>
    public static ClickHouseRetryPolicy None { get; } = new(1, TimeSpan.Zero, 1.0, TimeSpan.Zero);

    /// <summary>The wait after failed attempt <paramref name="attempt"/> (1-based).</summary>
    public TimeSpan DelayAfter(int attempt)
    {
        double ticks = InitialDelay.Ticks * Math.Pow(Multiplier, attempt - 1);
        return ticks >= MaxDelay.Ticks ? MaxDelay : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>Throws when the policy cannot be followed.</summary>
    /// <exception cref="ArgumentException">Fewer than one attempt, a negative delay or a multiplier below 1.</exception>
    public void Validate()
    {
        if (MaxAttempts < 1)
            throw new ArgumentException($"A retry policy needs at least one attempt (got {MaxAttempts}).");
        if (InitialDelay < TimeSpan.Zero || MaxDelay < TimeSpan.Zero)
            throw new ArgumentException("Retry delays must not be negative.");
        if (!(Multiplier >= 1.0))
            throw new ArgumentException($"The back-off multiplier must be at least 1 (got {Multiplier}).");
    }
}
