using ShapeStudy.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace ShapeStudy.Learning.Segmentation;

/// <summary>
/// Tiling of <see cref="TiledInference"/>: tiles of at most <paramref name="TileZ"/> × <paramref name="TileY"/> ×
/// <paramref name="TileX"/> voxels (rounded down to the network's size multiple) overlapping by
/// <paramref name="Overlap"/> voxels (null = 2 × receptive margin + 2 × size multiple; at least 2 × the margin).
/// </summary>
public sealed record TilingOptions(int TileZ = 64, int TileY = 96, int TileX = 96, int? Overlap = null);

/// <summary>
/// Runs a <see cref="UNet3d"/> over a volume of any size in overlapping tiles and blends them. The volume (shape
/// (Z, Y, X)) is standardized by its own mean and standard deviation, mirror-padded at the high end of each axis to a
/// multiple of the network's size multiple, and cut into tiles whose origins are multiples of it (so pooling grids
/// agree between tiles). Each tile's output is weighted per axis by 0 within the receptive margin of a face where the
/// tile was cut (faces on the volume border are not cut), rising linearly to 1 over the rest of the overlap; the
/// blended value is the weighted mean. Every voxel is thus taken only from tiles that saw its whole receptive field,
/// which makes the result equal (to float rounding) to running the network on the whole padded volume at once.
/// </summary>
public static class TiledInference
{
    /// <summary>
    /// Probabilities (sigmoid of the logits) per output channel, each shape (Z, Y, X) with the input's spacing.
    /// Runs in eval mode without gradients; the caller serializes use of <paramref name="net"/>.
    /// </summary>
    public static Volume<float>[] Predict(UNet3d net, Volume<float> raw, TilingOptions tiling)
    {
        ArgumentNullException.ThrowIfNull(tiling);
        var (mean, std) = Standardization(raw.Data);
        var x = new float[raw.Length];
        for (int i = 0; i < x.Length; i++) x[i] = (float)((raw.Data[i] - mean) / std);
        return PredictStandardized(net, raw.WithData(x), tiling);
    }

    /// <summary>Mean and standard deviation (≥ 1e-6 of the mean's scale, never 0) used to standardize a volume.</summary>
    public static (double Mean, double Std) Standardization(float[] data)
    {
        double sum = 0, sq = 0;
        foreach (var v in data) sum += v;
        double mean = sum / data.Length;
        foreach (var v in data) { double d = v - mean; sq += d * d; }
        double std = Math.Sqrt(sq / data.Length);
        return (mean, std > 1e-12 ? std : 1.0);
    }

