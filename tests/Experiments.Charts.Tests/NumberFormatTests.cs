using Experiments.Charts;

namespace Experiments.Charts.Tests;

public sealed class NumberFormatTests
{
    [Theory]
    [InlineData(0.0241, false, "2.4%")]
    [InlineData(0.0241, true, "+2.4%")]
    [InlineData(-0.032, true, "\u22123.2%")]
    [InlineData(-0.0004, true, "0.0%")]
    [InlineData(12.5, false, "1,250.0%")]
    public void Percent(double value, bool signed, string expected) => Assert.Equal(expected, NumberFormat.Percent(value, signed: signed));

    [Theory]
    [InlineData(2425.4, false, "2,425")]
    [InlineData(2425.4, true, "+2,425")]
    [InlineData(-1234567, false, "\u22121,234,567")]
    [InlineData(12.5, false, "12.5")]
    [InlineData(12, false, "12")]
    public void Count(double value, bool signed, string expected) => Assert.Equal(expected, NumberFormat.Count(value, signed));

    [Theory]
    [InlineData(1234.5, "$1,234.50")]
    [InlineData(-3, "\u2212$3.00")]
    [InlineData(123456.7, "$123,457")]
    [InlineData(-0.001, "$0.00")]
    public void Currency(double value, string expected) => Assert.Equal(expected, NumberFormat.Currency(value));

    [Theory]
    [InlineData(0.052349, "0.0523")]
    [InlineData(12.345, "12.3")]
    [InlineData(0.814, "0.814")]
    [InlineData(1234.6, "1,235")]
    [InlineData(double.NaN, "n/a")]
    public void Number(double value, string expected) => Assert.Equal(expected, NumberFormat.Number(value));

    [Fact]
    public void Intervals_are_written_with_their_estimate_in_both_styles()
    {
        Assert.Equal("+2.4% [+0.9, +3.9]", NumberFormat.EstimateWithInterval(0.024, 0.009, 0.039, ValueKind.Percent));
        Assert.Equal("\u22120.6% [\u22122.1, +0.9]", NumberFormat.EstimateWithInterval(-0.006, -0.021, 0.009, ValueKind.Percent));
        Assert.Equal("+4.2% (+1.1% to +7.3%)", NumberFormat.EstimateWithRange(0.042, 0.011, 0.073, ValueKind.Percent));
        Assert.Equal("+2,425 [+1,890, +2,950]", NumberFormat.EstimateWithInterval(2425, 1890, 2950, ValueKind.Count));
        Assert.Equal("+0.52 pp (+0.10 pp to +0.94 pp)", NumberFormat.EstimateWithRange(0.0052, 0.001, 0.0094, ValueKind.PercentagePoints));
        Assert.Equal("+$1.20 (+$0.40 to +$2.00)", NumberFormat.EstimateWithRange(1.2, 0.4, 2, ValueKind.Currency));
    }

    [Theory]
    [InlineData(0.05, "95%")]
    [InlineData(0.1, "90%")]
    [InlineData(0.025, "97.5%")]
    public void Level(double alpha, string expected) => Assert.Equal(expected, NumberFormat.Level(alpha));

    [Theory]
    [InlineData(0.0321, "p = 0.032")]
    [InlineData(0.25, "p = 0.25")]
    [InlineData(0.0004, "p < 0.001")]
    public void PValue(double p, string expected) => Assert.Equal(expected, NumberFormat.PValue(p));

    [Fact]
    public void Dates_are_short_on_axes_and_iso_in_text()
    {
        Assert.Equal("Mar 1", NumberFormat.ShortDate(new DateOnly(2026, 3, 1)));
        Assert.Equal("2026-03-01", NumberFormat.IsoDate(new DateOnly(2026, 3, 1)));
    }
}
