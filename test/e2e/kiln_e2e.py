"""kiln_e2e.py — helpers and fixtures for kiln's end-to-end tests (conftest.py exposes them).

Models are generated (test/models/make_models.py) into a per-session temporary folder; each is
compiled once with `$KILN_BUILD_DIR/bin/kiln compile` (default build dir: the repo's build/) and
its executable compared with onnxruntime on seeded random inputs. Tests that need the compiler
take the `kiln` fixture, which FAILS (never skips) with a clear message when it is not built.

The whole suite can be pointed at the onnxruntime-backed stand-in to check the harness itself:
  KILN_BUILD_DIR=test/e2e/stub .venv/bin/python -m pytest -q test/e2e
"""
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import onnx
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "test", "models"))
import make_models  # noqa: E402

BUILD_DIR = os.path.abspath(os.environ.get("KILN_BUILD_DIR", os.path.join(REPO, "build")))
KILN = os.path.join(BUILD_DIR, "bin", "kiln")

# Relative L2 error ||kiln - ort|| / ||ort|| allowed per output. Both sides compute in float32
# but sum in different orders (tiling, vectorized reductions, fused BN/bias); each reassociated
# dot product of length K is off by ~sqrt(K)*2^-24, and across the ~50 layers of a real CNN
# that compounds to ~1e-6..1e-5. 1e-4 leaves a margin of 10x while still catching any wrong
# index, padding, or broadcast (those give errors of order 1e-2..1).
REL_L2_TOL = 1e-4

COMPILE_TIMEOUT_S = 600
RUN_TIMEOUT_S = 120
THREADS = "2"  # the test machines are small and shared

NP_TO_KILN = {"float32": "f32", "float64": "f64", "float16": "f16", "int8": "i8",
              "int16": "i16", "int32": "i32", "int64": "i64", "uint8": "u8", "uint16": "u16",
              "uint32": "u32", "uint64": "u64", "bool": "bool"}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "compiler: needs build/bin/kiln; fails (does not skip) when it is missing")


def _run(args, timeout, env, **kw):
    full_env = dict(os.environ, KILN_NUM_THREADS=THREADS)
    full_env.update(env or {})
    try:
        return subprocess.run([str(a) for a in args], capture_output=True, text=True,
                              timeout=timeout, env=full_env, **kw)
    except subprocess.TimeoutExpired:
        pytest.fail(f"timed out after {timeout} s: {' '.join(map(str, args))}", pytrace=False)


def run(args, timeout=RUN_TIMEOUT_S, env=None, **kw):
    """Runs a command, capturing text output; a hang is a test failure, not a stuck suite.
    A compiled executable that writes outputs (--output-dir) and succeeds is run again on each
    code path of SECOND_CPU_PATHS it carries (check_other_cpu_paths)."""
    proc = _run(args, timeout, env, **kw)
    if proc.returncode == 0:
        check_other_cpu_paths(args, timeout, env, kw)
    return proc


# Code paths (runtime/CpuDispatch.h) every executable the suite runs is also run on, forced
# with KILN_CPU_PATH, when it carries them and this CPU would not pick them anyway: the lowest
# level, so the suite covers it on whatever CPU runs it. KILN_TEST_CPU_PATHS overrides
# (comma-separated; empty: none).
SECOND_CPU_PATHS = [p for p in os.environ.get("KILN_TEST_CPU_PATHS", "x86-64-v2").split(",")
                    if p]
# Relative L2 allowed between two paths' float outputs. The paths compute the same ops in the
# same precision, but tiles of 4, 8 or 16 lanes sum in different orders (and SSE has no FMA):
# f32/f64 as REL_L2_TOL; a 16-bit float output may round the other way in a few elements, and
# one ulp there is 2^-11 (f16) or 2^-8 (bf16, written as f32).
PATH_TOL = {"float16": 2e-3, "bfloat16": 1.6e-2}
_describe_cache = {}


