using Experiments.Engine.SyntheticControl;

namespace Experiments.Engine.Geo;

/// <summary>What a geo power analysis simulates: candidate treated sets, test durations, effects and windows.</summary>
public sealed record GeoPowerSpecification
{
    /// <summary>
    /// Explicit candidate treated-market sets. Give either these or <see cref="TreatedCounts"/>, not both.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>>? CandidateSets { get; init; }

    /// <summary>
    /// Set sizes to generate candidates for with <see cref="GeoPowerCandidates.MostCorrelated"/> (e.g. 2, 3, 4, 5).
    /// Give either these or <see cref="CandidateSets"/>.
    /// </summary>
    public IReadOnlyList<int>? TreatedCounts { get; init; }

    /// <summary>Test durations in periods (e.g. 10 and 15 days).</summary>
    public required IReadOnlyList<int> Durations { get; init; }

    /// <summary>
    /// Relative effects to inject (0.05 = +5%): each treated market's outcome is multiplied by 1 + e in the test
    /// window, so the outcome must be non-negative (conversions, sales). Finite, greater than −1, distinct. Include 0
    /// to measure the false-positive rate.
    /// </summary>
    public required IReadOnlyList<double> EffectSizes { get; init; }

    /// <summary>Error rate of the conformal test (GeoLift's default 0.1).</summary>
    public double Alpha { get; init; } = 0.1;

    /// <summary>The power a design must reach at its minimum detectable effect (default 0.8).</summary>
    public double TargetPower { get; init; } = 0.8;

    /// <summary>
    /// Simulated test windows per duration: the latest window ends at the last period, each earlier one
    /// <see cref="WindowSpacing"/> periods before the next, and each uses every earlier period as its pre-period.
    /// </summary>
    public int Windows { get; init; } = 10;

    /// <summary>Periods between the ends of consecutive windows (1 = GeoLift's lookback windows).</summary>
    public int WindowSpacing { get; init; } = 1;

    /// <summary>The fewest pre-periods any simulated window may have (at least 4, as <see cref="GeoExperiment"/> requires).</summary>
    public int MinimumPrePeriods { get; init; } = 30;

    /// <summary>Plain synthetic control or the ridge-augmented one, as in <see cref="GeoExperimentSpecification.Model"/>.</summary>
    public GeoModel Model { get; init; } = GeoModel.SyntheticControl;

    /// <summary>Fit on outcomes centred by each market's pre-period mean (GeoLift's default).</summary>
    public bool FixedEffects { get; init; } = true;

    /// <summary>The ridge penalty of the augmented model; when null chosen once per candidate set (see <see cref="GeoPower"/>).</summary>
    public double? RidgeLambda { get; init; }

    /// <summary>Random permutations per conformal test (GeoLift's 1,000).</summary>
    public int Permutations { get; init; } = 1000;

    /// <summary>
    /// The permutations of the conformal test: random (iid, <see cref="GeoExperiment"/>'s and GeoLift's default) or the
    /// moving blocks of the time index, which tolerate serially dependent residuals (see <see cref="ConformalPermutation"/>).
    /// </summary>
    public ConformalPermutation Permutation { get; init; } = ConformalPermutation.MovingBlock;

    /// <summary>Seed of every random permutation; the result is a function of the inputs and this seed.</summary>
    public int Seed { get; init; } = 20210101;

    /// <summary>Cost per incremental unit (GeoLift's CPIC), to report the spend a design needs at its MDE; null for none.</summary>
    public double? CostPerIncrementalUnit { get; init; }

    /// <summary>
    /// The largest rejection rate with no effect injected at which a design's power is trusted; designs above it rank
    /// after every design within it. Null means 2α. Applies when 0 is among the effects; 1 turns it off.
    /// </summary>
    public double? MaximumFalsePositiveRate { get; init; }

    /// <summary>The most that may be spent; designs needing more rank after those within it. Requires a cost per incremental unit.</summary>
    public double? Budget { get; init; }

    /// <summary>How many of the top-ranked designs get the expected width of their conformal interval (0 for none; it costs about 40 refits per window).</summary>
    public int IntervalDesigns { get; init; } = 5;

    /// <summary>Maximum number of simulations run at once; -1 uses every core. The result does not depend on it.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    /// <summary>Stops the simulations between two of them (a caller that went away); the analysis then throws <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken CancellationToken { get; init; }
}

