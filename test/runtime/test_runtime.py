"""test_runtime.py - end-to-end tests of runtime/ (libkiln_runtime.a).

Links hand-written stand-ins for compiled models (fake_model.c: symbolic
dims, weights, arena; fake_echo.c: every dtype, no weights) with the runtime,
appends weights the way the compiler's link step will (runtime/ABI.md), and
drives the executables: numerics, --describe, --bench, sidecar weights, and
every kind of bad input, which must give exactly one `error:` line on stderr
and a non-zero exit without a crash. A second part lowers async_parallel.mlir
through MLIR's async pipeline and runs it on runtime/AsyncRuntime.cpp with 1,
2 and 4 threads.

Run: KILN_BUILD_DIR=<build dir holding lib/libkiln_runtime.a> \
     .venv/bin/python -m pytest test/runtime -q
"""

import json
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

HERE = Path(__file__).resolve().parent
BUILD = Path(os.environ.get("KILN_BUILD_DIR", "/work/main/build"))
LIB = BUILD / "lib" / "libkiln_runtime.a"
CC = os.environ.get("KILN_TEST_CC", "clang-22")
CXX = os.environ.get("KILN_TEST_CXX", "clang++-22")
LINK_FLAGS = ["-fuse-ld=lld", "-static-libstdc++", "-static-libgcc"]
WEIGHTS = (np.arange(16, dtype=np.float32) * 0.375 - 2.5).astype(np.float32)


# --- the weights format, written independently of runtime/WeightsFormat.h ---

def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def trailer(offset: int, size: int, digest: int) -> bytes:
    return b"KILNWTS1" + struct.pack("<QQQ", offset, size, digest)


def append_weights(exe: Path, data: bytes, digest=None, offset_delta=0):
    """[ELF][zero pad to 4096][weights][trailer], as ABI.md lays it out."""
    size = exe.stat().st_size
    pad = (4096 - size % 4096) % 4096
    with open(exe, "ab") as f:
        f.write(b"\0" * pad + data)
        f.write(trailer(size + pad + offset_delta, len(data),
                        fnv1a64(data) if digest is None else digest))


def write_sidecar(path: Path, data: bytes, digest=None):
    path.write_bytes(data + trailer(0, len(data),
                                    fnv1a64(data) if digest is None else digest))


# --- building ---

def sh(*cmd, **kw):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True,
                          text=True, **kw)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout}{proc.stderr}"
    return proc


def link(objs, out: Path):
    sh(CXX, *LINK_FLAGS, *objs, LIB, "-o", out)
    return out


class Built:
    pass


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Built:
    assert LIB.is_file(), f"{LIB} not found: build the runtime first " \
                          f"(or set KILN_BUILD_DIR)"
    d = tmp_path_factory.mktemp("runtime")
    b = Built()
    b.dir = d
    b.weights = WEIGHTS.tobytes()
    digest = "%016x" % fnv1a64(b.weights)
    sh(CC, "-O2", "-c", HERE / "fake_model.c", f'-DKILN_WEIGHTS_HASH="{digest}"',
       "-o", d / "fake_model.o")
    b.bare = link([d / "fake_model.o"], d / "bare_model")
    b.model = d / "model"
    shutil.copy(b.bare, b.model)
    append_weights(b.model, b.weights)
    (d / "side").mkdir()
    b.side = d / "side" / "model"
    shutil.copy(b.bare, b.side)
    write_sidecar(d / "side" / "model.weights", b.weights)
    sh(CC, "-O2", "-c", HERE / "fake_echo.c", "-o", d / "fake_echo.o")
    b.echo = link([d / "fake_echo.o"], d / "echo")
    sh(CC, "-O2", "-c", HERE / "fake_returned.c", "-o", d / "fake_returned.o")
    b.returned = link([d / "fake_returned.o"], d / "returned")
    return b


def run(exe, *args, env=None, cwd=None, timeout=120):
    full_env = dict(os.environ)
    full_env.pop("KILN_NUM_THREADS", None)
    full_env.pop("KILN_SKIP_WEIGHTS_HASH", None)
    full_env.update(env or {})
    return subprocess.run([str(exe), *map(str, args)], capture_output=True,
                          text=True, errors="backslashreplace", env=full_env,
                          cwd=cwd, timeout=timeout)


