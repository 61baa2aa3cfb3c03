#!/usr/bin/env python3
"""onnxtext_to_onnx.py - turns an .onnxtext lit test (ONNX text syntax) into a .onnx.

Usage: onnxtext_to_onnx.py IN.onnxtext OUT.onnx [--splat] [--raw-data] [--external-data FILE]

`#` lines (RUN/CHECK) are comments in ONNX text syntax. The model is not checked,
so error tests can hold invalid graphs. --splat fills an initializer written with one
value (`float[64,3,3,3] w = {0.5}`) to its full shape, as raw_data. --raw-data stores initializers as raw_data
(the text parser writes typed fields); --external-data moves every initializer to
FILE (relative to OUT's folder) as ONNX external data.
"""
import argparse
import os

import numpy as np
import onnx
import onnx.parser
from onnx import numpy_helper


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--splat", action="store_true")
    ap.add_argument("--raw-data", action="store_true")
    ap.add_argument("--external-data", metavar="FILE")
    args = ap.parse_args()
    with open(args.src) as f:
        model = onnx.parser.parse_model(f.read())
    if args.splat:
        for i, init in enumerate(model.graph.initializer):
            count = int(np.prod(init.dims))
            if count > 1 and len(init.float_data) == 1:
                full = np.full(tuple(init.dims), init.float_data[0], dtype=np.float32)
                model.graph.initializer[i].CopyFrom(numpy_helper.from_array(full, init.name))
    if args.raw_data or args.external_data:
        for i, init in enumerate(model.graph.initializer):
            model.graph.initializer[i].CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init), init.name))
    if args.external_data:
        onnx.save_model(model, args.dst, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=args.external_data, size_threshold=0)
        return
    onnx.save_model(model, args.dst)


if __name__ == "__main__":
    main()
