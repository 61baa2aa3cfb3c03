#!/usr/bin/env python3
"""compare_with_ort.py — runs a compiled executable once on seeded inputs and compares its
outputs with onnxruntime (CPU) on the same inputs; prints one line, exits 1 over the limit.

The inputs and the limits are bench.py's (bench/bench.py: make_inputs, check_outputs): standard
normal floats, token ids in [0, 100), masks attending to the first three quarters; relative L2
<= 1e-4, or 2e-2 when an output is 16-bit floating point.

usage: compare_with_ort.py NAME MODEL.onnx EXE [NAME=1x128 ...] [--workdir DIR]
"""
import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "bench"))
import bench  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name")
    ap.add_argument("model")
    ap.add_argument("exe")
    ap.add_argument("shapes", nargs="*", help="input shapes, NAME=1x3x224x224")
    ap.add_argument("--workdir")
    a = ap.parse_args(argv)
    shapes = {}
    for text in a.shapes:
        _, name, shape = bench.parse_shape(text)
        shapes[name] = shape
    workdir = a.workdir or tempfile.mkdtemp(prefix="kiln-compare-")
    feeds = bench.make_inputs(a.model, shapes, seed=5)
    args = bench.write_input_files(feeds, os.path.join(workdir, "in"))
    sess = bench.ort_session(a.model, threads=2)
    try:
        worst, limit = bench.check_outputs(a.exe, args, sess, feeds, workdir, a.name)
    except bench.BenchError as e:
        print(f"{a.name}: error: {e}")
        return 1
    ok = worst <= limit
    print(f"{a.name}: relative L2 {worst:.2e} vs onnxruntime (limit {limit:.0e}) "
          f"{'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
