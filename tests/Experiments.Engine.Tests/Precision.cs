namespace Experiments.Engine.Tests;

/// <summary>Assertions with a stated relative tolerance.</summary>
internal static class Precision
{
    /// <summary>
    /// Asserts |actual − expected| ≤ rel·|expected| (or ≤ rel when expected is exactly zero).
    /// </summary>
    public static void Close(double expected, double actual, double rel, string what)
    {
        double tolerance = expected == 0 ? rel : rel * Math.Abs(expected);
        Assert.True(double.IsFinite(actual) && Math.Abs(actual - expected) <= tolerance,
            $"{what}: expected {expected:R}, got {actual:R} (relative error {Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), double.Epsilon):E2}, tolerance {rel:E0})");
    }

    /// <summary>Asserts |actual − expected| ≤ absolute.</summary>
    public static void Within(double expected, double actual, double absolute, string what) =>
        Assert.True(double.IsFinite(actual) && Math.Abs(actual - expected) <= absolute,
            $"{what}: expected {expected:R}, got {actual:R} (difference {Math.Abs(actual - expected):E2}, allowed {absolute:E2})");
}
