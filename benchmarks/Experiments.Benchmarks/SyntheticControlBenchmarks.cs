using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Experiments.Engine.Geo;
using Experiments.Engine.SyntheticControl;

namespace Experiments.Benchmarks;

/// <summary>
/// Synthetic-control fits on the published datasets: one fit with the nested V optimisation (Basque, California),
/// the full in-space placebo run on California (39 fits, in parallel), and the GeoLift walkthrough analysis with
/// conformal inference. R's Synth and Python's pysyncon are the peers (the shared data README lists their times:
/// California placebo 291 s and 2,537 s).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 7)]
public class SyntheticControlBenchmarks
{
    private Panel _basque = null!;
    private Panel _california = null!;
    private Panel _geoLift = null!;
    private SyntheticControlSpecification _basqueSpec = null!;
    private SyntheticControlSpecification _californiaSpec = null!;

    [GlobalSetup]
    public void Setup()
    {
        _basque = Load("basque.csv", "regionname", "year", "gdpcap",
            ["sec.agriculture", "sec.energy", "sec.industry", "sec.construction", "sec.services.venta", "sec.services.nonventa",
             "school.illit", "school.prim", "school.med", "school.high", "school.post.high", "popdens", "invest"]);
        _california = Load("california_prop99_smoking.csv", "state", "year", "cigsale", ["lnincome", "beer", "age15to24", "retprice"]);
        _geoLift = LoadGeoLift();

        var basquePredictors = new List<Predictor>();
        foreach (var c in new[] { "school.illit", "school.prim", "school.med", "school.high", "school.post.high", "invest" })
            basquePredictors.Add(Predictor.Mean(c, 1964, 1969));
        basquePredictors.Add(Predictor.Mean("gdpcap", 1960, 1969));
        foreach (var c in new[] { "sec.agriculture", "sec.energy", "sec.industry", "sec.construction", "sec.services.venta", "sec.services.nonventa" })
            basquePredictors.Add(Predictor.Mean(c, 1961, 1963, 1965, 1967, 1969));
        basquePredictors.Add(Predictor.Mean("popdens", 1969));
        _basqueSpec = new SyntheticControlSpecification
        {
            TreatedUnits = ["Basque Country (Pais Vasco)"], TreatmentStart = 1970, Predictors = basquePredictors,
            LossPeriods = Enumerable.Range(1960, 10).ToArray(),
        };
        _californiaSpec = new SyntheticControlSpecification
        {
            TreatedUnits = ["California"], TreatmentStart = 1989,
            Predictors =
            [
                Predictor.Mean("lnincome", 1980, 1988), Predictor.Mean("retprice", 1980, 1988), Predictor.Mean("age15to24", 1980, 1988),
                Predictor.Mean("beer", 1984, 1988), Predictor.Mean("cigsale", 1975), Predictor.Mean("cigsale", 1980), Predictor.Mean("cigsale", 1988),
            ],
            LossPeriods = Enumerable.Range(1970, 19).ToArray(),
        };
    }

    [Benchmark(Description = "Basque: one fit with V optimisation")]
    public double BasqueFit() => SyntheticControlEstimator.Fit(_basque, _basqueSpec).Effect.Estimate;

    [Benchmark(Description = "California: one fit with V optimisation")]
    public double CaliforniaFit() => SyntheticControlEstimator.Fit(_california, _californiaSpec).Effect.Estimate;

    [Benchmark(Description = "California: full in-space placebo run (39 fits)")]
    public double CaliforniaPlacebos() => SyntheticControlInference.InSpacePlacebo(_california, _californiaSpec).PValue;

    [Benchmark(Description = "GeoLift walkthrough: SCM + conformal p-value and ATT interval")]
    public double GeoLiftAnalysis() => GeoExperiment.Analyze(_geoLift, new GeoExperimentSpecification
    {
        TreatedUnits = ["chicago", "portland"], TreatmentStart = 91, TreatmentEnd = 105, PointwiseIntervals = false,
    }).Effect.PValue;

    [Benchmark(Description = "GeoLift walkthrough: the same plus 15 per-day intervals")]
    public double GeoLiftAnalysisWithPointwise() => GeoExperiment.Analyze(_geoLift, new GeoExperimentSpecification
    {
        TreatedUnits = ["chicago", "portland"], TreatmentStart = 91, TreatmentEnd = 105,
    }).Effect.PValue;

    private static string DataPath(string file) => Path.Combine(AppContext.BaseDirectory, "Data", file);

    private static Panel Load(string file, string unitColumn, string periodColumn, string outcomeColumn, string[] covariates)
    {
        var lines = File.ReadAllLines(DataPath(file));
        var header = lines[0].Split(',');
        int Column(string name) => Array.IndexOf(header, name);
        var rows = lines.Skip(1).Select(l => l.Split(',')).Select(f => new PanelRow(
            f[Column(unitColumn)], int.Parse(f[Column(periodColumn)], CultureInfo.InvariantCulture),
            double.Parse(f[Column(outcomeColumn)], CultureInfo.InvariantCulture),
            covariates.Select(c => f[Column(c)].Length == 0 ? double.NaN : double.Parse(f[Column(c)], CultureInfo.InvariantCulture)).ToArray()));
        return Panel.FromRows(rows, outcomeColumn, covariates);
    }

    private static Panel LoadGeoLift()
    {
        var records = File.ReadAllLines(DataPath("GeoLift_Test.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        var day = records.Select(r => r[0]).Distinct().Order(StringComparer.Ordinal).Select((d, i) => (d, i)).ToDictionary(x => x.d, x => x.i + 1);
        return Panel.FromRows(records.Select(r => new PanelRow(r[1], day[r[0]], double.Parse(r[2], CultureInfo.InvariantCulture))), "Y");
    }
}
