using System.Globalization;
using System.Text.Json;
using Experiments.Api.PublishedResults;
using Experiments.Engine.AbTesting;
using Experiments.Engine.Inference;
using Experiments.Jobs.Analysis;
using Experiments.Jobs.Results;
using MathNet.Numerics.Distributions;

namespace Experiments.Api.Decisions;

/// <summary>
/// The decision rules: from an experiment's definition and the latest published result of each of its
/// metrics to ship / keep_running / stop / investigate. Pure — no store, no clock, no query: the caller
/// passes today's date and the published results, so every case can be tested on hand-built results.
/// </summary>
/// <remarks>
/// <para>The rules, first match wins (the README holds the same table):</para>
/// <list type="number">
/// <item>draft → investigate (not started).</item>
/// <item>no result for the primary metric → keep_running while a running experiment is young, else investigate (stale, or stopped without results).</item>
/// <item>a sample-ratio mismatch on any metric (A/B) → investigate.</item>
/// <item>stale data: running, and the latest results' last day is more than <see cref="DecisionOptions.StaleAfterDays"/> before the last day that should have data → investigate.</item>
/// <item>a guardrail without a published result, or one that cannot be read → investigate.</item>
/// <item>a guardrail harmed: a treatment's relative-lift interval lies entirely beyond the tolerated change in the harmful direction → stop, naming the treatment.</item>
/// <item>A/B: the primary metric significantly better for some treatment — by the always-valid sequential test while the planned duration runs, by the fixed-horizon test after it (Holm across treatments) — → ship the best such treatment.</item>
/// <item>A/B: every treatment significantly worse → stop.</item>
/// <item>A/B before the planned duration: keep_running, with the days until the target MDE is detectable (the standard error shrinks ∝ 1/√days).</item>
/// <item>A/B after it: stop as inconclusive when every treatment's interval lies below the target MDE (or no target is set, or no more data can come); else keep_running.</item>
/// <item>Geo: keep_running until the experiment window has ended (the conformal test is fixed-horizon); then a significant positive effect whose iROAS interval lies at or above the target → ship; an iROAS interval below the target, a significant negative effect, or no significant effect → stop.</item>
/// </list>
/// <para>Guardrails are read with the published fixed-horizon interval every day, also while the
/// experiment runs: repeated looks make a false "harmed" more likely than the nominal α, and the rules
/// accept that bias towards stopping rather than towards shipping. The primary metric is taken to be
/// one where more is better.</para>
/// </remarks>
public static class DecisionRules
{
    /// <summary>Decides for one experiment.</summary>
    /// <param name="experiment">The experiment's definition.</param>
    /// <param name="latest">The latest published result of each metric (others are ignored).</param>
    /// <param name="today">Today's date (UTC): the last day that should have data is the day before.</param>
    /// <param name="options">The staleness threshold and the power the MDE is read at.</param>
    public static DecisionAnswer Decide(ExperimentDefinition experiment, IReadOnlyList<PublishedResult> latest, DateOnly today, DecisionOptions options)
    {
        var metrics = experiment.Metrics.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var results = latest.Where(r => metrics.Contains(r.Metric)).GroupBy(r => r.Metric)
            .ToDictionary(g => g.Key, g => g.MaxBy(r => r.Version)!, StringComparer.Ordinal);
        var context = new Context(experiment, results, today, options);

        if (experiment.Status == ExperimentStatus.Draft)
            return context.Answer(DecisionKind.Investigate,
                [$"not_started: experiment '{experiment.Id}' is a draft; start it with POST /api/v1/experiments/{experiment.Id}/start."]);
        if (!results.TryGetValue(experiment.EffectivePrimaryMetric, out var primary))
            return NoPrimaryResult(context);
        return experiment.Type == ExperimentType.Ab ? DecideAb(context, primary) : DecideGeo(context, primary);
    }

    private static DecisionAnswer NoPrimaryResult(Context c)
    {
        string metric = c.Experiment.EffectivePrimaryMetric;
        if (c.Experiment.Status != ExperimentStatus.Running)
            return c.Answer(DecisionKind.Investigate,
                [$"no_results: experiment '{c.Experiment.Id}' is {Name(c.Experiment.Status)} and no result of its primary metric '{metric}' was ever published."]);
        var nothingBefore = c.Experiment.ExperimentWindow.Start.AddDays(-1);
        if (c.LastExpectedDay.DayNumber - nothingBefore.DayNumber > c.Options.StaleAfterDays)
            return c.Answer(DecisionKind.Investigate,
                [$"stale: no result of the primary metric '{metric}' has been published, although data through {Day(c.LastExpectedDay)} should exist (threshold {c.Options.StaleAfterDays} days); check the experiment's runs."]);
        return c.Answer(DecisionKind.KeepRunning,
            [$"no_results_yet: no result of the primary metric '{metric}' has been published yet; the daily analysis publishes the first."]);
    }

