using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Result of <see cref="OutOfCoreWatershed.Run"/>: <paramref name="ObjectCount"/> objects after the size filter,
/// Otsu's <paramref name="Threshold"/> (intensity units), <paramref name="Basins"/> (markers before the size filter),
/// the core thickness <paramref name="SlabPlanes"/>, the number of slabs <paramref name="Slabs"/>, and the halo
/// <paramref name="HaloPlanes"/> read on each side of a slab for the distance transform, markers and flood.
/// </summary>
public sealed record OutOfCoreWatershedResult(
    int ObjectCount, double Threshold, int Basins, int SlabPlanes, int Slabs, int HaloPlanes, (int Z, int Y, int X) Shape);

/// <summary>Thrown when a foreground object is too tall in z for the halo of <see cref="OutOfCoreWatershed"/>.</summary>
public sealed class HaloTooSmallException(string message) : Exception(message);

/// <summary>
/// <see cref="WatershedSegmentation.Run"/> for a volume on disk, processed in z-slabs with halos, giving the identical
/// labels (same ids) when every foreground object fits in a slab's window.
/// </summary>
/// <remarks>
/// <list type="number">
/// <item>Foreground and its connected components (with the watershed's connectivity) come from
/// <see cref="OutOfCoreSegmentation.Run"/> (identical to the in-memory mask), spilled to a temporary int32 file.</item>
/// <item>Each slab of core planes [z0, z1) is processed in a window [z0 − halo, z1 + halo) (clamped at the volume's
/// ends): distance transform, h-maxima markers and watershed of −distance in the foreground, all in memory.</item>
/// <item>Exactness: for a voxel p of a foreground component C spanning planes [a, b], the column through p leaves
/// C within [a − 1, b + 1] at a background voxel (or the volume's end), so the nearest background lies at most that far
/// in z and the window's distances on C are exact when the window holds [a − 1, b + 1]. The flood cannot cross the
/// background, so C's basins depend only on C's distances and markers. The method therefore requires every component that
/// reaches a core to stay off the window's cut planes (first/last window plane where the window does not end at the
/// volume's end); otherwise it throws <see cref="HaloTooSmallException"/> naming the slab and the halo.</item>
/// <item>Ids: a basin is keyed by the global raster index of its marker's first voxel; keys are numbered in increasing
/// order, exactly as the in-memory markers are, and the size filter keeps that order.</item>
/// </list>
/// Second assumption (not checked): with skimage's h_maxima semantics a component whose distance maximum is below h
/// gets a marker only when the background around it is not connected, through the background, to an object at least
/// h deep, which is a property of the whole volume. A window decides it the same way when its background around such
/// components reaches an object at least h deep inside the window (or, equally, none exists globally); in practice
/// (a connected background, windows holding deep objects) this holds. Memory: about
/// <see cref="BytesPerWindowVoxel"/> bytes per window voxel plus the per-basin tables. Disk: the
/// labels (4 bytes per voxel) plus two temporary int32 files of the same size.
/// </remarks>
public static class OutOfCoreWatershed
{
    /// <summary>Bytes per voxel of a window during the distance transform, h-maxima and flood.</summary>
    public const int BytesPerWindowVoxel = 48;

