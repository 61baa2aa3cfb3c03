"""test_elementwise.py — elementwise ONNX ops across element types, kiln vs onnxruntime.

Each test builds one small ONNX model holding a family of ops (one output per op, each op with
its own seeded random input drawn from the op's domain: positive for Log/Sqrt, |x| < 1 for
Asin/Atanh, never exactly zero where that would hide a wrong operand), compiles it with kiln and
compares every output with onnxruntime element by element.

Float references: onnxruntime runs the same graph in float32 (it lacks many f16/bf16/f64 CPU
kernels) on the tested dtype's exact input values; the result is rounded to the tested dtype.
Tolerances (|kiln - ref| <= atol + rtol * |ref|):
  f32   rtol 1e-5  libm and onnxruntime's vectorised approximations of exp/tanh/erf differ by a
                   few ulp (2^-24 ~ 6e-8 each); 1e-5 still catches any wrong formula or constant.
  f64   rtol 1e-5  bounded by the float32 reference, not by kiln's f64 arithmetic.
  f16   rtol 2e-3  kiln computes in f32 and rounds once (<= 0.5 ulp), as does the reference:
                   results may differ by 1 ulp = 2^-10 ~ 1e-3 relative.
  bf16  rtol 1.6e-2  the same argument with bf16's 8-bit significand (1 ulp = 2^-7 ~ 8e-3).
Integers and bools compare exactly (onnxruntime runs the integer model itself).
"""
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from kiln_e2e import check_ok, run

SHAPE = (3, 2, 19)  # odd innermost size: vector bodies plus scalar remainders

TOL = {"float32": (1e-5, 1e-6), "float64": (1e-5, 1e-6), "float16": (2e-3, 1e-4),
       "bfloat16": (1.6e-2, 1e-3)}
ONNX_TYPE = {"float32": TensorProto.FLOAT, "float64": TensorProto.DOUBLE,
             "float16": TensorProto.FLOAT16, "bfloat16": TensorProto.BFLOAT16,
             "int8": TensorProto.INT8, "int16": TensorProto.INT16, "int32": TensorProto.INT32,
             "int64": TensorProto.INT64, "bool": TensorProto.BOOL}
FLOATS = ["float32", "float64", "float16", "bfloat16"]


def _signed(lo, hi):
    """Magnitudes in [lo, hi] with random signs (never zero)."""
    return lambda rng, shape: rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)


def _uniform(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, shape)


# op: (attributes, input generator)
UNARY = {
    "Exp": ({}, _uniform(-4, 4)), "Log": ({}, _uniform(0.05, 20)),
    "Sqrt": ({}, _uniform(0.05, 20)), "Reciprocal": ({}, _signed(0.25, 4)),
    "Neg": ({}, _signed(0.1, 4)), "Abs": ({}, _signed(0.1, 4)), "Erf": ({}, _signed(0.01, 3)),
    "Tanh": ({}, _signed(0.01, 4)), "Sin": ({}, _signed(0.1, 6)), "Cos": ({}, _signed(0.1, 6)),
    "Tan": ({}, _signed(0.05, 1.2)), "Asin": ({}, _signed(0.01, 0.95)),
    "Acos": ({}, _signed(0.01, 0.95)), "Atan": ({}, _signed(0.1, 5)),
    "Sinh": ({}, _signed(0.1, 3)), "Cosh": ({}, _signed(0.1, 3)),
    "Asinh": ({}, _signed(0.1, 5)), "Acosh": ({}, _uniform(1.1, 6)),
    "Atanh": ({}, _signed(0.01, 0.9)), "Floor": ({}, _signed(0.1, 9)),
    "Ceil": ({}, _signed(0.1, 9)), "Round": ({}, _signed(0.1, 9)),
    "Sign": ({}, _signed(0.1, 4)), "Softplus": ({}, _signed(0.1, 6)),
    "Softsign": ({}, _signed(0.1, 6)), "Mish": ({}, _signed(0.1, 4)),
    "HardSwish": ({}, _signed(0.1, 5)), "Relu": ({}, _signed(0.1, 4)),
    "Sigmoid": ({}, _signed(0.1, 6)),
    "LeakyRelu": ({"alpha": 0.2}, _signed(0.1, 4)), "Elu": ({"alpha": 0.7}, _signed(0.1, 4)),
    "Selu": ({}, _signed(0.1, 4)), "Celu": ({"alpha": 1.5}, _signed(0.1, 4)),
    "HardSigmoid": ({"alpha": 0.3, "beta": 0.4}, _signed(0.1, 4)),
    "ThresholdedRelu": ({"alpha": 0.5}, _signed(0.1, 4)),
    "Shrink": ({"lambd": 0.6, "bias": 0.2}, _signed(0.1, 3)),
}
GELU = {"Gelu": ({}, _signed(0.1, 4)), "GeluTanh": ({"approximate": "tanh"}, _signed(0.1, 4))}

