#!/usr/bin/env python3
"""run_node_tests.py — runs the ONNX backend node tests through `kiln compile` (issue 3).

For every node test of the installed `onnx` wheel: check that kiln can take it (eligibility),
compile model.onnx with `kiln compile --target T`, run the executable on each test_data_set_N
(`--input NAME=input_i.pb ... --output-dir D`) and compare D/<output>.npy with output_i.pb.

Where the data comes from: the onnx wheels on PyPI (1.23.2 at the time of writing) no longer ship
`onnx/backend/test/data/node`; they ship the generators (`onnx.backend.test.case.node`). Step one
therefore materialises the data from `node.collect_testcases()` in the layout ONNX's own
`backend-test-tools generate-data` writes (<test>/model.onnx, <test>/test_data_set_N/input_i.pb
and output_i.pb; sequence, optional and map values are written the same way it does), into
$KILN_BUILD_DIR/conformance/data/onnx-<version>/node (cached; regenerated when the onnx version
changes). From then on the runner works from those files, like any user of the data. `--data DIR`
points it at an existing `node/` folder instead (e.g. from an onnx source checkout).

Comparison (as ONNX's own runner, onnx/backend/test/runner): the number of outputs, each shape and
dtype must match exactly; floats must satisfy |out - ref| <= atol + rtol * |ref| elementwise with
NaN in the same places and infinities equal, with rtol/atol from the test case when it has them
(a data.json beside model.onnx, as ONNX writes for real models) else rtol 1e-3, atol 1e-7 (every
node case in onnx 1.23.2 uses these); integers and bools must be equal. kiln writes bfloat16
outputs widened to float32 (runtime/Npy.cpp), so a float32 output is accepted for a bfloat16
reference and compared in float32.

Eligible: every graph input and output is a tensor whose element type is not string (sequence,
optional, map and sparse values are not), every node (subgraphs included) is in the default
domain ("" or "ai.onnx"), and the test has at least one data set. The others are counted and
listed as `ineligible` with the reason; none is dropped. Models whose inputs have symbolic or
missing dims get them bound from each data set's input shapes with --input-shape.

Statuses: pass, fail-compile (first line of kiln's error), fail-run (the executable failed or
wrote no output), fail-mismatch (max abs/rel error), ineligible (why), timeout.

  .venv/bin/python test/conformance/run_node_tests.py                 # the full table (cpu)
  .venv/bin/python test/conformance/run_node_tests.py --filter '^test_conv'
  .venv/bin/python test/conformance/run_node_tests.py --only-expected # the CI subset
  .venv/bin/python test/conformance/run_node_tests.py --update-expected  # rewrite the list
  .venv/bin/python test/conformance/run_node_tests.py --skip-expected --check-only  # kiln check
                                                         # on the unlisted tests only (cheap)
Executables run with KILN_NUM_THREADS=1 (the tests are tiny; --jobs gives the parallelism).
Exit status: 1 when a test in the expected list (within --filter) did not pass, else 0.
"""
import argparse
import collections
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BUILD_DIR = os.path.abspath(os.environ.get("KILN_BUILD_DIR", os.path.join(REPO, "build")))

DEFAULT_RTOL = 1e-3
DEFAULT_ATOL = 1e-7
DEFAULT_DOMAINS = ("", "ai.onnx")

PASS = "pass"
PASS_CHECK = "pass-check"  # --check-only: `kiln check` accepts the model (not run)
FAIL_COMPILE = "fail-compile"
FAIL_RUN = "fail-run"
FAIL_MISMATCH = "fail-mismatch"
INELIGIBLE = "ineligible"
TIMEOUT = "timeout"
FAILURES = (FAIL_COMPILE, FAIL_RUN, FAIL_MISMATCH, TIMEOUT)


def expected_path(target):
    """expected_<target>.txt, the target's ':' spelled '-' (expected_cuda-host.txt)."""
    return os.path.join(HERE, f"expected_{target.replace(':', '-')}.txt")


# ---------------------------------------------------------------------------------------------
# Data: materialise the node tests from the wheel's generators.

