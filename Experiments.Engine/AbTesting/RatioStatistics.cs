namespace Experiments.Engine.AbTesting;

/// <summary>
/// Sufficient statistics of a ratio metric for one variant — a per-unit numerator a (clicks,
/// revenue) over a per-unit denominator b (impressions, sessions): n, Σa, Σa², Σb, Σb², Σab.
/// </summary>
/// <remarks>
/// The metric is R = Σa / Σb (for example clicks per impression, pooled over users). Units are the
/// randomisation units (users), so a and b are correlated within a unit; the delta method
/// (Deng, Knoblich &amp; Lu 2018, §3.1, eq. 4) gives
/// <c>Var(R̂) ≈ (s²_a − 2R·s_ab + R²·s²_b) / (n·b̄²)</c> with sample (co)variances (n − 1
/// normaliser). The sums add, like <see cref="SufficientStatistics"/>.
/// </remarks>
public sealed record RatioStatistics
{
    /// <summary>Creates ratio statistics from sums computed elsewhere.</summary>
    /// <exception cref="StatisticsInputException">A negative count, a non-finite sum, or sums no
    /// set of real values could have.</exception>
    public RatioStatistics(long count, double sumNumerator, double sumNumerator2, double sumDenominator,
        double sumDenominator2, double sumNumeratorDenominator, string field = "statistics")
    {
        if (count < 0)
            throw new StatisticsInputException($"{field}.n", $"The unit count must not be negative (got {count}).");
        Check(sumNumerator, $"{field}.sumY");
        Check(sumNumerator2, $"{field}.sumY2");
        Check(sumDenominator, $"{field}.sumD");
        Check(sumDenominator2, $"{field}.sumD2");
        Check(sumNumeratorDenominator, $"{field}.sumYD");
        if (count > 0)
        {
            if (sumNumerator2 < sumNumerator * sumNumerator / count * (1 - 1e-12) - 1e-12)
                throw new StatisticsInputException($"{field}.sumY2", "Σa² is smaller than (Σa)²/n; no set of real values has these sums.");
            if (sumDenominator2 < sumDenominator * sumDenominator / count * (1 - 1e-12) - 1e-12)
                throw new StatisticsInputException($"{field}.sumD2", "Σb² is smaller than (Σb)²/n; no set of real values has these sums.");
        }
        Count = count;
        SumNumerator = sumNumerator;
        SumNumerator2 = sumNumerator2;
        SumDenominator = sumDenominator;
        SumDenominator2 = sumDenominator2;
        SumNumeratorDenominator = sumNumeratorDenominator;
    }

    /// <summary>Number of units n.</summary>
    public long Count { get; }

    /// <summary>Σa.</summary>
    public double SumNumerator { get; }

    /// <summary>Σa².</summary>
    public double SumNumerator2 { get; }

    /// <summary>Σb.</summary>
    public double SumDenominator { get; }

    /// <summary>Σb².</summary>
    public double SumDenominator2 { get; }

    /// <summary>Σa·b.</summary>
    public double SumNumeratorDenominator { get; }

    /// <summary>The ratio R = Σa / Σb.</summary>
    public double Ratio => SumNumerator / SumDenominator;

    /// <summary>The statistics of the union of two disjoint sets of units.</summary>
    public static RatioStatistics operator +(RatioStatistics a, RatioStatistics b) =>
        new(a.Count + b.Count, a.SumNumerator + b.SumNumerator, a.SumNumerator2 + b.SumNumerator2,
            a.SumDenominator + b.SumDenominator, a.SumDenominator2 + b.SumDenominator2,
            a.SumNumeratorDenominator + b.SumNumeratorDenominator);

    /// <summary>Statistics of raw per-unit numerators and denominators.</summary>
    /// <exception cref="StatisticsInputException">Lengths differ or a value is not finite.</exception>
    public static RatioStatistics FromValues(ReadOnlySpan<double> numerator, ReadOnlySpan<double> denominator,
        string numeratorField = "y", string denominatorField = "denominator")
    {
        if (numerator.Length != denominator.Length)
            throw new StatisticsInputException(denominatorField,
                $"The denominator has {denominator.Length} values but the numerator has {numerator.Length}; there must be one of each per unit.");
        var a = SufficientStatistics.FromValues(numerator, denominator, numeratorField, denominatorField);
        return new RatioStatistics(a.Count, a.SumY, a.SumY2, a.SumXAt(0), a.SumXXAt(0, 0), a.SumXYAt(0));
    }

    /// <summary>
    /// The variant's moments on the delta-method scale: mean R and per-unit variance
    /// n·Var(R̂) = (s²_a − 2R·s_ab + R²·s²_b) / b̄², the sample variance of the linearised values
    /// z = (a − R·b)/b̄ (Deng, Knoblich &amp; Lu 2018, eq. 4).
    /// </summary>
    internal VariantMoments ToMoments(string name)
    {
        double n = Count;
        double meanB = SumDenominator / n;
        double r = SumNumerator / SumDenominator;
        double varA = (SumNumerator2 - SumNumerator * SumNumerator / n) / (n - 1);
        double varB = (SumDenominator2 - SumDenominator * SumDenominator / n) / (n - 1);
        double covAB = (SumNumeratorDenominator - SumNumerator * SumDenominator / n) / (n - 1);
        double unitVariance = Math.Max(0.0, (varA - 2 * r * covAB + r * r * varB) / (meanB * meanB));
        return new VariantMoments(name, Count, r, unitVariance);
    }

    private static void Check(double value, string field)
    {
        if (!double.IsFinite(value))
            throw new StatisticsInputException(field, $"The value must be a finite number (got {value}).");
    }
}