def assert_one_error(proc, *needles, code=1):
    """Exactly one clear line on stderr, a non-zero exit, no crash."""
    assert proc.returncode > 0, \
        f"expected failure, got {proc.returncode}: {proc.stderr!r}"
    assert proc.returncode < 128, f"crashed: {proc.returncode} {proc.stderr!r}"
    if code is not None:
        assert proc.returncode == code, (proc.returncode, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, f"expected one stderr line, got {proc.stderr!r}"
    assert lines[0].startswith("error: "), lines[0]
    for n in needles:
        assert n in lines[0], f"{n!r} not in {lines[0]!r}"
    return lines[0]


def save_pb(path: Path, tensor: onnx.TensorProto):
    path.write_bytes(tensor.SerializeToString())
    return path


def model_inputs(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 4)).astype(np.float32)
    k = rng.integers(-1000, 1000, size=(n,)).astype(np.int32)
    return x, k


def expected(x, k):
    n = x.shape[0]
    w = np.resize(WEIGHTS, n * 4).reshape(n, 4)
    return x * np.float32(2) + w, k.astype(np.int64) + 1


def check_outputs(out: Path, x, k):
    y, z = expected(x, k)
    got_y, got_z = np.load(out / "y.npy"), np.load(out / "z.npy")
    assert got_y.dtype == np.float32 and got_y.shape == y.shape
    np.testing.assert_array_equal(got_y, y)
    assert got_z.dtype == np.int64
    np.testing.assert_array_equal(got_z, z)
    count = np.load(out / "count.npy")
    assert count.shape == () and int(count) == x.shape[0], \
        "fake model saw bad descriptors" if int(count) < 0 else count
    # Never written by the model: the runtime's 0xFF poison must show.
    assert np.load(out / "untouched.npy").view(np.uint32).tolist() == \
        [0xFFFFFFFF] * 2


# --- normal operation ---

def test_links_only_libc(built):
    out = sh("ldd", built.model).stdout
    libs = [l.split()[0] for l in out.splitlines() if l.strip()]
    allowed = ("linux-vdso", "libc.so", "libm.so", "ld-linux", "/lib64/ld-linux")
    assert all(l.startswith(allowed) for l in libs), out


@pytest.mark.parametrize("n", [1, 5, 3000, 0])
def test_npy_inputs(built, tmp_path, n):
    x, k = model_inputs(n, seed=n)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "k.npy", k)
    out = tmp_path / "out" / "nested"
    p = run(built.model, "--input", f"x={tmp_path / 'x.npy'}",
            "--input", f"k={tmp_path / 'k.npy'}", "--output-dir", out)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    check_outputs(out, x, k)


def test_pb_inputs_raw_and_typed(built, tmp_path):
    x, k = model_inputs(6, seed=7)
    save_pb(tmp_path / "x.pb", numpy_helper.from_array(x, "x"))
    save_pb(tmp_path / "k.pb", helper.make_tensor(
        "k", TensorProto.INT32, k.shape, k.tolist()))  # int32_data, packed
    p = run(built.model, "--input", f"x={tmp_path / 'x.pb'}",
            "--input", f"k={tmp_path / 'k.pb'}", "--output-dir", tmp_path)
    assert p.returncode == 0, p.stderr
    check_outputs(tmp_path, x, k)


def varint(v):
    v &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def test_pb_unpacked_fields(built, tmp_path):
    """Hand-encoded: packed dims, unpacked float_data and negative int32s."""
    x, k = model_inputs(2, seed=3)
    k[0] = -5
    xb = b"\x0a" + varint(2) + varint(2) + varint(4) + b"\x10\x01"
    xb += b"".join(b"\x25" + struct.pack("<f", v) for v in x.ravel())
    kb = b"\x08" + varint(2) + b"\x10\x06"
    kb += b"".join(b"\x28" + varint(int(v)) for v in k)
    (tmp_path / "x.pb").write_bytes(xb)
    (tmp_path / "k.pb").write_bytes(kb)
    p = run(built.model, "--input", f"x={tmp_path / 'x.pb'}",
            "--input", f"k={tmp_path / 'k.pb'}", "--output-dir", tmp_path)
    assert p.returncode == 0, p.stderr
    check_outputs(tmp_path, x, k)


