using ShapeStudy.Core;

namespace ShapeStudy.Physics.Conditioning;

/// <summary>Surface smoothing: Taubin λ|μ, bilateral normal filtering (feature preserving) and exact volume restoration.</summary>
public static class MeshSmoothing
{
    /// <summary>
    /// Taubin λ|μ smoothing (Taubin 1995): each iteration applies the uniform umbrella Laplacian twice, once with a
    /// positive factor <paramref name="lambda"/> (shrinks) and once with a negative <paramref name="mu"/> (inflates), a
    /// low-pass filter that keeps the volume in practice. Requires |μ| &gt; λ &gt; 0; the defaults pass-band is
    /// k_pb = 1/λ + 1/μ ≈ 0.11. Connectivity is unchanged.
    /// </summary>
    public static TriangleMesh Taubin(TriangleMesh mesh, int iterations, double lambda = 0.5, double mu = -0.53)
    {
        if (!(lambda > 0) || !(mu < -lambda)) throw new ArgumentException($"Taubin smoothing needs |mu| > lambda > 0 (got lambda={lambda}, mu={mu})");
        if (iterations < 0) throw new ArgumentOutOfRangeException(nameof(iterations), "iterations must be ≥ 0");
        int nv = mesh.VertexCount;
        var (start, nbr) = MeshGeometry.VertexNeighbours(nv, mesh.Triangles);
        var x = (double[])mesh.Vertices.Clone();
        var tmp = new double[x.Length];
        for (int it = 0; it < iterations; it++)
        {
            UmbrellaStep(x, tmp, start, nbr, lambda);
            UmbrellaStep(tmp, x, start, nbr, mu);
        }
        return new TriangleMesh(x, (int[])mesh.Triangles.Clone());
    }

    /// <summary>dst = src + factor · (mean of neighbours − src), per vertex.</summary>
    private static void UmbrellaStep(double[] src, double[] dst, int[] start, int[] nbr, double factor)
    {
        int nv = start.Length - 1;
        Parallel.For(0, (nv + 4095) / 4096, block =>
        {
            int end = Math.Min(nv, (block + 1) * 4096);
            for (int v = block * 4096; v < end; v++)
            {
                int s = start[v], e = start[v + 1];
                int o = 3 * v;
                if (e == s) { dst[o] = src[o]; dst[o + 1] = src[o + 1]; dst[o + 2] = src[o + 2]; continue; }
                double mx = 0, my = 0, mz = 0;
                for (int i = s; i < e; i++) { int w = 3 * nbr[i]; mx += src[w]; my += src[w + 1]; mz += src[w + 2]; }
                double inv = 1.0 / (e - s);
                dst[o] = src[o] + factor * (mx * inv - src[o]);
                dst[o + 1] = src[o + 1] + factor * (my * inv - src[o + 1]);
                dst[o + 2] = src[o + 2] + factor * (mz * inv - src[o + 2]);
            }
        });
    }

