"""test_models.py — compiled models agree with onnxruntime, through every way of running them.

Each generated model is compiled once with `kiln compile` and run on seeded normal inputs;
outputs must match onnxruntime within REL_L2_TOL (see kiln_e2e.py for why that bound).
"""
import json
import math
import os
import shutil

import numpy as np
import onnx
import pytest

from kiln_e2e import (BENCH_LINE, COMPILE_TIMEOUT_S, NP_TO_KILN, assert_close, check_ok,
                      model_inputs, random_inputs, read_outputs, reference, run, run_exe,
                      write_inputs)

pytestmark = pytest.mark.compiler

MODELS = ["resnet_style", "mobilenet_v2_style", "ops_mix"]


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("fmt", ["npy", "pb"])
def test_matches_onnxruntime(models, compiled, tmp_path, name, fmt):
    exe = compiled(models[name])
    feeds = random_inputs(models[name], seed=1)
    ref = reference(models[name], feeds)
    outdir = run_exe(exe, feeds, str(tmp_path), fmt)
    assert_close(read_outputs(outdir, ref), ref)


@pytest.mark.parametrize("name", MODELS)
def test_second_input_set(models, compiled, tmp_path, name):
    """A different seed: catches an executable that memoized or constant-folded its inputs."""
    exe = compiled(models[name])
    for seed in (7, 8):
        feeds = random_inputs(models[name], seed=seed)
        ref = reference(models[name], feeds)
        outdir = run_exe(exe, feeds, str(tmp_path / str(seed)))
        assert_close(read_outputs(outdir, ref), ref)


def test_thread_counts_agree(models, compiled, tmp_path):
    exe = compiled(models["resnet_style"])
    feeds = random_inputs(models["resnet_style"], seed=2)
    ref = reference(models["resnet_style"], feeds)
    for threads in ("1", "2", "3"):
        outdir = run_exe(exe, feeds, str(tmp_path / threads), env={"KILN_NUM_THREADS": threads})
        assert_close(read_outputs(outdir, ref), ref)


@pytest.mark.parametrize("name", ["resnet_style", "ops_mix"])
def test_kiln_run(kiln, models, tmp_path, name):
    feeds = random_inputs(models[name], seed=3)
    ref = reference(models[name], feeds)
    args = write_inputs(feeds, str(tmp_path / "in"))
    check_ok(run([kiln, "run", models[name], *args, "--output-dir", tmp_path / "out"],
                 timeout=COMPILE_TIMEOUT_S))
    assert_close(read_outputs(str(tmp_path / "out"), ref), ref)


@pytest.mark.parametrize("name", MODELS)
def test_external_data(models, compiled, tmp_path, name):
    """Weights from <model>.onnx.data end up inside the executable: it runs without them."""
    src = models[name + "@external"]
    work = tmp_path / "model"
    shutil.copytree(os.path.dirname(src), work)
    model = str(work / os.path.basename(src))
    exe = compiled(model)
    feeds = random_inputs(model, seed=4)
    ref = reference(model, feeds)
    os.remove(model + ".data")
    outdir = run_exe(exe, feeds, str(tmp_path))
    assert_close(read_outputs(outdir, ref), ref)


def test_sidecar_weights(models, compiled, tmp_path):
    """--weights=sidecar: the executable holds no weights, OUT.weights does; it runs from
    another folder (found beside the real path) and refuses to start without them."""
    name = "resnet_style"
    embedded = compiled(models[name])
    exe = compiled(models[name], "--weights=sidecar")
    side = exe + ".weights"
    assert os.path.isfile(side), f"--weights=sidecar wrote no {side}"
    weight_bytes = sum(t.ByteSize() for t in onnx.load(models[name]).graph.initializer)
    assert os.path.getsize(side) >= 0.9 * weight_bytes, (os.path.getsize(side), weight_bytes)
    assert os.path.getsize(exe) < os.path.getsize(embedded) - 0.9 * weight_bytes, \
        "the sidecar executable should not also embed the weights"
    feeds = random_inputs(models[name], seed=6)
    ref = reference(models[name], feeds)
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    os.symlink(exe, moved / "model")
    assert_close(read_outputs(run_exe(str(moved / "model"), feeds, str(tmp_path / "a")), ref),
                 ref)
    copy = tmp_path / "lonely"
    shutil.copy(exe, copy)
    proc = run([str(copy), *write_inputs(feeds, str(tmp_path / "in")), "--output-dir",
                str(tmp_path / "out")])
    assert 0 < proc.returncode < 128, proc
    assert "weights" in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr


