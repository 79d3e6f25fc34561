using System.Globalization;

namespace Experiments.Dashboards;

/// <summary>The cookie that carries a signed-in browser's API key (HttpOnly, SameSite=Strict, Secure over HTTPS).</summary>
public static class DashboardCookie
{
    /// <summary>The cookie's name; the API-key authentication handler reads it when no key header is sent.</summary>
    public const string Name = "experiments_key";

    /// <summary>The sign-in page.</summary>
    public const string SignInPath = "/dashboards/sign-in";

    /// <summary>How long a sign-in lasts.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);
}

/// <summary>Checks an API key typed into the sign-in page (the same lookup the API-key handler makes).</summary>
public interface IDashboardKeys
{
    /// <summary>The key's name when it is an active key (any role includes reader); otherwise null.</summary>
    Task<string?> FindActiveKeyNameAsync(string key, CancellationToken cancellationToken);
}

/// <summary>The portfolio's rows, from published results only.</summary>
public interface IPortfolioSource
{
    /// <summary>Every experiment: running first, then the others by most recently ended.</summary>
    Task<IReadOnlyList<PortfolioRow>> ListAsync(CancellationToken cancellationToken);
}

/// <summary>An estimate with its interval.</summary>
public sealed record EstimateInterval(double Estimate, double Lower, double Upper);

/// <summary>One experiment on the portfolio page.</summary>
public sealed record PortfolioRow(
    string Id,
    string Name,
    string Type,
    string? Owner,
    string Status,
    int DaysRun,
    int PlannedDays,
    string Decision,
    string? FirstReason,
    string? PrimaryMetric,
    EstimateInterval? Lift,
    double Level,
    string? Finality,
    bool? SrmOk);

/// <summary>Numbers in plain words: never an estimate without its interval and level.</summary>
public static class PlainNumbers
{
    /// <summary>"+4.2% (+1.1% to +7.3%), 95% interval" for a relative lift of 0.042.</summary>
    public static string Lift(EstimateInterval lift, double level) =>
        $"{Percent(lift.Estimate)} ({Percent(lift.Lower)} to {Percent(lift.Upper)}), {Level(level)} interval";

    /// <summary>0.95 → "95%".</summary>
    public static string Level(double level) => (level * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    /// <summary>A signed percentage with one decimal: 0.042 → "+4.2%".</summary>
    public static string Percent(double value) =>
        (value >= 0 ? "+" : "\u2212") + Math.Abs(value * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    /// <summary>keep_running → "keep running".</summary>
    public static string Words(string code) => code.Replace('_', ' ');
}