# op: (attributes, number of inputs, generator for each input); inputs broadcast.
BINARY = {
    "Add": ({}, 2, _signed(0.1, 4)), "Sub": ({}, 2, _signed(0.1, 4)),
    "Mul": ({}, 2, _signed(0.1, 4)), "Div": ({}, 2, _signed(0.25, 4)),
    "Pow": ({}, 2, _uniform(0.2, 2.5)), "Max": ({}, 3, _signed(0.1, 4)),
    "Min": ({}, 3, _signed(0.1, 4)), "Sum": ({}, 3, _signed(0.1, 4)),
    "Mean": ({}, 3, _signed(0.1, 4)), "Fmod": ({"fmod": 1}, 2, _signed(0.3, 5)),
    "PRelu": ({}, 2, _signed(0.1, 4)),
}
BINARY_SHAPES = [(3, 1, 19), (2, 19), (1, 1, 19)]
COMPARE = ["Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual"]


def to_bf16_exact(x):
    """float32 values rounded to nearest-even bfloat16 (still stored as float32)."""
    u = np.asarray(x, np.float32).view(np.uint32).astype(np.uint64)
    u = ((u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000).astype(np.uint32)
    return u.view(np.float32)


def storage(values, dtype):
    """Exact values of `dtype` as the array kiln reads (bf16 as float32 .npy)."""
    if dtype == "bfloat16":
        return to_bf16_exact(values)
    return np.asarray(values).astype(dtype)


def make_model(nodes, inputs, outputs, opset=20):
    """inputs/outputs: [(name, onnx elem type, shape)]."""
    graph = helper.make_graph(
        nodes, "elementwise",
        [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
        [helper.make_tensor_value_info(n, t, s) for n, t, s in outputs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    return model


def ort_run(model, feeds):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), so,
                                providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds)))


def kiln_run(kiln, model, feeds, tmp_path):
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


# Sum and Mean round after each add in 16-bit types (as onnxruntime's f16 kernels do) while
# the reference rounds once: allow one ulp of the operands' magnitude (<= 4) per add.
CHAINED_ATOL = {"float16": 3 * 4 * 2.0**-10, "bfloat16": 3 * 4 * 2.0**-7}


def assert_elementwise_close(got, ref, dtype):
    rtol, atol = TOL.get(dtype, (0, 0))
    bad = []
    for name, r in ref.items():
        a = max(atol, CHAINED_ATOL.get(dtype, 0)) if name in ("y_Sum", "y_Mean") else atol
        g = got[name]
        assert g.shape == r.shape, f"{name}: shape {g.shape}, expected {r.shape}"
        if r.dtype == np.bool_ or np.issubdtype(r.dtype, np.integer):
            assert g.dtype == r.dtype, f"{name}: dtype {g.dtype}, expected {r.dtype}"
            if not np.array_equal(g, r):
                bad.append(f"{name}: {np.sum(g != r)} elements differ")
            continue
        g64, r64 = g.astype(np.float64), r.astype(np.float64)
        err = np.abs(g64 - r64) - (a + rtol * np.abs(r64))
        if not np.all(err <= 0):
            i = int(np.argmax(err))
            bad.append(f"{name}: got {g64.flat[i]!r}, expected {r64.flat[i]!r} "
                       f"(rtol {rtol}, atol {a})")
    assert not bad, f"{dtype}: " + "; ".join(bad)


def float_case(kiln, tmp_path, dtype, build):
    """Runs `build(elem type) -> (model, {input: float64 values})` for `dtype` with kiln and for
    float32 with onnxruntime (same exact input values), then compares."""
    model, values = build(ONNX_TYPE[dtype])
    feeds = {n: storage(v, dtype) for n, v in values.items()}
    ref_model, _ = build(TensorProto.FLOAT)
    ref = ort_run(ref_model, {n: v.astype(np.float32) for n, v in feeds.items()})
    ref = {n: (storage(r, dtype) if r.dtype == np.float32 else r) for n, r in ref.items()}
    got = kiln_run(kiln, model, feeds, tmp_path)
    assert_elementwise_close(got, ref, dtype)


