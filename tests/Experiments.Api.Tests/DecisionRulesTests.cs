using Experiments.Api.Decisions;
using Experiments.Api.PublishedResults;
using Experiments.Engine.AbTesting;
using Experiments.Engine.Geo;
using Experiments.Engine.Inference;
using Experiments.Jobs.Analysis;
using Experiments.Jobs.Results;

namespace Experiments.Api.Tests;

/// <summary>
/// The decision rules case by case, on hand-built published results (no store, no HTTP): each test
/// states the numbers that put it in its row of the README's table.
/// </summary>
public class DecisionRulesTests
{
    // An A/B test running 2024-03-01..03-28 (28 days), planned for 14, target MDE 2%, guardrail:
    // conversion must not drop by more than 1%. "Today" is 03-09 unless a test says otherwise, so
    // yesterday is 03-08 and a result through 03-08 is fresh, 7 days of data... (see Day()).
    private static readonly DateOnly Start = new(2024, 3, 1);
    private static readonly DecisionOptions Options = new();

    private static ExperimentDefinition Ab(ExperimentStatus status = ExperimentStatus.Running, double? targetMde = 0.02, int? plannedDays = 14,
        IReadOnlyList<VariantDefinition>? variants = null, IReadOnlyList<GuardrailDefinition>? guardrails = null) => new()
    {
        Id = "rules-ab",
        Name = "Rules",
        Type = ExperimentType.Ab,
        Metrics = [new MetricDefinition("revenue", MetricKind.Mean), new MetricDefinition("conversion", MetricKind.Proportion), new MetricDefinition("latency", MetricKind.Mean)],
        Variants = variants ?? [new VariantDefinition("control", 0.5), new VariantDefinition("treatment", 0.5)],
        PrePeriod = new DateRange(new DateOnly(2024, 2, 1), new DateOnly(2024, 2, 28)),
        ExperimentWindow = new DateRange(Start, new DateOnly(2024, 3, 28)),
        Guardrails = guardrails ?? [new GuardrailDefinition("conversion", 0.01), new GuardrailDefinition("latency", 0.05, GuardrailHarm.Increase)],
        Status = status,
        TargetMde = targetMde,
        PlannedDurationDays = plannedDays,
    };

    /// <summary>One treatment's comparison: relative lift with its standard error and p-value; the control's mean is 10.</summary>
    private sealed record Arm(string Variant, double Lift, double StdError, double PValue, double? SequentialPValue = null);

    private static EffectEstimate Estimate(double estimate, double se, double p) => new(estimate, se, estimate - 1.959964 * se, estimate + 1.959964 * se, p, null);

    /// <summary>A published A/B result through <paramref name="through"/>; the sequential path's last day has each arm's sequential p (default: 1, nothing settled).</summary>
    private static PublishedResult AbResult(string metric, DateOnly through, Arm[] arms, bool srmMismatch = false, int version = 1, bool sequentialPath = true)
    {
        var comparisons = arms.Select(a => new VariantComparison(a.Variant, Estimate(10 * a.Lift, 10 * a.StdError, a.PValue),
            Estimate(a.Lift, a.StdError, a.PValue), null, null, a.PValue)).ToList();
        var variants = new[] { new VariantResult("control", 1000, 10, 0.1, null) }
            .Concat(arms.Select(a => new VariantResult(a.Variant, 1000, 10 * (1 + a.Lift), 0.1, null))).ToList();
        var srm = new SrmResult(srmMismatch ? 30 : 0.5, arms.Length, srmMismatch ? 1e-7 : 0.48, 0.001, srmMismatch);
        var analysis = new AbAnalysisResult("control", MetricKind.Mean, 0.05, false, MultipleTestingCorrection.Holm, variants, srm, comparisons, null, "test-engine");
        var path = sequentialPath
            ? new List<SequentialDay> { new(through, arms.Select(a => new SequentialComparison(a.Variant, Estimate(10 * a.Lift, 20 * a.StdError, a.SequentialPValue ?? 1))).ToList()) }
            : [];
        var result = new AbMetricResult(metric, analysis, path, null);
        return new PublishedResult("rules-ab", metric, version, Guid.NewGuid(), false, "test-engine", new DateRange(Start, through),
            ResultsJson.Serialize(result), new DateTimeOffset(through.AddDays(1).ToDateTime(new TimeOnly(3, 0)), TimeSpan.Zero));
    }

