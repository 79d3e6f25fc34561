using System.Text.Json.Serialization;
using Experiments.Engine.AbTesting;

namespace Experiments.Jobs.Results;

/// <summary>The kind of experiment, which decides the analysis.</summary>
public enum ExperimentType
{
    /// <summary>Users randomised to variants; per-variant sufficient statistics, Welch/delta method, CUPED.</summary>
    Ab,

    /// <summary>Treated markets against a donor pool; a geo × day panel, synthetic control with conformal inference.</summary>
    Geo,
}

/// <summary>Where an experiment is in its life.</summary>
public enum ExperimentStatus
{
    /// <summary>Defined, not started; never analysed by the daily job.</summary>
    Draft,

    /// <summary>Collecting data; analysed every day.</summary>
    Running,

    /// <summary>Stopped; its results stay published.</summary>
    Completed,

    /// <summary>Kept for the record only.</summary>
    Archived,
}

/// <summary>A closed range of calendar days, both ends included (dates are UTC days).</summary>
/// <param name="Start">The first day.</param>
/// <param name="End">The last day.</param>
public sealed record DateRange(DateOnly Start, DateOnly End)
{
    /// <summary>The number of days in the range.</summary>
    [JsonIgnore]
    public int DayCount => End.DayNumber - Start.DayNumber + 1;

    /// <summary>Every day of the range, in order.</summary>
    public IEnumerable<DateOnly> Days()
    {
        for (var d = Start; d <= End; d = d.AddDays(1))
            yield return d;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Start:yyyy-MM-dd}..{End:yyyy-MM-dd}";
}

/// <summary>One metric an experiment is judged on.</summary>
/// <param name="Name">The metric's name as the data source knows it (<c>revenue</c>, <c>converted</c>, <c>clicks_per_impression</c>).</param>
/// <param name="Kind">Mean, proportion or ratio.</param>
/// <param name="Cuped">Whether to adjust with the metric's pre-period covariate (not for ratio metrics).</param>
public sealed record MetricDefinition(string Name, MetricKind Kind, bool Cuped = false);

/// <summary>One arm of an A/B/n experiment.</summary>
/// <param name="Name">The variant's name as logged.</param>
/// <param name="ExpectedShare">The share of units it should receive (the SRM check's expectation).</param>
public sealed record VariantDefinition(string Name, double ExpectedShare);

/// <summary>Which way a guardrail metric moves when the treatment does harm.</summary>
public enum GuardrailHarm
{
    /// <summary>Less is worse (revenue, conversion, retention).</summary>
    Decrease,

    /// <summary>More is worse (latency, errors, refunds, unsubscribes).</summary>
    Increase,
}

/// <summary>
/// A metric that must not get worse: a treatment harms it when the metric's relative lift interval
/// lies entirely beyond the tolerated change in the harmful direction — below
/// −<see cref="MaximumRelativeDrop"/> for <see cref="GuardrailHarm.Decrease"/>, above
/// +<see cref="MaximumRelativeDrop"/> for <see cref="GuardrailHarm.Increase"/>.
/// </summary>
/// <param name="Metric">The metric's name; it must be one of the experiment's metrics.</param>
/// <param name="MaximumRelativeDrop">
/// The tolerated relative change in the harmful direction (0.02 = 2%). Named for the decrease case it
/// first served; with <see cref="Harm"/> = increase it is the tolerated relative rise.
/// </param>
/// <param name="Harm">The direction that harms (default decrease, which is what a definition without it meant).</param>
public sealed record GuardrailDefinition(string Metric, double MaximumRelativeDrop, GuardrailHarm Harm = GuardrailHarm.Decrease)
{
    /// <summary>Whether a relative lift whose interval is [<paramref name="lower"/>, <paramref name="upper"/>] lies entirely beyond the tolerated change.</summary>
    public bool IsHarmedBy(double lower, double upper) => Harm == GuardrailHarm.Decrease
        ? upper < -MaximumRelativeDrop
        : lower > MaximumRelativeDrop;
}

