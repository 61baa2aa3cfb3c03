"""test_cuda.py — every e2e model compiled for `--target cuda:sm_80,sm_90`.

Without a GPU (CI, the build machines): the PTX kiln generates for every arch must assemble
with ptxas for that arch, the executable must link no CUDA library, answer --describe, and
fail with one clear line when there is no driver; the GPU mapping itself is checked
numerically by running it on the CPU (`--target cuda:host`). With a usable NVIDIA GPU (the lent device,
test/gpu/run_on_device.sh), the outputs must match onnxruntime like the CPU target's do.
"""
import ctypes
import os
import re
import shutil
import subprocess

import numpy as np

import pytest

from kiln_e2e import (COMPILE_TIMEOUT_S, assert_close, check_ok, check_one_line_error,
                      random_inputs, read_outputs, reference, run, run_exe, write_inputs)

pytestmark = pytest.mark.compiler

MODELS = ["resnet_style", "mobilenet_v2_style", "ops_mix"]
ARCHS = ["sm_80", "sm_90"]
TARGET = "cuda:" + ",".join(ARCHS)
CUDA_HOME = os.environ.get("CUDA_HOME", "/usr/local/cuda")
PTXAS = os.path.join(CUDA_HOME, "bin", "ptxas")
STUB = os.path.join(CUDA_HOME, "lib64", "stubs", "libcuda.so")

# gpu.object<#nvvm.target<... chip = "sm_80" ...>, ..., assembly = "<escaped PTX>">
OBJECT = re.compile(r'#gpu\.object<#nvvm\.target<[^>]*?chip = "(sm_\d+)"[^>]*>,[^"]*?'
                    r'assembly = "((?:[^"\\]|\\.)*)"')


def unescape_mlir_string(s):
    """MLIR prints non-printable bytes as \\XX hex and escapes \\ and \"."""
    out, i = bytearray(), 0
    while i < len(s):
        if s[i] == "\\":
            nxt = s[i + 1]
            if nxt in '\\"':
                out.append(ord(nxt))
                i += 2
            else:
                out.append(int(s[i + 1:i + 3], 16))
                i += 3
        else:
            out.extend(s[i].encode())
            i += 1
    return out.decode()


def driver_loads():
    """True when a real NVIDIA driver with a GPU answers (not the toolkit's stub)."""
    try:
        lib = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    count = ctypes.c_int(0)
    return lib.cuInit(0) == 0 and lib.cuDeviceGetCount(ctypes.byref(count)) == 0 \
        and count.value > 0


@pytest.fixture(scope="module")
def ptx_of(kiln, tmp_path_factory):
    """{model name: [(arch, ptx text)]}, from `--compile-to=llvm --emit=mlir`, once each."""
    cache, outdir = {}, tmp_path_factory.mktemp("cuda_mlir")

    def get(name, path):
        if name not in cache:
            out = outdir / f"{name}.mlir"
            check_ok(run([kiln, "compile", path, "--target", TARGET, "--compile-to=llvm",
                          "--emit=mlir", "-q", "-o", out], timeout=COMPILE_TIMEOUT_S))
            text = out.read_text()
            cache[name] = [(m.group(1), unescape_mlir_string(m.group(2)))
                           for m in OBJECT.finditer(text)]
        return cache[name]
    return get


@pytest.mark.parametrize("name", MODELS)
def test_ptx_assembles_for_every_arch(models, ptx_of, tmp_path, name):
    if not os.access(PTXAS, os.X_OK):
        pytest.skip(f"ptxas not found at {PTXAS} (set CUDA_HOME to the CUDA toolkit)")
    objects = ptx_of(name, models[name])
    assert objects, "no PTX in the lowered module"
    per_arch = {a: sum(1 for arch, _ in objects if arch == a) for a in ARCHS}
    assert len(set(per_arch.values())) == 1 and set(a for a, _ in objects) == set(ARCHS), \
        f"every GPU module needs PTX for each of {ARCHS}: {per_arch}"
    for i, (arch, ptx) in enumerate(objects):
        assert f".target {arch}" in ptx
        src = tmp_path / f"k{i}_{arch}.ptx"
        src.write_text(ptx)
        proc = subprocess.run([PTXAS, f"-arch={arch}", str(src), "-o", os.devnull],
                              capture_output=True, text=True)
        assert proc.returncode == 0, f"ptxas -arch={arch} rejected module {i}:\n{proc.stderr}"


@pytest.mark.parametrize("name", MODELS)
def test_executable_needs_only_the_driver(models, compiled, name):
    exe = compiled(models[name], "--target", TARGET)
    ldd = subprocess.run(["ldd", exe], capture_output=True, text=True).stdout
    assert not re.search(r"libcuda|libcudart|libcublas|libcudnn|libnvrtc", ldd), ldd
    check_ok(run([exe, "--describe"]))


def test_no_driver_is_one_clear_line(models, compiled, tmp_path):
    exe = compiled(models["ops_mix"], "--target", TARGET)
    if driver_loads():
        pytest.skip("a real NVIDIA driver is present")
    empty = tmp_path / "nolib"
    empty.mkdir()
    proc = run([exe, "--bench", "1"], env={"LD_LIBRARY_PATH": str(empty)})
    line = check_one_line_error(proc, "no NVIDIA driver")
    assert line == "error: no NVIDIA driver (libcuda.so.1 not found)"
    if os.path.exists(STUB):
        proc = run([exe, "--bench", "1"], env={"KILN_LIBCUDA": STUB})
        check_one_line_error(proc, "stub")