def _describe_exe(exe):
    st = os.stat(exe)
    key = (exe, st.st_mtime_ns, st.st_size)
    if key not in _describe_cache:
        proc = subprocess.run([exe, "--describe"], capture_output=True, text=True,
                              timeout=RUN_TIMEOUT_S)
        try:
            _describe_cache[key] = json.loads(proc.stdout) if proc.returncode == 0 else None
        except json.JSONDecodeError:
            _describe_cache[key] = None
    return _describe_cache[key]


def check_other_cpu_paths(args, timeout, env, kw):
    args = [str(a) for a in args]
    if (not SECOND_CPU_PATHS or "--output-dir" not in args or args[0] == KILN
            or "KILN_CPU_PATH" in (env or {}) or "KILN_CPU_PATH" in os.environ
            or not os.access(args[0], os.X_OK) or args[0].endswith(".py")
            or os.path.basename(args[0]).startswith("qemu")):
        return
    desc = _describe_exe(args[0])
    if not desc or not desc.get("cpu_paths"):
        return
    carried = {p["name"] for p in desc["cpu_paths"]}
    dtypes = {o["name"]: o["dtype"] for o in desc["outputs"]}
    outdir = args[args.index("--output-dir") + 1]
    for path in SECOND_CPU_PATHS:
        if path not in carried or path == desc.get("cpu_path"):
            continue
        other = outdir.rstrip("/") + f".{path}"
        shutil.rmtree(other, ignore_errors=True)
        second = list(args)
        second[second.index("--output-dir") + 1] = other
        proc = _run(second, timeout, dict(env or {}, KILN_CPU_PATH=path), **kw)
        assert proc.returncode == 0, \
            f"the {path} code path failed where {desc['cpu_path']} ran\n" + describe_failure(proc)
        for f in sorted(os.listdir(outdir)):
            if not f.endswith(".npy"):
                continue
            a, b = np.load(os.path.join(outdir, f)), np.load(os.path.join(other, f))
            what = f"output {f} of the {path} path vs the {desc['cpu_path']} path"
            assert a.dtype == b.dtype and a.shape == b.shape, \
                f"{what}: {b.dtype}{b.shape} vs {a.dtype}{a.shape}"
            if not np.issubdtype(a.dtype, np.floating):
                np.testing.assert_array_equal(b, a, err_msg=what)
                continue
            np.testing.assert_array_equal(np.isnan(b), np.isnan(a), err_msg=what + ": NaNs")
            fin = np.isfinite(a)
            np.testing.assert_array_equal(b[~fin & ~np.isnan(a)], a[~fin & ~np.isnan(a)],
                                          err_msg=what + ": infinities")
            tol = PATH_TOL.get(dtypes.get(f[:-4], ""), PATH_TOL.get(str(a.dtype), REL_L2_TOL))
            x, y = a[fin].astype(np.float64), b[fin].astype(np.float64)
            denom = np.linalg.norm(x)
            err = np.linalg.norm(y - x) / (denom if denom > 0 else 1.0)
            assert err <= tol, f"{what}: relative L2 {err:.3e} > {tol:.0e}"


def describe_failure(proc):
    return (f"command: {' '.join(map(str, proc.args))}\nexit: {proc.returncode}\n"
            f"stdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-4000:]}")


def check_ok(proc):
    assert proc.returncode == 0, "command failed\n" + describe_failure(proc)
    return proc


def check_one_line_error(proc, *mentions):
    """The contract for bad input: non-zero exit that is not a signal (a crash), and exactly
    one non-empty line on stderr, which names the problem: it contains at least one of
    `mentions` (case-insensitive)."""
    info = describe_failure(proc)
    assert proc.returncode != 0, "expected failure, got exit 0\n" + info
    assert 0 < proc.returncode < 128, "crashed (signal) instead of a clean error\n" + info
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), \
        f"expected exactly one non-empty stderr line, got {len(lines)}\n" + info
    if mentions:
        low = lines[0].lower()
        assert any(m.lower() in low for m in mentions), \
            f"stderr line does not name the problem (expected one of {mentions})\n" + info
    return lines[0]