/// <summary>Where a holdout campaign's spend is read.</summary>
public enum SpendSource
{
    /// <summary>The cost of the treated units' impressions (<c>impressions.cost</c>) in their post-exposure window: A/B holdouts.</summary>
    ImpressionsCost,

    /// <summary>The campaign's daily spend per market (<c>geo_spend</c>) in the treated markets over the test days: geo campaigns.</summary>
    GeoSpend,
}

/// <summary>
/// Marks an experiment as a holdout campaign (a conversion-lift study): its treatment is exposure to a campaign,
/// and the published results carry incremental conversions, incremental revenue, spend, cost per incremental
/// conversion and iROAS with intervals.
/// </summary>
/// <param name="ConversionMetric">The experiment's metric counted as conversions (<c>converted</c> or <c>conversions</c>).</param>
/// <param name="RevenueMetric">The experiment's metric counted as revenue, for incremental revenue and iROAS; null for none.</param>
/// <param name="Spend">Where spend is read: <c>impressionsCost</c> (A/B, the default) or <c>geoSpend</c> (geo).</param>
/// <param name="CampaignId">The campaign whose spend counts: required with <c>geoSpend</c>; with <c>impressionsCost</c> it
/// restricts the cost to that campaign's impressions (all of the treated units' impressions when null).</param>
public sealed record HoldoutDefinition(string ConversionMetric, string? RevenueMetric = null, SpendSource Spend = SpendSource.ImpressionsCost,
    string? CampaignId = null);

/// <summary>
/// An experiment as registered: what is compared, over which days, on which metrics. Stored as
/// JSON (validated by <see cref="Validate"/>) with its identifying columns alongside.
/// </summary>
public sealed record ExperimentDefinition
{
    /// <summary>A stable identifier: lower-case letters, digits, '-' and '_', at most 64 characters.</summary>
    public required string Id { get; init; }

    /// <summary>A name for people.</summary>
    public required string Name { get; init; }

    /// <summary>A/B or geo.</summary>
    public required ExperimentType Type { get; init; }

    /// <summary>The metrics, the first being the primary one.</summary>
    public required IReadOnlyList<MetricDefinition> Metrics { get; init; }

    /// <summary>The variants with their expected split (A/B only; empty for geo).</summary>
    public IReadOnlyList<VariantDefinition> Variants { get; init; } = [];

    /// <summary>The control variant's name (A/B only).</summary>
    public string Control { get; init; } = "control";

    /// <summary>The days before the experiment whose data feed CUPED covariates (A/B) or the synthetic control's fit (geo).</summary>
    public required DateRange PrePeriod { get; init; }

    /// <summary>The days the treatment runs.</summary>
    public required DateRange ExperimentWindow { get; init; }

    /// <summary>Days after the experiment window during which conversions still count; results are final once it has closed.</summary>
    public int ConversionWindowDays { get; init; }

    /// <summary>The treated markets (geo only).</summary>
    public IReadOnlyList<string> TreatedMarkets { get; init; } = [];

    /// <summary>Metrics that must not degrade.</summary>
    public IReadOnlyList<GuardrailDefinition> Guardrails { get; init; } = [];

    /// <summary>Draft, running, completed or archived.</summary>
    public ExperimentStatus Status { get; init; } = ExperimentStatus.Draft;

    /// <summary>Two-sided error rate of the published intervals.</summary>
    public double Alpha { get; init; } = 0.05;

    /// <summary>Set when the experiment is a holdout campaign whose incrementality and spend are reported; null otherwise.</summary>
    public HoldoutDefinition? Holdout { get; init; }

    /// <summary>Who answers for the experiment (a person or a team), free text; null when nobody was named.</summary>
    public string? Owner { get; init; }

    /// <summary>What the experiment expects to happen and why, free text.</summary>
    public string? Hypothesis { get; init; }

    /// <summary>A description for people, free text.</summary>
    public string? Description { get; init; }

    /// <summary>Labels to find experiments by (<c>checkout</c>, <c>q3-pricing</c>): see <see cref="TagRule"/>.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The metric the decision is taken on; null means the first metric (the convention before it could be named).</summary>
    public string? PrimaryMetric { get; init; }

