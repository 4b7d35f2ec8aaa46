using ShapeStudy.Core;

namespace ShapeStudy.Core.Tests;

public class SymmetricEigen3Tests
{
    /// <summary>Random symmetric matrices (entries uniform on [−5, 5]): A·v = λ·v, unit orthogonal vectors, descending λ.</summary>
    [Fact]
    public void RandomSymmetricMatrices_SatisfyTheEigenEquationWithOrthonormalVectors()
    {
        var rng = new Random(20261125);
        for (int trial = 0; trial < 500; trial++)
        {
            var m = new double[9];
            for (int r = 0; r < 3; r++)
                for (int c = r; c < 3; c++)
                    m[3 * r + c] = m[3 * c + r] = 10 * rng.NextDouble() - 5;
            AssertEigenDecomposition(m, SymmetricEigen3.Decompose(m), 1e-10);
        }
    }

    /// <summary>Trace and determinant are the sum and product of the eigenvalues (similarity invariants).</summary>
    [Fact]
    public void Eigenvalues_PreserveTraceAndDeterminant()
    {
        var m = new double[] { 4, 1, -2, 1, 3, 0.5, -2, 0.5, 1 };
        var (values, _) = SymmetricEigen3.Decompose(m);
        double det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
        Assert.Equal(m[0] + m[4] + m[8], values[0] + values[1] + values[2], 12);
        Assert.Equal(det, values[0] * values[1] * values[2], 10);
    }

    /// <summary>A diagonal matrix needs no rotation: its diagonal, sorted, with the matching coordinate axes.</summary>
    [Fact]
    public void DiagonalMatrix_GivesSortedDiagonalAndCoordinateAxes()
    {
        var m = new double[] { 2, 0, 0, 0, 7, 0, 0, 0, -1 };
        var (values, vectors) = SymmetricEigen3.Decompose(m);
        Assert.Equal(new[] { 7.0, 2.0, -1.0 }, values);
        Assert.Equal(new double[] { 0, 1, 0, 1, 0, 0, 0, 0, 1 }, vectors);
    }

    /// <summary>
    /// A doubly degenerate matrix (eigenvalues 5, 2, 2: 2·I + 3·u uᵀ with u = (1, 1, 1)/√3): the simple eigenvector is ±u
    /// and any orthonormal basis of the 2-D eigenspace is valid, so only the defining properties are checked.
    /// </summary>
    [Fact]
    public void DegenerateMatrix_GivesAnOrthonormalEigenbasis()
    {
        var m = new double[] { 3, 1, 1, 1, 3, 1, 1, 1, 3 };
        var result = SymmetricEigen3.Decompose(m);
        Assert.Equal(5.0, result.Values[0], 12);
        Assert.Equal(2.0, result.Values[1], 12);
        Assert.Equal(2.0, result.Values[2], 12);
        double dot = (result.Vectors[0] + result.Vectors[3] + result.Vectors[6]) / Math.Sqrt(3);
        Assert.Equal(1.0, Math.Abs(dot), 12);
        AssertEigenDecomposition(m, result, 1e-12);
    }

    /// <summary>A multiple of the identity is returned untouched: equal eigenvalues and the identity basis.</summary>
    [Fact]
    public void MultipleOfIdentity_IsFullyDegenerate()
    {
        var (values, vectors) = SymmetricEigen3.Decompose(new double[] { 4, 0, 0, 0, 4, 0, 0, 0, 4 });
        Assert.Equal(new[] { 4.0, 4.0, 4.0 }, values);
        Assert.Equal(new double[] { 1, 0, 0, 0, 1, 0, 0, 0, 1 }, vectors);
    }

    [Fact]
    public void WrongLength_IsRejected() =>
        Assert.Throws<ArgumentException>(() => SymmetricEigen3.Decompose(new double[4]));

    private static void AssertEigenDecomposition(double[] m, (double[] Values, double[] Vectors) result, double tolerance)
    {
        var (values, v) = result;
        double scale = 0;
        foreach (var x in m) scale = Math.Max(scale, Math.Abs(x));
        Assert.True(values[0] >= values[1] && values[1] >= values[2], "eigenvalues must be descending");
        for (int k = 0; k < 3; k++)
        {
            for (int r = 0; r < 3; r++)
            {
                double av = m[3 * r] * v[k] + m[3 * r + 1] * v[3 + k] + m[3 * r + 2] * v[6 + k];
                Assert.True(Math.Abs(av - values[k] * v[3 * r + k]) <= tolerance * Math.Max(scale, 1),
                    $"A·v ≠ λ·v for eigenpair {k}, row {r}: {av} vs {values[k] * v[3 * r + k]}");
            }
            for (int j = 0; j < 3; j++)
            {
                double dot = v[k] * v[j] + v[3 + k] * v[3 + j] + v[6 + k] * v[6 + j];
                Assert.True(Math.Abs(dot - (j == k ? 1 : 0)) <= 1e-12, $"vᵀv not orthonormal at ({k}, {j}): {dot}");
            }
        }
    }
}