/// <summary>One simulated test window: the duration and the first and last treated period.</summary>
/// <param name="Duration">Test length in periods.</param>
/// <param name="FirstPeriod">The first treated period; every earlier period is the pre-period.</param>
/// <param name="LastPeriod">The last treated period; later periods are not used by this window.</param>
/// <param name="PrePeriods">Number of pre-periods.</param>
public sealed record GeoPowerWindow(int Duration, int FirstPeriod, int LastPeriod, int PrePeriods);

/// <summary>The simulations of one design (treated set and duration) at one injected effect.</summary>
/// <param name="EffectSize">The injected relative effect e.</param>
/// <param name="Simulations">Simulated windows.</param>
/// <param name="Detections">Windows where the test rejected at α and the estimate had the sign of e (at e = 0: every rejection).</param>
/// <param name="Power">Detections / simulations; at e = 0 the false-positive rate.</param>
/// <param name="RejectionRate">Share of windows with p ≤ α whatever the estimate's sign.</param>
/// <param name="MeanEstimatedLift">Mean over windows of the estimated lift Σ(ȳ − ŷ)/Σŷ over the window (0.05 = +5%), GeoExperiment's lift; null when some window's counterfactual total is not positive (the lift is undefined there).</param>
/// <param name="LiftBias">MeanEstimatedLift − e: the estimator's bias in lift; at e = 0, GeoLift's "abs_lift_in_zero" with its sign. Null with the lift.</param>
/// <param name="MeanEstimatedEffect">Mean estimated ATT (per treated market per period).</param>
/// <param name="MeanInjectedEffect">Mean injected ATT, e·Σȳ/d over the window.</param>
public sealed record GeoPowerCell(double EffectSize, int Simulations, int Detections, double Power, double RejectionRate,
    double? MeanEstimatedLift, double? LiftBias, double MeanEstimatedEffect, double MeanInjectedEffect);

/// <summary>One design — a candidate treated set run for one duration — with its power curve and ranking figures.</summary>
/// <param name="Rank">1 for the best design (see <see cref="GeoPower"/> for the order).</param>
/// <param name="TreatedUnits">The treated markets, in ordinal order.</param>
/// <param name="Duration">Test length in periods.</param>
/// <param name="MinimumDetectableEffect">The non-zero simulated effect of smallest magnitude with power ≥ the target (positive wins a tie); null when none reaches it.</param>
/// <param name="PowerAtMinimumDetectableEffect">The power at that effect; null without one.</param>
/// <param name="FalsePositiveRate">The rejection rate with no effect injected; null when 0 was not simulated. Should be ≈ α; far above it, the design ranks in a lower tier.</param>
/// <param name="ScaledL2Imbalance">Mean over windows of the pre-period fit's L2 imbalance over that of equal donor weights (GeoLift's AvgScaledL2Imbalance; lower is better).</param>
/// <param name="L2Imbalance">Mean over windows of √Σ_pre(ȳ − ŷ)².</param>
/// <param name="TreatedShare">The treated markets' share of the total outcome over the history (GeoLift's ProportionTotal_Y).</param>
/// <param name="RidgeLambda">The ridge penalty of the augmented model, else null.</param>
/// <param name="Investment">Cost per incremental unit × |MDE| × the treated markets' mean total outcome over a window: the spend a test at the MDE needs; null without a cost or an MDE.</param>
/// <param name="WithinBudget">Whether <paramref name="Investment"/> is within the budget; null without a budget.</param>
/// <param name="ExpectedIntervalWidth">Mean over windows, with no effect injected, of the width of the (1 − α) conformal interval for the ATT that <see cref="GeoExperiment"/> reports; null when not computed.</param>
/// <param name="ExpectedRelativeIntervalWidth">The same width over the mean counterfactual per period (comparable with effect sizes); null when not computed or the counterfactual is not positive.</param>
/// <param name="Cells">The power curve: one cell per effect, in the order given.</param>
public sealed record GeoPowerDesign(int Rank, IReadOnlyList<string> TreatedUnits, int Duration, double? MinimumDetectableEffect, double? PowerAtMinimumDetectableEffect,
    double? FalsePositiveRate, double ScaledL2Imbalance, double L2Imbalance, double TreatedShare, double? RidgeLambda, double? Investment, bool? WithinBudget,
    double? ExpectedIntervalWidth, double? ExpectedRelativeIntervalWidth, IReadOnlyList<GeoPowerCell> Cells);

