using Experiments.Jobs.Results;

namespace Experiments.Jobs.Analysis;

/// <summary>What kind of contract problem was found.</summary>
public enum ContractProblemKind
{
    /// <summary>A required column does not exist (renamed or dropped). Fails the run.</summary>
    MissingColumn,

    /// <summary>A required column has another type. Fails the run.</summary>
    WrongType,

    /// <summary>A day of the window has no data yet. Defers the run.</summary>
    MissingDay,

    /// <summary>A day of the window has far fewer rows than the trailing days (still loading). Defers the run.</summary>
    ImplausibleVolume,

    /// <summary>A metric's kind does not fit the values the source has for it (a proportion on a value that is not 0/1 per unit). Fails the run.</summary>
    WrongMetricKind,
}

/// <summary>One problem with the source data.</summary>
/// <param name="Kind">What is wrong.</param>
/// <param name="Table">The table concerned.</param>
/// <param name="Column">The column concerned, for schema problems.</param>
/// <param name="Day">The day concerned, for freshness problems.</param>
/// <param name="Message">A sentence for people that names the table, column or day.</param>
public sealed record ContractProblem(ContractProblemKind Kind, string Table, string? Column, DateOnly? Day, string Message)
{
    /// <summary>Whether waiting can fix it (a late day), as opposed to a schema change, which cannot.</summary>
    public bool IsFreshness => Kind is ContractProblemKind.MissingDay or ContractProblemKind.ImplausibleVolume;
}

/// <summary>A column an analysis needs.</summary>
/// <param name="Table">The table.</param>
/// <param name="Column">The column.</param>
/// <param name="Type">Its type as the source spells it (<c>UInt64</c>, <c>Float64</c>, <c>LowCardinality(String)</c>).</param>
public sealed record RequiredColumn(string Table, string Column, string Type);

/// <summary>A column as the source describes it.</summary>
/// <param name="Table">The table.</param>
/// <param name="Column">The column.</param>
/// <param name="Type">Its type.</param>
public sealed record ObservedColumn(string Table, string Column, string Type);

/// <summary>The number of rows one day has in the source.</summary>
/// <param name="Day">The day.</param>
/// <param name="Rows">Its rows (0 when absent).</param>
public sealed record DayVolume(DateOnly Day, long Rows);

/// <summary>The outcome of a data-contract check.</summary>
/// <param name="Problems">Everything found; empty when the data can be analysed.</param>
/// <param name="Cost">What the check read.</param>
public sealed record DataContractResult(IReadOnlyList<ContractProblem> Problems, ReadCost Cost)
{
    /// <summary>Whether the data can be analysed.</summary>
    public bool IsSatisfied => Problems.Count == 0;

    /// <summary>The problems no amount of waiting fixes (schema changes).</summary>
    public IEnumerable<ContractProblem> SchemaProblems => Problems.Where(p => !p.IsFreshness);

    /// <summary>The problems a later run may not have (late days).</summary>
    public IEnumerable<ContractProblem> FreshnessProblems => Problems.Where(p => p.IsFreshness);
}

/// <summary>How much a day may fall short of its trailing days before it counts as not loaded yet.</summary>
/// <param name="TrailingDays">How many days before a day form its comparison (7: a week, so weekdays balance).</param>
/// <param name="MinimumShareOfTrailingMedian">A day with fewer rows than this share of the trailing days' median is implausible.</param>
public sealed record FreshnessRule(int TrailingDays = 7, double MinimumShareOfTrailingMedian = 0.5)
{
    /// <summary>A week of trailing days; half their median is the floor.</summary>
    public static FreshnessRule Default { get; } = new();
}

