using Experiments.Engine.SyntheticControl;

namespace Experiments.Engine.Tests.SyntheticControl;

/// <summary>Building and validating the long-form panel: each bad input is refused with a message naming the unit and period.</summary>
public class PanelTests
{
    private static PanelRow Row(string unit, int period, double outcome, params double[] covariates) => new(unit, period, outcome, covariates);

    [Fact]
    public void BuildsABalancedPanelWithMissingCovariates()
    {
        var panel = Panel.FromRows(
        [
            Row("b", 2001, 3.0, 1.0, double.NaN), Row("a", 2000, 1.0, double.NaN, 5.0),
            Row("a", 2001, 2.0, 2.0, 6.0), Row("b", 2000, 4.0, 3.0, 7.0),
        ], "sales", ["price", "income"]);

        Assert.Equal(["b", "a"], panel.Units);             // order of first appearance
        Assert.Equal([2000, 2001], panel.Periods);         // ascending
        Assert.Equal(["price", "income"], panel.CovariateNames);
        Assert.Equal("sales", panel.OutcomeName);
        Assert.Equal(2.0, panel.Outcome("a", 2001));
        Assert.Equal(4.0, panel.Outcome("b", 2000));
        Assert.True(double.IsNaN(panel.Covariate("income", "b", 2001)));
        Assert.Equal(6.0, panel.Covariate("income", "a", 2001));
        Assert.True(panel.ContainsUnit("a"));
        Assert.False(panel.ContainsUnit("c"));
    }

    [Fact]
    public void RowsWithoutCovariatesLeaveThemMissing()
    {
        var panel = Panel.FromRows([new PanelRow("a", 1, 1.0), new PanelRow("a", 2, 1.5, [2.0])], "y", ["x"]);
        Assert.True(double.IsNaN(panel.Covariate("x", "a", 1)));
        Assert.Equal(2.0, panel.Covariate("x", "a", 2));
    }

    [Theory]
    [InlineData("duplicate", "Unit 'a' has more than one row for period 2")]
    [InlineData("missing-cell", "Unit 'b' has no row for period 2")]
    [InlineData("nan-outcome", "The outcome of unit 'b' in period 1 is missing (NaN)")]
    [InlineData("infinite-outcome", "The outcome of unit 'a' in period 2 is not finite")]
    [InlineData("infinite-covariate", "Covariate 'x' of unit 'a' in period 1 is infinite")]
    [InlineData("covariate-count", "The row of unit 'b' in period 2 has 2 covariate values but the panel has 1 covariates")]
    [InlineData("empty-unit", "Row 1 (period 2) has an empty unit name")]
    [InlineData("no-rows", "The panel has no rows")]
    public void RefusesBadRows(string problem, string message)
    {
        List<PanelRow> rows = problem switch
        {
            "duplicate" => [Row("a", 1, 1, 0), Row("a", 2, 1, 0), Row("a", 2, 5, 0)],
            "missing-cell" => [Row("a", 1, 1, 0), Row("a", 2, 1, 0), Row("b", 1, 1, 0)],
            "nan-outcome" => [Row("a", 1, 1, 0), Row("b", 1, double.NaN, 0)],
            "infinite-outcome" => [Row("a", 1, 1, 0), Row("a", 2, double.PositiveInfinity, 0)],
            "infinite-covariate" => [Row("a", 1, 1, double.NegativeInfinity)],
            "covariate-count" => [Row("a", 1, 1, 0), Row("b", 2, 1, 0, 0)],
            "empty-unit" => [Row("a", 1, 1, 0), Row(" ", 2, 1, 0)],
            "no-rows" => [],
            _ => throw new ArgumentOutOfRangeException(nameof(problem)),
        };
        var error = Assert.Throws<StatisticsInputException>(() => Panel.FromRows(rows, "y", ["x"]));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void RefusesBadNames()
    {
        var rows = new[] { Row("a", 1, 1, 0, 0) };
        Assert.Contains("named twice", Assert.Throws<StatisticsInputException>(() => Panel.FromRows(rows, "y", ["x", "x"])).Message);
        Assert.Contains("same name as the outcome", Assert.Throws<StatisticsInputException>(() => Panel.FromRows(rows, "y", ["y", "x"])).Message);
        var panel = Panel.FromRows(rows, "y", ["x", "z"]);
        Assert.Contains("Unit 'q' is not in the panel", Assert.Throws<StatisticsInputException>(() => panel.Outcome("q", 1)).Message);
        Assert.Contains("Period 7 is not in the panel", Assert.Throws<StatisticsInputException>(() => panel.Outcome("a", 7)).Message);
        Assert.Contains("no covariate 'w'", Assert.Throws<StatisticsInputException>(() => panel.Covariate("w", "a", 1)).Message);
    }

    [Fact]
    public void ReferencePanelsLoadWithTheirDocumentedShapes()
    {
        // Shapes from the data README: Basque 18 × 43, California 39 × 31, Germany 17 × 44, Texas 51 × 16.
        Assert.Equal((18, 43), (ReferenceData.Basque.Units.Count, ReferenceData.Basque.Periods.Count));
        Assert.Equal((39, 31), (ReferenceData.California.Units.Count, ReferenceData.California.Periods.Count));
        Assert.Equal((17, 44), (ReferenceData.Germany.Units.Count, ReferenceData.Germany.Periods.Count));
        Assert.Equal((51, 16), (ReferenceData.Texas.Units.Count, ReferenceData.Texas.Periods.Count));
    }
}
