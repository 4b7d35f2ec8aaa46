using ShapeStudy.Core;

namespace ShapeStudy.Physics;

/// <summary>
/// Parameters of the diffusion–decay model dc/dt = D ∇²c − k c with a boundary influx pulse.
/// </summary>
/// <param name="DiffusionUm2PerMs">Diffusion coefficient D in µm²/ms, ≥ 0.</param>
/// <param name="DecayPerMs">First-order removal rate k in 1/ms, ≥ 0.</param>
/// <param name="InfluxUmUMPerMs">
/// Boundary flux density J on the source faces in µM·µm/ms (amount per membrane area per time, expressed as
/// concentration × length / time: J · area / volume is a concentration rate in µM/ms). May be negative (efflux).
/// </param>
/// <param name="PulseMs">Duration of the influx: J acts during 0 ≤ t &lt; PulseMs (ms), ≥ 0.</param>
/// <param name="SourceFraction">
/// Fraction (0, 1] of the domain's major-axis extent, measured from its upper end, whose boundary faces form the
/// source region.
/// </param>
public sealed record DiffusionDecayParameters(double DiffusionUm2PerMs, double DecayPerMs, double InfluxUmUMPerMs, double PulseMs, double SourceFraction = 0.1);

/// <summary>Time discretisation: <paramref name="DurationMs"/> (ms, &gt; 0) covered by steps of <paramref name="DtMs"/> (ms, &gt; 0).
/// The number of steps is ⌈DurationMs / DtMs⌉ (a relative slack of 1e-9 absorbs rounding), so the last sample time is ≥ DurationMs.</summary>
public sealed record TimeGrid(double DurationMs, double DtMs);

/// <summary>
/// Result of a diffusion–decay run. <paramref name="TimesMs"/> has Steps + 1 entries (t = 0 included);
/// <paramref name="CompartmentMeansUM"/> maps "whole", "source" and "far" to mean concentrations (µM) at those times.
/// <paramref name="TotalCgIterations"/> sums the conjugate-gradient iterations over all steps;
/// <paramref name="MaxResidual"/> is the largest final relative residual ‖b − Ax‖/‖b‖ over the steps.
/// <paramref name="DomainVoxels"/>, <paramref name="DomainVolumeUm3"/> (µm³) and <paramref name="SourceAreaUm2"/> (µm²)
/// describe the discretised geometry.
/// </summary>
public sealed record SimulationResult(double[] TimesMs, IReadOnlyDictionary<string, double[]> CompartmentMeansUM, int Steps, int TotalCgIterations, double MaxResidual, int DomainVoxels, double DomainVolumeUm3, double SourceAreaUm2);

/// <summary>
/// Finite-volume diffusion–decay on a voxel domain with an influx pulse through a source patch of the membrane,
/// integrated with implicit (backward) Euler and solved per step by conjugate gradients preconditioned with an aggregation-multigrid V-cycle.
/// </summary>
/// <remarks>
/// Unknowns are the mean concentrations (µM) of the foreground voxels. Neighbouring foreground voxels across a face
/// normal to axis a exchange D·A_a/h_a·(c_j − c_i) (A_a face area, h_a spacing along a); all other faces are zero-flux
/// except the source faces, through which J(t)·A enters. Per step n (t_n → t_{n+1} = t_n + dt):
/// V (c^{n+1} − c^n)/dt = Σ D A/h (c_j^{n+1} − c_i^{n+1}) − k V c_i^{n+1} + J̄_n A_i^src, where J̄_n is J averaged over
/// [t_n, t_{n+1}] (so the injected amount equals ∫ J A dt exactly, for any pulse length). Hence with k = 0 the total
/// amount Σ c V equals the injected amount, and in general M_{n+1} = (M_n + dt J̄_n A_src)/(1 + k dt).
/// The source region is defined on the major principal axis u of the foreground voxel centres (PCA, oriented so that its
/// largest-magnitude component is positive): with p = u·r and [p_min, p_max] the range over voxel centres, source faces are
/// boundary faces whose centre has p ≥ p_max − SourceFraction (p_max − p_min). Compartments: "whole" (all voxels),
/// "source" (voxel centres with p ≥ p_max − 0.25 (p_max − p_min)) and "far" (p ≤ p_min + 0.25 (p_max − p_min)).
/// </remarks>
public static class DiffusionDecaySimulator
{
    /// <summary>Relative residual at which each conjugate-gradient solve stops.</summary>
    public const double RelativeTolerance = 1e-8;