ECHO_INPUTS = {
    "a": np.arange(6, dtype=np.float64).reshape(2, 3) / 7,
    "b": np.array([1.5, -0.0, 65504, 1e-7], dtype=np.float16),
    "c": np.array([-128, 0, 127], dtype=np.int8),
    "d": np.array([-32768, 5, 32767], dtype=np.int16),
    "e": np.array([-(2**31), 2**31 - 1], dtype=np.int32),
    "f": np.array([-(2**63), 2**63 - 1], dtype=np.int64),
    "g": np.array([0, 1, 128, 254, 255], dtype=np.uint8),
    "h": np.array([0, 65535], dtype=np.uint16),
    "i": np.array([7, 2**32 - 1], dtype=np.uint32),
    "j": np.array([1, 2**64 - 1], dtype=np.uint64),
    "k": np.array([True, False, True]),
    "m": np.array(3.25, dtype=np.float32),
}
BF16_BITS = np.array([0x3FC0, 0xC010], dtype=np.uint16)  # 1.5, -2.25


def bf16_to_f32(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def echo_args(tmp_path, fmt):
    args = []
    for name, arr in ECHO_INPUTS.items():
        if fmt == "npy":
            path = tmp_path / f"{name}.npy"
            np.save(path, arr)
        elif fmt == "raw":
            path = save_pb(tmp_path / f"{name}.pb", numpy_helper.from_array(arr, name))
        else:
            path = save_pb(tmp_path / f"{name}.pb", helper.make_tensor(
                name, helper.np_dtype_to_tensor_dtype(arr.dtype), arr.shape,
                arr.ravel().tolist() if arr.dtype != np.float16 else arr.ravel()))
        args += ["--input", f"{name}={path}"]
    if fmt == "npy":  # numpy has no bf16: float32 is accepted and narrowed
        np.save(tmp_path / "l.npy", bf16_to_f32(BF16_BITS))
        args += ["--input", f"l={tmp_path / 'l.npy'}"]
    else:
        t = TensorProto(name="l", data_type=TensorProto.BFLOAT16, dims=[2])
        if fmt == "raw":
            t.raw_data = BF16_BITS.tobytes()
        else:
            t.int32_data.extend(int(v) for v in BF16_BITS)
        args += ["--input", f"l={save_pb(tmp_path / 'l.pb', t)}"]
    return args


@pytest.mark.parametrize("fmt", ["npy", "raw", "typed"])
def test_every_dtype_round_trips(built, tmp_path, fmt):
    out = tmp_path / "out"
    p = run(built.echo, *echo_args(tmp_path, fmt), "--output-dir", out)
    assert p.returncode == 0, p.stderr
    for name, arr in ECHO_INPUTS.items():
        file = "out_m.npy" if name == "m" else f"out_{name}.npy"  # '/' -> '_'
        got = np.load(out / file)
        assert got.dtype == arr.dtype and got.shape == arr.shape, name
        assert got.tobytes() == arr.tobytes(), name
    got = np.load(out / "out_l.npy")  # bf16 is written as float32
    assert got.dtype == np.float32
    assert got.tobytes() == bf16_to_f32(BF16_BITS).tobytes()


def test_npy_versions_2_and_3(built, tmp_path):
    x, k = model_inputs(3)
    for version in [(2, 0), (3, 0)]:
        for name, arr in (("x", x), ("k", k)):
            with open(tmp_path / f"{name}.npy", "wb") as f:
                np.lib.format.write_array(f, arr, version=version)
        p = run(built.model, "--input", f"x={tmp_path / 'x.npy'}",
                "--input", f"k={tmp_path / 'k.npy'}", "--output-dir", tmp_path)
        assert p.returncode == 0, (version, p.stderr)
        check_outputs(tmp_path, x, k)


def test_describe(built):
    p = run(built.model, "--describe")
    assert p.returncode == 0, p.stderr
    desc = json.loads(p.stdout)
    # A single-entry object (kiln_entry, no cpu_path records): no paths to pick from.
    assert desc.pop("cpu_paths") == [] and desc.pop("cpu_path") is None
    assert desc.pop("cpu")["model"]
    assert desc == {
        "inputs": [{"name": "x", "dtype": "float32", "shape": ["n", 4]},
                   {"name": "k", "dtype": "int32", "shape": ["n"]}],
        "outputs": [{"name": "y", "dtype": "float32", "shape": ["n", 4]},
                    {"name": "z", "dtype": "int64", "shape": ["n"]},
                    {"name": "count", "dtype": "int64", "shape": []},
                    {"name": "untouched", "dtype": "float32", "shape": [2]}]}
    # --describe needs no weights.
    assert run(built.bare, "--describe").returncode == 0
    echo = json.loads(run(built.echo, "--describe").stdout)
    assert [t["dtype"] for t in echo["inputs"]] == [
        "float64", "float16", "int8", "int16", "int32", "int64", "uint8",
        "uint16", "uint32", "uint64", "bool", "bfloat16", "float32"]
    assert echo["outputs"][-1] == {"name": "out/m", "dtype": "float32", "shape": []}


MEDIAN = re.compile(r"^median_ms=\d+(\.\d+)?$")


def test_bench(built, tmp_path):
    # Random inputs need a size for each symbolic dim: one clear line without it.
    p = run(built.model, "--bench", "5")
    assert p.returncode == 1 and "--dim n=" in p.stderr and len(p.stderr.splitlines()) == 1, p.stderr
    p = run(built.model, "--bench", "5", "--dim", "n=3")
    assert p.returncode == 0, p.stderr
    assert MEDIAN.match(p.stdout.splitlines()[-1]), p.stdout
    # Given inputs are used, others random; outputs may be written too.
    x, k = model_inputs(9)
    np.save(tmp_path / "x.npy", x)
    p = run(built.model, "--bench=3", "--input", f"x={tmp_path / 'x.npy'}",
            "--output-dir", tmp_path)
    assert p.returncode == 0, p.stderr
    assert MEDIAN.match(p.stdout.splitlines()[-1]), p.stdout
    assert np.load(tmp_path / "z.npy").shape == (9,)
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), expected(x, k)[0])
    assert int(np.load(tmp_path / "count.npy")) == 9
    p = run(built.echo, "--bench", "2", "--output-dir", tmp_path)
    assert p.returncode == 0 and MEDIAN.match(p.stdout.splitlines()[-1])
    assert set(np.load(tmp_path / "out_c.npy").tolist()) <= set(range(10))
    assert np.all(np.abs(np.load(tmp_path / "out_a.npy")) <= 1)
    # --dim sizes symbolic dims of random inputs.
    p = run(built.model, "--bench", "1", "--dim", "n=17", "--output-dir", tmp_path)
    assert p.returncode == 0 and np.load(tmp_path / "y.npy").shape == (17, 4)