    /// <summary>A/B: the smallest relative lift worth detecting (0.02 = 2%), which the decision's power and days-left estimates aim at.</summary>
    public double? TargetMde { get; init; }

    /// <summary>A/B: the planned duration in days from the experiment window's start; null means the experiment window's length.</summary>
    public int? PlannedDurationDays { get; init; }

    /// <summary>Geo: the incremental outcome per unit of spend the campaign must reach to be worth it.</summary>
    public double? TargetIroas { get; init; }

    /// <summary>The metric decisions are taken on: <see cref="PrimaryMetric"/>, else the first metric.</summary>
    [JsonIgnore]
    public string EffectivePrimaryMetric => PrimaryMetric ?? Metrics[0].Name;

    /// <summary>The planned duration in days: <see cref="PlannedDurationDays"/>, else the experiment window's length.</summary>
    [JsonIgnore]
    public int EffectivePlannedDurationDays => PlannedDurationDays ?? ExperimentWindow.DayCount;

    /// <summary>What a tag may be, as a sentence for people.</summary>
    public const string TagRule = "A tag is 1–40 characters of lower-case letters, digits, '-', '_', '.' and ':'; at most 20 distinct tags.";

    /// <summary>Whether <paramref name="tag"/> can be a tag (see <see cref="TagRule"/>).</summary>
    public static bool IsValidTag(string? tag) =>
        !string.IsNullOrEmpty(tag) && tag.Length <= 40 && tag.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.' or ':');

    /// <summary>
    /// The first field in which <paramref name="other"/>'s design differs from this one's, or null when the
    /// designs are the same. The design is what an analysis or a decision depends on — type, metrics,
    /// variants and their split, control, windows, markets, guardrails, primary metric, alpha, the
    /// targets and the holdout block — and may change only while the experiment is a draft; name, owner, hypothesis,
    /// description and tags may change at any time.
    /// </summary>
    public string? FirstDesignChange(ExperimentDefinition other)
    {
        (string Field, Func<ExperimentDefinition, object?> Value)[] design =
        [
            ("type", e => e.Type), ("metrics", e => e.Metrics), ("variants", e => e.Variants), ("control", e => e.Control),
            ("prePeriod", e => e.PrePeriod), ("experimentWindow", e => e.ExperimentWindow), ("conversionWindowDays", e => e.ConversionWindowDays),
            ("treatedMarkets", e => e.TreatedMarkets), ("guardrails", e => e.Guardrails), ("primaryMetric", e => e.EffectivePrimaryMetric),
            ("alpha", e => e.Alpha), ("targetMde", e => e.TargetMde), ("plannedDurationDays", e => e.EffectivePlannedDurationDays),
            ("targetIroas", e => e.TargetIroas), ("holdout", e => e.Holdout),
        ];
        foreach (var (field, value) in design)
            if (ResultsJson.Serialize(value(this)) != ResultsJson.Serialize(value(other)))
                return field;
        return null;
    }

