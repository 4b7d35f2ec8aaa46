using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>How <see cref="LocalThreshold"/> averages the neighbourhood.</summary>
public enum LocalThresholdMethod
{
    /// <summary>Gaussian-weighted mean with σ = (block − 1) / 6 voxels per axis, truncated at 4σ.</summary>
    Gaussian,
    /// <summary>Arithmetic mean over the block (box filter).</summary>
    Mean,
}

/// <summary>
/// Adaptive threshold with the semantics of skimage.filters.threshold_local (0.19) on a float32 volume with
/// mode='reflect': the threshold of each voxel is the (Gaussian-weighted or plain) mean of its block_size³
/// neighbourhood minus <c>offset</c>; foreground is value &gt; threshold.
/// </summary>
/// <remarks>
/// As scipy.ndimage does for float32 data, the 1-D passes run along Z, Y, X in float64 and each pass is stored as
/// float32; Gaussian lines sum the symmetric pairs from the outermost tap inwards and the box filter uses scipy's
/// running sum, so values agree with skimage to float32 rounding. Borders are mirrored about the edge
/// (d c b a | a b c d | d c b a).
/// </remarks>
public static class LocalThreshold
{
    /// <summary>
    /// Threshold volume (same shape (Z, Y, X), spacing and origin, intensity units) for an odd
    /// <paramref name="blockSize"/> in voxels along every axis.
    /// </summary>
    public static Volume<float> Compute(Volume<float> image, int blockSize, LocalThresholdMethod method = LocalThresholdMethod.Gaussian, double offset = 0)
        => Compute(image, (blockSize, blockSize, blockSize), method, offset);

    /// <summary>Threshold volume for odd block sizes in voxels per axis (Z, Y, X), e.g. for anisotropic grids.</summary>
    public static Volume<float> Compute(Volume<float> image, (int Z, int Y, int X) blockSize, LocalThresholdMethod method = LocalThresholdMethod.Gaussian, double offset = 0)
    {
        int[] blocks = [blockSize.Z, blockSize.Y, blockSize.X];
        foreach (int b in blocks)
            if (b < 1 || b % 2 == 0) throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "block sizes must be odd and ≥ 1 voxels");
        if (!double.IsFinite(offset)) throw new ArgumentOutOfRangeException(nameof(offset), offset, "offset must be finite");

        var current = image.Data;
        var buffer = (float[])current.Clone();
        for (int axis = 0; axis < 3; axis++)
        {
            int b = blocks[axis];
            if (method == LocalThresholdMethod.Gaussian)
            {
                double sigma = (b - 1) / 6.0;
                if (sigma <= 1e-15) continue;
                var w = Gaussian.Kernel(sigma, 4.0);
                FilterAxis(buffer, image.NZ, image.NY, image.NX, axis, w.Length / 2, w.Length / 2,
                    (line, r, output) => GaussianLine(line, r, output, w));
            }
            else
            {
                int size1 = b / 2, size2 = b - size1 - 1;
                FilterAxis(buffer, image.NZ, image.NY, image.NX, axis, size1, size2,
                    (line, r, output) => BoxLine(line, r, output, b));
            }
        }
        float off = (float)offset;
        for (int i = 0; i < buffer.Length; i++) buffer[i] -= off;
        return image.WithData(buffer);
    }

    private delegate void LineFilter(double[] extended, int leftPad, double[] output);

    /// <summary>
    /// Filters every line along <paramref name="axis"/> in place (float64 work, float32 storage). Lines along Z are
    /// processed per (Z, X) slab of one y and lines along Y per plane, so the strided reads stay in cache.
    /// </summary>
    private static void FilterAxis(float[] data, int nz, int ny, int nx, int axis, int leftPad, int rightPad, LineFilter filter)
    {
        int n = axis switch { 0 => nz, 1 => ny, _ => nx };
        int plane = ny * nx;
        var map = new int[n + leftPad + rightPad];
        for (int i = -leftPad; i < n + rightPad; i++) map[i + leftPad] = Reflect(i, n);
        int outer = axis switch { 0 => ny, 1 => nz, _ => nz * ny };
        Parallel.For(0, outer, () => (new double[map.Length], new double[n], axis == 0 ? new float[nz * nx] : []), (o, _, buffers) =>
        {
            var (extended, output, slab) = buffers;
            switch (axis)
            {
                case 2:
                {
                    var row = data.AsSpan(o * nx, nx);
                    for (int i = 0; i < map.Length; i++) extended[i] = row[map[i]];
                    filter(extended, leftPad, output);
                    for (int i = 0; i < n; i++) row[i] = (float)output[i];
                    break;
                }
                case 1:
                {
                    var p = data.AsSpan(o * plane, plane);
                    for (int x = 0; x < nx; x++)
                    {
                        for (int i = 0; i < map.Length; i++) extended[i] = p[map[i] * nx + x];
                        filter(extended, leftPad, output);
                        for (int i = 0; i < n; i++) p[i * nx + x] = (float)output[i];
                    }
                    break;
                }
                default:
                {
                    for (int z = 0; z < nz; z++) data.AsSpan(z * plane + o * nx, nx).CopyTo(slab.AsSpan(z * nx, nx));
                    for (int x = 0; x < nx; x++)
                    {
                        for (int i = 0; i < map.Length; i++) extended[i] = slab[map[i] * nx + x];
                        filter(extended, leftPad, output);
                        for (int i = 0; i < n; i++) slab[i * nx + x] = (float)output[i];
                    }
                    for (int z = 0; z < nz; z++) slab.AsSpan(z * nx, nx).CopyTo(data.AsSpan(z * plane + o * nx, nx));
                    break;
                }
            }
            return buffers;
        }, _ => { });
    }

    /// <summary>scipy's 'reflect' boundary: index i of the extended line maps into [0, n) mirrored about the edges.</summary>
    private static int Reflect(int i, int n)
    {
        int period = 2 * n;
        int m = i % period;
        if (m < 0) m += period;
        return m < n ? m : period - 1 - m;
    }

    private static void GaussianLine(double[] extended, int r, double[] output, double[] w)
    {
        for (int i = 0; i < output.Length; i++)
        {
            int c = i + r;
            double acc = extended[c] * w[r];
            for (int j = r; j >= 1; j--) acc += (extended[c - j] + extended[c + j]) * w[r - j];
            output[i] = acc;
        }
    }

    private static void BoxLine(double[] extended, int size1, double[] output, int size)
    {
        double tmp = 0;
        for (int k = 0; k < size; k++) tmp += extended[k];
        tmp /= size;
        output[0] = tmp;
        for (int i = 1; i < output.Length; i++)
        {
            tmp += (extended[i - 1 + size] - extended[i - 1]) / size;
            output[i] = tmp;
        }
    }
}
