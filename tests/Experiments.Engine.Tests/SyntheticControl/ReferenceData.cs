using System.Globalization;
using Experiments.Engine.SyntheticControl;

namespace Experiments.Engine.Tests.SyntheticControl;

/// <summary>Loads the reference panels in <c>Data/</c> (see <c>Data/README.md</c>) and the published specifications.</summary>
internal static class ReferenceData
{
    private static readonly Lazy<Panel> BasquePanel = new(() => Load("basque.csv", "regionname", "year", "gdpcap",
        ["sec.agriculture", "sec.energy", "sec.industry", "sec.construction", "sec.services.venta", "sec.services.nonventa",
         "school.illit", "school.prim", "school.med", "school.high", "school.post.high", "popdens", "invest"]));

    private static readonly Lazy<Panel> CaliforniaPanel = new(() => Load("california_prop99_smoking.csv", "state", "year", "cigsale",
        ["lnincome", "beer", "age15to24", "retprice"]));

    private static readonly Lazy<Panel> GermanyPanel = new(() => Load("germany_reunification.csv", "country", "year", "gdp",
        ["infrate", "trade", "schooling", "invest60", "invest70", "invest80", "industry"]));

    private static readonly Lazy<Panel> TexasPanel = new(() => Load("texas_prison.csv", "state", "year", "bmprison",
        ["income", "ur", "poverty", "alcohol", "aidscapita", "black", "perc1519"]));

    public static Panel Basque => BasquePanel.Value;
    public static Panel California => CaliforniaPanel.Value;
    public static Panel Germany => GermanyPanel.Value;
    public static Panel Texas => TexasPanel.Value;

    public const string BasqueCountry = "Basque Country (Pais Vasco)";

    /// <summary>
    /// The pysyncon Basque example (<c>examples/basque.ipynb</c>, <c>tests/test_synth_basque.py</c>): raw schooling
    /// counts, all 17 other regions including the Spain aggregate as donors, loss 1960–1969.
    /// </summary>
    public static SyntheticControlSpecification BasqueSpecification()
    {
        var predictors = new List<Predictor>();
        foreach (var c in new[] { "school.illit", "school.prim", "school.med", "school.high", "school.post.high", "invest" })
            predictors.Add(Predictor.Mean(c, 1964, 1969));
        predictors.Add(Predictor.Mean("gdpcap", 1960, 1969));
        foreach (var c in new[] { "sec.agriculture", "sec.energy", "sec.industry", "sec.construction", "sec.services.venta", "sec.services.nonventa" })
            predictors.Add(Predictor.Mean(c, 1961, 1963, 1965, 1967, 1969));
        predictors.Add(Predictor.Mean("popdens", 1969));
        return new SyntheticControlSpecification
        {
            TreatedUnits = [BasqueCountry],
            TreatmentStart = 1970,
            Predictors = predictors,
            LossPeriods = Range(1960, 1969),
        };
    }

    /// <summary>ADH (2010) Prop 99: lnincome, retprice, age15to24 means 1980–88, beer 1984–88, cigsale 1975/1980/1988; loss 1970–88.</summary>
    public static SyntheticControlSpecification CaliforniaSpecification() => new()
    {
        TreatedUnits = ["California"],
        TreatmentStart = 1989,
        Predictors =
        [
            Predictor.Mean("lnincome", 1980, 1988), Predictor.Mean("retprice", 1980, 1988), Predictor.Mean("age15to24", 1980, 1988),
            Predictor.Mean("beer", 1984, 1988), Predictor.Mean("cigsale", 1975), Predictor.Mean("cigsale", 1980), Predictor.Mean("cigsale", 1988),
        ],
        LossPeriods = Range(1970, 1988),
    };

    public static readonly string[] GermanyDonors =
    [
        "USA", "UK", "Austria", "Belgium", "Denmark", "France", "Italy", "Netherlands", "Norway", "Switzerland", "Japan",
        "Greece", "Portugal", "Spain", "Australia", "New Zealand",
    ];