def unary_model(ops, seed):
    def build(elem):
        rng = np.random.default_rng(seed)
        nodes, inputs, outputs, values = [], [], [], {}
        for op, (attrs, gen) in ops.items():
            onnx_op = "Gelu" if op.startswith("Gelu") else op
            nodes.append(helper.make_node(onnx_op, [f"x_{op}"], [f"y_{op}"], **attrs))
            inputs.append((f"x_{op}", elem, SHAPE))
            outputs.append((f"y_{op}", elem, SHAPE))
            values[f"x_{op}"] = gen(rng, SHAPE)
        return make_model(nodes, inputs, outputs), values
    return build


@pytest.mark.compiler
@pytest.mark.parametrize("dtype", FLOATS)
def test_unary_float(kiln, tmp_path, dtype):
    float_case(kiln, tmp_path, dtype, unary_model({**UNARY, **GELU}, seed=1))


@pytest.mark.compiler
@pytest.mark.parametrize("dtype", FLOATS)
def test_binary_float(kiln, tmp_path, dtype):
    def build(elem):
        rng = np.random.default_rng(2)
        nodes, inputs, outputs, values = [], [], [], {}
        for op, (attrs, count, gen) in BINARY.items():
            names = [f"{op}_{i}" for i in range(count)]
            shapes = BINARY_SHAPES[:count]
            if op == "PRelu":  # the slope broadcasts to x (unidirectional)
                shapes = [(3, 2, 19), (2, 19)]
            onnx_op = "Mod" if op == "Fmod" else op
            nodes.append(helper.make_node(onnx_op, names, [f"y_{op}"], **attrs))
            for n, s in zip(names, shapes):
                inputs.append((n, elem, s))
                values[n] = gen(rng, s)
            outputs.append((f"y_{op}", elem, SHAPE))
        for op in COMPARE:
            names = [f"{op}_a", f"{op}_b"]
            nodes.append(helper.make_node(op, names, [f"y_{op}"]))
            inputs += [(names[0], elem, (3, 1, 19)), (names[1], elem, (2, 19))]
            a = rng.integers(-3, 4, (3, 1, 19)).astype(np.float64)  # ties on purpose
            values[names[0]], values[names[1]] = a, rng.integers(-3, 4, (2, 19)) * 1.0
            outputs.append((f"y_{op}", TensorProto.BOOL, SHAPE))
        nodes.append(helper.make_node("Where", ["c", "wa", "wb"], ["y_Where"]))
        inputs += [("c", TensorProto.BOOL, (2, 1)), ("wa", elem, (3, 1, 19)), ("wb", elem, (19,))]
        values["wa"], values["wb"] = _signed(0.1, 4)(rng, (3, 1, 19)), _signed(0.1, 4)(rng, (19,))
        outputs.append(("y_Where", elem, SHAPE))
        return make_model(nodes, inputs, outputs), values

    model, values = build(ONNX_TYPE[dtype])
    rng = np.random.default_rng(3)
    cond = rng.random((2, 1)) > 0.5
    feeds = {n: storage(v, dtype) for n, v in values.items()}
    feeds["c"] = cond
    ref_model, _ = build(TensorProto.FLOAT)
    ref = ort_run(ref_model, {n: (v.astype(np.float32) if v.dtype != np.bool_ else v)
                              for n, v in feeds.items()})
    ref = {n: (storage(r, dtype) if r.dtype == np.float32 else r) for n, r in ref.items()}
    got = kiln_run(kiln, model, feeds, tmp_path)
    assert_elementwise_close(got, ref, dtype)


@pytest.mark.compiler
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_mod_numpy_sign(kiln, tmp_path, dtype):
    """Mod with fmod=0 on floats follows numpy: the result takes the divisor's sign."""
    def build(elem):
        rng = np.random.default_rng(4)
        node = helper.make_node("Mod", ["a", "b"], ["y"], fmod=0)
        values = {"a": _signed(0.3, 5)(rng, SHAPE), "b": _signed(0.3, 5)(rng, SHAPE)}
        return make_model([node], [("a", elem, SHAPE), ("b", elem, SHAPE)],
                          [("y", elem, SHAPE)]), values
    model, values = build(ONNX_TYPE[dtype])
    feeds = {n: storage(v, dtype) for n, v in values.items()}
    got = kiln_run(kiln, model, feeds, tmp_path)
    a, b = (feeds[n].astype(np.float64) for n in ("a", "b"))
    assert_elementwise_close(got, {"y": np.mod(a, b).astype(dtype)}, dtype)