    /// <summary>
    /// Runs the model on <paramref name="domain"/> (non-zero voxels = cytosol; spacing in µm).
    /// </summary>
    /// <param name="domain">Binary mask (Z, Y, X).</param>
    /// <param name="p">Model parameters.</param>
    /// <param name="g">Time grid.</param>
    /// <param name="initialUM">Optional initial concentration (µM), flat (Z, Y, X) array of the domain's shape; only
    /// foreground entries are used. Default: zero everywhere.</param>
    /// <exception cref="ArgumentException">Negative D or k, non-positive dt or duration, empty domain, bad initial array.</exception>
    public static SimulationResult Run(Volume<byte> domain, DiffusionDecayParameters p, TimeGrid g, double[]? initialUM = null) =>
        Prepare(domain, p.SourceFraction).Run(p, g, initialUM);

    /// <summary>
    /// Precomputes the geometry of <paramref name="domain"/> (voxel numbering, neighbour lists, principal axis, source
    /// faces, compartments) for repeated runs, e.g. inside a parameter fit.
    /// </summary>
    /// <param name="domain">Binary mask (Z, Y, X); non-zero = cytosol.</param>
    /// <param name="sourceFraction">Fraction (0, 1] of the major-axis extent holding the source faces.</param>
    public static DiffusionDecayDomain Prepare(Volume<byte> domain, double sourceFraction = 0.1) => new(domain, sourceFraction);
}

/// <summary>
/// A voxel domain prepared for <see cref="DiffusionDecaySimulator"/>: immutable and safe to share between threads;
/// each <see cref="Run"/> allocates its own work arrays.
/// </summary>
public sealed class DiffusionDecayDomain
{
    private readonly int _n;
    // Neighbour indices per voxel and direction; _n denotes "no foreground neighbour" (a zero-valued dummy entry).
    private readonly int[] _xm, _xp, _ym, _yp, _zm, _zp;
    private readonly byte[] _nx, _ny, _nz; // number of foreground neighbours along x, y, z
    private readonly int[] _sourceVoxels;
    private readonly double[] _sourceArea; // µm² of source faces per entry of _sourceVoxels
    private readonly int[] _sourceCompartment, _farCompartment;
    private readonly int[] _flatIndex; // domain voxel → flat (Z, Y, X) index
    private readonly int _domainLength;
    private readonly Spacing _spacing;

    /// <summary>Number of foreground voxels (unknowns).</summary>
    public int VoxelCount => _n;

    /// <summary>Domain volume in µm³.</summary>
    public double VolumeUm3 { get; }

    /// <summary>Total area of the source faces in µm².</summary>
    public double SourceAreaUm2 { get; }

    /// <summary>Source fraction this domain was prepared with.</summary>
    public double SourceFraction { get; }

    /// <summary>Unit major principal axis (x, y, z) of the foreground voxel centres, largest-magnitude component positive.</summary>
    public (double X, double Y, double Z) MajorAxis { get; }

    /// <summary>Number of voxels in the "source" and "far" compartments.</summary>
    public (int Source, int Far) CompartmentVoxels => (_sourceCompartment.Length, _farCompartment.Length);

