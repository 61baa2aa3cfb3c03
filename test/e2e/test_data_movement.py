"""test_data_movement.py — data movement and shape ops against onnxruntime, every dtype.

Each test builds a one- or few-node model with onnx.helper, compiles it with kiln and compares
the executable's outputs with onnxruntime (or onnx's reference evaluator where onnxruntime has
no kernel for a dtype) on seeded random inputs that are never all zeros. Data movement must be
exact, so comparisons are bitwise equality. Index inputs (Gather, OneHot...) are graph inputs so
that the kernel itself runs, not a constant folded at import; the shape-subgraph tests check the
opposite: that Shape → Gather → Concat → Reshape chains fold away.
"""
import os

import ml_dtypes
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from kiln_e2e import check_ok, run, run_exe

pytestmark = pytest.mark.compiler

DTYPES = {"float32": TensorProto.FLOAT, "float16": TensorProto.FLOAT16,
          "float64": TensorProto.DOUBLE, "bfloat16": TensorProto.BFLOAT16,
          "int8": TensorProto.INT8, "int16": TensorProto.INT16, "int32": TensorProto.INT32,
          "int64": TensorProto.INT64, "uint8": TensorProto.UINT8, "uint16": TensorProto.UINT16,
          "uint32": TensorProto.UINT32, "uint64": TensorProto.UINT64, "bool": TensorProto.BOOL}
# uint16/32/64 are not importable yet (ModelLoader's convertDataType).
ALL = [t for t in DTYPES if t not in ("uint16", "uint32", "uint64")]
SOME = ["float32", "float16", "int64", "uint8", "bool"]


def np_dtype(name):
    return ml_dtypes.bfloat16 if name == "bfloat16" else np.dtype(name)


def random_array(rng, shape, dtype):
    """Non-zero random values of `dtype` (bools: a random mix with both values)."""
    if dtype == "bool":
        a = rng.random(shape) < 0.5
        a.flat[0], a.flat[-1] = True, False
        return a
    if dtype.startswith(("float", "bfloat")):
        v = rng.standard_normal(shape) + 0.5
        v[v == 0] = 1.0
        return v.astype(np_dtype(dtype))
    return rng.integers(1, 100, size=shape).astype(dtype)


def make_model(nodes, inputs, outputs, initializers=(), opset=18):
    """inputs/outputs: [(name, dtype name, shape)]."""
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info(n, DTYPES[t], s) for n, t, s in inputs],
        [helper.make_tensor_value_info(n, DTYPES[t], s) for n, t, s in outputs],
        list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 9
    return model


def reference(model_path, feeds):
    try:
        import onnxruntime as ort
        sess = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
        names = [o.name for o in sess.get_outputs()]
        return dict(zip(names, sess.run(names, feeds)))
    except Exception:  # no onnxruntime kernel for this dtype: onnx's reference evaluator
        from onnx.reference import ReferenceEvaluator
        ref = ReferenceEvaluator(model_path)
        names = [o.name for o in onnx.load(model_path).graph.output]
        return dict(zip(names, ref.run(None, feeds)))


def write_pb_inputs(feeds, folder):
    os.makedirs(folder, exist_ok=True)
    args = []
    for i, (name, value) in enumerate(feeds.items()):
        path = os.path.join(folder, f"in{i}.pb")
        with open(path, "wb") as f:
            f.write(numpy_helper.from_array(value, name).SerializeToString())
        args += ["--input", f"{name}={path}"]
    return args


def check_model(kiln, tmp_path, model, feeds, rtol=0.0):
    """Compiles `model`, runs it on `feeds` and requires bitwise-equal outputs (within `rtol`
    for floats where the op sums)."""
    path = str(tmp_path / "m.onnx")
    onnx.save(model, path)
    exe = str(tmp_path / "m.exe")
    check_ok(run([kiln, "compile", path, "-o", exe], timeout=600))
    want = reference(path, feeds)
    args = write_pb_inputs(feeds, str(tmp_path / "in"))
    out = str(tmp_path / "out")
    check_ok(run([exe, *args, "--output-dir", out]))
    for name, ref in want.items():
        got = np.load(os.path.join(out, name + ".npy"))
        ref = np.asarray(ref)
        if ref.dtype == ml_dtypes.bfloat16:  # kiln writes bf16 outputs as exact float32
            ref = ref.astype(np.float32)
        assert got.dtype == ref.dtype, f"{name}: dtype {got.dtype}, expected {ref.dtype}"
        assert got.shape == ref.shape, f"{name}: shape {got.shape}, expected {ref.shape}"
        if rtol and ref.dtype.kind == "f":
            np.testing.assert_allclose(got, ref, rtol=rtol, atol=1e-6, err_msg=name)
        else:
            assert np.array_equal(got, ref, equal_nan=True), f"{name}: values differ"


