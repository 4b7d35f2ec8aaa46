using ShapeStudy.Learning;
using TorchSharp;
using static TorchSharp.torch;

namespace ShapeStudy.Learning.Tests;

/// <summary>
/// End-to-end check that the native backend loads and computes: a Conv3d forward and backward pass compared with the
/// analytic gradients of L = sum(conv(x)).
/// </summary>
public sealed class Conv3dAutogradTests
{
    private const int InputSize = 8;
    private const int KernelSize = 3;
    private const int OutputSize = InputSize - KernelSize + 1; // 6, no padding, stride 1
    private const int OutputChannels = 2;

    [Fact]
    public void TorchRuntime_LoadsAndDescribesItself()
    {
        TorchRuntime.EnsureAvailable();
        var info = TorchRuntime.Describe();
        Assert.StartsWith("0.107", info.TorchSharpVersion);
        Assert.Matches(@"^\d+\.\d+", info.LibTorchVersion);
        Assert.True(info.IntraOpThreads >= 1);
        Assert.True(info.InterOpThreads >= 1);
    }

    [Fact]
    public void Conv3d_ForwardShapeAndGradientsOfSumMatchAnalyticValues()
    {
        TorchRuntime.EnsureAvailable();
        torch.manual_seed(20261125);
        using var scope = torch.NewDisposeScope();

        var conv = nn.Conv3d(1, OutputChannels, KernelSize, dtype: ScalarType.Float64);
        var x = torch.randn(new long[] { 1, 1, InputSize, InputSize, InputSize }, dtype: ScalarType.Float64).requires_grad_(true);

        var y = conv.forward(x);
        Assert.Equal(new long[] { 1, OutputChannels, OutputSize, OutputSize, OutputSize }, y.shape);
        y.sum().backward();

        var w = conv.weight!.detach().contiguous().data<double>().ToArray(); // (C_out, 1, k, k, k)
        var xv = x.detach().contiguous().data<double>().ToArray();           // (1, 1, n, n, n)
        var gradX = x.grad!.contiguous().data<double>().ToArray();
        var gradW = conv.weight!.grad!.contiguous().data<double>().ToArray();
        var gradB = conv.bias!.grad!.contiguous().data<double>().ToArray();
        const int k3 = KernelSize * KernelSize * KernelSize;

        // Interior voxels see every kernel tap of every output channel: dL/dx = Σ_c Σ_k w[c, k].
        double weightSum = 0;
        foreach (var v in w) weightSum += v;
        for (var z = KernelSize - 1; z < OutputSize; z++)
        for (var yy = KernelSize - 1; yy < OutputSize; yy++)
        for (var xx = KernelSize - 1; xx < OutputSize; xx++)
            Assert.Equal(weightSum, gradX[(z * InputSize + yy) * InputSize + xx], 10);

        // Every voxel: dL/dx[i] = Σ_c Σ_{k : 0 ≤ i − k < OutputSize per axis} w[c, k].
        for (var z = 0; z < InputSize; z++)
        for (var yy = 0; yy < InputSize; yy++)
        for (var xx = 0; xx < InputSize; xx++)
        {
            double expected = 0;
            for (var c = 0; c < OutputChannels; c++)
            for (var kz = 0; kz < KernelSize; kz++)
            for (var ky = 0; ky < KernelSize; ky++)
            for (var kx = 0; kx < KernelSize; kx++)
            {
                int oz = z - kz, oy = yy - ky, ox = xx - kx;
                if (oz < 0 || oy < 0 || ox < 0 || oz >= OutputSize || oy >= OutputSize || ox >= OutputSize) continue;
                expected += w[c * k3 + (kz * KernelSize + ky) * KernelSize + kx];
            }
            Assert.Equal(expected, gradX[(z * InputSize + yy) * InputSize + xx], 10);
        }

        // dL/dw[c, k] = Σ_o x[o + k] (same for every output channel); dL/db[c] = number of output voxels.
        for (var kz = 0; kz < KernelSize; kz++)
        for (var ky = 0; ky < KernelSize; ky++)
        for (var kx = 0; kx < KernelSize; kx++)
        {
            double expected = 0;
            for (var oz = 0; oz < OutputSize; oz++)
            for (var oy = 0; oy < OutputSize; oy++)
            for (var ox = 0; ox < OutputSize; ox++)
                expected += xv[((oz + kz) * InputSize + oy + ky) * InputSize + ox + kx];
            for (var c = 0; c < OutputChannels; c++)
                Assert.Equal(expected, gradW[c * k3 + (kz * KernelSize + ky) * KernelSize + kx], 9);
        }
        Assert.Equal(OutputChannels, gradB.Length);
        foreach (var g in gradB) Assert.Equal(OutputSize * OutputSize * OutputSize, g, 12);
    }
}
