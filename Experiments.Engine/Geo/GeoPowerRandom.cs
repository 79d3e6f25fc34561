namespace Experiments.Engine.Geo;

/// <summary>
/// The power analysis's source of randomness: SplitMix64 (Steele, Lea &amp; Flood 2014, "Fast splittable
/// pseudorandom number generators", OOPSLA), seeded per test window from the analysis seed and the window's duration
/// and end, so every window draws the same numbers whichever thread draws them and whatever else is simulated.
/// Bounded integers use Lemire's multiply-and-reject method (Lemire 2019, "Fast random integer generation in an
/// interval", ACM TOMACS 29(1)), which is exactly uniform.
/// </summary>
internal struct GeoPowerRandom
{
    private ulong _state;

    public GeoPowerRandom(ulong seed) => _state = seed;

    /// <summary>The seed of one test window's permutation draws, from the analysis seed, the duration and the window's end.</summary>
    public static ulong Seed(int seed, int duration, int windowEnd)
    {
        ulong s = Mix(unchecked((ulong)seed) ^ 0x5DEECE66DUL);
        s = Mix(s ^ (ulong)(uint)duration);
        return Mix(s ^ ((ulong)(uint)windowEnd << 32));
    }

    public ulong Next()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>A uniform integer in [0, bound), bound ≥ 1.</summary>
    public int Next(int bound)
    {
        uint n = (uint)bound;
        ulong product = (Next() >> 32) * n;
        uint low = (uint)product;
        if (low < n)
        {
            uint threshold = (0u - n) % n;
            while (low < threshold)
            {
                product = (Next() >> 32) * n;
                low = (uint)product;
            }
        }
        return (int)(product >> 32);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