def default_data_dir():
    import onnx
    return os.path.join(BUILD_DIR, "conformance", "data", f"onnx-{onnx.__version__}", "node")


def _write_value(path, value, value_info):
    """Writes one input or output the way onnx's cmd_tools generate_data does."""
    from onnx import TensorProto, numpy_helper
    t = value_info.type
    if t.HasField("map_type"):
        proto = numpy_helper.from_dict(value, value_info.name)
    elif t.HasField("sequence_type"):
        proto = numpy_helper.from_list(value, value_info.name)
    elif t.HasField("optional_type"):
        proto = numpy_helper.from_optional(value, value_info.name)
    elif isinstance(value, TensorProto):
        proto = value
    else:
        proto = numpy_helper.from_array(value, value_info.name)
    with open(path, "wb") as f:
        f.write(proto.SerializeToString())


def materialise(data_dir, log=print):
    """Writes every node test under data_dir unless a complete copy is already there."""
    stamp = os.path.join(data_dir, ".complete")
    if os.path.exists(stamp):
        return data_dir
    import warnings
    from onnx.backend.test.case import node
    t0 = time.time()
    log(f"materialising the ONNX node tests into {data_dir} ...")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the generators divide by zero on purpose
        cases = node.collect_testcases()
    parent = os.path.dirname(data_dir)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".node-", dir=parent)
    for case in cases:
        case_dir = os.path.join(tmp, case.name)
        os.makedirs(case_dir)
        with open(os.path.join(case_dir, "model.onnx"), "wb") as f:
            f.write(case.model.SerializeToString())
        if (case.rtol, case.atol) != (DEFAULT_RTOL, DEFAULT_ATOL):
            with open(os.path.join(case_dir, "data.json"), "w") as f:
                json.dump({"rtol": case.rtol, "atol": case.atol}, f)
        graph = case.model.graph
        for i, (inputs, outputs) in enumerate(case.data_sets or []):
            ds = os.path.join(case_dir, f"test_data_set_{i}")
            os.makedirs(ds)
            for j, value in enumerate(inputs):
                _write_value(os.path.join(ds, f"input_{j}.pb"), value, graph.input[j])
            for j, value in enumerate(outputs):
                _write_value(os.path.join(ds, f"output_{j}.pb"), value, graph.output[j])
    open(os.path.join(tmp, ".complete"), "w").close()
    try:
        os.rename(tmp, data_dir)
    except OSError:  # another runner got there first
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"materialised {len(cases)} node tests in {time.time() - t0:.1f} s")
    return data_dir


def list_tests(data_dir):
    return sorted(d for d in os.listdir(data_dir)
                  if os.path.isfile(os.path.join(data_dir, d, "model.onnx")))


# ---------------------------------------------------------------------------------------------
# Eligibility and the op a test belongs to.

def _value_problem(vi, role):
    """Why graph input/output `vi` is not a plain non-string tensor, or None."""
    from onnx import TensorProto
    kind = vi.type.WhichOneof("value")
    if kind != "tensor_type":
        what = {"sequence_type": "a sequence", "optional_type": "an optional",
                "map_type": "a map", "sparse_tensor_type": "a sparse tensor"}
        return f"{role} '{vi.name}' is {what.get(kind, kind or 'untyped')}"
    elem = vi.type.tensor_type.elem_type
    if elem == TensorProto.STRING:
        return f"{role} '{vi.name}' is a string tensor"
    if elem == TensorProto.UNDEFINED:
        return f"{role} '{vi.name}' has no element type"
    return None


def _all_nodes(graph):
    for n in graph.node:
        yield n
        for a in n.attribute:
            if a.HasField("g"):
                yield from _all_nodes(a.g)
            for g in a.graphs:
                yield from _all_nodes(g)


def eligibility(model, num_data_sets):
    """None when kiln should be able to run the test, else the reason it is ineligible."""
    init = {t.name for t in model.graph.initializer}
    for vi in model.graph.input:
        if vi.name not in init:
            why = _value_problem(vi, "input")
            if why:
                return why
    for vi in model.graph.output:
        why = _value_problem(vi, "output")
        if why:
            return why
    for n in _all_nodes(model.graph):
        if n.domain not in DEFAULT_DOMAINS:
            return f"node {n.op_type} is in domain {n.domain}"
    if num_data_sets == 0:
        return "no test_data_set_* folders"
    return None


