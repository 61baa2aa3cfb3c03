"""test_spatial.py — ONNX ConvTranspose against onnxruntime.

kiln lowers ConvTranspose to a convolution over the input spread by the strides and padded to a
full correlation, with the weight's channels swapped per group and its taps reversed; the node
tests cover each attribute alone on tiny shapes, so these models mix them on shapes they do not
use: stride 2 and 3 together, asymmetric pads, output_shape, output_padding, dilations, groups (grouped and depthwise), 1-D and 3-D, and a
batch of 2. Weights and biases are seeded random initializers; the input is a graph input, so
the kernel runs (nothing folds at import).

Tolerance: rtol 1e-4 plus atol 1e-5. Each output is a sum of at most C/G * prod(K) (here <= 36)
float32 products; kiln and onnxruntime sum in different orders, a few ulps of sum(|w| * |x|)
apart. A wrong tap, flip, group or pad is off by ~1e-1.
"""
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from kiln_e2e import check_ok, reference, run
from test_data_movement import write_pb_inputs

pytestmark = pytest.mark.compiler


def conv_transpose_model(x_shape, cases, seed):
    """One graph input `x` feeding a ConvTranspose per case (weight shape, attributes, bias?)."""
    rng = np.random.default_rng(seed)
    nodes, inits, outputs = [], [], []
    for i, (w_shape, attrs, bias) in enumerate(cases):
        w = numpy_helper.from_array(rng.standard_normal(w_shape).astype(np.float32), f"w{i}")
        inits.append(w)
        ins = ["x", f"w{i}"]
        if bias:
            m = w_shape[1] * attrs.get("group", 1)
            inits.append(numpy_helper.from_array(
                rng.standard_normal([m]).astype(np.float32), f"b{i}"))
            ins.append(f"b{i}")
        nodes.append(helper.make_node("ConvTranspose", ins, [f"y{i}"], name=f"ct{i}", **attrs))
        outputs.append(helper.make_tensor_value_info(f"y{i}", TensorProto.FLOAT, None))
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)], outputs,
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def check(kiln, tmp_path, model, x_shape, seed):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = str(tmp_path / "m.onnx")
    onnx.save(model, path)
    exe = str(tmp_path / "m.exe")
    check_ok(run([kiln, "compile", path, "-o", exe], timeout=600))
    rng = np.random.default_rng(seed)
    feeds = {"x": rng.standard_normal(x_shape).astype(np.float32)}
    want = reference(path, feeds)
    out = str(tmp_path / "out")
    check_ok(run([exe, *write_pb_inputs(feeds, str(tmp_path / "in")), "--output-dir", out]))
    for name, ref in want.items():
        got = np.load(os.path.join(out, name + ".npy"))
        assert got.shape == ref.shape, f"{name}: shape {got.shape}, expected {ref.shape}"
        np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-5, err_msg=name)


def test_conv_transpose_2d(kiln, tmp_path):
    x_shape = [2, 4, 5, 7]
    cases = [
        # stride 2, asymmetric pads, output_padding, bias
        ([4, 6, 3, 3], dict(strides=[2, 2], pads=[1, 0, 0, 1], output_padding=[1, 0]), True),
        # groups 2 (C/G = 2 → M/G = 3), mixed strides, dilation, output_padding
        ([4, 3, 3, 2], dict(group=2, strides=[2, 3], dilations=[2, 1], pads=[0, 1, 2, 0],
                            output_padding=[1, 2]), True),
        # depthwise, SAME_LOWER (output = input * stride)
        ([4, 1, 4, 3], dict(group=4, strides=[2, 2], auto_pad="SAME_LOWER"), False),
        # output_shape one short of the full output, default split (larger half first)
        ([4, 2, 3, 3], dict(strides=[2, 2], output_shape=[10, 14]), True),
        # output_shape smaller than the full output, SAME_UPPER split
        ([4, 2, 3, 3], dict(strides=[3, 2], output_shape=[14, 13], auto_pad="SAME_UPPER"),
         False),
    ]
    check(kiln, tmp_path, conv_transpose_model(x_shape, cases, 1), x_shape, 2)


def test_conv_transpose_1d_3d(kiln, tmp_path):
    x1 = [2, 3, 7]
    cases1 = [([3, 5, 4], dict(strides=[3], pads=[2, 1], output_padding=[2]), True),
              ([3, 2, 3], dict(strides=[2], dilations=[2]), False),
              ([3, 2, 3], dict(group=3, strides=[2], pads=[1, 0]), True)]
    check(kiln, tmp_path / "1d", conv_transpose_model(x1, cases1, 3), x1, 4)
    x3 = [1, 2, 3, 4, 3]
    cases3 = [([2, 3, 2, 3, 2], dict(strides=[1, 2, 2], pads=[0, 1, 1, 1, 0, 0]), True)]
    check(kiln, tmp_path / "3d", conv_transpose_model(x3, cases3, 5), x3, 6)
