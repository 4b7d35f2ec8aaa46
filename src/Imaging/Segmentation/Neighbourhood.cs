namespace ShapeStudy.Imaging;

/// <summary>3D neighbourhoods: 6, 18 or 26 neighbours (scipy/skimage connectivity 1, 2, 3).</summary>
internal static class Neighbourhood
{
    /// <summary>Throws unless <paramref name="connectivity"/> is 6, 18 or 26.</summary>
    public static void Validate(int connectivity)
    {
        if (connectivity is not (6 or 18 or 26))
            throw new ArgumentOutOfRangeException(nameof(connectivity), connectivity, "connectivity must be 6, 18 or 26 (skimage connectivity 1, 2, 3)");
    }

    /// <summary>
    /// Neighbour offsets (dz, dy, dx) in the order skimage.segmentation.watershed visits them (its offsets sorted by
    /// distance with numpy's default argsort, whose order among equal distances is fixed for a 3×3×3 footprint).
    /// The visiting order decides which basin wins a tie, so it is reproduced exactly.
    /// </summary>
    public static (int Dz, int Dy, int Dx)[] WatershedOrder(int connectivity) => connectivity switch
    {
        6 => [(-1, 0, 0), (0, -1, 0), (0, 0, -1), (0, 0, 1), (0, 1, 0), (1, 0, 0)],
        18 => [(1, 0, 0), (-1, 0, 0), (0, -1, 0), (0, 1, 0), (0, 0, -1), (0, 0, 1), (1, 0, -1), (1, -1, 0), (0, 1, 1),
               (0, 1, -1), (-1, -1, 0), (0, -1, 1), (0, -1, -1), (-1, 1, 0), (-1, 0, 1), (-1, 0, -1), (1, 0, 1), (1, 1, 0)],
        26 => [(0, 1, 0), (-1, 0, 0), (0, 0, 1), (0, 0, -1), (1, 0, 0), (0, -1, 0), (0, 1, 1), (0, 1, -1), (1, 1, 0),
               (0, -1, 1), (0, -1, -1), (-1, 1, 0), (1, 0, 1), (-1, 0, 1), (-1, 0, -1), (-1, -1, 0), (1, 0, -1), (1, -1, 0),
               (1, 1, -1), (-1, -1, -1), (1, -1, -1), (-1, 1, 1), (-1, 1, -1), (-1, -1, 1), (1, -1, 1), (1, 1, 1)],
        _ => throw new ArgumentOutOfRangeException(nameof(connectivity), connectivity, "connectivity must be 6, 18 or 26 (skimage connectivity 1, 2, 3)"),
    };

    /// <summary>Neighbour offsets that precede the centre in C (raster) order.</summary>
    public static (int Dz, int Dy, int Dx)[] Earlier(int connectivity)
    {
        var all = WatershedOrder(connectivity);
        var list = new List<(int, int, int)>();
        foreach (var o in all)
            if (o.Dz < 0 || (o.Dz == 0 && (o.Dy < 0 || (o.Dy == 0 && o.Dx < 0)))) list.Add(o);
        return list.ToArray();
    }

    /// <summary>Neighbour offsets that follow the centre in C (raster) order.</summary>
    public static (int Dz, int Dy, int Dx)[] Later(int connectivity)
    {
        var earlier = Earlier(connectivity);
        var list = new (int, int, int)[earlier.Length];
        for (int i = 0; i < earlier.Length; i++) list[i] = (-earlier[i].Dz, -earlier[i].Dy, -earlier[i].Dx);
        return list;
    }
}
