using ShapeStudy.Core;

namespace ShapeStudy.Physics.Fem;

/// <summary>
/// A <see cref="ReactionDiffusionModel"/> discretised with P1 finite elements on a <see cref="TetMesh"/>: the semi-discrete
/// system M du/dt = −K u + F(t, u), with per-species mass M and stiffness K (diffusion coefficient per tet), and
/// F collecting the volume reactions (Σ ν·M_R·r) and boundary fluxes (Σ ν·B_Γ·j), where rates are evaluated at the
/// vertices and interpolated (group finite-element formulation; with <see cref="TimeIntegrationOptions.LumpedMass"/>
/// all mass matrices are replaced by their row sums). Unknowns are ordered species by species; species s has one
/// unknown per vertex of the tetrahedra of its subdomains. Construction validates the model against the mesh. An instance
/// holds work buffers: run one integration at a time per instance (build one system per thread for parallel runs).
/// </summary>
public sealed class ReactionDiffusionSystem
{
    /// <summary>The P1 space of the mesh.</summary>
    public P1Space Space { get; }
    /// <summary>The model.</summary>
    public ReactionDiffusionModel Model { get; }
    /// <summary>Species names in unknown order.</summary>
    public IReadOnlyList<string> SpeciesNames { get; }
    /// <summary>Total number of unknowns (Σ over species of their vertex counts).</summary>
    public int UnknownCount { get; }
    /// <summary>Whether every rate law has constant derivatives: the Jacobian depends only on the step size.</summary>
    public bool IsLinear { get; }
    /// <summary>Whether mass matrices are lumped.</summary>
    public bool Lumped { get; }

    internal readonly int[] Offset;         // S + 1
    internal readonly int[][] DofVertex;    // per species: local dof → vertex
    internal readonly int[][] VertexDof;    // per species: vertex → local dof or −1
    internal readonly double[][] TetMask;   // per species: 1 on its tets
    private readonly double[][] _massVals, _stiffVals, _massLumped; // per species, values on Space.Pattern
    private readonly Term[] _terms;
    private readonly (int Term, double Nu, int Input)[][][] _contrib; // [s][r] → contributions to the (s, r) block
    private readonly int[][] _termsOfSpecies;  // [s] → terms with ν_s ≠ 0
    private readonly double[][] _nuOfSpecies;  // matching ν
    private readonly CsrMatrix _jac;            // coupled structure
    private readonly int[] _jBase, _jColSpecies, _jColVertex;
    private int[]? _transpose;
    private double[]? _jMass, _jStiff;
    // per species, its block of the pattern in unknown order (rows and columns = local dofs) with the values the residual
    // reads, so that the residual streams through memory like a matrix–vector product instead of visiting vertices at random
    private readonly int[][] _selfRp, _selfCi;
    private readonly double[][] _selfMass, _selfStiff, _selfLumped;
    private readonly double[][][] _selfTermMass, _selfTermLumped, _rateDof; // [s][q] over the terms of species s

    private sealed class Term
    {
        public required string Name;
        public required RateLaw Law;
        public required int[] Inputs;           // species indices
        public required int[] ActiveVertices;
        public required double[] MassVals;      // on Space.Pattern
        public required double[] Lumped;        // per vertex
        public double[] Rates = [];             // per vertex
        public double[] Derivs = [];            // per vertex × inputs
    }

    /// <summary>Discretises <paramref name="model"/> on <paramref name="mesh"/>.</summary>
    /// <param name="mesh">Tetrahedral mesh (µm).</param>
    /// <param name="model">Species, reactions, fluxes.</param>
    /// <param name="lumpedMass">Lump all mass matrices.</param>
    /// <param name="reorder">Number each species' unknowns by reverse Cuthill–McKee.</param>
    /// <exception cref="ArgumentException">An impossible parameter (negative diffusion coefficient or initial concentration,
    /// duplicate or unknown species, a boundary marker no face carries, a subdomain no tet carries, a reaction whose species
    /// are absent where it acts); the message names the offending item.</exception>
    public ReactionDiffusionSystem(TetMesh mesh, ReactionDiffusionModel model, bool lumpedMass = false, bool reorder = true)
        : this(P1Space.Create(mesh), model, lumpedMass, reorder) { }

