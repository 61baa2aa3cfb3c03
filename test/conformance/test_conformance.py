"""test_conformance.py — ONNX node-test conformance: no regressions against expected_cpu.txt.

test_no_regressions runs every node test for target cpu and for cuda:host (the GPU kernels run
on the CPU; run_node_tests.py --jobs 2) and fails listing each test in expected_cpu.txt /
expected_cuda-host.txt that no longer passes, with its status and reason; tests that pass but are
not listed only give a note (update the list with --target T --update-expected).
A full run costs ~5 min on a loaded 2-core machine today: a test that fails at import costs
~0.25 s, one that compiles, links and runs ~1.3 s (the link dominates), so the cost grows as ops
land. KILN_CONFORMANCE=expected runs only the listed tests (--only-expected: ~80 s for 108
tests) — the switch for CI once the full run no longer fits its budget.
The other tests check the runner itself: comparison, eligibility, the regression check, and
that a wrong output really is reported as a regression.
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_node_tests as rnt  # noqa: E402

RUNNER = os.path.join(rnt.HERE, "run_node_tests.py")
KILN = os.path.join(rnt.BUILD_DIR, "bin", "kiln")
PY = sys.executable


def need_kiln():
    if not os.path.exists(KILN):
        pytest.fail(f"kiln is not built at {KILN} (scripts/build.sh)", pytrace=False)


@pytest.fixture(scope="module")
def data_dir():
    return rnt.materialise(rnt.default_data_dir(), log=lambda *_: None)


# --- the regression gate --------------------------------------------------------------------

@pytest.mark.parametrize("target", ["cpu", "cuda:host"])
def test_no_regressions(tmp_path, target):
    need_kiln()
    results_file = tmp_path / "results.json"
    only_expected = os.environ.get("KILN_CONFORMANCE") == "expected"
    p = subprocess.run([PY, RUNNER, "--kiln", KILN, "--target", target, "--jobs", "2", "--quiet",
                        "--timeout", "60", "--results", str(results_file)] +
                       (["--only-expected"] if only_expected else []),
                       capture_output=True, text=True, timeout=3600)
    print(p.stdout[-3000:])
    assert results_file.exists(), f"runner wrote no results\n{p.stdout[-2000:]}\n{p.stderr[-4000:]}"
    results = json.loads(results_file.read_text())["tests"]
    listed = os.path.basename(rnt.expected_path(target))
    expected = rnt.read_expected(rnt.expected_path(target))
    assert expected, f"{listed} lists no test"
    regressions, new = rnt.check_against_expected(results, expected)
    if new:
        print(f"note: {len(new)} test(s) now pass that {listed} does not list: "
              f"{' '.join(new)}\nupdate it: .venv/bin/python test/conformance/run_node_tests.py "
              f"--target {target} --update-expected")
    assert not regressions, (f"{len(regressions)} expected test(s) no longer pass:\n" +
                             "\n".join(f"  {n}: {s}: {r}" for n, s, r in regressions))


# --- the runner reports a wrong output as a regression ----------------------------------------

def test_wrong_output_is_a_regression(tmp_path, data_dir):
    need_kiln()
    data = tmp_path / "node"
    data.mkdir()
    shutil.copytree(os.path.join(data_dir, "test_add"), data / "test_add")
    shutil.copytree(os.path.join(data_dir, "test_add"), data / "test_add_tampered")
    ref_file = data / "test_add_tampered" / "test_data_set_0" / "output_0.pb"
    ref = rnt._load_pb(str(ref_file))
    bad = ref.copy()
    bad.flat[7] += 1.0
    ref_file.write_bytes(numpy_helper.from_array(bad, "sum").SerializeToString())
    expected = tmp_path / "expected.txt"
    expected.write_text("# test list\ntest_add\ntest_add_tampered\ntest_does_not_exist\n")
    results_file = tmp_path / "r.json"
    p = subprocess.run([PY, RUNNER, "--kiln", KILN, "--data", str(data), "--expected",
                        str(expected), "--quiet", "--results", str(results_file)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 1, p.stdout + p.stderr
    tests = json.loads(results_file.read_text())["tests"]
    assert tests["test_add"]["status"] == rnt.PASS, tests["test_add"]
    assert tests["test_add_tampered"]["status"] == rnt.FAIL_MISMATCH
    assert "1/60 elements differ" in tests["test_add_tampered"]["reason"]
    assert "REGRESSION test_add_tampered: fail-mismatch" in p.stdout
    assert "REGRESSION test_does_not_exist: missing" in p.stdout
    assert "REGRESSION test_add:" not in p.stdout
    assert "TOTAL cpu: eligible 2, passed 1 (50.0%), failed 1, ineligible 0" in p.stdout


# --- comparison -------------------------------------------------------------------------------

def test_compare_accepts_within_tolerance():
    ref = np.array([1.0, 2.0, -3.0, 0.0], np.float32)
    assert rnt.compare(ref, ref * (1 + 5e-4)) is None
    assert rnt.compare(np.float32(0.0), np.float32(5e-8)) is None


def test_compare_detects_mismatch():
    ref = np.array([1.0, 2.0, 3.0], np.float32)
    out = ref.copy()
    out[1] = 2.01
    kind, msg = rnt.compare(ref, out)
    assert kind == "values" and "1/3 elements differ" in msg and "max abs err 0.01" in msg
    assert rnt.compare(np.float32(0.0), np.float32(1e-6))[0] == "values"  # atol 1e-7


def test_compare_nan_positions():
    ref = np.array([1.0, np.nan, 3.0], np.float32)
    assert rnt.compare(ref, ref.copy()) is None
    assert rnt.compare(ref, np.array([np.nan, 2.0, 3.0], np.float32))[0] == "values"
    assert rnt.compare(ref, np.array([1.0, 2.0, 3.0], np.float32))[0] == "values"


def test_compare_infinities():
    ref = np.array([np.inf, -np.inf, 1.0], np.float32)
    assert rnt.compare(ref, ref.copy()) is None
    assert rnt.compare(ref, np.array([-np.inf, -np.inf, 1.0], np.float32))[0] == "values"
    assert rnt.compare(ref, np.array([3e38, -np.inf, 1.0], np.float32))[0] == "values"


def test_compare_dtype_and_shape_must_match():
    ref = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert rnt.compare(ref, ref.astype(np.float64))[0] == "dtype"
    assert rnt.compare(ref.astype(np.int64), ref.astype(np.int32))[0] == "dtype"
    assert rnt.compare(ref, ref.reshape(3, 2))[0] == "shape"
    assert rnt.compare(ref, ref.reshape(1, 2, 3))[0] == "shape"


def test_compare_integers_and_bools_exact():
    ref = np.array([1, 2, 3], np.int64)
    assert rnt.compare(ref, ref.copy()) is None
    assert rnt.compare(ref, np.array([1, 2, 4], np.int64))[0] == "values"
    b = np.array([True, False])
    assert rnt.compare(b, b.copy()) is None
    assert rnt.compare(b, ~b)[0] == "values"


def test_compare_bfloat16_written_as_float32():
    ref = numpy_helper.to_array(helper.make_tensor("x", TensorProto.BFLOAT16, [3],
                                                   [1.0, 2.5, -4.0]))
    assert ref.dtype.name == "bfloat16"
    assert rnt.compare(ref, np.array([1.0, 2.5, -4.0], np.float32)) is None
    assert rnt.compare(ref, np.array([1.0, 2.5, -5.0], np.float32))[0] == "values"
    assert rnt.compare(ref, np.array([1, 2, -4], np.int32))[0] == "dtype"


# --- eligibility, ops, the expected list ------------------------------------------------------

def _model(nodes, inputs, outputs, **kw):
    return helper.make_model(helper.make_graph(nodes, "g", inputs, outputs), **kw)


def _f32(name, shape=(2,)):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))


def test_eligibility():
    relu = helper.make_node("Relu", ["x"], ["y"])
    assert rnt.eligibility(_model([relu], [_f32("x")], [_f32("y")]), 1) is None
    assert "no test_data_set" in rnt.eligibility(_model([relu], [_f32("x")], [_f32("y")]), 0)
    s = helper.make_tensor_value_info("x", TensorProto.STRING, [2])
    assert "string" in rnt.eligibility(_model([relu], [s], [_f32("y")]), 1)
    seq = helper.make_tensor_sequence_value_info("y", TensorProto.FLOAT, [2])
    assert "sequence" in rnt.eligibility(_model([relu], [_f32("x")], [seq]), 1)
    opt = helper.make_value_info("x", helper.make_optional_type_proto(
        helper.make_tensor_type_proto(TensorProto.FLOAT, [2])))
    assert "optional" in rnt.eligibility(_model([relu], [opt], [_f32("y")]), 1)
    custom = helper.make_node("Foo", ["x"], ["y"], domain="com.example")
    assert "domain com.example" in rnt.eligibility(
        _model([custom], [_f32("x")], [_f32("y")]), 1)
    ai = helper.make_node("Relu", ["x"], ["y"], domain="ai.onnx")
    assert rnt.eligibility(_model([ai], [_f32("x")], [_f32("y")]), 1) is None
    # A custom-domain node inside a subgraph counts too.
    body = helper.make_graph([helper.make_node("Foo", ["x"], ["z"], domain="ms")], "b", [],
                             [_f32("z")])
    iff = helper.make_node("If", ["c"], ["y"], then_branch=body, else_branch=body)
    c = helper.make_tensor_value_info("c", TensorProto.BOOL, [])
    assert "domain ms" in rnt.eligibility(_model([iff], [c], [_f32("y")]), 1)


def test_op_of():
    relu = helper.make_node("Relu", ["x"], ["y"])
    m1 = _model([relu], [_f32("x")], [_f32("y")])
    assert rnt.op_of("test_anything", m1) == "Relu"
    m2 = _model([relu, helper.make_node("Relu", ["y"], ["z"])], [_f32("x")], [_f32("z")])
    assert rnt.op_of("test_reduce_sum_keepdims_expanded", m2) == "ReduceSum"
    assert rnt.op_of("test_softmax_axis_0_expanded", m2) == "Softmax"
    assert rnt.op_of("test_nosuchop_x", m2) == "nosuchop"


def test_check_against_expected():
    results = {"test_a": {"status": "pass"}, "test_b": {"status": "fail-compile",
                                                        "reason": "error: boom"},
               "test_c": {"status": "pass"}}
    regressions, new = rnt.check_against_expected(results, {"test_a", "test_b", "test_gone"})
    assert regressions == [("test_b", "fail-compile", "error: boom"),
                           ("test_gone", "missing", "not in this run (test no longer exists?)")]
    assert new == ["test_c"]
    assert rnt.check_against_expected(results, {"test_a"}) == ([], ["test_c"])


def test_expected_list_roundtrip(tmp_path):
    path = tmp_path / "e.txt"
    rnt.write_expected(str(path), "cpu", ["test_b", "test_a"])
    text = path.read_text()
    assert text.startswith("#") and "--update-expected" in text
    assert text.splitlines()[-2:] == ["test_a", "test_b"]
    assert rnt.read_expected(str(path)) == {"test_a", "test_b"}


def test_normalise_reason():
    a = rnt.normalise_reason("fail-compile", "error: node 'n1' (Abs): unsupported op Abs "
                                             "(opset 13)")
    b = rnt.normalise_reason("fail-compile", "error: node 'x_2' (Abs): unsupported op Abs "
                                             "(opset 6)")
    assert a == b == "fail-compile: error: node '…' (Abs): unsupported op Abs (opset N)"
    assert "'i8'" in rnt.normalise_reason("fail-compile", "unsupported dtype 'i8'")
