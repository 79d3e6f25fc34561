using Experiments.Jobs.ClickHouse;

namespace Experiments.Jobs.Demo;

/// <summary>The size and seed of a generated workload.</summary>
/// <param name="Users">Users (randomisation units).</param>
/// <param name="PreDays">Days before the experiments start (the CUPED pre-period).</param>
/// <param name="ExperimentDays">Days the experiments run.</param>
/// <param name="ImpressionsPerUserDay">Mean impressions per user and day (the user's activity scales it).</param>
/// <param name="Geos">Markets (at least 50, as a national advertiser has).</param>
/// <param name="Seed">Everything generated follows from it.</param>
/// <param name="Start">The first day.</param>
public sealed record DemoScale(int Users, int PreDays, int ExperimentDays, double ImpressionsPerUserDay, int Geos, ulong Seed, DateOnly Start)
{
    /// <summary>The benchmark's scale: about 1M users and 10M impressions a day over 60 days (30 pre, 30 experiment).</summary>
    public static DemoScale Full { get; } = new(1_000_000, 30, 30, 10, 60, 20261122, new DateOnly(2026, 9, 1));

    /// <summary>The run command's scale: loads in about a minute on two cores.</summary>
    public static DemoScale Demo { get; } = new(40_000, 21, 21, 8, 60, 20261122, new DateOnly(2026, 9, 1));

    /// <summary>The first day of the experiments.</summary>
    public DateOnly ExperimentStart => Start.AddDays(PreDays);

    /// <summary>The day after the last day.</summary>
    public DateOnly End => Start.AddDays(PreDays + ExperimentDays);

    /// <summary>Expected impressions over the whole workload.</summary>
    public double ExpectedImpressions => (double)Users * ImpressionsPerUserDay * (PreDays + ExperimentDays);
}

/// <summary>What the generator put into the data, for tests and the demo to check the analyses against.</summary>
/// <param name="AbExperimentId">The A/B test: treatment users convert <see cref="AbLift"/> more often once exposed.</param>
/// <param name="AbLift">The A/B test's true relative lift in conversions and conversion value per user.</param>
/// <param name="AaExperimentId">An A/A test: two arms, no difference.</param>
/// <param name="GeoCampaignId">The geo experiment's campaign, running in the treated markets only.</param>
/// <param name="TreatedGeos">The geo experiment's treated markets.</param>
/// <param name="GeoLift">The true relative lift in conversions in the treated markets while the campaign runs.</param>
/// <param name="GeoDailySpend">The campaign's spend per treated market and day.</param>
/// <param name="ExpectedVarianceReduction">
/// The CUPED variance reduction the model implies for conversion value per user with equal pre and post windows:
/// ρ² with ρ = Var(E[Y|λ]) / Var(Y) (see <see cref="DemoDataGenerator"/>).
/// </param>
/// <param name="AbHoldout">What the A/B test's campaign caused among the treatment's users.</param>
/// <param name="GeoHoldout">What the geo campaign caused in the treated markets.</param>
public sealed record DemoTruth(string AbExperimentId, double AbLift, string AaExperimentId, string GeoCampaignId,
    IReadOnlyList<string> TreatedGeos, double GeoLift, double GeoDailySpend, double ExpectedVarianceReduction,
    HoldoutTruth AbHoldout, HoldoutTruth GeoHoldout);

/// <summary>
/// What a campaign caused, in expectation given the drawn impressions (the conversions themselves are random draws,
/// so the published estimates scatter around these within their intervals).
/// </summary>
/// <param name="CampaignId">The campaign whose impressions (A/B) or geo_spend rows (geo) are its spend.</param>
/// <param name="TreatedUnits">Exposed treatment users (A/B) or treated markets (geo).</param>
/// <param name="IncrementalConversions">Conversions the campaign caused.</param>
/// <param name="IncrementalRevenue">Conversion value it caused (incremental conversions × the mean value).</param>
/// <param name="Spend">What was spent on the treated units.</param>
/// <param name="Iroas">Incremental revenue per unit of spend.</param>
/// <param name="CostPerIncrementalConversion">Spend per incremental conversion.</param>
/// <param name="IncrementalConverters">A/B: users who converted at least once because of the campaign (the <c>converted</c> metric's incremental count); null for geo.</param>
/// <param name="ConvertedRelativeLift">A/B: the relative lift in the share of treatment users who converted at least once; null for geo.</param>
public sealed record HoldoutTruth(string CampaignId, long TreatedUnits, double IncrementalConversions, double IncrementalRevenue, double Spend,
    double Iroas, double CostPerIncrementalConversion, double? IncrementalConverters, double? ConvertedRelativeLift);

/// <summary>Rows written by <see cref="DemoLoader.LoadAsync"/>, and how long each table took.</summary>
public sealed record DemoLoadResult(long Impressions, long Conversions, long Exposures, long GeoSpendRows, TimeSpan Elapsed)
{
    /// <summary>Rows per second over the whole load.</summary>
    public double RowsPerSecond => (Impressions + Conversions + Exposures + GeoSpendRows) / Elapsed.TotalSeconds;
}

/// <summary>Inserts a generated workload into ClickHouse.</summary>
public static class DemoLoader
{
    /// <summary>Streams every table of the workload into ClickHouse (tables must exist: run the migrations first).</summary>
    public static async Task<DemoLoadResult> LoadAsync(ExperimentEventLog log, DemoDataGenerator generator, CancellationToken cancellationToken = default)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long impressions = await log.InsertImpressionsAsync(generator.Impressions(cancellationToken), cancellationToken);
        long conversions = await log.InsertConversionsAsync(generator.Conversions(cancellationToken), cancellationToken);
        long exposures = await log.InsertExposuresAsync(generator.Exposures(cancellationToken), cancellationToken);
        long spend = await log.InsertGeoSpendAsync(generator.GeoSpend(cancellationToken), cancellationToken);
        return new DemoLoadResult(impressions, conversions, exposures, spend, clock.Elapsed);
    }
}
