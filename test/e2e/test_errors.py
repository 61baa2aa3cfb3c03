"""test_errors.py — bad input never crashes: one clear stderr line and a clean non-zero exit.

Covers the compiler (missing, truncated, random-bytes and external-data-less models, an
unsupported op) and the executable (wrong shape, wrong dtype, missing input, unknown input
name, truncated .npy). Exit codes >= 128 (or death by signal) count as crashes.
"""
import os
import re
import shutil

import numpy as np
import pytest

from kiln_e2e import (COMPILE_TIMEOUT_S, check_one_line_error, random_inputs, run,
                      write_inputs)

pytestmark = pytest.mark.compiler


def compile_error(kiln, model, tmp_path, *mentions):
    out = tmp_path / "exe"
    proc = run([kiln, "compile", model, "-o", out], timeout=COMPILE_TIMEOUT_S)
    return check_one_line_error(proc, *mentions)


def test_compile_missing_file(kiln, tmp_path):
    compile_error(kiln, str(tmp_path / "no_such_model.onnx"), tmp_path, "no_such_model.onnx")


def test_compile_truncated_model(kiln, models, tmp_path):
    data = open(models["resnet_style"], "rb").read()
    path = tmp_path / "truncated.onnx"
    path.write_bytes(data[: len(data) // 2])
    compile_error(kiln, path, tmp_path, "truncated.onnx", "parse", "invalid", "corrupt",
                  "truncated")


def test_compile_random_bytes(kiln, tmp_path):
    path = tmp_path / "noise.onnx"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    compile_error(kiln, path, tmp_path, "noise.onnx", "parse", "invalid", "corrupt")


def test_compile_missing_external_data(kiln, models, tmp_path):
    src = models["resnet_style@external"]
    work = tmp_path / "model"
    shutil.copytree(os.path.dirname(src), work)
    model = work / os.path.basename(src)
    os.remove(str(model) + ".data")
    compile_error(kiln, model, tmp_path, "resnet_style.onnx.data", "external")


@pytest.mark.parametrize("variant,op,node", [("unsupported_unique", "Unique", "bad_unique"),
                                             ("unsupported_custom", "Frobnicate",
                                              "bad_frobnicate")])
def test_compile_unsupported_op(kiln, models, tmp_path, variant, op, node):
    line = compile_error(kiln, models[variant], tmp_path, op)
    assert node in line, f"the error does not name the node {node!r}: {line}"


@pytest.mark.parametrize("variant,op,node", [("unsupported_unique", "Unique", "bad_unique"),
                                             ("unsupported_custom", "Frobnicate",
                                              "bad_frobnicate")])
def test_check_lists_unsupported_op(kiln, models, variant, op, node):
    proc = run([kiln, "check", models[variant]], timeout=COMPILE_TIMEOUT_S)
    assert 0 < proc.returncode < 128, f"exit {proc.returncode}\n{proc.stderr}"
    text = proc.stdout + proc.stderr
    assert op in text and node in text, f"`kiln check` did not list {op} ({node}):\n{text}"


# --- the executable ----------------------------------------------------------------------

@pytest.fixture
def ops_mix_exe(models, compiled):
    return compiled(models["ops_mix"])


def exe_error(exe, feeds_args, tmp_path, *mentions):
    proc = run([exe, *feeds_args, "--output-dir", tmp_path / "out"])
    return check_one_line_error(proc, *mentions)


def good_feeds(models):
    return random_inputs(models["ops_mix"], seed=11)


def test_run_wrong_shape(ops_mix_exe, models, tmp_path):
    feeds = good_feeds(models)
    feeds["x"] = feeds["x"][:, :, :15]
    line = exe_error(ops_mix_exe, write_inputs(feeds, str(tmp_path)), tmp_path, "shape")
    assert re.search(r"\bx\b", line), f"the error does not name input x: {line}"


def test_run_wrong_rank(ops_mix_exe, models, tmp_path):
    feeds = good_feeds(models)
    feeds["k"] = feeds["k"].reshape(3, 32)
    exe_error(ops_mix_exe, write_inputs(feeds, str(tmp_path)), tmp_path, "shape", "rank")


def test_run_wrong_dtype(ops_mix_exe, models, tmp_path):
    feeds = good_feeds(models)
    feeds["q"] = feeds["q"].astype(np.float64)
    exe_error(ops_mix_exe, write_inputs(feeds, str(tmp_path)), tmp_path, "dtype", "type",
              "float64", "f64")


def test_run_wrong_dtype_pb(ops_mix_exe, models, tmp_path):
    feeds = good_feeds(models)
    feeds["x"] = feeds["x"].astype(np.int64)
    exe_error(ops_mix_exe, write_inputs(feeds, str(tmp_path), "pb"), tmp_path, "dtype", "type",
              "int64", "i64")


def test_run_missing_input(ops_mix_exe, models, tmp_path):
    feeds = good_feeds(models)
    del feeds["k"]
    line = exe_error(ops_mix_exe, write_inputs(feeds, str(tmp_path)), tmp_path, "missing",
                     "required", "not given", "no value")
    assert re.search(r"\bk\b", line), f"the error does not name input k: {line}"


def test_run_unknown_input_name(ops_mix_exe, models, tmp_path):
    feeds = good_feeds(models)
    feeds["no_such_input"] = feeds["x"]
    exe_error(ops_mix_exe, write_inputs(feeds, str(tmp_path)), tmp_path, "no_such_input")


def test_run_truncated_npy(ops_mix_exe, models, tmp_path):
    args = write_inputs(good_feeds(models), str(tmp_path))
    path = args[1].split("=", 1)[1]
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 2])
    exe_error(ops_mix_exe, args, tmp_path, os.path.basename(path), "truncated", "short")


def test_run_missing_input_file(ops_mix_exe, models, tmp_path):
    args = write_inputs(good_feeds(models), str(tmp_path))
    path = args[3].split("=", 1)[1]
    os.remove(path)
    exe_error(ops_mix_exe, args, tmp_path, os.path.basename(path))
