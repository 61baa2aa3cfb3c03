"""test_runtime_axes.py — axes, axis and k given as graph inputs (conformance issue 3).

Reduce* with an `axes` input, CumSum with an `axis` input and Trilu with a `k` input whose values
only exist at run time: kiln compiles one executable that switches over the possible choices.
Each model is compiled once and run with several values (negative ones included) against
onnxruntime; an elementwise consumer checks that the dynamically shaped result flows on.
"""
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from kiln_e2e import assert_close, read_outputs, reference, run, run_exe, write_inputs

pytestmark = pytest.mark.compiler


def _save(nodes, inputs, outputs, path, initializers=(), opset=18):
    graph = helper.make_graph(nodes, os.path.basename(path), inputs, outputs,
                              list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    return path


def _check_values(exe, path, feeds_list, tmp_path):
    for i, feeds in enumerate(feeds_list):
        ref = reference(path, feeds)
        outdir = run_exe(exe, feeds, str(tmp_path / str(i)))
        assert_close(read_outputs(outdir, ref), ref)


@pytest.mark.parametrize("op,keepdims", [("ReduceSum", 0), ("ReduceMean", 1),
                                         ("ReduceLogSumExp", 0), ("ReduceMax", 1)])
def test_reduce_axes_at_run_time(compiled, tmp_path, op, keepdims):
    """exp(Reduce(x, axes) / 4) with two axes out of three, for every choice and order."""
    path = _save(
        [helper.make_node(op, ["x", "axes"], ["r"], keepdims=keepdims, name="reduce"),
         helper.make_node("Div", ["r", "four"], ["q"], name="scale"),
         helper.make_node("Exp", ["q"], ["y"], name="exp")],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 5, 4]),
         helper.make_tensor_value_info("axes", TensorProto.INT64, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * (3 if keepdims else 1))],
        str(tmp_path / f"{op}.onnx"),
        [onnx.numpy_helper.from_array(np.array(4.0, dtype=np.float32), "four")])
    exe = compiled(path)
    x = np.random.default_rng(1).standard_normal([3, 5, 4]).astype(np.float32)
    _check_values(exe, path, [{"x": x, "axes": np.array(a, dtype=np.int64)}
                              for a in ([0, 2], [-1, 1], [1, 0], [2, -3])], tmp_path)


def test_reduce_bad_axes_fail(compiled, tmp_path):
    """Axes out of range or repeated stop the run (non-zero exit) instead of reading garbage."""
    path = _save(
        [helper.make_node("ReduceSum", ["x", "axes"], ["y"], keepdims=0, name="reduce")],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3]),
         helper.make_tensor_value_info("axes", TensorProto.INT64, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None])],
        str(tmp_path / "bad.onnx"))
    exe = compiled(path)
    x = np.ones([2, 3], np.float32)
    for bad in (2, -3):
        args = write_inputs({"x": x, "axes": np.array([bad], np.int64)}, str(tmp_path / str(bad)))
        proc = run([exe, *args, "--output-dir", str(tmp_path / f"out{bad}")])
        assert proc.returncode != 0, f"axis {bad} accepted"


def test_cumsum_axis_at_run_time(compiled, tmp_path):
    path = _save(
        [helper.make_node("CumSum", ["x", "axis"], ["c"], reverse=1, name="cumsum"),
         helper.make_node("Neg", ["c"], ["y"], name="neg")],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4, 5]),
         helper.make_tensor_value_info("axis", TensorProto.INT32, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 4, 5])],
        str(tmp_path / "cumsum.onnx"))
    exe = compiled(path)
    x = np.random.default_rng(2).standard_normal([3, 4, 5]).astype(np.float32)
    _check_values(exe, path, [{"x": x, "axis": np.array(a, dtype=np.int32)}
                              for a in (0, 1, -1)], tmp_path)


def test_trilu_k_at_run_time(compiled, tmp_path):
    path = _save(
        [helper.make_node("Trilu", ["x", "k"], ["y"], upper=0, name="tril")],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4, 6]),
         helper.make_tensor_value_info("k", TensorProto.INT64, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4, 6])],
        str(tmp_path / "trilu.onnx"))
    exe = compiled(path)
    x = np.random.default_rng(3).standard_normal([2, 4, 6]).astype(np.float32)
    _check_values(exe, path, [{"x": x, "k": np.array(k, dtype=np.int64)}
                              for k in (-1, 0, 2, 7)], tmp_path)