    /// <summary>Revenue (primary) as given; conversion and latency unchanged (±0, well inside their tolerances).</summary>
    private static List<PublishedResult> Results(DateOnly through, Arm[] primary, Arm[]? conversion = null, Arm[]? latency = null, bool srmMismatch = false) =>
    [
        AbResult("revenue", through, primary, srmMismatch),
        AbResult("conversion", through, conversion ?? primary.Select(a => new Arm(a.Variant, 0, 0.002, 0.9)).ToArray()),
        AbResult("latency", through, latency ?? primary.Select(a => new Arm(a.Variant, 0, 0.002, 0.9)).ToArray()),
    ];

    /// <summary>Day n of the experiment (1 = 03-01), and "today" as the day after it, so data through day n is fresh.</summary>
    private static DateOnly Day(int n) => Start.AddDays(n - 1);

    private static DecisionAnswer Decide(ExperimentDefinition e, IReadOnlyList<PublishedResult> results, int dataDays) =>
        DecisionRules.Decide(e, results, Day(dataDays).AddDays(1), Options);

    [Fact]
    public void A_draft_is_investigate_not_started()
    {
        var answer = DecisionRules.Decide(Ab(ExperimentStatus.Draft), [], Day(3), Options);
        Assert.Equal(DecisionKind.Investigate, answer.Decision);
        Assert.StartsWith("not_started:", answer.Reasons.Single());
    }

    [Fact]
    public void No_result_yet_is_keep_running_while_young_and_investigate_once_stale()
    {
        // Started 03-01; today 03-03: data through 03-02 expected, nothing before 03-01: 2 days behind = the threshold.
        var young = DecisionRules.Decide(Ab(), [], Day(3), Options);
        Assert.Equal(DecisionKind.KeepRunning, young.Decision);
        Assert.StartsWith("no_results_yet:", young.Reasons.Single());
        Assert.Null(young.Primary);

        var old = DecisionRules.Decide(Ab(), [], Day(4), Options);
        Assert.Equal(DecisionKind.Investigate, old.Decision);
        Assert.StartsWith("stale:", old.Reasons.Single());

        var stopped = DecisionRules.Decide(Ab(ExperimentStatus.Completed), [], Day(30), Options);
        Assert.Equal(DecisionKind.Investigate, stopped.Decision);
        Assert.StartsWith("no_results:", stopped.Reasons.Single());
    }

    [Fact]
    public void A_sample_ratio_mismatch_is_investigate_even_with_a_winning_primary()
    {
        var answer = Decide(Ab(), Results(Day(7), [new Arm("treatment", 0.05, 0.01, 1e-6, 1e-4)], srmMismatch: true), 7);
        Assert.Equal(DecisionKind.Investigate, answer.Decision);
        Assert.False(answer.SrmOk);
        Assert.StartsWith("srm_mismatch: the units per variant of 'revenue'", answer.Reasons.Single());
    }