    internal DiffusionDecayDomain(Volume<byte> domain, double sourceFraction)
    {
        ArgumentNullException.ThrowIfNull(domain);
        if (!(sourceFraction > 0 && sourceFraction <= 1))
            throw new ArgumentException($"SourceFraction must be in (0, 1], got {sourceFraction}", nameof(sourceFraction));
        SourceFraction = sourceFraction;
        _spacing = domain.Spacing;
        _domainLength = domain.Length;
        int nzv = domain.NZ, nyv = domain.NY, nxv = domain.NX;
        var d = domain.Data;
        var id = new int[d.Length];
        int n = 0;
        for (int i = 0; i < d.Length; i++) id[i] = d[i] != 0 ? n++ : -1;
        if (n == 0) throw new ArgumentException("simulation domain has no foreground voxels", nameof(domain));
        _n = n;
        _flatIndex = new int[n];
        _xm = new int[n]; _xp = new int[n]; _ym = new int[n]; _yp = new int[n]; _zm = new int[n]; _zp = new int[n];
        _nx = new byte[n]; _ny = new byte[n]; _nz = new byte[n];
        var sp = domain.Spacing;
        var (oz, oy, ox) = domain.Origin;

        // Pass 1: numbering, neighbours, principal axis moments.
        double sx = 0, sy = 0, sz = 0;
        for (int z = 0; z < nzv; z++)
            for (int y = 0; y < nyv; y++)
                for (int x = 0; x < nxv; x++)
                {
                    int f = (z * nyv + y) * nxv + x;
                    int v = id[f];
                    if (v < 0) continue;
                    _flatIndex[v] = f;
                    int a;
                    a = x > 0 ? id[f - 1] : -1; _xm[v] = a < 0 ? n : a;
                    a = x < nxv - 1 ? id[f + 1] : -1; _xp[v] = a < 0 ? n : a;
                    a = y > 0 ? id[f - nxv] : -1; _ym[v] = a < 0 ? n : a;
                    a = y < nyv - 1 ? id[f + nxv] : -1; _yp[v] = a < 0 ? n : a;
                    a = z > 0 ? id[f - nxv * nyv] : -1; _zm[v] = a < 0 ? n : a;
                    a = z < nzv - 1 ? id[f + nxv * nyv] : -1; _zp[v] = a < 0 ? n : a;
                    _nx[v] = (byte)((_xm[v] < n ? 1 : 0) + (_xp[v] < n ? 1 : 0));
                    _ny[v] = (byte)((_ym[v] < n ? 1 : 0) + (_yp[v] < n ? 1 : 0));
                    _nz[v] = (byte)((_zm[v] < n ? 1 : 0) + (_zp[v] < n ? 1 : 0));
                    sx += x; sy += y; sz += z;
                }
        VolumeUm3 = n * sp.VoxelVolume;

        // Covariance of voxel centres in µm (x, y, z), computed about the mean in index units then scaled.
        double mx = sx / n, my = sy / n, mz = sz / n;
        var c = new double[9];   // row-major 3 × 3, (x, y, z)
        for (int v = 0; v < n; v++)
        {
            int f = _flatIndex[v];
            int x = f % nxv, y = f / nxv % nyv, z = f / (nxv * nyv);
            double dx = (x - mx) * sp.X, dy = (y - my) * sp.Y, dz = (z - mz) * sp.Z;
            c[0] += dx * dx; c[1] += dx * dy; c[2] += dx * dz;
            c[4] += dy * dy; c[5] += dy * dz; c[8] += dz * dz;
        }
        c[3] = c[1]; c[6] = c[2]; c[7] = c[5];
        var axis = MajorAxisOf(c);
        MajorAxis = (axis[0], axis[1], axis[2]);

        // Projections of voxel centres (relative to the centroid; a constant shift does not change any threshold).
        double ux = axis[0], uy = axis[1], uz = axis[2];
        var proj = new double[n];
        double pmin = double.MaxValue, pmax = double.MinValue;
        for (int v = 0; v < n; v++)
        {
            int f = _flatIndex[v];
            int x = f % nxv, y = f / nxv % nyv, z = f / (nxv * nyv);
            double pv = ux * (x - mx) * sp.X + uy * (y - my) * sp.Y + uz * (z - mz) * sp.Z;
            proj[v] = pv;
            if (pv < pmin) pmin = pv;
            if (pv > pmax) pmax = pv;
        }
        double extent = pmax - pmin;
        double slack = 1e-9 * Math.Max(extent, Math.Max(sp.X, Math.Max(sp.Y, sp.Z)));
        double sourceThreshold = pmax - sourceFraction * extent - slack;
        double topThreshold = pmax - 0.25 * extent - slack;
        double bottomThreshold = pmin + 0.25 * extent + slack;

        // Source faces: boundary faces whose centre projects at or above the threshold.
        double ax = sp.Y * sp.Z, ay = sp.X * sp.Z, az = sp.X * sp.Y; // face areas normal to x, y, z
        double hx = 0.5 * sp.X * ux, hy = 0.5 * sp.Y * uy, hz = 0.5 * sp.Z * uz; // projection offsets of face centres
        var srcVox = new List<int>();
        var srcArea = new List<double>();
        var top = new List<int>();
        var bottom = new List<int>();
        double totalSource = 0;
        for (int v = 0; v < n; v++)
        {
            double pv = proj[v];
            if (pv >= topThreshold) top.Add(v);
            if (pv <= bottomThreshold) bottom.Add(v);
            double area = 0;
            if (_xm[v] == n && pv - hx >= sourceThreshold) area += ax;
            if (_xp[v] == n && pv + hx >= sourceThreshold) area += ax;
            if (_ym[v] == n && pv - hy >= sourceThreshold) area += ay;
            if (_yp[v] == n && pv + hy >= sourceThreshold) area += ay;
            if (_zm[v] == n && pv - hz >= sourceThreshold) area += az;
            if (_zp[v] == n && pv + hz >= sourceThreshold) area += az;
            if (area > 0) { srcVox.Add(v); srcArea.Add(area); totalSource += area; }
        }
        _sourceVoxels = srcVox.ToArray();
        _sourceArea = srcArea.ToArray();
        _sourceCompartment = top.ToArray();
        _farCompartment = bottom.ToArray();
        SourceAreaUm2 = totalSource;

        // Multigrid hierarchy (geometry only; values are rescaled per run).
        var fine = new AggregationMultigrid.Level { N = n, Nb = new int[6 * n], KOff = new double[6 * n], KDiag = new double[n], Mass = new double[n] };
        double wx = 1 / (sp.X * sp.X), wy = 1 / (sp.Y * sp.Y), wz = 1 / (sp.Z * sp.Z);
        var cz = new int[n]; var cy = new int[n]; var cx = new int[n];
        for (int v = 0; v < n; v++)
        {
            int f = _flatIndex[v];
            cx[v] = f % nxv; cy[v] = f / nxv % nyv; cz[v] = f / (nxv * nyv);
            int o = 6 * v;
            fine.Nb[o] = _xm[v]; fine.Nb[o + 1] = _xp[v]; fine.Nb[o + 2] = _ym[v];
            fine.Nb[o + 3] = _yp[v]; fine.Nb[o + 4] = _zm[v]; fine.Nb[o + 5] = _zp[v];
            double diagSum = 0;
            for (int q = 0; q < 6; q++)
            {
                double w = fine.Nb[o + q] == n ? 0 : (q < 2 ? wx : q < 4 ? wy : wz);
                fine.KOff[o + q] = w;
                diagSum += w;
            }
            fine.KDiag[v] = diagSum;
            fine.Mass[v] = 1;
        }
        fine.AxisWeights = [wx, wy, wz];
        _multigrid = new AggregationMultigrid(fine, cz, cy, cx);
    }