/// <summary>The result of a geo power analysis.</summary>
/// <param name="Designs">Every design, best first.</param>
/// <param name="Windows">The simulated test windows, by duration then from the latest.</param>
/// <param name="CandidateSetCount">Candidate treated sets simulated.</param>
/// <param name="SimulationCount">Simulated tests: sets × durations × windows × effects.</param>
/// <param name="FalsePositiveRate">The rejection rate over every simulation with no effect injected (all designs pooled); null when 0 was not simulated.</param>
/// <param name="ZeroEffectSimulations">The number of those simulations.</param>
public sealed record GeoPowerResult(IReadOnlyList<GeoPowerDesign> Designs, IReadOnlyList<GeoPowerWindow> Windows, int CandidateSetCount, int SimulationCount,
    double? FalsePositiveRate, int ZeroEffectSimulations);

/// <summary>
/// Power analysis and market selection for geo experiments by simulation over history, as GeoLift's
/// <c>GeoLiftMarketSelection</c> / <c>GeoLiftPower</c> do it, with the estimator and the conformal test of
/// <see cref="GeoExperiment"/>.
/// </summary>
/// <remarks>
/// <para><b>Simulation.</b> For each candidate treated set, duration d and window [s, s + d) (the latest ending at
/// the last period, earlier ones spaced back from it; periods after the window are dropped and every period before
/// it is the pre-period), each effect e is injected multiplicatively, Y_it ← Y_it(1 + e) for the treated markets in
/// the window. The treated average is fitted on the pre-period as in <see cref="GeoExperiment"/> (synthetic control
/// on the outcome path, optionally ridge-augmented, with fixed effects), giving the ATT and the lift
/// Σ(ȳ − ŷ)/Σŷ, and the conformal test of no effect (Chernozhukov, Wüthrich &amp; Zhu 2021, §2; the test
/// <see cref="GeoExperiment"/> reports: refit on all periods, S = Σ_{t∈test}|û_t|, K iid permutations) gives p.
/// A detection is p ≤ α with an estimate of the injected sign; power = detections / windows; at e = 0 every
/// rejection counts, so the zero-effect cell is the false-positive rate, which must be ≈ α.</para>
/// <para><b>Why power at zero is α here and was 1 in GeoLift</b> (facebookincubator/GeoLift issues #48, #171).
/// GeoLift's market selection defaults to one window (<c>lookback_window = 1</c>), so each cell's power is 0 or 1,
/// and a set whose one zero-effect test rejects — its synthetic control sitting consistently off the treated markets,
/// as the maintainers answered in #171 — shows power 1 at zero and at every tiny effect; only the mean lift estimated
/// at zero (<c>abs_lift_in_zero</c>) hints at it. Here each cell averages many windows, each with its own permutation
/// draws; a zero-effect rejection counts as a false positive, not a detection; the MDE is chosen among non-zero
/// effects; and a design whose zero-effect rate is far above α ranks after the calibrated ones (below).</para>
/// <para><b>What the zero-effect rate measures on real history.</b> The iid permutations assume exchangeable
/// residuals. On histories whose markets drift apart for weeks at a time the residuals are serially dependent and the
/// test rejects "no effect" somewhat more often than α: on GeoLift_PreTest 0.13 instead of 0.10 over all window
/// positions (0.03 to 0.30 depending on the position), against 0.10 with
/// <see cref="ConformalPermutation.MovingBlock"/>. On simulated panels with independent noise it is α within
/// binomial error. The zero-effect cells report this honestly; the ranking demotes designs far above α.</para>
/// <para><b>Power need not grow with duration.</b> The test refits on every period with the effect in place, and the
/// window is always the last periods of that fit: the fixed effect absorbs a share d/T of a shift, and when donors
/// trend a long late shift looks like a steeper trend that re-weighted donors absorb too. On simulated trending
/// panels a 2% effect is detected less often over 40 periods than over 10. Simulate the durations you consider
/// rather than assume longer is better.</para>
/// <para><b>Randomness.</b> Each test window (duration, end) draws its permutations once, from a generator seeded by
/// the analysis seed, the duration and the window's end, and every candidate set and effect tested in that window
/// uses the same draws: common random numbers, so comparisons between effects (the power curve) and between sets at
/// the same window (the ranking) are not blurred by independent permutation noise, a set's figures do not depend
/// on which other sets are simulated, and drawing costs O(windows·K·d) instead of O(sets·windows·K·d). They take
/// 4·K·d bytes per window (60 KB for K = 1,000, d = 15). Simulations run in parallel (<see cref="Parallel"/>),
/// each writing only its own slot, and are aggregated in a fixed order, so the result is identical on one thread
/// and on all cores.</para>
/// <para><b>Ridge penalty.</b> With the augmented model and no <see cref="GeoPowerSpecification.RidgeLambda"/>, λ is
/// chosen by augsynth's cross-validation (as <see cref="GeoExperiment"/> does) once per candidate set, on the periods
/// before the earliest simulated window — data that no simulated test treats — and held fixed across windows,
/// durations and effects, as <see cref="GeoExperiment"/> holds it fixed across its conformal refits. (Choosing it
/// per window would cost a leave-one-out of the whole pre-period for every window.)</para>
/// <para><b>Ranking</b> (GeoLift's market selection ranks by effect size, power and imbalance). Tiers first:
/// designs with an MDE whose zero-effect rejection rate is within <see cref="GeoPowerSpecification.MaximumFalsePositiveRate"/>
/// (default 2α), then those above it, then those over budget, then those without an MDE. A design that rejects
/// "no effect" far more often than α has a synthetic control that drifts from its treated markets in recent
/// history; its power at every effect is inflated by that drift (or deflated, for effects of the other sign), so
/// its MDE cannot be trusted — GeoLift weighs the same symptom by <c>abs_lift_in_zero</c>. Within a tier: |MDE|
/// ascending, power at the MDE descending, mean scaled L2 imbalance ascending, duration ascending, set size
/// ascending and the names.</para>
/// <para><b>Interval width.</b> The conformal interval for the ATT costs about 40 refits (stepping out and
/// bisecting each end), so it is computed only for the <see cref="GeoPowerSpecification.IntervalDesigns"/>
/// top-ranked designs, over all their windows, with no effect injected: the width of the interval barely depends on
/// a constant effect (the test inverts a shift), and zero needs no MDE to exist.</para>
/// <para><b>Cost.</b> Per candidate set and window: one pre-period QP, then one warm-started QP, T residuals and
/// K·d permutation sums per effect, all from Gram matrices built in O(J²) from running cross-products
/// (<see cref="GeoPowerHistory"/>). GeoLift's walkthrough grid (40 markets × 90 days, 135 sets of 2–5 markets,
/// durations 10 and 15, five effects, ten windows: 13,500 simulated tests and the top five designs' intervals) takes
/// about 0.2 s on two cores; the ridge-augmented model adds a cross-validation per set (about 1.5 s in all).</para>
/// </remarks>
public static class GeoPower
{
    /// <summary>Simulates every design and ranks them.</summary>
    /// <param name="panel">The history: no treatment in it.</param>
    /// <param name="specification">What to simulate.</param>
    /// <exception cref="StatisticsInputException">
    /// A negative or all-zero outcome (<c>panel</c>); candidates missing, both kinds given or empty (<c>candidateSets</c>); an unknown or repeated market, a repeated
    /// set or a set leaving no donor (<c>candidateSets</c>); bad sizes (<c>treatedCounts</c>); no, repeated or
    /// non-positive durations, or one longer than the history allows after the minimum pre-period (<c>durations</c>);
    /// windows reaching before the minimum pre-period (<c>windows</c>); fewer than 4 minimum pre-periods
    /// (<c>minimumPrePeriods</c>); no, repeated, non-finite or ≤ −1 effects (<c>effectSizes</c>); α outside (0, 1) or
    /// too small for the permutations or the periods to reach (<c>alpha</c>); target power outside (0, 1]
    /// (<c>targetPower</c>); and non-positive counts, penalties, costs or budgets (named by their property).
    /// </exception>
    public static GeoPowerResult Analyze(Panel panel, GeoPowerSpecification specification)
    {
        ArgumentNullException.ThrowIfNull(panel);
        ArgumentNullException.ThrowIfNull(specification);
        var spec = specification;
        Validate(panel, spec);
        var candidates = Candidates(panel, spec);
        int periods = panel.Periods.Count;
        var durations = spec.Durations.ToArray();
        var effects = spec.EffectSizes.ToArray();
        int windows = spec.Windows;

        // Window w of duration d covers [end − d, end) with end = T − w·spacing.
        var windowList = new List<GeoPowerWindow>();
        var cuts = new HashSet<int>();
        int earliestStart = periods;
        foreach (int d in durations)
        {
            for (int w = 0; w < windows; w++)
            {
                int end = periods - w * spec.WindowSpacing, start = end - d;
                windowList.Add(new GeoPowerWindow(d, panel.Periods[start], panel.Periods[end - 1], start));
                cuts.Add(start);
                cuts.Add(end);
                earliestStart = Math.Min(earliestStart, start);
            }
        }
        cuts.Add(earliestStart);
        var history = new GeoPowerHistory(panel, spec.FixedEffects, cuts);
        var simulator = new GeoPowerSimulator(history, spec.FixedEffects, spec.Model, spec.Permutations, spec.Alpha, spec.Permutation);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = spec.MaxDegreeOfParallelism, CancellationToken = spec.CancellationToken };
        GeoPowerWorkspace NewWorkspace() => new(periods);