    [Fact]
    public void Stale_data_is_investigate()
    {
        // Data through day 7, today is day 11: 3 days behind yesterday (day 10) > 2.
        var results = Results(Day(7), [new Arm("treatment", 0.05, 0.01, 1e-6, 1e-4)]);
        var answer = DecisionRules.Decide(Ab(), results, Day(11), Options);
        Assert.Equal(DecisionKind.Investigate, answer.Decision);
        Assert.Equal("stale: the latest results cover data through 2024-03-07, 3 days behind 2024-03-10 (threshold 2 days); check the experiment's runs.", answer.Reasons.Single());
        Assert.Equal(Day(7), answer.DataThrough);

        // Two days behind is within the threshold; a completed experiment is never stale.
        Assert.Equal(DecisionKind.Ship, DecisionRules.Decide(Ab(), results, Day(10), Options).Decision);
        Assert.NotEqual(DecisionKind.Investigate, DecisionRules.Decide(Ab(ExperimentStatus.Completed), results, Day(30), Options).Decision);
        Assert.Equal(DecisionKind.Ship, DecisionRules.Decide(Ab(), results, Day(11), new DecisionOptions { StaleAfterDays = 3 }).Decision);
    }

    [Fact]
    public void A_guardrail_dropping_beyond_its_tolerance_is_stop_naming_the_variant()
    {
        // Conversion −3% (−4.96% to −1.04%): entirely below −1%. Revenue wins, but the guardrail comes first.
        var answer = Decide(Ab(), Results(Day(7), [new Arm("treatment", 0.05, 0.01, 1e-6, 1e-4)], conversion: [new Arm("treatment", -0.03, 0.01, 0.003)]), 7);
        Assert.Equal(DecisionKind.Stop, answer.Decision);
        Assert.Equal("treatment", answer.Primary!.Variant);
        var conversion = answer.Guardrails.Single(g => g.Metric == "conversion");
        Assert.True(conversion.Harmed);
        Assert.Equal(GuardrailHarm.Decrease, conversion.Harm);
        Assert.Equal("guardrail_harmed: treatment moves 'conversion' by -3.0% (-5.0% to -1.0%), beyond the tolerated drop of 1.0%.", answer.Reasons.Single());
    }

    [Fact]
    public void A_guardrail_drop_within_its_tolerance_or_not_significant_harms_nothing()
    {
        // −0.8% (−1.0% to −0.6%): significant, but the interval does not lie entirely below −1% → not harmed.
        var within = Decide(Ab(), Results(Day(7), [new Arm("treatment", 0.05, 0.01, 1e-6, 1e-4)], conversion: [new Arm("treatment", -0.008, 0.001, 1e-9)]), 7);
        Assert.False(within.Guardrails.Single(g => g.Metric == "conversion").Harmed);
        Assert.Equal(DecisionKind.Ship, within.Decision);
        // −3% but with a wide interval (−8.9% to +2.9%) → not harmed.
        var noisy = Decide(Ab(), Results(Day(7), [new Arm("treatment", 0.05, 0.01, 1e-6, 1e-4)], conversion: [new Arm("treatment", -0.03, 0.03, 0.3)]), 7);
        Assert.False(noisy.Guardrails.Single(g => g.Metric == "conversion").Harmed);
    }

    [Fact]
    public void A_guardrail_where_more_is_worse_is_harmed_by_a_rise()
    {
        // Latency +10% (+8.0% to +12.0%) against a tolerated rise of 5% → stop.
        var answer = Decide(Ab(), Results(Day(7), [new Arm("treatment", 0.05, 0.01, 1e-6, 1e-4)], latency: [new Arm("treatment", 0.10, 0.01, 1e-9)]), 7);
        Assert.Equal(DecisionKind.Stop, answer.Decision);
        Assert.Equal("guardrail_harmed: treatment moves 'latency' by +10.0% (+8.0% to +12.0%), beyond the tolerated rise of 5.0%.", answer.Reasons.Single());
        // A latency drop of 10% is good news for an increase guardrail.
        var faster = Decide(Ab(), Results(Day(7), [new Arm("treatment", 0.05, 0.01, 1e-6, 1e-4)], latency: [new Arm("treatment", -0.10, 0.01, 1e-9)]), 7);
        Assert.Equal(DecisionKind.Ship, faster.Decision);
    }

