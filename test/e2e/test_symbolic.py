"""test_symbolic.py — one executable serves every size of a symbolic dim (tracker issue 3).

Models are built here with onnx.helper: a small MLP with a symbolic batch dim, two inputs
sharing it and a static output beside the dynamic one, and a transformer-like attention block on [1, seq, 64] (MatMul, Add, Softmax,
Reshape/Transpose with -1 and 0 targets, so the output's seq is computed by the model). Each is
compiled once and run at three sizes against onnxruntime.
"""
import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from kiln_e2e import (BENCH_LINE, COMPILE_TIMEOUT_S, assert_close, check_ok, check_one_line_error,
                      random_inputs, read_outputs, reference, run, run_exe, write_inputs)

pytestmark = pytest.mark.compiler


def _init(name, rng, shape, scale=0.2):
    return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)


def _save(graph, path):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    return path


def mlp_batch(path):
    """y = relu(x @ W + b) + skip; x: [batch, 8], skip: [batch, 16]; second output: the
    mean of relu(...) over the batch, [16] (a static output next to a dynamic one)."""
    rng = np.random.default_rng(11)
    nodes = [helper.make_node("MatMul", ["x", "W"], ["h"], name="matmul"),
             helper.make_node("Add", ["h", "b"], ["hb"], name="bias"),
             helper.make_node("Relu", ["hb"], ["r"], name="relu"),
             helper.make_node("Add", ["r", "skip"], ["y"], name="skip_add"),
             helper.make_node("ReduceMean", ["r"], ["mean"], axes=[0], keepdims=0,
                              name="batch_mean")]
    graph = helper.make_graph(
        nodes, "mlp_batch",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8]),
         helper.make_tensor_value_info("skip", TensorProto.FLOAT, ["batch", 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 16]),
         helper.make_tensor_value_info("mean", TensorProto.FLOAT, [16])],
        [_init("W", rng, [8, 16]), _init("b", rng, [16])])
    return _save(graph, path)


def attention_seq(path):
    """Single-head-group attention block with residual on x: [1, seq, 64] (4 heads of 16)."""
    rng = np.random.default_rng(12)
    c = lambda name, values: numpy_helper.from_array(np.array(values, dtype=np.int64), name)
    nodes = []
    for p in "qkv":
        nodes += [helper.make_node("MatMul", ["x", f"W{p}"], [f"{p}0"], name=f"proj_{p}"),
                  helper.make_node("Add", [f"{p}0", f"b{p}"], [f"{p}1"], name=f"bias_{p}"),
                  helper.make_node("Reshape", [f"{p}1", "heads_shape"], [f"{p}2"],
                                   name=f"split_{p}")]
    nodes += [
        helper.make_node("Transpose", ["q2"], ["q3"], perm=[0, 2, 1, 3], name="q_t"),
        helper.make_node("Transpose", ["k2"], ["k3"], perm=[0, 2, 3, 1], name="k_t"),
        helper.make_node("Transpose", ["v2"], ["v3"], perm=[0, 2, 1, 3], name="v_t"),
        helper.make_node("MatMul", ["q3", "k3"], ["s0"], name="scores"),
        helper.make_node("Mul", ["s0", "scale"], ["s1"], name="scale_mul"),
        helper.make_node("Softmax", ["s1"], ["p"], axis=-1, name="softmax"),
        helper.make_node("MatMul", ["p", "v3"], ["o0"], name="context"),
        helper.make_node("Transpose", ["o0"], ["o1"], perm=[0, 2, 1, 3], name="o_t"),
        helper.make_node("Reshape", ["o1", "merge_shape"], ["o2"], name="merge"),
        helper.make_node("MatMul", ["o2", "Wo"], ["o3"], name="proj_o"),
        helper.make_node("Add", ["o3", "x"], ["y"], name="residual"),
    ]
    inits = [_init(f"W{p}", rng, [64, 64]) for p in "qkvo"]
    inits += [_init(f"b{p}", rng, [64]) for p in "qkv"]
    inits += [c("heads_shape", [1, -1, 4, 16]), c("merge_shape", [0, -1, 64]),
              numpy_helper.from_array(np.array(0.25, dtype=np.float32), "scale")]
    graph = helper.make_graph(
        nodes, "attention_seq",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "seq", 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, "seq", 64])], inits)
    return _save(graph, path)


@pytest.fixture(scope="module")
def sym_models(tmp_path_factory):
    base = tmp_path_factory.mktemp("symbolic_models")
    return {"mlp_batch": mlp_batch(str(base / "mlp_batch.onnx")),
            "attention_seq": attention_seq(str(base / "attention_seq.onnx"))}


def _describe(exe):
    return json.loads(check_ok(run([exe, "--describe"])).stdout)


@pytest.mark.parametrize("name,dim,sizes", [("mlp_batch", "batch", (1, 5, 32)),
                                            ("attention_seq", "seq", (16, 128, 384))])
