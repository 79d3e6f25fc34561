using System.Runtime.CompilerServices;
using Experiments.Jobs.ClickHouse;

namespace Experiments.Jobs.Demo;

/// <summary>
/// Generates realistic, reproducible ad logs: impressions, conversions, experiment exposures and geo spend.
/// </summary>
/// <remarks>
/// <para>Users have a lasting activity level λ ~ LogNormal with mean 1 and coefficient of variation 0.9, which
/// drives both their impressions (Poisson with mean λ·ImpressionsPerUserDay a day) and, through them, their
/// conversions; so a user's pre-period behaviour predicts their experiment-period behaviour, as real logs do.
/// Each impression is clicked with probability 3% and leads to a conversion with probability 2%, for a value
/// ~ LogNormal(3, 0.6). Users live in one of the markets, whose sizes follow a Zipf law.</para>
/// <para>Experiments: an A/B holdout test over all users (the treatment sees the campaign <c>checkout-retargeting</c>,
/// every other impression of theirs, and converts 5% more often from its first exposure; the control is the
/// holdout), an A/A test over all users (no difference), and a geo experiment: a campaign in 5 mid-sized markets
/// that raises conversions there by 18% during the experiment period, with its spend logged per market and day.
/// <see cref="Truth"/> holds the incremental conversions, revenue, spend and iROAS each campaign caused.</para>
/// <para>Every (user, day) has its own random stream derived from the seed (SplitMix64), so each table is
/// generated in its own streaming pass in (day, user) order — the tables' sort order — and the same seed gives
/// the same rows in every pass and on every machine. Nothing is held in memory beyond a few arrays of one value
/// per user.</para>
/// <para>Expected CUPED variance reduction for conversion value per user over equal windows of D days: with
/// m = D·ImpressionsPerUserDay·0.02 expected conversions and V the value, Cov(Y_pre, Y_post) = (m·E[V])²·Var(λ)
/// and Var(Y) = m·E[V²] + (m·E[V])²·Var(λ), so ρ = Cov/Var and the reduction is ρ²: about 0.43 at the demo scale
/// (21-day windows, 8 impressions a day) and 0.60 at full scale (30 days, 10 a day).</para>
/// </remarks>
public sealed class DemoDataGenerator
{
    private const double ClickRate = 0.03;
    private const double ConversionRate = 0.02;
    private const double ValueMu = 3.0;
    private const double ValueSigma = 0.6;
    private const double ActivityCv = 0.9;
    private const double AbLift = 0.05;
    private const double GeoLift = 0.18;
    private const double GeoDailySpend = 2_500;
    private const string AbExperiment = "checkout-redesign";
    private const string AaExperiment = "aa-calibration";
    private const string GeoCampaign = "autumn-brand-geo";
    private const string AbCampaign = "checkout-retargeting";
    private const string AlwaysOnCampaign = "always-on";

    private readonly DemoScale _scale;
    private readonly string[] _geoNames;
    private readonly double[] _geoWeights;
    private readonly bool[] _treatedGeo;
    private readonly Lazy<(HoldoutTruth Ab, HoldoutTruth Geo)> _holdoutTruth;

    /// <summary>Creates a generator for the scale.</summary>
    /// <exception cref="ArgumentException">A scale with no users, days, or fewer than 10 markets.</exception>
    public DemoDataGenerator(DemoScale scale)
    {
        if (scale.Users <= 0 || scale.PreDays <= 0 || scale.ExperimentDays <= 0 || scale.Geos < 10 || !(scale.ImpressionsPerUserDay > 0))
            throw new ArgumentException("A demo workload needs users, pre-period and experiment days, activity, and at least 10 markets.", nameof(scale));
        _scale = scale;
        _geoNames = Enumerable.Range(1, scale.Geos).Select(g => $"geo-{g:000}").ToArray();
        _geoWeights = Enumerable.Range(1, scale.Geos).Select(g => 1.0 / Math.Pow(g, 0.8)).ToArray();
        double total = _geoWeights.Sum();
        for (int g = 0; g < _geoWeights.Length; g++)
            _geoWeights[g] /= total;
        // Five mid-sized markets (ranks 10, 14, 18, 22, 26 by size) carry the geo campaign.
        _treatedGeo = new bool[scale.Geos];
        foreach (int rank in new[] { 10, 14, 18, 22, 26 })
            _treatedGeo[Math.Min(rank, scale.Geos) - 1] = true;
        _holdoutTruth = new(ComputeHoldoutTruth);
    }