    // ---- A/B ---------------------------------------------------------------------------------

    private static DecisionAnswer DecideAb(Context c, PublishedResult primaryResult)
    {
        var e = c.Experiment;
        var parsed = new Dictionary<string, AbMetricResult>(StringComparer.Ordinal);
        foreach (var (metric, result) in c.Results)
        {
            if (TryRead<AbMetricResult>(result) is not { } ab)
                return c.Answer(DecisionKind.Investigate, [Unreadable(result)], primaryResult);
            parsed[metric] = ab;
        }
        var primary = parsed[e.EffectivePrimaryMetric];
        var comparisons = primary.Analysis.Comparisons;
        double alpha = e.Alpha;

        // Which test, and its Holm-adjusted p-values across treatments.
        int dataDays = Math.Max(0, Min(primaryResult.DataWindow.End, e.ExperimentWindow.End).DayNumber - e.ExperimentWindow.Start.DayNumber + 1);
        bool plannedPassed = e.Status != ExperimentStatus.Running || dataDays >= e.EffectivePlannedDurationDays;
        DecisionTest test;
        double[] estimates, pValues;
        if (plannedPassed)
        {
            test = DecisionTest.FixedHorizon;
            estimates = comparisons.Select(x => x.Absolute.Estimate).ToArray();
            pValues = MultipleTesting.Holm(comparisons.Select(x => x.Absolute.PValue).ToList());
        }
        else if (primary.SequentialPath.Count > 0)
        {
            test = DecisionTest.Sequential;
            var lastDay = primary.SequentialPath[^1];
            var sequential = comparisons.Select(x => lastDay.Comparisons.FirstOrDefault(s => s.Variant == x.Variant)?.Absolute).ToList();
            estimates = sequential.Select(s => s?.Estimate ?? 0).ToArray();
            pValues = MultipleTesting.Holm(sequential.Select(s => s?.PValue ?? 1).ToList());
        }
        else
        {
            test = DecisionTest.None;
            estimates = comparisons.Select(x => x.Absolute.Estimate).ToArray();
            pValues = comparisons.Select(_ => double.NaN).ToArray();
        }
        bool[] better = Enumerable.Range(0, comparisons.Count).Select(i => test != DecisionTest.None && pValues[i] < alpha && estimates[i] > 0).ToArray();
        bool[] worse = Enumerable.Range(0, comparisons.Count).Select(i => test != DecisionTest.None && pValues[i] < alpha && estimates[i] < 0).ToArray();

        // Precision: the relative MDE reachable now, (z_{1−α/2k} + z_{power})·SE, and the days until the target is.
        double z = Normal.InvCDF(0, 1, 1 - alpha / (2 * Math.Max(1, comparisons.Count))) + Normal.InvCDF(0, 1, c.Options.Power);
        var mdeNow = comparisons.Select(x => x.Relative is { } r ? z * r.StdError : (double?)null).ToList();
        bool? powerReached = e.TargetMde is { } target && mdeNow.All(m => m is not null) ? mdeNow.All(m => m <= target) : null;
        int? daysToTarget = e.TargetMde is { } t && dataDays > 0 && mdeNow.All(m => m is not null)
            ? mdeNow.Max(m => Math.Max(0, (int)Math.Ceiling(dataDays * Math.Pow(m!.Value / t, 2) - 1e-9) - dataDays))
            : null;

        var guardrails = AbGuardrails(e, parsed, out var missingGuardrail);
        bool srmOk = parsed.Values.All(r => !r.Analysis.Srm.Mismatch);
        int best = Best(comparisons, Enumerable.Range(0, comparisons.Count));

        DecisionAnswer Answer(DecisionKind kind, IReadOnlyList<string> reasons, int featured, int? daysLeft = null) =>
            c.Answer(kind, reasons, primaryResult, Primary(e, comparisons, featured, pValues, test), guardrails, srmOk, powerReached, daysLeft);

        if (!srmOk)
            return Answer(DecisionKind.Investigate, parsed.Values.Where(r => r.Analysis.Srm.Mismatch).Select(r =>
                $"srm_mismatch: the units per variant of '{r.Metric}' do not match the planned split (chi-square p = {P(r.Analysis.Srm.PValue)} < {r.Analysis.Srm.Threshold.ToString(CultureInfo.InvariantCulture)}); the randomisation or the logging is broken, so no lift can be trusted.").ToList(), best);
        if (c.StaleReason() is { } stale)
            return Answer(DecisionKind.Investigate, [stale], best);
        if (missingGuardrail is { } missing)
            return Answer(DecisionKind.Investigate, [$"missing_result: the guardrail '{missing}' has no published result, so harm cannot be ruled out."], best);

        var harmed = guardrails.SelectMany(g => g.Variants.Where(v => v.Harmed).Select(v => (Guardrail: g, Variant: v))).ToList();
        if (harmed.Count > 0)
        {
            int featured = comparisons.Select((x, i) => (x, i)).First(p => harmed.Any(h => h.Variant.Variant == p.x.Variant)).i;
            return Answer(DecisionKind.Stop, harmed.Select(h =>
                $"guardrail_harmed: {h.Variant.Variant} moves '{h.Guardrail.Metric}' by {Pct(h.Variant.RelativeLift!.Estimate)} ({Pct(h.Variant.RelativeLift.Lower)} to {Pct(h.Variant.RelativeLift.Upper)}), beyond the tolerated {(h.Guardrail.Harm == GuardrailHarm.Decrease ? "drop" : "rise")} of {Pct(h.Guardrail.Tolerance, signed: false)}.").ToList(), featured);
        }

        string testName = test == DecisionTest.Sequential ? "always-valid sequential" : "fixed-horizon";
        if (better.Any(b => b))
        {
            int ship = Best(comparisons, Enumerable.Range(0, comparisons.Count).Where(i => better[i]));
            return Answer(DecisionKind.Ship,
                [$"primary_significantly_better: {comparisons[ship].Variant} lifts '{primary.Metric}' by {Lift(comparisons[ship])} ({testName} test, p = {P(pValues[ship])} < {Alpha(alpha)}) and harms no guardrail."], ship);
        }
        if (comparisons.Count > 0 && worse.All(w => w))
            return Answer(DecisionKind.Stop, Enumerable.Range(0, comparisons.Count).Select(i =>
                $"primary_significantly_worse: {comparisons[i].Variant} lowers '{primary.Metric}' by {Lift(comparisons[i])} ({testName} test, p = {P(pValues[i])} < {Alpha(alpha)}).").ToList(), best);

        var notes = Enumerable.Range(0, comparisons.Count).Where(i => worse[i]).Select(i =>
            $"variant_worse: {comparisons[i].Variant} is significantly worse on '{primary.Metric}' ({Lift(comparisons[i])}, p = {P(pValues[i])}); consider ending that arm.").ToList();
        int plannedDays = e.EffectivePlannedDurationDays;
        if (!plannedPassed)
        {
            // Without a sequential test nothing is decided before the planned duration, whatever the precision.
            int daysLeft = test == DecisionTest.None ? plannedDays - dataDays : daysToTarget ?? plannedDays - dataDays;
            string why = test == DecisionTest.None
                ? $"no_sequential_test: '{primary.Metric}' has no sequential path (a ratio metric, or too little data), so nothing is decided before the planned {plannedDays} days ({dataDays} so far)."
                : $"not_significant_yet: {comparisons[best].Variant} moves '{primary.Metric}' by {Lift(comparisons[best])} (sequential p = {P(pValues[best])}) after {dataDays} of {plannedDays} planned days; "
                  + (e.TargetMde is { } mde ? $"about {daysLeft} more days until a {Pct(mde, signed: false)} lift is detectable with {Pct(c.Options.Power, signed: false)} power." : $"{daysLeft} planned days left.");
            return Answer(DecisionKind.KeepRunning, [why, .. notes], best, daysLeft);
        }
        if (e.TargetMde is { } targetMde)
        {
            if (comparisons.All(x => x.Relative is { } r && r.Upper < targetMde))
                return Answer(DecisionKind.Stop,
                    [$"inconclusive: after {dataDays} days (planned {plannedDays}) no treatment is significantly different on '{primary.Metric}', and every interval lies below the target MDE of {Pct(targetMde, signed: false)} ({comparisons[best].Variant}: {Lift(comparisons[best])}): a lift worth having is ruled out.", .. notes], best);
            bool moreDataCanCome = e.Status == ExperimentStatus.Running && dataDays < e.ExperimentWindow.DayCount;
            if (moreDataCanCome)
                return Answer(DecisionKind.KeepRunning,
                    [$"underpowered: the planned {plannedDays} days have passed, but the interval of {comparisons[best].Variant} ({Lift(comparisons[best])}) still includes the target MDE of {Pct(targetMde, signed: false)}; about {daysToTarget} more days until it is detectable.", .. notes], best, daysToTarget);
            return Answer(DecisionKind.Stop,
                [$"inconclusive: no more data will come ({(e.Status == ExperimentStatus.Running ? "the experiment window has ended" : $"the experiment is {Name(e.Status)}")}) and no treatment is significantly different on '{primary.Metric}'; the interval ({Lift(comparisons[best])}) still includes the target MDE of {Pct(targetMde, signed: false)}, so the test was underpowered.", .. notes], best);
        }
        return Answer(DecisionKind.Stop,
            [$"inconclusive: after {dataDays} days (planned {plannedDays}) no treatment is significantly different on '{primary.Metric}' ({comparisons[best].Variant}: {Lift(comparisons[best])}, p = {P(pValues[best])}); set targetMde to tell an underpowered test from a small effect.", .. notes], best);
    }