def test_help(built):
    p = run(built.model, "--help")
    assert p.returncode == 0 and "--input" in p.stdout and "--bench" in p.stdout


def ok_args(tmp_path, n=4):
    x, k = model_inputs(n)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "k.npy", k)
    return ["--input", f"x={tmp_path / 'x.npy'}", "--input",
            f"k={tmp_path / 'k.npy'}", "--output-dir", tmp_path / "out"], x, k


def test_sidecar_and_symlinks(built, tmp_path):
    args, x, k = ok_args(tmp_path)
    for exe in (built.model, built.side):
        link = tmp_path / f"link_{exe.parent.name}"
        link.symlink_to(exe)
        for target in (exe, link):
            p = run(target, *args)
            assert p.returncode == 0, (target, p.stderr)
            check_outputs(tmp_path / "out", x, k)


@pytest.mark.parametrize("threads", ["1", "3"])
def test_thread_setting_accepted(built, tmp_path, threads):
    args, x, k = ok_args(tmp_path)
    p = run(built.model, *args, env={"KILN_NUM_THREADS": threads})
    assert p.returncode == 0, p.stderr


# --- bad weights ---

def variant(built, tmp_path, name="m"):
    exe = tmp_path / name
    shutil.copy(built.bare, exe)
    return exe


def test_weights_missing(built, tmp_path):
    args, _, _ = ok_args(tmp_path)
    assert_one_error(run(built.bare, *args), "weights", "sidecar")


