"""CPU executables carry one code path per ISA level and pick one from cpuid at start.

The default `--cpu` (x86-64-v2,x86-64-v3,x86-64-v4) must run correctly on every x86-64-v2 or
newer CPU, each level on its own code; a CPU no path fits gets one error line, never SIGILL.
Other CPUs than this one are run with Debian's qemu-user (`qemu-x86_64 -cpu Nehalem` is
x86-64-v2, `-cpu Haswell` x86-64-v3; qemu emulates no AVX-512) on small models, so the checks
hold whatever CPU runs the suite. Every other e2e test also runs each executable on the
x86-64-v2 path (kiln_e2e.check_other_cpu_paths).
"""
import json
import os
import re
import shutil

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

from kiln_e2e import (assert_close, check_ok, check_one_line_error, graph_model, read_outputs,
                      reference, run, write_inputs)

LEVELS = ["x86-64-v2", "x86-64-v3", "x86-64-v4"]
# The features runtime/CpuFeatures.h checks that define each level (x86-64 psABI).
LEVEL_FEATURES = {
    "x86-64-v2": {"cx16", "popcnt", "sahf", "sse3", "sse4.1", "sse4.2", "ssse3"},
    "x86-64-v3": {"avx", "avx2", "bmi", "bmi2", "f16c", "fma", "lzcnt", "movbe"},
    "x86-64-v4": {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"},
}
QEMU_CPUS = {"Nehalem": "x86-64-v2", "Haswell": "x86-64-v3"}
QEMU_TIMEOUT_S = 120  # the models below run in well under a second natively


def kiln_float_to_int(x, bits, signed):
    """The float → int4/uint4/int2/uint2 cast as ONNX's reference (ml_dtypes) and test data
    define it, and kiln on every CPU: truncate toward zero; NaN or out of range gives 0."""
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    t = np.trunc(np.where(np.isnan(x), 0, np.asarray(x, np.float64)))
    return np.where((t >= lo) & (t <= hi), t, 0).astype(np.float32)


def host_level():
    """The highest level /proc/cpuinfo's flags (Linux's names) satisfy."""
    with open("/proc/cpuinfo") as f:
        flags = set(next(l for l in f if l.startswith("flags")).split(":")[1].split())
    linux = {"sse4.1": "sse4_1", "sse4.2": "sse4_2", "sse3": "pni", "sahf": "lahf_lm",
             "lzcnt": "abm", "bmi": "bmi1"}
    level = None
    for name in LEVELS:
        if all(linux.get(f, f) in flags for f in LEVEL_FEATURES[name]) and (
                level is not None or name == "x86-64-v2"):
            level = name
    return level


@pytest.fixture(scope="module")
def qemu():
    path = shutil.which("qemu-x86_64")
    if not path:
        pytest.fail("qemu-x86_64 not found: scripts/setup.sh installs Debian's qemu-user",
                    pytrace=False)
    return path


def float_model(rng):
    """Conv + Relu + MatMul + Softmax (the Conv and the MatMul call the runtime's GEMM
    microkernels of the path's ISA, so the qemu runs check that the SSE and AVX2 copies use
    nothing beyond their level; the rest is tiled, vectorized code) and a bfloat16 round trip
    (the conversion that needed a libcall without avx512bf16)."""
    w = (rng.standard_normal((8, 1, 3, 3)) * 0.5).astype(np.float32)
    m = (rng.standard_normal((8 * 36, 37)) * 0.1).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"]),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("Flatten", ["r"], ["f"]),
             helper.make_node("MatMul", ["f", "m"], ["logits"]),
             helper.make_node("Softmax", ["logits"], ["probs"]),
             helper.make_node("Cast", ["logits"], ["b"], to=TensorProto.BFLOAT16),
             helper.make_node("Cast", ["b"], ["back"], to=TensorProto.FLOAT)]
    return graph_model(nodes, [("x", TensorProto.FLOAT, [5, 1, 8, 8])],
                       [("probs", TensorProto.FLOAT, [5, 37]),
                        ("back", TensorProto.FLOAT, [5, 37])],
                       [onnx.numpy_helper.from_array(w, "w"),
                        onnx.numpy_helper.from_array(m, "m")])


def cast_model():
    """float → int4 / uint4 casts, in and out of range (out of range: 0, as ONNX's reference;
    a bare fptosi there was poison, and each ISA's code gave its own answer)."""
    n = 64
    nodes = [helper.make_node("Cast", ["x"], ["i4"], to=TensorProto.INT4),
             helper.make_node("Cast", ["i4"], ["i4f"], to=TensorProto.FLOAT),
             helper.make_node("Cast", ["x"], ["u4"], to=TensorProto.UINT4),
             helper.make_node("Cast", ["u4"], ["u4f"], to=TensorProto.FLOAT)]
    return graph_model(nodes, [("x", TensorProto.FLOAT, [n])],
                       [("i4f", TensorProto.FLOAT, [n]), ("u4f", TensorProto.FLOAT, [n])],
                       opset=21)