    private static List<GuardrailOutcome> AbGuardrails(ExperimentDefinition e, Dictionary<string, AbMetricResult> parsed, out string? missing)
    {
        missing = null;
        var outcomes = new List<GuardrailOutcome>(e.Guardrails.Count);
        foreach (var g in e.Guardrails)
        {
            if (!parsed.TryGetValue(g.Metric, out var result))
            {
                missing ??= g.Metric;
                outcomes.Add(new GuardrailOutcome(g.Metric, false, g.Harm, g.MaximumRelativeDrop, []));
                continue;
            }
            var variants = result.Analysis.Comparisons.Select(x => x.Relative is { } r
                ? new GuardrailVariantOutcome(x.Variant, new Interval(r.Estimate, r.Lower, r.Upper), g.IsHarmedBy(r.Lower, r.Upper))
                : new GuardrailVariantOutcome(x.Variant, null, false)).ToList();
            outcomes.Add(new GuardrailOutcome(g.Metric, variants.Any(v => v.Harmed), g.Harm, g.MaximumRelativeDrop, variants));
        }
        return outcomes;
    }

    private static PrimaryOutcome Primary(ExperimentDefinition e, IReadOnlyList<VariantComparison> comparisons, int featured, double[] pValues, DecisionTest test)
    {
        if (comparisons.Count == 0)
            return new PrimaryOutcome(e.EffectivePrimaryMetric, null, null, null, test);
        var x = comparisons[featured];
        return new PrimaryOutcome(e.EffectivePrimaryMetric, x.Variant, x.Relative is { } r ? new Interval(r.Estimate, r.Lower, r.Upper) : null,
            double.IsFinite(pValues[featured]) ? pValues[featured] : null, test);
    }

