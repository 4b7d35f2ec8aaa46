using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ShapeStudy.Core;

namespace ShapeStudy.Physics;

/// <summary>
/// Classic marching cubes on scalar fields with the generated, topology-consistent <see cref="MarchingCubesTable"/>.
/// </summary>
/// <remarks>
/// Cubes join eight neighbouring voxel centres; a corner is inside when its value is strictly above the iso value. One
/// vertex is placed on every cut lattice edge by linear interpolation and shared by all triangles using that edge, so the
/// surface is edge-manifold and consistently oriented, with normals pointing from higher to lower values; it is closed
/// wherever it does not reach the grid's outer faces (pad the field to close it). The extraction runs in three passes:
/// (1) per z plane, the inside/outside state of every voxel is packed into 64-bit words (SIMD comparisons); (2) cut
/// edges of each row are the XOR of neighbouring rows' words, and a prefix sum over rows gives every cut edge its
/// vertex id as row offset + popcount of the cut bits before it (no hash maps, no per-edge caches); (3) per z slab, in
/// parallel, the vertices of the slab's cut edges are interpolated and the non-trivial cubes, found from the words
/// without touching the field, emit their triangles into slab buffers that are concatenated at the end.
/// </remarks>
public static class IsoSurface
{
    /// <summary>
    /// Extracts the <paramref name="iso"/> level set of <paramref name="field"/> (shape (Z, Y, X)). Vertices are in µm:
    /// x = Origin.X + (i + t)·Spacing.X for a vertex at fraction t along an x edge, and likewise for y and z, stored as
    /// (x, y, z). Triangles are wound with normals pointing from values above <paramref name="iso"/> to values below.
    /// </summary>
    /// <returns>The mesh; empty when no edge is cut or any axis has fewer than 2 samples.</returns>
    public static TriangleMesh Extract(Volume<float> field, double iso) => Run(field, iso);

    /// <inheritdoc cref="Extract(Volume{float}, double)"/>
    public static TriangleMesh Extract(Volume<double> field, double iso) => Run(field, iso);

