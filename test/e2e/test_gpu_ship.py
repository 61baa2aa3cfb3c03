"""test_gpu_ship.py — what test/gpu ships to the lent GPU machine, checked here (no GPU, no torch).

The shared models' weights are too big to carry, so prepare.sh --shared replaces each
`--weights=sidecar` blob by a recipe over the model's own tensors (test/gpu/weights_recipe.py)
and run_on_device.sh rebuilds it after filling the weights on the device. These tests hold that
path to its promises: the rebuilt blob is byte-identical and the executable runs with it and
matches onnxruntime (cpu and cuda:host targets); a damaged residual, another model or other
weights are refused with one line; a wrongly rebuilt blob is refused by the executable itself;
and the shell side (prepare.sh --shared, run_on_device.sh --dry-run) works end to end on a
stand-in for ../shared (tests never read ../shared).
"""
import filecmp
import hashlib
import json
import os
import shutil
import stat
import sys

import numpy as np
import onnx
import pytest
from kiln_e2e import (REPO, assert_close, check_ok, check_one_line_error, make_models,
                      random_inputs, read_outputs, reference, run, run_exe, write_inputs)

RECIPE = os.path.join(REPO, "test", "gpu", "weights_recipe.py")
sys.path.insert(0, os.path.join(REPO, "test", "gpu"))
import gpu_check  # noqa: E402


def recipe(*args):
    return run([sys.executable, RECIPE, *args])


def run_proc(exe, feeds, folder):
    return run([exe, *write_inputs(feeds, os.path.join(folder, "in")),
                "--output-dir", os.path.join(folder, "out")])


@pytest.mark.compiler
@pytest.mark.parametrize("target", ["cpu", "cuda:host"])
def test_split_join_rebuilds_the_sidecar(models, compiled, tmp_path, target):
    """split then join gives kiln's blob back byte for byte, almost all of it from the model;
    the executable runs beside the rebuilt blob and matches onnxruntime."""
    model = models["resnet_style"]
    exe = compiled(model, "--target", target, "--weights=sidecar")
    check_ok(recipe("split", exe + ".weights", model, tmp_path / "recipe"))
    info = json.load(open(tmp_path / "recipe" / "recipe.json"))
    assert info["bytes"] == os.path.getsize(exe + ".weights")
    assert info["residual_bytes"] <= 64 + 32, info["residual_bytes"]  # padding + trailer

    ship = tmp_path / "ship"
    ship.mkdir()
    shutil.copy(exe, ship / "model")
    check_ok(recipe("join", tmp_path / "recipe", model, ship / "model.weights"))
    assert filecmp.cmp(exe + ".weights", ship / "model.weights", shallow=False)
    feeds = random_inputs(model, seed=3)
    ref = reference(model, feeds)
    assert_close(read_outputs(run_exe(str(ship / "model"), feeds, str(tmp_path)), ref), ref)


@pytest.fixture
def split_resnet(models, compiled, tmp_path):
    exe = compiled(models["resnet_style"], "--weights=sidecar")
    check_ok(recipe("split", exe + ".weights", models["resnet_style"], tmp_path / "recipe"))
    return tmp_path / "recipe"


@pytest.mark.compiler
def test_join_refuses_a_damaged_residual(models, split_resnet, tmp_path):
    residual = split_resnet / "residual.bin"
    data = bytearray(residual.read_bytes())
    data[0] ^= 1
    residual.write_bytes(bytes(data))
    out = tmp_path / "x.weights"
    check_one_line_error(recipe("join", split_resnet, models["resnet_style"], out), "residual")
    assert not out.exists()


@pytest.mark.compiler
def test_join_refuses_another_model(models, split_resnet, tmp_path):
    out = tmp_path / "x.weights"
    check_one_line_error(recipe("join", split_resnet, models["mobilenet_v2_style"], out),
                         "another model")
    assert not out.exists()


@pytest.mark.compiler
def test_join_refuses_other_weights(models, split_resnet, tmp_path):
    """Same graph, same tensor names, weights drawn with another seed: the first tensor
    that differs is named."""
    other = make_models.save(make_models.resnet_style(seed=5), str(tmp_path / "other.onnx"))
    line = check_one_line_error(recipe("join", split_resnet, other, tmp_path / "x.weights"),
                                "differs")
    assert "tensor '" in line


def test_split_refuses_a_file_without_trailer(models, tmp_path):
    blob = tmp_path / "not.weights"
    blob.write_bytes(b"\0" * 4096)
    check_one_line_error(recipe("split", blob, models["resnet_style"], tmp_path / "r"), "KILNWTS1")