@pytest.fixture(scope="session")
def kiln():
    """Path of the kiln driver. A missing compiler is a failure, never a skip."""
    if not (os.path.isfile(KILN) and os.access(KILN, os.X_OK)):
        pytest.fail(f"kiln compiler not found: {KILN} does not exist or is not executable. "
                    f"Build it with scripts/build.sh (or point KILN_BUILD_DIR at a build).",
                    pytrace=False)
    return KILN


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    """{name: path} for the generated models (64x64 images), plus extra variants:
    `<name>@external` (weights in <model>.onnx.data), `resnet_style@batchN` (symbolic batch
    dim named N) and the `unsupported_*` models."""
    base = tmp_path_factory.mktemp("models")
    paths = make_models.generate(str(base / "plain"))
    for name, p in make_models.generate(str(base / "external"), external=True).items():
        paths[name + "@external"] = p
    paths["resnet_style@batchN"] = make_models.generate(
        str(base / "symbolic"), ["resnet_style"], batch="N")["resnet_style"]
    paths["unsupported_unique"] = make_models.save(
        make_models.unsupported_op("Unique"), str(base / "unsupported_unique.onnx"))
    paths["unsupported_custom"] = make_models.save(
        make_models.unsupported_op("Frobnicate", domain="com.example.kiln"),
        str(base / "unsupported_custom.onnx"))
    return paths


class Compiled:
    """Compiles each (model, extra args) once per session."""

    def __init__(self, kiln, outdir):
        self.kiln, self.outdir, self.cache = kiln, outdir, {}

    def __call__(self, model_path, *extra):
        key = (model_path,) + extra
        if key not in self.cache:
            out = os.path.join(self.outdir, f"exe{len(self.cache)}_"
                               + os.path.basename(model_path).replace(".onnx", ""))
            proc = run([self.kiln, "compile", model_path, "-o", out, *extra],
                       timeout=COMPILE_TIMEOUT_S)
            if proc.returncode != 0:
                self.cache[key] = Exception("kiln compile failed\n" + describe_failure(proc))
            elif not (os.path.isfile(out) and os.access(out, os.X_OK)):
                self.cache[key] = Exception(f"kiln compile exited 0 but wrote no executable {out}")
            else:
                self.cache[key] = out
        if isinstance(self.cache[key], Exception):  # failed once: fail fast, don't recompile
            pytest.fail(str(self.cache[key]), pytrace=False)
        return self.cache[key]


@pytest.fixture(scope="session")
def compiled(kiln, tmp_path_factory):
    return Compiled(kiln, str(tmp_path_factory.mktemp("exe")))


def model_inputs(model_path, bind=None):
    """[(name, numpy dtype, shape)] of a model's real inputs; symbolic dims from `bind`."""
    m = onnx.load(model_path, load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    out = []
    for v in m.graph.input:
        if v.name in inits:
            continue
        t = v.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else (bind or {})[d.dim_param]
                 for d in t.shape.dim]
        out.append((v.name, onnx.helper.tensor_dtype_to_np_dtype(t.elem_type), shape))
    return out


def random_inputs(model_path, seed=0, bind=None):
    """Seeded standard-normal inputs (not zeros: zeros hide wrong weights and indexing)."""
    rng = np.random.default_rng(seed)
    return {name: rng.standard_normal(shape).astype(dtype)
            for name, dtype, shape in model_inputs(model_path, bind)}


def random_inputs_full_range(model_path, seed=0, bind=None):
    """random_inputs, but integers drawn from their dtype's whole range (not rounded
    normals), for kernels whose integer paths must be exact everywhere."""
    feeds = random_inputs(model_path, seed, bind)
    rng = np.random.default_rng(seed)
    for name, value in feeds.items():
        if np.issubdtype(value.dtype, np.integer):
            info = np.iinfo(value.dtype)
            feeds[name] = rng.integers(info.min, info.max, value.shape, dtype=np.int64,
                                       endpoint=True).astype(value.dtype)
    return feeds


