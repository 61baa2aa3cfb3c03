"""test_low_precision.py — Cast to and from ONNX's low-precision types, kiln vs the ONNX reference.

The ONNX node tests cover each cast on 15 values; these tests sweep every code of each 8-bit
format and, for the conversions that round, every midpoint between neighbouring values (the
round-half-to-even ties), points just off them, both overflow thresholds, subnormals of both
sides, infinities and NaN. The reference is onnx's ReferenceEvaluator (ml_dtypes underneath);
onnxruntime lacks most of these casts on CPU. Results compare bit for bit (as uint8 codes),
except that any NaN matches any NaN (each format has one or two NaN codes).

Inputs reach kiln as .npy files written by np.save, which stores ml_dtypes arrays as one-byte
voids; outputs come back as .npy files np.load reads as the ml_dtypes type.
"""
import os

import ml_dtypes
import numpy as np
import onnx
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

from kiln_e2e import check_ok, run

F8 = {
    "e4m3fn": (TensorProto.FLOAT8E4M3FN, ml_dtypes.float8_e4m3fn),
    "e4m3fnuz": (TensorProto.FLOAT8E4M3FNUZ, ml_dtypes.float8_e4m3fnuz),
    "e5m2": (TensorProto.FLOAT8E5M2, ml_dtypes.float8_e5m2),
    "e5m2fnuz": (TensorProto.FLOAT8E5M2FNUZ, ml_dtypes.float8_e5m2fnuz),
}
NARROW = {"int4": TensorProto.INT4, "uint4": TensorProto.UINT4, "int2": TensorProto.INT2,
          "uint2": TensorProto.UINT2}


def compile_and_run(kiln, model, feeds, tmp_path):
    path = str(tmp_path / "model.onnx")
    onnx.save(model, path)
    exe = str(tmp_path / "model.exe")
    check_ok(run([kiln, "compile", path, "-o", exe]))
    args = []
    for name, value in feeds.items():
        p = str(tmp_path / f"{name}.npy")
        np.save(p, value)
        args += ["--input", f"{name}={p}"]
    out = str(tmp_path / "out")
    check_ok(run([exe, *args, "--output-dir", out]))
    return {o.name: np.load(os.path.join(out, o.name + ".npy")) for o in model.graph.output}


def make_model(nodes, inputs, outputs):
    graph = helper.make_graph(
        nodes, "casts", [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
        [helper.make_tensor_value_info(n, t, s) for n, t, s in outputs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 25)])
    model.ir_version = 11
    onnx.checker.check_model(model)
    return model


def assert_same(name, got, ref):
    assert got.dtype == ref.dtype and got.shape == ref.shape, (name, got.dtype, ref.dtype)
    if ref.dtype.itemsize == 1 and ref.dtype.kind == "V" or ref.dtype.name.startswith(
            ("float8", "float4")):
        nan = np.isnan(ref.astype(np.float32))
        assert np.array_equal(nan, np.isnan(got.astype(np.float32))), name
        g, r = got.view(np.uint8)[~nan], ref.view(np.uint8)[~nan]
    else:
        g, r = got, ref
    bad = np.flatnonzero(g != r)
    assert bad.size == 0, f"{name}: {bad.size} of {g.size} differ, e.g. got {g[bad[:5]]} " \
                          f"expected {r[bad[:5]]}"


def sweep_values():
    """f32 values around every representable value of each format."""
    vals = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e30, -1e30, 1e-30, 1.5 * 2.0**127,
            1.75 * 2.0**127, 2.0**127, 2.0**-127, 3.0 * 2.0**-128, 1e-45, 464, 479, 480, 240,
            248, 57344, 61440, 61439, 65536]
    for t in [ml_dtypes.float8_e4m3fn, ml_dtypes.float8_e4m3fnuz, ml_dtypes.float8_e5m2,
              ml_dtypes.float8_e5m2fnuz, ml_dtypes.float4_e2m1fn]:
        codes = np.arange(256 if t != ml_dtypes.float4_e2m1fn else 16, dtype=np.uint8)
        v = np.sort(np.unique(codes.view(t).astype(np.float32)))
        v = v[np.isfinite(v)]
        mid = (v[1:].astype(np.float64) + v[:-1]) / 2
        vals += list(v) + list(mid) + list(np.nextafter(mid.astype(np.float32), np.inf)) + \
            list(np.nextafter(mid.astype(np.float32), -np.inf))
    rng = np.random.default_rng(7)
    vals += list(rng.choice([-1, 1], 2000) * np.exp2(rng.uniform(-24, 24, 2000)))
    x = np.array(vals, dtype=np.float32)
    return np.concatenate([x, -x])