    /// <summary>What was put into the data.</summary>
    public DemoTruth Truth
    {
        get
        {
            double days = _scale.ExperimentDays;
            double m = days * _scale.ImpressionsPerUserDay * ConversionRate;
            double meanValue = Math.Exp(ValueMu + ValueSigma * ValueSigma / 2);
            double meanValue2 = Math.Exp(2 * ValueMu + 2 * ValueSigma * ValueSigma);
            double between = m * m * meanValue * meanValue * ActivityCv * ActivityCv;
            double rho = between / (m * meanValue2 + between);
            return new DemoTruth(AbExperiment, AbLift, AaExperiment, GeoCampaign,
                _geoNames.Where((_, g) => _treatedGeo[g]).ToList(), GeoLift, GeoDailySpend, rho * rho, _holdoutTruth.Value.Ab, _holdoutTruth.Value.Geo);
        }
    }

    /// <summary>The scale.</summary>
    public DemoScale Scale => _scale;

    /// <summary>Every impression, in (day, user) order.</summary>
    public async IAsyncEnumerable<Impression> Impressions([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var draws = new List<ImpressionDraw>();
        int totalDays = _scale.PreDays + _scale.ExperimentDays;
        for (int day = 0; day < totalDays; day++)
        {
            var date = _scale.Start.AddDays(day).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
            bool running = day >= _scale.PreDays;
            for (int user = 0; user < _scale.Users; user++)
            {
                if ((user & 0x3FFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    await Task.Yield();
                }
                var u = User(user);
                DrawDay(user, day, u, draws);
                string geo = _geoNames[u.Geo];
                for (int i = 0; i < draws.Count; i++)
                {
                    var d = draws[i];
                    yield return new Impression(date.AddSeconds(d.Second), u.Id, geo, Campaign(running, u, i),
                        running ? AbExperiment : "", running ? (u.AbTreatment ? "treatment" : "control") : "",
                        d.Cost, d.Clicked ? (byte)1 : (byte)0);
                }
            }
        }
    }

    /// <summary>Every conversion, in (day, user) order, drawn from the same streams as the impressions.</summary>
    public async IAsyncEnumerable<Conversion> Conversions([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var draws = new List<ImpressionDraw>();
        int totalDays = _scale.PreDays + _scale.ExperimentDays;
        for (int day = 0; day < totalDays; day++)
        {
            var date = _scale.Start.AddDays(day).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
            bool running = day >= _scale.PreDays;
            for (int user = 0; user < _scale.Users; user++)
            {
                if ((user & 0x3FFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    await Task.Yield();
                }
                var u = User(user);
                DrawDay(user, day, u, draws);
                foreach (var d in draws)
                {
                    double rate = ConversionRate;
                    if (running && _treatedGeo[u.Geo])
                        rate *= 1 + GeoLift;
                    // The A/B treatment acts from the user's exposure, their first impression of the period: every
                    // impression of the period is at or after it, so every conversion of the period is exposed.
                    if (running && u.AbTreatment)
                        rate *= 1 + AbLift;
                    if (d.ConversionDraw >= rate)
                        continue;
                    double value = Math.Exp(ValueMu + ValueSigma * StandardNormal(d.ValueDraw1, d.ValueDraw2));
                    yield return new Conversion(date.AddSeconds(d.Second), u.Id, _geoNames[u.Geo], Math.Round(value, 2));
                }
            }
        }
    }

    /// <summary>Exposures to the A/B and A/A tests: each user's first impression on or after the start.</summary>
    public async IAsyncEnumerable<Exposure> Exposures([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var draws = new List<ImpressionDraw>();
        for (int user = 0; user < _scale.Users; user++)
        {
            if ((user & 0x3FFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await Task.Yield();
            }
            var u = User(user);
            for (int day = _scale.PreDays; day < _scale.PreDays + _scale.ExperimentDays; day++)
            {
                int second = FirstSecond(user, day, u, draws);
                if (second == int.MaxValue)
                    continue;
                var at = _scale.Start.AddDays(day).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).AddSeconds(second);
                yield return new Exposure(AbExperiment, u.Id, u.AbTreatment ? "treatment" : "control", at);
                yield return new Exposure(AaExperiment, u.Id, u.AaSecondArm ? "b" : "a", at);
                break;
            }
        }
    }

    /// <summary>Daily spend per market and campaign: the always-on campaign everywhere, the geo campaign in treated markets while it runs.</summary>
    public async IAsyncEnumerable<GeoSpend> GeoSpend([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (int day = 0; day < _scale.PreDays + _scale.ExperimentDays; day++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            var date = _scale.Start.AddDays(day);
            for (int g = 0; g < _geoNames.Length; g++)
            {
                var rng = new SplitMix(Mix(_scale.Seed ^ 0x5EED, (ulong)g, (ulong)day));
                double alwaysOn = _geoWeights[g] * _scale.Users * _scale.ImpressionsPerUserDay * 0.0035 * (0.9 + 0.2 * Next(ref rng));
                yield return new GeoSpend(date, _geoNames[g], AlwaysOnCampaign, Math.Round(alwaysOn, 2));
                if (day >= _scale.PreDays && _treatedGeo[g])
                    yield return new GeoSpend(date, _geoNames[g], GeoCampaign, GeoDailySpend);
            }
        }
    }

    /// <summary>
    /// The campaign an impression belongs to: while the experiments run, every other impression in a treated market
    /// is the geo campaign's, and the others of A/B-treatment users are the holdout campaign's (the control, the
    /// holdout, never sees it); everything else is the always-on campaign.
    /// </summary>
    private string Campaign(bool running, UserProfile user, int index) =>
        !running ? AlwaysOnCampaign
        : _treatedGeo[user.Geo] && (index & 1) == 0 ? GeoCampaign
        : user.AbTreatment && (index & 1) == 1 ? AbCampaign
        : AlwaysOnCampaign;

    /// <summary>
    /// The incrementality the workload holds, in expectation given the drawn impressions (one pass over the
    /// experiment's user-days, the same draws as the tables). For a treatment user with per-impression conversion
    /// rates r_i without the A/B effect: incremental conversions Σ r_i·AbLift, incremental revenue that times E[V],
    /// and the probability of converting at least once rises from 1 − Π(1 − r_i) to 1 − Π(1 − r_i(1 + AbLift)).
    /// Spend is the holdout campaign's impressions' cost. In the treated markets the geo campaign adds
    /// Σ r_i·GeoLift conversions (r_i with the A/B effect where it applies) for GeoDailySpend per market and day.
    /// </summary>
    private (HoldoutTruth Ab, HoldoutTruth Geo) ComputeHoldoutTruth()
    {
        double meanValue = Math.Exp(ValueMu + ValueSigma * ValueSigma / 2);
        var draws = new List<ImpressionDraw>();
        long treatedUsers = 0;
        double abConversions = 0, abSpend = 0, convertedWith = 0, convertedWithout = 0, geoConversions = 0;
        for (int user = 0; user < _scale.Users; user++)
        {
            var u = User(user);
            double noConversionWithout = 1, noConversionWith = 1;
            bool exposed = false;
            for (int day = _scale.PreDays; day < _scale.PreDays + _scale.ExperimentDays; day++)
            {
                DrawDay(user, day, u, draws);
                for (int i = 0; i < draws.Count; i++)
                {
                    exposed = true;
                    double rate = ConversionRate * (_treatedGeo[u.Geo] ? 1 + GeoLift : 1);
                    if (_treatedGeo[u.Geo])
                        geoConversions += ConversionRate * (u.AbTreatment ? 1 + AbLift : 1) * GeoLift;
                    if (!u.AbTreatment)
                        continue;
                    abConversions += rate * AbLift;
                    noConversionWithout *= 1 - rate;
                    noConversionWith *= 1 - rate * (1 + AbLift);
                    if (Campaign(true, u, i) == AbCampaign)
                        abSpend += draws[i].Cost;
                }
            }
            if (u.AbTreatment && exposed)
            {
                treatedUsers++;
                convertedWith += 1 - noConversionWith;
                convertedWithout += 1 - noConversionWithout;
            }
        }
        double geoSpend = GeoDailySpend * _treatedGeo.Count(t => t) * _scale.ExperimentDays;
        var ab = new HoldoutTruth(AbCampaign, treatedUsers, abConversions, abConversions * meanValue, abSpend,
            abConversions * meanValue / abSpend, abSpend / abConversions, convertedWith - convertedWithout, convertedWith / convertedWithout - 1);
        var geo = new HoldoutTruth(GeoCampaign, _treatedGeo.Count(t => t), geoConversions, geoConversions * meanValue, geoSpend,
            geoConversions * meanValue / geoSpend, geoSpend / geoConversions, null, null);
        return (ab, geo);
    }

    private readonly record struct UserProfile(ulong Id, double Activity, int Geo, bool AbTreatment, bool AaSecondArm);

    private UserProfile User(int index)
    {
        var rng = new SplitMix(Mix(_scale.Seed, (ulong)index, 0xFFFF_FFFF));
        double sigma = Math.Sqrt(Math.Log(1 + ActivityCv * ActivityCv));
        double activity = Math.Exp(-sigma * sigma / 2 + sigma * StandardNormal(Next(ref rng), Next(ref rng)));
        double u = Next(ref rng), cumulative = 0;
        int geo = _geoWeights.Length - 1;
        for (int g = 0; g < _geoWeights.Length; g++)
        {
            cumulative += _geoWeights[g];
            if (u < cumulative)
            {
                geo = g;
                break;
            }
        }
        // Ids are large and scattered, as hashed user ids are; assignment is a hash of the id, as in production.
        ulong id = Mix(_scale.Seed ^ 0x1D, (ulong)index, 7) >> 1;
        return new UserProfile(id, activity, geo, (Mix(id, 0xAB, 1) & 1) == 1, (Mix(id, 0xAA, 2) & 1) == 1);
    }

    /// <summary>
    /// One impression's random draws. Every table is generated from these, in this order, from the (user, day)
    /// stream, so the impressions, their conversions and the users' exposures always agree.
    /// </summary>
    private readonly record struct ImpressionDraw(int Second, bool Clicked, double ConversionDraw, double ValueDraw1, double ValueDraw2, double Cost);

    /// <summary>The user's impressions of the day (replacing the contents of <paramref name="into"/>).</summary>
    private void DrawDay(int user, int day, UserProfile profile, List<ImpressionDraw> into)
    {
        into.Clear();
        var rng = DayStream(user, day);
        int count = Poisson(ref rng, profile.Activity * _scale.ImpressionsPerUserDay);
        for (int i = 0; i < count; i++)
        {
            int second = (int)(Next(ref rng) * 86_400);
            bool clicked = Next(ref rng) < ClickRate;
            double conversion = Next(ref rng);
            double z1 = Next(ref rng), z2 = Next(ref rng);
            double cost = 0.002 + 0.003 * Next(ref rng);
            into.Add(new ImpressionDraw(second, clicked, conversion, z1, z2, cost));
        }
    }

    /// <summary>The second of the day of the user's first impression that day, or int.MaxValue without one.</summary>
    private int FirstSecond(int user, int day, UserProfile profile, List<ImpressionDraw> draws)
    {
        DrawDay(user, day, profile, draws);
        int first = int.MaxValue;
        foreach (var d in draws)
            first = Math.Min(first, d.Second);
        return first;
    }

    private SplitMix DayStream(int user, int day) => new(Mix(_scale.Seed, (ulong)user, (ulong)day));

    private static int Poisson(ref SplitMix rng, double mean)
    {
        if (mean > 30)
            return Math.Max(0, (int)Math.Round(mean + Math.Sqrt(mean) * StandardNormal(Next(ref rng), Next(ref rng))));
        double limit = Math.Exp(-mean), product = Next(ref rng);
        int k = 0;
        while (product > limit)
        {
            k++;
            product *= Next(ref rng);
        }
        return k;
    }

    private static double StandardNormal(double u1, double u2) => Math.Sqrt(-2 * Math.Log(1 - u1)) * Math.Cos(2 * Math.PI * u2);

    private static double Next(ref SplitMix rng) => (rng.NextUInt64() >> 11) * (1.0 / (1UL << 53));

    private static ulong Mix(ulong a, ulong b, ulong c)
    {
        var s = new SplitMix(a ^ (b * 0x9E3779B97F4A7C15UL) ^ (c * 0xC2B2AE3D27D4EB4FUL));
        return s.NextUInt64();
    }

    /// <summary>SplitMix64 (Steele, Lea &amp; Flood 2014): a tiny, fast generator, one per (user, day).</summary>
    private struct SplitMix(ulong state)
    {
        private ulong _state = state;

        public ulong NextUInt64()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
