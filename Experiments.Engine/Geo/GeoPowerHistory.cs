using Experiments.Engine.SyntheticControl;

namespace Experiments.Engine.Geo;

/// <summary>
/// The history panel prepared once for every simulated test: each market's outcomes shifted by its mean over the
/// whole history (when fixed effects are on; the fits centre every series over their fit periods, so a constant
/// shift changes nothing but keeps the sums below free of cancellation), and, at every period where a simulated fit
/// ends (a "cut" c), the running sums S_c(u) = Σ_{s&lt;c} Z_us and cross-products P_c(u, v) = Σ_{s&lt;c} Z_us·Z_vs
/// over all markets. Any donor pool's Gram matrix over periods [0, c) is then a sub-matrix of P_c less a rank-one
/// centring term, built in O(J²) instead of O(T·J²).
/// </summary>
internal sealed class GeoPowerHistory
{
    public GeoPowerHistory(Panel panel, bool fixedEffects, IEnumerable<int> cuts)
    {
        Units = panel.Units.Count;
        Periods = panel.Periods.Count;
        Shift = new double[Units];
        Shifted = new double[Units * Periods];
        Raw = new double[Units * Periods];
        for (int u = 0; u < Units; u++)
        {
            double sum = 0;
            for (int t = 0; t < Periods; t++)
            {
                double y = panel.OutcomeAt(u, t);
                Raw[u * Periods + t] = y;
                sum += y;
            }
            Shift[u] = fixedEffects ? sum / Periods : 0;
            for (int t = 0; t < Periods; t++)
                Shifted[u * Periods + t] = Raw[u * Periods + t] - Shift[u];
        }

        var sorted = cuts.Distinct().Order().ToArray();
        CutIndex = new int[Periods + 1];
        Array.Fill(CutIndex, -1);
        Sums = new double[sorted.Length][];
        Cross = new double[sorted.Length][];
        var s = new double[Units];
        var p = new double[Units * Units];
        var z = new double[Units];
        int next = 0;
        for (int t = 0; t <= Periods && next < sorted.Length; t++)
        {
            if (sorted[next] == t)
            {
                CutIndex[t] = next;
                Sums[next] = (double[])s.Clone();
                Cross[next] = (double[])p.Clone();
                next++;
            }
            if (t == Periods)
                break;
            for (int u = 0; u < Units; u++)
            {
                z[u] = Shifted[u * Periods + t];
                s[u] += z[u];
            }
            for (int u = 0; u < Units; u++)
            {
                double zu = z[u];
                int row = u * Units;
                for (int v = 0; v < Units; v++)
                    p[row + v] += zu * z[v];
            }
        }
    }

    /// <summary>Number of markets N.</summary>
    public int Units { get; }

    /// <summary>Number of periods T.</summary>
    public int Periods { get; }

    /// <summary>c_u: each market's mean over the history with fixed effects, else 0.</summary>
    public double[] Shift { get; }

    /// <summary>Z_ut = Y_ut − c_u, unit-major ([u·T + t]).</summary>
    public double[] Shifted { get; }

    /// <summary>Y_ut, unit-major.</summary>
    public double[] Raw { get; }

    /// <summary>For a period position c, the index of its cut in <see cref="Sums"/> and <see cref="Cross"/>, or −1.</summary>
    public int[] CutIndex { get; }

    /// <summary>S_c(u) per cut.</summary>
    public double[][] Sums { get; }

    /// <summary>P_c(u, v) per cut, row-major N × N.</summary>
    public double[][] Cross { get; }
}
