#!/usr/bin/python3
"""PyTorch peer of ShapeStudy's 3D U-Net (src/Learning/Segmentation/UNet3d.cs, TiledInference.cs).

The network and the tiling/blending are defined exactly as in ShapeStudy, so a state dict moves between the two and the
same weights give the same probabilities.

  unet_peer.py infer <weights.pt> <volume.npy> <out.npy> <levels> <base> <out_channels> <tile_z,y,x> <repeats> [threads]
      loads the state dict, runs tiled inference `repeats` times after one warm-up, writes channel-0 probabilities
      and prints one JSON line {"tool", "median_s", "times_s"}.
  unet_peer.py fixture <out_dir>
      writes the PyBridge test fixture: unet_l2_b2.pt (state dict of UNet3d(levels=2, base=2, out=2), torch seed 7, with
      non-trivial batch-norm running statistics) and unet_l2_b2_output.npy (its eval-mode probabilities, shape
      (2, 8, 8, 8) stored as (16, 8, 8), channel-major, for the input x[z, y, x] = sin(0.7 z) + cos(0.4 y) * sin(0.3 x + 0.2 z) of shape (1, 1, 8, 8, 8)).
"""
import json
import statistics
import sys
import time

import numpy as np
import torch
from torch import nn


def block(cin, cout):
    return nn.Sequential(nn.Conv3d(cin, cout, 3, padding=1), nn.BatchNorm3d(cout), nn.ReLU(),
                         nn.Conv3d(cout, cout, 3, padding=1), nn.BatchNorm3d(cout), nn.ReLU())


class UNet3d(nn.Module):
    def __init__(self, levels=3, base=12, out_channels=1):
        super().__init__()
        self.levels = levels
        self.down = nn.ModuleList([block(1 if l == 0 else base << (l - 1), base << l) for l in range(levels - 1)])
        self.bottom = block(base << (levels - 2), base << (levels - 1))
        self.up = nn.ModuleList([nn.ConvTranspose3d(base << (l + 1), base << l, 2, stride=2) for l in range(levels - 1)])
        self.dec = nn.ModuleList([block(2 * (base << l), base << l) for l in range(levels - 1)])
        self.head = nn.Conv3d(base, out_channels, 1)

    def forward(self, x):
        skips = []
        for l in range(self.levels - 1):
            x = self.down[l](x)
            skips.append(x)
            x = nn.functional.max_pool3d(x, 2, 2)
        x = self.bottom(x)
        for l in range(self.levels - 2, -1, -1):
            x = self.up[l](x)
            x = self.dec[l](torch.cat([skips[l], x], 1))
        return self.head(x)


def receptive_margin(levels):
    q = 1 << (levels - 1)
    m = sum(4 * (1 << l) for l in range(levels - 1)) + 2 * q + q - 1
    return (m + q - 1) // q * q


def starts(padded, tile, stride):
    s, out = 0, []
    while True:
        out.append(min(s, padded - tile))
        if s + tile >= padded:
            break
        s += stride
    return sorted(set(out))


def axis_weights(start, tile, padded, margin, overlap):
    i = np.arange(tile, dtype=np.float64)
    lo = i if start > 0 else np.full(tile, np.inf)
    hi = (tile - 1 - i) if start + tile < padded else np.full(tile, np.inf)
    d = np.minimum(lo, hi)
    ramp = max(1, overlap - 2 * margin)
    return np.where(d < margin, 0.0, np.minimum(1.0, (d - margin + 1) / ramp))


def mirror_index(n, length):
    i = np.arange(length)
    if n == 1:
        return np.zeros(length, dtype=np.int64)
    period = 2 * (n - 1)
    i = i % period
    return np.where(i < n, i, period - i)