def test_weights_option_rejects_unknown_mode(kiln, models, tmp_path):
    proc = run([kiln, "compile", models["ops_mix"], "-o", str(tmp_path / "x"),
                "--weights=external"])
    assert proc.returncode == 2 and "--weights" in proc.stderr, proc


def _normalize_shape(shape):
    if isinstance(shape, str):
        shape = [] if shape == "scalar" else shape.split("x")
    return [int(d) if isinstance(d, int) or str(d).isdigit() else str(d) for d in shape]


def _normalize_dtype(dtype):
    return {"float32": "f32", "float": "f32", "float64": "f64", "double": "f64",
            "int64": "i64", "int32": "i32"}.get(str(dtype).lower(), str(dtype).lower())


def _describe(exe):
    proc = check_ok(run([exe, "--describe"]))
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        pytest.fail(f"--describe did not print JSON ({e}):\n{proc.stdout[:2000]}")


def _signature(entries):
    """--describe's JSON: {"inputs": [{"name", "dtype", "shape"}...], "outputs": [...]};
    dtype as in ABI.md (f32...) or numpy's name; shape a list or ABI.md's `1x3x224x224`."""
    return [(e["name"], _normalize_dtype(e["dtype"]), _normalize_shape(e["shape"]))
            for e in entries]


@pytest.mark.parametrize("name", MODELS)
def test_describe_matches_model(models, compiled, name):
    desc = _describe(compiled(models[name]))
    want_in = [(n, NP_TO_KILN[np.dtype(d).name], s) for n, d, s in model_inputs(models[name])]
    ref = reference(models[name], random_inputs(models[name]))
    want_out = [(n, NP_TO_KILN[v.dtype.name], list(v.shape)) for n, v in ref.items()]
    assert _signature(desc["inputs"]) == want_in
    assert _signature(desc["outputs"]) == want_out


def test_input_shape_binds_symbolic_batch(models, compiled, tmp_path):
    model = models["resnet_style@batchN"]
    exe = compiled(model, "--input-shape", "pixels=2x3x64x64")
    desc = _describe(exe)
    assert _signature(desc["inputs"]) == [("pixels", "f32", [2, 3, 64, 64])]
    assert _signature(desc["outputs"]) == [("logits", "f32", [2, 10])]
    feeds = random_inputs(model, seed=5, bind={"N": 2})
    ref = reference(model, feeds)
    assert_close(read_outputs(run_exe(exe, feeds, str(tmp_path)), ref), ref)


def test_unbound_dim_stays_symbolic(models, compiled, tmp_path):
    model = models["resnet_style@batchN"]
    exe = compiled(model)
    desc = _describe(exe)
    assert _signature(desc["inputs"]) == [("pixels", "f32", ["N", 3, 64, 64])]
    for batch in (1, 3):
        feeds = random_inputs(model, seed=6, bind={"N": batch})
        ref = reference(model, feeds)
        outdir = run_exe(exe, feeds, str(tmp_path / str(batch)))
        assert_close(read_outputs(outdir, ref), ref)


@pytest.mark.parametrize("with_inputs", [False, True])
def test_bench(models, compiled, tmp_path, with_inputs):
    exe = compiled(models["ops_mix"])
    args = write_inputs(random_inputs(models["ops_mix"]), str(tmp_path)) if with_inputs else []
    proc = check_ok(run([exe, "--bench", "3", *args]))
    lines = [l for l in proc.stdout.splitlines() if l.strip()]
    assert lines, "--bench printed nothing"
    m = BENCH_LINE.match(lines[-1].strip())
    assert m, f"last line of --bench is {lines[-1]!r}, expected median_ms=<value>"
    assert math.isfinite(float(m.group(1))) and float(m.group(1)) >= 0


def test_compile_is_deterministic(kiln, models, tmp_path):
    """The same command on the same input gives a byte-identical executable."""
    out = str(tmp_path / "model")
    blobs = []
    for _ in range(2):
        check_ok(run([kiln, "compile", models["mobilenet_v2_style"], "-o", out,
                      "--target", "cpu"], timeout=COMPILE_TIMEOUT_S))
        with open(out, "rb") as f:
            blobs.append(f.read())
        os.remove(out)
    assert blobs[0] == blobs[1], "two compiles of the same model differ"


@pytest.mark.parametrize("name", MODELS)
def test_check_accepts_supported_model(kiln, models, name):
    check_ok(run([kiln, "check", models[name]], timeout=COMPILE_TIMEOUT_S))