_SCHEMA_KEYS = None
# Abbreviations ONNX's test names use for ops whose tests are multi-node.
_NAME_ALIASES = {"sce": "SoftmaxCrossEntropyLoss", "nllloss": "NegativeLogLikelihoodLoss",
                 "mvn": "MeanVarianceNormalization", "batchnorm": "BatchNormalization"}


def op_of(name, model):
    """The op a test is filed under: the node's op_type for single-node models, else the
    longest ONNX op name that the test name starts with (test_reduce_sum_… → ReduceSum,
    test_softmax_axis_0_expanded → Softmax), else the first word of the name."""
    global _SCHEMA_KEYS
    if len(model.graph.node) == 1:
        return model.graph.node[0].op_type
    if _SCHEMA_KEYS is None:
        import onnx
        schemas = sorted(onnx.defs.get_all_schemas(), key=lambda s: s.domain in DEFAULT_DOMAINS)
        _SCHEMA_KEYS = {s.name.lower(): s.name for s in schemas}  # default domain wins
        _SCHEMA_KEYS.update(_NAME_ALIASES)
    words = name[len("test_"):].split("_") if name.startswith("test_") else name.split("_")
    for k in range(len(words), 0, -1):
        key = "".join(words[:k]).lower()
        if key in _SCHEMA_KEYS:
            return _SCHEMA_KEYS[key]
    return words[0]


# ---------------------------------------------------------------------------------------------
# Comparison.

def _is_bfloat16(dtype):
    return dtype.name == "bfloat16"


def _is_float(dtype):
    if np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.complexfloating):
        return True
    return dtype.name.startswith(("bfloat16", "float8", "float4"))  # ml_dtypes


def compare(ref, out, rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL):
    """None when `out` matches `ref`, else (kind, message): kind is 'dtype', 'shape' or
    'values'. Floats: |out - ref| <= atol + rtol*|ref|, NaNs in the same places, infinities
    equal; everything else exact. A float32 `out` is accepted for a bfloat16 `ref`."""
    ref = np.asarray(ref)
    out = np.asarray(out)
    if out.dtype != ref.dtype and not (_is_bfloat16(ref.dtype) and out.dtype == np.float32):
        return ("dtype", f"dtype {out.dtype}, expected {ref.dtype}")
    if out.shape != ref.shape:
        return ("shape", f"shape {list(out.shape)}, expected {list(ref.shape)}")
    if ref.size == 0:
        return None
    if _is_float(ref.dtype):
        r = ref.astype(np.complex128 if np.iscomplexobj(ref) else np.float64)
        o = out.astype(r.dtype)
        rn, on = np.isnan(r), np.isnan(o)
        if not np.array_equal(rn, on):
            n = int(np.count_nonzero(rn != on))
            return ("values", f"NaN at {n} position(s) where the reference has none or "
                              f"vice versa")
        ok = ~rn
        r, o = r[ok], o[ok]
        rinf, oinf = np.isinf(r), np.isinf(o)
        if not np.array_equal(r[rinf | oinf], o[rinf | oinf]):
            return ("values", "infinities differ")
        fin = ~(rinf | oinf)
        r, o = r[fin], o[fin]
        err = np.abs(o - r)
        bad = err > atol + rtol * np.abs(r)
        if np.any(bad):
            with np.errstate(divide="ignore", invalid="ignore"):
                rel = np.where(r != 0, err / np.abs(r), np.inf)
            return ("values", f"{int(np.count_nonzero(bad))}/{ref.size} elements differ: "
                              f"max abs err {float(err.max()):.3g}, "
                              f"max rel err {float(rel[bad].max()):.3g}")
        return None
    if not np.array_equal(out, ref):
        n = int(np.count_nonzero(out != ref))
        return ("values", f"{n}/{ref.size} elements differ (exact comparison)")
    return None


# ---------------------------------------------------------------------------------------------
# Running one test.

def _first_line(text):
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""


