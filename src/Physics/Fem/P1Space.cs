using ShapeStudy.Core;

namespace ShapeStudy.Physics.Fem;

/// <summary>
/// Continuous piecewise-linear (P1) finite elements on a <see cref="TetMesh"/>: one unknown per vertex, the matrix
/// structure given by the vertex adjacency of the tetrahedra. Geometry (shape-function gradients in 1/µm, volumes in µm³)
/// is computed once; mass and stiffness matrices are assembled in parallel by row ownership (each vertex sums its own row
/// over its incident tetrahedra in a fixed order, so results are deterministic). Immutable and thread-safe.
/// </summary>
public sealed class P1Space
{
    /// <summary>The mesh (µm).</summary>
    public TetMesh Mesh { get; }
    /// <summary>The vertex-adjacency structure (zero values); every matrix of this space shares it.</summary>
    public CsrMatrix Pattern { get; }
    /// <summary>Volume (µm³) of each tetrahedron.</summary>
    public double[] TetVolumes { get; }
    /// <summary>Gradients (1/µm) of the four barycentric shape functions of each tetrahedron: 12 per tet, (x, y, z) per local vertex.</summary>
    public double[] Gradients { get; }

    internal readonly int[] Scatter;      // 16 per tet: position of (local i, local j) in Pattern
    internal readonly int[] VertexTetStart; // CSR of vertex → incident (tet, local index)
    internal readonly int[] VertexTets;     // 4 * tet + local