    private static TriangleMesh Run<T>(Volume<T> field, double iso) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!double.IsFinite(iso)) throw new ArgumentException($"iso value must be finite, got {iso}");
        int nz = field.NZ, ny = field.NY, nx = field.NX;
        if (nz < 2 || ny < 2 || nx < 2) return new TriangleMesh([], []);
        int words = (nx + 63) >> 6;
        int rows = nz * ny;
        var data = field.Data;
        T isoT = T.CreateChecked(iso);

        // Pass 1: inside bits, one row of `words` ulongs per (z, y).
        var inside = GC.AllocateUninitializedArray<ulong>(rows * words);
        Parallel.For(0, nz, z =>
        {
            var isoVec = Vector256.Create(isoT);
            int vc = Vector256<T>.Count;
            for (int y = 0; y < ny; y++)
            {
                int row = z * ny + y;
                var src = data.AsSpan(row * nx, nx);
                var dst = inside.AsSpan(row * words, words);
                for (int w = 0; w < words; w++)
                {
                    int x = w << 6, end = Math.Min(nx, x + 64);
                    ulong word = 0;
                    if (Vector256.IsHardwareAccelerated)
                        for (; x + vc <= end; x += vc)
                            word |= (ulong)Vector256.GreaterThan(Vector256.Create<T>(src.Slice(x, vc)), isoVec).ExtractMostSignificantBits() << (x & 63);
                    for (; x < end; x++)
                        if (src[x] > isoT) word |= 1UL << (x & 63);
                    dst[w] = word;
                }
            }
        });

        // Pass 2: cut-edge bits per row and axis. Vertex ids are numbered plane by plane and, within a plane, row by row
        // (x edges, then y edges, then z edges); per word, the id of its first cut edge relative to its plane's first id.
        var cutX = GC.AllocateUninitializedArray<ulong>(inside.Length);
        var cutY = GC.AllocateUninitializedArray<ulong>(inside.Length);
        var cutZ = GC.AllocateUninitializedArray<ulong>(inside.Length);
        var firstX = GC.AllocateUninitializedArray<int>(inside.Length);
        var firstY = GC.AllocateUninitializedArray<int>(inside.Length);
        var firstZ = GC.AllocateUninitializedArray<int>(inside.Length);
        var planeCount = new long[nz];
        Parallel.For(0, nz, z =>
        {
            long id = 0;
            for (int y = 0; y < ny; y++)
            {
                int o = (z * ny + y) * words;
                for (int w = 0; w < words; w++)
                {
                    ulong a = inside[o + w];
                    ulong carry = w + 1 < words ? inside[o + w + 1] << 63 : 0;
                    ulong xw = a ^ ((a >> 1) | carry);
                    int valid = nx - 1 - (w << 6); // x edges exist for x < nx − 1
                    if (valid <= 0) xw = 0;
                    else if (valid < 64) xw &= (1UL << valid) - 1;
                    cutX[o + w] = xw;
                    cutY[o + w] = y + 1 < ny ? a ^ inside[o + words + w] : 0;
                    cutZ[o + w] = z + 1 < nz ? a ^ inside[o + ny * words + w] : 0;
                }
                for (int w = 0; w < words; w++) { firstX[o + w] = (int)id; id += BitOperations.PopCount(cutX[o + w]); }
                for (int w = 0; w < words; w++) { firstY[o + w] = (int)id; id += BitOperations.PopCount(cutY[o + w]); }
                for (int w = 0; w < words; w++) { firstZ[o + w] = (int)id; id += BitOperations.PopCount(cutZ[o + w]); }
                if (id > int.MaxValue / 3) throw new InvalidOperationException("the isosurface has more vertices than one array can hold");
            }
            planeCount[z] = id;
        });
        var planeBase = new int[nz + 1];
        long total = 0;
        for (int z = 0; z < nz; z++)
        {
            planeBase[z] = (int)total;
            total += planeCount[z];
            if (total > int.MaxValue / 3) throw new InvalidOperationException("the isosurface has more vertices than one array can hold");
        }
        planeBase[nz] = (int)total;
        int nv = (int)total;
        var verts = new double[3 * nv];

        // Pass 3: vertices and triangles per slab of z planes.
        var sp = field.Spacing;
        var (oz, oy, ox) = field.Origin;
        int slabs = Math.Min(nz - 1, Math.Max(1, 4 * Environment.ProcessorCount));
        var slabTris = new int[slabs][];
        var slabCount = new int[slabs];
        var ctx = new Context(nx, ny, nz, words, inside, cutX, cutY, cutZ, firstX, firstY, firstZ, planeBase);
        Parallel.For(0, slabs, s =>
        {
            int z0 = (int)((long)(nz - 1) * s / slabs), z1 = (int)((long)(nz - 1) * (s + 1) / slabs);
            // Vertices on the slab's planes z0..z1−1, and on the last plane for the last slab.
            int zv1 = s == slabs - 1 ? nz : z1;
            for (int z = z0; z < zv1; z++)
                for (int y = 0; y < ny; y++)
                    Vertices(data, isoT, ctx, z, y, verts, ox, oy, oz, sp);
            var buffer = new int[CountHint(ctx, z0, z1)];
            int n = 0;
            for (int z = z0; z < z1; z++)
                for (int y = 0; y < ny - 1; y++)
                    n = Cubes(ctx, z, y, ref buffer, n);
            slabTris[s] = buffer;
            slabCount[s] = n;
        });
        int nt = 0;
        foreach (var c in slabCount) nt += c;
        var tris = new int[nt];
        int at = 0;
        for (int s = 0; s < slabs; s++)
        {
            Array.Copy(slabTris[s], 0, tris, at, slabCount[s]);
            at += slabCount[s];
        }
        return new TriangleMesh(verts, tris);
    }

    private sealed record Context(int NX, int NY, int NZ, int Words, ulong[] Inside, ulong[] CutX, ulong[] CutY, ulong[] CutZ,
        int[] FirstX, int[] FirstY, int[] FirstZ, int[] PlaneBase);

    /// <summary>Vertices on the slab's planes: a first guess of its triangle index count (about 2 triangles per vertex).</summary>
    private static int CountHint(Context c, int z0, int z1) =>
        (int)Math.Min(int.MaxValue / 8, Math.Max(16, 6L * (c.PlaneBase[z1] - c.PlaneBase[z0])));

    private static void Vertices<T>(T[] data, T iso, Context c, int z, int y, double[] verts,
        double ox, double oy, double oz, Spacing sp) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int nx = c.NX, words = c.Words, row = z * c.NY + y, o = row * words;
        int i0 = row * nx;
        double py = oy + y * sp.Y, pz = oz + z * sp.Z;
        double isoD = double.CreateChecked(iso);
        int pb = c.PlaneBase[z];
        for (int w = 0; w < words; w++)
        {
            int id = pb + c.FirstX[o + w];
            for (ulong bits = c.CutX[o + w]; bits != 0; bits &= bits - 1)
            {
                int x = (w << 6) + BitOperations.TrailingZeroCount(bits);
                double t = Fraction(data[i0 + x], data[i0 + x + 1], isoD);
                int k = 3 * id++;
                verts[k] = ox + (x + t) * sp.X; verts[k + 1] = py; verts[k + 2] = pz;
            }
            id = pb + c.FirstY[o + w];
            for (ulong bits = c.CutY[o + w]; bits != 0; bits &= bits - 1)
            {
                int x = (w << 6) + BitOperations.TrailingZeroCount(bits);
                double t = Fraction(data[i0 + x], data[i0 + nx + x], isoD);
                int k = 3 * id++;
                verts[k] = ox + x * sp.X; verts[k + 1] = oy + (y + t) * sp.Y; verts[k + 2] = pz;
            }
            id = pb + c.FirstZ[o + w];
            for (ulong bits = c.CutZ[o + w]; bits != 0; bits &= bits - 1)
            {
                int x = (w << 6) + BitOperations.TrailingZeroCount(bits);
                double t = Fraction(data[i0 + x], data[i0 + c.NY * nx + x], isoD);
                int k = 3 * id++;
                verts[k] = ox + x * sp.X; verts[k + 1] = py; verts[k + 2] = oz + (z + t) * sp.Z;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Fraction<T>(T a, T b, double iso) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double va = double.CreateTruncating(a), vb = double.CreateTruncating(b);
        return (iso - va) / (vb - va); // va and vb lie on opposite sides of iso, so vb ≠ va and t ∈ [0, 1]
    }

    /// <summary>Bits x and x + 1 of a row (x + 1 may start the next word).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Pair(ulong[] a, int o, int x)
    {
        int w = o + (x >> 6), s = x & 63;
        ulong v = a[w] >> s;
        if (s == 63) v |= a[w + 1] << 1;
        return (int)(v & 3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Rank(ulong[] cut, int[] first, int o, int x)
    {
        int w = x >> 6;
        return first[o + w] + BitOperations.PopCount(cut[o + w] & ((1UL << (x & 63)) - 1));
    }

    /// <summary>Emits the triangles of the cubes between rows (z, y), (z, y+1), (z+1, y), (z+1, y+1).</summary>
    private static int Cubes(Context c, int z, int y, ref int[] buffer, int n)
    {
        int words = c.Words, ny = c.NY, nx = c.NX;
        int o00 = (z * ny + y) * words, o01 = o00 + words, o10 = o00 + ny * words, o11 = o10 + words;
        var ins = c.Inside;
        int pb0 = c.PlaneBase[z], pb1 = c.PlaneBase[z + 1];
        Span<int> ids = stackalloc int[12];
        for (int w = 0; w < words; w++)
        {
            ulong a = ins[o00 + w];
            ulong d = (a ^ ins[o01 + w]) | (a ^ ins[o10 + w]) | (a ^ ins[o11 + w]);
            ulong dn = 0;
            if (w + 1 < words)
            {
                ulong an = ins[o00 + w + 1];
                dn = (an ^ ins[o01 + w + 1]) | (an ^ ins[o10 + w + 1]) | (an ^ ins[o11 + w + 1]);
            }
            // Cube x is non-trivial when its four x-rows differ at x or at x + 1, or row (z, y) changes from x to x + 1.
            ulong nontrivial = d | (d >> 1) | (dn << 63) | c.CutX[o00 + w];
            int cubesInWord = Math.Min(64, nx - 1 - (w << 6));
            if (cubesInWord <= 0) break;
            if (cubesInWord < 64) nontrivial &= (1UL << cubesInWord) - 1;
            for (; nontrivial != 0; nontrivial &= nontrivial - 1)
            {
                int x = (w << 6) + BitOperations.TrailingZeroCount(nontrivial);
                int cs = Pair(ins, o00, x) | Pair(ins, o01, x) << 2 | Pair(ins, o10, x) << 4 | Pair(ins, o11, x) << 6;
                var tri = MarchingCubesTable.Triangles[cs];
                if (tri.Length == 0) continue;
                int cut = MarchingCubesTable.CutEdges[cs];
                // x edges 0–3: rows (z, y), (z, y+1), (z+1, y), (z+1, y+1) at x.
                if ((cut & 0x1) != 0) ids[0] = pb0 + Rank(c.CutX, c.FirstX, o00, x);
                if ((cut & 0x2) != 0) ids[1] = pb0 + Rank(c.CutX, c.FirstX, o01, x);
                if ((cut & 0x4) != 0) ids[2] = pb1 + Rank(c.CutX, c.FirstX, o10, x);
                if ((cut & 0x8) != 0) ids[3] = pb1 + Rank(c.CutX, c.FirstX, o11, x);
                // y edges 4–7: rows (z, y) at x, x+1 and (z+1, y) at x, x+1.
                if ((cut & 0x10) != 0) ids[4] = pb0 + Rank(c.CutY, c.FirstY, o00, x);
                if ((cut & 0x20) != 0) ids[5] = pb0 + Rank(c.CutY, c.FirstY, o00, x + 1);
                if ((cut & 0x40) != 0) ids[6] = pb1 + Rank(c.CutY, c.FirstY, o10, x);
                if ((cut & 0x80) != 0) ids[7] = pb1 + Rank(c.CutY, c.FirstY, o10, x + 1);
                // z edges 8–11: rows (z, y) at x, x+1 and (z, y+1) at x, x+1.
                if ((cut & 0x100) != 0) ids[8] = pb0 + Rank(c.CutZ, c.FirstZ, o00, x);
                if ((cut & 0x200) != 0) ids[9] = pb0 + Rank(c.CutZ, c.FirstZ, o00, x + 1);
                if ((cut & 0x400) != 0) ids[10] = pb0 + Rank(c.CutZ, c.FirstZ, o01, x);
                if ((cut & 0x800) != 0) ids[11] = pb0 + Rank(c.CutZ, c.FirstZ, o01, x + 1);
                if (n + tri.Length > buffer.Length) Array.Resize(ref buffer, Math.Max(2 * buffer.Length, n + tri.Length));
                for (int q = 0; q < tri.Length; q++) buffer[n + q] = ids[tri[q]];
                n += tri.Length;
            }
        }
        return n;
    }
}