        if (spec.Model == GeoModel.Augmented)
        {
            if (spec.RidgeLambda is { } fixedLambda)
                foreach (var c in candidates)
                    c.Lambda = fixedLambda;
            else
                Parallel.For(0, candidates.Length, parallel, NewWorkspace, (i, _, ws) =>
                {
                    candidates[i].Lambda = simulator.ChooseLambda(candidates[i], earliestStart, ws);
                    return ws;
                }, _ => { });
        }

        // One set of permutation draws per (duration, window), shared by every candidate set and effect.
        var draws = new int[durations.Length * windows][];
        Parallel.For(0, draws.Length, parallel, i =>
        {
            int d = durations[i / windows], end = periods - (i % windows) * spec.WindowSpacing;
            draws[i] = simulator.Draws(GeoPowerRandom.Seed(spec.Seed, d, end), end - d, end);
        });

        // Every (set, duration, window) is one task; each writes only its own slots.
        int perSet = durations.Length * windows;
        int taskCount = candidates.Length * perSet;
        var fits = new GeoPowerWindowFit[taskCount];
        var rejected = new bool[taskCount * effects.Length];
        Parallel.For(0, taskCount, parallel, NewWorkspace, (task, _, ws) =>
        {
            var (c, d, end) = Task(task);
            fits[task] = simulator.Simulate(candidates[c], end - durations[d], end, draws[task % perSet], effects, rejected.AsSpan(task * effects.Length, effects.Length), ws);
            return ws;
        }, _ => { });