    /// <summary>As <see cref="Predict"/> for an already standardized volume.</summary>
    internal static Volume<float>[] PredictStandardized(UNet3d net, Volume<float> x, TilingOptions tiling)
    {
        var arch = net.Architecture;
        int q = arch.SizeMultiple, m = arch.ReceptiveMargin, channels = arch.OutputChannels;
        int overlap = tiling.Overlap ?? 2 * m + 2 * q;
        if (overlap < 2 * m)
            throw new ArgumentOutOfRangeException(nameof(tiling), overlap, $"tile overlap must be at least twice the receptive margin ({2 * m} voxels)");
        overlap = (overlap + q - 1) / q * q;
        int[] n = [x.NZ, x.NY, x.NX];
        int[] requested = [tiling.TileZ, tiling.TileY, tiling.TileX];
        var padded = new int[3];
        var tile = new int[3];
        var starts = new int[3][];
        for (int a = 0; a < 3; a++)
        {
            padded[a] = (n[a] + q - 1) / q * q;
            int t = requested[a] / q * q;
            if (t < q) throw new ArgumentOutOfRangeException(nameof(tiling), requested[a], $"tile size must be at least {q} voxels");
            tile[a] = Math.Min(t, padded[a]);
            if (tile[a] < padded[a] && tile[a] <= overlap)
                throw new ArgumentOutOfRangeException(nameof(tiling), requested[a],
                    $"tile size {tile[a]} must exceed the overlap {overlap} when the volume ({padded[a]} voxels padded) needs several tiles");
            starts[a] = Starts(padded[a], tile[a], tile[a] - overlap);
        }

        var acc = new double[channels][];
        for (int c = 0; c < channels; c++) acc[c] = new double[x.Length];
        var weightSum = new double[x.Length];
        var window = new float[tile[0] * tile[1] * tile[2]];
        int nyx = x.NY * x.NX;
        using var noGrad = torch.no_grad();
        net.eval();
        foreach (int sz in starts[0])
            foreach (int sy in starts[1])
                foreach (int sx in starts[2])
                {
                    int tz = tile[0], ty = tile[1], tx = tile[2];
                    var wz = AxisWeights(sz, tz, padded[0], m, overlap);
                    var wy = AxisWeights(sy, ty, padded[1], m, overlap);
                    var wx = AxisWeights(sx, tx, padded[2], m, overlap);
                    for (int k = 0, z = 0; z < tz; z++)
                    {
                        int gz = Mirror(sz + z, x.NZ);
                        for (int y = 0; y < ty; y++)
                        {
                            int gy = Mirror(sy + y, x.NY), row = gz * nyx + gy * x.NX;
                            for (int xx = 0; xx < tx; xx++, k++) window[k] = x.Data[row + Mirror(sx + xx, x.NX)];
                        }
                    }
                    float[] prob;
                    using (var scope = torch.NewDisposeScope())
                    {
                        var input = torch.tensor(window, [1, 1, tz, ty, tx]);
                        prob = torch.sigmoid(net.forward(input)).contiguous().data<float>().ToArray();
                    }
                    int tileVoxels = tz * ty * tx;
                    for (int z = 0; z < tz; z++)
                    {
                        int gz = sz + z;
                        if (gz >= x.NZ || wz[z] == 0) continue;
                        for (int y = 0; y < ty; y++)
                        {
                            int gy = sy + y;
                            if (gy >= x.NY || wy[y] == 0) continue;
                            double wzy = wz[z] * wy[y];
                            for (int xx = 0; xx < tx; xx++)
                            {
                                int gx = sx + xx;
                                if (gx >= x.NX || wx[xx] == 0) continue;
                                double w = wzy * wx[xx];
                                int g = gz * nyx + gy * x.NX + gx, local = (z * ty + y) * tx + xx;
                                weightSum[g] += w;
                                for (int c = 0; c < channels; c++) acc[c][g] += w * prob[c * tileVoxels + local];
                            }
                        }
                    }
                }
        var result = new Volume<float>[channels];
        for (int c = 0; c < channels; c++)
        {
            var p = new float[x.Length];
            for (int i = 0; i < p.Length; i++) p[i] = (float)(acc[c][i] / weightSum[i]);
            result[c] = x.WithData(p);
        }
        return result;
    }

    /// <summary>Tile origins along one axis: 0, stride, 2·stride, … with the last tile ending at the padded size.</summary>
    private static int[] Starts(int padded, int tile, int stride)
    {
        var s = new List<int>();
        for (int start = 0; ; start += stride)
        {
            s.Add(Math.Min(start, padded - tile));
            if (start + tile >= padded) break;
        }
        return s.Distinct().ToArray();
    }

    /// <summary>Blending weights along one axis of a tile starting at <paramref name="start"/>.</summary>
    private static double[] AxisWeights(int start, int tile, int padded, int margin, int overlap)
    {
        var w = new double[tile];
        bool cutLow = start > 0, cutHigh = start + tile < padded;
        double ramp = Math.Max(1, overlap - 2 * margin);
        for (int i = 0; i < tile; i++)
        {
            double d = Math.Min(cutLow ? i : double.PositiveInfinity, cutHigh ? tile - 1 - i : double.PositiveInfinity);
            w[i] = d < margin ? 0 : Math.Min(1.0, (d - margin + 1) / ramp);
        }
        return w;
    }

    /// <summary>Mirror (reflect without repeating the edge) index into 0..n−1.</summary>
    internal static int Mirror(int i, int n)
    {
        if (n == 1) return 0;
        int period = 2 * (n - 1);
        i %= period;
        if (i < 0) i += period;
        return i < n ? i : period - i;
    }
}
