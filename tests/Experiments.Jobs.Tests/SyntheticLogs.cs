using Experiments.Jobs.ClickHouse;

namespace Experiments.Jobs.Tests;

/// <summary>
/// Seeded impression logs with every awkward case the pushdown SQL must get right, and the same
/// definitions computed in memory from the raw rows, straight from their wording.
/// </summary>
/// <remarks>
/// Awkward cases: units exposed before the window (their metric starts at the window) or after it
/// (excluded); repeated exposures with another variant (the earliest counts) and exact ties (the
/// smaller name wins); events before a unit's exposure or after the window (not counted); exposed
/// units with no events (y = 0); new users with no pre-period activity (missing covariate) and users
/// whose pre-period activity is only conversions (covariate present and 0); unexposed users and
/// another experiment's units (ignored); user ids above 2^53 (exact UInt64); a window starting at
/// 06:00, not midnight; a geo with spend but no events, and geo-days with nothing at all.
/// </remarks>
public sealed class SyntheticLogs
{
    public const string Experiment = "exp-checkout";
    public static readonly string[] Variants = ["control", "treatment-a", "treatment-b"];
    public static readonly string[] Geos = ["de", "es", "fr", "it", "nl"];

    public AnalysisWindow Window { get; } = new(new DateTime(2024, 3, 10, 6, 0, 0, DateTimeKind.Utc), new DateTime(2024, 3, 17, 6, 0, 0, DateTimeKind.Utc));
    public PrePeriod PrePeriod { get; } = new(new DateOnly(2024, 2, 25), new DateOnly(2024, 3, 10));

    public List<Exposure> Exposures { get; } = [];
    public List<Impression> Impressions { get; } = [];
    public List<Conversion> Conversions { get; } = [];
    public List<GeoSpend> Spend { get; } = [];

    public SyntheticLogs(int users = 3000, int seed = 20240310)
    {
        var rng = new Random(seed);
        DateTime At(DateTime from, DateTime to) => from.AddSeconds(rng.NextInt64((long)(to - from).TotalSeconds));
        var start = Window.Start;
        var end = Window.End;
        var preStart = PrePeriod.Start.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

        for (int i = 0; i < users + 500; i++)
        {
            ulong user = i % 10 == 0 ? ulong.MaxValue - (ulong)i : 1000 + (ulong)i * 7;
            string geo = Geos[rng.Next(Geos.Length)];
            bool exposed = i < users;
            DateTime exposedAt = start;
            if (exposed)
            {
                double where = rng.NextDouble();
                exposedAt = where < 0.05 ? At(start.AddDays(-2), start) : where < 0.10 ? At(end, end.AddDays(1)) : At(start, end);
                string variant = Variants[rng.Next(Variants.Length)];
                Exposures.Add(new Exposure(Experiment, user, variant, exposedAt));
                if (rng.NextDouble() < 0.10) // re-exposed later, to another variant: ignored
                    Exposures.Add(new Exposure(Experiment, user, Variants[(Array.IndexOf(Variants, variant) + 1) % 3], At(exposedAt, end.AddDays(1))));
                if (rng.NextDouble() < 0.02) // an exact tie: the smaller name wins
                    Exposures.Add(new Exposure(Experiment, user, "a-tie", exposedAt));
                if (rng.NextDouble() < 0.20)
                    Exposures.Add(new Exposure("exp-other", user, "control", At(start, end)));
            }

            // Pre-period: most users have impressions; some only conversions; the rest are new.
            double history = rng.NextDouble();
            if (history < 0.70)
                for (int k = rng.Next(1, 8); k > 0; k--)
                    AddImpression(At(preStart, start.Date), user, geo);
            if (history >= 0.70 && history < 0.78 || history < 0.70 && rng.NextDouble() < 0.3)
                Conversions.Add(new Conversion(At(preStart, start.Date), user, geo, Math.Round(rng.NextDouble() * 80, 2)));

            // Around the window: from two days before exposure to a day after the end.
            if (rng.NextDouble() < 0.85)
            {
                double intensity = rng.NextDouble() * 6;
                DateTime from = (exposed ? exposedAt : start).AddDays(-2);
                for (int k = (int)(intensity * 3); k > 0; k--)
                    AddImpression(At(from, end.AddDays(1)), user, geo);
                for (int k = rng.Next(0, 3); k > 0; k--)
                    Conversions.Add(new Conversion(At(from, end.AddDays(1)), user, geo, rng.NextDouble() * 50 * (1 + intensity)));
            }
        }

        // Spend for 03-01..03-19 in two campaigns; "pl" has spend only; some geo-days are missing.
        for (var day = new DateOnly(2024, 3, 1); day < new DateOnly(2024, 3, 20); day = day.AddDays(1))
            foreach (var geo in Geos.Append("pl"))
                foreach (var campaign in new[] { "c1", "c2" })
                    if (rng.NextDouble() < 0.9)
                        Spend.Add(new GeoSpend(day, geo, campaign, rng.NextDouble() * 1000));

        void AddImpression(DateTime time, ulong user, string geo) =>
            Impressions.Add(new Impression(time, user, geo, rng.NextDouble() < 0.5 ? "c1" : "c2", Experiment, "n/a",
                rng.NextDouble() * 2, (byte)(rng.NextDouble() < 0.8 ? 0 : rng.Next(1, 3))));
    }

