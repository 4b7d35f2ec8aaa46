using System.Numerics;
using System.Runtime.InteropServices;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Binary erosion, dilation, opening and closing of a (Z, Y, X) mask (non-zero = 1) with the semantics of
/// scipy.ndimage.binary_* (one iteration, centred element, border_value = 0: voxels outside the volume are 0).
/// Erosion keeps x when every x + s (s in the element) is 1; dilation sets x when some x − s is 1.
/// Outputs hold 0/1 and keep spacing and origin.
/// </summary>
/// <remarks>
/// The element is decomposed into runs along X. A per-voxel count of consecutive ones to the right answers "is
/// the run [x + a, x + b] all ones" in O(1), so the cost is (number of runs) · voxels instead of (element size) ·
/// voxels — 13 instead of 33 for a radius-2 ball.
/// </remarks>
public static class BinaryMorphology
{
    /// <summary>Binary erosion (scipy.ndimage.binary_erosion, border_value = 0).</summary>
    public static Volume<byte> Erode(Volume<byte> mask, StructuringElement element)
        => mask.WithData(ErodeCore(mask, mask.Data, element, invertInput: false, border: false, invertOutput: false));

    /// <summary>Binary dilation (scipy.ndimage.binary_dilation, border_value = 0).</summary>
    public static Volume<byte> Dilate(Volume<byte> mask, StructuringElement element)
        // x − s hits a 1 ⇔ not (every x + s' of the reflected element is 0); outside voxels (0) count as "all 0".
        => mask.WithData(ErodeCore(mask, mask.Data, element.Reflected(), invertInput: true, border: true, invertOutput: true));

    /// <summary>Opening: dilation of the erosion (scipy.ndimage.binary_opening, border_value = 0).</summary>
    public static Volume<byte> Open(Volume<byte> mask, StructuringElement element) => Dilate(Erode(mask, element), element);

    /// <summary>Closing: erosion of the dilation (scipy.ndimage.binary_closing, border_value = 0).</summary>
    public static Volume<byte> Close(Volume<byte> mask, StructuringElement element) => Erode(Dilate(mask, element), element);

    /// <summary>Erosion, dilation, opening or closing with a ball of radius <paramref name="radiusUm"/> µm on the mask's grid.</summary>
    public static Volume<byte> Apply(Volume<byte> mask, MorphologyOperation operation, double radiusUm)
        => Apply(mask, operation, StructuringElement.Ball(radiusUm, mask.Spacing));

    /// <summary>Applies <paramref name="operation"/> with <paramref name="element"/>.</summary>
    public static Volume<byte> Apply(Volume<byte> mask, MorphologyOperation operation, StructuringElement element) => operation switch
    {
        MorphologyOperation.Erode => Erode(mask, element),
        MorphologyOperation.Dilate => Dilate(mask, element),
        MorphologyOperation.Open => Open(mask, element),
        MorphologyOperation.Close => Close(mask, element),
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "unknown morphology operation"),
    };

    private const int Unbounded = int.MaxValue / 4;

    /// <summary>
    /// out[x] = AND over element voxels s of in'[x + s], where in' = input (or its complement) and voxels outside the
    /// volume read as <paramref name="border"/>; the result is optionally complemented.
    /// </summary>
    private static byte[] ErodeCore(Volume<byte> shape, byte[] src, StructuringElement element, bool invertInput, bool border, bool invertOutput)
    {
        int nz = shape.NZ, ny = shape.NY, nx = shape.NX;
        int plane = ny * nx;
        // ones[i] = consecutive set voxels from i to the right (Unbounded when the run reaches the end and the border is 1).
        var ones = GC.AllocateUninitializedArray<int>(src.Length);
        Parallel.For(0, nz, z =>
        {
            for (int y = 0; y < ny; y++)
            {
                int row = (z * ny + y) * nx;
                int run = border ? Unbounded : 0;
                for (int x = nx - 1; x >= 0; x--)
                {
                    bool set = (src[row + x] != 0) != invertInput;
                    run = set ? run + 1 : 0;
                    ones[row + x] = run;
                }
            }
        });
        var runs = element.Runs;
        var dst = GC.AllocateUninitializedArray<byte>(src.Length);
        byte yes = invertOutput ? (byte)0 : (byte)1, no = invertOutput ? (byte)1 : (byte)0;
        int w = Vector<int>.Count;
        Parallel.For(0, nz, () => new int[nx], (z, _, ok) =>
        {
            for (int y = 0; y < ny; y++)
            {
                Array.Fill(ok, -1);
                foreach (var (dz, dy, a, b) in runs)
                {
                    int zz = z + dz, yy = y + dy;
                    if ((uint)zz >= (uint)nz || (uint)yy >= (uint)ny)
                    {
                        if (!border) { Array.Clear(ok); break; }
                        continue;
                    }
                    int row = (zz * ny + yy) * nx;
                    int need = b - a + 1;
                    // x with x + a < 0: the run starts outside the volume.
                    int x0 = Math.Min(nx, Math.Max(0, -a));
                    for (int x = 0; x < x0; x++)
                    {
                        int e = x + b;
                        bool pass = border && (e < 0 || ones[row] >= e + 1);
                        if (!pass) ok[x] = 0;
                    }
                    // x with 0 ≤ x + a < nx: ones[] already encodes the border beyond the row end.
                    int x1 = Math.Max(x0, Math.Min(nx, nx - a));
                    int xv = x0;
                    if (Vector.IsHardwareAccelerated)
                    {
                        var needV = new Vector<int>(need);
                        ref int onesRef = ref MemoryMarshal.GetArrayDataReference(ones);
                        ref int okRef = ref MemoryMarshal.GetArrayDataReference(ok);
                        for (; xv + w <= x1; xv += w)
                        {
                            var pass = Vector.GreaterThanOrEqual(Vector.LoadUnsafe(ref onesRef, (nuint)(row + xv + a)), needV);
                            (Vector.LoadUnsafe(ref okRef, (nuint)xv) & pass).StoreUnsafe(ref okRef, (nuint)xv);
                        }
                    }
                    for (int x = xv; x < x1; x++)
                        if (ones[row + x + a] < need) ok[x] = 0;
                    // x with x + a ≥ nx: the run lies entirely outside.
                    if (!border) for (int x = x1; x < nx; x++) ok[x] = 0;
                }
                int o = (z * ny + y) * nx;
                for (int x = 0; x < nx; x++) dst[o + x] = ok[x] != 0 ? yes : no;
            }
            return ok;
        }, _ => { });
        return dst;
    }
}

/// <summary>A morphological operation.</summary>
public enum MorphologyOperation
{
    /// <summary>Erosion.</summary>
    Erode,
    /// <summary>Dilation.</summary>
    Dilate,
    /// <summary>Opening (erosion then dilation).</summary>
    Open,
    /// <summary>Closing (dilation then erosion).</summary>
    Close,
}
