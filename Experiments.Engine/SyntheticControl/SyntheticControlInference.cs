namespace Experiments.Engine.SyntheticControl;

/// <summary>How the in-space placebo p-value counts the units whose RMSPE ratio is at least the treated unit's.</summary>
public enum PlaceboPValueConvention
{
    /// <summary>
    /// p = #{units i, treated included : rᵢ ≥ r₁} / N, the rank of the treated unit's ratio from the top divided by
    /// the number of units (Abadie, Diamond &amp; Hainmueller 2010, §3.3: California's ratio is the largest of 39,
    /// p = 1/39; ADH 2015 §"Inference"). It is never below 1/N.
    /// </summary>
    AbadieRank,

    /// <summary>
    /// p = #{placebo units i : rᵢ ≥ r₁} / N — the treated unit itself is not counted in the numerator but is in N.
    /// This is pysyncon's <c>PlaceboTest.pvalue</c> (pysyncon 1.x, <c>utils.py</c>); it equals
    /// <see cref="AbadieRank"/> − 1/N and can be 0.
    /// </summary>
    ExcludingTreated,
}

/// <summary>Options of the in-space placebo test.</summary>
public sealed record InSpacePlaceboOptions
{
    /// <summary>The p-value convention.</summary>
    public PlaceboPValueConvention Convention { get; init; } = PlaceboPValueConvention.AbadieRank;

    /// <summary>
    /// Periods whose gaps form the denominator ("pre") RMSPE of each unit's ratio; all periods before the treatment
    /// start when <c>null</c>. pysyncon's <c>pvalue(treatment_time = s)</c> uses every period ≤ s here (pandas'
    /// inclusive label slice) and every period ≥ s in <see cref="RatioPostPeriods"/>, so s is counted in both.
    /// </summary>
    public IReadOnlyList<int>? RatioPrePeriods { get; init; }

    /// <summary>Periods whose gaps form the numerator ("post") RMSPE; all periods from the treatment start when <c>null</c>.</summary>
    public IReadOnlyList<int>? RatioPostPeriods { get; init; }

    /// <summary>
    /// When set to m, placebo units whose pre-period MSPE exceeds m times the treated unit's are left out of the
    /// ranking (ADH 2010 §3.3 show the test with m = 20, 5 and 2). <c>null</c> keeps every unit.
    /// </summary>
    public double? PreFitExclusionMultiple { get; init; }

    /// <summary>Maximum number of fits run at once; -1 uses every core. The result does not depend on it.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    /// <summary>Stops the placebo fits between two of them (a caller that went away); the test then throws <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken CancellationToken { get; init; }
}

/// <summary>One unit of the in-space placebo test: the treated unit, or a donor treated as if it had been treated.</summary>
/// <param name="Unit">The unit (for several treated units, their names joined with " + ").</param>
/// <param name="IsTreated">True for the actually treated unit.</param>
/// <param name="PreRmspe">√ mean gap² over the ratio's pre periods.</param>
/// <param name="PostRmspe">√ mean gap² over the ratio's post periods.</param>
/// <param name="RmspeRatio">PostRmspe / PreRmspe (ADH 2010 §3.3, Figure 8 uses its square, which ranks identically).</param>
/// <param name="AverageEffect">The unit's mean gap over all post-treatment periods.</param>
/// <param name="Excluded">True when left out of the ranking by <see cref="InSpacePlaceboOptions.PreFitExclusionMultiple"/>.</param>
/// <param name="Gaps">The unit's gap in every period of the panel, in period order.</param>
public sealed record PlaceboUnit(
    string Unit,
    bool IsTreated,
    double PreRmspe,
    double PostRmspe,
    double RmspeRatio,
    double AverageEffect,
    bool Excluded,
    IReadOnlyList<double> Gaps);

/// <summary>
/// The in-space placebo (permutation) test of Abadie, Diamond &amp; Hainmueller (2010, §2.4 and §3.3): the treated
/// unit's post/pre RMSPE ratio ranked among those of every donor refitted as if treated.
/// </summary>
/// <param name="TreatedFit">The fit of the actual treated unit.</param>
/// <param name="Periods">The periods of every <see cref="PlaceboUnit.Gaps"/> series.</param>
/// <param name="Units">The treated unit first, then each donor in donor-pool order.</param>
/// <param name="Rank">#{ranked units, treated included, with ratio ≥ the treated unit's}: 1 means the treated ratio is the largest.</param>
/// <param name="UnitCount">N, the number of ranked units (all units unless some were excluded for poor pre-fit).</param>
/// <param name="PValue">The permutation p-value under <paramref name="Convention"/>.</param>
/// <param name="Convention">The p-value convention.</param>
public sealed record InSpacePlaceboResult(
    SyntheticControlFit TreatedFit,
    IReadOnlyList<int> Periods,
    IReadOnlyList<PlaceboUnit> Units,
    int Rank,
    int UnitCount,
    double PValue,
    PlaceboPValueConvention Convention);

