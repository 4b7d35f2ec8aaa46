using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ShapeStudy.Learning.Segmentation;

/// <summary>
/// Shape of a <see cref="UNet3d"/>: <paramref name="Levels"/> resolution levels (≥ 2; Levels − 1 max-poolings by 2),
/// <paramref name="BaseChannels"/> feature channels at full resolution (doubled per level), one input channel and
/// <paramref name="OutputChannels"/> output logits (channel 0 = boundary, channel 1 = foreground when present).
/// </summary>
public sealed record UNetArchitecture(int Levels = 3, int BaseChannels = 12, int OutputChannels = 1)
{
    /// <summary>Spatial sizes fed to the network must be multiples of this (2^(Levels − 1) voxels).</summary>
    public int SizeMultiple => 1 << (Levels - 1);

    /// <summary>
    /// Voxels (per side) of input context that can influence one output voxel, rounded up to <see cref="SizeMultiple"/>:
    /// two 3³ convolutions per block at every level on the way down and up, plus the pooling-grid alignment.
    /// </summary>
    public int ReceptiveMargin
    {
        get
        {
            int m = 0;
            for (int l = 0; l < Levels - 1; l++) m += 2 * 2 * (1 << l);   // encoder + decoder block at level l
            m += 2 * (1 << (Levels - 1)) + (1 << (Levels - 1)) - 1;      // bottom block + alignment
            return (m + SizeMultiple - 1) / SizeMultiple * SizeMultiple;
        }
    }

    /// <summary>Throws naming the first out-of-range setting.</summary>
    public UNetArchitecture Validated()
    {
        if (Levels is < 2 or > 6) throw new ArgumentOutOfRangeException(nameof(Levels), Levels, "a U-Net needs 2 to 6 levels");
        if (BaseChannels is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(BaseChannels), BaseChannels, "base channels must lie in 1..256");
        if (OutputChannels is < 1 or > 2) throw new ArgumentOutOfRangeException(nameof(OutputChannels), OutputChannels, "output channels: 1 (boundary) or 2 (boundary, foreground)");
        return this;
    }
}

/// <summary>
/// A 3D U-Net (Çiçek et al. 2016) for input (N, 1, Z, Y, X) → logits (N, OutputChannels, Z, Y, X), same spatial size
/// (every size a multiple of <see cref="UNetArchitecture.SizeMultiple"/>). Each block is
/// Conv3d(3³, padding 1) → BatchNorm3d → ReLU, twice; max-pooling by 2 on the way down, ConvTranspose3d(2³, stride 2)
/// on the way up, skip connections by concatenation (skip first), a 1³ convolution head. Parameter names match the
/// PyTorch definition in <c>bench/unet_peer.py</c> (<c>down.{l}.{0,1,3,4}</c>, <c>bottom</c>, <c>up.{l}</c>,
/// <c>dec.{l}</c>, <c>head</c>), so state dicts move between the two with TorchSharp.PyBridge.
/// </summary>
public sealed class UNet3d : nn.Module<Tensor, Tensor>
{
    // Field names are the state-dict keys.
#pragma warning disable IDE1006
    private readonly ModuleList<Sequential> down;
    private readonly Sequential bottom;
    private readonly ModuleList<ConvTranspose3d> up;
    private readonly ModuleList<Sequential> dec;
    private readonly Conv3d head;
#pragma warning restore IDE1006

    /// <summary>The network's shape.</summary>
    public UNetArchitecture Architecture { get; }

    /// <summary>Builds the network with PyTorch's default initialization drawn from libtorch's global generator (seed it first).</summary>
    public UNet3d(UNetArchitecture architecture) : base("UNet3d")
    {
        Architecture = architecture.Validated();
        int c = architecture.BaseChannels, levels = architecture.Levels;
        down = new ModuleList<Sequential>();
        up = new ModuleList<ConvTranspose3d>();
        dec = new ModuleList<Sequential>();
        for (int l = 0; l < levels - 1; l++)
            down.Add(Block(l == 0 ? 1 : c << (l - 1), c << l));
        bottom = Block(c << (levels - 2), c << (levels - 1));
        for (int l = 0; l < levels - 1; l++)
        {
            up.Add(nn.ConvTranspose3d(c << (l + 1), c << l, 2, stride: 2));
            dec.Add(Block(2 * (c << l), c << l));
        }
        head = nn.Conv3d(c, architecture.OutputChannels, 1);
        RegisterComponents();
    }

    private static Sequential Block(int input, int output) => nn.Sequential(
        nn.Conv3d(input, output, 3, padding: 1), nn.BatchNorm3d(output), nn.ReLU(),
        nn.Conv3d(output, output, 3, padding: 1), nn.BatchNorm3d(output), nn.ReLU());

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        int levels = Architecture.Levels;
        var skips = new Tensor[levels - 1];
        var h = input;
        for (int l = 0; l < levels - 1; l++)
        {
            skips[l] = down[l].forward(h);
            h = nn.functional.max_pool3d(skips[l], [2, 2, 2], [2, 2, 2]);
        }
        h = bottom.forward(h);
        for (int l = levels - 2; l >= 0; l--)
        {
            h = up[l].forward(h);
            h = dec[l].forward(torch.cat([skips[l], h], 1));
        }
        return head.forward(h);
    }
}