/// <summary>
/// The data-contract rules, in one place for every data source: columns present with their types,
/// every day of the window present, each day's volume plausible against the days before it.
/// </summary>
public static class DataContract
{
    /// <summary>Compares required columns with the source's; one problem per missing or retyped column.</summary>
    public static IReadOnlyList<ContractProblem> CheckColumns(IEnumerable<RequiredColumn> required, IEnumerable<ObservedColumn> observed)
    {
        var actual = observed.ToDictionary(c => (c.Table, c.Column), c => c.Type);
        var problems = new List<ContractProblem>();
        foreach (var need in required)
        {
            if (!actual.TryGetValue((need.Table, need.Column), out var type))
                problems.Add(new ContractProblem(ContractProblemKind.MissingColumn, need.Table, need.Column, null,
                    $"Column '{need.Column}' of table '{need.Table}' is missing (renamed or dropped); the analysis needs it as {need.Type}."));
            else if (!string.Equals(type, need.Type, StringComparison.Ordinal))
                problems.Add(new ContractProblem(ContractProblemKind.WrongType, need.Table, need.Column, null,
                    $"Column '{need.Column}' of table '{need.Table}' is {type}; the analysis needs {need.Type}."));
        }
        return problems;
    }

    /// <summary>
    /// A proportion metric needs a 0/1 value per unit. Returns the problem, naming the metric, when
    /// <paramref name="metric"/> is a proportion and the source's value for it is not an indicator; null otherwise.
    /// </summary>
    /// <param name="metric">The experiment's metric.</param>
    /// <param name="isZeroOne">Whether the source's per-unit value of the metric is 0 or 1.</param>
    /// <param name="zeroOneNames">The metric names the source has as 0/1 indicators, for the message.</param>
    public static ContractProblem? CheckProportion(MetricDefinition metric, bool isZeroOne, IEnumerable<string> zeroOneNames)
    {
        if (metric.Kind != Engine.AbTesting.MetricKind.Proportion || isZeroOne)
            return null;
        return new ContractProblem(ContractProblemKind.WrongMetricKind, "metrics", metric.Name, null,
            $"The proportion metric '{metric.Name}' is not 0/1 per unit, so it cannot be a proportion; the 0/1 metrics are {string.Join(", ", zeroOneNames)} (or analyse '{metric.Name}' as a mean).");
    }

    /// <summary>
    /// Checks that every day of <paramref name="window"/> has rows in <paramref name="table"/>, and
    /// that each day's rows reach <see cref="FreshnessRule.MinimumShareOfTrailingMedian"/> of the
    /// median of the <see cref="FreshnessRule.TrailingDays"/> days before it (days before the window
    /// count as trailing days when given). A day with no trailing days is only checked for presence.
    /// </summary>
    /// <param name="table">The table the volumes are of.</param>
    /// <param name="window">The days that must be present.</param>
    /// <param name="volumes">Rows per day, for the window and optionally the days before it; absent days count as 0.</param>
    /// <param name="rule">The plausibility rule.</param>
    public static IReadOnlyList<ContractProblem> CheckFreshness(string table, DateRange window, IEnumerable<DayVolume> volumes, FreshnessRule? rule = null)
    {
        rule ??= FreshnessRule.Default;
        var rows = volumes.GroupBy(v => v.Day).ToDictionary(g => g.Key, g => g.Sum(v => v.Rows));
        var problems = new List<ContractProblem>();
        foreach (var day in window.Days())
        {
            long count = rows.GetValueOrDefault(day);
            if (count <= 0)
            {
                problems.Add(new ContractProblem(ContractProblemKind.MissingDay, table, null, day,
                    $"Table '{table}' has no rows for {day:yyyy-MM-dd}: the day is missing or not loaded yet."));
                continue;
            }
            var trailing = Enumerable.Range(1, rule.TrailingDays)
                .Select(k => day.AddDays(-k))
                .Where(rows.ContainsKey)
                .Select(d => rows[d])
                .Where(n => n > 0)
                .Order()
                .ToList();
            if (trailing.Count == 0)
                continue;
            double median = trailing.Count % 2 == 1
                ? trailing[trailing.Count / 2]
                : (trailing[trailing.Count / 2 - 1] + trailing[trailing.Count / 2]) / 2.0;
            if (count < rule.MinimumShareOfTrailingMedian * median)
                problems.Add(new ContractProblem(ContractProblemKind.ImplausibleVolume, table, null, day,
                    $"Table '{table}' has {count} rows for {day:yyyy-MM-dd}, under {rule.MinimumShareOfTrailingMedian:P0} of the median {median:0} of the {trailing.Count} day(s) before it: the day looks partly loaded."));
        }
        return problems;
    }
}
