using MathNet.Numerics.LinearAlgebra;

namespace Experiments.Engine.SyntheticControl;

/// <summary>
/// A validated specification turned into matrices: X₁ (k), X₀ (k × J), scaled; Z₁ (T), Z₀ (T × J) over the loss
/// periods; the outcome of every unit in every period (centred when asked). Internal: built once per fit.
/// </summary>
internal sealed class SyntheticControlProblem
{
    public required Panel Panel { get; init; }
    public required SyntheticControlSpecification Specification { get; init; }
    public required string[] Treated { get; init; }
    public required int[] TreatedIndex { get; init; }
    public required string[] Donors { get; init; }
    public required int[] DonorIndex { get; init; }
    public required int PreCount { get; init; }

    /// <summary>Number of rows of X (predictors, or loss periods when matching on outcomes).</summary>
    public required int K { get; init; }
    public required string[] PredictorLabels { get; init; }
    public required bool MatchOnOutcomes { get; init; }
    public required double[] X1Raw { get; init; }
    public required double[] X0Raw { get; init; }
    public required double[] X1 { get; init; }
    public required double[] X0 { get; init; }
    public required int T { get; init; }
    public required double[] Z1 { get; init; }
    public required double[] Z0 { get; init; }

    /// <summary>Pre-treatment mean of the treated aggregate and of each donor (zeros without centring).</summary>
    public required double TreatedLevel { get; init; }
    public required double[] DonorLevels { get; init; }

    public int J => Donors.Length;