    public async Task InsertAsync(ExperimentEventLog log, int batches = 3)
    {
        // Several inserts per table leave several parts, so the rollups hold unmerged duplicates of keys.
        foreach (var chunk in Impressions.Chunk((Impressions.Count + batches - 1) / batches))
            await log.InsertImpressionsAsync(ClickHouseClientTests.Rows(chunk));
        foreach (var chunk in Conversions.Chunk((Conversions.Count + batches - 1) / batches))
            await log.InsertConversionsAsync(ClickHouseClientTests.Rows(chunk));
        await log.InsertExposuresAsync(ClickHouseClientTests.Rows(Exposures));
        await log.InsertGeoSpendAsync(ClickHouseClientTests.Rows(Spend));
    }

    // ---- the definitions, in memory ----------------------------------------------------------------

    /// <summary>Units of the experiment: variant of the earliest exposure (ties to the smaller name), first exposed before the end.</summary>
    public List<(ulong User, string Variant, DateTime ExposedAt)> Units() =>
        Exposures.Where(e => e.ExperimentId == Experiment)
            .GroupBy(e => e.UnitId)
            .Select(g =>
            {
                var first = g.Min(e => e.FirstExposureTime);
                var variant = g.Where(e => e.FirstExposureTime == first).Select(e => e.Variant).Order(StringComparer.Ordinal).First();
                return (g.Key, variant, first);
            })
            .Where(u => u.first < Window.End)
            .ToList();

    private ILookup<ulong, Impression>? _impressionsByUser;
    private ILookup<ulong, Conversion>? _conversionsByUser;

    /// <summary>A user's metric over [from, to).</summary>
    public double Metric(ExperimentMetric metric, ulong user, DateTime from, DateTime to)
    {
        _impressionsByUser ??= Impressions.ToLookup(e => e.UserId);
        _conversionsByUser ??= Conversions.ToLookup(e => e.UserId);
        var impressions = _impressionsByUser[user].Where(e => e.EventTime >= from && e.EventTime < to);
        var conversions = _conversionsByUser[user].Where(e => e.EventTime >= from && e.EventTime < to);
        return metric switch
        {
            ExperimentMetric.Impressions => impressions.Count(),
            ExperimentMetric.Clicks => impressions.Sum(e => (double)e.Clicks),
            ExperimentMetric.Cost => impressions.Sum(e => e.Cost),
            ExperimentMetric.Conversions => conversions.Count(),
            ExperimentMetric.ConversionValue => conversions.Sum(e => e.Value),
            ExperimentMetric.Converted => conversions.Any() ? 1 : 0,
            ExperimentMetric.Clicked => impressions.Any(e => e.Clicks > 0) ? 1 : 0,
            _ => throw new ArgumentOutOfRangeException(nameof(metric)),
        };
    }

    /// <summary>The pre-period covariate, or null for a unit with no impression and no conversion in the pre-period.</summary>
    public double? PreValue(ExperimentMetric metric, ulong user)
    {
        var from = PrePeriod.Start.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var to = PrePeriod.End.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        bool active = Metric(ExperimentMetric.Impressions, user, from, to) + Metric(ExperimentMetric.Conversions, user, from, to) > 0;
        return active ? Metric(metric, user, from, to) : null;
    }
}
