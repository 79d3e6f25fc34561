namespace Experiments.Engine.Geo;

/// <summary>
/// The power analysis's source of randomness: SplitMix64 (Steele, Lea &amp; Flood 2014, "Fast splittable
/// pseudorandom number generators", OOPSLA), seeded per simulated test from the analysis seed and the test's
/// identity, so every test draws the same numbers whichever thread runs it and whatever else is simulated.
/// Bounded integers use Lemire's multiply-and-reject method (Lemire 2019, "Fast random integer generation in an
/// interval", ACM TOMACS 29(1)), which is exactly uniform.
/// </summary>
internal struct GeoPowerRandom
{
    private ulong _state;

    public GeoPowerRandom(ulong seed) => _state = seed;

    /// <summary>A seed for one simulated test from the analysis seed and the test's parts, mixed in turn.</summary>
    public static ulong Seed(int seed, ulong candidateKey, int duration, int windowEnd)
    {
        ulong s = Mix(unchecked((ulong)seed) ^ 0x5DEECE66DUL);
        s = Mix(s ^ candidateKey);
        s = Mix(s ^ (ulong)(uint)duration);
        return Mix(s ^ ((ulong)(uint)windowEnd << 32));
    }

    /// <summary>A 64-bit FNV-1a hash of the names in order, separated by a character no market name uses.</summary>
    public static ulong Key(IEnumerable<string> names)
    {
        ulong hash = 14695981039346656037UL;
        foreach (var name in names)
        {
            foreach (char ch in name)
            {
                hash ^= ch;
                hash *= 1099511628211UL;
            }
            hash ^= 0xFFFF;
            hash *= 1099511628211UL;
        }
        return hash;
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