def graph_model(nodes, inputs, outputs, inits=(), opset=17):
    """A one-graph ONNX model from nodes, [(name, elem type, shape)] inputs and outputs, and
    initializers."""
    graph = onnx.helper.make_graph(
        nodes, "g", [onnx.helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
        [onnx.helper.make_tensor_value_info(n, t, s) for n, t, s in outputs], list(inits))
    return onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", opset)])


def model_cases_fixture(cases, seed, folder_name):
    """A module-scoped fixture giving `get(name)`: the path of cases[name](rng) saved once."""
    @pytest.fixture(scope="module")
    def case_model(tmp_path_factory):
        folder = tmp_path_factory.mktemp(folder_name)

        def get(name):
            path = str(folder / f"{name}.onnx")
            if not os.path.exists(path):
                onnx.save(cases[name](np.random.default_rng(seed)), path)
            return path
        return get
    return case_model


def write_inputs(feeds, folder, fmt="npy"):
    """Writes feeds as .npy or ONNX TensorProto .pb files; returns the --input arguments."""
    os.makedirs(folder, exist_ok=True)
    args = []
    for i, (name, value) in enumerate(feeds.items()):
        if fmt == "npy":
            path = os.path.join(folder, f"input_{i}.npy")
            np.save(path, value)
        else:
            path = os.path.join(folder, f"input_{i}.pb")
            with open(path, "wb") as f:
                f.write(onnx.numpy_helper.from_array(value, name).SerializeToString())
        args += ["--input", f"{name}={path}"]
    return args


def reference(model_path, feeds):
    """{output name: array} from onnxruntime (single-threaded, deterministic)."""
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(model_path, so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds)))


def read_outputs(folder, names):
    got = {}
    for n in names:
        path = os.path.join(folder, n + ".npy")
        assert os.path.isfile(path), f"no output file {n}.npy in {folder}: {os.listdir(folder)}"
        got[n] = np.load(path)
    return got


def assert_close(got, ref, tol=REL_L2_TOL):
    assert set(got) == set(ref), f"outputs {sorted(got)} != expected {sorted(ref)}"
    for n, b in ref.items():
        a = got[n]
        assert a.dtype == b.dtype, f"output {n}: dtype {a.dtype}, expected {b.dtype}"
        assert a.shape == b.shape, f"output {n}: shape {a.shape}, expected {b.shape}"
        assert np.all(np.isfinite(a)), f"output {n}: non-finite values"
        denom = np.linalg.norm(b.astype(np.float64))
        err = np.linalg.norm(a.astype(np.float64) - b) / (denom if denom > 0 else 1.0)
        assert err <= tol, (f"output {n}: relative L2 error {err:.3e} > {tol:.0e} "
                            f"(max abs diff {np.abs(a.astype(np.float64) - b).max():.3e})")


def assert_matches(got, ref, tol=REL_L2_TOL):
    """Integer outputs exactly equal, floating ones within relative L2 `tol` (assert_close)."""
    ints = {n for n, v in ref.items() if np.issubdtype(v.dtype, np.integer)}
    for n in ints:
        np.testing.assert_array_equal(got[n], ref[n], err_msg=f"output {n}")
    assert_close({n: v for n, v in got.items() if n not in ints},
                 {n: v for n, v in ref.items() if n not in ints}, tol)


def run_exe(exe, feeds, folder, fmt="npy", env=None):
    """Runs a compiled executable on feeds and returns its outputs (all files it wrote)."""
    args = write_inputs(feeds, os.path.join(folder, "in"), fmt)
    outdir = os.path.join(folder, "out")
    check_ok(run([exe, *args, "--output-dir", outdir], env=env))
    return outdir


BENCH_LINE = re.compile(r"^median_ms=([0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?)$")