    /// <summary>The treatment with the largest relative lift (absolute when no relative exists) among <paramref name="candidates"/>.</summary>
    private static int Best(IReadOnlyList<VariantComparison> comparisons, IEnumerable<int> candidates) =>
        candidates.DefaultIfEmpty(0).MaxBy(i => i < comparisons.Count ? comparisons[i].Relative?.Estimate ?? comparisons[i].Absolute.Estimate : 0);

    // ---- geo ---------------------------------------------------------------------------------

    private static DecisionAnswer DecideGeo(Context c, PublishedResult primaryResult)
    {
        var e = c.Experiment;
        var parsed = new Dictionary<string, GeoMetricResult>(StringComparer.Ordinal);
        foreach (var (metric, result) in c.Results)
        {
            if (TryRead<GeoMetricResult>(result) is not { } geo)
                return c.Answer(DecisionKind.Investigate, [Unreadable(result)], primaryResult);
            parsed[metric] = geo;
        }
        var analysis = parsed[e.EffectivePrimaryMetric].Analysis;
        bool ended = e.Status != ExperimentStatus.Running || primaryResult.DataWindow.End >= e.ExperimentWindow.End;
        var test = ended ? DecisionTest.FixedHorizon : DecisionTest.None;
        var lift = analysis.LiftPercent is { } l ? new Interval(l.Estimate / 100, l.Lower / 100, l.Upper / 100) : null;
        var primary = new PrimaryOutcome(e.EffectivePrimaryMetric, null, lift, ended ? analysis.Effect.PValue : null, test);
        var incremental = new Interval(analysis.Incremental.Estimate, analysis.Incremental.Lower, analysis.Incremental.Upper);
        var iroas = analysis.Iroas is { } i ? new Interval(i.Estimate, i.Lower, i.Upper) : null;

        string? missing = null;
        var guardrails = new List<GuardrailOutcome>(e.Guardrails.Count);
        foreach (var g in e.Guardrails)
        {
            if (!parsed.TryGetValue(g.Metric, out var result))
            {
                missing ??= g.Metric;
                guardrails.Add(new GuardrailOutcome(g.Metric, false, g.Harm, g.MaximumRelativeDrop, []));
                continue;
            }
            var gl = result.Analysis.LiftPercent is { } p ? new Interval(p.Estimate / 100, p.Lower / 100, p.Upper / 100) : null;
            bool harmed = gl is not null && g.IsHarmedBy(gl.Lower, gl.Upper);
            guardrails.Add(new GuardrailOutcome(g.Metric, harmed, g.Harm, g.MaximumRelativeDrop, [new GuardrailVariantOutcome(null, gl, harmed)]));
        }

        DecisionAnswer Answer(DecisionKind kind, IReadOnlyList<string> reasons, int? daysLeft = null) =>
            c.Answer(kind, reasons, primaryResult, primary, guardrails, null, null, daysLeft) with
            {
                Incremental = incremental,
                Iroas = iroas,
                TargetIroas = e.TargetIroas,
            };

        if (c.StaleReason() is { } stale)
            return Answer(DecisionKind.Investigate, [stale]);
        if (missing is not null)
            return Answer(DecisionKind.Investigate, [$"missing_result: the guardrail '{missing}' has no published result, so harm cannot be ruled out."]);
        var harmedGuardrails = guardrails.Where(g => g.Harmed).ToList();
        if (harmedGuardrails.Count > 0)
            return Answer(DecisionKind.Stop, harmedGuardrails.Select(g =>
                $"guardrail_harmed: the campaign moves '{g.Metric}' by {Pct(g.Variants[0].RelativeLift!.Estimate)} ({Pct(g.Variants[0].RelativeLift!.Lower)} to {Pct(g.Variants[0].RelativeLift!.Upper)}), beyond the tolerated {(g.Harm == GuardrailHarm.Decrease ? "drop" : "rise")} of {Pct(g.Tolerance, signed: false)}.").ToList());
        if (!ended)
        {
            int daysLeft = e.ExperimentWindow.End.DayNumber - primaryResult.DataWindow.End.DayNumber;
            return Answer(DecisionKind.KeepRunning,
                [$"window_open: the geo test is fixed-horizon (conformal inference over the whole test period), so it decides after the experiment window ends on {Day(e.ExperimentWindow.End)}; {daysLeft} days left."], daysLeft);
        }
        var effect = analysis.Effect;
        string liftText = lift is null ? $"an average effect of {Num(effect.Estimate)} per market and day ({Num(effect.Lower)} to {Num(effect.Upper)})" : $"{Pct(lift.Estimate)} ({Pct(lift.Lower)} to {Pct(lift.Upper)})";
        bool significant = effect.PValue < e.Alpha;
        if (significant && effect.Estimate < 0)
            return Answer(DecisionKind.Stop, [$"primary_significantly_worse: the campaign lowers '{primary.Metric}' by {liftText} (conformal p = {P(effect.PValue)} < {Alpha(e.Alpha)})."]);
        if (e.TargetIroas is { } target)
        {
            if (iroas is null)
                return Answer(DecisionKind.Investigate, [$"no_spend: the result has no iROAS (no spend for the treated markets), so it cannot be judged against the target of {Num(target)}."]);
            string iroasText = $"iROAS {Num(iroas.Estimate)} ({Num(iroas.Lower)} to {Num(iroas.Upper)})";
            if (significant && effect.Estimate > 0 && iroas.Lower >= target)
                return Answer(DecisionKind.Ship, [$"primary_significantly_better: the campaign lifts '{primary.Metric}' by {liftText} (conformal p = {P(effect.PValue)} < {Alpha(e.Alpha)}) with {iroasText}, at or above the target of {Num(target)}."]);
            if (iroas.Upper < target)
                return Answer(DecisionKind.Stop, [$"below_target_iroas: {iroasText} lies below the target of {Num(target)}: the campaign does not pay enough."]);
            return Answer(DecisionKind.Stop, [$"inconclusive: the experiment window has ended; {iroasText} straddles the target of {Num(target)} (lift {liftText}, conformal p = {P(effect.PValue)}), so whether the campaign pays is not settled."]);
        }
        if (significant && effect.Estimate > 0)
            return Answer(DecisionKind.Ship, [$"primary_significantly_better: the campaign lifts '{primary.Metric}' by {liftText} (conformal p = {P(effect.PValue)} < {Alpha(e.Alpha)}); set targetIroas to judge whether it pays."]);
        return Answer(DecisionKind.Stop, [$"inconclusive: the experiment window has ended and the effect on '{primary.Metric}' is not significant ({liftText}, conformal p = {P(effect.PValue)})."]);
    }

