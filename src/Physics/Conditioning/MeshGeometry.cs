namespace ShapeStudy.Physics.Conditioning;

/// <summary>Small geometric kernels on flat (x, y, z) coordinate arrays (µm) shared by the conditioning passes.</summary>
internal static class MeshGeometry
{
    /// <summary>Undirected edge key with the smaller vertex index in the high 32 bits.</summary>
    public static long EdgeKey(int a, int b) => a < b ? ((long)a << 32) | (uint)b : ((long)b << 32) | (uint)a;

    public static (int A, int B) FromKey(long key) => ((int)(key >> 32), (int)(key & 0xffffffff));

    /// <summary>Unnormalised normal (twice the area vector) of triangle (a, b, c) given vertex indices.</summary>
    public static (double X, double Y, double Z) Normal(double[] p, int a, int b, int c)
    {
        a *= 3; b *= 3; c *= 3;
        double ux = p[b] - p[a], uy = p[b + 1] - p[a + 1], uz = p[b + 2] - p[a + 2];
        double vx = p[c] - p[a], vy = p[c + 1] - p[a + 1], vz = p[c + 2] - p[a + 2];
        return (uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx);
    }

    /// <summary>Unnormalised normal of the triangle with explicit corner coordinates.</summary>
    public static (double X, double Y, double Z) Normal(
        double ax, double ay, double az, double bx, double by, double bz, double cx, double cy, double cz)
    {
        double ux = bx - ax, uy = by - ay, uz = bz - az, vx = cx - ax, vy = cy - ay, vz = cz - az;
        return (uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx);
    }

    public static double Dist2(double[] p, int a, int b)
    {
        a *= 3; b *= 3;
        double dx = p[a] - p[b], dy = p[a + 1] - p[b + 1], dz = p[a + 2] - p[b + 2];
        return dx * dx + dy * dy + dz * dz;
    }

    /// <summary>Smallest interior angle (degrees) of the triangle with the given corners; 0 when degenerate.</summary>
    public static double MinAngleDeg(double ax, double ay, double az, double bx, double by, double bz, double cx, double cy, double cz)
    {
        double ab = Len(bx - ax, by - ay, bz - az), bc = Len(cx - bx, cy - by, cz - bz), ca = Len(ax - cx, ay - cy, az - cz);
        if (ab <= 0 || bc <= 0 || ca <= 0) return 0;
        // The smallest angle is opposite the shortest side.
        double s = Math.Min(ab, Math.Min(bc, ca));
        double p, q;
        if (s == ab) { p = bc; q = ca; } else if (s == bc) { p = ab; q = ca; } else { p = ab; q = bc; }
        double cos = Math.Clamp((p * p + q * q - s * s) / (2 * p * q), -1, 1);
        return Math.Acos(cos) * (180 / Math.PI);
    }

    public static double MinAngleDeg(double[] p, int a, int b, int c)
    {
        a *= 3; b *= 3; c *= 3;
        return MinAngleDeg(p[a], p[a + 1], p[a + 2], p[b], p[b + 1], p[b + 2], p[c], p[c + 1], p[c + 2]);
    }

    public static double Len(double x, double y, double z) => Math.Sqrt(x * x + y * y + z * z);

    /// <summary>Area-weighted unit vertex normals of a triangle mesh (zero for unreferenced vertices).</summary>
    public static double[] VertexNormals(double[] p, int[] t)
    {
        var n = new double[p.Length];
        for (int i = 0; i < t.Length; i += 3)
        {
            if (t[i] < 0) continue;
            var (x, y, z) = Normal(p, t[i], t[i + 1], t[i + 2]);
            for (int k = 0; k < 3; k++)
            {
                int v = 3 * t[i + k];
                n[v] += x; n[v + 1] += y; n[v + 2] += z;
            }
        }
        for (int v = 0; v < n.Length; v += 3)
        {
            double l = Len(n[v], n[v + 1], n[v + 2]);
            if (l > 0) { n[v] /= l; n[v + 1] /= l; n[v + 2] /= l; }
        }
        return n;
    }