    /// <summary>Discretises <paramref name="model"/> on a prepared P1 space (reuse it across runs on one mesh).</summary>
    public ReactionDiffusionSystem(P1Space space, ReactionDiffusionModel model, bool lumpedMass = false, bool reorder = true)
    {
        Space = space;
        Model = model;
        Lumped = lumpedMass;
        var mesh = space.Mesh;
        int nv = mesh.VertexCount, nt = mesh.TetCount;
        int S = model.Species.Count;
        if (S == 0) throw new ArgumentException("the model needs at least one species", nameof(model));
        var names = new string[S];
        var index = new Dictionary<string, int>();
        var regions = new HashSet<int>(mesh.TetRegions);
        for (int s = 0; s < S; s++)
        {
            var sp = model.Species[s];
            if (string.IsNullOrWhiteSpace(sp.Name)) throw new ArgumentException($"species {s} has no name", nameof(model));
            if (!index.TryAdd(sp.Name, s)) throw new ArgumentException($"species '{sp.Name}' is defined twice", nameof(model));
            names[s] = sp.Name;
            if (!(sp.DiffusionUm2PerMs >= 0) || double.IsInfinity(sp.DiffusionUm2PerMs))
                throw new ArgumentOutOfRangeException(nameof(model), sp.DiffusionUm2PerMs, $"species '{sp.Name}': diffusion coefficient d_um2_per_ms must be a finite value ≥ 0 µm²/ms");
            if (!(sp.InitialUM >= 0) || double.IsInfinity(sp.InitialUM))
                throw new ArgumentOutOfRangeException(nameof(model), sp.InitialUM, $"species '{sp.Name}': initial concentration initial_um must be a finite value ≥ 0 µM");
            if (sp.DiffusionBySubdomain is not null)
                foreach (var (region, d) in sp.DiffusionBySubdomain)
                {
                    if (!(d >= 0) || double.IsInfinity(d)) throw new ArgumentOutOfRangeException(nameof(model), d, $"species '{sp.Name}': diffusion coefficient d_um2_per_ms in subdomain {region} must be a finite value ≥ 0 µm²/ms");
                    if (!regions.Contains(region)) throw new ArgumentException($"species '{sp.Name}': unknown subdomain marker {region} in its diffusion coefficients (mesh subdomains: {string.Join(", ", regions.Order())})", nameof(model));
                }
            if (sp.Subdomains is not null)
                foreach (int region in sp.Subdomains)
                    if (!regions.Contains(region)) throw new ArgumentException($"species '{sp.Name}': unknown subdomain marker {region} (mesh subdomains: {string.Join(", ", regions.Order())})", nameof(model));
        }
        SpeciesNames = names;

        // species unknowns
        TetMask = new double[S][];
        DofVertex = new int[S][];
        VertexDof = new int[S][];
        Offset = new int[S + 1];
        var pattern = space.Pattern;
        for (int s = 0; s < S; s++)
        {
            var sp = model.Species[s];
            var mask = new double[nt];
            var inSpecies = new bool[nv];
            for (int t = 0; t < nt; t++)
                if (sp.Subdomains is null || sp.Subdomains.Contains(mesh.TetRegions[t]))
                {
                    mask[t] = 1;
                    for (int j = 0; j < 4; j++) inSpecies[mesh.Tetrahedra[4 * t + j]] = true;
                }
            TetMask[s] = mask;
            var order = reorder ? ReverseCuthillMcKee(pattern, inSpecies) : Enumerable.Range(0, nv).Where(v => inSpecies[v]).ToArray();
            if (order.Length == 0) throw new ArgumentException($"species '{sp.Name}' lives in no tetrahedron", nameof(model));
            DofVertex[s] = order;
            var vd = new int[nv];
            Array.Fill(vd, -1);
            for (int i = 0; i < order.Length; i++) vd[order[i]] = i;
            VertexDof[s] = vd;
            Offset[s + 1] = Offset[s] + order.Length;
        }
        UnknownCount = Offset[S];

        // species matrices
        _massVals = new double[S][]; _stiffVals = new double[S][]; _massLumped = new double[S][];
        for (int s = 0; s < S; s++)
        {
            var sp = model.Species[s];
            var dTet = new double[nt];
            for (int t = 0; t < nt; t++)
                dTet[t] = TetMask[s][t] * (sp.DiffusionBySubdomain is not null && sp.DiffusionBySubdomain.TryGetValue(mesh.TetRegions[t], out var d) ? d : sp.DiffusionUm2PerMs);
            _massVals[s] = space.MassMatrix(TetMask[s]).Values;
            _stiffVals[s] = space.StiffnessMatrix(dTet).Values;
            _massLumped[s] = space.LumpedMass(TetMask[s]);
        }

        // terms
        var terms = new List<Term>();
        var nuList = new List<(int Term, int Species, double Nu)>();
        int Species(string name, string where) => index.TryGetValue(name, out int s) ? s
            : throw new ArgumentException($"{where} refers to unknown species '{name}' (species: {string.Join(", ", names)})", nameof(model));
        foreach (var r in model.VolumeReactions)
        {
            string where = $"reaction '{r.Name}'";
            var inputs = r.Rate.Inputs.Select(n => Species(n, where)).ToArray();
            var stoich = r.Stoichiometry.Select(kv => (S: Species(kv.Key, where), Nu: kv.Value)).ToArray();
            var involved = inputs.Concat(stoich.Select(x => x.S)).Distinct().ToArray();
            var mask = new double[nt];
            for (int t = 0; t < nt; t++)
            {
                bool inRegion = r.Subdomains is null ? involved.All(s => TetMask[s][t] > 0) : r.Subdomains.Contains(mesh.TetRegions[t]);
                if (!inRegion) continue;
                foreach (int s in involved)
                    if (TetMask[s][t] == 0) throw new ArgumentException($"{where} acts in subdomain {mesh.TetRegions[t]} where species '{names[s]}' does not live", nameof(model));
                mask[t] = 1;
            }
            if (r.Subdomains is not null)
                foreach (int region in r.Subdomains)
                    if (!regions.Contains(region)) throw new ArgumentException($"{where}: unknown subdomain marker {region} (mesh subdomains: {string.Join(", ", regions.Order())})", nameof(model));
            var active = new bool[nv];
            for (int t = 0; t < nt; t++) if (mask[t] > 0) for (int j = 0; j < 4; j++) active[mesh.Tetrahedra[4 * t + j]] = true;
            int ti = terms.Count;
            terms.Add(new Term { Name = r.Name, Law = r.Rate, Inputs = inputs, ActiveVertices = Indices(active), MassVals = space.MassMatrix(mask).Values, Lumped = space.LumpedMass(mask) });
            foreach (var (s, nu) in stoich) if (nu != 0) nuList.Add((ti, s, nu));
        }
        foreach (var f in model.BoundaryFluxes)
        {
            string where = $"boundary flux '{f.Name}'";
            var inputs = f.Rate.Inputs.Select(n => Species(n, where)).ToArray();
            var stoich = f.Stoichiometry.Select(kv => (S: Species(kv.Key, where), Nu: kv.Value)).ToArray();
            CsrMatrix bm;
            try { bm = space.BoundaryMassMatrix(f.Marker); }
            catch (ArgumentException e) { throw new ArgumentException($"{where}: {e.Message}", nameof(model), e); }
            var active = new bool[nv];
            for (int face = 0; face < mesh.BoundaryFaceCount; face++)
                if (mesh.FaceMarkers[face] == f.Marker)
                    for (int j = 0; j < 3; j++) active[mesh.BoundaryFaces[3 * face + j]] = true;
            foreach (int s in inputs.Concat(stoich.Select(x => x.S)).Distinct())
                for (int v = 0; v < nv; v++)
                    if (active[v] && VertexDof[s][v] < 0) throw new ArgumentException($"{where}: species '{names[s]}' does not live at the faces of boundary region {f.Marker}", nameof(model));
            int ti = terms.Count;
            terms.Add(new Term { Name = f.Name, Law = f.Rate, Inputs = inputs, ActiveVertices = Indices(active), MassVals = bm.Values, Lumped = space.BoundaryLumpedMass(f.Marker) });
            foreach (var (s, nu) in stoich) if (nu != 0) nuList.Add((ti, s, nu));
        }
        _terms = terms.ToArray();
        foreach (var t in _terms)
        {
            t.Rates = new double[nv];
            t.Derivs = new double[nv * Math.Max(1, t.Inputs.Length)];
        }
        IsLinear = _terms.All(t => t.Law.HasConstantDerivatives);
        _termsOfSpecies = new int[S][]; _nuOfSpecies = new double[S][];
        _contrib = new (int, double, int)[S][][];
        for (int s = 0; s < S; s++)
        {
            var mine = nuList.Where(x => x.Species == s).ToArray();
            _termsOfSpecies[s] = mine.Select(x => x.Term).ToArray();
            _nuOfSpecies[s] = mine.Select(x => x.Nu).ToArray();
            _contrib[s] = new (int, double, int)[S][];
            for (int r = 0; r < S; r++)
            {
                var list = new List<(int, double, int)>();
                foreach (var x in mine)
                {
                    var inputs = _terms[x.Term].Inputs;
                    for (int k = 0; k < inputs.Length; k++) if (inputs[k] == r) list.Add((x.Term, x.Nu, k));
                }
                _contrib[s][r] = list.ToArray();
            }
        }

        // coupled Jacobian structure
        var rowCols = new int[UnknownCount][];
        var rowBase = new int[UnknownCount][];
        var rowSp = new int[UnknownCount][];
        Parallel.For(0, UnknownCount, row =>
        {
            int s = SpeciesOfRow(row), v = DofVertex[s][row - Offset[s]];
            var cols = new List<int>(32); var bases = new List<int>(32); var sps = new List<int>(32);
            for (int r = 0; r < S; r++)
            {
                if (r != s && _contrib[s][r].Length == 0) continue;
                for (int k = pattern.RowPointers[v]; k < pattern.RowPointers[v + 1]; k++)
                {
                    int w = pattern.ColumnIndices[k];
                    if (Lumped && r != s && w != v) continue;
                    int d = VertexDof[r][w];
                    if (d < 0) continue;
                    cols.Add(Offset[r] + d); bases.Add(k); sps.Add(r);
                }
            }
            var c = cols.ToArray(); var perm = Enumerable.Range(0, c.Length).ToArray();
            Array.Sort(c, perm);
            rowCols[row] = c;
            rowBase[row] = perm.Select(i => bases[i]).ToArray();
            rowSp[row] = perm.Select(i => sps[i]).ToArray();
        });
        _selfRp = new int[S][]; _selfCi = new int[S][]; _selfMass = new double[S][]; _selfStiff = new double[S][]; _selfLumped = new double[S][];
        _selfTermMass = new double[S][][]; _selfTermLumped = new double[S][][]; _rateDof = new double[S][][];
        for (int s = 0; s < S; s++)
        {
            var dv = DofVertex[s]; var vd = VertexDof[s]; int ns = dv.Length;
            var srp = new int[ns + 1];
            for (int i = 0; i < ns; i++)
            {
                int v = dv[i], c = 0;
                for (int k = pattern.RowPointers[v]; k < pattern.RowPointers[v + 1]; k++) if (vd[pattern.ColumnIndices[k]] >= 0) c++;
                srp[i + 1] = srp[i] + c;
            }
            var sci = new int[srp[ns]]; var sbase = new int[srp[ns]];
            for (int i = 0; i < ns; i++)
            {
                int v = dv[i], e = srp[i];
                for (int k = pattern.RowPointers[v]; k < pattern.RowPointers[v + 1]; k++)
                {
                    int d = vd[pattern.ColumnIndices[k]];
                    if (d >= 0) { sci[e] = d; sbase[e] = k; e++; }
                }
                Array.Sort(sci, sbase, srp[i], e - srp[i]);
            }
            double[] Gather(double[] onPattern) { var r = new double[sbase.Length]; for (int e = 0; e < r.Length; e++) r[e] = onPattern[sbase[e]]; return r; }
            double[] PerDof(double[] perVertex) { var r = new double[ns]; for (int i = 0; i < ns; i++) r[i] = perVertex[dv[i]]; return r; }
            _selfRp[s] = srp; _selfCi[s] = sci;
            _selfMass[s] = Gather(_massVals[s]); _selfStiff[s] = Gather(_stiffVals[s]); _selfLumped[s] = PerDof(_massLumped[s]);
            var mine = _termsOfSpecies[s];
            _selfTermMass[s] = mine.Select(q => Lumped ? [] : Gather(_terms[q].MassVals)).ToArray();
            _selfTermLumped[s] = mine.Select(q => Lumped ? PerDof(_terms[q].Lumped) : []).ToArray();
            _rateDof[s] = mine.Select(_ => new double[ns]).ToArray();
        }

        _jac = CsrMatrix.FromRows(rowCols);
        _jBase = new int[_jac.NonZeroCount]; _jColSpecies = new int[_jac.NonZeroCount]; _jColVertex = new int[_jac.NonZeroCount];
        for (int row = 0; row < UnknownCount; row++)
        {
            int p0 = _jac.RowPointers[row];
            rowBase[row].CopyTo(_jBase, p0);
            rowSp[row].CopyTo(_jColSpecies, p0);
            for (int k = 0; k < rowBase[row].Length; k++) _jColVertex[p0 + k] = pattern.ColumnIndices[rowBase[row][k]];
        }
    }