    /// <summary>Unit eigenvector of the largest eigenvalue of a symmetric row-major 3 × 3 matrix, signed so that its
    /// largest-magnitude component is positive (ties within 1e-12: the first such component).</summary>
    private static double[] MajorAxisOf(double[] covariance)
    {
        var (_, vectors) = SymmetricEigen3.Decompose(covariance);
        var u = new[] { vectors[0], vectors[3], vectors[6] };
        int big = 0;
        for (int i = 1; i < 3; i++) if (Math.Abs(u[i]) > Math.Abs(u[big]) + 1e-12) big = i;
        if (u[big] < 0) for (int i = 0; i < 3; i++) u[i] = -u[i];
        return u;
    }

    private readonly AggregationMultigrid _multigrid;

    /// <summary>
    /// Runs the model on this domain. <paramref name="p"/>.SourceFraction must equal <see cref="SourceFraction"/>.
    /// </summary>
    /// <param name="p">Model parameters.</param>
    /// <param name="g">Time grid.</param>
    /// <param name="initialUM">Optional initial concentration (µM), flat (Z, Y, X) array of the domain's shape; only
    /// foreground entries are used. Default: zero everywhere.</param>
    public SimulationResult Run(DiffusionDecayParameters p, TimeGrid g, double[]? initialUM = null)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(g);
        double D = p.DiffusionUm2PerMs, k = p.DecayPerMs, J = p.InfluxUmUMPerMs, pulse = p.PulseMs, dt = g.DtMs;
        if (!(D >= 0) || !double.IsFinite(D)) throw new ArgumentException($"DiffusionUm2PerMs must be a finite number >= 0, got {D}", nameof(p));
        if (!(k >= 0) || !double.IsFinite(k)) throw new ArgumentException($"DecayPerMs must be a finite number >= 0, got {k}", nameof(p));
        if (!double.IsFinite(J)) throw new ArgumentException($"InfluxUmUMPerMs must be finite, got {J}", nameof(p));
        if (!(pulse >= 0) || double.IsNaN(pulse)) throw new ArgumentException($"PulseMs must be >= 0, got {pulse}", nameof(p));
        if (p.SourceFraction != SourceFraction)
            throw new ArgumentException($"SourceFraction {p.SourceFraction} differs from the {SourceFraction} this domain was prepared with; prepare it again", nameof(p));
        if (!(dt > 0) || !double.IsFinite(dt)) throw new ArgumentException($"DtMs must be a finite number > 0, got {dt}", nameof(g));
        if (!(g.DurationMs > 0) || !double.IsFinite(g.DurationMs)) throw new ArgumentException($"DurationMs must be a finite number > 0, got {g.DurationMs}", nameof(g));
        double stepsExact = g.DurationMs / dt;
        if (stepsExact > 10_000_000) throw new ArgumentException($"DurationMs / DtMs = {stepsExact} steps is too many", nameof(g));
        int steps = (int)Math.Ceiling(stepsExact * (1 - 1e-9));
        if (steps < 1) steps = 1;