    /// <summary>
    /// The first instant at which results are final: the day after the experiment window's last
    /// day plus the conversion window, at 00:00 UTC.
    /// </summary>
    [JsonIgnore]
    public DateTimeOffset FinalAfter =>
        new(ExperimentWindow.End.AddDays(1 + ConversionWindowDays).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>What <see cref="IsValidId"/> accepts, as a sentence for people.</summary>
    public const string IdRule = "The id must be 1–64 characters of lower-case letters, digits, '-' and '_'.";

    /// <summary>
    /// Whether <paramref name="id"/> can be an experiment's id. Every stored id passes, so a caller
    /// can refuse any other text before it reaches the store.
    /// </summary>
    public static bool IsValidId(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 64 && id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_');

    /// <summary>Checks the definition; the exception names the first wrong field.</summary>
    /// <exception cref="ExperimentDefinitionException">A field is missing, malformed or inconsistent.</exception>
    public void Validate()
    {
        if (!IsValidId(Id))
            throw new ExperimentDefinitionException("id", IdRule);
        if (string.IsNullOrWhiteSpace(Name))
            throw new ExperimentDefinitionException("name", "Give the experiment a name.");
        if (!Enum.IsDefined(Type))
            throw new ExperimentDefinitionException("type", "The type must be 'ab' or 'geo'.");
        if (!Enum.IsDefined(Status))
            throw new ExperimentDefinitionException("status", "The status must be draft, running, completed or archived.");
        if (Metrics is not { Count: > 0 })
            throw new ExperimentDefinitionException("metrics", "Name at least one metric.");
        var metricNames = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < Metrics.Count; i++)
        {
            var m = Metrics[i];
            if (m is null || string.IsNullOrWhiteSpace(m.Name))
                throw new ExperimentDefinitionException($"metrics[{i}].name", "Every metric needs a name.");
            if (!metricNames.Add(m.Name))
                throw new ExperimentDefinitionException($"metrics[{i}].name", $"The metric '{m.Name}' appears twice.");
            if (!Enum.IsDefined(m.Kind))
                throw new ExperimentDefinitionException($"metrics[{i}].kind", "The kind must be mean, proportion or ratio.");
            if (m.Cuped && m.Kind == MetricKind.Ratio)
                throw new ExperimentDefinitionException($"metrics[{i}].cuped", "CUPED is not available for ratio metrics.");
            if (Type == ExperimentType.Geo && m.Kind == MetricKind.Ratio)
                throw new ExperimentDefinitionException($"metrics[{i}].kind", "A geo experiment's metrics are per-market totals, not ratios.");
        }
        if (!(Alpha > 0 && Alpha < 1))
            throw new ExperimentDefinitionException("alpha", $"alpha must lie strictly between 0 and 1 (got {Alpha}).");
        if (PrePeriod is null)
            throw new ExperimentDefinitionException("prePeriod", "Give the pre-period.");
        if (ExperimentWindow is null)
            throw new ExperimentDefinitionException("experimentWindow", "Give the experiment window.");
        if (PrePeriod.End < PrePeriod.Start)
            throw new ExperimentDefinitionException("prePeriod", "The pre-period ends before it starts.");
        if (ExperimentWindow.End < ExperimentWindow.Start)
            throw new ExperimentDefinitionException("experimentWindow", "The experiment window ends before it starts.");
        if (PrePeriod.End >= ExperimentWindow.Start)
            throw new ExperimentDefinitionException("prePeriod", "The pre-period must end before the experiment window starts.");
        if (ConversionWindowDays is < 0 or > 365)
            throw new ExperimentDefinitionException("conversionWindowDays", "The conversion window must be between 0 and 365 days.");

        if (Type == ExperimentType.Ab)
            ValidateVariants();
        else
            ValidateMarkets();

        if (Holdout is not null)
            ValidateHoldout(Holdout);

        var guarded = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < Guardrails.Count; i++)
        {
            var g = Guardrails[i];
            if (g is null || !metricNames.Contains(g.Metric))
                throw new ExperimentDefinitionException($"guardrails[{i}].metric", "A guardrail must name one of the experiment's metrics.");
            if (!guarded.Add(g.Metric))
                throw new ExperimentDefinitionException($"guardrails[{i}].metric", $"The metric '{g.Metric}' has two guardrails; give it one.");
            if (!Enum.IsDefined(g.Harm))
                throw new ExperimentDefinitionException($"guardrails[{i}].harm", "The harmful direction must be 'decrease' or 'increase'.");
            if (!(g.MaximumRelativeDrop >= 0 && g.MaximumRelativeDrop < 1))
                throw new ExperimentDefinitionException($"guardrails[{i}].maximumRelativeDrop", "The tolerated relative change must lie in [0, 1).");
        }
        ValidateDecisionFields(metricNames);
    }

