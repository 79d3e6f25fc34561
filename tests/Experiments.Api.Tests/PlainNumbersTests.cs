using Experiments.Dashboards;

namespace Experiments.Api.Tests;

/// <summary>The dashboards' plain words for numbers: sign, one decimal, the interval and its level, always together.</summary>
public class PlainNumbersTests
{
    [Theory]
    [InlineData(0.042, 0.011, 0.073, 0.95, "+4.2% (+1.1% to +7.3%), 95% interval")]
    [InlineData(-0.0251, -0.05, 0.0004, 0.9, "\u22122.5% (\u22125.0% to +0.0%), 90% interval")]
    [InlineData(0.5, 0.25, 0.75, 0.995, "+50.0% (+25.0% to +75.0%), 99.5% interval")]
    public void A_lift_is_said_with_its_interval_and_level(double estimate, double lower, double upper, double level, string expected) =>
        Assert.Equal(expected, PlainNumbers.Lift(new EstimateInterval(estimate, lower, upper), level));

    [Fact]
    public void Decision_codes_read_as_words() => Assert.Equal("keep running", PlainNumbers.Words("keep_running"));
}