    private static int[] Indices(bool[] flags)
    {
        var l = new List<int>();
        for (int i = 0; i < flags.Length; i++) if (flags[i]) l.Add(i);
        return l.ToArray();
    }

    internal int SpeciesOfRow(int row)
    {
        int s = 0;
        while (row >= Offset[s + 1]) s++;
        return s;
    }

    /// <summary>Index of species <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown species.</exception>
    public int SpeciesIndex(string name)
    {
        for (int s = 0; s < SpeciesNames.Count; s++) if (SpeciesNames[s] == name) return s;
        throw new ArgumentException($"unknown species '{name}' (species: {string.Join(", ", SpeciesNames)})", nameof(name));
    }

    /// <summary>The initial state (µM, unknown order).</summary>
    public double[] InitialState()
    {
        var u = new double[UnknownCount];
        var p = Space.Mesh.Vertices;
        for (int s = 0; s < SpeciesNames.Count; s++)
        {
            var sp = Model.Species[s];
            for (int i = 0; i < DofVertex[s].Length; i++)
            {
                int v = DofVertex[s][i];
                u[Offset[s] + i] = sp.InitialProfile is null ? sp.InitialUM : sp.InitialProfile(p[3 * v], p[3 * v + 1], p[3 * v + 2]);
            }
        }
        return u;
    }