    // ---- shared ------------------------------------------------------------------------------

    private sealed class Context(ExperimentDefinition experiment, Dictionary<string, PublishedResult> results, DateOnly today, DecisionOptions options)
    {
        public ExperimentDefinition Experiment => experiment;

        public Dictionary<string, PublishedResult> Results => results;

        public DecisionOptions Options => options;

        /// <summary>The last day that should have data by now: yesterday, or the window's end plus the conversion window when earlier.</summary>
        public DateOnly LastExpectedDay => Min(today.AddDays(-1), experiment.ExperimentWindow.End.AddDays(experiment.ConversionWindowDays));

        /// <summary>The last day of data behind every metric used: the earliest over the metrics' latest results.</summary>
        public DateOnly? DataThrough => results.Count == 0 ? null : results.Values.Min(r => r.DataWindow.End);

        public string? StaleReason()
        {
            if (experiment.Status != ExperimentStatus.Running || DataThrough is not { } through)
                return null;
            int behind = LastExpectedDay.DayNumber - through.DayNumber;
            return behind > options.StaleAfterDays
                ? $"stale: the latest results cover data through {Day(through)}, {behind} days behind {Day(LastExpectedDay)} (threshold {options.StaleAfterDays} days); check the experiment's runs."
                : null;
        }

