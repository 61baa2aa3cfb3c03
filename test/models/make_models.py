#!/usr/bin/env python3
"""make_models.py — seeded generators of the small ONNX models the e2e tests and bench use.

Each generator builds a model with onnx.helper and deterministic weights (numpy RNG, He init,
BatchNormalization with realistic statistics) so that activations stay O(1) through the
network and a float32 comparison against onnxruntime is meaningful. Same arguments, same
bytes: the tests rely on that for the byte-identical-executable check.

  resnet_style        stem conv 7x7/2 + BN + Relu + MaxPool, basic, strided (1x1 projection)
                      and bottleneck residual blocks, GlobalAveragePool, Flatten, Gemm
  mobilenet_v2_style  inverted-residual blocks (expand, depthwise 3x3 stride 1/2, Clip 0..6,
                      project, residual Add), ReduceMean over [2,3], Reshape, Gemm
  ops_mix             the rest of the op set: batched/broadcast MatMul, broadcasting
                      Sub/Div/Mul, Sigmoid, AveragePool both ways, MaxPool SAME_UPPER, dilated
                      and auto_pad Conv, Transpose, Concat, Softmax, Identity, Constant,
                      Flatten, Reshape with -1 and 0; three inputs, three outputs
  unsupported_op      a tiny model with one node kiln does not support (Unique by default)

usage: make_models.py OUTDIR [--size 64] [--batch 1|NAME] [--external] [--only NAME ...]
writes OUTDIR/<name>.onnx (and <name>.onnx.data with --external).
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 18  # ReduceMean takes its axes as an input from 18 on; onnxruntime 1.32 runs 17..22
IR_VERSION = 10  # onnx 1.23 would write 12 by default; 10 is what opsets 17..22 need


class GraphBuilder:
    """Collects nodes and initializers; names every node so diagnostics can name it."""

    def __init__(self, name, seed):
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.inputs, self.outputs = [], [], [], []
        self.counts = {}

    def fresh(self, prefix):
        n = self.counts.get(prefix, 0)
        self.counts[prefix] = n + 1
        return f"{prefix}_{n}"

    def const(self, array, prefix="w"):
        name = self.fresh(prefix)
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op, inputs, n_out=1, name=None, **attrs):
        name = name or self.fresh(op.lower())
        outs = [f"{name}_out{i}" if n_out > 1 else f"{name}_out" for i in range(n_out)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, **attrs))
        return outs[0] if n_out == 1 else outs

    def input(self, name, shape, dtype=TensorProto.FLOAT):
        self.inputs.append(helper.make_tensor_value_info(name, dtype, shape))
        return name

    def output(self, value, name, shape, dtype=TensorProto.FLOAT):
        """Exposes `value` as graph output `name` (renames the producing node's output)."""
        for n in self.nodes:
            for i, o in enumerate(n.output):
                if o == value:
                    n.output[i] = name
            for i, x in enumerate(n.input):
                if x == value:
                    n.input[i] = name
        self.outputs.append(helper.make_tensor_value_info(name, dtype, shape))

    # --- weights ---------------------------------------------------------------------
    def he(self, shape):
        fan_in = int(np.prod(shape[1:]))
        return (self.rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)

    def small(self, shape, scale=0.05):
        return (self.rng.standard_normal(shape) * scale).astype(np.float32)

    # --- layers ------------------------------------------------------------------------
    def conv(self, x, cin, cout, k, stride=1, pad=None, group=1, bias=True, **attrs):
        w = self.const(self.he((cout, cin // group, k, k)), "conv_w")
        ins = [x, w] + ([self.const(self.small((cout,)), "conv_b")] if bias else [])
        if pad is not None:
            attrs["pads"] = [pad] * 4
        return self.node("Conv", ins, kernel_shape=[k, k], strides=[stride, stride],
                         group=group, **attrs)

    def bn(self, x, c, gamma=1.0):
        # Realistic inference statistics: mean and variance roughly those of a He-initialized
        # conv's output on O(1) inputs, so normalized activations stay O(1).
        scale = (gamma * self.rng.uniform(0.8, 1.2, c)).astype(np.float32)
        bias = self.small((c,), 0.1)
        mean = self.small((c,), 0.2)
        var = self.rng.uniform(0.5, 2.0, c).astype(np.float32)
        ins = [x] + [self.const(a, p) for a, p in
                     ((scale, "bn_scale"), (bias, "bn_bias"), (mean, "bn_mean"), (var, "bn_var"))]
        return self.node("BatchNormalization", ins, epsilon=1e-5)

    def gemm(self, x, cin, cout):
        w = self.const((self.rng.standard_normal((cout, cin)) / np.sqrt(cin)).astype(np.float32),
                       "fc_w")
        b = self.const(self.small((cout,)), "fc_b")
        return self.node("Gemm", [x, w, b], transB=1)

    def clip6(self, x):
        lo = self.const(np.array(0.0, np.float32), "clip_min")
        hi = self.const(np.array(6.0, np.float32), "clip_max")
        return self.node("Clip", [x, lo, hi])

    def model(self, opset=OPSET):
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="kiln-make_models", ir_version=IR_VERSION)
        return m


def resnet_style(size=64, batch=1, seed=0, classes=10):
    g = GraphBuilder("resnet_style", seed)
    x = g.input("pixels", [batch, 3, size, size])
    y = g.node("Relu", [g.bn(g.conv(x, 3, 16, 7, stride=2, pad=3, bias=False), 16)])
    y = g.node("MaxPool", [y], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])

    def basic(y, cin, cout, stride):
        h = g.node("Relu", [g.bn(g.conv(y, cin, cout, 3, stride, 1, bias=False), cout)])
        h = g.bn(g.conv(h, cout, cout, 3, 1, 1, bias=False), cout, gamma=0.5)
        if stride != 1 or cin != cout:  # 1x1 projection shortcut
            y = g.bn(g.conv(y, cin, cout, 1, stride, 0, bias=False), cout, gamma=0.5)
        return g.node("Relu", [g.node("Add", [h, y])])

    def bottleneck(y, c, mid):
        h = g.node("Relu", [g.bn(g.conv(y, c, mid, 1, 1, 0, bias=False), mid)])
        h = g.node("Relu", [g.bn(g.conv(h, mid, mid, 3, 1, 1, bias=False), mid)])
        h = g.bn(g.conv(h, mid, c, 1, 1, 0, bias=False), c, gamma=0.5)
        return g.node("Relu", [g.node("Add", [h, y])])

    y = basic(y, 16, 16, 1)
    y = basic(y, 16, 32, 2)
    y = bottleneck(y, 32, 8)
    y = g.node("Flatten", [g.node("GlobalAveragePool", [y])], axis=1)
    g.output(g.gemm(y, 32, classes), "logits", [batch, classes])
    return g.model(opset=17)


def mobilenet_v2_style(size=64, batch=1, seed=1, classes=10):
    g = GraphBuilder("mobilenet_v2_style", seed)
    x = g.input("pixels", [batch, 3, size, size])
    y = g.clip6(g.conv(x, 3, 16, 3, stride=2, pad=1))

    def inverted_residual(y, cin, cout, stride, t):
        c = cin * t
        h = g.clip6(g.conv(y, cin, c, 1, 1, 0))                    # expand
        h = g.clip6(g.conv(h, c, c, 3, stride, 1, group=c))         # depthwise
        h = g.conv(h, c, cout, 1, 1, 0)                             # project (linear)
        if stride == 1 and cin == cout:
            # Residual branches scaled down as trained networks' are, so the sum stays O(1).
            h = g.node("Mul", [h, g.const(np.array(0.5, np.float32), "res_scale")])
            h = g.node("Add", [y, h])
        return h

    y = inverted_residual(y, 16, 24, 2, 4)
    y = inverted_residual(y, 24, 24, 1, 4)
    y = inverted_residual(y, 24, 32, 2, 4)
    y = inverted_residual(y, 32, 32, 1, 4)
    y = g.clip6(g.conv(y, 32, 128, 1, 1, 0))
    y = g.node("ReduceMean", [y, g.const(np.array([2, 3], np.int64), "axes")], keepdims=1)
    y = g.node("Reshape", [y, g.const(np.array([-1, 128], np.int64), "shape")])
    g.output(g.gemm(y, 128, classes), "logits", [batch, classes])
    return g.model(opset=20)


def ops_mix(batch=1, seed=2, **_):
    g = GraphBuilder("ops_mix", seed)
    x = g.input("x", [batch, 4, 16, 16])
    q = g.input("q", [2, 3, 5, 8])
    k = g.input("k", [3, 8, 4])

    # Convolutions: dilated with explicit pads, SAME_UPPER with stride 2 (asymmetric pad).
    a = g.conv(x, 4, 8, 3, dilations=[2, 2], pads=[2, 2, 2, 2])             # 1x8x16x16
    a = g.node("Sigmoid", [a])
    scale = g.const(g.rng.uniform(0.5, 1.5, (1, 8, 1, 1)).astype(np.float32), "scale")
    shift = g.const(g.small((8, 1, 1), 0.3), "shift")
    a = g.node("Mul", [a, scale])                                          # [1,8,1,1] bcast
    a = g.node("Sub", [a, shift])                                          # [8,1,1] bcast
    div = g.node("Constant", [], value=numpy_helper.from_array(
        np.array([0.75], np.float32), "div_value"))
    a = g.node("Div", [a, div])                                            # [1] bcast
    c = g.conv(a, 8, 6, 3, stride=2, auto_pad="SAME_UPPER")                # 1x6x8x8
    # Even kernel: SAME_LOWER puts the extra pad row/column first (onnxruntime refuses
    # auto_pad together with dilations, so dilation is tested above with explicit pads).
    d = g.conv(a, 8, 4, 4, auto_pad="SAME_LOWER")                          # 1x4x16x16

    # Pools down to 8x8: average excluding and including pads, max with SAME_UPPER.
    p1 = g.node("AveragePool", [a], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                count_include_pad=0)                                       # 1x8x8x8
    p2 = g.node("MaxPool", [d], kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER")
    p3 = g.node("AveragePool", [d], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1],
                count_include_pad=1)                                       # 1x4x16x16
    cat = g.node("Concat", [p1, p2, c], axis=1)                            # 1x18x8x8

    t = g.node("Transpose", [cat], perm=[0, 2, 3, 1])                      # 1x8x8x18
    t = g.node("Reshape", [t, g.const(np.array([0, -1, 18], np.int64), "shape")])  # 1x64x18
    w = g.const((g.rng.standard_normal((18, 16)) / np.sqrt(18)).astype(np.float32), "mm_w")
    m = g.node("MatMul", [t, w])                                           # 1x64x16
    m = g.node("Identity", [g.node("Softmax", [m], axis=-1)])
    g.output(m, "probs", [batch, 64, 16])

    # Batched MatMul with broadcast batch dims: [2,3,5,8] @ [3,8,4] -> [2,3,5,4].
    s = g.node("MatMul", [q, k])
    s = g.node("Softmax", [g.node("Div", [s, g.const(np.array(np.sqrt(8.0), np.float32),
                                                          "temp")])], axis=1)
    g.output(s, "attn", [2, 3, 5, 4])

    g.output(g.node("Flatten", [p3], axis=1), "flat", [batch, 4 * 16 * 16])
    return g.model(opset=17)


def unsupported_op(op="Unique", domain="", batch=1, seed=3, **_):
    """Relu -> <op> -> Relu; the middle node is named `bad_<op>` so diagnostics can cite it."""
    g = GraphBuilder("unsupported_" + op.lower(), seed)
    x = g.input("x", [batch, 10])
    y = g.node("Relu", [x])
    n = helper.make_node(op, [y], ["bad_out"], name="bad_" + op.lower(), domain=domain)
    g.nodes.append(n)
    g.output(g.node("Relu", ["bad_out"]), "y", [batch, 10])
    m = g.model(opset=17)
    if domain:
        m.opset_import.append(helper.make_opsetid(domain, 1))
    return m


GENERATORS = {
    "resnet_style": resnet_style,
    "mobilenet_v2_style": mobilenet_v2_style,
    "ops_mix": ops_mix,
}


def save(model, path, external=False):
    """Writes `model` to `path`; with external=True the larger tensors go to `<path>.data`."""
    if external:
        data = os.path.basename(path) + ".data"
        if os.path.exists(path + ".data"):
            os.remove(path + ".data")  # onnx appends to an existing data file
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=data, size_threshold=256)
    else:
        onnx.save_model(model, path)
    return path


def generate(outdir, names=None, size=64, batch=1, external=False):
    """Writes the named models (default: all) into outdir; returns {name: path}."""
    os.makedirs(outdir, exist_ok=True)
    paths = {}
    for name in names or GENERATORS:
        model = GENERATORS[name](size=size, batch=batch)
        onnx.checker.check_model(model, full_check=True)
        paths[name] = save(model, os.path.join(outdir, name + ".onnx"), external)
    return paths


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--size", type=int, default=64, help="image height/width (resnet, mobilenet)")
    ap.add_argument("--batch", default="1", help="batch dim: a number, or a name (symbolic)")
    ap.add_argument("--external", action="store_true", help="weights in <model>.onnx.data")
    ap.add_argument("--only", nargs="+", choices=sorted(GENERATORS), help="models to write")
    a = ap.parse_args(argv)
    batch = int(a.batch) if a.batch.isdigit() else a.batch
    for name, path in generate(a.outdir, a.only, a.size, batch, a.external).items():
        print(path)


if __name__ == "__main__":
    sys.exit(main())
