"""test_resize.py — ONNX Resize and Upsample against onnxruntime.

Each test builds one model whose graph input feeds several Resize nodes (one per coordinate
transformation mode / rounding mode, scales- and sizes-driven, up- and downsampling, resizing
inner and outer axes), compiles it once with kiln and compares every output with onnxruntime on
seeded random inputs (normal + 0.5, never all zeros). scales/sizes/roi are initializers, as kiln
requires; the input is a graph input, so the resize kernel itself runs.

Tolerance (floats): rtol 1e-5 plus atol 1e-5. kiln computes the tap positions and weights in
double and rounds each weight to float32, then sums up to 4^k products in float32; onnxruntime
computes coordinates and weights in float32 and sums in another order. Each side is a few ulps
of sum(|w| * |x|) from the exact value: with 16 cubic taps over inputs |x| < 4 that is ~1e-6
absolute, which is large relative to an output that cancels to near zero (hence the atol);
any wrong tap or weight is off by ~1e-2 or more. Nearest is a pure copy: compared exactly.
"""
import os

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from kiln_e2e import check_ok, run
from test_data_movement import make_model, random_array, reference, write_pb_inputs

pytestmark = pytest.mark.compiler

COORDS = ["half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
          "asymmetric", "tf_crop_and_resize"]
SHAPE = [2, 3, 5, 6]


