"""test_gpu_contractions.py — kiln-gpu-tile-contractions (shared-memory tiled GPU GEMMs and
implicit-GEMM convolutions) checked without a GPU.

Each case is one small ONNX graph around a contraction, with shapes chosen to hit the edges
of the tiling: M, N, K that are not multiples of the tiles (guards, zero padding, the partial
last k tile), enough blocks for the 64x64 tiles, transposed and broadcast operands, strided,
dilated, padded and grouped convolutions (implicit GEMM through the indexing maps), an
integer contraction, a fill and an epilogue folded into the kernel, and one case too narrow
for tiling (the naive mapping must still serve it).

- `--target cuda:host` runs the kernel's phases on the CPU (threads one after another per
  phase), so the index math, guards, shared-memory layout and fusion are compared with
  onnxruntime (the integer case with onnx's ReferenceEvaluator: see EXACT_REFERENCE).
  Tolerance: REL_L2_TOL of kiln_e2e.py for float32 (1e-4: the tiled kernel sums in the same
  k order as the naive loop, any wrong index gives ~1e-1); integers exactly;
  float16 2e-3 (kiln accumulates in f16 like the graph says, onnxruntime in f32; 2^-11
  relative rounding per add over K <= 64 terms stays well under it).
- `--target cuda:sm_80,sm_90` must put the tiled cases in shared memory with barriers
  (`.shared` and `bar.sync` in their PTX) and the narrow case not; float16 must use tensor
  cores (`mma.sync` m16n8k16 with f32 accumulators), float32 not (no tf32); shared tiles must
  be 16-byte aligned and read with vector loads, and the operands that allow it copied with
  vector global loads (GLOBAL_VECTORS).
  On the host, a tensor-core step is emulated per warp from the lanes' fragments (see
  GPUTileContractions.cpp), so the fragment layouts are checked too.
What this cannot check: barrier placement on real hardware and the driver; the lent GPU
does that (test/gpu/run_on_device.sh).
"""
import re

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from kiln_e2e import (COMPILE_TIMEOUT_S, REL_L2_TOL, assert_matches, check_ok, graph_model,
                      model_cases_fixture, random_inputs_full_range, read_outputs, reference,
                      run, run_exe)

pytestmark = pytest.mark.compiler

F32, F16 = TensorProto.FLOAT, TensorProto.FLOAT16