        (int Candidate, int Duration, int End) Task(int task)
        {
            int c = task / perSet, rest = task % perSet;
            int d = rest / windows, w = rest % windows;
            return (c, d, periods - w * spec.WindowSpacing);
        }

        // Aggregate in task order.
        double grandTotal = 0;
        var totals = new double[panel.Units.Count];
        for (int u = 0; u < totals.Length; u++)
        {
            for (int t = 0; t < periods; t++)
                totals[u] += panel.OutcomeAt(u, t);
            grandTotal += totals[u];
        }
        int zeroIndex = Array.IndexOf(effects, 0.0);
        double maxFalsePositive = spec.MaximumFalsePositiveRate ?? 2 * spec.Alpha;
        int zeroRejections = 0, zeroSimulations = 0;
        var designs = new List<DesignDraft>();
        for (int c = 0; c < candidates.Length; c++)
        {
            var candidate = candidates[c];
            double share = candidate.Treated.Sum(u => totals[u]) / grandTotal;
            for (int d = 0; d < durations.Length; d++)
            {
                int first = c * perSet + d * windows;
                var cells = new GeoPowerCell[effects.Length];
                for (int e = 0; e < effects.Length; e++)
                {
                    double effect = effects[e];
                    int detections = 0, rejections = 0;
                    double lift = 0, att = 0, injected = 0;
                    bool liftDefined = true;
                    for (int w = 0; w < windows; w++)
                    {
                        var fit = fits[first + w];
                        double gap = fit.GapAtZero + effect * fit.TreatedWindowSum;
                        double counterfactual = fit.TreatedWindowSum - fit.GapAtZero;
                        bool reject = rejected[(first + w) * effects.Length + e];
                        if (reject)
                        {
                            rejections++;
                            if (effect == 0 || Math.Sign(gap) == Math.Sign(effect))
                                detections++;
                        }
                        liftDefined &= counterfactual > 0;
                        lift += gap / counterfactual;
                        att += gap / durations[d];
                        injected += effect * fit.TreatedWindowSum / durations[d];
                    }
                    cells[e] = new GeoPowerCell(effect, windows, detections, detections / (double)windows, rejections / (double)windows,
                        liftDefined ? lift / windows : null, liftDefined ? lift / windows - effect : null, att / windows, injected / windows);
                    if (e == zeroIndex)
                    {
                        zeroRejections += rejections;
                        zeroSimulations += windows;
                    }
                }

                GeoPowerCell? mde = cells.Where(x => x.EffectSize != 0 && x.Power >= spec.TargetPower)
                    .OrderBy(x => Math.Abs(x.EffectSize)).ThenByDescending(x => x.EffectSize).FirstOrDefault();
                double l2 = 0, scaled = 0, windowTotal = 0;
                for (int w = 0; w < windows; w++)
                {
                    var fit = fits[first + w];
                    l2 += Math.Sqrt(fit.L2Squared);
                    scaled += fit.UniformL2Squared > 0 ? Math.Sqrt(fit.L2Squared / fit.UniformL2Squared) : 0;
                    windowTotal += fit.TreatedWindowSum * candidate.Treated.Length;
                }
                double? investment = spec.CostPerIncrementalUnit is { } cpic && mde is not null
                    ? cpic * Math.Abs(mde.EffectSize) * windowTotal / windows
                    : null;
                bool? withinBudget = spec.Budget is { } budget ? investment is { } i && i <= budget : null;
                bool calibrated = zeroIndex < 0 || cells[zeroIndex].RejectionRate <= maxFalsePositive;
                designs.Add(new DesignDraft(c, d, first, cells, mde, zeroIndex >= 0 ? cells[zeroIndex].RejectionRate : null, calibrated,
                    scaled / windows, l2 / windows, share, investment, withinBudget,
                    mde?.Power ?? cells.OrderByDescending(x => Math.Abs(x.EffectSize)).ThenByDescending(x => x.EffectSize).First().Power));
            }
        }