def tiled_predict(net, levels, volume, tile):
    """ShapeStudy's TiledInference.Predict: standardize, mirror-pad, tiles aligned to 2^(levels-1), blended."""
    x = volume.astype(np.float64)
    x = ((x - x.mean()) / (x.std() if x.std() > 1e-12 else 1.0)).astype(np.float32)
    q, m = 1 << (levels - 1), receptive_margin(levels)
    overlap = (2 * m + 2 * q + q - 1) // q * q
    n = x.shape
    padded = [(d + q - 1) // q * q for d in n]
    tiles = [min(t // q * q, p) for t, p in zip(tile, padded)]
    xp = x[np.ix_(mirror_index(n[0], padded[0]), mirror_index(n[1], padded[1]), mirror_index(n[2], padded[2]))]
    st = [starts(p, t, t - overlap) for p, t in zip(padded, tiles)]
    channels = net.head.out_channels
    acc = np.zeros((channels,) + tuple(padded), dtype=np.float64)
    wsum = np.zeros(tuple(padded), dtype=np.float64)
    with torch.no_grad():
        for sz in st[0]:
            for sy in st[1]:
                for sx in st[2]:
                    tz, ty, tx = tiles
                    window = torch.from_numpy(np.ascontiguousarray(xp[sz:sz + tz, sy:sy + ty, sx:sx + tx]))[None, None]
                    prob = torch.sigmoid(net(window))[0].numpy()
                    w = (axis_weights(sz, tz, padded[0], m, overlap)[:, None, None]
                         * axis_weights(sy, ty, padded[1], m, overlap)[None, :, None]
                         * axis_weights(sx, tx, padded[2], m, overlap)[None, None, :])
                    acc[:, sz:sz + tz, sy:sy + ty, sx:sx + tx] += w * prob
                    wsum[sz:sz + tz, sy:sy + ty, sx:sx + tx] += w
    return (acc / wsum)[:, :n[0], :n[1], :n[2]].astype(np.float32)


def infer(argv):
    weights, volume_path, out_path = argv[0], argv[1], argv[2]
    levels, base, out_channels = int(argv[3]), int(argv[4]), int(argv[5])
    tile = [int(v) for v in argv[6].split(",")]
    repeats = int(argv[7])
    torch.set_num_threads(int(argv[8]) if len(argv) > 8 else 2)
    net = UNet3d(levels, base, out_channels)
    net.load_state_dict(torch.load(weights))
    net.eval()
    volume = np.load(volume_path)
    result = tiled_predict(net, levels, volume, tile)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = tiled_predict(net, levels, volume, tile)
        times.append(time.perf_counter() - t0)
    np.save(out_path, result[0])
    print(json.dumps({"tool": f"PyTorch {torch.__version__} (Debian python3-torch, CPU, {torch.get_num_threads()} threads)",
                      "median_s": statistics.median(times), "times_s": times}))


def fixture(out_dir):
    torch.manual_seed(7)
    net = UNet3d(levels=2, base=2, out_channels=2)
    with torch.no_grad():
        for mod in net.modules():
            if isinstance(mod, nn.BatchNorm3d):
                mod.running_mean.uniform_(-0.3, 0.3)
                mod.running_var.uniform_(0.5, 2.0)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)
    net.eval()
    z, y, x = np.meshgrid(np.arange(8), np.arange(8), np.arange(8), indexing="ij")
    inp = (np.sin(0.7 * z) + np.cos(0.4 * y) * np.sin(0.3 * x + 0.2 * z)).astype(np.float32)
    with torch.no_grad():
        out = torch.sigmoid(net(torch.from_numpy(inp)[None, None]))[0].numpy()
    torch.save(net.state_dict(), f"{out_dir}/unet_l2_b2.pt")
    np.save(f"{out_dir}/unet_l2_b2_output.npy", out.reshape(16, 8, 8).astype(np.float32))  # channels stacked along z
    print(f"wrote {out_dir}/unet_l2_b2.pt and unet_l2_b2_output.npy (torch {torch.__version__})")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "fixture":
        fixture(sys.argv[2])
    elif len(sys.argv) >= 10 and sys.argv[1] == "infer":
        infer(sys.argv[2:])
    else:
        sys.exit(__doc__)
