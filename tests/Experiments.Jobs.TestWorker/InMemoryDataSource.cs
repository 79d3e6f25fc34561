using Experiments.Engine.AbTesting;
using Experiments.Engine.SyntheticControl;
using Experiments.Jobs.Analysis;
using Experiments.Jobs.Results;

namespace Experiments.Jobs.Store.Tests.Infrastructure;

/// <summary>
/// A test double of the data source (not of any database): seeded simulated units aggregated into
/// the engine's inputs, a schema whose columns a test can rename or retype, day volumes a test can
/// thin out, and switches for an outage or a hang. Same seed and window → same statistics, so a
/// test can recompute the engine's answer on exactly the inputs the service read.
/// </summary>
public sealed class InMemoryDataSource : IExperimentDataSource
{
    /// <summary>The columns the analyses need, as the ClickHouse tables would describe them.</summary>
    public static readonly IReadOnlyList<RequiredColumn> Required =
    [
        new("impressions", "user_id", "UInt64"),
        new("impressions", "variant", "LowCardinality(String)"),
        new("impressions", "event_date", "Date"),
        new("impressions", "revenue", "Float64"),
        new("impressions", "converted", "UInt8"),
        new("impressions", "clicks", "UInt32"),
        new("impressions", "views", "UInt32"),
        new("geo_daily", "market", "String"),
        new("geo_daily", "event_date", "Date"),
        new("geo_daily", "revenue", "Float64"),
    ];

    private const int UnitsPerVariantAndDay = 200;
    private readonly List<ObservedColumn> _columns = Required.Select(c => new ObservedColumn(c.Table, c.Column, c.Type)).ToList();
    private readonly Dictionary<DateOnly, long> _dayRows = new();
    private int _unavailable;
    private int _contractChecks;
    private int _queries;
    private int _maxConcurrent;
    private readonly Dictionary<string, int> _active = new();

    /// <summary>Seed of the simulated units (200 per variant and day of the window).</summary>
    public int Seed { get; init; } = 20240301;

    /// <summary>The treatment's lift in revenue per unit.</summary>
    public double RevenueLift { get; init; } = 0.3;

    /// <summary>When set, the first read of the query stage never returns (and ignores cancellation), like a process that died mid-query.</summary>
    public bool HangInQuery { get; set; }

    /// <summary>When set, query-stage reads wait until their token is cancelled (a worker shutting down) and then throw.</summary>
    public bool BlockInQueryUntilCancelled { get; set; }

    /// <summary>How long each query-stage read takes.</summary>
    public TimeSpan QueryDelay { get; set; }

    /// <summary>The most analyses of one experiment that were in their query stage at the same time.</summary>
    public int MaxConcurrentPerExperiment => Volatile.Read(ref _maxConcurrent);

    /// <summary>Completed when a hanging or blocked query has started.</summary>
    public TaskCompletionSource QueryEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How many contract checks so far.</summary>
    public int ContractChecks => Volatile.Read(ref _contractChecks);

    /// <summary>How many query-stage reads so far.</summary>
    public int Queries => Volatile.Read(ref _queries);

    /// <summary>The next <paramref name="attempts"/> contract checks fail as if the server were down.</summary>
    public void FailNext(int attempts) => Volatile.Write(ref _unavailable, attempts);

    /// <summary>Renames a column, as a schema change upstream would.</summary>
    public void RenameColumn(string table, string column, string newName)
    {
        int i = _columns.FindIndex(c => c.Table == table && c.Column == column);
        _columns[i] = _columns[i] with { Column = newName };
    }

    /// <summary>Changes a column's type.</summary>
    public void RetypeColumn(string table, string column, string type)
    {
        int i = _columns.FindIndex(c => c.Table == table && c.Column == column);
        _columns[i] = _columns[i] with { Type = type };
    }

    /// <summary>Sets a day's row count (0: the day is missing).</summary>
    public void SetDayRows(DateOnly day, long rows) => _dayRows[day] = rows;