def test_weights_embedded_problems(built, tmp_path):
    args, _, _ = ok_args(tmp_path)
    w = built.weights
    damaged = bytearray(w)
    damaged[5] ^= 1
    cases = [
        (dict(data=bytes(damaged), digest=fnv1a64(w)), "damaged"),
        (dict(data=w, digest=fnv1a64(w) ^ 1), "another model"),
        (dict(data=w * 2), "bytes"),
        (dict(data=w, offset_delta=4096), "corrupt weights trailer"),
        (dict(data=w, offset_delta=-8), "corrupt weights trailer"),
    ]
    for i, (kw, needle) in enumerate(cases):
        exe = variant(built, tmp_path, f"m{i}")
        append_weights(exe, **kw)
        assert_one_error(run(exe, *args), needle)
    # A damaged byte goes unnoticed only when hashing is switched off.
    exe = variant(built, tmp_path, "skip")
    append_weights(exe, bytes(damaged), digest=fnv1a64(w))
    assert run(exe, *args, env={"KILN_SKIP_WEIGHTS_HASH": "1"}).returncode == 0


def test_weights_truncated_executable(built, tmp_path):
    args, _, _ = ok_args(tmp_path)
    exe = tmp_path / "cut"
    shutil.copy(built.model, exe)
    data = exe.read_bytes()
    exe.write_bytes(data[:-40] + data[-32:])  # weights shortened, trailer kept
    assert_one_error(run(exe, *args), "corrupt weights trailer")


def test_weights_sidecar_problems(built, tmp_path):
    args, _, _ = ok_args(tmp_path)
    w = built.weights
    damaged = bytearray(w)
    damaged[-1] ^= 0x80
    cases = [
        (lambda p: write_sidecar(p, bytes(damaged), digest=fnv1a64(w)), "damaged"),
        (lambda p: write_sidecar(p, w, digest=12345), "another model"),
        (lambda p: write_sidecar(p, w + b"\0" * 8), "expected 96"),
        (lambda p: p.write_bytes(w + b"NOTKILN!" + b"\0" * 24), "no KILNWTS1"),
        (lambda p: p.write_bytes(w[:10]), "sidecar"),
        (lambda p: p.write_bytes(w + trailer(64, len(w), fnv1a64(w))), "offset"),
        (lambda p: p.mkdir(), "directory"),
    ]
    for i, (make, needle) in enumerate(cases):
        exe = variant(built, tmp_path, f"s{i}")
        make(Path(str(exe) + ".weights"))
        assert_one_error(run(exe, *args), needle)


# --- bad inputs ---

def npy_bytes(arr, **kw):
    import io
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, **kw)
    return buf.getvalue()


def raw_npy(descr, shape, fortran=False, data=b""):
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
        descr, fortran, shape)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + \
        header.encode() + data