@pytest.mark.compiler
def test_classify(kiln, tmp_path):
    rng = np.random.default_rng(5)
    x = _signed(0.1, 4)(rng, SHAPE).astype(np.float32)
    x.flat[::7] = np.inf
    x.flat[3::11] = -np.inf
    x.flat[5::13] = np.nan
    nodes = [helper.make_node("IsNaN", ["x"], ["nan"]),
             helper.make_node("IsInf", ["x"], ["inf"]),
             helper.make_node("IsInf", ["x"], ["pos"], detect_negative=0),
             helper.make_node("IsInf", ["x"], ["neg"], detect_positive=0)]
    model = make_model(nodes, [("x", TensorProto.FLOAT, SHAPE)],
                       [(n, TensorProto.BOOL, SHAPE) for n in ("nan", "inf", "pos", "neg")])
    got = kiln_run(kiln, model, {"x": x}, tmp_path)
    assert_elementwise_close(got, ort_run(model, {"x": x}), "float32")


INT_BINARY = {"Add": {}, "Sub": {}, "Mul": {}, "Div": {}, "Max": {}, "Min": {},
              "Mod": {"fmod": 0}, "Fmod": {"fmod": 1}, "BitwiseAnd": {}, "BitwiseOr": {},
              "BitwiseXor": {}}
INT_UNARY = {"Abs": {}, "Neg": {}, "Sign": {}, "BitwiseNot": {}}


@pytest.mark.compiler
@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_integer_ops(kiln, tmp_path, dtype):
    """Integer arithmetic is exact: Div truncates toward zero (as C and onnxruntime do), Mod
    takes the divisor's sign, Fmod the dividend's."""
    rng = np.random.default_rng(6)
    elem = ONNX_TYPE[dtype]
    nodes, inputs, outputs, feeds = [], [], [], {}
    for op, attrs in INT_BINARY.items():
        onnx_op = "Mod" if op == "Fmod" else op
        nodes.append(helper.make_node(onnx_op, [f"{op}_a", f"{op}_b"], [f"y_{op}"], **attrs))
        inputs += [(f"{op}_a", elem, (3, 1, 19)), (f"{op}_b", elem, (2, 19))]
        feeds[f"{op}_a"] = rng.integers(-1000, 1000, (3, 1, 19)).astype(dtype)
        b = rng.integers(1, 40, (2, 19)) * rng.choice([-1, 1], (2, 19))
        feeds[f"{op}_b"] = b.astype(dtype)
        outputs.append((f"y_{op}", elem, SHAPE))
    for op, attrs in INT_UNARY.items():
        nodes.append(helper.make_node(op, [f"{op}_x"], [f"y_{op}"], **attrs))
        inputs.append((f"{op}_x", elem, SHAPE))
        feeds[f"{op}_x"] = rng.integers(-1000, 1000, SHAPE).astype(dtype)
        outputs.append((f"y_{op}", elem, SHAPE))
    for op in ["Equal", "Greater", "LessOrEqual"]:
        nodes.append(helper.make_node(op, [f"{op}_a", f"{op}_b"], [f"y_{op}"]))
        inputs += [(f"{op}_a", elem, (3, 1, 19)), (f"{op}_b", elem, (2, 19))]
        feeds[f"{op}_a"] = rng.integers(-3, 4, (3, 1, 19)).astype(dtype)
        feeds[f"{op}_b"] = rng.integers(-3, 4, (2, 19)).astype(dtype)
        outputs.append((f"y_{op}", TensorProto.BOOL, SHAPE))
    nodes.append(helper.make_node("Clip", ["clip_x", "clip_lo", "clip_hi"], ["y_Clip"]))
    inputs.append(("clip_x", elem, SHAPE))
    feeds["clip_x"] = rng.integers(-1000, 1000, SHAPE).astype(dtype)
    lo = helper.make_tensor("clip_lo", elem, [], [-300])
    hi = helper.make_tensor("clip_hi", elem, [], [250])
    nodes = [helper.make_node("Constant", [], ["clip_lo"], value=lo),
             helper.make_node("Constant", [], ["clip_hi"], value=hi)] + nodes
    outputs.append(("y_Clip", elem, SHAPE))
    model = make_model(nodes, inputs, outputs, opset=18)
    got = kiln_run(kiln, model, feeds, tmp_path)
    assert_elementwise_close(got, ort_run(model, feeds), dtype)