/// <summary>
/// An in-time placebo (Abadie, Diamond &amp; Hainmueller 2015, §"Robustness", backdating reunification to 1975;
/// Abadie 2021, JEL 59(2), §7): the same specification refitted on the periods before the real treatment only, as if
/// treatment had started at <paramref name="PlaceboTreatmentStart"/>. A placebo gap near zero supports the design.
/// </summary>
/// <param name="PlaceboTreatmentStart">The pretended treatment start.</param>
/// <param name="Fit">The placebo fit, on the panel truncated before the real treatment start.</param>
/// <param name="PlaceboEffect">The mean gap from the placebo start to just before the real treatment (the "placebo gap").</param>
public sealed record InTimePlaceboResult(int PlaceboTreatmentStart, SyntheticControlFit Fit, SyntheticControlEffect PlaceboEffect);

/// <summary>The fit without one donor.</summary>
/// <param name="DroppedDonor">The donor left out.</param>
/// <param name="DroppedWeight">Its weight in the full fit.</param>
/// <param name="Fit">The refit without it.</param>
public sealed record LeaveOneOutFit(string DroppedDonor, double DroppedWeight, SyntheticControlFit Fit);

/// <summary>
/// Leave-one-out robustness (Abadie, Diamond &amp; Hainmueller 2015, §"Robustness", Figure 4): the fit refitted
/// without each donor that has positive weight in turn.
/// </summary>
/// <param name="Full">The fit with every donor.</param>
/// <param name="Fits">One refit per positively weighted donor, in donor-pool order.</param>
/// <param name="MinimumEffect">The smallest post-treatment average effect among the full fit and the refits.</param>
/// <param name="MaximumEffect">The largest.</param>
public sealed record LeaveOneOutResult(SyntheticControlFit Full, IReadOnlyList<LeaveOneOutFit> Fits, double MinimumEffect, double MaximumEffect);

/// <summary>Placebo tests and robustness checks for the synthetic control (see each method).</summary>
public static class SyntheticControlInference
{
    /// <summary>
    /// In-space placebos: the treated unit is fitted, then every donor is fitted in turn as if treated, with the
    /// other donors as its donor pool (the treated units are never donors) and the same specification — the same
    /// predictors, loss periods, centring and V procedure (V is re-optimised per placebo unless it is custom). Each
    /// unit's ratio rᵢ = RMSPEᵢ(post) / RMSPEᵢ(pre) is ranked and p = rank / N (ADH 2010 §2.4, §3.3).
    /// </summary>
    /// <remarks>
    /// The fits run in parallel (<see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/>); each writes only its
    /// own slot and the fits use no randomness, so the result is identical for any degree of parallelism.
    /// With several treated units, the placebo units are single donors.
    /// </remarks>
    /// <exception cref="StatisticsInputException">An invalid specification, fewer than 2 donors, ratio periods not in the panel, or a non-positive exclusion multiple.</exception>
    public static InSpacePlaceboResult InSpacePlacebo(Panel panel, SyntheticControlSpecification specification, InSpacePlaceboOptions? options = null)
    {
        options ??= new InSpacePlaceboOptions();
        var main = SyntheticControlProblem.Create(panel, specification);
        if (main.J < 2)
            throw new StatisticsInputException("donorUnits", "The in-space placebo needs at least 2 donors (each placebo needs a donor pool).");
        if (options.PreFitExclusionMultiple is { } multiple && !(multiple > 0))
            throw new StatisticsInputException("preFitExclusionMultiple", "The pre-fit exclusion multiple must be positive.");
        var periods = panel.Periods;
        var preMask = PeriodMask(panel, options.RatioPrePeriods, p => p < specification.TreatmentStart, "ratioPrePeriods");
        var postMask = PeriodMask(panel, options.RatioPostPeriods, p => p >= specification.TreatmentStart, "ratioPostPeriods");

        var donors = main.Donors;
        var fits = new SyntheticControlFit[donors.Length + 1];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism, CancellationToken = options.CancellationToken };
        Parallel.For(0, donors.Length + 1, parallel, i =>
        {
            if (i == 0)
            {
                fits[0] = SyntheticControlEstimator.Solve(main);
                return;
            }

            var unit = donors[i - 1];
            var placebo = specification with
            {
                TreatedUnits = [unit],
                DonorUnits = donors.Where(d => d != unit).ToArray(),
            };
            fits[i] = SyntheticControlEstimator.Solve(SyntheticControlProblem.Create(panel, placebo));
        });

        var units = new PlaceboUnit[fits.Length];
        for (var i = 0; i < fits.Length; i++)
        {
            var gaps = fits[i].Path.Select(p => p.Gap).ToArray();
            var pre = MeanSquare(gaps, preMask);
            var post = MeanSquare(gaps, postMask);
            var name = i == 0 ? string.Join(" + ", main.Treated) : donors[i - 1];
            // A synthetic copy that matches the pre-period exactly has no pre-period error to scale by: its
            // RMSPE ratio is undefined (infinite), and no ranking of ratios can be read from it.
            if (!double.IsFinite(Math.Sqrt(post) / Math.Sqrt(pre)))
                throw new StatisticsInputException("placebos",
                    $"The synthetic copy of '{name}' fits the pre-period exactly (pre-period RMSPE 0), so its post/pre RMSPE ratio is undefined and the in-space "
                    + "placebo test cannot rank it. Such a fit means the market is an exact combination of others; check the data, or turn placebos off.");
            units[i] = new PlaceboUnit(name, i == 0, Math.Sqrt(pre), Math.Sqrt(post), Math.Sqrt(post) / Math.Sqrt(pre), fits[i].Effect.Estimate, false, gaps);
        }