    [Fact]
    public void While_running_the_sequential_test_decides_not_the_fixed_horizon_one()
    {
        // Fixed-horizon p = 0.01, but the always-valid p on the latest day is 0.2: peeking must not ship.
        var peek = Decide(Ab(), Results(Day(7), [new Arm("treatment", 0.025, 0.01, 0.01, 0.2)]), 7);
        Assert.Equal(DecisionKind.KeepRunning, peek.Decision);
        Assert.Equal(DecisionTest.Sequential, peek.Primary!.Test);
        Assert.Equal(0.2, peek.Primary.PValue);

        // Sequential p = 0.004 → ship, by the sequential test.
        var ship = Decide(Ab(), Results(Day(7), [new Arm("treatment", 0.05, 0.01, 1e-6, 0.004)]), 7);
        Assert.Equal(DecisionKind.Ship, ship.Decision);
        Assert.Equal(DecisionTest.Sequential, ship.Primary!.Test);
        Assert.Equal(new Interval(0.05, 0.05 - 1.959964 * 0.01, 0.05 + 1.959964 * 0.01), ship.Primary.RelativeLift);
        Assert.Equal("primary_significantly_better: treatment lifts 'revenue' by +5.0% (+3.0% to +7.0%) (always-valid sequential test, p = 0.004 < 0.05) and harms no guardrail.", ship.Reasons.Single());
        Assert.True(ship.SrmOk);
        Assert.Null(ship.EstimatedDaysLeft);
    }

    [Fact]
    public void After_the_planned_duration_the_fixed_horizon_test_decides()
    {
        // Day 14 of 14 planned: fixed-horizon p = 0.01 ships although the sequential p is 0.2.
        var answer = Decide(Ab(), Results(Day(14), [new Arm("treatment", 0.025, 0.01, 0.01, 0.2)]), 14);
        Assert.Equal(DecisionKind.Ship, answer.Decision);
        Assert.Equal(DecisionTest.FixedHorizon, answer.Primary!.Test);
        Assert.Equal(0.01, answer.Primary.PValue);
    }

    [Fact]
    public void A_significantly_worse_primary_is_stop()
    {
        var answer = Decide(Ab(), Results(Day(7), [new Arm("treatment", -0.05, 0.01, 1e-6, 1e-3)]), 7);
        Assert.Equal(DecisionKind.Stop, answer.Decision);
        Assert.StartsWith("primary_significantly_worse: treatment lowers 'revenue' by -5.0%", answer.Reasons.Single());
    }

    [Fact]
    public void Keep_running_estimates_the_days_until_the_target_MDE_is_detectable()
    {
        // SE 1% after 7 days: MDE now = (z_0.975 + z_0.8)·0.01 = 2.8016% > 2%; n days shrink it by √(7/n):
        // n = 7·(2.8016/2)² = 13.74 → 14 days, 7 more.
        var answer = Decide(Ab(), Results(Day(7), [new Arm("treatment", 0.01, 0.01, 0.3, 0.6)]), 7);
        Assert.Equal(DecisionKind.KeepRunning, answer.Decision);
        Assert.Equal(7, answer.EstimatedDaysLeft);
        Assert.False(answer.PowerReached);
        Assert.StartsWith("not_significant_yet: treatment moves 'revenue' by +1.0% (-1.0% to +3.0%) (sequential p = 0.600) after 7 of 14 planned days; about 7 more days", answer.Reasons.Single());

        // SE 0.5%: MDE now 1.4% ≤ 2%: power reached, 0 days to the MDE.
        var precise = Decide(Ab(), Results(Day(7), [new Arm("treatment", 0.004, 0.005, 0.4, 0.7)]), 7);
        Assert.True(precise.PowerReached);
        Assert.Equal(0, precise.EstimatedDaysLeft);

        // Without a target MDE: the planned days left.
        var untargeted = Decide(Ab(targetMde: null), Results(Day(7), [new Arm("treatment", 0.01, 0.01, 0.3, 0.6)]), 7);
        Assert.Equal(7, untargeted.EstimatedDaysLeft);
        Assert.Null(untargeted.PowerReached);
    }

