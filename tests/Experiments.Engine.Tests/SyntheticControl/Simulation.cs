using Experiments.Engine.SyntheticControl;

namespace Experiments.Engine.Tests.SyntheticControl;

/// <summary>Seeded simulated panels from a linear factor model (ADH 2010 eq. 1).</summary>
internal static class Simulation
{
    /// <summary>
    /// Yⱼₜ = μⱼ + λⱼ·fₜ + εⱼₜ for donors "donor01".., with 3 factors (a trend, a cycle, a random walk), and a treated
    /// unit "treated" = Σⱼ w*ⱼ(μⱼ + λⱼ·fₜ) + ε₁ₜ + effect·1[t ≥ start] + <paramref name="levelShift"/>, where w* puts weight
    /// on 3 donors — so the treated unit's noiseless path lies in the donors' convex hull (up to the level shift).
    /// Periods run 1..<paramref name="periods"/>. Covariate "x" = λⱼ₁ (its value in the treated unit is the w*
    /// combination), observed in odd periods only (NaN otherwise).
    /// </summary>
    public static Panel FactorPanel(int seed, int donors, int periods, int treatmentStart, double effect, double noise, out double[] trueWeights, double levelShift = 0, string treatedName = "treated")
    {
        var rng = new Random(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var factors = new double[periods, 3];
        var walk = 0.0;
        for (var t = 0; t < periods; t++)
        {
            walk += 0.3 * Normal();
            factors[t, 0] = 0.1 * t;
            factors[t, 1] = 2 * Math.Sin(2 * Math.PI * t / 12.0);
            factors[t, 2] = walk;
        }

        var mu = new double[donors];
        var lambda = new double[donors, 3];
        for (var j = 0; j < donors; j++)
        {
            mu[j] = 5 + 10 * rng.NextDouble();
            for (var k = 0; k < 3; k++) lambda[j, k] = rng.NextDouble() * 2 - 0.5;
        }

        trueWeights = new double[donors];
        var chosen = Enumerable.Range(0, donors).OrderBy(_ => rng.Next()).Take(3).ToArray();
        var raw = chosen.Select(_ => 0.2 + rng.NextDouble()).ToArray();
        for (var i = 0; i < 3; i++) trueWeights[chosen[i]] = raw[i] / raw.Sum();

        var rows = new List<PanelRow>();
        for (var j = 0; j <= donors; j++)
        {
            var isTreated = j == donors;
            var name = isTreated ? treatedName : $"donor{j + 1:00}";
            for (var t = 0; t < periods; t++)
            {
                double mean;
                double x;
                if (isTreated)
                {
                    mean = levelShift;
                    x = 0;
                    for (var d = 0; d < donors; d++)
                    {
                        if (trueWeights[d] == 0) continue;
                        mean += trueWeights[d] * (mu[d] + lambda[d, 0] * factors[t, 0] + lambda[d, 1] * factors[t, 1] + lambda[d, 2] * factors[t, 2]);
                        x += trueWeights[d] * lambda[d, 0];
                    }

                    if (t + 1 >= treatmentStart) mean += effect;
                }
                else
                {
                    mean = mu[j] + lambda[j, 0] * factors[t, 0] + lambda[j, 1] * factors[t, 1] + lambda[j, 2] * factors[t, 2];
                    x = lambda[j, 0];
                }

                var covariate = (t + 1) % 2 == 1 ? x : double.NaN;
                rows.Add(new PanelRow(name, t + 1, mean + noise * Normal(), [covariate]));
            }
        }

        return Panel.FromRows(rows, "y", ["x"]);
    }
}
