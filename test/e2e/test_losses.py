"""test_losses.py — NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss and Dropout against onnxruntime.

Each test builds a one-node model with onnx.helper, compiles it with kiln and compares the
executable's outputs with onnxruntime on seeded random inputs: every reduction (none, sum,
mean), with and without class weights, with and without ignore_index (some targets are set to
it), 2-D and 4-D inputs, f32/f64/f16. Where onnxruntime has no kernel (f16 losses) the onnx
reference evaluator is the oracle. Tolerances: f32 rtol 1e-5, f64 rtol 1e-12 (one gather, one
log_softmax and a sum of <= 60 terms in a different order), f16 rtol 2e-3 / atol 2e-3 (kiln
sums f16 in f32, the reference in f16). Dropout in inference is the identity: exact.
"""
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from kiln_e2e import check_ok, read_outputs, run, write_inputs

pytestmark = pytest.mark.compiler

FLOATS = {"float32": TensorProto.FLOAT, "float64": TensorProto.DOUBLE,
          "float16": TensorProto.FLOAT16}
TOL = {"float32": (1e-5, 1e-6), "float64": (1e-12, 1e-12), "float16": (2e-3, 2e-3)}


def oracle(model, path, feeds):
    """onnxruntime's outputs, or onnx.reference's where onnxruntime lacks the kernel."""
    import onnxruntime as ort
    names = [o.name for o in model.graph.output]
    try:
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        return dict(zip(names, sess.run(names, feeds)))
    except Exception:  # NOT_IMPLEMENTED for a dtype
        from onnx.reference import ReferenceEvaluator
        return dict(zip(names, ReferenceEvaluator(model).run(None, feeds)))


def check(kiln, tmp_path, model, feeds, dtype):
    path = str(tmp_path / "m.onnx")
    onnx.save(model, path)
    exe = str(tmp_path / "m.exe")
    check_ok(run([kiln, "compile", path, "-o", exe], timeout=600))
    want = oracle(model, path, feeds)
    args = write_inputs(feeds, str(tmp_path / "in"))
    out = str(tmp_path / "out")
    check_ok(run([exe, *args, "--output-dir", out]))
    got = read_outputs(out, list(want))
    rtol, atol = TOL[dtype]
    for name, ref in want.items():
        ref = np.asarray(ref)
        assert got[name].dtype == ref.dtype, f"{name}: dtype {got[name].dtype} vs {ref.dtype}"
        assert got[name].shape == ref.shape, f"{name}: shape {got[name].shape} vs {ref.shape}"
        np.testing.assert_allclose(got[name].astype(np.float64), ref.astype(np.float64),
                                   rtol=rtol, atol=atol, err_msg=name)


def loss_case(op, dtype, shape, reduction, weighted, ignore, log_prob=False, seed=0,
              tdtype="int64"):
    rng = np.random.default_rng(seed)
    n, c = shape[0], shape[1]
    tshape = [n, *shape[2:]]
    x = rng.standard_normal(shape)
    if op == "NegativeLogLikelihoodLoss":  # NLL takes log-probabilities
        x = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    feeds = {"x": x.astype(dtype), "t": rng.integers(0, c, size=tshape).astype(tdtype)}
    attrs = {"reduction": reduction}
    if ignore is not None:
        attrs["ignore_index"] = ignore
        feeds["t"].flat[::3] = ignore  # a third of the targets are ignored
    inputs = [helper.make_tensor_value_info("x", FLOATS[dtype], shape),
              helper.make_tensor_value_info(
                  "t", TensorProto.INT32 if tdtype == "int32" else TensorProto.INT64, tshape)]
    names = ["x", "t"]
    if weighted:
        feeds["w"] = rng.uniform(0.2, 2.0, size=[c]).astype(dtype)
        inputs.append(helper.make_tensor_value_info("w", FLOATS[dtype], [c]))
        names.append("w")
    outs = ["loss"] + (["log_prob"] if log_prob else [])
    node = helper.make_node(op, names, outs, **attrs)
    out_shape = tshape if reduction == "none" else []
    outputs = [helper.make_tensor_value_info("loss", FLOATS[dtype], out_shape)]
    if log_prob:
        outputs.append(helper.make_tensor_value_info("log_prob", FLOATS[dtype], shape))
    graph = helper.make_graph([node], "g", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model, feeds


@pytest.mark.parametrize("op", ["NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss"])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("weighted,ignore", [(False, None), (True, None), (False, 2),
                                             (True, -1)])
def test_loss_f32(kiln, tmp_path, op, reduction, weighted, ignore):
    model, feeds = loss_case(op, "float32", [5, 4, 3], reduction, weighted, ignore,
                             log_prob=op == "SoftmaxCrossEntropyLoss")
    check(kiln, tmp_path, model, feeds, "float32")


@pytest.mark.parametrize("op", ["NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss"])
@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_loss_dtypes(kiln, tmp_path, op, dtype):
    model, feeds = loss_case(op, dtype, [3, 5, 2, 2], "mean", True, 1, seed=1)
    check(kiln, tmp_path, model, feeds, dtype)


def test_loss_int32_target(kiln, tmp_path):
    model, feeds = loss_case("NegativeLogLikelihoodLoss", "float32", [4, 3, 2], "mean", True, 1,
                             tdtype="int32")
    check(kiln, tmp_path, model, feeds, "float32")


def test_loss_2d_ignored_out_of_range(kiln, tmp_path):
    """An ignore_index outside [0, C) must not be gathered (index clamped), only masked."""
    model, feeds = loss_case("SoftmaxCrossEntropyLoss", "float32", [6, 5], "mean", True, 10)
    check(kiln, tmp_path, model, feeds, "float32")


@pytest.mark.parametrize("opset", [7, 13])
def test_dropout_inference(kiln, tmp_path, opset):
    x = np.random.default_rng(2).standard_normal([2, 3, 4]).astype(np.float32)
    outs = ["y", "mask"] if opset >= 10 else ["y"]
    node = helper.make_node("Dropout", ["x"], outs)
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, 4])]
    if opset >= 10:
        outputs.append(helper.make_tensor_value_info("mask", TensorProto.BOOL, [2, 3, 4]))
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])], outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    check(kiln, tmp_path, model, {"x": x}, "float32")


def test_dropout_training_rejected(kiln, tmp_path):
    """Training-mode dropout is random: one clean error naming the node."""
    ratio = helper.make_tensor("r", TensorProto.FLOAT, [], [0.5])
    mode = helper.make_tensor("m", TensorProto.BOOL, [], [True])
    node = helper.make_node("Dropout", ["x", "r", "m"], ["y"], name="drop")
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])], [ratio, mode])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path = str(tmp_path / "m.onnx")
    onnx.save(model, path)
    proc = run([kiln, "compile", path, "-o", str(tmp_path / "m.exe")])
    assert proc.returncode != 0 and "node 'drop'" in proc.stderr, proc.stderr
