namespace Experiments.Engine.AbTesting;

/// <summary>Covariate columns ready for CUPED, one array of columns per variant.</summary>
/// <param name="Names">The name of each column: the input names, then "name (missing)" for each indicator.</param>
/// <param name="Columns">Per variant, the dense covariate columns in <paramref name="Names"/> order.</param>
public sealed record CovariateColumns(IReadOnlyList<string> Names, IReadOnlyList<double[][]> Columns);

/// <summary>
/// Pre-period covariates with gaps (units new since the pre-period have no pre-period value).
/// A missing value becomes 0 and, for every covariate that is missing for at least one unit in any
/// variant, an indicator column (1 where missing, else 0) is appended after all input columns, in
/// input order. The regression then fits new units their own intercept instead of pretending their
/// history was zero — the standard missing-indicator adjustment for pre-treatment covariates, which
/// keeps the CUPED estimate unbiased because the covariates are fixed before treatment.
/// </summary>
public static class MissingCovariates
{
    /// <summary>Expands the columns of every variant consistently.</summary>
    /// <param name="names">Covariate names, one per column.</param>
    /// <param name="perVariant">Per variant, the covariate columns (null marks a missing value).</param>
    /// <param name="variantNames">Variant names, for error messages.</param>
    /// <exception cref="StatisticsInputException">A variant has a different number of columns, a
    /// column's length differs from the first column's, or a value is not finite.</exception>
    public static CovariateColumns Expand(IReadOnlyList<string> names, IReadOnlyList<double?[][]> perVariant, IReadOnlyList<string> variantNames)
    {
        int k = names.Count;
        var anyMissing = new bool[k];
        for (int v = 0; v < perVariant.Count; v++)
        {
            var columns = perVariant[v];
            if (columns.Length != k)
                throw new StatisticsInputException($"variants[{variantNames[v]}].x",
                    $"Variant '{variantNames[v]}' has {columns.Length} covariates; every variant needs the same {k}.");
            for (int j = 0; j < k; j++)
            {
                var column = columns[j];
                if (column.Length != columns[0].Length)
                    throw new StatisticsInputException($"variants[{variantNames[v]}].x[{names[j]}]",
                        $"Covariate '{names[j]}' of variant '{variantNames[v]}' has {column.Length} values but '{names[0]}' has {columns[0].Length}.");
                for (int i = 0; i < column.Length; i++)
                {
                    if (column[i] is not { } value)
                        anyMissing[j] = true;
                    else if (!double.IsFinite(value))
                        throw new StatisticsInputException($"variants[{variantNames[v]}].x[{names[j]}][{i}]",
                            $"Covariate value {i} is {value}; every value must be a finite number or null for missing.");
                }
            }
        }

        var outNames = names.ToList();
        for (int j = 0; j < k; j++)
            if (anyMissing[j])
                outNames.Add($"{names[j]} (missing)");

        var result = new List<double[][]>(perVariant.Count);
        foreach (var columns in perVariant)
        {
            var dense = new double[outNames.Count][];
            int indicator = k;
            for (int j = 0; j < k; j++)
            {
                var column = columns[j];
                dense[j] = new double[column.Length];
                for (int i = 0; i < column.Length; i++)
                    dense[j][i] = column[i] ?? 0.0;
                if (!anyMissing[j])
                    continue;
                var flags = new double[column.Length];
                for (int i = 0; i < column.Length; i++)
                    flags[i] = column[i].HasValue ? 0.0 : 1.0;
                dense[indicator++] = flags;
            }
            result.Add(dense);
        }
        return new CovariateColumns(outNames, result);
    }
}
