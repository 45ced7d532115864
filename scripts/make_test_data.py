#!/usr/bin/env python3
"""Generates the small synthetic sequence files in tests/data and expected.txt.

Standard library only and deterministic: running it again gives the same
pixel data (the compressed bytes may differ with another zlib version, the
decoded pixels do not).

Pixel values are a known function of (frame f, column i, row j, component c),
stored with c fastest, then i, j, frame -- tests/io/test_sequence.cpp uses the
same formulas:
  uint8:   (53*f + 17*j + 5*i + 80*c) % 256
  int16:   (7919*f + 613*j + 97*i + 31*c) % 65536 - 32768
  float32: 100*f + 10*j + i + 0.5*c - 0.25

expected.txt has one line per readable file:
  name frames i j k components scalar fnv1a64hex
where the checksum is FNV-1a 64 of all pixel bytes in little-endian order.
For the two PLUS files it is computed here, independently of the C++ reader,
by decompressing their data with Python's zlib / gzip.

Usage: scripts/make_test_data.py [output_dir]   (default: tests/data)
"""

import gzip
import os
import struct
import sys
import zlib

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK64 = 0xFFFFFFFFFFFFFFFF

PLUS_FILES = ["SpinePhantomFreehand.igs.mha", "NwirePhantomFreehand.igs.nrrd"]


def fnv1a64(data):
    h = FNV_OFFSET
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & MASK64
    return h


def value(scalar, f, i, j, c):
    if scalar == "uint8":
        return (53 * f + 17 * j + 5 * i + 80 * c) % 256
    if scalar == "int16":
        return (7919 * f + 613 * j + 97 * i + 31 * c) % 65536 - 32768
    if scalar == "float32":
        return 100.0 * f + 10.0 * j + i + 0.5 * c - 0.25
    raise ValueError(scalar)


STRUCT_CODE = {"uint8": "B", "int16": "h", "float32": "f"}


def pixels(scalar, frames, ni, nj, comps, big_endian=False):
    vals = [value(scalar, f, i, j, c)
            for f in range(frames) for j in range(nj) for i in range(ni) for c in range(comps)]
    order = ">" if big_endian else "<"
    return struct.pack(order + str(len(vals)) + STRUCT_CODE[scalar], *vals)


def fmt_matrix(m):
    return " ".join(repr(float(x)) if x != int(x) else str(int(x)) for x in m)


def translation(x, y, z):
    return [1, 0, 0, x, 0, 1, 0, y, 0, 0, 1, z, 0, 0, 0, 1]


def mha(lines, data):
    return ("\n".join(lines) + "\nElementDataFile = LOCAL\n").encode() + data


def nrrd(lines, data):
    return ("NRRD0004\n" + "\n".join(lines) + "\n\n").encode() + data


def make_int16_msb_mha():
    frames, ni, nj = 4, 7, 5
    lines = ["ObjectType = Image", "NDims = 3", "BinaryData = True", "BinaryDataByteOrderMSB = True",
             "CompressedData = False", f"DimSize = {ni} {nj} {frames}", "ElementSpacing = 0.2 0.3 1",
             "Offset = 0 0 0", "TransformMatrix = 1 0 0 0 1 0 0 0 1", "ElementType = MET_SHORT",
             "UltrasoundImageOrientation = MF"]
    for f in range(frames):
        p = f"Seq_Frame{f:04d}_"
        lines += [p + "ProbeToTrackerTransform = " + fmt_matrix(translation(10 * f, 20, 30)),
                  p + "ProbeToTrackerTransformStatus = OK",
                  p + f"Timestamp = {1.5 + 0.25 * f}", p + "ImageStatus = OK", p + f"ExtraInfo = frame-{f}"]
    return mha(lines, pixels("int16", frames, ni, nj, 1, big_endian=True))


def make_single_mha():
    ni, nj = 9, 6
    lines = ["ObjectType = Image", "NDims = 2", "BinaryData = True", "BinaryDataByteOrderMSB = False",
             "CompressedData = False", f"DimSize = {ni} {nj}", "ElementSpacing = 0.5 0.25",
             "Offset = 10 -20", "TransformMatrix = 0 1 -1 0", "ElementType = MET_UCHAR",
             "Seq_Frame0000_ImageToReferenceTransform = "
             + fmt_matrix([0.5, 0, 0, 10, 0, 0.25, 0, 20, 0, 0, 1, 30, 0, 0, 0, 1]),
             "Seq_Frame0000_ImageToReferenceTransformStatus = OK", "Seq_Frame0000_Timestamp = 12.75"]
    return mha(lines, pixels("uint8", 1, ni, nj, 1))


def make_float32_zlib_mha():
    frames, ni, nj, comps = 3, 6, 4, 2
    packed = zlib.compress(pixels("float32", frames, ni, nj, comps), 9)
    lines = ["ObjectType = Image", "NDims = 3", "BinaryData = True", "BinaryDataByteOrderMSB = False",
             "CompressedData = True", f"CompressedDataSize = {len(packed)}", f"DimSize = {ni} {nj} {frames}",
             "ElementNumberOfChannels = 2", "ElementSpacing = 1 1 1", "ElementType = MET_FLOAT"]
    for f in range(frames):
        lines.append(f"Seq_Frame{f:04d}_Timestamp = {100 + f}")
    return mha(lines, packed)