    /// <summary>Species <paramref name="species"/> of state <paramref name="u"/> as one value per mesh vertex (µM; NaN where the species does not live).</summary>
    public double[] VertexField(double[] u, int species)
    {
        var f = new double[Space.VertexCount];
        Array.Fill(f, double.NaN);
        for (int i = 0; i < DofVertex[species].Length; i++) f[DofVertex[species][i]] = u[Offset[species] + i];
        return f;
    }

    /// <summary>A state (unknown order) from per-species vertex fields (µM), e.g. to restart from a solution.</summary>
    public double[] StateFromVertexFields(IReadOnlyList<double[]> fields)
    {
        if (fields.Count != SpeciesNames.Count) throw new ArgumentException("one field per species is required", nameof(fields));
        var u = new double[UnknownCount];
        for (int s = 0; s < fields.Count; s++)
            for (int i = 0; i < DofVertex[s].Length; i++) u[Offset[s] + i] = fields[s][DofVertex[s][i]];
        return u;
    }

    /// <summary>Amount ∫ c dx (µM·µm³) of species <paramref name="species"/> in state <paramref name="u"/>.</summary>
    public double Amount(double[] u, int species)
    {
        double a = 0;
        var m = _massLumped[species]; // row sums of the consistent mass = ∫ φ_i: exact for P1 in both modes
        for (int i = 0; i < DofVertex[species].Length; i++) a += m[DofVertex[species][i]] * u[Offset[species] + i];
        return a;
    }