        int n = _n;
        var c = new double[n + 1]; // last entry: dummy zero neighbour
        if (initialUM != null)
        {
            if (initialUM.Length != _domainLength)
                throw new ArgumentException($"initial concentration array has {initialUM.Length} entries, the domain has {_domainLength} voxels", nameof(initialUM));
            for (int v = 0; v < n; v++)
            {
                double val = initialUM[_flatIndex[v]];
                if (!double.IsFinite(val)) throw new ArgumentException($"initial concentration at flat index {_flatIndex[v]} is not finite", nameof(initialUM));
                c[v] = val;
            }
        }

        // System per unit volume: (1/dt + k) c_i + Σ_a g_a (n_a c_i − Σ neighbours) = c_i^n / dt + J̄ A_i / V.
        double gx = D / (_spacing.X * _spacing.X), gy = D / (_spacing.Y * _spacing.Y), gz = D / (_spacing.Z * _spacing.Z);
        double baseDiag = 1.0 / dt + k;
        var diag = new double[n];
        for (int v = 0; v < n; v++) diag[v] = baseDiag + gx * _nx[v] + gy * _ny[v] + gz * _nz[v];
        var mg = _multigrid.CreateWorkspace(baseDiag, D);
        double voxelVolume = _spacing.VoxelVolume;
        var sourceRate = new double[_sourceVoxels.Length];
        for (int s = 0; s < sourceRate.Length; s++) sourceRate[s] = _sourceArea[s] / voxelVolume;

        var times = new double[steps + 1];
        var whole = new double[steps + 1];
        var source = new double[steps + 1];
        var far = new double[steps + 1];
        Record(c, 0, whole, source, far);

        var b = new double[n];
        var r = new double[n];
        var zv = new double[n];
        var pv = new double[n + 1];
        var q = new double[n];
        int totalIterations = 0;
        double maxResidual = 0;
        int maxIterations = Math.Max(1000, 4 * n);
        double invDt = 1.0 / dt;

