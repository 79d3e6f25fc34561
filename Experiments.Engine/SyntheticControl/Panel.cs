namespace Experiments.Engine.SyntheticControl;

/// <summary>
/// One long-form observation: the outcome of one unit in one period, plus the values of the
/// panel's named covariates for that unit and period.
/// </summary>
/// <param name="Unit">The unit's name (a region, a state, a geo). Compared ordinally, case-sensitive.</param>
/// <param name="Period">The period as an integer (a year, or a day index 1..T).</param>
/// <param name="Outcome">The outcome. Must be finite: <see cref="double.NaN"/> is read as a missing outcome and rejected.</param>
/// <param name="Covariates">
/// Covariate values in the order of the covariate names given to <see cref="Panel.FromRows"/>; <c>null</c> when
/// the panel has no covariates or all are missing for this row. A missing covariate cell is
/// <see cref="double.NaN"/> (covariates are typically observed only in some periods, e.g. Basque sector shares
/// only in odd years 1961–1969).
/// </param>
public sealed record PanelRow(string Unit, int Period, double Outcome, IReadOnlyList<double>? Covariates = null);

/// <summary>
/// A balanced units × periods panel of one outcome, with optional named covariates per unit and period:
/// the input of the synthetic control method (the <c>foo</c> data frame of R Synth's <c>dataprep</c>).
/// </summary>
/// <remarks>
/// <para>
/// Every unit must have exactly one row for every period that occurs in the panel, and its outcome must be finite:
/// the synthetic control's counterfactual Σⱼ wⱼ Yⱼₜ is undefined when a donor's outcome is missing.
/// Covariates may be missing (stored as <see cref="double.NaN"/>); a predictor averages a covariate over the
/// periods where it is observed, as R Synth's <c>dataprep</c> does (<c>mean(..., na.rm = TRUE)</c>).
/// </para>
/// <para>
/// Units keep the order of their first appearance in the rows; periods are sorted ascending. Periods need not
/// be contiguous.
/// </para>
/// </remarks>
public sealed class Panel
{
    private readonly Dictionary<string, int> _unitIndex;
    private readonly Dictionary<int, int> _periodIndex;
    private readonly Dictionary<string, int> _covariateIndex;
    private readonly double[] _outcome;      // unit-major: [unit * periods + period]
    private readonly double[][] _covariates; // per covariate, unit-major like _outcome