    private void Scatter(double[] u, double[][] vertexFields)
    {
        for (int s = 0; s < SpeciesNames.Count; s++)
        {
            var f = vertexFields[s]; var dv = DofVertex[s]; int o = Offset[s];
            for (int i = 0; i < dv.Length; i++) f[dv[i]] = u[o + i];
        }
    }

    private double[][]? _uv;

    private void EvaluateTerms(double tMs, double[][] uv, bool derivatives)
    {
        var p = Space.Mesh.Vertices;
        foreach (var term in _terms)
        {
            int nIn = term.Inputs.Length;
            var act = term.ActiveVertices;
            if (derivatives && term.Law.HasConstantDerivatives && nIn == 0) continue;
            VectorOps.Apply(act.Length, (lo, hi) =>
            {
                Span<double> c = stackalloc double[Math.Max(1, nIn)];
                Span<double> d = stackalloc double[Math.Max(1, nIn)];
                for (int k = lo; k < hi; k++)
                {
                    int v = act[k];
                    for (int j = 0; j < nIn; j++) c[j] = uv[term.Inputs[j]][v];
                    var at = new RatePoint(tMs, p[3 * v], p[3 * v + 1], p[3 * v + 2]);
                    if (derivatives)
                    {
                        term.Law.Derivatives(at, c[..nIn], d[..nIn]);
                        for (int j = 0; j < nIn; j++) term.Derivs[v * nIn + j] = d[j];
                    }
                    else term.Rates[v] = term.Law.Rate(at, c[..nIn]);
                }
            });
        }
    }