def _load_pb(path):
    import onnx
    from onnx import numpy_helper
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def _static_dims(vi):
    dims = vi.type.tensor_type.shape.dim if vi.type.tensor_type.HasField("shape") else None
    if dims is None:
        return False
    return all(d.HasField("dim_value") for d in dims)


def _output_file(name):
    return name.replace("/", "_") + ".npy"  # runtime/Main.cpp outputFileName


# Code paths every executable is also run on, forced with KILN_CPU_PATH, when it carries them
# and this CPU does not pick them anyway (runtime/CpuDispatch.h): the lowest level, so CI
# checks it whatever CPU it runs on. KILN_TEST_CPU_PATHS (comma-separated; empty: none).
SECOND_CPU_PATHS = [p for p in os.environ.get("KILN_TEST_CPU_PATHS", "x86-64-v2").split(",")
                    if p]


def _extra_cpu_paths(exe, env):
    """The SECOND_CPU_PATHS that `exe` carries and would not run anyway on this CPU."""
    if not SECOND_CPU_PATHS:
        return []
    p = subprocess.run([exe, "--describe"], capture_output=True, text=True, timeout=60,
                       env=env)
    if p.returncode != 0:
        return []  # the run itself will report what is wrong
    desc = json.loads(p.stdout)
    carried = {c["name"] for c in desc.get("cpu_paths", [])}
    return [c for c in SECOND_CPU_PATHS if c in carried and c != desc.get("cpu_path")]