        var ranked = designs
            .OrderBy(x => x.Mde is null ? 3 : x.WithinBudget == false ? 2 : x.Calibrated ? 0 : 1)
            .ThenBy(x => x.Mde is null ? double.PositiveInfinity : Math.Abs(x.Mde.EffectSize))
            .ThenByDescending(x => x.RankingPower)
            .ThenBy(x => x.ScaledL2)
            .ThenBy(x => durations[x.Duration])
            .ThenBy(x => candidates[x.Candidate].Names.Length)
            .ThenBy(x => string.Join('\u0001', candidates[x.Candidate].Names), StringComparer.Ordinal)
            .ToList();

        // Interval widths for the top designs, one task per window.
        int intervalDesigns = Math.Min(spec.IntervalDesigns, ranked.Count);
        var intervals = new (double Estimate, double Lower, double Upper)[intervalDesigns * windows];
        Parallel.For(0, intervals.Length, parallel, NewWorkspace, (task, _, ws) =>
        {
            var design = ranked[task / windows];
            int w = task % windows, end = periods - w * spec.WindowSpacing, duration = durations[design.Duration];
            intervals[task] = simulator.Interval(candidates[design.Candidate], end - duration, end, draws[design.Duration * windows + w], ws);
            return ws;
        }, _ => { });

        var result = new List<GeoPowerDesign>(ranked.Count);
        for (int r = 0; r < ranked.Count; r++)
        {
            var x = ranked[r];
            double? width = null, relative = null;
            if (r < intervalDesigns)
            {
                double sum = 0, level = 0;
                for (int w = 0; w < windows; w++)
                {
                    var (_, lower, upper) = intervals[r * windows + w];
                    sum += upper - lower;
                    var fit = fits[x.FirstTask + w];
                    level += (fit.TreatedWindowSum - fit.GapAtZero) / durations[x.Duration];
                }
                width = sum / windows;
                relative = level > 0 ? width / (level / windows) : null;
            }
            var candidate = candidates[x.Candidate];
            result.Add(new GeoPowerDesign(r + 1, candidate.Names, durations[x.Duration], x.Mde?.EffectSize, x.Mde?.Power, x.FalsePositiveRate,
                x.ScaledL2, x.L2, x.Share, candidate.Lambda, x.Investment, x.WithinBudget, width, relative, x.Cells));
        }