    [Fact]
    public void After_the_planned_duration_an_interval_below_the_target_MDE_is_stop_inconclusive()
    {
        // Day 14: +0.2% (−0.8% to +1.2%), not significant, and the whole interval lies below the 2% target.
        var answer = Decide(Ab(), Results(Day(14), [new Arm("treatment", 0.002, 0.005, 0.7)]), 14);
        Assert.Equal(DecisionKind.Stop, answer.Decision);
        Assert.StartsWith("inconclusive: after 14 days (planned 14) no treatment is significantly different on 'revenue', and every interval lies below the target MDE of 2.0%", answer.Reasons.Single());
        Assert.Null(answer.EstimatedDaysLeft);
    }

    [Fact]
    public void After_the_planned_duration_an_interval_still_including_the_target_keeps_running_while_data_can_come()
    {
        // Day 14 of a 28-day window: +1% (−1.9% to +3.9%) still includes 2% → keep running, ~14 more days (SE 1.5% → 4.2% MDE).
        var answer = Decide(Ab(), Results(Day(14), [new Arm("treatment", 0.01, 0.015, 0.5)]), 14);
        Assert.Equal(DecisionKind.KeepRunning, answer.Decision);
        Assert.StartsWith("underpowered:", answer.Reasons.Single());
        // 14·(2.8016·1.5/2)² = 61.8 → 62 days, 48 more.
        Assert.Equal(48, answer.EstimatedDaysLeft);

        // The same numbers once the experiment was stopped: no more data will come → stop.
        var stopped = Decide(Ab(ExperimentStatus.Completed), Results(Day(14), [new Arm("treatment", 0.01, 0.015, 0.5)]), 14);
        Assert.Equal(DecisionKind.Stop, stopped.Decision);
        Assert.StartsWith("inconclusive: no more data will come (the experiment is completed)", stopped.Reasons.Single());
    }

    [Fact]
    public void With_several_treatments_the_decision_names_the_variant()
    {
        var threeArms = Ab(variants: [new VariantDefinition("control", 0.34), new VariantDefinition("blue", 0.33), new VariantDefinition("green", 0.33)]);
        // Blue +1% (not significant), green +6% (sequential p 0.001; Holm over two: 0.002) → ship green.
        var ship = Decide(threeArms, Results(Day(7), [new Arm("blue", 0.01, 0.01, 0.3, 0.5), new Arm("green", 0.06, 0.01, 1e-8, 0.001)]), 7);
        Assert.Equal(DecisionKind.Ship, ship.Decision);
        Assert.Equal("green", ship.Primary!.Variant);
        Assert.Equal(0.002, ship.Primary.PValue!.Value, 12);

        // Both significantly worse → stop; one worse, one open → keep running with a note on the worse one.
        var worse = Decide(threeArms, Results(Day(7), [new Arm("blue", -0.05, 0.01, 1e-6, 1e-4), new Arm("green", -0.04, 0.01, 1e-5, 1e-3)]), 7);
        Assert.Equal(DecisionKind.Stop, worse.Decision);
        Assert.Equal(2, worse.Reasons.Count);
        var mixed = Decide(threeArms, Results(Day(7), [new Arm("blue", -0.05, 0.01, 1e-6, 1e-4), new Arm("green", 0.01, 0.01, 0.3, 0.5)]), 7);
        Assert.Equal(DecisionKind.KeepRunning, mixed.Decision);
        Assert.Equal("green", mixed.Primary!.Variant);
        Assert.StartsWith("variant_worse: blue", mixed.Reasons[1]);

        // A guardrail harmed by green only: stop, naming green.
        var harmed = Decide(threeArms, Results(Day(7), [new Arm("blue", 0.06, 0.01, 1e-8, 0.001), new Arm("green", 0.01, 0.01, 0.3, 0.5)],
            conversion: [new Arm("blue", 0, 0.002, 0.9), new Arm("green", -0.05, 0.01, 1e-6)]), 7);
        Assert.Equal(DecisionKind.Stop, harmed.Decision);
        Assert.Equal("green", harmed.Primary!.Variant);
    }