def run_one(args):
    """Runs test `name`; returns its result dict (never raises for a failing test)."""
    name, data_dir, kiln, target, timeout, work_root, keep, check_only = args
    import onnx
    t0 = time.time()
    res = {"op": name, "status": None}
    test_dir = os.path.join(data_dir, name)

    def done(status, reason="", **extra):
        res.update(status=status, reason=reason, seconds=round(time.time() - t0, 2), **extra)
        return res

    try:
        model = onnx.load(os.path.join(test_dir, "model.onnx"))
    except Exception as e:  # noqa: BLE001 — a corrupt model is a result, not a crash
        return done(INELIGIBLE, f"cannot load model.onnx: {e}")
    res["op"] = op_of(name, model)
    data_sets = sorted((d for d in os.listdir(test_dir) if d.startswith("test_data_set_")),
                       key=lambda d: int(d.rsplit("_", 1)[1]))
    why = eligibility(model, len(data_sets))
    if why:
        return done(INELIGIBLE, why)
    if check_only:
        cmd = [kiln, "check", os.path.join(test_dir, "model.onnx")]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return done(TIMEOUT, f"kiln check ran over {timeout} s")
        if p.returncode != 0:
            return done(FAIL_COMPILE, _first_line(p.stderr) or _first_line(p.stdout) or
                        f"kiln check: exit {p.returncode}, no message")
        return done(PASS_CHECK)
    rtol, atol = DEFAULT_RTOL, DEFAULT_ATOL
    meta = os.path.join(test_dir, "data.json")
    if os.path.exists(meta):
        with open(meta) as f:
            m = json.load(f)
        rtol, atol = m.get("rtol", rtol), m.get("atol", atol)

    init = {t.name for t in model.graph.initializer}
    inputs = [vi for vi in model.graph.input if vi.name not in init]
    outputs = list(model.graph.output)
    symbolic = not all(_static_dims(vi) for vi in inputs)
    env = dict(os.environ, KILN_NUM_THREADS="1")
    deadline = t0 + timeout
    work = tempfile.mkdtemp(prefix=name + ".", dir=work_root)
    try:
        exes = {}  # --input-shape arguments → executable
        extra_paths = {}  # executable → the code paths it also runs on
        for ds in data_sets:
            ds_dir = os.path.join(test_dir, ds)
            in_files = [os.path.join(ds_dir, f"input_{i}.pb") for i in range(len(inputs))]
            in_files = [p for p in in_files if os.path.exists(p)]
            shape_args = []
            if symbolic:
                res["bound_dims"] = True
                for vi, p in zip(inputs, in_files):
                    shape = _load_pb(p).shape
                    if shape:
                        shape_args += ["--input-shape", f"{vi.name}={'x'.join(map(str, shape))}"]
            key = tuple(shape_args)
            if key not in exes:
                exe = os.path.join(work, f"model{len(exes)}.exe")
                cmd = [kiln, "compile", os.path.join(test_dir, "model.onnx"), "-o", exe,
                       "--target", target] + shape_args
                left = deadline - time.time()
                if left <= 0:
                    return done(TIMEOUT, f"over {timeout} s")
                try:
                    p = subprocess.run(cmd, capture_output=True, text=True, timeout=left,
                                       env=env)
                except subprocess.TimeoutExpired:
                    return done(TIMEOUT, f"kiln compile ran over {timeout} s")
                if p.returncode != 0:
                    why = _first_line(p.stderr) or _first_line(p.stdout) or \
                        f"exit {p.returncode}, no message"
                    if p.returncode < 0:
                        why = f"crashed (signal {-p.returncode}): {why}"
                    return done(FAIL_COMPILE, why)
                exes[key] = exe
                extra_paths[exe] = _extra_cpu_paths(exe, env)
            # Every executable also runs forced onto each code path of SECOND_CPU_PATHS that
            # it carries (the default executable: x86-64-v2 besides this CPU's own level).
            for cpu_path in [None] + extra_paths[exes[key]]:
                tag = f"{ds} [{cpu_path}]" if cpu_path else ds
                out_dir = os.path.join(work, ds + (f".{cpu_path}" if cpu_path else ""))
                os.makedirs(out_dir)
                cmd = [exes[key]]
                for vi, p in zip(inputs, in_files):
                    cmd += ["--input", f"{vi.name}={p}"]
                cmd += ["--output-dir", out_dir]
                left = deadline - time.time()
                if left <= 0:
                    return done(TIMEOUT, f"over {timeout} s")
                run_env = dict(env, KILN_CPU_PATH=cpu_path) if cpu_path else env
                try:
                    p = subprocess.run(cmd, capture_output=True, text=True, timeout=left,
                                       env=run_env)
                except subprocess.TimeoutExpired:
                    return done(TIMEOUT, f"the executable ran over {timeout} s on {tag}")
                if p.returncode != 0:
                    why = _first_line(p.stderr) or f"exit {p.returncode}, no message"
                    if p.returncode < 0:
                        why = f"crashed (signal {-p.returncode}): {why}"
                    return done(FAIL_RUN, f"{tag}: {why}")
                for i, vi in enumerate(outputs):
                    ref_file = os.path.join(ds_dir, f"output_{i}.pb")
                    if not os.path.exists(ref_file):
                        continue
                    got_file = os.path.join(out_dir, _output_file(vi.name))
                    if not os.path.exists(got_file):
                        return done(FAIL_RUN, f"{tag}: no output file for '{vi.name}'")
                    diff = compare(_load_pb(ref_file), np.load(got_file), rtol, atol)
                    if diff:
                        return done(FAIL_MISMATCH, f"{tag}: output '{vi.name}': {diff[1]}",
                                    mismatch=diff[0])
        return done(PASS)
    except Exception as e:  # noqa: BLE001 — report a harness problem as this test's failure
        return done(FAIL_RUN, f"runner error: {type(e).__name__}: {e}")
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Expected list, reporting.

def read_expected(path):
    if not os.path.exists(path):
        return set()
    with open(path) as f:
        return {ln.strip() for ln in f if ln.strip() and not ln.lstrip().startswith("#")}


def write_expected(path, target, passed):
    with open(path, "w") as f:
        f.write(f"# ONNX backend node tests that pass with kiln --target {target} (one per line,\n"
                f"# sorted). A test listed here that fails is a regression (test_conformance.py).\n"
                f"# Regenerate after making more tests pass (runs every test, a few minutes):\n"
                f"#   .venv/bin/python test/conformance/run_node_tests.py --target {target} "
                f"--update-expected\n")
        for name in sorted(passed):
            f.write(name + "\n")