        if (options.PreFitExclusionMultiple is { } m)
        {
            var treatedPre = units[0].PreRmspe * units[0].PreRmspe;
            for (var i = 1; i < units.Length; i++)
                if (units[i].PreRmspe * units[i].PreRmspe > m * treatedPre)
                    units[i] = units[i] with { Excluded = true };
        }

        var ranked = units.Where(u => !u.Excluded).ToArray();
        var treatedRatio = units[0].RmspeRatio;
        var rank = ranked.Count(u => u.RmspeRatio >= treatedRatio);
        var n = ranked.Length;
        var pValue = options.Convention == PlaceboPValueConvention.AbadieRank ? rank / (double)n : (rank - 1) / (double)n;
        return new InSpacePlaceboResult(fits[0], periods, units, rank, n, pValue, options.Convention);
    }

    /// <summary>
    /// In-time placebo: refits <paramref name="specification"/> on the periods before its real treatment start, with
    /// the treatment pretended to start at <paramref name="placeboTreatmentStart"/>. Predictor and loss periods must
    /// lie before the placebo start (give a specification with earlier windows if needed, as ADH 2015 do).
    /// </summary>
    /// <exception cref="StatisticsInputException">The placebo start is not before the real start, or the specification is invalid for the shortened panel.</exception>
    public static InTimePlaceboResult InTimePlacebo(Panel panel, SyntheticControlSpecification specification, int placeboTreatmentStart)
    {
        ArgumentNullException.ThrowIfNull(panel);
        ArgumentNullException.ThrowIfNull(specification);
        if (placeboTreatmentStart >= specification.TreatmentStart)
            throw new StatisticsInputException("placeboTreatmentStart", $"The placebo start {placeboTreatmentStart} must be before the real treatment start {specification.TreatmentStart}.");
        var truncated = panel.PeriodsBefore(specification.TreatmentStart);
        var fit = SyntheticControlEstimator.Fit(truncated, specification with { TreatmentStart = placeboTreatmentStart });
        return new InTimePlaceboResult(placeboTreatmentStart, fit, fit.Effect);
    }

    /// <summary>
    /// Leave-one-out: refits the specification once without each donor whose weight in the full fit exceeds
    /// <paramref name="minimumWeight"/> (default 0: every positively weighted donor), in parallel and deterministically.
    /// </summary>
    /// <exception cref="StatisticsInputException">An invalid specification, a negative threshold, or a donor pool that would become empty.</exception>
    public static LeaveOneOutResult LeaveOneOut(Panel panel, SyntheticControlSpecification specification, double minimumWeight = 0, int maxDegreeOfParallelism = -1)
    {
        if (!(minimumWeight >= 0))
            throw new StatisticsInputException(nameof(minimumWeight), "The weight threshold must be non-negative.");
        var problem = SyntheticControlProblem.Create(panel, specification);
        if (problem.J < 2)
            throw new StatisticsInputException("donorUnits", "Leave-one-out needs at least 2 donors.");
        var full = SyntheticControlEstimator.Solve(problem);
        var dropped = full.Weights.Where(w => w.Weight > minimumWeight).ToArray();
        var fits = new LeaveOneOutFit[dropped.Length];
        Parallel.For(0, dropped.Length, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, i =>
        {
            var spec = specification with { DonorUnits = problem.Donors.Where(d => d != dropped[i].Unit).ToArray() };
            fits[i] = new LeaveOneOutFit(dropped[i].Unit, dropped[i].Weight, SyntheticControlEstimator.Fit(panel, spec));
        });

        var effects = fits.Select(f => f.Fit.Effect.Estimate).Append(full.Effect.Estimate).ToArray();
        return new LeaveOneOutResult(full, fits, effects.Min(), effects.Max());
    }

    private static bool[] PeriodMask(Panel panel, IReadOnlyList<int>? periods, Func<int, bool> defaultRule, string field)
    {
        var mask = new bool[panel.Periods.Count];
        if (periods is null)
        {
            for (var t = 0; t < mask.Length; t++) mask[t] = defaultRule(panel.Periods[t]);
        }
        else
        {
            if (periods.Count == 0) throw new StatisticsInputException(field, "The ratio periods are empty.");
            foreach (var p in periods) mask[panel.PeriodIndex(p, field)] = true;
        }

        return mask;
    }

    private static double MeanSquare(double[] gaps, bool[] mask)
    {
        double sum = 0;
        var count = 0;
        for (var t = 0; t < gaps.Length; t++)
        {
            if (!mask[t]) continue;
            sum += gaps[t] * gaps[t];
            count++;
        }

        return sum / count;
    }
}
