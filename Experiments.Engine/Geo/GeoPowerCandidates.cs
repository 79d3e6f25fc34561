using Experiments.Engine.SyntheticControl;

namespace Experiments.Engine.Geo;

/// <summary>
/// Candidate treated-market sets for a geo power analysis, generated deterministically from the history: GeoLift's
/// deterministic market selection (<c>GeoLiftMarketSelection</c> with <c>run_stochastic_process = FALSE</c>).
/// </summary>
/// <remarks>
/// <para><b>Rule.</b> Every market in turn is a seed; for a set size k the candidate is the seed and the k − 1 markets
/// whose outcome series have the highest Pearson correlation with the seed's over the whole history (ties broken by
/// panel order). Sets are written with names in ordinal order and de-duplicated, keeping the first occurrence; the
/// list runs by size, then by seed in panel order. So there are at most N sets per size (N markets).</para>
/// <para><b>Why this rule.</b> (1) It is what GeoLift does by default: its similarity matrix ranks, for each location,
/// all locations by descending correlation (the location itself first) and the deterministic setup takes the first
/// k columns of each row, then sorts and de-duplicates the rows. Reproducing it keeps our candidate lists comparable
/// with GeoLift's. (2) It is cheap and exhaustive in the seed: O(N) sets per size instead of the C(N, k) of full
/// enumeration (658,008 five-market sets of 40 markets), and every market appears as a seed, so no market is left out
/// of consideration. (3) The generator only has to propose plausible sets cheaply; whether a set is a good test
/// is decided by the simulated power and the ranking, not by the correlation. GeoLift's alternative, sampling one of
/// each consecutive pair of a seed's similarity ranking, adds randomness without a stated gain, and
/// stratifying by market size is left to the caller's explicit sets (e.g. to keep large markets out of the test).</para>
/// </remarks>
public static class GeoPowerCandidates
{
    /// <summary>The seed-and-most-correlated candidate sets for each of the given set sizes (see the remarks).</summary>
    /// <param name="panel">The history.</param>
    /// <param name="treatedCounts">Set sizes, each between 1 and N − 1.</param>
    /// <exception cref="StatisticsInputException">No sizes, a repeated size, or a size outside [1, N − 1] (<c>treatedCounts</c>).</exception>
    public static IReadOnlyList<IReadOnlyList<string>> MostCorrelated(Panel panel, IReadOnlyList<int> treatedCounts)
    {
        ArgumentNullException.ThrowIfNull(panel);
        int n = panel.Units.Count;
        if (treatedCounts is not { Count: > 0 })
            throw new StatisticsInputException("treatedCounts", "Name at least one number of treated markets to generate candidate sets for.");
        if (treatedCounts.Distinct().Count() != treatedCounts.Count)
            throw new StatisticsInputException("treatedCounts", "A number of treated markets is listed twice.");
        foreach (int k in treatedCounts)
            if (k < 1 || k > n - 1)
                throw new StatisticsInputException("treatedCounts", $"A treated set of {k} market(s) is impossible with {n} markets: it needs at least 1 and must leave at least 1 donor.");

        var ranking = SimilarityRanking(panel);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<IReadOnlyList<string>>();
        foreach (int k in treatedCounts.Order())
        {
            for (int seed = 0; seed < n; seed++)
            {
                var set = ranking[seed].Take(k).Select(u => panel.Units[u]).Order(StringComparer.Ordinal).ToArray();
                if (seen.Add(string.Join('\u0001', set)))
                    result.Add(set);
            }
        }
        return result;
    }

    /// <summary>For each market, every market ordered by descending correlation with it (itself first; NaN last).</summary>
    internal static int[][] SimilarityRanking(Panel panel)
    {
        int n = panel.Units.Count, t = panel.Periods.Count;
        var centred = new double[n][];
        var norms = new double[n];
        for (int u = 0; u < n; u++)
        {
            var y = new double[t];
            double mean = 0;
            for (int s = 0; s < t; s++)
                mean += y[s] = panel.OutcomeAt(u, s);
            mean /= t;
            double squares = 0;
            for (int s = 0; s < t; s++)
            {
                y[s] -= mean;
                squares += y[s] * y[s];
            }
            centred[u] = y;
            norms[u] = Math.Sqrt(squares);
        }
        var ranking = new int[n][];
        for (int u = 0; u < n; u++)
        {
            var correlation = new double[n];
            for (int v = 0; v < n; v++)
            {
                double dot = 0;
                for (int s = 0; s < t; s++)
                    dot += centred[u][s] * centred[v][s];
                correlation[v] = dot / (norms[u] * norms[v]);
            }
            int self = u;
            ranking[u] = Enumerable.Range(0, n)
                .OrderBy(v => v == self ? 0 : 1)
                .ThenBy(v => double.IsNaN(correlation[v]) ? 1 : 0)
                .ThenByDescending(v => double.IsNaN(correlation[v]) ? 0 : correlation[v])
                .ThenBy(v => v)
                .ToArray();
        }
        return ranking;
    }
}