    private Panel(string outcomeName, string[] units, int[] periods, string[] covariateNames, double[] outcome, double[][] covariates)
    {
        OutcomeName = outcomeName;
        Units = units;
        Periods = periods;
        CovariateNames = covariateNames;
        _outcome = outcome;
        _covariates = covariates;
        _unitIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < units.Length; i++) _unitIndex[units[i]] = i;
        _periodIndex = new Dictionary<int, int>();
        for (var t = 0; t < periods.Length; t++) _periodIndex[periods[t]] = t;
        _covariateIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var c = 0; c < covariateNames.Length; c++) _covariateIndex[covariateNames[c]] = c;
    }

    /// <summary>The outcome variable's name (e.g. <c>gdpcap</c>); a predictor refers to the outcome by this name.</summary>
    public string OutcomeName { get; }

    /// <summary>The units, in order of first appearance in the rows.</summary>
    public IReadOnlyList<string> Units { get; }

    /// <summary>The periods, ascending.</summary>
    public IReadOnlyList<int> Periods { get; }

    /// <summary>The covariate names, in the order the rows' <see cref="PanelRow.Covariates"/> use.</summary>
    public IReadOnlyList<string> CovariateNames { get; }

    /// <summary>
    /// Builds a panel from long-form rows and validates it.
    /// </summary>
    /// <param name="rows">One row per (unit, period).</param>
    /// <param name="outcomeName">The outcome's name, used by predictors to refer to it (default <c>outcome</c>).</param>
    /// <param name="covariateNames">The names of the covariates carried by each row, in order; none when <c>null</c>.</param>
    /// <exception cref="StatisticsInputException">
    /// No rows; an empty unit name; a duplicate (unit, period) row; a non-finite or missing (NaN) outcome; a unit
    /// without a row for some period; a row whose covariate list has the wrong length or an infinite value;
    /// duplicate or empty covariate names, or a covariate named like the outcome. Each message names the unit and
    /// period concerned.
    /// </exception>
    public static Panel FromRows(IEnumerable<PanelRow> rows, string outcomeName = "outcome", IReadOnlyList<string>? covariateNames = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (string.IsNullOrWhiteSpace(outcomeName))
            throw new StatisticsInputException(nameof(outcomeName), "The outcome needs a non-empty name.");
        var names = covariateNames?.ToArray() ?? [];
        var seenNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (string.IsNullOrWhiteSpace(name))
                throw new StatisticsInputException(nameof(covariateNames), "Covariate names must not be empty.");
            if (name == outcomeName)
                throw new StatisticsInputException(nameof(covariateNames), $"Covariate '{name}' has the same name as the outcome.");
            if (!seenNames.Add(name))
                throw new StatisticsInputException(nameof(covariateNames), $"Covariate '{name}' is named twice.");
        }

        var unitOrder = new List<string>();
        var unitIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var periodSet = new SortedSet<int>();
        var cells = new Dictionary<(int Unit, int Period), PanelRow>();
        var rowNumber = 0;
        foreach (var row in rows)
        {
            if (row is null)
                throw new StatisticsInputException(nameof(rows), $"Row {rowNumber} is null.");
            if (string.IsNullOrWhiteSpace(row.Unit))
                throw new StatisticsInputException(nameof(rows), $"Row {rowNumber} (period {row.Period}) has an empty unit name.");
            if (double.IsNaN(row.Outcome))
                throw new StatisticsInputException(nameof(rows), $"The outcome of unit '{row.Unit}' in period {row.Period} is missing (NaN); the synthetic control needs every outcome cell.");
            if (!double.IsFinite(row.Outcome))
                throw new StatisticsInputException(nameof(rows), $"The outcome of unit '{row.Unit}' in period {row.Period} is not finite ({row.Outcome}).");
            if (row.Covariates is not null)
            {
                if (row.Covariates.Count != names.Length)
                    throw new StatisticsInputException(nameof(rows), $"The row of unit '{row.Unit}' in period {row.Period} has {row.Covariates.Count} covariate values but the panel has {names.Length} covariates.");
                for (var c = 0; c < names.Length; c++)
                    if (double.IsInfinity(row.Covariates[c]))
                        throw new StatisticsInputException(nameof(rows), $"Covariate '{names[c]}' of unit '{row.Unit}' in period {row.Period} is infinite; use NaN for a missing value.");
            }

            if (!unitIndex.TryGetValue(row.Unit, out var u))
            {
                u = unitOrder.Count;
                unitIndex[row.Unit] = u;
                unitOrder.Add(row.Unit);
            }

            if (!cells.TryAdd((u, row.Period), row))
                throw new StatisticsInputException(nameof(rows), $"Unit '{row.Unit}' has more than one row for period {row.Period}.");
            periodSet.Add(row.Period);
            rowNumber++;
        }

        if (rowNumber == 0)
            throw new StatisticsInputException(nameof(rows), "The panel has no rows.");

        var periods = periodSet.ToArray();
        var units = unitOrder.ToArray();
        var outcome = new double[units.Length * periods.Length];
        var covariates = new double[names.Length][];
        for (var c = 0; c < names.Length; c++)
        {
            covariates[c] = new double[outcome.Length];
            Array.Fill(covariates[c], double.NaN);
        }

        for (var u = 0; u < units.Length; u++)
        {
            for (var t = 0; t < periods.Length; t++)
            {
                if (!cells.TryGetValue((u, periods[t]), out var row))
                    throw new StatisticsInputException(nameof(rows), $"Unit '{units[u]}' has no row for period {periods[t]}; the panel must be balanced (every unit observed in every period).");
                var cell = u * periods.Length + t;
                outcome[cell] = row.Outcome;
                if (row.Covariates is not null)
                    for (var c = 0; c < names.Length; c++)
                        covariates[c][cell] = row.Covariates[c];
            }
        }

        return new Panel(outcomeName, units, periods, names, outcome, covariates);
    }

    /// <summary>True when the panel has a unit of this name.</summary>
    public bool ContainsUnit(string unit) => unit is not null && _unitIndex.ContainsKey(unit);

    /// <summary>The outcome of <paramref name="unit"/> in <paramref name="period"/>.</summary>
    /// <exception cref="StatisticsInputException">The unit or the period is not in the panel.</exception>
    public double Outcome(string unit, int period) => _outcome[Cell(UnitIndex(unit, nameof(unit)), PeriodIndex(period, nameof(period)))];

    /// <summary>The value of covariate <paramref name="covariate"/> for <paramref name="unit"/> in <paramref name="period"/>; NaN when missing.</summary>
    /// <exception cref="StatisticsInputException">The unit, the period or the covariate is not in the panel.</exception>
    public double Covariate(string covariate, string unit, int period)
    {
        if (covariate is null || !_covariateIndex.TryGetValue(covariate, out var c))
            throw new StatisticsInputException(nameof(covariate), $"The panel has no covariate '{covariate}'.");
        return _covariates[c][Cell(UnitIndex(unit, nameof(unit)), PeriodIndex(period, nameof(period)))];
    }

    /// <summary>The same panel without the periods at or after <paramref name="period"/> (for in-time placebos).</summary>
    internal Panel PeriodsBefore(int period)
    {
        var keep = Enumerable.Range(0, Periods.Count).Where(t => Periods[t] < period).ToArray();
        var units = Units.ToArray();
        var outcome = new double[units.Length * keep.Length];
        var covariates = new double[CovariateNames.Count][];
        for (var c = 0; c < covariates.Length; c++) covariates[c] = new double[outcome.Length];
        for (var u = 0; u < units.Length; u++)
        {
            for (var i = 0; i < keep.Length; i++)
            {
                outcome[u * keep.Length + i] = _outcome[Cell(u, keep[i])];
                for (var c = 0; c < covariates.Length; c++) covariates[c][u * keep.Length + i] = _covariates[c][Cell(u, keep[i])];
            }
        }

        return new Panel(OutcomeName, units, keep.Select(t => Periods[t]).ToArray(), CovariateNames.ToArray(), outcome, covariates);
    }

    internal int UnitIndex(string unit, string field)
    {
        if (unit is null || !_unitIndex.TryGetValue(unit, out var u))
            throw new StatisticsInputException(field, $"Unit '{unit}' is not in the panel.");
        return u;
    }

    internal bool TryPeriodIndex(int period, out int index) => _periodIndex.TryGetValue(period, out index);

    internal int PeriodIndex(int period, string field)
    {
        if (!_periodIndex.TryGetValue(period, out var t))
            throw new StatisticsInputException(field, $"Period {period} is not in the panel (periods run {Periods[0]}..{Periods[^1]}).");
        return t;
    }

    internal bool TryCovariateIndex(string name, out int index) => _covariateIndex.TryGetValue(name, out index);

    internal int Cell(int unit, int period) => unit * Periods.Count + period;

    internal double OutcomeAt(int unit, int period) => _outcome[Cell(unit, period)];

    internal double CovariateAt(int covariate, int unit, int period) => _covariates[covariate][Cell(unit, period)];
}