def test_join_names_a_missing_recipe(models, tmp_path):
    check_one_line_error(recipe("join", tmp_path / "none", models["resnet_style"],
                                tmp_path / "x.weights"), "recipe")


def test_split_keeps_bytes_no_tensor_explains(models, tmp_path):
    """Bytes that are no tensor of the model (constants kiln computed, padding) go to the
    residual; tensors in between are still found. A synthetic blob in kiln's layout:
    64-byte aligned constants, 32-byte trailer."""
    m = onnx.load(models["resnet_style"])
    tensors = [onnx.numpy_helper.to_array(t).tobytes() for t in m.graph.initializer]
    tensors = [t for t in tensors if len(t) >= 256][:3]
    rng = np.random.default_rng(0)
    computed = rng.integers(0, 256, 300, dtype=np.uint8).tobytes()
    blob = bytearray()
    for piece in (tensors[0], computed, tensors[1], tensors[2]):
        blob += b"\0" * (-len(blob) % 64) + piece
    blob += b"KILNWTS1" + (0).to_bytes(8, "little") + len(blob).to_bytes(8, "little") + b"h" * 8
    path = tmp_path / "synthetic.weights"
    path.write_bytes(bytes(blob))
    check_ok(recipe("split", path, models["resnet_style"], tmp_path / "r"))
    info = json.load(open(tmp_path / "r" / "recipe.json"))
    assert sum("tensor" in p for p in info["pieces"]) == 3
    assert 300 + 32 <= info["residual_bytes"] < 300 + 32 + 3 * 64
    check_ok(recipe("join", tmp_path / "r", models["resnet_style"], tmp_path / "back.weights"))
    assert (tmp_path / "back.weights").read_bytes() == bytes(blob)


@pytest.mark.compiler
def test_executable_refuses_a_wrongly_rebuilt_blob(models, compiled, tmp_path):
    """Whatever rebuilds the weights, a blob that is off by one byte never runs."""
    exe = compiled(models["resnet_style"], "--weights=sidecar")
    shutil.copy(exe, tmp_path / "model")
    data = bytearray(open(exe + ".weights", "rb").read())
    data[len(data) // 2] ^= 0x40
    (tmp_path / "model.weights").write_bytes(bytes(data))
    feeds = random_inputs(models["resnet_style"], seed=1)
    check_one_line_error(run_proc(str(tmp_path / "model"), feeds, str(tmp_path)), "weights")


def test_shared_feeds_are_valid_inputs():
    """Token ids lie in [0, rows of the embedding table); masks are ones, then padded."""
    from onnx import TensorProto, helper
    table = onnx.numpy_helper.from_array(np.zeros((50, 8), np.float32), "embed")
    graph = helper.make_graph(
        [helper.make_node("Gather", ["embed", "input_ids"], ["h"])], "g",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("h", TensorProto.FLOAT, None)], [table])
    model = helper.make_model(graph)
    inputs = gpu_check.shared_inputs(
        model, "--input-shape input_ids=1x128 --input-shape attention_mask=1x128")
    assert [(n, s) for n, _, s in inputs] == [("input_ids", [1, 128]), ("attention_mask", [1, 128])]
    vocab = gpu_check.vocab_sizes(model)
    assert vocab == {"input_ids": 50}
    plain = gpu_check.shared_feeds(inputs, vocab, 1, padded=False)
    padded = gpu_check.shared_feeds(inputs, vocab, 7, padded=True)
    for feeds in (plain, padded):
        ids = feeds["input_ids"]
        assert ids.dtype == np.int64 and ids.min() >= 0 and ids.max() < 50 and ids.max() > 25
    assert plain["attention_mask"].all()
    assert padded["attention_mask"][0, :96].all() and not padded["attention_mask"][0, 96:].any()


# ---- the shell side, on a stand-in repo and a stand-in ../shared ----

FILL_STANDIN = """import shutil, sys
# Stand-in for ../shared/tools/fill_weights.py: the stand-in model.onnx already has weights.
shutil.copy(sys.argv[1], sys.argv[2])
"""