@pytest.fixture(scope="module")
def cases(kiln, tmp_path_factory):
    """{name: (model path, executable, feeds, reference outputs)} built with the default
    --cpu, plus the x86-64-v4-only build of the float model."""
    folder = tmp_path_factory.mktemp("cpu_paths")
    rng = np.random.default_rng(7)
    out = {}
    fm = str(folder / "float.onnx")
    onnx.save(float_model(rng), fm)
    feeds = {"x": rng.standard_normal((5, 1, 8, 8)).astype(np.float32)}
    out["float"] = (fm, feeds, reference(fm, feeds))
    cm = str(folder / "cast.onnx")
    model = cast_model()
    onnx.save(model, cm)
    x = np.concatenate([np.arange(-20, 20), [0.5, -0.5, 1.5, -1.5, 7.99, -8.01, 15.5, 255.9,
                                             -300, 3e9, -3e9, np.nan, np.inf, -np.inf],
                        rng.uniform(-30, 30, 10)]).astype(np.float32)
    out["cast"] = (cm, {"x": x}, {"i4f": kiln_float_to_int(x, 4, True),
                                  "u4f": kiln_float_to_int(x, 4, False)})
    # That is ONNX's reference answer, NaN and infinities included.
    ref = dict(zip(["i4f", "u4f"], ReferenceEvaluator(model).run(None, {"x": x})))
    for name in ref:
        np.testing.assert_array_equal(out["cast"][2][name], ref[name])
    return folder, out


def compile_for(kiln, folder, case, cpu=None):
    model = case[0]
    exe = str(folder / (os.path.basename(model)[:-5] + (f".{cpu}" if cpu else "") + ".exe"))
    if not os.path.exists(exe):
        args = [kiln, "compile", model, "-o", exe] + ([f"--cpu={cpu}"] if cpu else [])
        check_ok(run(args, env={"KILN_CPU": ""}))
    return exe


def run_and_check(cmd_prefix, exe, case, folder, tag, env=None):
    _, feeds, ref = case
    args = write_inputs(feeds, str(folder / f"in_{tag}"))
    outdir = str(folder / f"out_{tag}")
    proc = run([*cmd_prefix, exe, *args, "--output-dir", outdir], timeout=QEMU_TIMEOUT_S,
               env=env)
    check_ok(proc)
    got = read_outputs(outdir, list(ref))
    if "probs" in ref:
        assert_close(got, ref)
    else:  # casts: exact
        for name, want in ref.items():
            np.testing.assert_array_equal(got[name], want, err_msg=f"{tag}: {name}")


def describe(cmd_prefix, exe):
    proc = check_ok(run([*cmd_prefix, exe, "--describe"], timeout=QEMU_TIMEOUT_S))
    return json.loads(proc.stdout)


@pytest.mark.compiler
def test_default_executable_carries_every_level(kiln, cases):
    folder, c = cases
    desc = describe([], compile_for(kiln, folder, c["float"]))
    assert [p["name"] for p in desc["cpu_paths"]] == LEVELS
    needed = set()
    for path in desc["cpu_paths"]:
        needed |= LEVEL_FEATURES[path["name"]]
        # Each level needs what defines it and the levels below, and nothing else.
        assert set(path["features"]) - {"crc32", "xsave"} == needed, path
    assert desc["cpu_path"] == host_level(), desc["cpu"]


@pytest.mark.compiler
@pytest.mark.parametrize("level", LEVELS)
def test_each_level_matches_the_reference(kiln, cases, level):
    """Forced with KILN_CPU_PATH, every level this CPU has gives the reference's answers."""
    folder, c = cases
    if LEVELS.index(level) > LEVELS.index(host_level()):
        pytest.skip(f"this CPU lacks {level} (qemu emulates no AVX-512; "
                    f"the qemu tests cover x86-64-v2 and x86-64-v3)")
    for name in ("float", "cast"):
        run_and_check([], compile_for(kiln, folder, c[name]), c[name], folder,
                      f"{name}_{level}", env={"KILN_CPU_PATH": level})


@pytest.mark.compiler
@pytest.mark.parametrize("qemu_cpu", sorted(QEMU_CPUS))
def test_default_executable_on_other_cpus(kiln, cases, qemu, qemu_cpu):
    """The default executable, run as a Nehalem (x86-64-v2) and a Haswell (x86-64-v3),
    takes that level's path and matches the reference."""
    folder, c = cases
    prefix = [qemu, "-cpu", qemu_cpu]
    for name in ("float", "cast"):
        exe = compile_for(kiln, folder, c[name])
        assert describe(prefix, exe)["cpu_path"] == QEMU_CPUS[qemu_cpu]
        run_and_check(prefix, exe, c[name], folder, f"{name}_{qemu_cpu}")


