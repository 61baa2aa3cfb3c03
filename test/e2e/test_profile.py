"""test_profile.py — `OUT --profile FILE.json` (runtime/Profile.cpp, passes/CPU/ProfileHooks.cpp)
and `kiln compile --verbose`'s kernel list: every kernel of every run is one Chrome-trace slice,
named after the ONNX nodes fused into it, inside its run's slice."""
import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from kiln_e2e import check_ok, check_one_line_error, graph_model, run

pytestmark = pytest.mark.compiler


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """Two kernels: conv_a + relu_a (fused), then matmul_b (a reduction starts a kernel)."""
    rng = np.random.default_rng(5)
    w = onnx.numpy_helper.from_array(rng.standard_normal((8, 3, 3, 3)).astype(np.float32), "w")
    m = onnx.numpy_helper.from_array(rng.standard_normal((30, 7)).astype(np.float32), "m")
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1], name="conv_a"),
             helper.make_node("Relu", ["c"], ["r"], name="relu_a"),
             helper.make_node("MatMul", ["r", "m"], ["y"], name="matmul_b")]
    path = str(tmp_path_factory.mktemp("profile") / "m.onnx")
    onnx.save(graph_model(nodes, [("x", TensorProto.FLOAT, [1, 3, 30, 30])],
                          [("y", TensorProto.FLOAT, [1, 8, 30, 7])], [w, m]), path)
    return path


def test_compile_verbose_lists_kernels(kiln, model, tmp_path):
    proc = check_ok(run([kiln, "compile", model, "-o", str(tmp_path / "exe"), "--verbose"]))
    kernels = [line for line in proc.stderr.splitlines() if line.startswith("kiln: kernel ")]
    assert len(kernels) == 2, proc.stderr
    assert "conv_a" in kernels[0] and "relu_a" in kernels[0], kernels
    assert "matmul_b" in kernels[1], kernels


def test_profile_has_one_slice_per_kernel_and_run(compiled, model, tmp_path):
    exe = compiled(model)
    trace = tmp_path / "trace.json"
    check_ok(run([exe, "--bench", "3", "--profile", str(trace)]))
    events = json.loads(trace.read_text())["traceEvents"]
    runs = [e for e in events if e["cat"] == "run"]
    kernels = [e for e in events if e["cat"] == "kernel"]
    assert [r["name"] for r in runs] == ["warm-up run", "run 1", "run 2", "run 3"]
    assert len(kernels) == 2 * len(runs), [k["name"] for k in kernels]
    for e in events:
        assert e["ph"] == "X" and e["dur"] >= 0 and isinstance(e["tid"], int), e
    for r in runs:
        inside = [k for k in kernels
                  if r["ts"] <= k["ts"] and k["ts"] + k["dur"] <= r["ts"] + r["dur"]]
        assert [k["name"] for k in inside] == ["conv_a + relu_a", "matmul_b"], inside
        assert all(k["tid"] == r["tid"] for k in inside)


def test_profile_of_a_plain_run(compiled, model, tmp_path):
    """--profile with --input/--output-dir: one run, and the outputs are still written."""
    exe = compiled(model)
    x = np.random.default_rng(1).standard_normal((1, 3, 30, 30)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    trace = tmp_path / "t.json"
    check_ok(run([exe, "--input", f"x={tmp_path / 'x.npy'}", "--output-dir",
                  str(tmp_path / "out"), "--profile", str(trace)]))
    assert (tmp_path / "out" / "y.npy").exists()
    events = json.loads(trace.read_text())["traceEvents"]
    assert sum(e["cat"] == "kernel" for e in events) == 2


def test_profile_unwritable_is_one_error(compiled, model, tmp_path):
    proc = run([compiled(model), "--bench", "1", "--profile",
                str(tmp_path / "no" / "such" / "dir" / "t.json")])
    check_one_line_error(proc, "cannot write profile")
    proc = run([compiled(model), "--describe", "--profile", str(tmp_path / "t.json")])
    check_one_line_error(proc, "--describe takes no")
