using System.Text.Json;
using System.Text.Json.Serialization;
using Experiments.Engine.AbTesting;

namespace Experiments.Benchmarks.Latency;

/// <summary>One variant's sufficient statistics as the endpoint takes them.</summary>
public sealed record AbRequestVariant(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("n")] long Count,
    [property: JsonPropertyName("sumY")] double SumY,
    [property: JsonPropertyName("sumY2")] double SumY2,
    [property: JsonPropertyName("sumX")] double SumX,
    [property: JsonPropertyName("sumX2")] double SumX2,
    [property: JsonPropertyName("sumXY")] double SumXY);

/// <summary>The body of <c>POST /api/v1/stats/ab</c> with CUPED.</summary>
public sealed record AbRequestBody(
    [property: JsonPropertyName("alpha")] double Alpha,
    [property: JsonPropertyName("control")] string Control,
    [property: JsonPropertyName("cuped")] bool Cuped,
    [property: JsonPropertyName("variants")] IReadOnlyList<AbRequestVariant> Variants)
{
    private const int UnitsPerVariant = 50_000;

    /// <summary>
    /// A request whose sums come from simulated units, so they are the sums of real numbers
    /// (Σy² ≥ (Σy)²/n and the rest hold by construction): per variant 50,000 units with a
    /// pre-period value x ~ N(4.8, 1.5²) and y = 0.2 + x + ε, ε ~ N(0, 1), plus a lift of 0.1 in
    /// the treatment. The engine forms the sums and analyses them once here, so a body the engine
    /// would refuse stops the harness before any request is sent.
    /// </summary>
    public static AbRequestBody Simulate(int seed)
    {
        var random = new Random(seed);
        var variants = new List<AbRequestVariant>();
        var analysed = new List<MeanVariant>();
        foreach (var (name, lift) in new[] { ("control", 0.0), ("treatment", 0.1) })
        {
            var y = new double[UnitsPerVariant];
            var x = new double[UnitsPerVariant];
            for (int i = 0; i < UnitsPerVariant; i++)
            {
                double radius = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble()));
                double angle = 2 * Math.PI * random.NextDouble();
                x[i] = 4.8 + 1.5 * radius * Math.Cos(angle);
                y[i] = 0.2 + x[i] + radius * Math.Sin(angle) + lift;
            }
            var statistics = SufficientStatistics.FromValues(y, x);
            analysed.Add(new MeanVariant(name, statistics));
            variants.Add(new AbRequestVariant(name, statistics.Count, statistics.SumY, statistics.SumY2,
                statistics.SumX[0], statistics.SumXX[0], statistics.SumXY[0]));
        }
        var body = new AbRequestBody(0.05, "control", true, variants);
        AbAnalysis.Analyze(analysed, new AbAnalysisOptions { Alpha = body.Alpha, Control = body.Control, Cuped = body.Cuped });
        return body;
    }

    /// <summary>The body as UTF-8 JSON.</summary>
    public byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(this);
}