    /// <summary>
    /// Feature-preserving smoothing by bilateral normal filtering (Zheng et al. 2011): face normals are averaged over
    /// faces sharing a vertex with weights area · exp(−d²/2σc²) · exp(−|Δn|²/2σs²), where d is the centroid distance
    /// (σc = mean edge length) and |Δn| the normal difference (σs =
    /// <paramref name="normalSigma"/>), so faces across a sharp crease barely influence each other. Vertices are then
    /// moved to fit the filtered normals (Sun et al. 2007 update). One iteration = one normal filtering pass followed by
    /// <paramref name="vertexUpdates"/> vertex updates. Connectivity is unchanged.
    /// </summary>
    public static TriangleMesh FeaturePreserving(TriangleMesh mesh, int iterations, double normalSigma = 0.35, int vertexUpdates = 10)
    {
        if (iterations < 0) throw new ArgumentOutOfRangeException(nameof(iterations), "iterations must be ≥ 0");
        if (!(normalSigma > 0)) throw new ArgumentOutOfRangeException(nameof(normalSigma), "normalSigma must be > 0");
        var t = mesh.Triangles;
        int m = mesh.TriangleCount, nv = mesh.VertexCount;
        var x = (double[])mesh.Vertices.Clone();
        // Face neighbourhoods: faces sharing a vertex (CSR via vertex → faces).
        var vfStart = new int[nv + 1];
        foreach (int v in t) vfStart[v + 1]++;
        for (int v = 0; v < nv; v++) vfStart[v + 1] += vfStart[v];
        var vf = new int[t.Length];
        var fill = (int[])vfStart.Clone();
        for (int i = 0; i < t.Length; i++) vf[fill[t[i]]++] = i / 3;
        var normal = new double[3 * m];
        var centre = new double[3 * m];
        var area = new double[m];
        var filtered = new double[3 * m];
        for (int it = 0; it < iterations; it++)
        {
            FaceGeometry(x, t, normal, centre, area);
            double sigmaC = MeanEdgeLength(x, t);
            double invC = 1 / (2 * sigmaC * sigmaC), invS = 1 / (2 * normalSigma * normalSigma);
            Parallel.For(0, m, f =>
            {
                double nx = 0, ny = 0, nz = 0;
                double fx = normal[3 * f], fy = normal[3 * f + 1], fz = normal[3 * f + 2];
                double cx = centre[3 * f], cy = centre[3 * f + 1], cz = centre[3 * f + 2];
                for (int k = 0; k < 3; k++)
                {
                    int v = t[3 * f + k];
                    for (int i = vfStart[v]; i < vfStart[v + 1]; i++)
                    {
                        int g = vf[i];
                        // A face sharing two corners with f is visited twice; that doubles the weight of edge neighbours, as intended.
                        double dx = centre[3 * g] - cx, dy = centre[3 * g + 1] - cy, dz = centre[3 * g + 2] - cz;
                        double ex = normal[3 * g] - fx, ey = normal[3 * g + 1] - fy, ez = normal[3 * g + 2] - fz;
                        double w = area[g] * Math.Exp(-(dx * dx + dy * dy + dz * dz) * invC - (ex * ex + ey * ey + ez * ez) * invS);
                        nx += w * normal[3 * g]; ny += w * normal[3 * g + 1]; nz += w * normal[3 * g + 2];
                    }
                }
                double l = MeshGeometry.Len(nx, ny, nz);
                if (l > 0) { filtered[3 * f] = nx / l; filtered[3 * f + 1] = ny / l; filtered[3 * f + 2] = nz / l; }
                else { filtered[3 * f] = fx; filtered[3 * f + 1] = fy; filtered[3 * f + 2] = fz; }
            });
            var next = new double[x.Length];
            for (int u = 0; u < vertexUpdates; u++)
            {
                FaceGeometry(x, t, normal, centre, area);
                Parallel.For(0, nv, v =>
                {
                    int s = vfStart[v], e = vfStart[v + 1];
                    int o = 3 * v;
                    double dx = 0, dy = 0, dz = 0;
                    for (int i = s; i < e; i++)
                    {
                        int f = vf[i];
                        double ax = filtered[3 * f], ay = filtered[3 * f + 1], az = filtered[3 * f + 2];
                        double d = ax * (centre[3 * f] - x[o]) + ay * (centre[3 * f + 1] - x[o + 1]) + az * (centre[3 * f + 2] - x[o + 2]);
                        dx += ax * d; dy += ay * d; dz += az * d;
                    }
                    double inv = e > s ? 1.0 / (e - s) : 0;
                    next[o] = x[o] + dx * inv; next[o + 1] = x[o + 1] + dy * inv; next[o + 2] = x[o + 2] + dz * inv;
                });
                Array.Copy(next, x, x.Length);
            }
        }
        return new TriangleMesh(x, (int[])t.Clone());
    }

    private static double MeanEdgeLength(double[] x, int[] t)
    {
        double sum = 0;
        for (int i = 0; i < t.Length; i += 3)
            sum += Math.Sqrt(MeshGeometry.Dist2(x, t[i], t[i + 1])) + Math.Sqrt(MeshGeometry.Dist2(x, t[i + 1], t[i + 2]))
                 + Math.Sqrt(MeshGeometry.Dist2(x, t[i + 2], t[i]));
        return t.Length > 0 && sum > 0 ? sum / t.Length : 1;
    }

    private static void FaceGeometry(double[] x, int[] t, double[] normal, double[] centre, double[] area)
    {
        int m = t.Length / 3;
        for (int f = 0; f < m; f++)
        {
            int a = t[3 * f], b = t[3 * f + 1], c = t[3 * f + 2];
            var (nx, ny, nz) = MeshGeometry.Normal(x, a, b, c);
            double l = MeshGeometry.Len(nx, ny, nz);
            area[f] = 0.5 * l;
            if (l > 0) { nx /= l; ny /= l; nz /= l; }
            normal[3 * f] = nx; normal[3 * f + 1] = ny; normal[3 * f + 2] = nz;
            for (int k = 0; k < 3; k++) centre[3 * f + k] = (x[3 * a + k] + x[3 * b + k] + x[3 * c + k]) / 3;
        }
    }

