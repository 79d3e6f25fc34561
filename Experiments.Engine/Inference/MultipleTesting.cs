namespace Experiments.Engine.Inference;

/// <summary>How p-values of several comparisons are adjusted for multiplicity.</summary>
public enum MultipleTestingCorrection
{
    /// <summary>No adjustment.</summary>
    None,

    /// <summary>Holm (1979) step-down: controls the family-wise error rate.</summary>
    Holm,

    /// <summary>Benjamini &amp; Hochberg (1995) step-up: controls the false discovery rate.</summary>
    BenjaminiHochberg,
}

/// <summary>Adjusted p-values for a family of hypotheses.</summary>
public static class MultipleTesting
{
    /// <summary>Adjusts the p-values with the chosen correction; the result is in input order.</summary>
    public static double[] Adjust(IReadOnlyList<double> pValues, MultipleTestingCorrection correction) => correction switch
    {
        MultipleTestingCorrection.Holm => Holm(pValues),
        MultipleTestingCorrection.BenjaminiHochberg => BenjaminiHochberg(pValues),
        _ => pValues.ToArray(),
    };

    /// <summary>
    /// Holm's step-down adjustment (Holm 1979): with p₍₁₎ ≤ … ≤ p₍m₎,
    /// p̃₍ᵢ₎ = max_{j ≤ i} min(1, (m − j + 1)·p₍ⱼ₎).
    /// </summary>
    public static double[] Holm(IReadOnlyList<double> pValues)
    {
        int m = pValues.Count;
        var order = Enumerable.Range(0, m).OrderBy(i => pValues[i]).ThenBy(i => i).ToArray();
        var adjusted = new double[m];
        double running = 0;
        for (int rank = 0; rank < m; rank++)
        {
            running = Math.Max(running, Math.Min(1.0, (m - rank) * pValues[order[rank]]));
            adjusted[order[rank]] = running;
        }
        return adjusted;
    }

    /// <summary>
    /// Benjamini–Hochberg step-up adjustment (Benjamini &amp; Hochberg 1995): with
    /// p₍₁₎ ≤ … ≤ p₍m₎, p̃₍ᵢ₎ = min_{j ≥ i} min(1, m·p₍ⱼ₎ / j).
    /// </summary>
    public static double[] BenjaminiHochberg(IReadOnlyList<double> pValues)
    {
        int m = pValues.Count;
        var order = Enumerable.Range(0, m).OrderBy(i => pValues[i]).ThenBy(i => i).ToArray();
        var adjusted = new double[m];
        double running = 1;
        for (int rank = m - 1; rank >= 0; rank--)
        {
            running = Math.Min(running, Math.Min(1.0, m * pValues[order[rank]] / (rank + 1)));
            adjusted[order[rank]] = running;
        }
        return adjusted;
    }
}
