using System.Text.Json;
using Experiments.Engine.AbTesting;
using Experiments.Engine.Inference;
using Experiments.Engine.Power;

namespace Experiments.Engine.Tests;

/// <summary>
/// Exact agreement with values computed by statsmodels / scipy (Reference/make_ab_reference.py,
/// provenance in Reference/README.md). Estimates, standard errors, intervals and p-values agree to
/// 1e-9 relative: both sides compute the same closed forms in double precision, so anything looser
/// would hide a wrong formula.
/// </summary>
public class ReferenceAgreementTests
{
    private const double Tolerance = 1e-9;
    private static readonly JsonElement Root = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Reference", "ab_reference.json"))).RootElement;

    public static TheoryData<string> AbCases() => new(Root.GetProperty("abCases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!));

    private static JsonElement Case(string name) => Root.GetProperty("abCases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    [Theory]
    [MemberData(nameof(AbCases))]
    public void AbAnalysisMatchesStatsmodels(string name)
    {
        var c = Case(name);
        var result = Analyze(c);
        var expected = c.GetProperty("expected");

        foreach (var ev in expected.GetProperty("variants").EnumerateArray())
        {
            var v = result.Variants.Single(r => r.Name == ev.GetProperty("name").GetString());
            Assert.Equal(ev.GetProperty("n").GetInt64(), v.Count);
            Precision.Close(ev.GetProperty("mean").GetDouble(), v.Mean, Tolerance, $"{name} {v.Name} mean");
            double variance = v.StdError * v.StdError * v.Count;
            Precision.Close(ev.GetProperty("variance").GetDouble(), variance, Tolerance, $"{name} {v.Name} variance");
        }
        if (expected.TryGetProperty("theta", out var theta))
        {
            var expectedTheta = theta.EnumerateArray().Select(t => t.GetDouble()).ToArray();
            Assert.Equal(expectedTheta.Length, result.Cuped!.Theta.Count);
            for (int j = 0; j < expectedTheta.Length; j++)
                Precision.Close(expectedTheta[j], result.Cuped.Theta[j], Tolerance, $"{name} theta[{j}]");
        }
        foreach (var ec in expected.GetProperty("comparisons").EnumerateArray())
        {
            var comparison = result.Comparisons.Single(r => r.Variant == ec.GetProperty("variant").GetString());
            AssertEffect(ec.GetProperty("absolute"), comparison.Absolute, $"{name} {comparison.Variant} absolute");
            AssertEffect(ec.GetProperty("relative"), comparison.Relative!, $"{name} {comparison.Variant} relative");
            if (ec.TryGetProperty("varianceReduction", out var reduction))
                Precision.Close(reduction.GetDouble(), comparison.Cuped!.VarianceReduction, Tolerance, $"{name} variance reduction");
            Precision.Close(ec.GetProperty("holm").GetDouble(), comparison.AdjustedPValue, Tolerance, $"{name} holm");
            var bh = AnalyzeWith(c, MultipleTestingCorrection.BenjaminiHochberg).Comparisons.Single(r => r.Variant == comparison.Variant);
            Precision.Close(ec.GetProperty("benjaminiHochberg").GetDouble(), bh.AdjustedPValue, Tolerance, $"{name} BH");
        }
    }

    [Theory]
    [MemberData(nameof(AbCases))]
    public void SummingPartsGivesTheSameAnswerAsTheWhole(string name)
    {
        // Sufficient statistics from two halves of every variant, added, must give the same
        // analysis as the statistics of the whole: the property ClickHouse shards rely on.
        var c = Case(name);
        var whole = Analyze(c);
        var halves = Analyze(c, split: true);
        for (int i = 0; i < whole.Comparisons.Count; i++)
        {
            Precision.Close(whole.Comparisons[i].Absolute.Estimate, halves.Comparisons[i].Absolute.Estimate, 1e-10, $"{name} merged estimate");
            Precision.Close(whole.Comparisons[i].Absolute.StdError, halves.Comparisons[i].Absolute.StdError, 1e-10, $"{name} merged SE");
        }
    }

    public static TheoryData<int> SrmCases() => new(Enumerable.Range(0, Root.GetProperty("srmCases").GetArrayLength()));

    [Theory]
    [MemberData(nameof(SrmCases))]
    public void SampleRatioMismatchMatchesScipyChisquare(int index)
    {
        var c = Root.GetProperty("srmCases")[index];
        var counts = c.GetProperty("counts").EnumerateArray().Select(v => v.GetInt64()).ToList();
        var shares = c.GetProperty("expectedShares").EnumerateArray().Select(v => v.GetDouble()).ToList();
        var result = SampleRatioMismatch.Test(counts, shares);
        Precision.Close(c.GetProperty("chiSquare").GetDouble(), result.ChiSquare, Tolerance, "chi-square");
        Precision.Close(c.GetProperty("pValue").GetDouble(), result.PValue, Tolerance, "SRM p-value");
        Assert.Equal(result.PValue < SampleRatioMismatch.DefaultThreshold, result.Mismatch);
    }

    public static TheoryData<int> PowerCases() => new(Enumerable.Range(0, Root.GetProperty("powerCases").GetArrayLength()));

    [Theory]
    [MemberData(nameof(PowerCases))]
    public void PowerMatchesStatsmodelsNormalIndPower(int index)
    {
        var c = Root.GetProperty("powerCases")[index];
        double baseline = c.GetProperty("baselineMean").GetDouble();
        double sigma = c.GetProperty("standardDeviation").GetDouble();
        if (c.TryGetProperty("cupedCorrelation", out var rho))
            sigma *= Math.Sqrt(1 - rho.GetDouble() * rho.GetDouble());
        double alpha = c.GetProperty("alpha").GetDouble();
        double power = c.GetProperty("power").GetDouble();
        if (c.GetProperty("solveFor").GetString() == "n")
        {
            double d = c.GetProperty("relativeMde").GetDouble() * baseline / sigma;
            Precision.Close(c.GetProperty("nPerVariant").GetDouble(), PowerAnalysis.SampleSizePerArm(d, alpha, power), Tolerance, "n per variant");
        }
        else
        {
            double d = PowerAnalysis.DetectableEffectSize(c.GetProperty("nPerVariant").GetDouble(), alpha, power);
            Precision.Close(c.GetProperty("relativeMde").GetDouble(), d * sigma / baseline, Tolerance, "relative MDE");
        }
    }

    public static TheoryData<int> SequentialCases() => new(Enumerable.Range(0, Root.GetProperty("sequentialCases").GetArrayLength()));

    [Theory]
    [MemberData(nameof(SequentialCases))]
    public void ConfidenceSequenceMatchesIndependentImplementation(int index)
    {
        var c = Root.GetProperty("sequentialCases")[index];
        var moments = new EffectMoments(c.GetProperty("estimate").GetDouble(), c.GetProperty("variance").GetDouble(), double.PositiveInfinity, c.GetProperty("n").GetInt64());
        var result = ConfidenceSequence.Infer(moments, c.GetProperty("alpha").GetDouble(), c.GetProperty("tuning").GetDouble());
        Precision.Close(c.GetProperty("lower").GetDouble(), result.Lower, Tolerance, "lower");
        Precision.Close(c.GetProperty("upper").GetDouble(), result.Upper, Tolerance, "upper");
        Precision.Close(c.GetProperty("pValue").GetDouble(), result.PValue, Tolerance, "p-value");
    }

    private static void AssertEffect(JsonElement expected, EffectEstimate actual, string what)
    {
        Precision.Close(expected.GetProperty("estimate").GetDouble(), actual.Estimate, Tolerance, $"{what} estimate");
        Precision.Close(expected.GetProperty("stdError").GetDouble(), actual.StdError, Tolerance, $"{what} SE");
        // A bound is estimate ∓ q·SE: each term agrees to 1e-9, so the bound agrees to 1e-9 of the
        // larger term, not of itself (a bound near zero is a difference of nearly equal numbers).
        double scale = Math.Max(Math.Abs(expected.GetProperty("lower").GetDouble()), Math.Abs(expected.GetProperty("upper").GetDouble()));
        Precision.Within(expected.GetProperty("lower").GetDouble(), actual.Lower, Tolerance * scale, $"{what} lower");
        Precision.Within(expected.GetProperty("upper").GetDouble(), actual.Upper, Tolerance * scale, $"{what} upper");
        Precision.Close(expected.GetProperty("pValue").GetDouble(), actual.PValue, Tolerance, $"{what} p-value");
        Precision.Close(expected.GetProperty("degreesOfFreedom").GetDouble(), actual.DegreesOfFreedom!.Value, Tolerance, $"{what} df");
    }

    private static AbAnalysisResult AnalyzeWith(JsonElement c, MultipleTestingCorrection correction) => Analyze(c, false, correction);

    private static AbAnalysisResult Analyze(JsonElement c, bool split = false, MultipleTestingCorrection correction = MultipleTestingCorrection.Holm)
    {
        string metric = c.GetProperty("metric").GetString()!;
        var options = new AbAnalysisOptions
        {
            Control = c.GetProperty("control").GetString()!,
            Alpha = c.GetProperty("alpha").GetDouble(),
            Cuped = c.GetProperty("cuped").GetBoolean(),
            Metric = metric switch { "proportion" => MetricKind.Proportion, "ratio" => MetricKind.Ratio, _ => MetricKind.Mean },
            Correction = correction,
        };
        var variants = c.GetProperty("variants").EnumerateArray().ToList();
        var names = variants.Select(v => v.GetProperty("name").GetString()!).ToList();
        var ys = variants.Select(v => Doubles(v.GetProperty("y"))).ToList();

        if (metric == "ratio")
        {
            var ratio = variants.Select((v, i) => new RatioVariant(names[i],
                Halves(ys[i], Doubles(v.GetProperty("denominator")), split, (a, b) => RatioStatistics.FromValues(a, b), (a, b) => a + b))).ToList();
            return AbAnalysis.Analyze(ratio, options);
        }

        IReadOnlyList<double[][]> covariates = variants.Select(_ => Array.Empty<double[]>()).ToList();
        if (variants[0].TryGetProperty("x", out var firstX) && firstX.ValueKind == JsonValueKind.Array)
        {
            var raw = variants.Select(v => v.GetProperty("x").EnumerateArray()
                .Select(col => col.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? (double?)null : e.GetDouble()).ToArray()).ToArray()).ToList();
            var columnNames = Enumerable.Range(0, raw[0].Length).Select(j => $"x{j + 1}").ToList();
            covariates = MissingCovariates.Expand(columnNames, raw, names).Columns;
        }
        var mean = variants.Select((_, i) => new MeanVariant(names[i],
            HalvesWithCovariates(ys[i], covariates[i], split))).ToList();
        return AbAnalysis.Analyze(mean, options);
    }

    private static SufficientStatistics HalvesWithCovariates(double[] y, double[][] x, bool split)
    {
        if (!split)
            return SufficientStatistics.FromValues(y, x);
        int h = y.Length / 2;
        return SufficientStatistics.FromValues(y[..h], x.Select(col => col[..h]).ToArray())
             + SufficientStatistics.FromValues(y[h..], x.Select(col => col[h..]).ToArray());
    }

    private static T Halves<T>(double[] a, double[] b, bool split, Func<double[], double[], T> make, Func<T, T, T> add)
    {
        if (!split)
            return make(a, b);
        int h = a.Length / 3;
        return add(make(a[..h], b[..h]), make(a[h..], b[h..]));
    }

    private static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();
}
