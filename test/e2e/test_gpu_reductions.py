"""test_gpu_reductions.py — kiln-gpu-tile-reductions (reductions shared by a warp or a block of
GPU threads) checked without a GPU.

Each case is one small ONNX graph around reductions along the innermost dims: LayerNorm and
Softmax over 768 with 128 rows (too few rows for warps: a block per row), Softmax over 100 with
1200 rows (a warp per row; 100 is not a multiple of 32, so lanes get 3 or 4 elements), an int32
ReduceMax (exact), ReduceSum over two axes with keepdims, ReduceSumSquare and ReduceMin (the
folded f(x) and other combiners), and a ReduceSum over a middle axis, which must stay on the
naive mapping (its lanes would not read adjacent elements).

- `--target cuda:host` runs the kernels' partials, shuffle-xor steps and the cross-warp step as
  loops in the device's order, compared with onnxruntime. Tolerance: REL_L2_TOL of kiln_e2e.py
  (1e-4) for float32: the sums run in another order than onnxruntime's, a few ulps apart over
  <= 768 terms, while a lane reading the wrong element or a missing partial gives ~1e-1;
  integers exactly.
- `--target cuda:sm_80,sm_90` (ptxas assembles each arch): warp reductions must appear as
  `shfl.sync.bfly.b32`, block reductions with `bar.sync` and a shared buffer, and the
  middle-axis case without shuffles.
What this cannot check: shuffles and barriers on real hardware (test/gpu/run_on_device.sh).
"""
import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import kiln_e2e
from kiln_e2e import (COMPILE_TIMEOUT_S, REL_L2_TOL, assert_matches, check_ok,
                      model_cases_fixture, random_inputs_full_range, read_outputs, reference,
                      run, run_exe)

pytestmark = pytest.mark.compiler

F32, I32 = TensorProto.FLOAT, TensorProto.INT32


def graph_model(nodes, inputs, outputs, inits=()):
    return kiln_e2e.graph_model(nodes, inputs, outputs, inits, opset=18)  # Reduce* axes inputs


def axes(name, values):
    return numpy_helper.from_array(np.array(values, np.int64), name)


def case_layernorm_softmax_block(rng):
    """LayerNorm then Softmax over 768, 2x64 rows: a block of 256 threads per row."""
    return graph_model(
        [helper.make_node("LayerNormalization", ["x", "s", "b"], ["l"], axis=-1, epsilon=1e-5),
         helper.make_node("Softmax", ["l"], ["y"], axis=-1)],
        [("x", F32, [2, 64, 768])], [("y", F32, [2, 64, 768])],
        [numpy_helper.from_array(rng.standard_normal(768).astype(np.float32), "s"),
         numpy_helper.from_array(rng.standard_normal(768).astype(np.float32), "b")])


def case_softmax_warps(rng):
    """Softmax over 100 with 3x8x50 = 1200 rows: a warp per row, lanes 0-3 get 4 elements."""
    return graph_model([helper.make_node("Softmax", ["x"], ["y"], axis=-1)],
                       [("x", F32, [3, 8, 50, 100])], [("y", F32, [3, 8, 50, 100])])


def case_reduce_max_int32(rng):
    """int32 ReduceMax over 300 of 40 rows: exact, identity INT_MIN."""
    return graph_model([helper.make_node("ReduceMax", ["x", "a"], ["y"], keepdims=0)],
                       [("x", I32, [40, 300])], [("y", I32, [40])], [axes("a", [1])])


def case_reduce_sum_two_axes(rng):
    """ReduceSum over H and W (9x11 = 99) of 2x16 maps, keepdims: a global pooling shape."""
    return graph_model([helper.make_node("ReduceSum", ["x", "a"], ["y"], keepdims=1)],
                       [("x", F32, [2, 16, 9, 11])], [("y", F32, [2, 16, 1, 1])],
                       [axes("a", [2, 3])])


def case_sum_square_and_min(rng):
    """ReduceSumSquare (f(x) = x * x folded per lane) and ReduceMin over 257 of 1500 rows."""
    return graph_model(
        [helper.make_node("ReduceSumSquare", ["x", "a"], ["s"], keepdims=0),
         helper.make_node("ReduceMin", ["x", "a"], ["m"], keepdims=0)],
        [("x", F32, [1500, 257])], [("s", F32, [1500]), ("m", F32, [1500])], [axes("a", [1])])


def case_middle_axis_naive(rng):
    """ReduceSum over the middle axis of 64x200x16: stays one thread per output."""
    return graph_model([helper.make_node("ReduceSum", ["x", "a"], ["y"], keepdims=0)],
                       [("x", F32, [64, 200, 16])], [("y", F32, [64, 16])], [axes("a", [1])])


CASES = {name[len("case_"):]: fn for name, fn in globals().items() if name.startswith("case_")}
NAIVE = {"middle_axis_naive"}
# Fewer than 132 x 8 outputs: a block per output (barrier and shared memory).
BLOCK_PER_OUTPUT = {"layernorm_softmax_block", "reduce_max_int32", "reduce_sum_two_axes"}


case_model = model_cases_fixture(CASES, seed=11, folder_name="gpu_reductions")


@pytest.mark.parametrize("name", sorted(CASES))
def test_reduction_matches_onnxruntime_on_host(case_model, compiled, tmp_path, name):
    path = case_model(name)
    exe = compiled(path, "--target", "cuda:host")
    feeds = random_inputs_full_range(path, seed=3)
    ref = reference(path, feeds)
    assert_matches(read_outputs(run_exe(exe, feeds, str(tmp_path)), ref), ref, REL_L2_TOL)


@pytest.mark.parametrize("name", sorted(CASES))
def test_reduction_kernel_shape_in_ptx(kiln, case_model, tmp_path, name):
    out = tmp_path / "lowered.mlir"
    check_ok(run([kiln, "compile", case_model(name), "--target", "cuda:sm_80,sm_90",
                  "--compile-to=llvm", "--emit=mlir", "-q", "-o", out], timeout=COMPILE_TIMEOUT_S))
    text = out.read_text()
    shuffles = "shfl.sync.bfly.b32" in text
    if name in NAIVE:
        assert not shuffles, "a middle-axis reduction should keep the naive mapping"
        return
    assert shuffles, "expected a warp reduction (shfl.sync.bfly)"
    block = "bar.sync" in text and ".shared .align 16 .b8" in text
    assert block == (name in BLOCK_PER_OUTPUT), \
        f"block-per-output {'expected' if name in BLOCK_PER_OUTPUT else 'unexpected'} for {name}"
