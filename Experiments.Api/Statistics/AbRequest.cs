using Experiments.Engine;
using Experiments.Engine.AbTesting;
using Experiments.Engine.Inference;

namespace Experiments.Api.Statistics;

/// <summary>
/// Body of <c>POST /api/v1/stats/ab</c>: one metric of an A/B/n test, every variant given either as
/// raw per-unit values or as sufficient statistics.
/// </summary>
public sealed record AbRequest
{
    /// <summary>Two-sided error rate, default 0.05.</summary>
    public double? Alpha { get; init; }

    /// <summary>Name of the control variant, default "control".</summary>
    public string? Control { get; init; }

    /// <summary>mean (default), proportion or ratio.</summary>
    public MetricKind? Metric { get; init; }

    /// <summary>Apply CUPED with each variant's pre-period covariate(s).</summary>
    public bool Cuped { get; init; }

    /// <summary>Report always-valid confidence sequences (safe to look every day).</summary>
    public bool Sequential { get; init; }

    /// <summary>Total units at which the confidence sequence is tightest (default 5,000; use the planned sample size).</summary>
    public double? SequentialTuning { get; init; }

    /// <summary>holm (default), benjaminiHochberg or none.</summary>
    public MultipleTestingCorrection? Correction { get; init; }

    /// <summary>Expected share of units per variant name for the sample-ratio check (default equal).</summary>
    public Dictionary<string, double>? ExpectedShares { get; init; }

    /// <summary>p-value below which a sample-ratio mismatch is flagged (default 0.001).</summary>
    public double? SrmThreshold { get; init; }

    /// <summary>The variants, control included.</summary>
    public List<AbVariantRequest>? Variants { get; init; }
}

/// <summary>Body of <c>POST /api/v1/stats/ab/metrics</c>: several metrics of one experiment.</summary>
public sealed record MetricsRequest
{
    /// <summary>holm (default), benjaminiHochberg or none — applied across every metric and treatment.</summary>
    public MultipleTestingCorrection? Correction { get; init; }

    /// <summary>Metric name → an /ab request for that metric.</summary>
    public Dictionary<string, AbRequest?>? Metrics { get; init; }
}

/// <summary>One variant: raw values (<c>y</c>, optional <c>x</c> or <c>covariates</c>, <c>denominator</c>
/// for ratios) or sums (<c>n</c>, <c>sumY</c>, …).</summary>
public sealed record AbVariantRequest
{
    /// <summary>Variant name, unique within the request.</summary>
    public string? Name { get; init; }

    /// <summary>Raw per-unit metric values (the numerator for a ratio metric).</summary>
    public double[]? Y { get; init; }

    /// <summary>Raw per-unit pre-period covariate; null entries are units without history.</summary>
    public double?[]? X { get; init; }

    /// <summary>Several named raw covariates, each with one entry per unit (null = missing).</summary>
    public Dictionary<string, double?[]>? Covariates { get; init; }

    /// <summary>Raw per-unit denominators of a ratio metric.</summary>
    public double[]? Denominator { get; init; }

    /// <summary>Units (sufficient-statistics form).</summary>
    public long? N { get; init; }

    /// <summary>Σy (conversions for a proportion).</summary>
    public double? SumY { get; init; }

    /// <summary>Σy² (defaults to Σy for a proportion).</summary>
    public double? SumY2 { get; init; }

    /// <summary>Σx of the single covariate.</summary>
    public double? SumX { get; init; }

    /// <summary>Σx² of the single covariate.</summary>
    public double? SumX2 { get; init; }

    /// <summary>Σxy of the single covariate.</summary>
    public double? SumXY { get; init; }

    /// <summary>Sums for several covariates.</summary>
    public CovariateSums? CovariateSums { get; init; }

    /// <summary>Σb, the denominator total of a ratio metric.</summary>
    public double? SumD { get; init; }

    /// <summary>Σb².</summary>
    public double? SumD2 { get; init; }

    /// <summary>Σa·b.</summary>
    public double? SumYD { get; init; }
}

/// <summary>Sufficient statistics of several covariates.</summary>
public sealed record CovariateSums
{
    /// <summary>Σx_j per covariate.</summary>
    public double[]? SumX { get; init; }

    /// <summary>Σx_i·x_j, k rows of k.</summary>
    public double[][]? SumXX { get; init; }