    /// <summary>
    /// pysyncon's German training specification (<c>tests/test_synth_germany.py</c>): predictors over 1971–80,
    /// schooling 1970/1975, invest70 1980, loss 1981–1990. pysyncon has no treatment time; the loss window runs to
    /// 1990, so the treatment start is set to 1991 to admit it (our specification rejects loss periods at or after
    /// the start).
    /// </summary>
    public static SyntheticControlSpecification GermanyTraining() => new()
    {
        TreatedUnits = ["West Germany"],
        DonorUnits = GermanyDonors,
        TreatmentStart = 1991,
        Predictors =
        [
            Predictor.Mean("gdp", 1971, 1980), Predictor.Mean("trade", 1971, 1980), Predictor.Mean("infrate", 1971, 1980),
            Predictor.Mean("industry", 1971, 1980), Predictor.Mean("schooling", 1970, 1975), Predictor.Mean("invest70", 1980),
        ],
        LossPeriods = Range(1981, 1990),
    };

    /// <summary>
    /// pysyncon's German main specification: predictors over 1981–1990 (ADH 2015 too), schooling 1980/1985,
    /// invest80 1980, loss 1960–1989. The predictors use 1990, the reunification year, so the treatment start is
    /// set to 1991 and the ATT is taken over 1990–2003 explicitly, as pysyncon does.
    /// </summary>
    public static SyntheticControlSpecification GermanyMain() => new()
    {
        TreatedUnits = ["West Germany"],
        DonorUnits = GermanyDonors,
        TreatmentStart = 1991,
        Predictors =
        [
            Predictor.Mean("gdp", 1981, 1990), Predictor.Mean("trade", 1981, 1990), Predictor.Mean("infrate", 1981, 1990),
            Predictor.Mean("industry", 1981, 1990), Predictor.Mean("schooling", 1980, 1985), Predictor.Mean("invest80", 1980),
        ],
        LossPeriods = Range(1960, 1989),
    };

    /// <summary>
    /// pysyncon's Texas specification (<c>tests/test_synth_texas.py</c>, from the Mixtape): income, ur, poverty means
    /// 1985–93 and special predictors; loss 1985–1993; all 50 other states as donors. The loss window includes
    /// 1993, which is also the first year of pysyncon's ATT window (1993–2000); the treatment start is set to 1994
    /// to admit the loss window and the ATT is taken over 1993–2000 explicitly.
    /// </summary>
    public static SyntheticControlSpecification TexasSpecification() => new()
    {
        TreatedUnits = ["Texas"],
        TreatmentStart = 1994,
        Predictors =
        [
            Predictor.Mean("income", 1985, 1993), Predictor.Mean("ur", 1985, 1993), Predictor.Mean("poverty", 1985, 1993),
            Predictor.Mean("bmprison", 1988), Predictor.Mean("bmprison", 1990), Predictor.Mean("bmprison", 1991), Predictor.Mean("bmprison", 1992),
            Predictor.Mean("alcohol", 1990), Predictor.Mean("aidscapita", 1990), Predictor.Mean("aidscapita", 1991),
            Predictor.Mean("black", 1990), Predictor.Mean("black", 1991), Predictor.Mean("black", 1992), Predictor.Mean("perc1519", 1990),
        ],
        LossPeriods = Range(1985, 1993),
    };

    /// <summary>GeoLift_Test: dates mapped to time 1..105 in date order, as GeoLift's GeoDataRead does.</summary>
    public static Panel GeoLiftTest() => GeoLift("GeoLift_Test.csv");

    /// <summary>GeoLift_PreTest (the history before the walkthrough's test): time 1..90.</summary>
    public static Panel GeoLiftPreTest() => GeoLift("GeoLift_PreTest.csv");