def i64(name, values):
    return numpy_helper.from_array(np.asarray(values, dtype=np.int64), name)


@pytest.mark.parametrize("dtype", ALL)
def test_gather_runtime_indices(kiln, tmp_path, dtype):
    rng = np.random.default_rng(1)
    model = make_model(
        [helper.make_node("Gather", ["x", "i"], ["y"], axis=1)],
        [("x", dtype, [3, 5, 4]), ("i", "int64", [2, 3])], [("y", dtype, [3, 2, 3, 4])])
    feeds = {"x": random_array(rng, [3, 5, 4], dtype),
             "i": np.array([[0, -1, 2], [4, -5, 1]], np.int64)}
    check_model(kiln, tmp_path, model, feeds)


def test_gather_embedding_table(kiln, tmp_path):
    """An embedding lookup: the table is a weight, the ids are int32 and some negative."""
    rng = np.random.default_rng(2)
    table = rng.standard_normal((1000, 16)).astype(np.float32)
    model = make_model([helper.make_node("Gather", ["w", "ids"], ["y"])],
                       [("ids", "int32", [2, 7])], [("y", "float32", [2, 7, 16])],
                       [numpy_helper.from_array(table, "w")])
    ids = rng.integers(-1000, 1000, size=(2, 7)).astype(np.int32)
    check_model(kiln, tmp_path, model, {"ids": ids})


@pytest.mark.parametrize("dtype", ALL)
def test_transpose_concat_reshape(kiln, tmp_path, dtype):
    rng = np.random.default_rng(3)
    model = make_model(
        [helper.make_node("Transpose", ["a"], ["t"], perm=[2, 0, 1]),
         helper.make_node("Concat", ["t", "b"], ["c"], axis=1),
         helper.make_node("Reshape", ["c", "shape"], ["r"]),
         helper.make_node("Flatten", ["c"], ["f"], axis=2)],
        [("a", dtype, [2, 3, 4]), ("b", dtype, [4, 1, 3])],
        [("r", dtype, [3, -1]), ("f", dtype, [12, 3])], [i64("shape", [3, -1])])
    model.graph.output[0].type.tensor_type.shape.dim[1].dim_value = 12
    check_model(kiln, tmp_path, model, {"a": random_array(rng, [2, 3, 4], dtype),
                                        "b": random_array(rng, [4, 1, 3], dtype)})


@pytest.mark.parametrize("dtype", SOME)
def test_slice_split_squeeze(kiln, tmp_path, dtype):
    rng = np.random.default_rng(4)
    model = make_model(
        [helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"], ["s"]),
         helper.make_node("Split", ["x"], ["p0", "p1", "p2"], axis=2, num_outputs=3),
         helper.make_node("Unsqueeze", ["s", "ax0"], ["u"]),
         helper.make_node("Squeeze", ["u", "ax0"], ["q"]),
         helper.make_node("Identity", ["q"], ["y"])],
        [("x", dtype, [4, 6, 7])],
        [("y", dtype, None), ("p0", dtype, None), ("p1", dtype, None), ("p2", dtype, None)],
        [i64("starts", [-1, 1, 100]), i64("ends", [-100, 5, 0]), i64("axes", [0, 1, 2]),
         i64("steps", [-2, 2, -3]), i64("ax0", [0])])
    check_model(kiln, tmp_path, model, {"x": random_array(rng, [4, 6, 7], dtype)})


@pytest.mark.parametrize("dtype", SOME)
def test_expand_tile(kiln, tmp_path, dtype):
    rng = np.random.default_rng(5)
    model = make_model(
        [helper.make_node("Expand", ["x", "shape"], ["e"]),
         helper.make_node("Tile", ["x", "reps"], ["t"])],
        [("x", dtype, [3, 1])], [("e", dtype, None), ("t", dtype, None)],
        [i64("shape", [2, 1, 4]), i64("reps", [2, 3])])
    check_model(kiln, tmp_path, model, {"x": random_array(rng, [3, 1], dtype)})


@pytest.mark.parametrize("mode", ["constant", "reflect", "edge", "wrap"])
@pytest.mark.parametrize("dtype", ["float32", "int32", "uint8"])
def test_pad(kiln, tmp_path, mode, dtype):
    rng = np.random.default_rng(6)
    inputs = ["x", "pads"] + (["value"] if mode == "constant" else [])
    inits = [i64("pads", [1, 2, 2, -1])]
    if mode == "constant":
        inits.append(numpy_helper.from_array(np.array(7, np_dtype(dtype)), "value"))
    model = make_model([helper.make_node("Pad", inputs, ["y"], mode=mode)],
                       [("x", dtype, [3, 4])], [("y", dtype, None)], inits)
    check_model(kiln, tmp_path, model, {"x": random_array(rng, [3, 4], dtype)})


