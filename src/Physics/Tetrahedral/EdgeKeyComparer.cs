namespace ShapeStudy.Physics.Tetrahedral;

/// <summary>
/// Hashing of packed vertex-pair keys ((long)a &lt;&lt; 32 | b). The default <see cref="long.GetHashCode"/> is a XOR b,
/// which collides massively for mesh edges (nearby indices); this mixes the bits with a Fibonacci multiplier.
/// </summary>
internal sealed class EdgeKeyComparer : IEqualityComparer<long>
{
    public static readonly EdgeKeyComparer Instance = new();

    public bool Equals(long x, long y) => x == y;

    public int GetHashCode(long key) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 32);
}