    /// <summary>Σx_j·y per covariate.</summary>
    public double[]? SumXY { get; init; }
}

/// <summary>Turns a request into engine inputs, checking its structure field by field.</summary>
internal static class AbRequestMapper
{
    public static AbAnalysisOptions Options(AbRequest request) => new()
    {
        Alpha = request.Alpha ?? 0.05,
        Control = request.Control ?? "control",
        Metric = request.Metric ?? MetricKind.Mean,
        Cuped = request.Cuped,
        Sequential = request.Sequential,
        SequentialTuning = request.SequentialTuning ?? ConfidenceSequence.DefaultTuning,
        Correction = request.Correction ?? MultipleTestingCorrection.Holm,
        ExpectedShares = request.ExpectedShares,
        SrmThreshold = request.SrmThreshold ?? SampleRatioMismatch.DefaultThreshold,
    };

    public static List<AbVariantRequest> Variants(AbRequest request)
    {
        if (request.Variants is not { Count: > 0 } variants)
            throw new StatisticsInputException("variants", "Give the variants: a list with the control and at least one treatment.");
        for (int i = 0; i < variants.Count; i++)
        {
            if (variants[i] is null)
                throw new StatisticsInputException($"variants[{i}]", "A variant must be an object.");
            if (string.IsNullOrWhiteSpace(variants[i].Name))
                throw new StatisticsInputException($"variants[{i}].name", "Every variant needs a non-empty name.");
        }
        bool raw = variants[0].Y is not null;
        foreach (var v in variants)
        {
            string at = $"variants[{v.Name}]";
            if (v.Y is not null && v.N is not null)
                throw new StatisticsInputException(at, $"Variant '{v.Name}' gives both raw values (y) and sums (n); give one or the other.");
            if (v.Y is null && v.N is null)
                throw new StatisticsInputException(at, $"Variant '{v.Name}' gives neither raw values (y) nor sums (n, sumY, …).");
            if ((v.Y is not null) != raw)
                throw new StatisticsInputException(at, "Give every variant in the same form: all raw values (y) or all sums (n, sumY, …).");
            if (v.X is not null && v.Covariates is not null)
                throw new StatisticsInputException($"{at}.x", $"Variant '{v.Name}' gives both x and covariates; use x for one covariate or covariates for several.");
        }
        return variants;
    }

    public static List<MeanVariant> MeanVariants(List<AbVariantRequest> variants, MetricKind metric)
    {
        foreach (var v in variants)
            if (v.Denominator is not null || v.SumD is not null)
                throw new StatisticsInputException($"variants[{v.Name}].denominator", "A denominator belongs to a ratio metric; set \"metric\": \"ratio\".");
        return variants[0].Y is not null ? RawMeanVariants(variants) : SummedMeanVariants(variants, metric);
    }

    public static List<RatioVariant> RatioVariants(List<AbVariantRequest> variants)
    {
        var result = new List<RatioVariant>(variants.Count);
        foreach (var v in variants)
        {
            string at = $"variants[{v.Name}]";
            if (v.X is not null || v.Covariates is not null || v.SumX is not null || v.CovariateSums is not null)
                throw new StatisticsInputException($"{at}.x", "CUPED covariates are not available for ratio metrics yet.");
            if (v.Y is not null)
            {
                if (v.Denominator is null)
                    throw new StatisticsInputException($"{at}.denominator", $"A ratio metric needs per-unit denominators for variant '{v.Name}'.");
                result.Add(new RatioVariant(v.Name!, RatioStatistics.FromValues(v.Y, v.Denominator, $"{at}.y", $"{at}.denominator")));
            }
            else
            {
                result.Add(new RatioVariant(v.Name!, new RatioStatistics(v.N!.Value, Required(v.SumY, at, "sumY"), Required(v.SumY2, at, "sumY2"),
                    Required(v.SumD, at, "sumD"), Required(v.SumD2, at, "sumD2"), Required(v.SumYD, at, "sumYD"), at)));
            }
        }
        return result;
    }