def weight(rng, name, shape, dtype=np.float32):
    fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
    return numpy_helper.from_array(
        (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(dtype), name)


def case_matmul_bias_relu(rng):
    """50x90 @ 90x80 + bias, relu: fill and epilogue folded; K=90 leaves a partial k tile."""
    return graph_model(
        [helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Add", ["m", "b"], ["a"]),
         helper.make_node("Relu", ["a"], ["y"])],
        [("x", F32, [50, 90])], [("y", F32, [50, 80])],
        [weight(rng, "w", [90, 80]), weight(rng, "b", [80])])


def case_matmul_large_tiles(rng):
    """768x768 outputs: 144 blocks of 64x64, the large-tile configuration; K=70."""
    return graph_model([helper.make_node("MatMul", ["x", "w"], ["y"])],
                       [("x", F32, [768, 70])], [("y", F32, [768, 768])],
                       [weight(rng, "w", [70, 768])])


def case_gemm_trans_b(rng):
    """Gemm with transB, alpha, beta and a bias: B read k-fastest, the bias as fill/epilogue."""
    return graph_model(
        [helper.make_node("Gemm", ["x", "w", "c"], ["y"], transB=1, alpha=0.5, beta=2.0)],
        [("x", F32, [33, 47])], [("y", F32, [33, 29])],
        [weight(rng, "w", [29, 47]), weight(rng, "c", [29])])


def case_batch_matmul_broadcast(rng):
    """[2,3,37,16] @ [16,41] (weights broadcast over the batch) and a true batched product."""
    return graph_model(
        [helper.make_node("MatMul", ["q", "w"], ["y"]), helper.make_node("MatMul", ["q", "k"], ["z"])],
        [("q", F32, [2, 3, 37, 16]), ("k", F32, [2, 3, 16, 23])],
        [("y", F32, [2, 3, 37, 41]), ("z", F32, [2, 3, 37, 23])],
        [weight(rng, "w", [16, 41])])


def case_conv_strided_grouped(rng):
    """3x3 conv, stride 2, dilation 2, asymmetric pads, 2 groups, bias, batch 2."""
    return graph_model(
        [helper.make_node("Conv", ["x", "w", "b"], ["y"], strides=[2, 2], dilations=[2, 2],
                          pads=[1, 2, 2, 1], group=2)],
        [("x", F32, [2, 8, 19, 17])], [("y", F32, [2, 32, 9, 8])],
        [weight(rng, "w", [32, 4, 3, 3]), weight(rng, "b", [32])])


def case_conv_1x1_relu(rng):
    """1x1 conv 64 -> 40 on 9x9, then Relu (an epilogue on a conv)."""
    return graph_model(
        [helper.make_node("Conv", ["x", "w"], ["c"]), helper.make_node("Relu", ["c"], ["y"])],
        [("x", F32, [1, 64, 9, 9])], [("y", F32, [1, 40, 9, 9])], [weight(rng, "w", [40, 64, 1, 1])])


def case_einsum_transposed(rng):
    """Einsum 'bik,bjk->bij': both operands contiguous along k."""
    return graph_model([helper.make_node("Einsum", ["a", "c"], ["y"], equation="bik,bjk->bij")],
                       [("a", F32, [3, 20, 24]), ("c", F32, [3, 30, 24])], [("y", F32, [3, 20, 30])])


def case_matmul_integer(rng):
    """MatMulInteger uint8 x int8 -> int32 with scalar zero points: an integer body, exact."""
    b = numpy_helper.from_array(rng.integers(-100, 100, (33, 24)).astype(np.int8), "b")
    azp = numpy_helper.from_array(np.array(7, np.uint8), "azp")
    bzp = numpy_helper.from_array(np.array(-3, np.int8), "bzp")
    return graph_model([helper.make_node("MatMulInteger", ["a", "b", "azp", "bzp"], ["y"])],
                       [("a", TensorProto.UINT8, [20, 33])], [("y", TensorProto.INT32, [20, 24])],
                       [b, azp, bzp])


def case_matmul_f16(rng):
    """float16 40x64 @ 64x48."""
    return graph_model([helper.make_node("MatMul", ["x", "w"], ["y"])],
                       [("x", F16, [40, 64])], [("y", F16, [40, 48])],
                       [weight(rng, "w", [64, 48], np.float16)])


def case_batch_matmul_f16_bias(rng):
    """float16 [2,70,50] @ [2,50,130] + bias: tensor cores with partial tiles in m, n and k,
    two batches, and an f16 epilogue after the f32 accumulators are rounded."""
    return graph_model(
        [helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Add", ["m", "b"], ["y"])],
        [("x", F16, [2, 70, 50]), ("w", F16, [2, 50, 130])], [("y", F16, [2, 70, 130])],
        [weight(rng, "b", [130], np.float16)])


def case_matvec_naive(rng):
    """3 rows: too narrow to tile, served by the naive mapping."""
    return graph_model([helper.make_node("MatMul", ["x", "w"], ["y"])],
                       [("x", F32, [3, 40])], [("y", F32, [3, 50])], [weight(rng, "w", [40, 50])])


CASES = {name[len("case_"):]: fn for name, fn in globals().items() if name.startswith("case_")}
NOT_TILED = {"matvec_naive"}
TENSOR_CORES = {"matmul_f16", "batch_matmul_f16_bias"}
# Operands copied to shared memory with vector global loads (ld.global.v2/v4/v8): unit-stride
# along the copy's fast dim, whose extent and every other stride are multiples of the width.
# Not the others: odd K (47) for transB, the convs' input rows start at ow + kw (unaligned) and
# their filters' fast dim kw has extent 1 or 3, and the f16 batch's K = 50 / N = 130 allow only
# 2 halves (one 32-bit load, not a .v load).
GLOBAL_VECTORS = {"matmul_bias_relu", "matmul_large_tiles", "matmul_f16", "einsum_transposed",
                  "batch_matmul_broadcast", "matmul_integer"}
# Checked against onnx's ReferenceEvaluator (int32 numpy, exact), not onnxruntime: on a CPU
# without VNNI (AVX2 or AVX-512F alone), onnxruntime's uint8 x int8 kernel multiplies with
# vpmaddubsw, which saturates each pair a[k]*b[k] + a[k+1]*b[k+1] to int16, so its MatMulInteger
# is wrong for full-range inputs (55 of this case's 480 outputs on such a CPU).
EXACT_REFERENCE = {"matmul_integer"}


case_model = model_cases_fixture(CASES, seed=5, folder_name="gpu_contractions")


@pytest.mark.parametrize("name", sorted(CASES))
def test_tiled_kernel_matches_onnxruntime_on_host(case_model, compiled, tmp_path, name):
    path = case_model(name)
    exe = compiled(path, "--target", "cuda:host")
    feeds = random_inputs_full_range(path, seed=2)
    if name in EXACT_REFERENCE:
        evaluator = ReferenceEvaluator(path)
        ref = dict(zip(evaluator.output_names, evaluator.run(None, feeds)))
    else:
        ref = reference(path, feeds)
    got = read_outputs(run_exe(exe, feeds, str(tmp_path)), ref)
    assert_matches(got, ref, 2e-3 if any(v.dtype == np.float16 for v in ref.values())
                   else REL_L2_TOL)


@pytest.mark.parametrize("name", sorted(CASES))
def test_tiled_kernel_uses_shared_memory(kiln, case_model, tmp_path, name):
    out = tmp_path / "lowered.mlir"
    check_ok(run([kiln, "compile", case_model(name), "--target", "cuda:sm_80,sm_90",
                  "--compile-to=llvm", "--emit=mlir", "-q", "-o", out], timeout=COMPILE_TIMEOUT_S))
    text = out.read_text()
    shared = re.search(r"\.shared \.align \d+ \.b8", text) is not None
    barrier = "bar.sync" in text
    if name in NOT_TILED:
        assert not shared and not barrier, "a 3-row product should use the naive mapping"
    else:
        assert shared and barrier, "expected a shared-memory tiled kernel with barriers"
    if name not in NOT_TILED:
        # Shared tiles are 16-byte aligned and read as vectors: a SIMT thread's run of
        # A/B values (ld.shared.v2/v4), a tensor-core fragment's k pair (ld.shared.b32, never
        # two ld.shared.b16).
        assert ".shared .align 16 .b8" in text, "shared tiles should be 16-byte aligned"
        if name in TENSOR_CORES:
            assert "ld.shared.b32" in text and "ld.shared.b16" not in text
        else:
            assert re.search(r"ld\.shared\.v[24]\.", text), "expected vector shared loads"
    global_vectors = re.search(r"ld\.global(\.nc)?\.v[248]\.", text) is not None
    assert global_vectors == (name in GLOBAL_VECTORS), \
        f"vector global loads {'expected' if name in GLOBAL_VECTORS else 'unexpected'} for {name}"
    tensor_cores = "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32" in text
    assert tensor_cores == (name in TENSOR_CORES), \
        f"tensor cores {'expected' if name in TENSOR_CORES else 'unexpected'} for {name}"
