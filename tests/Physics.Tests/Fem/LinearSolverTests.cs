using ShapeStudy.Physics.Fem;

namespace ShapeStudy.Physics.Tests.Fem;

public class LinearSolverTests
{
    private static (CsrMatrix A, double[] B, double[] X) System(int cells, bool nonsymmetric)
    {
        var space = P1Space.Create(BoxTetMesher.Box(cells, cells, cells, 1, 1.3, 0.8));
        var m = space.MassMatrix(); var k = space.StiffnessMatrix();
        var a = space.Pattern.WithValues();
        for (int e = 0; e < a.NonZeroCount; e++) a.Values[e] = 20 * m.Values[e] + k.Values[e];
        if (nonsymmetric)
            for (int i = 0; i < a.RowCount; i++)
                for (int e = a.RowPointers[i]; e < a.RowPointers[i + 1]; e++)
                    if (a.ColumnIndices[e] > i) a.Values[e] += 0.3 * m.Values[e] * 20;
        var x = new double[a.RowCount];
        var rng = new Random(5);
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextDouble() - 0.3;
        var b = new double[a.RowCount];
        a.Multiply(x, b);
        return (a, b, x);
    }

    [Theory]
    [InlineData("jacobi", 1)]
    [InlineData("ic0", 1)]
    [InlineData("ic0", 3)]
    [InlineData("eisenstat", 1)]
    [InlineData("eisenstat", 3)]
    public void SymmetricSolversRecoverTheKnownSolution(string kind, int blocks)
    {
        var (a, b, exact) = System(7, false);
        var x = new double[a.RowCount];
        var res = kind switch
        {
            "jacobi" => KrylovSolvers.ConjugateGradient(a, b, x, new JacobiPreconditioner(a), 1e-12, 1000),
            "ic0" => KrylovSolvers.ConjugateGradient(a, b, x, new IncompleteLu(a, true, blocks), 1e-12, 1000),
            _ => new EisenstatConjugateGradient(a, blocks).Solve(b, x, 1e-12, 1000),
        };
        Assert.True(res.Converged);
        Assert.True(x.Zip(exact, (p, q) => Math.Abs(p - q)).Max() < 1e-8);
    }

    [Fact]
    public void PreconditionersReduceIterations()
    {
        var (a, b, _) = System(9, false);
        int Its(Func<double[], LinearSolveResult> solve) => solve(new double[a.RowCount]).Iterations;
        int jac = Its(x => KrylovSolvers.ConjugateGradient(a, b, x, new JacobiPreconditioner(a), 1e-10, 1000));
        int ic = Its(x => KrylovSolvers.ConjugateGradient(a, b, x, new IncompleteLu(a, true, 1), 1e-10, 1000));
        int eis = Its(x => new EisenstatConjugateGradient(a, 1).Solve(b, x, 1e-10, 1000));
        Assert.True(ic < jac && eis < jac, $"jacobi {jac}, ic0 {ic}, eisenstat {eis}");
    }

    [Fact]
    public void NonsymmetricSystemsAreSolvedByBiCgStabAndDenseLu()
    {
        var (a, b, exact) = System(5, true);
        var x = new double[a.RowCount];
        var res = KrylovSolvers.BiCgStab(a, b, x, new IncompleteLu(a, false), 1e-12, 1000);
        Assert.True(res.Converged);
        Assert.True(x.Zip(exact, (p, q) => Math.Abs(p - q)).Max() < 1e-8);
        var y = new double[a.RowCount];
        new DenseLu(a).Solve(b, y);
        Assert.True(y.Zip(exact, (p, q) => Math.Abs(p - q)).Max() < 1e-10);
    }

    [Fact]
    public void AssembledMatricesHaveTheirExactInvariants()
    {
        var mesh = BoxTetMesher.Box(3, 4, 2, 1.5, 2.0, 1.0);
        var space = P1Space.Create(mesh);
        var m = space.MassMatrix(); var k = space.StiffnessMatrix();
        Assert.Equal(3.0, m.Values.Sum(), 12);                       // Σ M_ij = volume
        var ones = Enumerable.Repeat(1.0, space.VertexCount).ToArray();
        var y = new double[space.VertexCount];
        k.Multiply(ones, y);
        Assert.True(y.All(v => Math.Abs(v) < 1e-12));                // constants are in K's kernel
        var xs = Enumerable.Range(0, space.VertexCount).Select(v => mesh.Vertices[3 * v]).ToArray();
        k.Multiply(xs, y);
        Assert.Equal(3.0, VectorOps.Dot(xs, y, xs.Length), 10);     // xᵀ K x = ∫|∇x|² = volume
        Assert.Equal(2.0 * 1.0, space.BoundaryMassMatrix(1).Values.Sum(), 12); // side x = 0 has area 2·1
        Assert.Equal(2.0, space.BoundaryLumpedMass(1).Sum(), 12);
        Assert.Equal(3.0, space.LumpedMass().Sum(), 12);
        var t = m.TransposePositions();
        Assert.All(Enumerable.Range(0, m.NonZeroCount), e => Assert.Equal(m.Values[e], m.Values[t[e]], 15));
        Assert.Equal(6, BoxTetMesher.Box(1, 1, 1).TetCount);
        Assert.Equal(2 * 6 * 2 * 2, BoxTetMesher.Box(2, 2, 2).BoundaryFaceCount);
    }
}