def test_cast_to_float8_float4_e8m0(kiln, tmp_path):
    x = sweep_values()
    nodes, outputs = [], []
    for name, (t, _) in F8.items():
        for sat in (0, 1):
            out = f"{name}_sat{sat}"
            nodes.append(helper.make_node("Cast", ["x"], [out], to=t, saturate=sat))
            outputs.append((out, t, [len(x)]))
    nodes.append(helper.make_node("Cast", ["x"], ["float4"], to=TensorProto.FLOAT4E2M1))
    outputs.append(("float4", TensorProto.FLOAT4E2M1, [len(x)]))
    for mode in ("up", "down", "nearest"):
        for sat in (0, 1):
            out = f"e8m0_{mode}_sat{sat}"
            nodes.append(helper.make_node("Cast", ["x"], [out], to=TensorProto.FLOAT8E8M0,
                                          saturate=sat, round_mode=mode))
            outputs.append((out, TensorProto.FLOAT8E8M0, [len(x)]))
    # Half-precision sources take the same path through f32.
    nodes.append(helper.make_node("Cast", ["x16"], ["e4m3fn_from_f16"],
                                  to=TensorProto.FLOAT8E4M3FN))
    outputs.append(("e4m3fn_from_f16", TensorProto.FLOAT8E4M3FN, [len(x)]))
    model = make_model(nodes, [("x", TensorProto.FLOAT, [len(x)]),
                               ("x16", TensorProto.FLOAT16, [len(x)])], outputs)
    with np.errstate(over="ignore"):  # large values become f16 infinities
        feeds = {"x": x, "x16": x.astype(np.float16)}
    got = compile_and_run(kiln, model, feeds, tmp_path)
    ref = dict(zip([o[0] for o in outputs], ReferenceEvaluator(model).run(None, feeds)))
    for name in ref:
        assert_same(name, got[name], ref[name])


def test_cast_from_float8(kiln, tmp_path):
    codes = np.arange(256, dtype=np.uint8)
    nodes, inputs, outputs, feeds = [], [], [], {}
    for name, (t, np_type) in F8.items():
        inputs.append((name, t, [256]))
        feeds[name] = codes.view(np_type)
        for to, suffix in ((TensorProto.FLOAT, "f32"), (TensorProto.FLOAT16, "f16"),
                           (TensorProto.FLOAT8E5M2, "e5m2")):
            if to == t:
                continue
            out = f"{name}_to_{suffix}"
            nodes.append(helper.make_node("Cast", [name], [out], to=to))
            outputs.append((out, to, [256]))
    inputs.append(("e8m0", TensorProto.FLOAT8E8M0, [256]))
    feeds["e8m0"] = codes.view(ml_dtypes.float8_e8m0fnu)
    nodes.append(helper.make_node("Cast", ["e8m0"], ["e8m0_to_f32"], to=TensorProto.FLOAT))
    outputs.append(("e8m0_to_f32", TensorProto.FLOAT, [256]))
    inputs.append(("f4", TensorProto.FLOAT4E2M1, [16]))
    feeds["f4"] = np.arange(16, dtype=np.uint8).view(ml_dtypes.float4_e2m1fn)
    nodes.append(helper.make_node("Cast", ["f4"], ["f4_to_f32"], to=TensorProto.FLOAT))
    outputs.append(("f4_to_f32", TensorProto.FLOAT, [16]))
    model = make_model(nodes, inputs, outputs)
    got = compile_and_run(kiln, model, feeds, tmp_path)
    ref = dict(zip([o[0] for o in outputs], ReferenceEvaluator(model).run(None, feeds)))
    for name in ref:
        r, g = ref[name], got[name]
        if r.dtype in (np.float32, np.float16):  # exact values, NaN where NaN
            assert g.dtype == r.dtype, name
            np.testing.assert_array_equal(g, r, err_msg=name)
        else:
            assert_same(name, g, r)


def test_cast_to_narrow_integers(kiln, tmp_path):
    rng = np.random.default_rng(3)
    x = np.concatenate([np.arange(-40, 41), rng.uniform(-300, 300, 500),
                        [0.5, -0.5, 1.5, -1.5, 7.99, -8.01, 255.9]]).astype(np.float32)
    ints = np.arange(-128, 128, dtype=np.int32).astype(np.int8)
    nodes, outputs = [], []
    for name, t in NARROW.items():
        for src in ("x", "i"):
            out = f"{src}_to_{name}"
            nodes.append(helper.make_node("Cast", [src], [out], to=t))
            outputs.append((out, t, [len(x) if src == "x" else len(ints)]))
        # and back: the values as int8 / uint8 / float
        back = helper.make_node("Cast", [f"x_to_{name}"], [f"{name}_to_f32"],
                                to=TensorProto.FLOAT)
        nodes.append(back)
        outputs.append((f"{name}_to_f32", TensorProto.FLOAT, [len(x)]))
    model = make_model(nodes, [("x", TensorProto.FLOAT, [len(x)]),
                               ("i", TensorProto.INT8, [len(ints)])], outputs)
    feeds = {"x": x, "i": ints}
    got = compile_and_run(kiln, model, feeds, tmp_path)
    ref = dict(zip([o[0] for o in outputs], ReferenceEvaluator(model).run(None, feeds)))
    for name in ref:
        assert got[name].dtype == ref[name].dtype, (name, got[name].dtype)
        np.testing.assert_array_equal(got[name].astype(np.float32),
                                      ref[name].astype(np.float32), err_msg=name)