    [Fact]
    public void A_named_primary_metric_is_the_one_judged()
    {
        var e = Ab() with { PrimaryMetric = "conversion", Guardrails = [] };
        var results = Results(Day(7), [new Arm("treatment", -0.05, 0.01, 1e-6, 1e-4)], conversion: [new Arm("treatment", 0.04, 0.01, 1e-5, 1e-3)]);
        var answer = Decide(e, results, 7);
        Assert.Equal(DecisionKind.Ship, answer.Decision);
        Assert.Equal("conversion", answer.Primary!.Metric);
    }

    [Fact]
    public void A_ratio_primary_without_a_sequential_path_waits_for_the_planned_duration()
    {
        // Precise enough for the target MDE already (SE 0.5%), and fixed-horizon significant: still 7 planned days to wait.
        var results = Results(Day(7), [new Arm("treatment", 0.05, 0.005, 1e-6)]);
        results[0] = AbResult("revenue", Day(7), [new Arm("treatment", 0.05, 0.005, 1e-6)], sequentialPath: false);
        var answer = Decide(Ab(), results, 7);
        Assert.Equal(DecisionKind.KeepRunning, answer.Decision);
        Assert.Equal(DecisionTest.None, answer.Primary!.Test);
        Assert.Null(answer.Primary.PValue);
        Assert.StartsWith("no_sequential_test:", answer.Reasons.Single());
        Assert.Equal(7, answer.EstimatedDaysLeft);
    }

    [Fact]
    public void A_missing_guardrail_result_is_investigate()
    {
        var results = Results(Day(7), [new Arm("treatment", 0.05, 0.01, 1e-6, 1e-4)]).Where(r => r.Metric != "latency").ToList();
        var answer = Decide(Ab(), results, 7);
        Assert.Equal(DecisionKind.Investigate, answer.Decision);
        Assert.Equal("missing_result: the guardrail 'latency' has no published result, so harm cannot be ruled out.", answer.Reasons.Single());
    }

    [Fact]
    public void The_answer_reports_the_primary_result_s_version_finality_and_engine()
    {
        var results = Results(Day(7), [new Arm("treatment", 0.05, 0.01, 1e-6, 1e-4)]);
        results[0] = results[0] with { Version = 7, IsFinal = true, EngineVersion = "1.2.3" };
        var answer = Decide(Ab(), results, 7);
        Assert.Equal(7, answer.ResultVersion);
        Assert.Equal(ResultFinality.Final, answer.Finality);
        Assert.Equal("1.2.3", answer.EngineVersion);
        Assert.Equal(results[0].PublishedAt, answer.AsOf);
        Assert.Equal("rules-ab", answer.ExperimentId);
    }

    [Fact]
    public void Guardrails_and_verdicts_stored_before_the_harm_direction_still_read_as_decreases()
    {
        var guardrail = ResultsJson.Deserialize<GuardrailDefinition>("""{"metric":"conversion","maximumRelativeDrop":0.02}""");
        Assert.Equal(new GuardrailDefinition("conversion", 0.02, GuardrailHarm.Decrease), guardrail);
        var verdict = ResultsJson.Deserialize<GuardrailVerdict>("""{"maximumRelativeDrop":0.02,"breachedBy":["treatment"]}""");
        Assert.Equal(GuardrailHarm.Decrease, verdict.Harm);
        Assert.True(guardrail.IsHarmedBy(-0.05, -0.021));
        Assert.False(guardrail.IsHarmedBy(-0.05, -0.02));
        Assert.True((guardrail with { Harm = GuardrailHarm.Increase }).IsHarmedBy(0.021, 0.05));
        Assert.False((guardrail with { Harm = GuardrailHarm.Increase }).IsHarmedBy(0.02, 0.05));
    }