@pytest.mark.parametrize("dtype", ["float32", "int64", "uint8"])
def test_gather_elements_nd_onehot(kiln, tmp_path, dtype):
    rng = np.random.default_rng(7)
    model = make_model(
        [helper.make_node("GatherElements", ["x", "ie"], ["ge"], axis=1),
         helper.make_node("GatherND", ["x", "ind"], ["gn"], batch_dims=1),
         helper.make_node("OneHot", ["ie", "depth", "vals"], ["oh"], axis=1)],
        [("x", dtype, [3, 4]), ("ie", "int64", [3, 2]), ("ind", "int64", [3, 1])],
        [("ge", dtype, None), ("gn", dtype, None), ("oh", dtype, None)],
        [i64("depth", 5), numpy_helper.from_array(np.array([2, 9], np_dtype(dtype)), "vals")])
    feeds = {"x": random_array(rng, [3, 4], dtype),
             "ie": np.array([[0, -1], [3, 2], [1, 1]], np.int64),
             "ind": np.array([[2], [-1], [0]], np.int64)}
    check_model(kiln, tmp_path, model, feeds)


@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_cumsum_trilu(kiln, tmp_path, dtype):
    rng = np.random.default_rng(8)
    model = make_model(
        [helper.make_node("CumSum", ["x", "axis"], ["c"], exclusive=1, reverse=1),
         helper.make_node("CumSum", ["x", "axis"], ["d"]),
         helper.make_node("Trilu", ["x", "k"], ["t"], upper=0)],
        [("x", dtype, [2, 5, 6])], [("c", dtype, None), ("d", dtype, None), ("t", dtype, None)],
        [i64("axis", 1), i64("k", 1)])
    # CumSum adds in a different order than onnxruntime: floats agree to rounding.
    check_model(kiln, tmp_path, model, {"x": random_array(rng, [2, 5, 6], dtype)}, rtol=1e-5)


def test_depth_space_roundtrip(kiln, tmp_path):
    rng = np.random.default_rng(9)
    model = make_model(
        [helper.make_node("DepthToSpace", ["x"], ["d"], blocksize=2, mode="CRD"),
         helper.make_node("SpaceToDepth", ["d"], ["s"], blocksize=2)],
        [("x", "float32", [1, 8, 3, 2])], [("d", "float32", None), ("s", "float32", None)])
    check_model(kiln, tmp_path, model, {"x": random_array(rng, [1, 8, 3, 2], "float32")})


def test_shape_subgraph_folds(kiln, tmp_path):
    """The dynamo exporter's reshape idiom: Shape → Gather → Unsqueeze → Concat → Reshape,
    plus Slice of a Shape, Range and ConstantOfShape; all of it must fold at import."""
    rng = np.random.default_rng(10)
    nodes = [
        helper.make_node("Shape", ["x"], ["shp"]),
        helper.make_node("Gather", ["shp", "zero"], ["b"], axis=0),
        helper.make_node("Slice", ["shp", "one", "two"], ["c"]),
        helper.make_node("Unsqueeze", ["b", "zero1d"], ["b1"]),
        helper.make_node("Concat", ["b1", "c", "minus1"], ["target"], axis=0),
        helper.make_node("Reshape", ["x", "target"], ["y"]),
        helper.make_node("Size", ["x"], ["n"]),
        helper.make_node("Range", ["zero", "b", "one0"], ["r"]),
        helper.make_node("Concat", ["b1", "c"], ["target2"], axis=0),
        helper.make_node("ConstantOfShape", ["target2"], ["z"],
                         value=numpy_helper.from_array(np.array([3], np.int32))),
    ]
    model = make_model(
        nodes, [("x", "float32", [2, 3, 4, 5])],
        [("y", "float32", None), ("n", "int64", None), ("r", "int64", None),
         ("z", "int32", None)],
        [i64("zero", 0), i64("zero1d", [0]), i64("one", [1]), i64("two", [2]),
         i64("minus1", [-1]), i64("one0", 1)])
    path = str(tmp_path / "fold.onnx")
    onnx.save(model, path)
    proc = check_ok(run([kiln, "compile", path, "--compile-to=import", "--emit=mlir",
                         "-o", "-"]))
    for op in ("kiln.gather", "kiln.slice", "kiln.concat"):
        assert op not in proc.stdout, f"{op} was not folded:\n{proc.stdout}"
    check_model(kiln, tmp_path, model, {"x": random_array(rng, [2, 3, 4, 5], "float32")})