def test_quantize_dequantize_round_trip(kiln, tmp_path):
    """QuantizeLinear/DequantizeLinear per axis and blocked, with int4 and float8 outputs,
    on values that hit the rounding ties and the clamps."""
    rng = np.random.default_rng(5)
    x = (rng.integers(-40, 40, (4, 6)) * 0.25).astype(np.float32)
    scale_axis = np.array([0.5, 1.0, 0.25, 2.0], np.float32)
    scale_block = np.array([[0.5, 1.0], [0.25, 2], [1, 1], [0.5, 0.125]], np.float32)
    zp4 = np.array([1, -2, 0, 3], ml_dtypes.int4)
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "s_axis", "zp4"], ["q4"], axis=0),
        helper.make_node("DequantizeLinear", ["q4", "s_axis", "zp4"], ["dq4"], axis=0),
        helper.make_node("QuantizeLinear", ["x", "s_block"], ["qb"], axis=1, block_size=3,
                         output_dtype=TensorProto.INT8),
        helper.make_node("DequantizeLinear", ["qb", "s_block"], ["dqb"], axis=1,
                         block_size=3),
        helper.make_node("QuantizeLinear", ["x", "s_axis"], ["q8"], axis=0,
                         output_dtype=TensorProto.FLOAT8E5M2, saturate=0),
        helper.make_node("DequantizeLinear", ["q8", "s_axis"], ["dq8"], axis=0),
    ]
    model = make_model(
        nodes,
        [("x", TensorProto.FLOAT, [4, 6]), ("s_axis", TensorProto.FLOAT, [4]),
         ("s_block", TensorProto.FLOAT, [4, 2]), ("zp4", TensorProto.INT4, [4])],
        [("q4", TensorProto.INT4, [4, 6]), ("dq4", TensorProto.FLOAT, [4, 6]),
         ("qb", TensorProto.INT8, [4, 6]), ("dqb", TensorProto.FLOAT, [4, 6]),
         ("q8", TensorProto.FLOAT8E5M2, [4, 6]), ("dq8", TensorProto.FLOAT, [4, 6])])
    feeds = {"x": x, "s_axis": scale_axis, "s_block": scale_block, "zp4": zp4}
    got = compile_and_run(kiln, model, feeds, tmp_path)
    ref = dict(zip(["q4", "dq4", "qb", "dqb", "q8", "dq8"],
                   ReferenceEvaluator(model).run(None, feeds)))
    for name in ref:
        assert got[name].dtype == ref[name].dtype, (name, got[name].dtype)
        np.testing.assert_array_equal(got[name].astype(np.float32),
                                      ref[name].astype(np.float32), err_msg=name)


def test_integer_matmuls_with_scalar_zero_points(kiln, tmp_path):
    """MatMulInteger and QLinearMatMul with rank-0 uint8/int8 zero-point initializers (the
    common per-tensor quantization). Such a constant used to fail to lower: a splat of
    unsigned integers was folded into a scalar of type ui8, which arith rejects."""
    rng = np.random.default_rng(9)
    a = rng.integers(0, 256, (20, 33)).astype(np.uint8)
    b = onnx.numpy_helper.from_array(rng.integers(-100, 100, (33, 24)).astype(np.int8), "b")
    scalars = [onnx.numpy_helper.from_array(np.array(v, dt), n) for n, v, dt in [
        ("azp", 7, np.uint8), ("bzp", -3, np.int8), ("as", 0.02, np.float32),
        ("bs", 0.05, np.float32), ("ys", 0.9, np.float32), ("yzp", 128, np.uint8)]]
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["a", "b", "azp", "bzp"], ["y"]),
         helper.make_node("QLinearMatMul", ["a", "as", "azp", "b", "bs", "bzp", "ys", "yzp"],
                          ["q"])],
        "g", [helper.make_tensor_value_info("a", TensorProto.UINT8, [20, 33])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, [20, 24]),
         helper.make_tensor_value_info("q", TensorProto.UINT8, [20, 24])], [b, *scalars])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    got = compile_and_run(kiln, model, {"a": a}, tmp_path)
    ref = dict(zip(["y", "q"], ReferenceEvaluator(model).run(None, {"a": a})))
    for name in ref:
        assert_same(name, got[name], ref[name])