    /// <inheritdoc />
    public Task<DataContractResult> CheckContractAsync(ExperimentDefinition experiment, DateRange window, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _contractChecks);
        if (Interlocked.Decrement(ref _unavailable) >= 0)
            throw new DataSourceUnavailableException("Connection refused (127.0.0.1:18123)");
        string table = experiment.Type == ExperimentType.Geo ? "geo_daily" : "impressions";
        var volumes = new List<DayVolume>();
        for (var day = window.Start.AddDays(-7); day <= window.End; day = day.AddDays(1))
            volumes.Add(new DayVolume(day, _dayRows.TryGetValue(day, out var rows) ? rows : 10_000));
        var problems = DataContract.CheckColumns(Required.Where(c => c.Table == table), _columns)
            .Concat(DataContract.CheckFreshness(table, window, volumes))
            .ToList();
        return Task.FromResult(new DataContractResult(problems, new ReadCost(volumes.Count, volumes.Count * 16L)));
    }

    /// <inheritdoc />
    public async Task<DataRead<IReadOnlyList<MeanVariant>>> ReadMeanStatisticsAsync(ExperimentDefinition experiment, MetricDefinition metric,
        DateRange window, CancellationToken cancellationToken)
    {
        await EnterQuery(experiment, cancellationToken);
        var variants = MeanVariants(experiment, metric, window);
        return new DataRead<IReadOnlyList<MeanVariant>>(variants, Cost(variants.Count));
    }

    /// <inheritdoc />
    public async Task<DataRead<IReadOnlyList<RatioVariant>>> ReadRatioStatisticsAsync(ExperimentDefinition experiment, MetricDefinition metric,
        DateRange window, CancellationToken cancellationToken)
    {
        await EnterQuery(experiment, cancellationToken);
        var variants = RatioVariants(experiment, window);
        return new DataRead<IReadOnlyList<RatioVariant>>(variants, Cost(variants.Count));
    }

    /// <inheritdoc />
    public Task<DataRead<IReadOnlyList<DailyStatistics>>> ReadDailyCumulativeStatisticsAsync(ExperimentDefinition experiment, MetricDefinition metric,
        DateRange window, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _queries);
        var days = new List<DailyStatistics>();
        foreach (var day in window.Days())
        {
            var variants = experiment.Variants.Select((v, i) =>
            {
                var units = Units(experiment, i, window).Where(u => u.Day <= day).ToArray();
                return new MeanVariant(v.Name, SufficientStatistics.FromValues(units.Select(u => Value(u, metric)).ToArray()));
            }).ToList();
            days.Add(new DailyStatistics(day, variants));
        }
        return Task.FromResult(new DataRead<IReadOnlyList<DailyStatistics>>(days, Cost(days.Count)));
    }

    /// <inheritdoc />
    public async Task<DataRead<Panel>> ReadGeoPanelAsync(ExperimentDefinition experiment, MetricDefinition metric, DateRange window, CancellationToken cancellationToken)
    {
        await EnterQuery(experiment, cancellationToken);
        var panel = GeoPanel(experiment, window);
        return new DataRead<Panel>(panel, Cost(panel.Units.Count * panel.Periods.Count));
    }

    /// <summary>The per-variant statistics the source returns for a mean or proportion metric.</summary>
    public IReadOnlyList<MeanVariant> MeanVariants(ExperimentDefinition experiment, MetricDefinition metric, DateRange window) =>
        experiment.Variants.Select((v, i) =>
        {
            var units = Units(experiment, i, window);
            var y = units.Select(u => Value(u, metric)).ToArray();
            return new MeanVariant(v.Name, metric.Cuped
                ? SufficientStatistics.FromValues(y, units.Select(u => u.PreRevenue).ToArray())
                : SufficientStatistics.FromValues(y));
        }).ToList();

    /// <summary>The per-variant statistics the source returns for the ratio metric (clicks per view).</summary>
    public IReadOnlyList<RatioVariant> RatioVariants(ExperimentDefinition experiment, DateRange window) =>
        experiment.Variants.Select((v, i) =>
        {
            var units = Units(experiment, i, window);
            return new RatioVariant(v.Name, RatioStatistics.FromValues(units.Select(u => u.Clicks).ToArray(), units.Select(u => u.Views).ToArray()));
        }).ToList();

    /// <summary>The market × day panel: a two-factor model, the treated markets lifted by 8% during the experiment.</summary>
    public Panel GeoPanel(ExperimentDefinition experiment, DateRange window)
    {
        var random = new Random(Seed);
        var markets = experiment.TreatedMarkets.Concat(Enumerable.Range(1, 9).Select(k => $"donor-{k}")).ToList();
        var loadings = markets.ToDictionary(m => m, _ => (Level: 800 + 400 * random.NextDouble(), A: 0.5 + random.NextDouble(), B: random.NextDouble()));
        var rows = new List<PanelRow>();
        for (var day = experiment.PrePeriod.Start; day <= window.End; day = day.AddDays(1))
        {
            double f1 = 100 * Math.Sin(day.DayNumber / 5.0), f2 = 60 * Math.Cos(day.DayNumber / 3.0);
            foreach (var market in markets)
            {
                var l = loadings[market];
                double outcome = l.Level + l.A * f1 + l.B * f2 + 10 * Normal(random);
                if (experiment.TreatedMarkets.Contains(market) && day >= experiment.ExperimentWindow.Start)
                    outcome *= 1.08;
                rows.Add(new PanelRow(market, day.DayNumber, outcome));
            }
        }
        return Panel.FromRows(rows);
    }

    private readonly record struct Unit(DateOnly Day, double PreRevenue, double Revenue, double Converted, double Clicks, double Views);

    private Unit[] Units(ExperimentDefinition experiment, int variant, DateRange window)
    {
        var random = new Random(Seed * 31 + variant);
        bool treated = experiment.Variants[variant].Name != experiment.Control;
        int days = window.DayCount;
        var units = new Unit[UnitsPerVariantAndDay * days];
        for (int i = 0; i < units.Length; i++)
        {
            double pre = 10 + 3 * Normal(random);
            double revenue = 0.8 * pre + 2 * Normal(random) + (treated ? RevenueLift : 0);
            double converted = random.NextDouble() < (treated ? 0.12 : 0.10) ? 1 : 0;
            double views = 1 + random.Next(20);
            double clicks = 0;
            for (int k = 0; k < views; k++)
                clicks += random.NextDouble() < (treated ? 0.06 : 0.05) ? 1 : 0;
            units[i] = new Unit(window.Start.AddDays(random.Next(days)), pre, revenue, converted, clicks, views);
        }
        return units;
    }

    private static double Value(Unit unit, MetricDefinition metric) => metric.Kind == MetricKind.Proportion ? unit.Converted : unit.Revenue;

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static ReadCost Cost(int groups) => new(UnitsPerVariantAndDay * 10L * groups, UnitsPerVariantAndDay * 400L * groups);

    private async Task EnterQuery(ExperimentDefinition experiment, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _queries);
        if (HangInQuery)
        {
            QueryEntered.TrySetResult();
            // Never returns and ignores cancellation: the process "died" here.
            await new TaskCompletionSource().Task;
        }
        if (BlockInQueryUntilCancelled)
        {
            QueryEntered.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        if (QueryDelay > TimeSpan.Zero)
        {
            lock (_active)
            {
                int active = _active.GetValueOrDefault(experiment.Id) + 1;
                _active[experiment.Id] = active;
                _maxConcurrent = Math.Max(_maxConcurrent, active);
            }
            try
            {
                await Task.Delay(QueryDelay, cancellationToken);
            }
            finally
            {
                lock (_active)
                    _active[experiment.Id]--;
            }
        }
    }
}