@pytest.mark.compiler
def test_int8_wraps(kiln, tmp_path):
    """int8 arithmetic wraps modulo 256, as numpy's does."""
    rng = np.random.default_rng(7)
    a = rng.integers(-128, 128, SHAPE).astype(np.int8)
    b = rng.integers(-128, 128, SHAPE).astype(np.int8)
    nodes = [helper.make_node(op, ["a", "b"], [op]) for op in ("Add", "Mul", "Max")]
    model = make_model(nodes, [("a", TensorProto.INT8, SHAPE), ("b", TensorProto.INT8, SHAPE)],
                       [(op, TensorProto.INT8, SHAPE) for op in ("Add", "Mul", "Max")])
    got = kiln_run(kiln, model, {"a": a, "b": b}, tmp_path)
    with np.errstate(over="ignore"):
        ref = {"Add": a + b, "Mul": a * b, "Max": np.maximum(a, b)}
    assert_elementwise_close(got, ref, "int8")


@pytest.mark.compiler
def test_bool_logic(kiln, tmp_path):
    """Bool tensors are one byte per element in and out (runtime/ABI.md), including shapes
    large enough that other types would be vectorised."""
    rng = np.random.default_rng(8)
    shape = (4, 3, 37)
    a = rng.random(shape) > 0.5
    b = rng.random((3, 37)) > 0.5
    nodes = [helper.make_node(op, ["a", "b"], [op]) for op in ("And", "Or", "Xor", "Equal")]
    nodes.append(helper.make_node("Not", ["a"], ["Not"]))
    model = make_model(nodes, [("a", TensorProto.BOOL, shape), ("b", TensorProto.BOOL, (3, 37))],
                       [(n, TensorProto.BOOL, shape) for n in ("And", "Or", "Xor", "Equal", "Not")])
    got = kiln_run(kiln, model, {"a": a, "b": b}, tmp_path)
    assert_elementwise_close(got, ort_run(model, {"a": a, "b": b}), "bool")


CAST_TYPES = ["float32", "float64", "float16", "int8", "int32", "int64", "bool"]


@pytest.mark.compiler
@pytest.mark.parametrize("src", CAST_TYPES)
def test_cast(kiln, tmp_path, src):
    """Cast from `src` to every other type (and CastLike to float32): float → int truncates
    toward zero, number → bool is != 0 (zeros included on purpose), bool → number is 0/1."""
    rng = np.random.default_rng(9)
    if src == "bool":
        x = rng.random(SHAPE) > 0.5
    elif src.startswith("int"):
        x = rng.integers(-100, 100, SHAPE).astype(src)
    else:
        x = (rng.uniform(-100, 100, SHAPE) + 0.25).astype(src)  # no .5 ties in the truncation
        x.flat[::5] = 0
    targets = [t for t in CAST_TYPES if t != src]
    nodes = [helper.make_node("Cast", ["x"], [f"to_{t}"], to=ONNX_TYPE[t]) for t in targets]
    nodes.append(helper.make_node("CastLike", ["x", "like"], ["like_f32"]))
    outputs = [(f"to_{t}", ONNX_TYPE[t], SHAPE) for t in targets]
    outputs.append(("like_f32", TensorProto.FLOAT, SHAPE))
    model = make_model(nodes, [("x", ONNX_TYPE[src], SHAPE), ("like", TensorProto.FLOAT, (1,))],
                       outputs)
    feeds = {"x": x, "like": np.ones((1,), np.float32)}
    got = kiln_run(kiln, model, feeds, tmp_path)
    ref = ort_run(model, feeds)
    # float16 targets round once, exactly as onnxruntime does; any float compare is exact.
    for name in ref:
        np.testing.assert_array_equal(got[name], ref[name], err_msg=f"{src} -> {name}")
        assert got[name].dtype == ref[name].dtype, name