    /// <summary>
    /// Residual R(u) = M (a·u + h) + K u − F(t, u) of an implicit step, where a·u + h approximates du/dt
    /// (backward Euler: a = 1/Δt, h = −uₙ/Δt). All vectors in unknown order; <paramref name="result"/> is overwritten.
    /// </summary>
    public void Residual(double tMs, double[] u, double a, double[] h, double[] result)
    {
        int S = SpeciesNames.Count, nv = Space.VertexCount;
        _uv ??= Enumerable.Range(0, S).Select(_ => new double[nv]).ToArray();
        if (_terms.Length > 0)
        {
            Scatter(u, _uv);
            EvaluateTerms(tMs, _uv, false);
        }
        for (int s = 0; s < S; s++)
        {
            var rp = _selfRp[s]; var ci = _selfCi[s]; var m = _selfMass[s]; var kv = _selfStiff[s]; var ml = _selfLumped[s];
            var dv = DofVertex[s]; int o = Offset[s];
            var tq = _termsOfSpecies[s]; var nus = _nuOfSpecies[s]; var rd = _rateDof[s];
            var tm = _selfTermMass[s]; var tl = _selfTermLumped[s];
            bool lumped = Lumped;
            VectorOps.Apply(dv.Length, (lo, hi) =>
            {
                for (int q = 0; q < tq.Length; q++)
                {
                    var rates = _terms[tq[q]].Rates; var r = rd[q];
                    for (int i = lo; i < hi; i++) r[i] = rates[dv[i]];
                }
            });
            VectorOps.Apply(dv.Length, (lo, hi) =>
            {
                var us = u.AsSpan(o); var hs = h.AsSpan(o);
                for (int i = lo; i < hi; i++)
                {
                    double acc = 0;
                    if (lumped)
                    {
                        acc = ml[i] * (a * us[i] + hs[i]);
                        for (int k = rp[i], end = rp[i + 1]; k < end; k++) acc += kv[k] * us[ci[k]];
                        for (int q = 0; q < tq.Length; q++) acc -= nus[q] * tl[q][i] * rd[q][i];
                    }
                    else
                    {
                        for (int k = rp[i], end = rp[i + 1]; k < end; k++)
                        {
                            int w = ci[k];
                            acc += m[k] * (a * us[w] + hs[w]) + kv[k] * us[w];
                        }
                        for (int q = 0; q < tq.Length; q++)
                        {
                            var mv = tm[q]; var rt = rd[q];
                            double f = 0;
                            for (int k = rp[i], end = rp[i + 1]; k < end; k++) f += mv[k] * rt[ci[k]];
                            acc -= nus[q] * f;
                        }
                    }
                    result[o + i] = acc;
                }
            });
        }
    }