@pytest.mark.parametrize("name", MODELS)
def test_gpu_mapping_numerics_on_host(models, compiled, tmp_path, name):
    """`--target cuda:host` runs the GPU pipeline's mapping (kiln-gpu-map-to-loops: collapsed,
    block-tiled, guarded loops; copies as kernels; constants read in the loop) on the CPU, so
    the mapping's numerics are checked on machines without a GPU. What this cannot check:
    upstream's loops-to-GPU conversion, NVVM lowering and the driver (test_gpu_matches_*)."""
    exe = compiled(models[name], "--target", "cuda:host")
    feeds = random_inputs(models[name], seed=1)
    ref = reference(models[name], feeds)
    outdir = run_exe(exe, feeds, str(tmp_path))
    assert_close(read_outputs(outdir, ref), ref)


@pytest.fixture(scope="module")
def fake_driver(tmp_path_factory):
    """test/e2e/cuda/fake_libcuda.c built as a shared library (see its header)."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cuda", "fake_libcuda.c")
    out = tmp_path_factory.mktemp("fakecuda") / "libcuda.so.1"
    cc = next((c for c in ("clang-22", "cc", "gcc") if shutil.which(c)), None)
    if cc is None:
        pytest.skip("no C compiler for the fake driver")
    check_ok(run([cc, "-shared", "-fPIC", "-O1", "-o", out, src]))
    return str(out)


def run_fake(exe, fake, tmp_path, args=("--bench", "3"), **fake_env):
    log = tmp_path / "driver.log"
    env = {"KILN_LIBCUDA": fake, "FAKE_CU_LOG": str(log)}
    env.update({k: str(v) for k, v in fake_env.items()})
    proc = run([exe, *args], env=env)
    lines = log.read_text().splitlines() if log.exists() else []
    return proc, lines


@pytest.mark.parametrize("cc,loaded", [(90, "load cubin"), (86, "load cubin"),
                                       (80, "load cubin"), (120, "load ptx")])
def test_runtime_picks_cubin_or_ptx(models, compiled, fake_driver, tmp_path, cc, loaded):
    """sm_86 runs the sm_80 cubin, sm_120 JIT-compiles the sm_90 PTX; the second run is
    captured into a CUDA graph that later runs replay; --bench reports CUDA-event time."""
    exe = compiled(models["ops_mix"], "--target", TARGET)
    proc, log = run_fake(exe, fake_driver, tmp_path, FAKE_CU_CC=cc)
    check_ok(proc)
    assert proc.stdout.splitlines()[-1] == "median_ms=1.500000"
    loads = [l for l in log if l.startswith("load")]
    assert loads and set(loads) == {loaded}, log
    assert log.count("capture") == 1 and log.count("graph launch") == 3, log
    launches = log.count("launch")  # direct launches; replays are "graph launch"
    assert launches == 2 * len(loads), "one direct run and one captured run of every kernel"


@pytest.mark.parametrize("fake_env,mention", [
    ({"FAKE_CU_CC": 70}, "GPU 'Fake GPU' (sm_70) cannot run this executable: it carries "
                         "cubins for sm_80 sm_90 and PTX for sm_90; recompile with "
                         "--target cuda:sm_70"),
    ({"FAKE_CU_INIT": 100}, "no NVIDIA GPU found"),
    ({"FAKE_CU_COUNT": 0}, "no NVIDIA GPU found"),
    ({"FAKE_CU_INIT": 34}, "stub library"),
    ({"FAKE_CU_MEM_LIMIT": 16}, "out of GPU memory: the weights needs"),
])
def test_runtime_errors_are_one_line(models, compiled, fake_driver, tmp_path, fake_env,
                                     mention):
    exe = compiled(models["ops_mix"], "--target", TARGET)
    proc, _ = run_fake(exe, fake_driver, tmp_path, **fake_env)
    check_one_line_error(proc, mention)


def test_outputs_come_back_from_the_device(models, compiled, fake_driver, tmp_path):
    """With a driver that runs no kernels, outputs are the poison the runtime wrote to the
    device buffers (0xFF bytes: NaN), downloaded into the output files."""
    exe = compiled(models["ops_mix"], "--target", TARGET)
    feeds = random_inputs(models["ops_mix"], seed=1)
    args = write_inputs(feeds, str(tmp_path / "in"))
    proc, _ = run_fake(exe, fake_driver, tmp_path, args=[*args, "--output-dir", tmp_path / "out"])
    check_ok(proc)
    ref = reference(models["ops_mix"], feeds)
    got = read_outputs(str(tmp_path / "out"), ref)
    assert set(got) == set(ref) and all(np.isnan(v).all() for v in got.values())


def test_cuda_build_is_deterministic(kiln, models, compiled, tmp_path):
    first = compiled(models["ops_mix"], "--target", TARGET)
    second = tmp_path / "again"
    check_ok(run([kiln, "compile", models["ops_mix"], "--target", TARGET, "-q", "-o", second],
                 timeout=COMPILE_TIMEOUT_S))
    assert open(first, "rb").read() == second.read_bytes()


@pytest.mark.parametrize("name", MODELS)
def test_gpu_matches_onnxruntime(models, compiled, tmp_path, name):
    if not driver_loads():
        pytest.skip("no NVIDIA GPU and driver here (run test/gpu/run_on_device.sh on one)")
    exe = compiled(models[name], "--target", TARGET)
    for seed in (1, 7):
        feeds = random_inputs(models[name], seed=seed)
        ref = reference(models[name], feeds)
        outdir = run_exe(exe, feeds, str(tmp_path / str(seed)))
        assert_close(read_outputs(outdir, ref), ref)
