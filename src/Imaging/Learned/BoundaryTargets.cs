using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>What label 0 means in a dense ground-truth volume.</summary>
public enum ZeroLabel
{
    /// <summary>Label 0 marks membrane/boundary voxels between objects (e.g. the gala FIB-SEM ground truth).</summary>
    Boundary,
    /// <summary>Label 0 is background outside every object (e.g. the PlantSeg ovule ground truth).</summary>
    Background,
}

/// <summary>Per-voxel training targets derived from a dense instance label volume (shape (Z, Y, X)).</summary>
/// <param name="Boundary">1 where the voxel is a boundary voxel, else 0.</param>
/// <param name="Foreground">1 inside an object (label ≠ 0), else 0; null when label 0 means boundary.</param>
/// <param name="BoundaryFraction">Fraction of voxels that are boundary.</param>
public sealed record BoundaryTarget(Volume<byte> Boundary, Volume<byte>? Foreground, double BoundaryFraction);

/// <summary>
/// Boundary targets from dense instance labels: a voxel is boundary when one of its 6 face neighbours carries a
/// different label (object–object and object–background interfaces alike), and, when label 0 means membrane
/// (<see cref="ZeroLabel.Boundary"/>), every label-0 voxel too. With <see cref="ZeroLabel.Background"/> a foreground
/// mask (label ≠ 0) is returned as a second target.
/// </summary>
public static class BoundaryTargets
{
    /// <summary>Derives the targets of <paramref name="labels"/>.</summary>
    public static BoundaryTarget FromLabels(Volume<int> labels, ZeroLabel zero)
    {
        int nz = labels.NZ, ny = labels.NY, nx = labels.NX, plane = ny * nx;
        var l = labels.Data;
        var b = new byte[l.Length];
        long count = 0;
        for (int z = 0; z < nz; z++)
            for (int y = 0; y < ny; y++)
                for (int x = 0; x < nx; x++)
                {
                    int i = z * plane + y * nx + x, v = l[i];
                    bool edge = zero == ZeroLabel.Boundary && v == 0
                        || x > 0 && l[i - 1] != v || x + 1 < nx && l[i + 1] != v
                        || y > 0 && l[i - nx] != v || y + 1 < ny && l[i + nx] != v
                        || z > 0 && l[i - plane] != v || z + 1 < nz && l[i + plane] != v;
                    if (edge) { b[i] = 1; count++; }
                }
        Volume<byte>? foreground = null;
        if (zero == ZeroLabel.Background)
            foreground = new Volume<byte>(nz, ny, nx, labels.Spacing, Array.ConvertAll(l, v => v != 0 ? (byte)1 : (byte)0), labels.Origin);
        return new BoundaryTarget(new Volume<byte>(nz, ny, nx, labels.Spacing, b, labels.Origin), foreground, (double)count / l.Length);
    }

    /// <summary>
    /// Sparse-annotation form of the targets for the random-forest pixel classifier: 1 = boundary, 2 = object interior,
    /// and with a foreground mask 3 = background (background voxels on an interface stay boundary).
    /// </summary>
    public static Volume<int> AsAnnotation(BoundaryTarget target)
    {
        var b = target.Boundary.Data;
        var f = target.Foreground?.Data;
        var a = new int[b.Length];
        for (int i = 0; i < a.Length; i++)
            a[i] = b[i] == 1 ? 1 : f is not null && f[i] == 0 ? 3 : 2;
        return target.Boundary.WithData(a);
    }
}