    /// <summary>
    /// Jacobian ∂R/∂u = a·M + K − ∂F/∂u at (t, u), assembled into a matrix that is reused (overwritten) by the next call.
    /// </summary>
    public CsrMatrix Jacobian(double tMs, double[] u, double a)
    {
        int S = SpeciesNames.Count, nv = Space.VertexCount;
        _uv ??= Enumerable.Range(0, S).Select(_ => new double[nv]).ToArray();
        Scatter(u, _uv);
        EvaluateTerms(tMs, _uv, true);
        var j = _jac; var vals = j.Values;
        if (_jMass is null)
        {
            // the species' own mass and stiffness values at each Jacobian entry, in Jacobian order (streamed, not gathered)
            var jm = new double[j.NonZeroCount]; var jk = new double[j.NonZeroCount];
            for (int row = 0; row < UnknownCount; row++)
            {
                int s = SpeciesOfRow(row), v = DofVertex[s][row - Offset[s]];
                for (int e = j.RowPointers[row]; e < j.RowPointers[row + 1]; e++)
                {
                    if (_jColSpecies[e] != s) continue;
                    int b = _jBase[e];
                    jm[e] = Lumped ? (_jColVertex[e] == v ? _massLumped[s][v] : 0) : _massVals[s][b];
                    jk[e] = _stiffVals[s][b];
                }
            }
            _jMass = jm; _jStiff = jk;
        }
        var jMass = _jMass; var jStiff = _jStiff!;
        CsrMatrix.ForBlocks(j.Blocks, (lo, hi) =>
        {
            for (int row = lo; row < hi; row++)
            {
                int s = SpeciesOfRow(row), v = DofVertex[s][row - Offset[s]];
                for (int e = j.RowPointers[row]; e < j.RowPointers[row + 1]; e++)
                {
                    int r = _jColSpecies[e];
                    double val = a * jMass[e] + jStiff[e];
                    var contrib = _contrib[s][r];
                    if (contrib.Length == 0 || (Lumped && _jColVertex[e] != v)) { vals[e] = val; continue; }
                    int b = _jBase[e], w = _jColVertex[e];
                    foreach (var (ti, nu, input) in contrib)
                    {
                        var term = _terms[ti];
                        double mass = Lumped ? (w == v ? term.Lumped[v] : 0) : term.MassVals[b];
                        if (mass != 0) val -= nu * mass * term.Derivs[w * term.Inputs.Length + input];
                    }
                    vals[e] = val;
                }
            }
        });
        return j;
    }

    /// <summary>Whether <paramref name="a"/> (a matrix of this system's Jacobian structure) is symmetric to 1e-12 relative.</summary>
    public bool IsSymmetric(CsrMatrix a)
    {
        _transpose ??= _jac.TransposePositions();
        var v = a.Values; double scale = 0;
        foreach (int d in a.DiagonalPositions) scale = Math.Max(scale, Math.Abs(v[d]));
        for (int e = 0; e < v.Length; e++)
        {
            int t = _transpose[e];
            if (t < 0) { if (v[e] != 0) return false; continue; }
            if (Math.Abs(v[e] - v[t]) > 1e-12 * scale) return false;
        }
        return true;
    }

    /// <summary>Reverse Cuthill–McKee order of the vertices flagged in <paramref name="include"/> (each connected part from a pseudo-peripheral vertex).</summary>
    internal static int[] ReverseCuthillMcKee(CsrMatrix graph, bool[] include)
    {
        int n = graph.RowCount;
        var rp = graph.RowPointers; var ci = graph.ColumnIndices;
        var degree = new int[n];
        for (int v = 0; v < n; v++)
            if (include[v]) for (int k = rp[v]; k < rp[v + 1]; k++) if (include[ci[k]] && ci[k] != v) degree[v]++;
        var visited = new bool[n];
        var order = new List<int>();
        var level = new int[n];
        var nbr = new List<int>();
        List<int> Bfs(int start, bool[] seen)
        {
            var q = new List<int> { start };
            seen[start] = true; level[start] = 0;
            for (int h = 0; h < q.Count; h++)
            {
                int v = q[h];
                nbr.Clear();
                for (int k = rp[v]; k < rp[v + 1]; k++) { int w = ci[k]; if (include[w] && !seen[w]) { seen[w] = true; nbr.Add(w); } }
                nbr.Sort((x, y) => degree[x] != degree[y] ? degree[x].CompareTo(degree[y]) : x.CompareTo(y));
                foreach (int w in nbr) { level[w] = level[v] + 1; q.Add(w); }
            }
            return q;
        }
        for (int v0 = 0; v0 < n; v0++)
        {
            if (!include[v0] || visited[v0]) continue;
            // pseudo-peripheral start: two sweeps from v0
            int start = v0;
            for (int sweep = 0; sweep < 2; sweep++)
            {
                var seen = (bool[])visited.Clone();
                var q = Bfs(start, seen);
                int last = level[q[^1]], best = q[^1];
                foreach (int w in q) if (level[w] == last && degree[w] < degree[best]) best = w;
                start = best;
            }
            order.AddRange(Bfs(start, visited));
        }
        order.Reverse();
        return order.ToArray();
    }
}