def check_against_expected(results, expected):
    """(regressions, new_passes): regressions are (name, status, reason) for each expected
    test that did not pass (or was not run); new_passes are passing tests not listed."""
    regressions = []
    for name in sorted(expected):
        r = results.get(name)
        if r is None:
            regressions.append((name, "missing", "not in this run (test no longer exists?)"))
        elif r["status"] != PASS:
            regressions.append((name, r["status"], r.get("reason", "")))
    new = sorted(n for n, r in results.items() if r["status"] == PASS and n not in expected)
    return regressions, new


_NORMALISE = [
    (re.compile(r"\S*\.onnx:\s*"), ""),  # the model path
    (re.compile(r"test_data_set_\d+: "), ""),
    (re.compile(r"(node|output|input|value|tensor|initializer)\s+'[^']*'"), r"\1 '…'"),
    (re.compile(r"(node|output|input|value)\s+\"[^\"]*\""), r"\1 '…'"),
    (re.compile(r"'[^']*/[^']*'"), "'…'"),  # paths
    (re.compile(r"\b\d+(x\d+)+\b"), "N"),  # shapes
    # Numbers, but not those in names (i8, UINT64), ONNX data type codes or ranks (2-D).
    (re.compile(r"(?<![\w.])(?<!data type )-?\d+(\.\d+)?(e[-+]?\d+)?\b(?!-D)"), "N"),
]


def normalise_reason(status, reason):
    text = reason
    for pat, rep in _NORMALISE:
        text = pat.sub(rep, text)
    return f"{status}: {text.strip()}"[:160]


def report(results, target, out=sys.stdout, check_only=False):
    by_op = collections.defaultdict(collections.Counter)
    for r in results.values():
        c = by_op[r["op"]]
        if r["status"] == INELIGIBLE:
            c["ineligible"] += 1
        else:
            c["eligible"] += 1
            c["passed" if r["status"] in (PASS, PASS_CHECK) else "failed"] += 1
    w = max([len(op) for op in by_op] + [8])
    print(f"{'op':<{w}}  eligible  passed  failed  ineligible   pass%", file=out)
    tot = collections.Counter()
    for op in sorted(by_op, key=str.lower):
        c = by_op[op]
        tot.update(c)
        pct = f"{100.0 * c['passed'] / c['eligible']:.1f}" if c["eligible"] else "-"
        print(f"{op:<{w}}  {c['eligible']:8d}  {c['passed']:6d}  {c['failed']:6d}  "
              f"{c['ineligible']:10d}  {pct:>6}", file=out)
    reasons = collections.Counter(normalise_reason(r["status"], r.get("reason", ""))
                                  for r in results.values() if r["status"] in FAILURES)
    if reasons:
        print("\nmost common failure reasons (count, status: first line of the error):",
              file=out)
        for why, n in reasons.most_common(40):
            print(f"{n:6d}  {why}", file=out)
    inel = collections.Counter(re.sub(r"(input|output) '[^']*'", r"\1 '…'", r["reason"])
                               for r in results.values() if r["status"] == INELIGIBLE)
    if inel:
        print("\nineligible (count, why):", file=out)
        for why, n in inel.most_common():
            print(f"{n:6d}  {why}", file=out)
    pct = 100.0 * tot["passed"] / tot["eligible"] if tot["eligible"] else 0.0
    mode = " (kiln check only: passed = accepted by kiln check)" if check_only else ""
    print(f"\nTOTAL {target}{mode}: eligible {tot['eligible']}, passed {tot['passed']} ({pct:.1f}%), "
          f"failed {tot['failed']}, ineligible {tot['ineligible']}", file=out)


