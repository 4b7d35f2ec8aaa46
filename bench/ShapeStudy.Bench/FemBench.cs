using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ShapeStudy.Core;
using ShapeStudy.Physics;
using ShapeStudy.Physics.Fem;
using ShapeStudy.Physics.Tetrahedral;

namespace ShapeStudy.Bench;

/// <summary>
/// `ShapeStudy.Bench fem &lt;workdir&gt; [mesh=spine|ball] [targetVertices=96000] [steps=20] [solver=ic0|jacobi]`:
/// builds the tetrahedral mesh (isosurface stuffing of studies/data/microns-spines/spine_00.obj with the lattice spacing chosen
/// for ≈ targetVertices vertices, or a mapped ball), writes it as dolfin XML (workdir/mesh.xml) with the initial field
/// (workdir/initial.bin, float64 per vertex) and the problem (workdir/problem.json), solves the linear diffusion–decay problem
/// ∂c/∂t = D Δc − k c (zero flux) with backward Euler for the given steps, writes workdir/ours_final.bin and prints one JSON line.
/// </summary>
public static class FemBench
{
    public const double D = 0.2, K = 0.05, Dt = 0.05, Rtol = 1e-8;

    public static int Run(string[] args)
    {
        string dir = args[1];
        string kind = args.Length > 2 ? args[2] : "spine";
        int target = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 96_000;
        int steps = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 20;
        string solver = args.Length > 5 ? args[5] : "eisenstat";
        Directory.CreateDirectory(dir);
        var swMesh = Stopwatch.StartNew();
        var (mesh, label) = kind == "ball" ? BallMesh(target) : SpineMesh(target);
        double meshSeconds = swMesh.Elapsed.TotalSeconds;
        int nv = mesh.VertexCount;

        // initial field: a Gaussian blob at the mesh's upper end along its longest bounding-box axis
        var p = mesh.Vertices;
        double[] lo = [double.MaxValue, double.MaxValue, double.MaxValue], hi = [double.MinValue, double.MinValue, double.MinValue];
        for (int v = 0; v < nv; v++) for (int a = 0; a < 3; a++) { lo[a] = Math.Min(lo[a], p[3 * v + a]); hi[a] = Math.Max(hi[a], p[3 * v + a]); }
        int axis = 0;
        for (int a = 1; a < 3; a++) if (hi[a] - lo[a] > hi[axis] - lo[axis]) axis = a;
        double len = hi[axis] - lo[axis];
        double[] centre = [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2];
        centre[axis] = hi[axis] - 0.2 * len;
        double w = 0.25 * len;
        double Initial(double x, double y, double z)
        {
            double dx = x - centre[0], dy = y - centre[1], dz = z - centre[2];
            return 10 * Math.Exp(-(dx * dx + dy * dy + dz * dz) / (w * w));
        }
        var init = new double[nv];
        for (int v = 0; v < nv; v++) init[v] = Initial(p[3 * v], p[3 * v + 1], p[3 * v + 2]);
        if (Environment.GetEnvironmentVariable("FEM_PROFILE") == "1") Profile(mesh);
        WriteDolfinXml(Path.Combine(dir, "mesh.xml"), mesh);
        WriteDoubles(Path.Combine(dir, "initial.bin"), init);

        var model = new ReactionDiffusionModel(
            [new Species("c", D, 0) { InitialProfile = Initial }],
            [new VolumeReaction("decay", Rates.FirstOrder("c", K), new Dictionary<string, double> { ["c"] = -1 })]);
        var options = new TimeIntegrationOptions
        {
            Scheme = TimeScheme.BackwardEuler, DtMs = Dt, LinearRelativeTolerance = Rtol, RejectNegative = false,
            LinearSolver = solver switch { "jacobi" => LinearSolverKind.CgJacobi, "ic0" => LinearSolverKind.CgIncompleteCholesky, _ => LinearSolverKind.CgEisenstat },
        };
        double tEnd = steps * Dt;
        // warm-up on the same system (JIT), then the timed run
        var swSetup = Stopwatch.StartNew();
        var system = new ReactionDiffusionSystem(mesh, model, lumpedMass: false, reorder: true);
        double setupSeconds = swSetup.Elapsed.TotalSeconds;
        ReactionDiffusionSolver.Run(system, options, [2 * Dt]);
        var proc = Process.GetCurrentProcess();
        var cpu0 = proc.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var result = ReactionDiffusionSolver.Run(system, options, [tEnd]);
        double runSeconds = sw.Elapsed.TotalSeconds;
        proc.Refresh();
        double cpuSeconds = (proc.TotalProcessorTime - cpu0).TotalSeconds;
        var final = result.FinalFields[0];
        WriteDoubles(Path.Combine(dir, "ours_final.bin"), final);
        File.WriteAllText(Path.Combine(dir, "problem.json"), JsonSerializer.Serialize(new { d_um2_per_ms = D, k_per_ms = K, dt_ms = Dt, steps, rtol = Rtol, vertices = nv, tets = mesh.TetCount }));
        var s = result.Statistics;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            tool = $"ShapeStudy.Physics.Fem (.NET {Environment.Version}, {Environment.ProcessorCount} thread(s), CG + {solver switch { "jacobi" => "Jacobi", "ic0" => "block IC(0)", _ => "diagonal IC by Eisenstat's trick" }})",
            mesh = label,
            vertices = nv,
            tets = mesh.TetCount,
            mesh_s = meshSeconds,
            setup_s = setupSeconds,
            run_s = runSeconds,
            per_step_s = runSeconds / steps,
            cpu_per_step_s = cpuSeconds / steps,
            steps = s.Steps,
            linear_iterations = s.LinearIterations,
            jacobian_assemblies = s.JacobianAssemblies,
            final_amount = result.Amount("c")[0],
        }));
        return 0;
    }

    /// <summary>Prints the wall time of the kernels of one implicit step (stderr).</summary>
    private static void Profile(TetMesh mesh)
    {
        var space = P1Space.Create(mesh);
        var m = space.MassMatrix(); var k = space.StiffnessMatrix();
        var a = space.Pattern.WithValues();
        for (int e = 0; e < a.NonZeroCount; e++) a.Values[e] = (1 / Dt + K) * m.Values[e] + D * k.Values[e];
        int n = a.RowCount;
        var x = new double[n]; var y = new double[n];
        for (int i = 0; i < n; i++) x[i] = Math.Sin(i);
        double T(int reps, Action f) { f(); var sw = Stopwatch.StartNew(); for (int r = 0; r < reps; r++) f(); return sw.Elapsed.TotalMilliseconds / reps; }
        Console.Error.WriteLine($"nnz {a.NonZeroCount}");
        Console.Error.WriteLine($"spmv {T(50, () => a.Multiply(x, y)):F3} ms");
        Console.Error.WriteLine($"spmv+dot {T(50, () => a.MultiplyDot(x, y)):F3} ms");
        Console.Error.WriteLine($"dot {T(200, () => VectorOps.Dot(x, y, n)):F3} ms");
        Console.Error.WriteLine($"cgupdate {T(200, () => VectorOps.CgUpdate(1e-9, x, y, y, y, n)):F3} ms");
        var e1 = new EisenstatConjugateGradient(a);
        var e2 = new EisenstatConjugateGradient(a, 1);
        var e8 = new EisenstatConjugateGradient(a, 8);
        Console.Error.WriteLine($"eisenstat 50 its (8 blocks) {T(3, () => { Array.Clear(y); e8.Solve(x, y, 1e-30, 50); }) / 50:F3} ms/it");
        foreach (int nb in new[] { 1, 2, 8, 16 })
        {
            var e = new EisenstatConjugateGradient(a, nb);
            Array.Clear(y);
            Console.Error.WriteLine($"eisenstat {nb} blocks: {e.Solve(x, y, 1e-8, 1000).Iterations} its to 1e-8");
        }
        var ic = new IncompleteLu(a, true);
        var jac = new JacobiPreconditioner(a);
        Console.Error.WriteLine($"eisenstat 50 its (2 blocks) {T(3, () => { Array.Clear(y); e1.Solve(x, y, 1e-30, 50); }) / 50:F3} ms/it");
        Console.Error.WriteLine($"eisenstat 50 its (1 block) {T(3, () => { Array.Clear(y); e2.Solve(x, y, 1e-30, 50); }) / 50:F3} ms/it");
        Console.Error.WriteLine($"ic0 50 its {T(3, () => { Array.Clear(y); KrylovSolvers.ConjugateGradient(a, x, y, ic, 1e-30, 50); }) / 50:F3} ms/it");
        Console.Error.WriteLine($"jacobi 50 its {T(3, () => { Array.Clear(y); KrylovSolvers.ConjugateGradient(a, x, y, jac, 1e-30, 50); }) / 50:F3} ms/it");
    }

    private static (TetMesh, string) SpineMesh(int target)
    {
        string path = Path.Combine(RepoRoot(), "studies", "data", "microns-spines", "spine_00.obj");
        var surface = ObjFormat.Read(path);
        double vol = surface.SignedVolume();
        // a BCC lattice of spacing h has 2 vertices per h³: pick h for ≈ target vertices inside, then correct once
        double h = Math.Cbrt(2 * vol / target);
        var mesh = IsosurfaceStuffing.Mesh(surface, null, new StuffingOptions { LatticeSpacingUm = h });
        h *= Math.Cbrt((double)mesh.VertexCount / target);
        mesh = IsosurfaceStuffing.Mesh(surface, null, new StuffingOptions { LatticeSpacingUm = h });
        return (mesh, $"studies/data/microns-spines/spine_00.obj, isosurface stuffing h = {h:F4} µm");
    }

    private static (TetMesh, string) BallMesh(int target)
    {
        int half = (int)Math.Round((Math.Cbrt(target) - 1) / 2);
        return (BoxTetMesher.Ball(half, 1.0), $"mapped Kuhn ball, R = 1 µm, {2 * half} cells per diameter");
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "ShapeStudy.sln"))) return d.FullName;
        throw new InvalidOperationException("ShapeStudy.sln not found");
    }

    private static void WriteDoubles(string path, double[] values)
    {
        var bytes = new byte[values.Length * 8];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>dolfin XML mesh (vertices in µm, tetrahedra as given).</summary>
    private static void WriteDolfinXml(string path, TetMesh mesh)
    {
        using var w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        var ci = CultureInfo.InvariantCulture;
        w.WriteLine("<?xml version=\"1.0\"?>");
        w.WriteLine("<dolfin xmlns:dolfin=\"http://fenicsproject.org\">");
        w.WriteLine("  <mesh celltype=\"tetrahedron\" dim=\"3\">");
        w.WriteLine($"    <vertices size=\"{mesh.VertexCount}\">");
        var p = mesh.Vertices;
        for (int v = 0; v < mesh.VertexCount; v++)
            w.WriteLine(string.Format(ci, "      <vertex index=\"{0}\" x=\"{1:R}\" y=\"{2:R}\" z=\"{3:R}\" />", v, p[3 * v], p[3 * v + 1], p[3 * v + 2]));
        w.WriteLine("    </vertices>");
        w.WriteLine($"    <cells size=\"{mesh.TetCount}\">");
        var t = mesh.Tetrahedra;
        for (int c = 0; c < mesh.TetCount; c++)
            w.WriteLine($"      <tetrahedron index=\"{c}\" v0=\"{t[4 * c]}\" v1=\"{t[4 * c + 1]}\" v2=\"{t[4 * c + 2]}\" v3=\"{t[4 * c + 3]}\" />");
        w.WriteLine("    </cells>");
        w.WriteLine("  </mesh>");
        w.WriteLine("</dolfin>");
    }
}