def check_model(kiln, tmp_path, model, feeds, rtol=0.0):
    """Compiles `model`, runs it on `feeds` and compares with onnxruntime: exactly, or within
    rtol plus atol 1e-5 (see the module docstring)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
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
        assert got.dtype == ref.dtype and got.shape == ref.shape, \
            f"{name}: {got.dtype}{got.shape}, expected {ref.dtype}{ref.shape}"
        if rtol:
            np.testing.assert_allclose(got, ref, rtol=rtol, atol=1e-5, err_msg=name)
        else:
            assert np.array_equal(got, ref), f"{name}: values differ"


def f32(name, values):
    return numpy_helper.from_array(np.asarray(values, dtype=np.float32), name)


def i64(name, values):
    return numpy_helper.from_array(np.asarray(values, dtype=np.int64), name)


def out_shape(sizes=None, scales=None, axes=None):
    axes = axes or list(range(len(SHAPE)))
    shape = list(SHAPE)
    for i, a in enumerate(axes):
        shape[a] = sizes[i] if sizes is not None else int(np.floor(scales[i] * SHAPE[a]))
    return shape


def resize_model(mode, cases, dtype="float32", **common):
    """cases: [(output name, attrs, scales|None, sizes|None, roi|None, axes|None)]."""
    nodes, inits, outputs = [], [], []
    for name, attrs, scales, sizes, roi, axes in cases:
        ins = ["x", "", "", ""]
        if roi is not None:
            inits.append(f32(name + "_roi", roi))
            ins[1] = name + "_roi"
        if scales is not None:
            inits.append(f32(name + "_scales", scales))
            ins[2] = name + "_scales"
        if sizes is not None:
            inits.append(i64(name + "_sizes", sizes))
            ins[3] = name + "_sizes"
        while ins[-1] == "":
            ins.pop()
        kw = dict(common, **attrs)
        if axes is not None:
            kw["axes"] = axes
        nodes.append(helper.make_node("Resize", ins, [name], mode=mode, **kw))
        outputs.append((name, dtype, out_shape(sizes, scales, axes)))
    return make_model(nodes, [("x", dtype, SHAPE)], outputs, inits, opset=19)


def coordinate_cases():
    """Every coordinate mode, upsampling the last two axes by scales and downsampling
    them by sizes; tf_crop_and_resize crops with a roi that extrapolates at one end."""
    cases = []
    for coords in COORDS:
        roi = [0.2, -0.1, 0.9, 1.2] if coords == "tf_crop_and_resize" else None
        attrs = {"coordinate_transformation_mode": coords}
        if coords == "tf_crop_and_resize":
            attrs["extrapolation_value"] = 7.0
        cases.append((f"up_{coords}", attrs, [1.6, 2.0], None, roi, [2, 3]))
        cases.append((f"down_{coords}", attrs, None, [3, 4], roi, [2, 3]))
    return cases


@pytest.mark.parametrize("mode", ["linear", "cubic"])
def test_resize_interpolating_coordinate_modes(kiln, tmp_path, mode):
    rng = np.random.default_rng(11)
    model = resize_model(mode, coordinate_cases())
    check_model(kiln, tmp_path, model, {"x": random_array(rng, SHAPE, "float32")}, rtol=1e-5)


def test_resize_nearest_coordinate_and_rounding_modes(kiln, tmp_path):
    rng = np.random.default_rng(12)
    cases = [c for c in coordinate_cases() if c[0].startswith("up_")]
    for rounding in ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]:
        cases.append((f"round_{rounding}", {"nearest_mode": rounding,
                                            "coordinate_transformation_mode": "asymmetric"},
                      None, [4, 9], None, [2, 3]))
    model = resize_model("nearest", cases)
    check_model(kiln, tmp_path, model, {"x": random_array(rng, SHAPE, "float32")})


def test_resize_cubic_options_and_outer_axes(kiln, tmp_path):
    """cubic_coeff_a, exclude_outside, resizing every axis, keep_aspect_ratio_policy."""
    rng = np.random.default_rng(13)
    cases = [
        ("cubic_a", {"cubic_coeff_a": -0.5}, [1.0, 1.0, 1.5, 0.5], None, None, None),
        ("exclude", {"exclude_outside": 1}, None, [2, 3, 8, 3], None, None),
        ("all_axes", {}, [2.0, 0.5, 1.2, 1.0], None, None, None),
        ("not_larger", {"keep_aspect_ratio_policy": "not_larger"}, None, [7, 9], None, [2, 3]),
        ("not_smaller", {"keep_aspect_ratio_policy": "not_smaller"}, None, [7, 9], None, [2, 3]),
    ]
    model = resize_model("cubic", cases)
    # keep_aspect_ratio_policy: the output shape follows the common scale.
    for out in model.graph.output:
        if out.name == "not_larger":
            out.type.tensor_type.shape.dim[2].dim_value, out.type.tensor_type.shape.dim[3].dim_value = 7, 8
        if out.name == "not_smaller":
            out.type.tensor_type.shape.dim[2].dim_value, out.type.tensor_type.shape.dim[3].dim_value = 8, 9
    check_model(kiln, tmp_path, model, {"x": random_array(rng, SHAPE, "float32")}, rtol=1e-5)


@pytest.mark.parametrize("dtype", ["float16", "int8", "uint8"])
def test_resize_other_dtypes(kiln, tmp_path, dtype):
    """Nearest copies any dtype; linear on f16 computes in f32 (compared to 1e-3, f16's
    own rounding)."""
    rng = np.random.default_rng(14)
    cases = [("near", {"nearest_mode": "floor"}, [1.0, 1.0, 2.0, 1.5], None, None, None)]
    model = resize_model("nearest", cases, dtype=dtype)
    check_model(kiln, tmp_path, model, {"x": random_array(rng, SHAPE, dtype)})
    if dtype == "float16":
        model = resize_model("linear", [("lin", {}, [1.0, 1.0, 2.0, 1.5], None, None, None)],
                             dtype=dtype)
        check_model(kiln, tmp_path / "lin", model, {"x": random_array(rng, SHAPE, dtype)},
                    rtol=1e-3)


def test_upsample(kiln, tmp_path):
    """Upsample (opset 9): nearest with integer scales, and linear."""
    rng = np.random.default_rng(15)
    inits = [f32("s", [1.0, 1.0, 2.0, 3.0])]
    nodes = [helper.make_node("Upsample", ["x", "s"], ["n"], mode="nearest"),
             helper.make_node("Upsample", ["x", "s"], ["l"], mode="linear")]
    shape = [2, 3, 10, 18]
    model = make_model(nodes, [("x", "float32", SHAPE)],
                       [("n", "float32", shape), ("l", "float32", shape)], inits, opset=9)
    check_model(kiln, tmp_path, model, {"x": random_array(rng, SHAPE, "float32")}, rtol=1e-5)


@pytest.mark.parametrize("mode", ["nearest", "linear", "cubic"])
def test_resize_runtime_scales_and_roi(kiln, tmp_path, mode):
    """scales and roi as graph inputs (as in the ONNX node tests): the declared output shape
    gives the result type and the coordinates are computed at run time. The scales keep
    scale * input integral and avoid inexact rounding ties: where scale * input is fractional
    onnxruntime's tf_crop_and_resize departs from the ONNX reference formula (kiln follows the
    reference, which the node tests check)."""
    rng = np.random.default_rng(16)
    scales = np.array([1.0, 1.0, 1.6, 0.5], np.float32)
    roi = np.array([0, 0, 0.2, -0.1, 1, 1, 0.9, 1.2], np.float32)
    shape = [2, 3, 8, 3]
    nodes = [helper.make_node("Resize", ["x", "", "s"], ["plain"], mode=mode,
                              coordinate_transformation_mode="half_pixel"),
             helper.make_node("Resize", ["x", "r", "s"], ["crop"], mode=mode,
                              coordinate_transformation_mode="tf_crop_and_resize",
                              extrapolation_value=-3.0)]
    model = make_model(nodes, [("x", "float32", SHAPE), ("r", "float32", [8]),
                               ("s", "float32", [4])],
                       [("plain", "float32", shape), ("crop", "float32", shape)], opset=19)
    feeds = {"x": random_array(rng, SHAPE, "float32"), "r": roi, "s": scales}
    check_model(kiln, tmp_path, model, feeds, rtol=0 if mode == "nearest" else 1e-5)


@pytest.mark.parametrize("mode", ["linear", "cubic"])
def test_resize_antialias(kiln, tmp_path, mode):
    """antialias widens the kernel by 1/scale when downsampling (up to 8 taps per dim here)."""
    rng = np.random.default_rng(17)
    cases = [("down", {"antialias": 1}, None, [2, 2], None, [2, 3]),
             ("mixed", {"antialias": 1}, [0.6, 1.5], None, None, [2, 3]),
             ("exclude", {"antialias": 1, "exclude_outside": 1}, None, [3, 4], None, [2, 3])]
    model = resize_model(mode, cases)
    check_model(kiln, tmp_path, model, {"x": random_array(rng, SHAPE, "float32")}, rtol=1e-5)


@pytest.mark.parametrize("policy", ["stretch", "not_larger", "not_smaller"])
def test_resize_runtime_sizes(kiln, tmp_path, policy):
    """sizes as a graph input: the declared output shape is the result type; with a
    keep_aspect_ratio_policy the common scale is computed in the graph at run time."""
    rng = np.random.default_rng(18)
    sizes = np.array([7, 9], np.int64)
    out = {"stretch": [7, 9], "not_larger": [7, 8], "not_smaller": [8, 9]}[policy]
    node = helper.make_node("Resize", ["x", "", "", "n"], ["y"], mode="linear", axes=[2, 3],
                            keep_aspect_ratio_policy=policy)
    model = make_model([node], [("x", "float32", SHAPE), ("n", "int64", [2])],
                       [("y", "float32", SHAPE[:2] + out)], opset=19)
    feeds = {"x": random_array(rng, SHAPE, "float32"), "n": sizes}
    check_model(kiln, tmp_path, model, feeds, rtol=1e-5)