@pytest.mark.compiler
def test_v4_only_executable_refuses_an_avx2_cpu(kiln, cases, qemu):
    folder, c = cases
    exe = compile_for(kiln, folder, c["float"], cpu="x86-64-v4")
    args = write_inputs(c["float"][1], str(folder / "in_refuse"))
    proc = run([qemu, "-cpu", "Haswell", exe, *args, "--output-dir", str(folder / "o")],
               timeout=QEMU_TIMEOUT_S)
    # qemu prints warnings about CPUID bits it cannot emulate; the executable's own line is
    # the one that starts with "error:".
    errors = [l for l in proc.stderr.splitlines() if l.startswith("error:")]
    assert proc.returncode == 1 and len(errors) == 1, proc.stderr
    m = re.fullmatch(r"error: this executable needs (\S+) \(built for x86-64-v4\); "
                     r"this CPU lacks (\S+)", errors[0])
    assert m, errors[0]
    assert LEVEL_FEATURES["x86-64-v4"] <= set(m.group(2).split(",")), errors[0]
    desc = describe([qemu, "-cpu", "Haswell"], exe)
    assert desc["cpu_path"] is None and "lacks avx512" in desc["cpu_error"]


@pytest.mark.compiler
def test_forcing_an_unknown_path_is_one_error_line(kiln, cases):
    folder, c = cases
    exe = compile_for(kiln, folder, c["float"])
    proc = run([exe, "--bench", "1"], env={"KILN_CPU_PATH": "x86-64-v9"})
    line = check_one_line_error(proc, "KILN_CPU_PATH")
    assert "x86-64-v2, x86-64-v3, x86-64-v4" in line


@pytest.mark.compiler
def test_native_is_one_path_for_this_machine(kiln, cases):
    folder, c = cases
    exe = compile_for(kiln, folder, c["float"], cpu="native")
    desc = describe([], exe)
    assert [p["name"] for p in desc["cpu_paths"]] == ["native"] and desc["cpu_path"] == "native"
    run_and_check([], exe, c["float"], folder, "native")


@pytest.mark.compiler
@pytest.mark.parametrize("cpu,mention", [("pentium-9000", "unknown CPU"),
                                         ("x86-64-v3,,x86-64-v4", "empty entry"),
                                         ("haswell,haswell", "listed twice")])
def test_bad_cpu_list_is_one_error_line(kiln, cases, cpu, mention):
    folder, c = cases
    proc = run([kiln, "compile", c["float"][0], "-o", str(folder / "bad.exe"), f"--cpu={cpu}"])
    check_one_line_error(proc, mention)
    assert proc.returncode == 2


@pytest.mark.compiler
@pytest.mark.parametrize("level,lanes,isa", [("x86-64-v2", 4, "sse"), ("x86-64-v3", 8, "avx2"),
                                             ("x86-64-v4", 16, "avx512"), ("haswell", 8, "avx2")])
def test_code_follows_the_level(kiln, tmp_path, level, lanes, isa):
    """A path calls the runtime's GEMM microkernels of its own ISA level, and its generated
    loops use vectors as wide as its registers: the matmul's elementwise epilogue (Relu)
    takes 4 vectors at a time, and nothing is wider."""
    rng = np.random.default_rng(3)
    w = onnx.numpy_helper.from_array(rng.standard_normal((64, 64)).astype(np.float32), "w")
    model = graph_model([helper.make_node("MatMul", ["a", "w"], ["m"]),
                         helper.make_node("Relu", ["m"], ["y"])],
                        [("a", TensorProto.FLOAT, [32, 64])],
                        [("y", TensorProto.FLOAT, [32, 64])], [w])
    path = str(tmp_path / "mm.onnx")
    onnx.save(model, path)
    tiled = check_ok(run([kiln, "compile", path, f"--cpu={level}", "--compile-to=tiled",
                          "--emit=mlir", "-o", "-"])).stdout
    tiles = {int(n) for n in re.findall(r"vector<\d+x(\d+)xf32>", tiled)}
    assert max(tiles) == 4 * lanes, sorted(tiles)
    assert "linalg.matmul" in tiled  # left whole for the call
    lowered = check_ok(run([kiln, "compile", path, f"--cpu={level}", "--compile-to=llvm",
                            "--emit=mlir", "-o", "-"])).stdout
    called = set(re.findall(r"llvm\.call @(kiln_uk_\w+)\(", lowered))
    assert called == {f"kiln_uk_matmul_f32_{isa}"}, called


@pytest.mark.compiler
def test_no_bfloat16_libcalls(kiln, cases):
    """bf16 casts are inline code at every level: no __truncsfbf2 call is left for the
    linker (the runtime provides one for LLVM's bf16 arithmetic, but a cast needs none)."""
    folder, c = cases
    obj = str(folder / "float.o")
    check_ok(run([kiln, "compile", c["float"][0], "--emit=obj", "-o", obj]))
    nm = shutil.which("llvm-nm-22") or "/usr/lib/llvm-22/bin/llvm-nm"
    undefined = check_ok(run([nm, "-u", obj])).stdout.split()
    assert not [s for s in undefined if "bf2" in s], undefined
    assert "kiln_cpu_entries" in check_ok(run([nm, obj])).stdout