    [Fact]
    public void Results_the_engine_publishes_with_CUPED_and_ratios_read_back_for_the_rules()
    {
        // Real engine output (not hand-built), serialized as the analysis publishes it: the rules must read
        // every field back (the store's JSON refuses unknown or malformed members) rather than call it unreadable.
        var random = new Random(7);
        double[] Draw(int n, double mean) => Enumerable.Range(0, n).Select(_ => mean + random.NextDouble() * 4).ToArray();
        var pre = new[] { Draw(400, 5), Draw(400, 5) };
        var cuped = AbAnalysis.Analyze(
            [
                new MeanVariant("control", SufficientStatistics.FromValues(pre[0].Select(x => x + random.NextDouble()).ToArray(), pre[0])),
                new MeanVariant("treatment", SufficientStatistics.FromValues(pre[1].Select(x => x + 0.3 + random.NextDouble()).ToArray(), pre[1])),
            ], new AbAnalysisOptions { Cuped = true });
        var ratio = AbAnalysis.Analyze(
            [
                new RatioVariant("control", RatioStatistics.FromValues(Draw(400, 1), Draw(400, 10))),
                new RatioVariant("treatment", RatioStatistics.FromValues(Draw(400, 1), Draw(400, 10))),
            ], new AbAnalysisOptions { Metric = MetricKind.Ratio });
        PublishedResult Published(string metric, AbAnalysisResult analysis) => new("rules-ab", metric, 1, Guid.NewGuid(), true, "engine", new DateRange(Start, Day(28)),
            ResultsJson.Serialize(new AbMetricResult(metric, analysis, [], new GuardrailVerdict(0.01, [], GuardrailHarm.Decrease))), DateTimeOffset.UnixEpoch);

        var answer = DecisionRules.Decide(Ab(ExperimentStatus.Completed, guardrails: [new GuardrailDefinition("latency", 0.05, GuardrailHarm.Increase)]),
            [Published("revenue", cuped), Published("conversion", ratio), Published("latency", ratio)], Day(30), Options);

        Assert.DoesNotContain(answer.Reasons, r => r.StartsWith("unreadable_result", StringComparison.Ordinal));
        Assert.Equal(DecisionKind.Ship, answer.Decision);
        Assert.Equal(cuped.Comparisons[0].Relative!.Estimate, answer.Primary!.RelativeLift!.Estimate);

        // A result this build cannot read is never guessed at.
        var garbled = DecisionRules.Decide(Ab(ExperimentStatus.Completed), [Published("revenue", cuped) with { ResultJson = """{"metric":"revenue","surprise":1}""", Version = 4 }], Day(30), Options);
        Assert.Equal(DecisionKind.Investigate, garbled.Decision);
        Assert.StartsWith("unreadable_result: version 4 of 'revenue'", garbled.Reasons.Single());
    }

    // ---- geo ---------------------------------------------------------------------------------

    private static ExperimentDefinition Geo(double? targetIroas = 2.0, ExperimentStatus status = ExperimentStatus.Running) => new()
    {
        Id = "rules-geo",
        Name = "TV",
        Type = ExperimentType.Geo,
        Metrics = [new MetricDefinition("revenue", MetricKind.Mean)],
        TreatedMarkets = ["berlin", "hamburg"],
        PrePeriod = new DateRange(new DateOnly(2024, 1, 1), new DateOnly(2024, 2, 29)),
        ExperimentWindow = new DateRange(Start, new DateOnly(2024, 3, 21)),
        Status = status,
        TargetIroas = targetIroas,
    };