    /// <summary>
    /// Segments the .npy, MRC or TIFF volume <paramref name="input"/> and writes int32 labels (Z, Y, X) to the .npy file
    /// <paramref name="outputLabels"/>. Windows hold as many planes as <paramref name="memoryBudgetBytes"/> allows;
    /// <paramref name="haloPlanes"/> (default: a third of the window) planes on each side are context, the rest core.
    /// <paramref name="spacingOverride"/> (µm) wins over the file's voxel size.
    /// </summary>
    /// <exception cref="HaloTooSmallException">A foreground object reaching a core also reaches the window's cut edge.</exception>
    public static OutOfCoreWatershedResult Run(string input, string outputLabels, WatershedSegmentationOptions options, long memoryBudgetBytes,
        int? haloPlanes = null, Spacing? spacingOverride = null)
    {
        options.Validated();
        if (memoryBudgetBytes <= 0) throw new ArgumentOutOfRangeException(nameof(memoryBudgetBytes), memoryBudgetBytes, "memory budget must be > 0 bytes");
        string componentsPath = outputLabels + ".components.tmp.npy";
        string basinsPath = outputLabels + ".basins.tmp";
        try
        {
            var classical = new ClassicalSegmentationOptions(options.SigmaUm, options.Foreground, options.Connectivity, 0);
            var fg = OutOfCoreSegmentation.Run(input, componentsPath, classical, memoryBudgetBytes, spacingOverride);
            if (fg.ObjectCount >= 1 << 24) throw new ArgumentException($"{input}: {fg.ObjectCount} foreground components exceed the float32-exact range of the component spill");
            Spacing inputSpacing;
            using (var source = ChunkedVolume.Open(input, spacingOverride)) inputSpacing = source.Spacing;
            using var components = ChunkedVolume.Open(componentsPath, inputSpacing);
            int nz = components.NZ, ny = components.NY, nx = components.NX;
            int plane = ny * nx;
            var spacing = components.Spacing;

            long windowPlanes = Math.Min(memoryBudgetBytes / ((long)plane * BytesPerWindowVoxel), Array.MaxLength / plane);
            int halo = haloPlanes ?? (int)Math.Max(1, (windowPlanes - 1) / 3);
            if (halo < 1) throw new ArgumentOutOfRangeException(nameof(haloPlanes), halo, "halo must be ≥ 1 plane");
            int core = (int)Math.Clamp(windowPlanes - 2L * halo, 1, nz);
            int slabs = (nz + core - 1) / core;
            double h = options.HUm ?? Math.Min(spacing.Z, Math.Min(spacing.Y, spacing.X));

            // Pass 1: per slab, window-local basin ids of the core voxels spilled to disk, and per basin its key.
            var keysPerSlab = new long[slabs][];
            var voxelsPerKey = new Dictionary<long, long>();
            using (var spill = new FileStream(basinsPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                for (int s = 0; s < slabs; s++)
                {
                    int z0 = s * core, z1 = Math.Min(nz, z0 + core);
                    int r0 = Math.Max(0, z0 - halo), r1 = Math.Min(nz, z1 + halo);
                    var labelsF = components.ReadSlab(r0, r1).Data;
                    var mask = new byte[labelsF.Length];
                    for (int i = 0; i < mask.Length; i++) mask[i] = (byte)(labelsF[i] != 0 ? 1 : 0);
                    CheckContained(labelsF, z0 - r0, z1 - r0, r1 - r0, plane, cutBelow: r0 > 0, cutAbove: r1 < nz, input, s, halo);

                    int wz = r1 - r0;
                    var maskVolume = new Volume<byte>(wz, ny, nx, spacing, mask);
                    var distance = DistanceTransform.Euclidean(maskVolume);
                    var (markers, count) = HMaxima.Markers(distance, h, options.Connectivity);
                    var d = distance.Data;
                    var negated = GC.AllocateUninitializedArray<float>(d.Length);
                    for (int i = 0; i < d.Length; i++) negated[i] = -d[i];
                    var basins = Watershed.Run(distance.WithData(negated), markers, maskVolume, options.Connectivity, options.Compactness).Data;

                    var keys = new long[count + 1];
                    var m = markers.Data;
                    for (int i = 0; i < m.Length; i++)
                        if (m[i] != 0 && keys[m[i]] == 0) keys[m[i]] = (long)r0 * plane + i + 1;   // +1: 0 means unset
                    var counts = new long[count + 1];
                    int start = (z0 - r0) * plane, length = (z1 - z0) * plane;
                    var own = basins.AsSpan(start, length);
                    foreach (int l in own) counts[l]++;
                    for (int l = 1; l <= count; l++)
                        if (counts[l] > 0)
                            voxelsPerKey[keys[l]] = voxelsPerKey.GetValueOrDefault(keys[l]) + counts[l];
                    keysPerSlab[s] = keys;
                    spill.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(own));
                    // Return a large window's arrays before the next is allocated, keeping the peak near one window.
                    if ((long)wz * plane * BytesPerWindowVoxel >= 64L << 20) GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                }
            }

            // Ids in increasing key order (the in-memory marker order), then the size filter.
            var sorted = new long[voxelsPerKey.Count];
            voxelsPerKey.Keys.CopyTo(sorted, 0);
            Array.Sort(sorted);
            int minVoxels = ClassicalSegmentation.MinVoxels(options.MinVolumeUm3, spacing);
            var finalOfKey = new Dictionary<long, int>(sorted.Length);
            int objects = 0;
            foreach (long key in sorted)
                finalOfKey[key] = minVoxels <= 1 || voxelsPerKey[key] >= minVoxels ? ++objects : 0;

            // Pass 2: final ids, slab by slab.
            using (var spill = new FileStream(basinsPath, FileMode.Open, FileAccess.Read, FileShare.None, 1 << 20, FileOptions.DeleteOnClose))
            using (var writer = new ChunkedLabelWriter(outputLabels, nz, ny, nx))
            {
                for (int s = 0; s < slabs; s++)
                {
                    int z0 = s * core, z1 = Math.Min(nz, z0 + core);
                    var own = new int[(z1 - z0) * plane];
                    spill.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(own.AsSpan()));
                    var keys = keysPerSlab[s];
                    var map = new int[keys.Length];
                    for (int l = 1; l < keys.Length; l++) map[l] = finalOfKey.GetValueOrDefault(keys[l]);
                    for (int i = 0; i < own.Length; i++) own[i] = map[own[i]];
                    writer.Append(own);
                }
                writer.Complete();
            }
            return new OutOfCoreWatershedResult(objects, fg.Threshold, sorted.Length, core, slabs, halo, (nz, ny, nx));
        }
        finally
        {
            if (File.Exists(componentsPath)) File.Delete(componentsPath);
            if (File.Exists(basinsPath)) File.Delete(basinsPath);
        }
    }

    /// <summary>Throws when a component present in the core planes [c0, c1) also occupies a cut window edge plane.</summary>
    private static void CheckContained(float[] labels, int c0, int c1, int windowPlanes, int plane, bool cutBelow, bool cutAbove, string input, int slab, int halo)
    {
        if (!cutBelow && !cutAbove) return;
        var inCore = new HashSet<float>();
        for (int i = c0 * plane; i < c1 * plane; i++)
            if (labels[i] != 0) inCore.Add(labels[i]);
        void Edge(int z, string side)
        {
            for (int i = z * plane; i < (z + 1) * plane; i++)
                if (labels[i] != 0 && inCore.Contains(labels[i]))
                    throw new HaloTooSmallException($"{input}: slab {slab}: foreground object {labels[i]} reaches the {side} edge of its window (halo {halo} planes); objects must span fewer z planes than the halo — raise the halo or the memory budget");
        }
        if (cutBelow) Edge(0, "lower");
        if (cutAbove) Edge(windowPlanes - 1, "upper");
    }
}