@pytest.fixture
def standin(tmp_path):
    """A copy of the repo's scripts/ and test/gpu/ (prepare.sh works in its own checkout) and
    a ../shared whose `resnet50` is a small conv net with a `pixels` input."""
    root = tmp_path / "repo"
    shutil.copytree(os.path.join(REPO, "scripts"), root / "scripts")
    shutil.copytree(os.path.join(REPO, "test", "gpu"), root / "test" / "gpu",
                    ignore=shutil.ignore_patterns("__pycache__"))
    venv_python = root / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text(f"#!/bin/sh\nexec '{sys.executable}' \"$@\"\n")
    venv_python.chmod(venv_python.stat().st_mode | stat.S_IEXEC)
    shared = tmp_path / "shared"
    (shared / "tools").mkdir(parents=True)
    (shared / "tools" / "fill_weights.py").write_text(FILL_STANDIN)
    model = make_models.resnet_style(size=224, batch="batch")
    old = model.graph.input[0].name
    model.graph.input[0].name = "pixels"
    for node in model.graph.node:
        node.input[:] = ["pixels" if i == old else i for i in node.input]
    (shared / "models" / "resnet50").mkdir(parents=True)
    make_models.save(model, str(shared / "models" / "resnet50" / "model.onnx"))
    # fill_shared_models.sh writes to $KILN_BUILD_DIR/bench-models: keep it in the stand-in.
    return root, {"KILN_SHARED": str(shared), "KILN_BUILD_DIR": str(root / "build")}


@pytest.mark.compiler
def test_prepare_shared_then_dry_run(kiln, standin, tmp_path):
    root, env = standin
    env["KILN"] = kiln
    prep = run(["bash", root / "test/gpu/prepare.sh", "--shared", "resnet50", "--no-generated",
                "--target", "cuda:sm_80"], env=env, timeout=600)
    check_ok(prep)
    assert "MiB" in prep.stderr
    d = root / ".gpu" / "shared" / "resnet50"
    assert sorted(os.listdir(d)) == ["input_shapes", "model.onnx", "recipe.json", "residual.bin",
                                     "resnet50", "weights.sha256"]
    assert (d / "input_shapes").read_text().split() == ["--input-shape", "pixels=1x3x224x224"]

    work = tmp_path / "work"
    dry = run(["bash", root / "test/gpu/run_on_device.sh", "--dry-run", "--work", work],
              env=env, timeout=300)
    check_ok(dry)
    assert "resnet50: weights rebuilt and byte-identical" in dry.stdout, dry.stdout
    assert "nvidia-smi" not in dry.stdout + dry.stderr
    rebuilt = work / "resnet50" / "resnet50.weights"
    digest = hashlib.sha256(rebuilt.read_bytes()).hexdigest()
    assert digest == (d / "weights.sha256").read_text().split()[0]
    assert json.load(open(d / "recipe.json"))["sha256"] == digest
    assert "resnet50 --bench 1 accepts the weights" in dry.stdout, dry.stdout

    # The executable's own check, as the dry run reports it, on a blob that is off by a byte.
    data = bytearray(rebuilt.read_bytes())
    data[100] ^= 1
    rebuilt.write_bytes(bytes(data))
    refused = run([sys.executable, root / "test/gpu/gpu_check.py", root / ".gpu", "--dry-run",
                   "--work", work], env=env, timeout=300)
    assert refused.returncode == 1 and "refuses the rebuilt weights" in refused.stdout, refused

    residual = d / "residual.bin"
    residual.write_bytes(b"x" + residual.read_bytes()[1:])
    bad = run(["bash", root / "test/gpu/run_on_device.sh", "--dry-run", "--work", work],
              env=env, timeout=300)
    assert bad.returncode == 1, bad
    assert "resnet50: FAILED to rebuild the weights" in bad.stdout
    assert "residual.bin is damaged" in bad.stderr
    assert not rebuilt.exists()


def test_prepare_rejects_an_unknown_shared_model(standin):
    root, env = standin
    env["KILN"] = "/nonexistent"
    proc = run(["bash", root / "test/gpu/prepare.sh", "--shared", "resnet50,nosuch"], env=env)
    assert proc.returncode == 2 and "nosuch" in proc.stderr, proc


@pytest.mark.compiler
def test_device_side_with_cpu_executables(kiln, standin, tmp_path):
    """The device path past the dry run (numerics against onnxruntime, `--bench`, the table
    and $OUT/gpu_results.json), with the stand-in compiled for the CPU so it runs here."""
    root, env = standin
    env["KILN"] = kiln
    check_ok(run(["bash", root / "test/gpu/prepare.sh", "--shared", "resnet50", "--no-generated",
                  "--target", "cpu"], env=env, timeout=600))
    out = tmp_path / "out"
    out.mkdir()
    env["OUT"] = str(out)
    proc = run(["bash", root / "test/gpu/run_on_device.sh", "--no-torch", "--runs", "3",
                "--work", tmp_path / "work"], env=env, timeout=300)
    check_ok(proc)
    rows = json.load(open(out / "gpu_results.json"))
    assert [r["model"] for r in rows] == ["resnet50"], rows
    row = rows[0]
    assert row["ok"] is True and row["rel_l2"] <= row["tol"] == 1e-3, row
    assert row["kiln_ms"] > 0, row
    assert any(line.startswith("resnet50 ") and " yes " in line for line in proc.stdout.splitlines())