    private P1Space(TetMesh mesh)
    {
        Mesh = mesh;
        int nv = mesh.VertexCount, nt = mesh.TetCount;
        var tets = mesh.Tetrahedra;
        TetVolumes = new double[nt];
        Gradients = new double[12 * nt];
        Parallel.For(0, nt, t => ComputeGeometry(mesh, t, TetVolumes, Gradients));
        for (int t = 0; t < nt; t++)
            if (!(TetVolumes[t] > 0)) throw new ArgumentException($"tetrahedron {t} has non-positive volume {TetVolumes[t]:G3} µm³ (tetrahedra must be positively oriented)", nameof(mesh));

        VertexTetStart = new int[nv + 1];
        foreach (var v in tets) VertexTetStart[v + 1]++;
        for (int v = 0; v < nv; v++) VertexTetStart[v + 1] += VertexTetStart[v];
        VertexTets = new int[tets.Length];
        var fill = (int[])VertexTetStart.Clone();
        for (int k = 0; k < tets.Length; k++) VertexTets[fill[tets[k]]++] = k;

        var rows = new int[nv][];
        Parallel.For(0, nv, v =>
        {
            var set = new List<int>(24) { v };
            for (int k = VertexTetStart[v]; k < VertexTetStart[v + 1]; k++)
            {
                int t = VertexTets[k] >> 2;
                for (int j = 0; j < 4; j++) set.Add(tets[4 * t + j]);
            }
            set.Sort();
            int m = 0;
            for (int i = 0; i < set.Count; i++) if (i == 0 || set[i] != set[i - 1]) set[m++] = set[i];
            rows[v] = set.GetRange(0, m).ToArray();
        });
        Pattern = CsrMatrix.FromRows(rows);
        Scatter = new int[16 * nt];
        var pattern = Pattern;
        Parallel.For(0, nt, t =>
        {
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) Scatter[16 * t + 4 * i + j] = pattern.Find(tets[4 * t + i], tets[4 * t + j]);
        });
    }

    /// <summary>Prepares the P1 space of <paramref name="mesh"/>.</summary>
    /// <exception cref="ArgumentException">A tetrahedron with non-positive volume.</exception>
    public static P1Space Create(TetMesh mesh) => new(mesh);

    /// <summary>Number of vertices (= unknowns of one field).</summary>
    public int VertexCount => Mesh.VertexCount;

    private static void ComputeGeometry(TetMesh mesh, int t, double[] vol, double[] grad)
    {
        var p = mesh.Vertices; var tt = mesh.Tetrahedra;
        int a = 3 * tt[4 * t], b = 3 * tt[4 * t + 1], c = 3 * tt[4 * t + 2], d = 3 * tt[4 * t + 3];
        double e1x = p[b] - p[a], e1y = p[b + 1] - p[a + 1], e1z = p[b + 2] - p[a + 2];
        double e2x = p[c] - p[a], e2y = p[c + 1] - p[a + 1], e2z = p[c + 2] - p[a + 2];
        double e3x = p[d] - p[a], e3y = p[d + 1] - p[a + 1], e3z = p[d + 2] - p[a + 2];
        // rows of the inverse Jacobian = gradients of λ1, λ2, λ3 (cofactors / det)
        double c1x = e2y * e3z - e2z * e3y, c1y = e2z * e3x - e2x * e3z, c1z = e2x * e3y - e2y * e3x; // e2 × e3
        double c2x = e3y * e1z - e3z * e1y, c2y = e3z * e1x - e3x * e1z, c2z = e3x * e1y - e3y * e1x; // e3 × e1
        double c3x = e1y * e2z - e1z * e2y, c3y = e1z * e2x - e1x * e2z, c3z = e1x * e2y - e1y * e2x; // e1 × e2
        double det = e1x * c1x + e1y * c1y + e1z * c1z;
        vol[t] = det / 6.0;
        double inv = 1.0 / det;
        var g = grad.AsSpan(12 * t, 12);
        g[3] = c1x * inv; g[4] = c1y * inv; g[5] = c1z * inv;
        g[6] = c2x * inv; g[7] = c2y * inv; g[8] = c2z * inv;
        g[9] = c3x * inv; g[10] = c3y * inv; g[11] = c3z * inv;
        g[0] = -(g[3] + g[6] + g[9]); g[1] = -(g[4] + g[7] + g[10]); g[2] = -(g[5] + g[8] + g[11]);
    }

    /// <summary>
    /// Consistent mass matrix M_ij = Σ_t w_t ∫_t φ_i φ_j dx (µm³) with per-tet weights <paramref name="tetWeights"/>
    /// (length TetCount; null = 1 everywhere; 0 excludes a tet, e.g. outside a species' subdomains).
    /// </summary>
    public CsrMatrix MassMatrix(double[]? tetWeights = null)
    {
        CheckWeights(tetWeights);
        var m = Pattern.WithValues();
        var vals = m.Values;
        AssembleRows((t, i, j) => (tetWeights?[t] ?? 1.0) * TetVolumes[t] * (i == j ? 0.1 : 0.05), tetWeights, vals);
        return m;
    }

    /// <summary>
    /// Stiffness matrix K_ij = Σ_t D_t ∫_t ∇φ_i·∇φ_j dx (µm, times the unit of D) with per-tet coefficients
    /// <paramref name="tetCoefficients"/> (e.g. a diffusion coefficient in µm²/ms; length TetCount; null = 1).
    /// </summary>
    public CsrMatrix StiffnessMatrix(double[]? tetCoefficients = null)
    {
        CheckWeights(tetCoefficients);
        var k = Pattern.WithValues();
        var g = Gradients;
        AssembleRows((t, i, j) =>
        {
            int a = 12 * t + 3 * i, b = 12 * t + 3 * j;
            return (tetCoefficients?[t] ?? 1.0) * TetVolumes[t] * (g[a] * g[b] + g[a + 1] * g[b + 1] + g[a + 2] * g[b + 2]);
        }, tetCoefficients, k.Values);
        return k;
    }

    /// <summary>Row sums of the weighted mass matrix: Σ_t w_t |t|/4 over the tets incident to each vertex (µm³).</summary>
    public double[] LumpedMass(double[]? tetWeights = null)
    {
        CheckWeights(tetWeights);
        var m = new double[VertexCount];
        Parallel.For(0, VertexCount, v =>
        {
            double s = 0;
            for (int k = VertexTetStart[v]; k < VertexTetStart[v + 1]; k++)
            {
                int t = VertexTets[k] >> 2;
                s += (tetWeights?[t] ?? 1.0) * TetVolumes[t] * 0.25;
            }
            m[v] = s;
        });
        return m;
    }

    /// <summary>
    /// Boundary mass matrix B_ij = ∫_Γ φ_i φ_j ds (µm²) over the boundary faces whose marker is in <paramref name="markers"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A marker that no boundary face carries.</exception>
    public CsrMatrix BoundaryMassMatrix(params int[] markers)
    {
        var b = Pattern.WithValues();
        var f = Mesh.BoundaryFaces;
        foreach (int face in FacesWith(markers))
        {
            double area = FaceArea(face);
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                {
                    int pos = Pattern.Find(f[3 * face + i], f[3 * face + j]);
                    if (pos < 0) throw new ArgumentException($"boundary face {face} is not a face of a tetrahedron");
                    b.Values[pos] += area * (i == j ? 1.0 / 6.0 : 1.0 / 12.0);
                }
        }
        return b;
    }

    /// <summary>Row sums of <see cref="BoundaryMassMatrix"/>: area/3 of each marked face per vertex (µm²).</summary>
    public double[] BoundaryLumpedMass(params int[] markers)
    {
        var m = new double[VertexCount];
        var f = Mesh.BoundaryFaces;
        foreach (int face in FacesWith(markers))
        {
            double a3 = FaceArea(face) / 3.0;
            for (int i = 0; i < 3; i++) m[f[3 * face + i]] += a3;
        }
        return m;
    }

    /// <summary>Total area (µm²) of the boundary faces carrying any of <paramref name="markers"/>.</summary>
    public double BoundaryArea(params int[] markers)
    {
        double a = 0;
        foreach (int face in FacesWith(markers)) a += FaceArea(face);
        return a;
    }

    /// <summary>Area (µm²) of boundary face <paramref name="face"/>.</summary>
    public double FaceArea(int face)
    {
        var p = Mesh.Vertices; var f = Mesh.BoundaryFaces;
        int a = 3 * f[3 * face], b = 3 * f[3 * face + 1], c = 3 * f[3 * face + 2];
        double ux = p[b] - p[a], uy = p[b + 1] - p[a + 1], uz = p[b + 2] - p[a + 2];
        double vx = p[c] - p[a], vy = p[c + 1] - p[a + 1], vz = p[c + 2] - p[a + 2];
        double nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
        return 0.5 * Math.Sqrt(nx * nx + ny * ny + nz * nz);
    }

    private List<int> FacesWith(int[] markers)
    {
        if (markers.Length == 0) throw new ArgumentException("at least one boundary region marker is required", nameof(markers));
        var fm = Mesh.FaceMarkers;
        var faces = new List<int>();
        for (int face = 0; face < fm.Length; face++)
            if (Array.IndexOf(markers, fm[face]) >= 0) faces.Add(face);
        foreach (int mk in markers)
            if (Array.IndexOf(fm, mk) < 0)
                throw new ArgumentException($"unknown boundary region marker {mk}: no boundary face of the mesh carries it (markers present: {string.Join(", ", fm.Distinct().Order())})", nameof(markers));
        return faces;
    }

    private void CheckWeights(double[]? w)
    {
        if (w is not null && w.Length != Mesh.TetCount) throw new ArgumentException($"one coefficient per tetrahedron is required ({Mesh.TetCount}, got {w.Length})");
    }

    private void AssembleRows(Func<int, int, int, double> element, double[]? weights, double[] values)
    {
        var rowBlocks = CsrMatrix.Partition(Pattern.RowPointers, VertexCount);
        CsrMatrix.ForBlocks(rowBlocks, (lo, hi) =>
        {
            for (int v = lo; v < hi; v++)
                for (int k = VertexTetStart[v]; k < VertexTetStart[v + 1]; k++)
                {
                    int t = VertexTets[k] >> 2, i = VertexTets[k] & 3;
                    if (weights is not null && weights[t] == 0) continue;
                    for (int j = 0; j < 4; j++) values[Scatter[16 * t + 4 * i + j]] += element(t, i, j);
                }
        });
    }

    /// <summary>∫ u dx (µM·µm³ for u in µM) of the P1 field <paramref name="u"/> (one value per vertex) over the tets with
    /// non-zero weight (null = all).</summary>
    public double Integral(double[] u, double[]? tetWeights = null)
    {
        var tt = Mesh.Tetrahedra;
        double s = 0;
        for (int t = 0; t < Mesh.TetCount; t++)
        {
            double w = tetWeights?[t] ?? 1.0;
            if (w == 0) continue;
            s += w * TetVolumes[t] * 0.25 * (u[tt[4 * t]] + u[tt[4 * t + 1]] + u[tt[4 * t + 2]] + u[tt[4 * t + 3]]);
        }
        return s;
    }
}