        public DecisionAnswer Answer(DecisionKind kind, IReadOnlyList<string> reasons, PublishedResult? primary = null, PrimaryOutcome? outcome = null,
            IReadOnlyList<GuardrailOutcome>? guardrails = null, bool? srmOk = null, bool? powerReached = null, int? daysLeft = null) =>
            new(experiment.Id, kind, reasons, outcome, guardrails ?? [], srmOk, powerReached, kind == DecisionKind.KeepRunning ? daysLeft : null,
                primary is null ? null : primary.IsFinal ? ResultFinality.Final : ResultFinality.Provisional,
                primary?.EngineVersion, primary?.Version, primary?.PublishedAt, DataThrough, experiment.Status, experiment.Type);
    }

    private static T? TryRead<T>(PublishedResult result) where T : class
    {
        try
        {
            return ResultsJson.Deserialize<T>(result.ResultJson);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Unreadable(PublishedResult r) =>
        $"unreadable_result: version {r.Version} of '{r.Metric}' (engine {r.EngineVersion}) is not a result this service can read; analyse the experiment again.";

    private static DateOnly Min(DateOnly a, DateOnly b) => a < b ? a : b;

    private static string Lift(VariantComparison x) => x.Relative is { } r
        ? $"{Pct(r.Estimate)} ({Pct(r.Lower)} to {Pct(r.Upper)})"
        : $"{Num(x.Absolute.Estimate)} in absolute terms ({Num(x.Absolute.Lower)} to {Num(x.Absolute.Upper)}; the control's mean is zero)";

    /// <summary>A relative change as a percentage with one decimal: +4.1%, −0.3%.</summary>
    internal static string Pct(double value, bool signed = true) =>
        (value * 100).ToString(signed ? "+0.0;-0.0;0.0" : "0.0##", CultureInfo.InvariantCulture) + "%";

    private static string P(double p) => p < 0.001 ? p.ToString("0.0E+0", CultureInfo.InvariantCulture) : p.ToString("0.000", CultureInfo.InvariantCulture);

    private static string Alpha(double alpha) => alpha.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Num(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Name<T>(T value) where T : struct, Enum => JsonNamingPolicy.CamelCase.ConvertName(value.ToString());
}