@pytest.mark.parametrize("op", ["NonZero", "Unique", "Compress"])
def test_value_dependent_shapes_are_rejected(kiln, tmp_path, op):
    inputs = ["x", "cond"] if op == "Compress" else ["x"]
    model = make_model([helper.make_node(op, inputs, ["y"])],
                       [("x", "float32", [4]), ("cond", "bool", [4])][:len(inputs)],
                       [("y", "int64" if op == "NonZero" else "float32", None)])
    path = str(tmp_path / "m.onnx")
    onnx.save(model, path)
    proc = run([kiln, "check", path])
    assert proc.returncode != 0
    assert "depends on input values" in proc.stdout + proc.stderr, proc.stdout + proc.stderr


@pytest.mark.parametrize("reduction,dtype", [
    (r, t) for r in ["none", "add", "max"] for t in ["float32", "int64"]] + [("none", "uint8")])
def test_scatter(kiln, tmp_path, reduction, dtype):
    rng = np.random.default_rng(11)
    model = make_model(
        [helper.make_node("ScatterElements", ["x", "ie", "ue"], ["se"], axis=1,
                          reduction=reduction),
         helper.make_node("ScatterND", ["x", "ind", "un"], ["sn"], reduction=reduction)],
        [("x", dtype, [4, 5]), ("ie", "int64", [4, 2]), ("ue", dtype, [4, 2]),
         ("ind", "int64", [3, 1]), ("un", dtype, [3, 5])],
        [("se", dtype, None), ("sn", dtype, None)])
    # Unique targets for "none" (ONNX leaves duplicate order unspecified there).
    ie = np.array([[0, -1], [3, 2], [1, 4], [2, 0]], np.int64)
    ind = np.array([[2], [-1], [0]] if reduction == "none" else [[2], [2], [-4]], np.int64)
    feeds = {"x": random_array(rng, [4, 5], dtype), "ie": ie,
             "ue": random_array(rng, [4, 2], dtype), "ind": ind,
             "un": random_array(rng, [3, 5], dtype)}
    check_model(kiln, tmp_path, model, feeds)


@pytest.mark.parametrize("largest", [0, 1])
@pytest.mark.parametrize("dtype", ["float32", "int32", "int8"])
def test_topk(kiln, tmp_path, largest, dtype):
    rng = np.random.default_rng(12)
    model = make_model(
        [helper.make_node("TopK", ["x", "k"], ["v", "i"], axis=1, largest=largest)],
        [("x", dtype, [3, 7])], [("v", dtype, None), ("i", "int64", None)], [i64("k", [3])])
    x = random_array(rng, [3, 7], dtype)
    x[0, 2] = x[0, 5]  # a tie: the lower index comes first
    check_model(kiln, tmp_path, model, {"x": x})


def test_integer_shape_arithmetic_folds(kiln, tmp_path):
    """Add/Mul/Where/Equal/Cast on shape values evaluate at import (no kernels for them)."""
    rng = np.random.default_rng(13)
    nodes = [
        helper.make_node("Shape", ["x"], ["shp"]),
        helper.make_node("Equal", ["shp", "four"], ["is4"]),
        helper.make_node("Where", ["is4", "minus1", "shp"], ["t0"]),
        helper.make_node("Add", ["t0", "zero"], ["t1"]),
        helper.make_node("Mul", ["t1", "one"], ["t2"]),
        helper.make_node("Cast", ["t2"], ["t3"], to=TensorProto.INT64),
        helper.make_node("Reshape", ["x", "t3"], ["y"]),
        helper.make_node("Range", ["zero0", "three", "one0"], ["r"]),
        helper.make_node("Unsqueeze", ["r", "ax1"], ["rc"]),
        helper.make_node("LessOrEqual", ["r", "rc"], ["mask"]),
    ]
    model = make_model(
        nodes, [("x", "float32", [3, 4])], [("y", "float32", None), ("mask", "bool", None)],
        [i64("four", 4), i64("minus1", -1), i64("zero", 0), i64("one", 1), i64("zero0", 0),
         i64("three", 3), i64("one0", 1), i64("ax1", [1])])
    path = str(tmp_path / "arith.onnx")
    onnx.save(model, path)
    proc = check_ok(run([kiln, "compile", path, "--compile-to=import", "--emit=mlir", "-o", "-"]))
    assert "dense<[3, -1]>" in proc.stdout, proc.stdout
    assert "kiln.add" not in proc.stdout and "kiln.mul" not in proc.stdout, proc.stdout
    check_model(kiln, tmp_path, model, {"x": random_array(rng, [3, 4], "float32")})