    private static Panel GeoLift(string file)
    {
        var lines = File.ReadAllLines(DataPath(file));
        var header = SplitCsv(lines[0]);
        var records = lines.Skip(1).Where(l => l.Length > 0).Select(SplitCsv).ToArray();
        var dateColumn = Array.IndexOf(header, "date");
        var locationColumn = Array.IndexOf(header, "location");
        var yColumn = Array.IndexOf(header, "Y");
        var dates = records.Select(r => r[dateColumn]).Distinct().Order(StringComparer.Ordinal).ToList();
        var time = dates.Select((d, i) => (d, i)).ToDictionary(x => x.d, x => x.i + 1);
        return Panel.FromRows(records.Select(r => new PanelRow(r[locationColumn], time[r[dateColumn]], double.Parse(r[yColumn], CultureInfo.InvariantCulture))), "Y");
    }

    /// <summary>Weights of one peer run from <c>peer_reference_scm_weights.csv</c>.</summary>
    public static Dictionary<string, double> PeerWeights(string run)
    {
        var lines = File.ReadAllLines(DataPath("peer_reference_scm_weights.csv"));
        var header = SplitCsv(lines[0]);
        int Column(string name) => Array.IndexOf(header, name);
        return lines.Skip(1).Select(SplitCsv).Where(f => f.Length > 1 && f[Column("run")] == run)
            .ToDictionary(f => f[Column("donor")], f => double.Parse(f[Column("weight")], CultureInfo.InvariantCulture));
    }

    /// <summary>Gap path (year → gap) of one peer run from <c>peer_reference_scm_paths.csv</c>.</summary>
    public static Dictionary<int, double> PeerGaps(string run)
    {
        var lines = File.ReadAllLines(DataPath("peer_reference_scm_paths.csv"));
        var header = SplitCsv(lines[0]);
        int Column(string name) => Array.IndexOf(header, name);
        return lines.Skip(1).Select(SplitCsv).Where(f => f.Length > 1 && f[Column("run")] == run)
            .ToDictionary(f => int.Parse(f[Column("year")], CultureInfo.InvariantCulture), f => double.Parse(f[Column("gap")], CultureInfo.InvariantCulture));
    }

    /// <summary>(1/|years|) Σ (Y₁ₜ − Σⱼ wⱼYⱼₜ)² for given weights: the loss a published weight vector attains.</summary>
    public static double LossAt(Panel panel, string treated, IReadOnlyDictionary<string, double> weights, IEnumerable<int> years) =>
        years.Average(y =>
        {
            var gap = panel.Outcome(treated, y) - weights.Sum(kv => kv.Value * panel.Outcome(kv.Key, y));
            return gap * gap;
        });

    public static int[] Range(int first, int last) => Enumerable.Range(first, last - first + 1).ToArray();

    public static string DataPath(string file) => Path.Combine(AppContext.BaseDirectory, "Data", file);

    private static Panel Load(string file, string unitColumn, string periodColumn, string outcome, string[] covariates)
    {
        var lines = File.ReadAllLines(DataPath(file));
        var header = SplitCsv(lines[0]);
        int Column(string name)
        {
            var index = Array.IndexOf(header, name);
            return index >= 0 ? index : throw new InvalidOperationException($"{file} has no column {name}.");
        }

        var unit = Column(unitColumn);
        var period = Column(periodColumn);
        var y = Column(outcome);
        var covariateColumns = covariates.Select(Column).ToArray();
        var rows = new List<PanelRow>();
        foreach (var line in lines.Skip(1))
        {
            if (line.Length == 0) continue;
            var f = SplitCsv(line);
            double Parse(int column) => f[column].Length == 0 ? double.NaN : double.Parse(f[column], CultureInfo.InvariantCulture);
            rows.Add(new PanelRow(f[unit], int.Parse(f[period], CultureInfo.InvariantCulture), Parse(y), covariateColumns.Select(Parse).ToArray()));
        }

        return Panel.FromRows(rows, outcome, covariates);
    }

    private static string[] SplitCsv(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        foreach (var ch in line)
        {
            if (ch == '"') quoted = !quoted;
            else if (ch == ',' && !quoted) { fields.Add(current.ToString()); current.Clear(); }
            else current.Append(ch);
        }

        fields.Add(current.ToString());
        return fields.ToArray();
    }
}