    /// <summary>Signed volume (µm³) and area (µm²) of the triangles of <paramref name="t"/> (entries &lt; 0 mark removed triangles).</summary>
    public static (double Volume, double Area) VolumeArea(double[] p, int[] t)
    {
        double vol = 0, area = 0;
        for (int i = 0; i < t.Length; i += 3)
        {
            if (t[i] < 0) continue;
            int a = 3 * t[i], b = 3 * t[i + 1], c = 3 * t[i + 2];
            vol += p[a] * (p[b + 1] * p[c + 2] - p[b + 2] * p[c + 1])
                 - p[a + 1] * (p[b] * p[c + 2] - p[b + 2] * p[c])
                 + p[a + 2] * (p[b] * p[c + 1] - p[b + 1] * p[c]);
            var (x, y, z) = Normal(p, t[i], t[i + 1], t[i + 2]);
            area += 0.5 * Len(x, y, z);
        }
        return (vol / 6, area);
    }

    /// <summary>
    /// Vertex neighbour lists in compressed form: the neighbours of v are <c>nbr[start[v] .. start[v + 1])</c>, sorted, unique.
    /// </summary>
    public static (int[] Start, int[] Nbr) VertexNeighbours(int vertexCount, int[] t)
    {
        var count = new int[vertexCount + 1];
        for (int i = 0; i < t.Length; i += 3)
            for (int k = 0; k < 3; k++) { count[t[i + k]] += 2; }
        var start = new int[vertexCount + 1];
        for (int v = 0; v < vertexCount; v++) start[v + 1] = start[v] + count[v];
        var fill = (int[])start.Clone();
        var raw = new int[start[vertexCount]];
        for (int i = 0; i < t.Length; i += 3)
            for (int k = 0; k < 3; k++)
            {
                int v = t[i + k];
                raw[fill[v]++] = t[i + (k + 1) % 3];
                raw[fill[v]++] = t[i + (k + 2) % 3];
            }
        // Sort and de-duplicate each list in place, then compact.
        var outStart = new int[vertexCount + 1];
        int w = 0;
        for (int v = 0; v < vertexCount; v++)
        {
            int s = start[v], e = start[v + 1];
            Array.Sort(raw, s, e - s);
            outStart[v] = w;
            for (int i = s; i < e; i++)
                if (i == s || raw[i] != raw[i - 1]) raw[w++] = raw[i];
        }
        outStart[vertexCount] = w;
        Array.Resize(ref raw, w);
        return (outStart, raw);
    }

    /// <summary>Copies the live triangles (first index ≥ 0) and the vertices they use into a compact mesh.</summary>
    public static Core.TriangleMesh Compact(double[] p, int vertexCount, int[] t)
    {
        var map = new int[vertexCount];
        Array.Fill(map, -1);
        int nv = 0, nt = 0;
        for (int i = 0; i < t.Length; i += 3)
        {
            if (t[i] < 0) continue;
            nt++;
            for (int k = 0; k < 3; k++) if (map[t[i + k]] < 0) map[t[i + k]] = nv++;
        }
        var verts = new double[3 * nv];
        for (int v = 0; v < vertexCount; v++)
        {
            int m = map[v];
            if (m < 0) continue;
            verts[3 * m] = p[3 * v]; verts[3 * m + 1] = p[3 * v + 1]; verts[3 * m + 2] = p[3 * v + 2];
        }
        var tris = new int[3 * nt];
        int j = 0;
        for (int i = 0; i < t.Length; i += 3)
        {
            if (t[i] < 0) continue;
            tris[j++] = map[t[i]]; tris[j++] = map[t[i + 1]]; tris[j++] = map[t[i + 2]];
        }
        return new Core.TriangleMesh(verts, tris);
    }
}