def make_rgb_nrrd():
    frames, ni, nj = 3, 8, 6
    lines = ["type: uint8", "dimension: 4", "space dimension: 3", "encoding: raw",
             f"sizes: 3 {ni} {nj} {frames}", "kinds: vector domain domain list",
             "space directions: none (0.3,0,0) (0,0.4,0) none", "space origin: (1,2,3)",
             "ultrasound image orientation:=MF"]
    for f in range(frames):
        p = f"Seq_Frame{f:04d}_"
        lines += [p + "ProbeToTrackerTransform:=" + fmt_matrix(translation(f, 2 * f, 3 * f)),
                  p + "ProbeToTrackerTransformStatus:=OK",
                  p + "StylusToTrackerTransform:=" + fmt_matrix(translation(0, 0, 0)),
                  p + "StylusToTrackerTransformStatus:=INVALID",
                  p + f"Timestamp:={20 + 0.5 * f}",
                  p + "Status:=" + ("INVALID" if f == 1 else "OK")]
    return nrrd(lines, pixels("uint8", frames, ni, nj, 3))


def make_int16_gz_nrrd():
    frames, ni, nj = 5, 10, 7
    lines = ["type: short", "dimension: 3", "encoding: gzip", "endian: little",
             "kinds: domain domain list", f"sizes: {ni} {nj} {frames}", "space dimension: 2",
             "space directions: (0.2,0) (0,0.3) none", "space origin: (5,6)"]
    for f in range(frames):
        p = f"Seq_Frame{f:04d}_"
        lines += [p + f"Timestamp:={7 + f}", p + "Status:=OK"]
    return nrrd(lines, gzip.compress(pixels("int16", frames, ni, nj, 1), 9, mtime=0))


def make_broken_truncated_mha():
    lines = ["ObjectType = Image", "NDims = 3", "BinaryData = True", "CompressedData = False",
             "DimSize = 10 10 3", "ElementType = MET_UCHAR"]
    return mha(lines, pixels("uint8", 3, 10, 10, 1)[:250])


def make_broken_sizes_nrrd():
    lines = ["type: uint8", "dimension: 3", "encoding: raw", "sizes: 10 abc 3", "kinds: domain domain list"]
    return nrrd(lines, bytes(300))


GENERATED = {
    # name: (maker, frames, i, j, k, components, scalar) -- None: broken file, no expected line
    "synthetic_int16_msb.mha": (make_int16_msb_mha, 4, 7, 5, 1, 1, "int16"),
    "synthetic_single.mha": (make_single_mha, 1, 9, 6, 1, 1, "uint8"),
    "synthetic_float32_zlib.mha": (make_float32_zlib_mha, 3, 6, 4, 1, 2, "float32"),
    "synthetic_rgb.nrrd": (make_rgb_nrrd, 3, 8, 6, 1, 3, "uint8"),
    "synthetic_int16_gz.nrrd": (make_int16_gz_nrrd, 5, 10, 7, 1, 1, "int16"),
    "broken_truncated.mha": (make_broken_truncated_mha,),
    "broken_sizes.nrrd": (make_broken_sizes_nrrd,),
}


def plus_pixels(path):
    """Pixel bytes of a PLUS file, decoded here without the C++ reader."""
    with open(path, "rb") as fh:
        data = fh.read()
    if path.endswith(".mha"):
        marker = b"ElementDataFile = LOCAL\n"
        body = data[data.index(marker) + len(marker):]
        header = data[:data.index(marker)].decode()
        return zlib.decompress(body) if "CompressedData = True" in header else body
    body = data[data.index(b"\n\n") + 2:]
    return gzip.decompress(body)


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "data")
    expected = []
    for name, spec in GENERATED.items():
        content = spec[0]()
        assert len(content) < 100_000, name
        with open(os.path.join(out_dir, name), "wb") as fh:
            fh.write(content)
        if len(spec) > 1:
            frames, ni, nj, nk, comps, scalar = spec[1:]
            checksum = fnv1a64(pixels(scalar, frames, ni, nj, comps))
            expected.append(f"{name} {frames} {ni} {nj} {nk} {comps} {scalar} {checksum:016x}")
    plus_dims = {"SpinePhantomFreehand.igs.mha": (21, 820, 616), "NwirePhantomFreehand.igs.nrrd": (97, 820, 616)}
    for name in PLUS_FILES:
        frames, ni, nj = plus_dims[name]
        data = plus_pixels(os.path.join(out_dir, name))
        assert len(data) == frames * ni * nj, (name, len(data))
        expected.append(f"{name} {frames} {ni} {nj} 1 1 uint8 {fnv1a64(data):016x}")
    with open(os.path.join(out_dir, "expected.txt"), "w") as fh:
        fh.write("# name frames i j k components scalar fnv1a64(pixels, little-endian)\n")
        fh.write("# generated by scripts/make_test_data.py\n")
        fh.write("\n".join(expected) + "\n")


if __name__ == "__main__":
    main()