def test_bad_inputs(built, tmp_path):
    x, k = model_inputs(4)
    good_x = tmp_path / "x.npy"
    good_k = tmp_path / "k.npy"
    np.save(good_x, x)
    np.save(good_k, k)
    xb = npy_bytes(x)

    def f(name, content):
        p = tmp_path / name
        if isinstance(content, np.ndarray):
            np.save(p, content)
        else:
            p.write_bytes(content)
        return p

    def go(x_file, *needles, k_file=good_k, extra=()):
        proc = run(built.model, "--input", f"x={x_file}", "--input",
                   f"k={k_file}", "--output-dir", tmp_path / "o", *extra)
        return assert_one_error(proc, *needles)

    line = go(f("shape.npy", np.zeros((4, 5), np.float32)))
    assert line == "error: input 'x': expected shape nx4, got 4x5"
    go(f("rank.npy", np.zeros((4, 4, 1), np.float32)), "expected shape nx4")
    go(f("scalar.npy", np.array(1, np.float32)), "got scalar")
    go(f("n.npy", np.zeros((5, 4), np.float32)), "dim 'n'", "input 'x'")
    go(f("dtype.npy", x.astype(np.float64)),
       "input 'x'", "expected dtype float32, got float64")
    go(f("trunc.npy", xb[:-3]), "truncated", "input 'x'")
    go(f("extra.npy", xb + b"\0" * 4), "corrupt")
    go(f("hdr.npy", xb[:20]), "header length")
    go(f("magic.npy", b"\x93NUMPX" + xb[6:]), "not a .npy")
    go(f("short.npy", b"\x93NUM"), "not a .npy")
    go(f("empty.npy", b""), "not a .npy")
    go(f("version.npy", xb[:6] + b"\x09" + xb[7:]), "version 9")
    go(f("garbage.npy", raw_npy("<f4", "(4, 4)").replace(b"'shape'", b"'shap#'")),
       "corrupt .npy")
    go(f("badshape.npy", raw_npy("<f4", "(4, -4)")), "corrupt .npy")
    go(f("huge.npy", raw_npy("<f4", "(99999999999, 99999999999)")), "too large")
    go(f("fortran.npy", np.asfortranarray(np.zeros((4, 4), np.float32))), "Fortran")
    go(f("be.npy", x.astype(">f4")), "big-endian")
    go(f("complex.npy", x.astype(np.complex64)), "unsupported .npy dtype")
    go(f("obj.npy", raw_npy("|O", "(4, 4)", data=b"\0" * 128)), "unsupported")
    go(tmp_path / "nope.npy", "cannot open", "nope.npy")
    go(tmp_path, "directory")

    xpb = numpy_helper.from_array(x, "x").SerializeToString()
    go(f("trunc.pb", xpb[:-5]), "TensorProto")
    go(f("junk.pb", b"\xff" * 40), "TensorProto")
    go(f("tag.pb", b"\x0f"), "TensorProto")
    go(f("dtype.pb", numpy_helper.from_array(x.astype(np.int64), "x").SerializeToString()),
       "expected dtype float32, got int64")
    go(f("shape.pb", numpy_helper.from_array(x[:, :3].copy(), "x").SerializeToString()),
       "expected shape nx4, got 4x3")
    t = numpy_helper.from_array(x, "x")
    t.raw_data = t.raw_data[:-4]
    go(save_pb(tmp_path / "raw.pb", t), "raw_data")
    t = TensorProto(name="x", data_type=TensorProto.FLOAT, dims=[4, 4],
                    float_data=x.ravel()[:15].tolist())
    go(save_pb(tmp_path / "count.pb", t), "values")
    t = TensorProto(name="x", data_type=TensorProto.FLOAT, dims=[4, 4],
                    int64_data=[1] * 16)
    go(save_pb(tmp_path / "field.pb", t), "field")
    t = TensorProto(name="x", data_type=TensorProto.STRING, dims=[1], string_data=[b"a"])
    go(save_pb(tmp_path / "string.pb", t), "string")
    t = TensorProto(name="x", data_type=TensorProto.FLOAT, dims=[4, 4])
    t.data_location = TensorProto.EXTERNAL
    go(save_pb(tmp_path / "ext.pb", t), "external")
    t = TensorProto(name="x", data_type=99, dims=[4, 4])
    go(save_pb(tmp_path / "type.pb", t), "data_type 99")

    # The second input gets the same treatment through --input k=...
    go(good_x, "input 'k'", "expected dtype int32", k_file=good_x)
    go(good_x, "dim 'n'", k_file=f("k5.npy", np.zeros(5, np.int32)))


def test_bad_invocations(built, tmp_path):
    args, _, _ = ok_args(tmp_path)
    x_arg, k_arg = args[1], args[3]
    m = built.model

    assert_one_error(run(m, "--input", x_arg, "--output-dir", tmp_path),
                     "missing input 'k'")
    assert_one_error(run(m, "--input", x_arg, "--input", k_arg, "--input",
                         "q=" + k_arg[2:], "--output-dir", tmp_path),
                     "unknown input 'q'", "'x', 'k'")
    assert_one_error(run(m, "--input", x_arg, "--input", k_arg, "--input",
                         x_arg, "--output-dir", tmp_path), "'x' is given twice")
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert_one_error(run(m, "--input", x_arg, "--input", k_arg,
                         "--output-dir", blocker), "not a directory")
    assert_one_error(run(m, "--input", x_arg, "--input", k_arg,
                         "--output-dir", blocker / "sub"), "output directory")
    assert_one_error(run(m, *args, env={"KILN_NUM_THREADS": "many"}),
                     "KILN_NUM_THREADS")
    assert_one_error(run(m, *args, env={"KILN_NUM_THREADS": "0"}),
                     "KILN_NUM_THREADS")

    usage = [
        [], ["--frobnicate"], ["--bench", "0"], ["--bench", "x"], ["--bench"],
        ["--input", "novalue", "--output-dir", tmp_path], ["--input"],
        ["--describe", "--bench", "2"], ["--input", x_arg, "--input", k_arg],
        ["--output-dir"], ["--dim", "n", "--bench", "1"], ["--describe", "--input", x_arg],
        ["--input", "x=", "--input", k_arg, "--output-dir", tmp_path],
    ]
    for argv in usage:
        assert_one_error(run(m, *argv), code=2)