    public static SyntheticControlProblem Create(Panel panel, SyntheticControlSpecification spec)
    {
        ArgumentNullException.ThrowIfNull(panel);
        ArgumentNullException.ThrowIfNull(spec);
        var periods = panel.Periods;

        // Treated units.
        if (spec.TreatedUnits is null || spec.TreatedUnits.Count == 0)
            throw new StatisticsInputException("treatedUnits", "Name at least one treated unit.");
        var treated = spec.TreatedUnits.ToArray();
        var treatedSet = new HashSet<string>(StringComparer.Ordinal);
        foreach (var unit in treated)
        {
            if (unit is null || !panel.ContainsUnit(unit))
                throw new StatisticsInputException("treatedUnits", $"Treated unit '{unit}' is not in the panel.");
            if (!treatedSet.Add(unit))
                throw new StatisticsInputException("treatedUnits", $"Treated unit '{unit}' is listed twice.");
        }

        // Donors.
        string[] donors;
        if (spec.DonorUnits is null)
        {
            donors = panel.Units.Where(u => !treatedSet.Contains(u)).ToArray();
        }
        else
        {
            donors = spec.DonorUnits.ToArray();
            var donorSet = new HashSet<string>(StringComparer.Ordinal);
            foreach (var unit in donors)
            {
                if (unit is null || !panel.ContainsUnit(unit))
                    throw new StatisticsInputException("donorUnits", $"Donor '{unit}' is not in the panel.");
                if (treatedSet.Contains(unit))
                    throw new StatisticsInputException("donorUnits", $"'{unit}' is both treated and a donor.");
                if (!donorSet.Add(unit))
                    throw new StatisticsInputException("donorUnits", $"Donor '{unit}' is listed twice.");
            }
        }

        if (donors.Length == 0)
            throw new StatisticsInputException("donorUnits", "The donor pool is empty.");

        // Periods.
        if (spec.MinimumPrePeriods < 1)
            throw new StatisticsInputException("minimumPrePeriods", "At least one pre-treatment period must be required.");
        var preCount = periods.Count(p => p < spec.TreatmentStart);
        if (preCount < spec.MinimumPrePeriods)
            throw new StatisticsInputException("treatmentStart", $"Only {preCount} period(s) of the panel lie before the treatment start {spec.TreatmentStart}; at least {spec.MinimumPrePeriods} are needed.");
        if (preCount == periods.Count)
            throw new StatisticsInputException("treatmentStart", $"No period of the panel is at or after the treatment start {spec.TreatmentStart} (the last period is {periods[^1]}).");

        int[] loss;
        if (spec.LossPeriods is null)
        {
            loss = Enumerable.Range(0, preCount).ToArray();
        }
        else
        {
            if (spec.LossPeriods.Count == 0)
                throw new StatisticsInputException("lossPeriods", "The loss periods are empty.");
            var seen = new HashSet<int>();
            loss = new int[spec.LossPeriods.Count];
            for (var i = 0; i < loss.Length; i++)
            {
                var period = spec.LossPeriods[i];
                if (!seen.Add(period))
                    throw new StatisticsInputException("lossPeriods", $"Loss period {period} is listed twice.");
                if (period >= spec.TreatmentStart)
                    throw new StatisticsInputException("lossPeriods", $"Loss period {period} is not before the treatment start {spec.TreatmentStart}; fitting on post-treatment outcomes would absorb the effect.");
                loss[i] = panel.PeriodIndex(period, "lossPeriods");
            }
        }

        var treatedIndex = treated.Select(u => panel.UnitIndex(u, "treatedUnits")).ToArray();
        var donorIndex = donors.Select(u => panel.UnitIndex(u, "donorUnits")).ToArray();
        var allUnits = treatedIndex.Concat(donorIndex).ToArray();
        var j = donors.Length;

        // Outcome levels for centring.
        var centre = spec.OutcomeCentering == OutcomeCentering.UnitPreTreatmentMean;
        var levels = new double[panel.Units.Count];
        if (centre)
        {
            foreach (var u in allUnits)
            {
                var s = 0.0;
                for (var t = 0; t < preCount; t++) s += panel.OutcomeAt(u, t);
                levels[u] = s / preCount;
            }
        }

        double Outcome(int unit, int periodIndex) => panel.OutcomeAt(unit, periodIndex) - levels[unit];

        // Loss matrices.
        var tCount = loss.Length;
        var z1 = new double[tCount];
        var z0 = new double[tCount * j];
        for (var t = 0; t < tCount; t++)
        {
            var s = 0.0;
            foreach (var u in treatedIndex) s += Outcome(u, loss[t]);
            z1[t] = s / treatedIndex.Length;
            for (var d = 0; d < j; d++) z0[t * j + d] = Outcome(donorIndex[d], loss[t]);
        }

        // Predictors.
        var predictors = spec.Predictors ?? [];
        var matchOnOutcomes = predictors.Count == 0;
        int k;
        string[] labels;
        double[] x1Raw, x0Raw;
        if (matchOnOutcomes)
        {
            if (spec.PredictorWeighting == PredictorWeighting.Custom)
                throw new StatisticsInputException("customPredictorWeights", "Custom predictor weights need predictors; without predictors the donors are matched on the loss-period outcomes with V = I.");
            k = tCount;
            labels = loss.Select(t => $"{panel.OutcomeName} {periods[t]}").ToArray();
            x1Raw = (double[])z1.Clone();
            x0Raw = (double[])z0.Clone();
        }
        else
        {
            k = predictors.Count;
            labels = new string[k];
            x1Raw = new double[k];
            x0Raw = new double[k * j];
            for (var h = 0; h < k; h++)
            {
                var predictor = predictors[h] ?? throw new StatisticsInputException("predictors", $"Predictor {h} is null.");
                labels[h] = predictor.Label;
                var values = PredictorValues(panel, predictor, h, spec.TreatmentStart, allUnits, levels);
                var s = 0.0;
                for (var i = 0; i < treatedIndex.Length; i++) s += values[i];
                x1Raw[h] = s / treatedIndex.Length;
                for (var d = 0; d < j; d++) x0Raw[h * j + d] = values[treatedIndex.Length + d];
            }
        }

        // Scaling by the standard deviation across [X₁, X₀] (R Synth's synth()).
        var x1 = (double[])x1Raw.Clone();
        var x0 = (double[])x0Raw.Clone();
        if (!matchOnOutcomes && spec.PredictorScaling == PredictorScaling.StandardDeviation)
        {
            for (var h = 0; h < k; h++)
            {
                var mean = x1Raw[h];
                for (var d = 0; d < j; d++) mean += x0Raw[h * j + d];
                mean /= j + 1;
                var ss = (x1Raw[h] - mean) * (x1Raw[h] - mean);
                for (var d = 0; d < j; d++) ss += (x0Raw[h * j + d] - mean) * (x0Raw[h * j + d] - mean);
                var sd = j > 0 ? Math.Sqrt(ss / j) : 0;
                if (!(sd > 0)) continue;
                x1[h] /= sd;
                for (var d = 0; d < j; d++) x0[h * j + d] /= sd;
            }
        }

        if (spec.PredictorWeighting == PredictorWeighting.Custom)
        {
            var custom = spec.CustomPredictorWeights
                ?? throw new StatisticsInputException("customPredictorWeights", "Custom predictor weighting needs the weights.");
            if (custom.Count != k)
                throw new StatisticsInputException("customPredictorWeights", $"There are {custom.Count} custom predictor weights for {k} predictors.");
            if (custom.Any(v => !double.IsFinite(v) || v < 0) || !(custom.Sum() > 0))
                throw new StatisticsInputException("customPredictorWeights", "Custom predictor weights must be finite, non-negative and not all zero.");
        }
        else if (spec.CustomPredictorWeights is not null)
        {
            throw new StatisticsInputException("customPredictorWeights", "Custom predictor weights were given but the weighting is not Custom.");
        }

        var search = spec.Search ?? throw new StatisticsInputException("search", "The search options are missing.");
        if (search.MaxEvaluationsPerStart < 1 || search.Restarts < 0 || !(search.RelativeTolerance >= 0))
            throw new StatisticsInputException("search", "The search needs at least one evaluation per start, a non-negative number of restarts and a non-negative tolerance.");

        var treatedLevel = treatedIndex.Average(u => levels[u]);
        return new SyntheticControlProblem
        {
            Panel = panel,
            Specification = spec,
            Treated = treated,
            TreatedIndex = treatedIndex,
            Donors = donors,
            DonorIndex = donorIndex,
            PreCount = preCount,
            K = k,
            PredictorLabels = labels,
            MatchOnOutcomes = matchOnOutcomes,
            X1Raw = x1Raw,
            X0Raw = x0Raw,
            X1 = x1,
            X0 = x0,
            T = tCount,
            Z1 = z1,
            Z0 = z0,
            TreatedLevel = treatedLevel,
            DonorLevels = donorIndex.Select(u => levels[u]).ToArray(),
        };
    }