def run_all(names, data_dir, kiln, target, jobs, timeout, keep=False, progress=None,
            check_only=False):
    work_root = os.path.join(BUILD_DIR, "conformance", "work", target)
    os.makedirs(work_root, exist_ok=True)
    tasks = [(n, data_dir, kiln, target, timeout, work_root, keep, check_only) for n in names]
    results = {}
    if jobs <= 1:
        for t in tasks:
            results[t[0]] = run_one(t)
            if progress:
                progress(len(results), len(tasks))
        return results
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
        futs = {pool.submit(run_one, t): t[0] for t in tasks}
        for f in concurrent.futures.as_completed(futs):
            results[futs[f]] = f.result()
            if progress:
                progress(len(results), len(tasks))
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiln", default=os.path.join(BUILD_DIR, "bin", "kiln"))
    ap.add_argument("--target", default="cpu", help="passed to kiln compile --target")
    ap.add_argument("--jobs", "-j", type=int, default=2)
    ap.add_argument("--filter", help="only tests whose name matches this regex (re.search)")
    ap.add_argument("--only-expected", action="store_true",
                    help="only the tests listed in the expected list (the CI mode)")
    ap.add_argument("--skip-expected", action="store_true",
                    help="only the tests NOT listed in the expected list")
    ap.add_argument("--check-only", action="store_true",
                    help="only run `kiln check` on each eligible model (status pass-check); "
                         "cheap, finds tests that may newly pass")
    ap.add_argument("--expected", help="expected list (default test/conformance/"
                                       "expected_<target>.txt)")
    ap.add_argument("--update-expected", action="store_true",
                    help="rewrite the expected list from this run's passes")
    ap.add_argument("--results", help="per-test results, JSON (default: $KILN_BUILD_DIR/"
                                      "conformance/results-<target>.json)")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per test (default 120)")
    ap.add_argument("--data", help="an existing ONNX backend-test node/ folder (default: "
                                   "materialise it from the onnx wheel into the build folder)")
    ap.add_argument("--keep", action="store_true", help="keep executables and outputs "
                                                        "(build/conformance/work)")
    ap.add_argument("--quiet", "-q", action="store_true", help="no progress line")
    a = ap.parse_args(argv)

    if not os.path.exists(a.kiln):
        ap.error(f"kiln not found at {a.kiln} (build it: scripts/build.sh)")
    kiln = os.path.abspath(a.kiln)
    data_dir = os.path.abspath(a.data) if a.data else materialise(default_data_dir())
    exp_file = a.expected or expected_path(a.target)
    expected = read_expected(exp_file)
    names = list_tests(data_dir)
    if a.filter:
        rx = re.compile(a.filter)
        names = [n for n in names if rx.search(n)]
    if a.only_expected:
        names = [n for n in names if n in expected]
    if a.skip_expected:
        names = [n for n in names if n not in expected]
    partial = a.filter or a.only_expected or a.skip_expected or a.check_only
    if a.update_expected and partial:
        ap.error("--update-expected needs a full run (no --filter, --only-expected, "
                 "--skip-expected or --check-only)")

    def progress(i, n):
        if not a.quiet and sys.stderr.isatty():
            print(f"\r{i}/{n}", end="" if i < n else "\n", file=sys.stderr, flush=True)

    t0 = time.time()
    results = run_all(names, data_dir, kiln, a.target, a.jobs, a.timeout, a.keep, progress,
                      a.check_only)
    wall = time.time() - t0
    report(results, a.target, check_only=a.check_only)
    a.results = a.results or os.path.join(BUILD_DIR, "conformance", f"results-{a.target}.json")
    print(f"wall time {wall:.1f} s for {len(names)} tests with --jobs {a.jobs}; results in "
          f"{a.results}")

    if a.results:
        import onnx
        os.makedirs(os.path.dirname(os.path.abspath(a.results)), exist_ok=True)
        with open(a.results, "w") as f:
            json.dump({"target": a.target, "onnx_version": onnx.__version__,
                       "check_only": a.check_only,
                       "data": data_dir, "kiln": kiln, "wall_s": round(wall, 1),
                       "tests": dict(sorted(results.items()))}, f, indent=1)
    if a.check_only:
        return 0
    scope = expected  # the expected tests this run covers (a vanished one is a regression)
    if a.filter:
        scope = {n for n in scope if rx.search(n)}
    if a.skip_expected:
        scope = set()
    regressions, new = check_against_expected(results, scope)
    if a.update_expected:
        write_expected(exp_file, a.target, [n for n, r in results.items() if r["status"] == PASS])
        print(f"wrote {exp_file}")
        return 0
    for name, status, reason in regressions:
        print(f"REGRESSION {name}: {status}: {reason}")
    if new:
        print(f"note: {len(new)} test(s) pass that {os.path.relpath(exp_file, REPO)} does not "
              f"list; update it with --update-expected")
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
