#!/usr/bin/env python3
"""A MONAI-style 2D U-Net with RANDOM weights, exported as SlicerIGT/aigt exports its models.

    python3 scripts/export_unet.py --out /tmp/igtb-models/unet.pt [--size 256] [--classes 2] [--seed 0]

For benchmarks and tests of the segment shape (pipeline.kind: segment) at a
realistic size: the layout of MONAI's BasicUNet (monai.networks.nets.BasicUNet,
spatial_dims=2, features=(32, 32, 64, 128, 256, 32): two conv-norm-act
blocks per level, max-pool down, transposed-conv up with the skip
concatenated, instance norm, LeakyReLU 0.1), written here in plain PyTorch so
no MONAI install is needed; about 1.9 M parameters. The weights are random
(seeded): its masks mean nothing, its cost is a real network's.

The file is what aigt's train.py --save-torchscript writes: torch.jit.trace
of the model on a [1, C, S, S] example, with the extra file config.json
{"shape": [1, C, S, S]}, so the bridge reads S and C from the file.
"""

import argparse
import json
import os

import torch
from torch import nn


def two_conv(cin, cout):
    block = []
    for a, b in ((cin, cout), (cout, cout)):
        block += [nn.Conv2d(a, b, 3, padding=1), nn.InstanceNorm2d(b, affine=True), nn.LeakyReLU(0.1, inplace=True)]
    return nn.Sequential(*block)


class Down(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(nn.MaxPool2d(2), two_conv(cin, cout))


class UpCat(nn.Module):
    def __init__(self, cin, ccat, cout, halves=True):
        super().__init__()
        up = cin // 2 if halves else cin
        self.up = nn.ConvTranspose2d(cin, up, 2, stride=2)
        self.convs = two_conv(up + ccat, cout)

    def forward(self, x, skip):
        return self.convs(torch.cat([skip, self.up(x)], dim=1))


class BasicUNet2d(nn.Module):
    def __init__(self, in_channels=1, out_channels=2, f=(32, 32, 64, 128, 256, 32)):
        super().__init__()
        self.conv_0 = two_conv(in_channels, f[0])
        self.down_1 = Down(f[0], f[1])
        self.down_2 = Down(f[1], f[2])
        self.down_3 = Down(f[2], f[3])
        self.down_4 = Down(f[3], f[4])
        self.upcat_4 = UpCat(f[4], f[3], f[3])
        self.upcat_3 = UpCat(f[3], f[2], f[2])
        self.upcat_2 = UpCat(f[2], f[1], f[1])
        self.upcat_1 = UpCat(f[1], f[0], f[5], halves=False)
        self.final_conv = nn.Conv2d(f[5], out_channels, 1)

    def forward(self, x):
        x0 = self.conv_0(x)
        x1 = self.down_1(x0)
        x2 = self.down_2(x1)
        x3 = self.down_3(x2)
        x4 = self.down_4(x3)
        u4 = self.upcat_4(x4, x3)
        u3 = self.upcat_3(u4, x2)
        u2 = self.upcat_2(u3, x1)
        u1 = self.upcat_1(u2, x0)
        return self.final_conv(u1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="the TorchScript file to write")
    ap.add_argument("--size", type=int, default=256, help="S: the square input side (a multiple of 16)")
    ap.add_argument("--in-channels", type=int, default=1)
    ap.add_argument("--classes", type=int, default=2, help="K: output channels, background first")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if a.size % 16:
        ap.error("--size must be a multiple of 16 (four 2x poolings)")
    torch.manual_seed(a.seed)
    model = BasicUNet2d(a.in_channels, a.classes).eval()
    example = torch.rand(1, a.in_channels, a.size, a.size) * 255.0
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
        same = torch.allclose(traced(example), model(example), atol=1e-4)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)) or ".", exist_ok=True)
    config = {"shape": [1, a.in_channels, a.size, a.size]}
    torch.jit.save(traced, a.out, _extra_files={"config.json": json.dumps(config)})
    params = sum(p.numel() for p in model.parameters())
    print("export_unet: %s: MONAI BasicUNet-style 2D U-Net, %.2f M parameters, RANDOM weights (seed %d), "
          "input [1, %d, %d, %d], %d classes; trace matches the module: %s"
          % (a.out, params / 1e6, a.seed, a.in_channels, a.size, a.size, a.classes, same))


if __name__ == "__main__":
    main()