    private static PublishedResult GeoResult(DateOnly through, double effect, double lower, double upper, double p, (double, double, double)? iroas)
    {
        var analysis = new GeoExperimentResult([new("munich", 1)], 1, 1, 0.5, null, new GeoEffect(effect, lower, upper, p, p),
            new GeoInterval(effect, lower, upper), null, new GeoInterval(effect * 42, lower * 42, upper * 42),
            iroas is var (e, l, u) ? new GeoInterval(e, l, u) : null, iroas is null ? null : 1000, [], 2, 21);
        return new PublishedResult("rules-geo", "revenue", 3, Guid.NewGuid(), false, "test-engine", new DateRange(new DateOnly(2024, 1, 1), through),
            ResultsJson.Serialize(new GeoMetricResult("revenue", analysis, new DateOnly(2024, 1, 1))), DateTimeOffset.UnixEpoch);
    }

    [Fact]
    public void Geo_keeps_running_until_its_window_ends()
    {
        var answer = DecisionRules.Decide(Geo(), [GeoResult(Day(10), 12, 5, 19, 0.01, (3, 2.5, 3.5))], Day(11), Options);
        Assert.Equal(DecisionKind.KeepRunning, answer.Decision);
        Assert.Equal(11, answer.EstimatedDaysLeft);
        Assert.Equal(DecisionTest.None, answer.Primary!.Test);
        Assert.Null(answer.SrmOk);
    }

    [Fact]
    public void Geo_ships_when_the_iroas_interval_clears_the_target()
    {
        var answer = DecisionRules.Decide(Geo(), [GeoResult(Day(21), 12, 5, 19, 0.01, (3, 2.5, 3.5))], Day(22), Options);
        Assert.Equal(DecisionKind.Ship, answer.Decision);
        Assert.Equal(new Interval(3, 2.5, 3.5), answer.Iroas);
        Assert.Equal(new Interval(12 * 42, 5 * 42, 19 * 42), answer.Incremental);
        Assert.Equal(2.0, answer.TargetIroas);
        Assert.Equal(new Interval(0.12, 0.05, 0.19), answer.Primary!.RelativeLift);
        Assert.Null(answer.Primary.Variant);
    }

    [Theory]
    [InlineData(1.2, 0.8, 1.6, "below_target_iroas:")]   // the whole iROAS interval below 2
    [InlineData(2.4, 1.5, 3.3, "inconclusive:")]         // straddles 2
    public void Geo_stops_when_the_iroas_does_not_clear_the_target(double iroas, double lower, double upper, string reason)
    {
        var answer = DecisionRules.Decide(Geo(), [GeoResult(Day(21), 12, 5, 19, 0.01, (iroas, lower, upper))], Day(22), Options);
        Assert.Equal(DecisionKind.Stop, answer.Decision);
        Assert.StartsWith(reason, answer.Reasons.Single());
    }

    [Fact]
    public void Geo_without_spend_cannot_be_judged_against_a_target_iroas()
    {
        var answer = DecisionRules.Decide(Geo(), [GeoResult(Day(21), 12, 5, 19, 0.01, null)], Day(22), Options);
        Assert.Equal(DecisionKind.Investigate, answer.Decision);
        Assert.StartsWith("no_spend:", answer.Reasons.Single());
        Assert.Equal(DecisionKind.Ship, DecisionRules.Decide(Geo(targetIroas: null), [GeoResult(Day(21), 12, 5, 19, 0.01, null)], Day(22), Options).Decision);
    }

    [Fact]
    public void Geo_with_a_negative_or_insignificant_effect_stops_after_its_window()
    {
        Assert.StartsWith("primary_significantly_worse:",
            DecisionRules.Decide(Geo(), [GeoResult(Day(21), -12, -19, -5, 0.01, (-3, -3.5, -2.5))], Day(22), Options).Reasons.Single());
        var flat = DecisionRules.Decide(Geo(targetIroas: null), [GeoResult(Day(21), 2, -5, 9, 0.4, null)], Day(22), Options);
        Assert.Equal(DecisionKind.Stop, flat.Decision);
        Assert.StartsWith("inconclusive:", flat.Reasons.Single());
    }
}