    private static List<MeanVariant> RawMeanVariants(List<AbVariantRequest> variants)
    {
        bool anyCovariate = variants.Any(v => v.X is not null || v.Covariates is not null);
        if (!anyCovariate)
            return variants.Select(v => new MeanVariant(v.Name!, SufficientStatistics.FromValues(v.Y, $"variants[{v.Name}].y"))).ToList();

        // Covariate names come from the first variant; every variant must have the same ones.
        IReadOnlyList<string> names = variants[0].Covariates?.Keys.ToList() ?? ["x"];
        var perVariant = new List<double?[][]>(variants.Count);
        foreach (var v in variants)
        {
            string at = $"variants[{v.Name}]";
            double?[][] columns;
            if (v.Covariates is { } named)
            {
                if (named.Count != names.Count || names.Any(n => !named.ContainsKey(n)))
                    throw new StatisticsInputException($"{at}.covariates",
                        $"Variant '{v.Name}' has covariates ({string.Join(", ", named.Keys)}) but '{variants[0].Name}' has ({string.Join(", ", names)}); every variant needs the same ones.");
                columns = names.Select(n => named[n] ?? throw new StatisticsInputException($"{at}.covariates[{n}]", "A covariate must be a list of numbers or nulls.")).ToArray();
            }
            else if (v.X is { } x)
            {
                if (names.Count != 1 || variants[0].X is null)
                    throw new StatisticsInputException($"{at}.x", $"Variant '{v.Name}' gives x but '{variants[0].Name}' gives named covariates; use the same form for every variant.");
                columns = [x];
            }
            else
            {
                throw new StatisticsInputException($"{at}.x", $"Variant '{v.Name}' has no covariate but other variants do; give the same covariates for every variant.");
            }
            foreach (var (column, j) in columns.Select((c, j) => (c, j)))
                if (column.Length != v.Y!.Length)
                    throw new StatisticsInputException(v.Covariates is null ? $"{at}.x" : $"{at}.covariates[{names[j]}]",
                        $"Covariate '{names[j]}' of variant '{v.Name}' has {column.Length} values but y has {v.Y.Length}; there must be one of each per unit.");
            perVariant.Add(columns);
        }
        var expanded = MissingCovariates.Expand(names, perVariant, variants.Select(v => v.Name!).ToList());
        return variants.Select((v, i) => new MeanVariant(v.Name!,
            SufficientStatistics.FromValues(v.Y, expanded.Columns[i], $"variants[{v.Name}].y", $"variants[{v.Name}].x"))).ToList();
    }

    private static List<MeanVariant> SummedMeanVariants(List<AbVariantRequest> variants, MetricKind metric)
    {
        var result = new List<MeanVariant>(variants.Count);
        foreach (var v in variants)
        {
            string at = $"variants[{v.Name}]";
            double sumY = Required(v.SumY, at, "sumY");
            double sumY2 = v.SumY2 ?? (metric == MetricKind.Proportion ? sumY : Required(v.SumY2, at, "sumY2"));
            double[] sumX = [], sumXX = [], sumXY = [];
            if (v.SumX is not null || v.SumX2 is not null || v.SumXY is not null)
            {
                if (v.CovariateSums is not null)
                    throw new StatisticsInputException($"{at}.covariateSums", "Give sumX/sumX2/sumXY for one covariate or covariateSums for several, not both.");
                sumX = [Required(v.SumX, at, "sumX")];
                sumXX = [Required(v.SumX2, at, "sumX2")];
                sumXY = [Required(v.SumXY, at, "sumXY")];
            }
            else if (v.CovariateSums is { } c)
            {
                sumX = c.SumX ?? throw new StatisticsInputException($"{at}.covariateSums.sumX", "covariateSums needs sumX.");
                sumXY = c.SumXY ?? throw new StatisticsInputException($"{at}.covariateSums.sumXY", "covariateSums needs sumXY.");
                var rows = c.SumXX ?? throw new StatisticsInputException($"{at}.covariateSums.sumXX", "covariateSums needs sumXX.");
                if (rows.Length != sumX.Length || rows.Any(r => r is null || r.Length != sumX.Length))
                    throw new StatisticsInputException($"{at}.covariateSums.sumXX", $"sumXX must be a {sumX.Length}×{sumX.Length} matrix, one row per covariate.");
                sumXX = rows.SelectMany(r => r).ToArray();
            }
            result.Add(new MeanVariant(v.Name!, new SufficientStatistics(v.N!.Value, sumY, sumY2, sumX, sumXX, sumXY, at)));
        }
        return result;
    }

    private static double Required(double? value, string at, string name) =>
        value ?? throw new StatisticsInputException($"{at}.{name}", $"{name} is required when a variant is given as sums.");
}
