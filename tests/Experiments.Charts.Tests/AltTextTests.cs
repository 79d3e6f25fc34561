using Experiments.Charts;

namespace Experiments.Charts.Tests;

/// <summary>The text alternatives say the numbers, with the same rounding as the picture, the intervals and their level.</summary>
public sealed class AltTextTests
{
    [Fact]
    public void Lift_alt_text_gives_every_row_with_its_interval_and_verdict()
    {
        using var chart = ExperimentCharts.Lift(SampleCharts.Lift());
        Assert.Equal("Experiment EXP-1234: lift by metric", chart.Title);
        Assert.Contains("with 95% confidence intervals", chart.AltText);
        Assert.Contains("Conversion rate: +2.4% (+0.9% to +3.9%), better than control", chart.AltText);
        Assert.Contains("Revenue per user: +1.1% (\u22120.8% to +3.0%), the interval includes zero", chart.AltText);
        // Churn falls, and lower is better: good news, drawn green.
        Assert.Contains("30-day churn: \u22123.2% (\u22125.0% to \u22121.4%), better than control (the interval lies below zero, and lower is better)", chart.AltText);
    }

    [Fact]
    public void A_rise_in_a_metric_whose_good_direction_is_down_is_harm()
    {
        var data = new LiftChartData("Latency test", 0.1, ValueKind.Percent, [new LiftRow("p95 latency", "treatment", 0.05, 0.02, 0.08, HigherIsBetter: false)]);
        using var chart = ExperimentCharts.Lift(data);
        Assert.Contains("90% confidence intervals", chart.AltText);
        Assert.Contains("p95 latency: +5.0% (+2.0% to +8.0%), worse than control", chart.AltText);
    }

    [Fact]
    public void Cumulative_alt_text_and_title_give_the_latest_value_with_its_band()
    {
        var data = SampleCharts.Cumulative();
        var last = data.Series[0].Points[^1];
        using var chart = ExperimentCharts.Cumulative(data);
        Assert.Equal($"Cumulative incremental orders: {NumberFormat.Count(last.Estimate, signed: true)}", chart.Title);
        Assert.Contains($"on {NumberFormat.IsoDate(last.Day)} {NumberFormat.EstimateWithRange(last.Estimate, last.Lower, last.Upper, ValueKind.Count)}, the band excludes zero", chart.AltText);
        Assert.Contains("95% interval", chart.AltText);
    }

    [Fact]
    public void Counterfactual_alt_text_gives_the_treatment_start_and_the_days_outside_the_band()
    {
        using var chart = ExperimentCharts.Counterfactual(SampleCharts.Counterfactual());
        Assert.Contains("the treatment started on 2026-05-21", chart.AltText);
        Assert.Contains("95% interval", chart.AltText);
        Assert.Matches(@"above the counterfactual's 95% interval on \d+ of \d+ days", chart.AltText);
    }

    [Fact]
    public void Placebo_alt_text_gives_the_observed_value_and_the_p_value()
    {
        using var chart = ExperimentCharts.Placebos(SampleCharts.Placebos());
        Assert.Contains("treated markets' value 3.42 marked; 0 of 39 placebos are at least as large; permutation p = 0.025", chart.AltText);
    }
}