        var cPrev = new double[n + 1];
        var cNext = new double[n + 1];
        for (int step = 0; step < steps; step++)
        {
            double t0 = step * dt, t1 = (step + 1) * dt;
            times[step + 1] = t1;
            double overlap = Math.Max(0, Math.Min(t1, pulse) - Math.Max(t0, 0));
            double jMean = J * overlap / dt;
            for (int v = 0; v < n; v++) b[v] = c[v] * invDt;
            if (jMean != 0)
                for (int s = 0; s < sourceRate.Length; s++) b[_sourceVoxels[s]] += jMean * sourceRate[s];
            // Initial guess: linear extrapolation of the last two steps (the previous step on the first one).
            if (step == 0) Array.Copy(c, cNext, n);
            else for (int v = 0; v < n; v++) cNext[v] = 2 * c[v] - cPrev[v];
            var (iters, res) = SolvePcg(cNext, b, diag, mg, gx, gy, gz, r, zv, pv, q, maxIterations);
            totalIterations += iters;
            if (res > maxResidual) maxResidual = res;
            (cPrev, c, cNext) = (c, cNext, cPrev);
            Record(c, step + 1, whole, source, far);
        }
        var means = new Dictionary<string, double[]> { ["whole"] = whole, ["source"] = source, ["far"] = far };
        return new SimulationResult(times, means, steps, totalIterations, maxResidual, n, VolumeUm3, SourceAreaUm2);
    }

    private void Record(double[] c, int index, double[] whole, double[] source, double[] far)
    {
        double s = 0;
        for (int v = 0; v < _n; v++) s += c[v];
        whole[index] = s / _n;
        s = 0;
        foreach (var v in _sourceCompartment) s += c[v];
        source[index] = s / _sourceCompartment.Length;
        s = 0;
        foreach (var v in _farCompartment) s += c[v];
        far[index] = s / _farCompartment.Length;
    }

    /// <summary>y = A x for the per-volume backward-Euler operator; x has the dummy zero entry at index n.</summary>
    private void Apply(double[] x, double[] y, double[] diag, double gx, double gy, double gz)
    {
        var xm = _xm; var xp = _xp; var ym = _ym; var yp = _yp; var zm = _zm; var zp = _zp;
        for (int v = 0; v < _n; v++)
            y[v] = diag[v] * x[v] - gx * (x[xm[v]] + x[xp[v]]) - gy * (x[ym[v]] + x[yp[v]]) - gz * (x[zm[v]] + x[zp[v]]);
    }

    /// <summary>CG preconditioned by one aggregation-multigrid V-cycle, started from x. Returns iterations and final relative residual.</summary>
    private (int Iterations, double RelativeResidual) SolvePcg(double[] x, double[] b, double[] diag, AggregationMultigrid.Workspace mg,
        double gx, double gy, double gz, double[] r, double[] z, double[] p, double[] q, int maxIterations)
    {
        int n = _n;
        double bNorm2 = 0;
        for (int v = 0; v < n; v++) bNorm2 += b[v] * b[v];
        if (bNorm2 == 0)
        {
            Array.Clear(x, 0, n + 1);
            return (0, 0);
        }
        double tol2 = DiffusionDecaySimulator.RelativeTolerance * DiffusionDecaySimulator.RelativeTolerance * bNorm2;
        x[n] = 0;
        Apply(x, q, diag, gx, gy, gz);
        double rNorm2 = 0;
        for (int v = 0; v < n; v++)
        {
            double rv = b[v] - q[v];
            r[v] = rv;
            rNorm2 += rv * rv;
        }
        if (rNorm2 <= tol2) return (0, Math.Sqrt(rNorm2 / bNorm2));
        _multigrid.Apply(mg, r, z);
        double rz = 0;
        for (int v = 0; v < n; v++) { p[v] = z[v]; rz += r[v] * z[v]; }
        p[n] = 0;
        int it = 0;
        while (it < maxIterations)
        {
            Apply(p, q, diag, gx, gy, gz);
            double pq = 0;
            for (int v = 0; v < n; v++) pq += p[v] * q[v];
            double alpha = rz / pq;
            rNorm2 = 0;
            for (int v = 0; v < n; v++)
            {
                x[v] += alpha * p[v];
                double rv = r[v] - alpha * q[v];
                r[v] = rv;
                rNorm2 += rv * rv;
            }
            it++;
            if (rNorm2 <= tol2) break;
            _multigrid.Apply(mg, r, z);
            double rzNew = 0;
            for (int v = 0; v < n; v++) rzNew += r[v] * z[v];
            double beta = rzNew / rz;
            rz = rzNew;
            for (int v = 0; v < n; v++) p[v] = z[v] + beta * p[v];
        }
        if (rNorm2 > tol2)
            throw new InvalidOperationException($"conjugate gradients did not reach relative residual {DiffusionDecaySimulator.RelativeTolerance} in {maxIterations} iterations (reached {Math.Sqrt(rNorm2 / bNorm2):E2})");
        return (it, Math.Sqrt(rNorm2 / bNorm2));
    }
}
