"""test_runtime_low_precision.py - the runtime's ONNX low-precision dtypes.

fake_lowp.c echoes one input of each low-precision manifest dtype (int4,
uint4, int2, uint2, float4e2m1, the four float8s, float8e8m0) and copies its
in-memory bytes to a u8 output. The tests feed packed TensorProto .pb files
(raw_data and int32_data; an odd element count leaves half a byte over) and
ml_dtypes .npy files, and check both what compiled code receives (one
element per byte: the first element in the low bits of each packed byte,
sign-extended int4/int2, float4 as float8e4m3fn; runtime/ABI.md) and that
the echoed outputs come back as .npy arrays of the right ml_dtypes dtype.

Run: KILN_BUILD_DIR=<build dir> .venv/bin/python -m pytest test/runtime -q
"""

import json

import ml_dtypes
import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from test_runtime import CC, HERE, link, run, save_pb, sh

# name: (ONNX type, ml_dtypes type, values)
INPUTS = {
    "a": (TensorProto.INT4, ml_dtypes.int4, [-8, 7, -1, 0, 3]),
    "b": (TensorProto.UINT4, ml_dtypes.uint4, [15, 0, 9, 1, 6]),
    "c": (TensorProto.INT2, ml_dtypes.int2, [-2, 1, -1, 0, 1, -2, -1]),
    "d": (TensorProto.UINT2, ml_dtypes.uint2, [3, 0, 2, 1, 1, 3, 2]),
    "e": (TensorProto.FLOAT4E2M1, ml_dtypes.float4_e2m1fn, [-6, 0.5, 1.5, -0.0, 3]),
    "f": (TensorProto.FLOAT8E4M3FN, ml_dtypes.float8_e4m3fn, [448, -0.015625, 1.5]),
    "g": (TensorProto.FLOAT8E4M3FNUZ, ml_dtypes.float8_e4m3fnuz, [240, -0.5, 3]),
    "h": (TensorProto.FLOAT8E5M2, ml_dtypes.float8_e5m2, [57344, -np.inf, 0.25]),
    "i": (TensorProto.FLOAT8E5M2FNUZ, ml_dtypes.float8_e5m2fnuz, [-1, 2, 0.125]),
    "j": (TensorProto.FLOAT8E8M0, ml_dtypes.float8_e8m0fnu, [1, 0.25, 2.0**100]),
}

# What compiled code must see for each input, one byte per element.
MEMORY = {
    "a": [0xF8, 0x07, 0xFF, 0x00, 0x03],
    "b": [15, 0, 9, 1, 6],
    "c": [0xFE, 0x01, 0xFF, 0x00, 0x01, 0xFE, 0xFF],
    "d": [3, 0, 2, 1, 1, 3, 2],
    "e": [0xCC, 0x30, 0x3C, 0x80, 0x44],  # float8e4m3fn of -6, 0.5, 1.5, -0, 3
}


@pytest.fixture(scope="module")
def echo(tmp_path_factory):
    d = tmp_path_factory.mktemp("lowp")
    sh(CC, "-O2", "-c", HERE / "fake_lowp.c", "-o", d / "fake_lowp.o")
    return link([d / "fake_lowp.o"], d / "echo_lowp")


def arrays():
    return {n: np.array(v, dtype=t) for n, (_, t, v) in INPUTS.items()}


def packed_pb(name, onnx_type, arr, typed):
    """A TensorProto packed by hand (not by onnx's helpers), so the test
    states the nibble order itself: element 2k in the low bits."""
    codes = arr.view(np.uint8).astype(np.uint32)
    bits = {TensorProto.INT2: 2, TensorProto.UINT2: 2}.get(onnx_type, 4)
    if onnx_type not in (TensorProto.INT4, TensorProto.UINT4, TensorProto.FLOAT4E2M1,
                         TensorProto.INT2, TensorProto.UINT2):
        bits = 8
    per = 8 // bits
    packed = []
    for k in range(0, len(codes), per):
        byte = 0
        for j, c in enumerate(codes[k:k + per]):
            byte |= (int(c) & ((1 << bits) - 1)) << (bits * j)
        packed.append(byte)
    t = TensorProto(name=name, data_type=onnx_type, dims=[len(codes)])
    if typed:
        t.int32_data.extend(packed)
    else:
        t.raw_data = bytes(packed)
    return t


@pytest.mark.parametrize("fmt", ["raw", "typed", "onnx", "npy", "npy-void"])
def test_low_precision_round_trips(echo, tmp_path, fmt):
    args = []
    for name, arr in arrays().items():
        onnx_type = INPUTS[name][0]
        if fmt in ("raw", "typed"):
            path = save_pb(tmp_path / f"{name}.pb",
                           packed_pb(name, onnx_type, arr, fmt == "typed"))
        elif fmt == "onnx":
            path = save_pb(tmp_path / f"{name}.pb", numpy_helper.from_array(arr, name))
        else:
            path = tmp_path / f"{name}.npy"
            if fmt == "npy-void":  # what np.save writes for ml_dtypes arrays
                np.save(path, arr)
            else:  # a header naming the ml_dtypes type, as kiln writes
                with open(path, "wb") as f:
                    np.lib.format.write_array_header_1_0(
                        f, {"descr": arr.dtype.name, "fortran_order": False,
                            "shape": arr.shape})
                    f.write(arr.tobytes())
        args += ["--input", f"{name}={path}"]
    out = tmp_path / "out"
    p = run(echo, *args, "--output-dir", out)
    assert p.returncode == 0, p.stderr
    for name, arr in arrays().items():
        got = np.load(out / f"out_{name}.npy")
        assert got.dtype == arr.dtype and got.shape == arr.shape, (name, got.dtype)
        assert got.tobytes() == arr.tobytes(), (name, got, arr)
        mem = np.load(out / f"mem_{name}.npy").tolist()
        assert mem == MEMORY.get(name, arr.view(np.uint8).tolist()), (name, mem)


def test_low_precision_describe(echo):
    p = run(echo, "--describe")
    assert p.returncode == 0, p.stderr
    assert [t["dtype"] for t in json.loads(p.stdout)["inputs"]] == [
        "int4", "uint4", "int2", "uint2", "float4_e2m1fn", "float8_e4m3fn",
        "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu"]


def test_low_precision_bad_inputs(echo, tmp_path):
    good = {n: save_pb(tmp_path / f"{n}.pb", packed_pb(n, INPUTS[n][0], a, False))
            for n, a in arrays().items()}
    # Two int4 elements per byte: 5 need 3 bytes, not 5.
    t = TensorProto(name="a", data_type=TensorProto.INT4, dims=[5], raw_data=bytes(5))
    good["a"] = save_pb(tmp_path / "bad.pb", t)
    args = [x for n, p in good.items() for x in ("--input", f"{n}={p}")]
    p = run(echo, *args, "--output-dir", tmp_path / "o")
    assert p.returncode == 1 and p.stderr.count("\n") == 1, p.stderr
    assert "needs 3 raw_data bytes" in p.stderr, p.stderr
    # An int8 file is not an int4 input.
    good["a"] = save_pb(tmp_path / "i8.pb", helper.make_tensor("a", TensorProto.INT8, [5],
                                                               [1, 2, 3, 4, 5]))
    args = [x for n, p in good.items() for x in ("--input", f"{n}={p}")]
    p = run(echo, *args, "--output-dir", tmp_path / "o")
    assert p.returncode == 1 and "expected dtype int4, got int8" in p.stderr, p.stderr
