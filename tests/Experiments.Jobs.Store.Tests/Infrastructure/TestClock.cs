namespace Experiments.Jobs.Store.Tests.Infrastructure;

/// <summary>A clock the test sets; <see cref="TimeProvider.GetTimestamp"/> stays real so durations are measured.</summary>
public sealed class TestClock(DateTimeOffset now) : TimeProvider
{
    private DateTimeOffset _now = now;

    /// <summary>Moves the clock.</summary>
    public void Set(DateTimeOffset now) => _now = now;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => _now;
}