def test_one_executable_every_size(sym_models, compiled, tmp_path, name, dim, sizes):
    exe = compiled(sym_models[name])
    desc = _describe(exe)
    assert all(dim in i["shape"] for i in desc["inputs"]), desc
    for size in sizes:
        feeds = random_inputs(sym_models[name], seed=size, bind={dim: size})
        ref = reference(sym_models[name], feeds)
        outdir = run_exe(exe, feeds, str(tmp_path / str(size)))
        assert_close(read_outputs(outdir, ref), ref)


def test_same_dim_mismatched_sizes(sym_models, compiled, tmp_path):
    exe = compiled(sym_models["mlp_batch"])
    feeds = {"x": np.zeros([3, 8], np.float32), "skip": np.zeros([4, 16], np.float32)}
    args = write_inputs(feeds, str(tmp_path))
    check_one_line_error(run([exe, *args, "--output-dir", str(tmp_path / "out")]), "batch")


def test_bench_needs_dim(sym_models, compiled):
    exe = compiled(sym_models["attention_seq"])
    check_one_line_error(run([exe, "--bench", "1"]), "--dim seq")
    proc = check_ok(run([exe, "--bench", "2", "--dim", "seq=32"]))
    assert BENCH_LINE.match(proc.stdout.splitlines()[-1].strip())


RESHAPES = {  # input shape (symbolic "n"), Reshape target, sizes of n
    "expand": (["n", 64], [-1, 8, 8], (1, 3)),
    "zero_copy_infers_static": (["n", 4, 16], [0, -1], (2, 5)),
    "static_then_dynamic": (["n", 64], [2, -1], (2, 6)),
    "regroup": (["n", 6], [-1, 4], (2, 6)),
    "flatten": (["n", 64], [-1], (1, 4)),
}


@pytest.mark.parametrize("case", sorted(RESHAPES))
def test_reshape_with_symbolic_input(compiled, tmp_path, case):
    """Reshape of a symbolic input: pure expands/collapses, a `0` that carries the dynamic dim
    (so -1 is static), and regrouping that flattens then splits with the one dynamic result dim
    computed at run time."""
    shape, target, sizes = RESHAPES[case]
    graph = helper.make_graph(
        [helper.make_node("Reshape", ["x", "t"], ["r"], name="reshape"),
         helper.make_node("Relu", ["r"], ["y"], name="relu")], case,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * len(target))],
        [numpy_helper.from_array(np.array(target, dtype=np.int64), "t")])
    path = _save(graph, str(tmp_path / f"{case}.onnx"))
    exe = compiled(path)
    for n in sizes:
        feeds = random_inputs(path, seed=n, bind={"n": n})
        ref = reference(path, feeds)
        assert_close(read_outputs(run_exe(exe, feeds, str(tmp_path / str(n))), ref), ref)


def test_kiln_run_and_threads(kiln, sym_models, compiled, tmp_path):
    """`kiln run` on a symbolic model, and thread counts agree at a size that tiles unevenly."""
    model = sym_models["attention_seq"]
    feeds = random_inputs(model, seed=3, bind={"seq": 37})
    ref = reference(model, feeds)
    args = write_inputs(feeds, str(tmp_path / "in"))
    check_ok(run([kiln, "run", model, *args, "--output-dir", tmp_path / "out"],
                 timeout=COMPILE_TIMEOUT_S))
    assert_close(read_outputs(str(tmp_path / "out"), ref), ref)
    exe = compiled(model)
    for threads in ("1", "3"):
        outdir = run_exe(exe, feeds, str(tmp_path / threads), env={"KILN_NUM_THREADS": threads})
        assert_close(read_outputs(outdir, ref), ref)


@pytest.mark.parametrize("name", ["mobilenet_v2_style", "ops_mix"])
def test_generated_models_with_symbolic_batch(compiled, tmp_path, name):
    """The generated CNNs (depthwise conv, pooling, clip, ...) with batch left symbolic."""
    import make_models  # on sys.path through kiln_e2e
    path = make_models.generate(str(tmp_path / "model"), [name], batch="N")[name]
    exe = compiled(path)
    for batch in (1, 3):
        feeds = random_inputs(path, seed=batch, bind={"N": batch})
        ref = reference(path, feeds)
        assert_close(read_outputs(run_exe(exe, feeds, str(tmp_path / str(batch))), ref), ref)


def test_static_output_from_symbolic_input(compiled, tmp_path):
    """Dynamic intermediates, static output: outputs stay runtime-allocated out-params."""
    rng = np.random.default_rng(13)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["h"], name="matmul"),
         helper.make_node("Relu", ["h"], ["r"], name="relu"),
         helper.make_node("ReduceMean", ["r"], ["m"], axes=[0], keepdims=0, name="mean")],
        "static_out", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 8])],
        [helper.make_tensor_value_info("m", TensorProto.FLOAT, [16])], [_init("W", rng, [8, 16])])
    path = _save(graph, str(tmp_path / "static_out.onnx"))
    exe = compiled(path)
    assert _describe(exe)["outputs"][0]["shape"] == [16]
    for n in (1, 7, 100):
        feeds = random_inputs(path, seed=n, bind={"n": n})
        ref = reference(path, feeds)
        assert_close(read_outputs(run_exe(exe, feeds, str(tmp_path / str(n))), ref), ref)
