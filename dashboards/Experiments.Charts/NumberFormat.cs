using System.Globalization;

namespace Experiments.Charts;

/// <summary>What a number measures, which decides how it is written.</summary>
public enum ValueKind
{
    /// <summary>A plain number (a mean, a ratio): up to three significant decimals, thousands separators.</summary>
    Number,

    /// <summary>A count or total (orders, users): thousands separators, no decimals once it is large.</summary>
    Count,

    /// <summary>A fraction written as a percent: 0.024 → 2.4%.</summary>
    Percent,

    /// <summary>A difference of two proportions in percentage points: 0.0052 → 0.52 pp.</summary>
    PercentagePoints,

    /// <summary>Money: $1,234.50.</summary>
    Currency,
}

/// <summary>
/// The one number formatter of charts, alt texts and pages: invariant culture, thousands separators,
/// explicit signs on effects, and an interval always written with its estimate ("+2.4% [+0.9, +3.9]").
/// </summary>
public static class NumberFormat
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The currency symbol <see cref="ValueKind.Currency"/> writes.</summary>
    public const string CurrencySymbol = "$";

    /// <summary>A fraction as a percent: <c>Percent(0.0241)</c> → "2.4%", signed → "+2.4%".</summary>
    public static string Percent(double fraction, int decimals = 1, bool signed = false) =>
        Format(fraction * 100, decimals, signed) + "%";

    /// <summary>A count with thousands separators: 2425.4 → "2,425"; below 100 keeps one decimal when it has one ("12.5").</summary>
    public static string Count(double value, bool signed = false)
    {
        int decimals = Math.Abs(value) >= 100 || value == Math.Round(value) ? 0 : 1;
        return Format(value, decimals, signed);
    }

    /// <summary>Money: 1234.5 → "$1,234.50"; −3 → "−$3.00"; large amounts without cents ("$12,345").</summary>
    public static string Currency(double value, bool signed = false)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
            return Special(value);
        int decimals = Math.Abs(value) >= 10_000 ? 0 : 2;
        string digits = Math.Abs(value).ToString("N" + decimals, Invariant);
        string sign = value < 0 && digits.Any(c => c is >= '1' and <= '9') ? "\u2212" : signed && value > 0 ? "+" : "";
        return sign + CurrencySymbol + digits;
    }

    /// <summary>A plain number with thousands separators and three significant digits below 1,000 ("0.0523", "12.3", "1,234").</summary>
    public static string Number(double value, bool signed = false)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
            return Special(value);
        double magnitude = Math.Abs(value);
        int decimals = magnitude >= 1000 || magnitude == 0 ? 0
            : Math.Clamp(2 - (int)Math.Floor(Math.Log10(magnitude)), 0, 6);
        return Format(value, decimals, signed);
    }

    /// <summary>A number of the given kind.</summary>
    public static string Value(double value, ValueKind kind, bool signed = false) => kind switch
    {
        ValueKind.Percent => Percent(value, signed: signed),
        ValueKind.PercentagePoints => Format(value * 100, 2, signed) + " pp",
        ValueKind.Count => Count(value, signed),
        ValueKind.Currency => Currency(value, signed),
        _ => Number(value, signed),
    };

    /// <summary>
    /// An estimate with its interval, compact, as beside a forest plot's row: "+2.4% [+0.9, +3.9]" (the unit
    /// written once), "+2,425 [+1,890, +2,950]".
    /// </summary>
    public static string EstimateWithInterval(double estimate, double lower, double upper, ValueKind kind)
    {
        string Bare(double v) => kind switch
        {
            ValueKind.Percent => Format(v * 100, 1, signed: true),
            ValueKind.PercentagePoints => Format(v * 100, 2, signed: true),
            _ => Value(v, kind, signed: true),
        };
        return $"{Value(estimate, kind, signed: true)} [{Bare(lower)}, {Bare(upper)}]";
    }

    /// <summary>An estimate with its interval in words, as in a sentence: "+4.2% (+1.1% to +7.3%)".</summary>
    public static string EstimateWithRange(double estimate, double lower, double upper, ValueKind kind) =>
        $"{Value(estimate, kind, signed: true)} ({Value(lower, kind, signed: true)} to {Value(upper, kind, signed: true)})";

    /// <summary>A confidence level from α: 0.05 → "95%", 0.1 → "90%", 0.025 → "97.5%".</summary>
    public static string Level(double alpha) => ((1 - alpha) * 100).ToString("0.##", Invariant) + "%";

    /// <summary>A p-value: "p = 0.032", "p &lt; 0.001".</summary>
    public static string PValue(double p) =>
        p < 0.001 ? "p < 0.001" : "p = " + p.ToString(p < 0.1 ? "0.000" : "0.00", Invariant);

    /// <summary>A day as a chart's axis writes it: "Mar 1".</summary>
    public static string ShortDate(DateOnly day) => day.ToString("MMM d", Invariant);

    /// <summary>A day as text and CSV write it: ISO 8601, "2026-03-01".</summary>
    public static string IsoDate(DateOnly day) => day.ToString("yyyy-MM-dd", Invariant);

    private static string Format(double value, int decimals, bool signed)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
            return Special(value);
        string digits = Math.Abs(value).ToString("N" + decimals, Invariant);
        // A value that rounds to zero is written without a sign ("0.0%", not "−0.0%").
        bool zero = !digits.Any(c => c is >= '1' and <= '9');
        string sign = zero ? "" : value < 0 ? "\u2212" : signed ? "+" : "";
        return sign + digits;
    }

    private static string Special(double value) => double.IsNaN(value) ? "n/a" : value > 0 ? "∞" : "−∞";
}