def test_fuzzed_files_never_crash(built, tmp_path):
    """Random truncations and byte flips of valid files: success or one
    clean error, never a signal."""
    x, k = model_inputs(4)
    np.save(tmp_path / "k.npy", k)
    seeds = {"npy": npy_bytes(x),
             "pb": numpy_helper.from_array(x, "x").SerializeToString()}
    rng = np.random.default_rng(1234)
    for ext, data in seeds.items():
        for i in range(60):
            b = bytearray(data)
            if i % 3 == 0:
                b = b[:int(rng.integers(0, len(b)))]
            for _ in range(int(rng.integers(1, 4))):
                if b:
                    b[int(rng.integers(0, min(len(b), 140)))] = int(rng.integers(0, 256))
            p = tmp_path / f"fz.{ext}"
            p.write_bytes(bytes(b))
            proc = run(built.model, "--input", f"x={p}", "--input",
                       f"k={tmp_path / 'k.npy'}", "--output-dir", tmp_path / "o")
            if proc.returncode != 0:
                assert_one_error(proc)


# --- the async runtime, through MLIR's own lowering ---

ASYNC_PIPELINE = [
    "--async-parallel-for=num-workers=-1", "--async-to-async-runtime",
    "--async-runtime-ref-counting", "--async-runtime-ref-counting-opt",
    "--arith-expand", "--convert-async-to-llvm", "--convert-scf-to-cf",
    "--finalize-memref-to-llvm", "--convert-func-to-llvm",
    "--convert-arith-to-llvm", "--convert-cf-to-llvm",
    "--reconcile-unrealized-casts",
]


@pytest.fixture(scope="session")
def async_exe(tmp_path_factory):
    assert LIB.is_file(), f"{LIB} not found"
    d = tmp_path_factory.mktemp("async")
    sh("mlir-opt-22", HERE / "async_parallel.mlir", *ASYNC_PIPELINE,
       "-o", d / "lowered.mlir")
    sh("mlir-translate-22", "--mlir-to-llvmir", d / "lowered.mlir",
       "-o", d / "async.ll")
    # Coroutines are split by the optimizer: -O1 or more is required.
    sh(CC, "-O2", "-Wno-override-module", "-c", d / "async.ll", "-o", d / "async.o")
    sh(CC, "-O2", "-c", HERE / "async_main.c", "-o", d / "main.o")
    return link([d / "main.o", d / "async.o"], d / "async_test")


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_async_runtime(async_exe, threads):
    # Races show up only sometimes: a lost wake-up in the pool hung one run
    # in ~50 under load, so each run does 400 iterations of every kernel.
    for _ in range(3):
        p = run(async_exe, env={"KILN_NUM_THREADS": str(threads)}, timeout=60)
        assert p.returncode == 0, p.stderr
        assert p.stdout.strip() == f"ok {threads}"


def test_returned_outputs(built, tmp_path):
    """`returned_outputs 1`: output shapes come from the descriptors the model returns
    (strided, with an offset); each run's buffers are taken and freed, over many runs."""
    p = run(built.returned, "--describe")
    assert p.returncode == 0, p.stderr
    desc = json.loads(p.stdout)
    assert desc["outputs"][0]["shape"] == [3, "n"]
    for n in (1, 5):
        x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
        np.save(tmp_path / "x.npy", x)
        out = tmp_path / str(n)
        p = run(built.returned, "--input", f"x={tmp_path / 'x.npy'}", "--output-dir", out)
        assert p.returncode == 0, p.stderr
        np.testing.assert_array_equal(np.load(out / "t.npy"), x.T)
        np.testing.assert_array_equal(np.load(out / "pairs.npy"), np.arange(2 * n) * 10)
    p = run(built.returned, "--bench", "50", "--dim", "n=7", "--output-dir", tmp_path / "b")
    assert p.returncode == 0 and MEDIAN.match(p.stdout.splitlines()[-1]), p.stderr
    assert np.load(tmp_path / "b" / "t.npy").shape == (3, 7)
    assert np.load(tmp_path / "b" / "pairs.npy").shape == (14,)