    /// <summary>
    /// Irons out crumpled spots: vertices where some incident triangle normal deviates from the vertex normal by more
    /// than <paramref name="foldAngleDeg"/> (a spike or a fold, far sharper than a cube corner's 54.7°), together with
    /// their neighbours, get one Taubin λ|μ step pair (0.5, −0.53) per round, for up to <paramref name="rounds"/> rounds or
    /// until no such vertex is left. Elsewhere the surface is untouched. Connectivity is unchanged.
    /// </summary>
    /// <returns>The mesh and the number of folded vertices found in the input.</returns>
    public static (TriangleMesh Mesh, int FoldedVertices) SmoothFolds(TriangleMesh mesh, double foldAngleDeg = 75, int rounds = 8)
    {
        var x = (double[])mesh.Vertices.Clone();
        var t = mesh.Triangles;
        int nv = mesh.VertexCount;
        var (start, nbr) = MeshGeometry.VertexNeighbours(nv, t);
        double cosFold = Math.Cos(foldAngleDeg * Math.PI / 180);
        var active = new bool[nv];
        var next = new double[x.Length];
        int initial = -1;
        for (int round = 0; round < rounds; round++)
        {
            var normals = MeshGeometry.VertexNormals(x, t);
            Array.Clear(active);
            int folded = 0;
            for (int i = 0; i < t.Length; i += 3)
            {
                var (fx, fy, fz) = MeshGeometry.Normal(x, t[i], t[i + 1], t[i + 2]);
                double l = MeshGeometry.Len(fx, fy, fz);
                for (int k = 0; k < 3; k++)
                {
                    int v = t[i + k];
                    if (active[v]) continue;
                    double dot = l > 0 ? (fx * normals[3 * v] + fy * normals[3 * v + 1] + fz * normals[3 * v + 2]) / l : -1;
                    if (dot < cosFold) { active[v] = true; folded++; }
                }
            }
            if (initial < 0) initial = folded;
            if (folded == 0) break;
            var grown = (bool[])active.Clone();
            for (int v = 0; v < nv; v++)
                if (active[v])
                    for (int i = start[v]; i < start[v + 1]; i++) grown[nbr[i]] = true;
            foreach (double factor in new[] { 0.5, -0.53 })
            {
                for (int v = 0; v < nv; v++)
                {
                    int o = 3 * v;
                    int s = start[v], e = start[v + 1];
                    if (!grown[v] || e == s) { next[o] = x[o]; next[o + 1] = x[o + 1]; next[o + 2] = x[o + 2]; continue; }
                    double mx = 0, my = 0, mz = 0;
                    for (int i = s; i < e; i++) { int w = 3 * nbr[i]; mx += x[w]; my += x[w + 1]; mz += x[w + 2]; }
                    double inv = 1.0 / (e - s);
                    next[o] = x[o] + factor * (mx * inv - x[o]);
                    next[o + 1] = x[o + 1] + factor * (my * inv - x[o + 1]);
                    next[o + 2] = x[o + 2] + factor * (mz * inv - x[o + 2]);
                }
                Array.Copy(next, x, x.Length);
            }
        }
        return (new TriangleMesh(x, (int[])t.Clone()), Math.Max(0, initial));
    }

    /// <summary>
    /// Moves every vertex along its area-weighted normal by a common offset δ so that the signed enclosed volume becomes
    /// <paramref name="targetVolumeUm3"/> (Newton iteration on δ ≈ ΔV / area, at most 8 steps, to a relative error of 10⁻¹⁰).
    /// For a closed, outward surface. Connectivity is unchanged.
    /// </summary>
    public static TriangleMesh RestoreVolume(TriangleMesh mesh, double targetVolumeUm3)
    {
        var x = (double[])mesh.Vertices.Clone();
        var t = mesh.Triangles;
        var n = MeshGeometry.VertexNormals(x, t);
        var baseX = (double[])x.Clone();
        double offset = 0;
        for (int it = 0; it < 8; it++)
        {
            var (vol, area) = MeshGeometry.VolumeArea(x, t);
            double err = targetVolumeUm3 - vol;
            if (Math.Abs(err) <= 1e-10 * Math.Abs(targetVolumeUm3) || !(area > 0)) break;
            offset += err / area;
            for (int i = 0; i < x.Length; i++) x[i] = baseX[i] + offset * n[i];
        }
        return new TriangleMesh(x, (int[])t.Clone());
    }
}