    /// <summary>The predictor's value for each unit (mean over its periods where observed, as R Synth's na.rm = TRUE).</summary>
    private static double[] PredictorValues(Panel panel, Predictor predictor, int position, int treatmentStart, int[] units, double[] levels)
    {
        if (string.IsNullOrWhiteSpace(predictor.Variable))
            throw new StatisticsInputException("predictors", $"Predictor {position} has no variable.");
        var isOutcome = predictor.Variable == panel.OutcomeName;
        var covariate = -1;
        if (!isOutcome && !panel.TryCovariateIndex(predictor.Variable, out covariate))
            throw new StatisticsInputException("predictors", $"Predictor '{predictor.Label}' uses '{predictor.Variable}', which is neither the outcome '{panel.OutcomeName}' nor a covariate of the panel.");
        if (predictor.Periods is null || predictor.Periods.Count == 0)
            throw new StatisticsInputException("predictors", $"Predictor '{predictor.Label}' has no periods.");
        var periodIndex = new int[predictor.Periods.Count];
        for (var i = 0; i < periodIndex.Length; i++)
        {
            var period = predictor.Periods[i];
            if (period >= treatmentStart)
                throw new StatisticsInputException("predictors", $"Predictor '{predictor.Label}' uses period {period}, which is not before the treatment start {treatmentStart}.");
            periodIndex[i] = panel.PeriodIndex(period, "predictors");
        }

        var values = new double[units.Length];
        for (var i = 0; i < units.Length; i++)
        {
            var u = units[i];
            double sum = 0;
            var count = 0;
            foreach (var t in periodIndex)
            {
                var x = isOutcome ? panel.OutcomeAt(u, t) - levels[u] : panel.CovariateAt(covariate, u, t);
                if (double.IsNaN(x)) continue;
                sum += x;
                count++;
            }

            if (count == 0)
                throw new StatisticsInputException("predictors", $"Predictor '{predictor.Label}' has no observed value for unit '{panel.Units[u]}' in its periods.");
            values[i] = sum / count;
        }

        return values;
    }

    /// <summary>
    /// R Synth's regression-based starting V: regress the loss-period outcomes of all units on [1, X scaled] and take
    /// the squared row norms of the slope matrix, normalised. Null when the regression is not identified
    /// (fewer units than predictors + 1, or collinear predictors).
    /// </summary>
    public double[]? RegressionStart()
    {
        var n = J + 1;
        if (n < K + 1) return null;
        var design = Matrix<double>.Build.Dense(n, K + 1, (row, col) => col == 0 ? 1.0 : row == 0 ? X1[col - 1] : X0[(col - 1) * J + row - 1]);
        var response = Matrix<double>.Build.Dense(n, T, (row, col) => row == 0 ? Z1[col] : Z0[col * J + row - 1]);
        var svd = design.Svd(computeVectors: true);
        var s = svd.S;
        if (!(s[s.Count - 1] > 1e-10 * s[0])) return null;
        var beta = svd.Solve(response);
        var v = new double[K];
        for (var h = 0; h < K; h++)
        {
            var sum = 0.0;
            for (var t = 0; t < T; t++) sum += beta[h + 1, t] * beta[h + 1, t];
            v[h] = sum;
        }

        var total = v.Sum();
        if (!(total > 0) || !double.IsFinite(total)) return null;
        for (var h = 0; h < K; h++) v[h] /= total;
        return v;
    }
}