        return new GeoPowerResult(result, windowList, candidates.Length, taskCount * effects.Length,
            zeroIndex >= 0 ? zeroRejections / (double)zeroSimulations : null, zeroSimulations);
    }

    private sealed record DesignDraft(int Candidate, int Duration, int FirstTask, GeoPowerCell[] Cells, GeoPowerCell? Mde, double? FalsePositiveRate,
        bool Calibrated, double ScaledL2, double L2, double Share, double? Investment, bool? WithinBudget, double RankingPower);

    private static GeoPowerCandidate[] Candidates(Panel panel, GeoPowerSpecification spec)
    {
        IReadOnlyList<IReadOnlyList<string>> sets;
        if (spec.CandidateSets is not null && spec.TreatedCounts is not null)
            throw new StatisticsInputException("candidateSets", "Give either explicit candidate sets or the set sizes to generate them for, not both.");
        if (spec.CandidateSets is { } explicitSets)
        {
            if (explicitSets.Count == 0)
                throw new StatisticsInputException("candidateSets", "The list of candidate sets is empty.");
            sets = explicitSets;
        }
        else if (spec.TreatedCounts is { } counts)
            sets = GeoPowerCandidates.MostCorrelated(panel, counts);
        else
            throw new StatisticsInputException("candidateSets", "Give candidate treated sets, or the set sizes to generate them for (treatedCounts).");

        var result = new GeoPowerCandidate[sets.Count];
        var seenSets = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < sets.Count; i++)
        {
            var set = sets[i];
            if (set is not { Count: > 0 })
                throw new StatisticsInputException("candidateSets", $"Candidate set {i} is empty.");
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var unit in set)
            {
                if (!panel.ContainsUnit(unit))
                    throw new StatisticsInputException("candidateSets", $"The market '{unit}' of candidate set {i} is not in the panel.");
                if (!names.Add(unit))
                    throw new StatisticsInputException("candidateSets", $"The market '{unit}' is listed twice in candidate set {i}.");
            }
            if (names.Count >= panel.Units.Count)
                throw new StatisticsInputException("candidateSets", $"Candidate set {i} treats every market and leaves no donor.");
            var sorted = names.Order(StringComparer.Ordinal).ToArray();
            if (!seenSets.Add(string.Join('\u0001', sorted)))
                throw new StatisticsInputException("candidateSets", $"Candidate set {i} ({string.Join(", ", sorted)}) is listed twice.");
            var treated = sorted.Select(u => panel.UnitIndex(u, "candidateSets")).ToArray();
            var donors = Enumerable.Range(0, panel.Units.Count).Where(u => !names.Contains(panel.Units[u])).ToArray();
            result[i] = new GeoPowerCandidate(sorted, treated, donors);
        }
        return result;
    }

    private static void Validate(Panel panel, GeoPowerSpecification spec)
    {
        int periods = panel.Periods.Count;
        double total = 0;
        for (int u = 0; u < panel.Units.Count; u++)
            for (int t = 0; t < periods; t++)
            {
                double y = panel.OutcomeAt(u, t);
                if (y < 0)
                    throw new StatisticsInputException("panel",
                        $"Market '{panel.Units[u]}' has a negative outcome in period {panel.Periods[t]}; relative effects need a non-negative outcome such as conversions or sales.");
                total += y;
            }
        if (!(total > 0))
            throw new StatisticsInputException("panel", "Every outcome in the history is zero, so no relative effect can be injected.");
        if (!(spec.Alpha > 0 && spec.Alpha < 1))
            throw new StatisticsInputException("alpha", $"alpha must lie strictly between 0 and 1 (got {spec.Alpha}).");
        if (!(spec.TargetPower > 0 && spec.TargetPower <= 1))
            throw new StatisticsInputException("targetPower", $"The target power must lie in (0, 1] (got {spec.TargetPower}).");
        if (spec.EffectSizes is not { Count: > 0 })
            throw new StatisticsInputException("effectSizes", "Name at least one effect size to simulate.");
        foreach (double e in spec.EffectSizes)
            if (!double.IsFinite(e) || e <= -1)
                throw new StatisticsInputException("effectSizes", $"Effect sizes are relative changes: finite and greater than −1 (got {e}).");
        if (spec.EffectSizes.Distinct().Count() != spec.EffectSizes.Count)
            throw new StatisticsInputException("effectSizes", "An effect size is listed twice.");
        if (spec.Permutations < 1)
            throw new StatisticsInputException("permutations", "The conformal test needs at least one permutation.");
        if (GeoPowerSimulator.MaxAtLeast(spec.Permutations, spec.Alpha) < 1)
            throw new StatisticsInputException("alpha",
                $"With {spec.Permutations} permutations the smallest p-value is 1/{spec.Permutations + 1}, so the test cannot reach α = {spec.Alpha}; use more permutations or a larger α.");
        if (spec.MinimumPrePeriods < 4)
            throw new StatisticsInputException("minimumPrePeriods", $"A synthetic control needs at least 4 pre-periods to fit and to test (got {spec.MinimumPrePeriods}).");
        if (spec.Windows < 1)
            throw new StatisticsInputException("windows", "Simulate at least one test window.");
        if (spec.WindowSpacing < 1)
            throw new StatisticsInputException("windowSpacing", "Consecutive windows must be at least one period apart.");
        if (spec.Durations is not { Count: > 0 })
            throw new StatisticsInputException("durations", "Name at least one test duration.");
        if (spec.Durations.Distinct().Count() != spec.Durations.Count)
            throw new StatisticsInputException("durations", "A duration is listed twice.");
        foreach (int d in spec.Durations)
        {
            if (d < 1)
                throw new StatisticsInputException("durations", $"A test lasts at least one period (got {d}).");
            if (d + spec.MinimumPrePeriods > periods)
                throw new StatisticsInputException("durations",
                    $"A {d}-period test after {spec.MinimumPrePeriods} pre-periods needs {d + spec.MinimumPrePeriods} periods; the history has {periods}.");
            int earliest = periods - (spec.Windows - 1) * spec.WindowSpacing - d;
            if (earliest < spec.MinimumPrePeriods)
                throw new StatisticsInputException("windows",
                    $"{spec.Windows} windows {spec.WindowSpacing} period(s) apart put the earliest {d}-period test after only {earliest} pre-periods, fewer than the minimum {spec.MinimumPrePeriods}; simulate fewer windows or lower the minimum.");
            int shortest = earliest + d;
            if (shortest * spec.Alpha < 1)
                throw new StatisticsInputException("alpha",
                    $"The earliest {d}-period window has {shortest} periods, so the conformal test's smallest p-value is 1/{shortest} and cannot reach α = {spec.Alpha}.");
        }
        if (spec.RidgeLambda is { } lambda && !(double.IsFinite(lambda) && lambda > 0))
            throw new StatisticsInputException("ridgeLambda", $"The ridge penalty must be positive and finite (got {lambda}).");
        if (spec.CostPerIncrementalUnit is { } cost && !(double.IsFinite(cost) && cost > 0))
            throw new StatisticsInputException("costPerIncrementalUnit", $"The cost per incremental unit must be positive and finite (got {cost}).");
        if (spec.Budget is { } budget)
        {
            if (!(double.IsFinite(budget) && budget > 0))
                throw new StatisticsInputException("budget", $"The budget must be positive and finite (got {budget}).");
            if (spec.CostPerIncrementalUnit is null)
                throw new StatisticsInputException("budget", "A budget needs a cost per incremental unit to turn effects into spend.");
        }
        if (spec.MaximumFalsePositiveRate is { } maxRate && !(maxRate > 0 && maxRate <= 1))
            throw new StatisticsInputException("maximumFalsePositiveRate", $"The largest trusted false-positive rate must lie in (0, 1] (got {maxRate}).");
        if (spec.IntervalDesigns < 0)
            throw new StatisticsInputException("intervalDesigns", "The number of designs to compute intervals for cannot be negative.");
        if (spec.MaxDegreeOfParallelism == 0 || spec.MaxDegreeOfParallelism < -1)
            throw new StatisticsInputException("maxDegreeOfParallelism", "Use a positive number of simulations at once, or -1 for every core.");
    }
}