    private void ValidateDecisionFields(HashSet<string> metricNames)
    {
        CheckText("owner", Owner, 200, singleLine: true);
        CheckText("hypothesis", Hypothesis, 4000, singleLine: false);
        CheckText("description", Description, 4000, singleLine: false);
        if (Tags is null)
            throw new ExperimentDefinitionException("tags", "tags must be a list (empty for none).");
        if (Tags.Count > 20)
            throw new ExperimentDefinitionException("tags", TagRule);
        var tags = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < Tags.Count; i++)
        {
            if (!IsValidTag(Tags[i]))
                throw new ExperimentDefinitionException($"tags[{i}]", TagRule);
            if (!tags.Add(Tags[i]))
                throw new ExperimentDefinitionException($"tags[{i}]", $"The tag '{Tags[i]}' appears twice.");
        }
        if (PrimaryMetric is not null && !metricNames.Contains(PrimaryMetric))
            throw new ExperimentDefinitionException("primaryMetric",
                $"The primary metric must be one of the experiment's metrics ({string.Join(", ", Metrics.Select(m => m.Name))}); leave it out for the first.");
        if (Type == ExperimentType.Ab)
        {
            if (TargetIroas is not null)
                throw new ExperimentDefinitionException("targetIroas", "A target iROAS belongs to geo experiments; an A/B experiment states targetMde.");
            if (TargetMde is { } mde && !(mde > 0 && mde <= 10))
                throw new ExperimentDefinitionException("targetMde", $"The target MDE is a relative lift in (0, 10] (0.02 = 2%; got {mde}).");
            if (PlannedDurationDays is { } days && (days < 1 || days > ExperimentWindow.DayCount))
                throw new ExperimentDefinitionException("plannedDurationDays",
                    $"The planned duration must be 1 to {ExperimentWindow.DayCount} days, the experiment window's length (got {days}): no data comes after the window.");
        }
        else
        {
            if (TargetMde is not null)
                throw new ExperimentDefinitionException("targetMde", "A target MDE belongs to A/B experiments; a geo experiment states targetIroas.");
            if (PlannedDurationDays is not null)
                throw new ExperimentDefinitionException("plannedDurationDays", "A geo experiment's duration is its experiment window; leave plannedDurationDays out.");
            if (TargetIroas is { } iroas && !(iroas > 0 && double.IsFinite(iroas)))
                throw new ExperimentDefinitionException("targetIroas", $"The target iROAS must be a positive number (got {iroas}).");
        }
    }

    private static void CheckText(string field, string? value, int maximumLength, bool singleLine)
    {
        if (value is null)
            return;
        if (string.IsNullOrWhiteSpace(value))
            throw new ExperimentDefinitionException(field, $"{field} is blank; give it or leave it out.");
        if (value.Length > maximumLength)
            throw new ExperimentDefinitionException(field, $"{field} is longer than {maximumLength} characters.");
        if (singleLine && value.Any(char.IsControl))
            throw new ExperimentDefinitionException(field, $"{field} is one line of text, without control characters.");
    }

    private void ValidateVariants()
    {
        if (Variants is not { Count: >= 2 })
            throw new ExperimentDefinitionException("variants", "An A/B experiment needs at least two variants.");
        var names = new HashSet<string>(StringComparer.Ordinal);
        double total = 0;
        for (int i = 0; i < Variants.Count; i++)
        {
            var v = Variants[i];
            if (v is null || string.IsNullOrWhiteSpace(v.Name))
                throw new ExperimentDefinitionException($"variants[{i}].name", "Every variant needs a name.");
            if (!names.Add(v.Name))
                throw new ExperimentDefinitionException($"variants[{i}].name", $"The variant '{v.Name}' appears twice.");
            if (!(v.ExpectedShare > 0 && v.ExpectedShare < 1))
                throw new ExperimentDefinitionException($"variants[{i}].expectedShare", "An expected share must lie strictly between 0 and 1.");
            total += v.ExpectedShare;
        }
        if (Math.Abs(total - 1) > 1e-6)
            throw new ExperimentDefinitionException("variants", $"The expected shares add up to {total}, not 1.");
        if (!names.Contains(Control))
            throw new ExperimentDefinitionException("control", $"The control '{Control}' is not one of the variants.");
        if (TreatedMarkets.Count > 0)
            throw new ExperimentDefinitionException("treatedMarkets", "Treated markets belong to geo experiments.");
    }

    private void ValidateHoldout(HoldoutDefinition holdout)
    {
        MetricDefinition? Find(string? name) => Metrics.FirstOrDefault(m => m.Name == name);
        if (string.IsNullOrWhiteSpace(holdout.ConversionMetric))
            throw new ExperimentDefinitionException("holdout.conversionMetric", "Name the metric counted as conversions (one of the experiment's metrics).");
        var conversion = Find(holdout.ConversionMetric)
            ?? throw new ExperimentDefinitionException("holdout.conversionMetric", $"The conversion metric '{holdout.ConversionMetric}' is not one of the experiment's metrics.");
        if (conversion.Kind == MetricKind.Ratio)
            throw new ExperimentDefinitionException("holdout.conversionMetric", $"The conversion metric '{conversion.Name}' is a ratio; incremental conversions need a count or a 0/1 indicator per unit.");
        if (holdout.RevenueMetric is not null)
        {
            var revenue = Find(holdout.RevenueMetric)
                ?? throw new ExperimentDefinitionException("holdout.revenueMetric", $"The revenue metric '{holdout.RevenueMetric}' is not one of the experiment's metrics.");
            if (revenue.Kind != MetricKind.Mean)
                throw new ExperimentDefinitionException("holdout.revenueMetric", $"The revenue metric '{revenue.Name}' must be of kind mean (an amount per unit or per market).");
            if (revenue.Name == conversion.Name)
                throw new ExperimentDefinitionException("holdout.revenueMetric", "The revenue metric must differ from the conversion metric.");
        }
        if (!Enum.IsDefined(holdout.Spend))
            throw new ExperimentDefinitionException("holdout.spend", "The spend source must be 'impressionsCost' or 'geoSpend'.");
        if (Type == ExperimentType.Ab && holdout.Spend != SpendSource.ImpressionsCost)
            throw new ExperimentDefinitionException("holdout.spend", "An A/B holdout's spend is the cost of its treated units' impressions: 'impressionsCost'.");
        if (Type == ExperimentType.Geo && holdout.Spend != SpendSource.GeoSpend)
            throw new ExperimentDefinitionException("holdout.spend", "A geo campaign's spend is its daily spend per market: 'geoSpend'.");
        if (holdout.CampaignId is not null && (string.IsNullOrWhiteSpace(holdout.CampaignId) || holdout.CampaignId.Length > 200))
            throw new ExperimentDefinitionException("holdout.campaignId", "The campaign id must be 1–200 characters.");
        if (holdout.Spend == SpendSource.GeoSpend && holdout.CampaignId is null)
            throw new ExperimentDefinitionException("holdout.campaignId", "Name the campaign whose rows in geo_spend are the spend.");
    }

    private void ValidateMarkets()
    {
        if (TreatedMarkets is not { Count: > 0 })
            throw new ExperimentDefinitionException("treatedMarkets", "A geo experiment needs at least one treated market.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < TreatedMarkets.Count; i++)
            if (string.IsNullOrWhiteSpace(TreatedMarkets[i]) || !seen.Add(TreatedMarkets[i]))
                throw new ExperimentDefinitionException($"treatedMarkets[{i}]", "Treated markets must be non-empty and distinct.");
        if (Variants.Count > 0)
            throw new ExperimentDefinitionException("variants", "Variants belong to A/B experiments.");
        if (PrePeriod.DayCount < 4)
            throw new ExperimentDefinitionException("prePeriod", "A synthetic control needs at least 4 pre-period days.");
    }
}

/// <summary>An experiment definition that cannot be stored; <see cref="Field"/> names the culprit.</summary>
public sealed class ExperimentDefinitionException(string field, string message) : ArgumentException(message)
{
    /// <summary>The wrong field, in the definition's JSON vocabulary (<c>variants[1].expectedShare</c>).</summary>
    public string Field { get; } = field;

    /// <summary>The message without the parameter suffix <see cref="ArgumentException"/> would add.</summary>
    public override string Message => base.Message;
}