@pytest.mark.compiler
def test_cast_bfloat16(kiln, tmp_path):
    """float32 → bfloat16 rounds to nearest even; bfloat16 → float32 is exact."""
    rng = np.random.default_rng(10)
    x = rng.standard_normal(SHAPE).astype(np.float32) * 50
    nodes = [helper.make_node("Cast", ["x"], ["b"], to=TensorProto.BFLOAT16),
             helper.make_node("Cast", ["b"], ["back"], to=TensorProto.FLOAT)]
    model = make_model(nodes, [("x", TensorProto.FLOAT, SHAPE)],
                       [("b", TensorProto.BFLOAT16, SHAPE), ("back", TensorProto.FLOAT, SHAPE)])
    got = kiln_run(kiln, model, {"x": x}, tmp_path)
    np.testing.assert_array_equal(got["b"], to_bf16_exact(x))  # bf16 outputs come as float32
    np.testing.assert_array_equal(got["back"], to_bf16_exact(x))


@pytest.mark.compiler
def test_unsupported_dtype_is_a_clean_error(kiln, tmp_path):
    """A float-only op on integers fails at import, naming the node."""
    model = make_model([helper.make_node("Exp", ["x"], ["y"], name="exp_int")],
                       [("x", TensorProto.INT32, (4,))], [("y", TensorProto.INT32, (4,))])
    path = str(tmp_path / "m.onnx")
    onnx.save(model, path)
    proc = run([kiln, "compile", path, "-o", str(tmp_path / "m.exe")])
    assert proc.returncode != 0 and proc.returncode < 128
    assert "exp_int" in proc.stderr and "unsupported dtype" in proc.stderr


@pytest.mark.compiler
@pytest.mark.parametrize("dtype", ["uint8", "uint16", "uint32", "uint64"])
def test_unsigned_ops(kiln, tmp_path, dtype):
    """Unsigned integers are read as unsigned (values above the signed range on purpose):
    division, remainder, max/min, right shift and comparisons differ from the signed ones.
    onnxruntime lacks most unsigned kernels, so numpy (whose semantics ONNX follows) is the
    reference; exact."""
    rng = np.random.default_rng(11)
    info = np.iinfo(dtype)
    elem = {"uint8": TensorProto.UINT8, "uint16": TensorProto.UINT16,
            "uint32": TensorProto.UINT32, "uint64": TensorProto.UINT64}[dtype]
    a = rng.integers(1, info.max, SHAPE, dtype=dtype, endpoint=True)
    b = rng.integers(1, info.max, (2, 19), dtype=dtype, endpoint=True)
    s = rng.integers(0, info.bits + 3, (2, 19)).astype(dtype)  # some shifts >= width
    ops = {"Add": ({}, "b"), "Sub": ({}, "b"), "Mul": ({}, "b"), "Div": ({}, "b"),
           "Max": ({}, "b"), "Min": ({}, "b"), "Mod": ({}, "b"),
           "Shl": ({"direction": "LEFT"}, "s"), "Shr": ({"direction": "RIGHT"}, "s")}
    nodes = [helper.make_node("BitShift" if op.startswith("Sh") else op, ["a", rhs], [op],
                              **attrs) for op, (attrs, rhs) in ops.items()]
    nodes += [helper.make_node("Greater", ["a", "b"], ["Greater"]),
              helper.make_node("Cast", ["a"], ["to_f64"], to=TensorProto.DOUBLE),
              helper.make_node("Relu", ["a"], ["Relu"])]
    outputs = [(op, elem, SHAPE) for op in ops] + [
        ("Greater", TensorProto.BOOL, SHAPE), ("to_f64", TensorProto.DOUBLE, SHAPE),
        ("Relu", elem, SHAPE)]
    model = make_model(nodes, [("a", elem, SHAPE), ("b", elem, (2, 19)), ("s", elem, (2, 19))],
                       outputs, opset=18)
    got = kiln_run(kiln, model, {"a": a, "b": b, "s": s}, tmp_path)
    with np.errstate(over="ignore"):
        shl = np.where(s >= info.bits, 0, a << np.minimum(s, info.bits - 1)).astype(dtype)
        shr = np.where(s >= info.bits, 0, a >> np.minimum(s, info.bits - 1)).astype(dtype)
        ref = {"Add": a + b, "Sub": a - b, "Mul": a * b, "Div": a // b, "Max": np.maximum(a, b),
               "Min": np.minimum(a, b), "Mod": a % b, "Shl": shl, "Shr": shr,
               "Greater": a > b, "to_f64": a.astype(np.float64), "Relu": a}
    for name, r in ref.items():
        np.testing.assert_array_equal(got[name], r, err_msg=f"{dtype} {name}")
        assert got[name].dtype == r.dtype, name
