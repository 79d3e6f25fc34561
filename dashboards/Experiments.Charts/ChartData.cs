namespace Experiments.Charts;

/// <summary>One row of a forest plot: a treatment's lift on one metric, with its interval.</summary>
/// <param name="Metric">The metric, as people name it.</param>
/// <param name="Variant">The treatment compared with the control.</param>
/// <param name="Estimate">The lift (a fraction for <see cref="ValueKind.Percent"/>: 0.024 = +2.4%).</param>
/// <param name="Lower">Lower end of the interval.</param>
/// <param name="Upper">Upper end.</param>
/// <param name="HigherIsBetter">False for a metric whose good direction is down (churn, latency): then a rise is drawn as harm.</param>
public sealed record LiftRow(string Metric, string Variant, double Estimate, double Lower, double Upper, bool HigherIsBetter = true);

/// <summary>The input of the <c>lift</c> chart.</summary>
/// <param name="Experiment">The experiment's name.</param>
/// <param name="Alpha">The error rate of the intervals (0.05 for 95% intervals).</param>
/// <param name="Kind">What the lifts are: <see cref="ValueKind.Percent"/> for relative lifts.</param>
/// <param name="Rows">The rows, top to bottom.</param>
/// <param name="Sequential">Whether the intervals are always-valid confidence sequences.</param>
public sealed record LiftChartData(string Experiment, double Alpha, ValueKind Kind, IReadOnlyList<LiftRow> Rows, bool Sequential = false);

/// <summary>One day of a cumulative estimate.</summary>
/// <param name="Day">The last day of data included.</param>
/// <param name="Estimate">The estimate with every day up to <paramref name="Day"/>.</param>
/// <param name="Lower">Lower end of its interval (or confidence sequence).</param>
/// <param name="Upper">Upper end.</param>
public sealed record CumulativePoint(DateOnly Day, double Estimate, double Lower, double Upper);

/// <summary>One line of the cumulative chart (a treatment, or the experiment's total).</summary>
/// <param name="Name">What the line is ("treatment", "Cumulative lift").</param>
/// <param name="Points">By day.</param>
public sealed record CumulativeSeries(string Name, IReadOnlyList<CumulativePoint> Points);

/// <summary>The input of the <c>cumulative</c> chart.</summary>
/// <param name="Experiment">The experiment's name.</param>
/// <param name="Metric">The metric.</param>
/// <param name="Quantity">What is accumulated, in words for the axis ("absolute lift in conversion", "incremental orders").</param>
/// <param name="Kind">How its numbers are written.</param>
/// <param name="Alpha">The error rate of the band.</param>
/// <param name="BandName">What the band is ("95% confidence sequence", "95% interval").</param>
/// <param name="Series">One or more lines with their bands.</param>
public sealed record CumulativeChartData(string Experiment, string Metric, string Quantity, ValueKind Kind, double Alpha, string BandName,
    IReadOnlyList<CumulativeSeries> Series);

/// <summary>One day of a treated series and its counterfactual.</summary>
/// <param name="Day">The day.</param>
/// <param name="Actual">The treated markets' outcome.</param>
/// <param name="Synthetic">The synthetic control's outcome (the counterfactual).</param>
/// <param name="Lower">Lower end of the counterfactual's interval; null before the treatment.</param>
/// <param name="Upper">Upper end; null before the treatment.</param>
public sealed record CounterfactualPoint(DateOnly Day, double Actual, double Synthetic, double? Lower, double? Upper);

/// <summary>The input of the <c>counterfactual</c> and <c>effect</c> charts.</summary>
/// <param name="Experiment">The experiment's name.</param>
/// <param name="Metric">The metric ("orders").</param>
/// <param name="Kind">How the outcome is written.</param>
/// <param name="Alpha">The error rate of the band.</param>
/// <param name="TreatmentStart">The first treated day.</param>
/// <param name="Points">By day, pre-period included.</param>
public sealed record CounterfactualChartData(string Experiment, string Metric, ValueKind Kind, double Alpha, DateOnly TreatmentStart,
    IReadOnlyList<CounterfactualPoint> Points);

/// <summary>One unit of a placebo test.</summary>
/// <param name="Unit">The market.</param>
/// <param name="Value">Its statistic (post/pre RMSPE ratio, or average effect).</param>
public sealed record PlaceboValue(string Unit, double Value);

/// <summary>The input of the <c>placebos</c> chart.</summary>
/// <param name="Experiment">The experiment's name.</param>
/// <param name="Statistic">The statistic in words ("post/pre RMSPE ratio").</param>
/// <param name="Kind">How it is written.</param>
/// <param name="Observed">The treated unit's value.</param>
/// <param name="Placebos">Every donor refitted as if treated.</param>
/// <param name="PValue">The permutation p-value.</param>
public sealed record PlaceboChartData(string Experiment, string Statistic, ValueKind Kind, double Observed, IReadOnlyList<PlaceboValue> Placebos, double PValue);

/// <summary>One point of a power curve.</summary>
/// <param name="RelativeEffect">The true relative lift (0.02 = +2%).</param>
/// <param name="Power">The probability of detecting it.</param>
public sealed record PowerPoint(double RelativeEffect, double Power);

/// <summary>The input of the power curve.</summary>
/// <param name="Alpha">The test's error rate (per comparison).</param>
/// <param name="TargetPower">The planned power (drawn as a line).</param>
/// <param name="Curves">One curve per plan ("Without CUPED", "With CUPED").</param>
public sealed record PowerChartData(double Alpha, double TargetPower, IReadOnlyList<PowerCurve> Curves);

/// <summary>Power against the true lift for one plan.</summary>
/// <param name="Name">The plan ("Without CUPED").</param>
/// <param name="UnitsPerVariant">Its units per variant.</param>
/// <param name="Mde">The relative lift detected with the target power at that sample.</param>
/// <param name="Points">Power by effect, in increasing effect.</param>
public sealed record PowerCurve(string Name, double UnitsPerVariant, double Mde, IReadOnlyList<PowerPoint> Points);
