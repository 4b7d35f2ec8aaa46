using System.Numerics;
using ShapeStudy.Core;

namespace ShapeStudy.Statistics;

/// <summary>The complete state of a <see cref="ResumableRandom"/>: the four 64-bit words of xoshiro256**.</summary>
public sealed record RngState(ulong S0, ulong S1, ulong S2, ulong S3);

/// <summary>
/// A pseudo-random generator whose whole state is four 64-bit words that can be saved and restored
/// (<see cref="State"/>, <see cref="FromState"/>), so a sampler resumed from a checkpoint continues the exact same
/// stream. Algorithm: xoshiro256** (Blackman &amp; Vigna 2018), seeded by expanding a 64-bit seed with SplitMix64.
/// Derives from <see cref="Random"/> (every virtual draw is overridden), so it can be passed to <see cref="Prior.Sample"/>
/// and to <c>RandomExtensions.StandardNormal</c>.
/// </summary>
public sealed class ResumableRandom : Random
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>A generator seeded from <paramref name="seed"/> (SplitMix64 expansion, never the all-zero state).</summary>
    public ResumableRandom(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
        if ((_s0 | _s1 | _s2 | _s3) == 0) _s0 = 0x9E3779B97F4A7C15UL;
    }

    private ResumableRandom(RngState state)
    {
        if ((state.S0 | state.S1 | state.S2 | state.S3) == 0) throw new ArgumentException("xoshiro256** state must not be all zero");
        (_s0, _s1, _s2, _s3) = (state.S0, state.S1, state.S2, state.S3);
    }

    /// <summary>A generator continuing exactly from a saved <paramref name="state"/>.</summary>
    public static ResumableRandom FromState(RngState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new ResumableRandom(state);
    }

    /// <summary>An independent stream for the path <paramref name="label"/> under <paramref name="seed"/> (via <see cref="Seeds.Child"/>).</summary>
    public static ResumableRandom ForStream(ulong seed, string label) => new(Seeds.Child(seed, label));

    /// <summary>The current state; <see cref="FromState"/> of it reproduces every later draw.</summary>
    public RngState State => new(_s0, _s1, _s2, _s3);

    /// <summary>Next 64 uniformly distributed bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform integer in [0, <paramref name="n"/>) without bias (Lemire's multiply-and-reject), n ≥ 1.</summary>
    public ulong NextBounded(ulong n)
    {
        if (n == 0) throw new ArgumentOutOfRangeException(nameof(n), "bound must be positive");
        ulong high = Math.BigMul(NextUInt64(), n, out ulong low);
        if (low < n)
        {
            ulong threshold = (0 - n) % n;
            while (low < threshold) high = Math.BigMul(NextUInt64(), n, out low);
        }
        return high;
    }

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    public override double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <inheritdoc/>
    protected override double Sample() => NextDouble();

    /// <inheritdoc/>
    public override float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1U << 24));

    /// <inheritdoc/>
    public override int Next() => (int)NextBounded(int.MaxValue);

    /// <inheritdoc/>
    public override int Next(int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return maxValue <= 1 ? 0 : (int)NextBounded((ulong)maxValue);
    }

    /// <inheritdoc/>
    public override int Next(int minValue, int maxValue)
    {
        if (minValue > maxValue) throw new ArgumentOutOfRangeException(nameof(minValue));
        ulong range = (ulong)((long)maxValue - minValue);
        return range <= 1 ? minValue : (int)((long)minValue + (long)NextBounded(range));
    }

    /// <inheritdoc/>
    public override long NextInt64() => (long)NextBounded(long.MaxValue);

    /// <inheritdoc/>
    public override long NextInt64(long maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return maxValue <= 1 ? 0 : (long)NextBounded((ulong)maxValue);
    }

    /// <inheritdoc/>
    public override long NextInt64(long minValue, long maxValue)
    {
        if (minValue > maxValue) throw new ArgumentOutOfRangeException(nameof(minValue));
        ulong range = (ulong)(maxValue - minValue);
        return range <= 1 ? minValue : unchecked(minValue + (long)NextBounded(range));
    }

    /// <inheritdoc/>
    public override void NextBytes(byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        NextBytes(buffer.AsSpan());
    }

    /// <inheritdoc/>
    public override void NextBytes(Span<byte> buffer)
    {
        int i = 0;
        while (i < buffer.Length)
        {
            ulong v = NextUInt64();
            for (int k = 0; k < 8 && i < buffer.Length; k++, i++) { buffer[i] = (byte)v; v >>= 8; }
        }
    }

    /// <summary>Standard normal draw by Box–Muller from two uniforms (the sine partner is discarded, so the state stays four words).</summary>
    public double NextStandardNormal()
    {
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
