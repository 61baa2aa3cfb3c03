"""test_microkernels.py — the runtime's packed GEMM (runtime/Microkernels.inc), which computes
every f32/f16/bf16 MatMul, Gemm and NCHW Conv, on each ISA level's copy, against onnxruntime.

Shapes are chosen to hit the remainder paths: sizes 1, primes (7, 13, 31, 197), sizes that are
not multiples of a register tile (8 x 32 on AVX-512, 6 x 16 on AVX2, 6 x 8 on SSE) or of the
cache blocks (K > 256, N > 256), transposed operands, batches, strided/dilated/padded
convolutions. Weights given as initializers are packed once per process (MicrokernelCache);
the same models with the weights as inputs take the pack-every-call path. Each executable is
run on every code path this CPU can run (KILN_CPU_PATH), so the SSE, AVX2 and AVX-512 copies
are all checked here on an AVX-512 machine.

Inputs are seeded standard-normal, never zeros. Tolerance, relative L2 per output: f32 1e-5
(K <= 800 products summed in f32 in a different order from onnxruntime: ~sqrt(K) * 6e-8
relative), f16 2e-3 (inputs rounded to f16 are exact in f32; onnxruntime rounds its f16
result differently).
"""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from kiln_e2e import check_ok, read_outputs, reference, run, write_inputs

pytestmark = pytest.mark.compiler

PATHS = ["x86-64-v2", "x86-64-v3", "x86-64-v4"]
ONNX_TYPE = {np.float32: TensorProto.FLOAT, np.float16: TensorProto.FLOAT16}
TOL = {np.float32: 1e-5, np.float16: 2e-3}


def build(nodes, inputs, outputs, inits):
    """inputs/outputs: [(name, numpy dtype, shape)]; inits: {name: array}."""
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info(n, ONNX_TYPE[t], s) for n, t, s in inputs],
        [helper.make_tensor_value_info(n, ONNX_TYPE[t], s) for n, t, s in outputs],
        initializer=[onnx.numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def check_all_paths(tmp_path, compiled, model, feeds, dtype):
    path = str(tmp_path / "m.onnx")
    onnx.save(model, path)
    want = reference(path, feeds)
    exe = compiled(path)
    args = write_inputs(feeds, str(tmp_path / "in"))
    ran = []
    for cpu_path in PATHS:
        out = str(tmp_path / f"out-{cpu_path}")
        proc = run([exe, *args, "--output-dir", out], env={"KILN_CPU_PATH": cpu_path})
        if proc.returncode != 0 and "this CPU lacks" in proc.stderr:
            continue  # a path this machine cannot run
        check_ok(proc)
        ran.append(cpu_path)
        got = read_outputs(out, list(want))
        for name, ref in want.items():
            have = got[name]
            assert have.shape == ref.shape and have.dtype == ref.dtype, (cpu_path, name)
            r = ref.astype(np.float64)
            err = np.linalg.norm(have.astype(np.float64) - r) / np.linalg.norm(r)
            assert err <= TOL[dtype], f"{cpu_path} {name}: rel L2 {err:.3g} > {TOL[dtype]}"
    assert "x86-64-v2" in ran, "the SSE path must run on every x86-64 CPU"


MATMUL_SHAPES = [(1, 1, 1), (7, 13, 197), (197, 64, 31), (2, 300, 45), (33, 777, 290)]


@pytest.mark.parametrize("m,k,n", MATMUL_SHAPES)
@pytest.mark.parametrize("weights", ["initializer", "input"])
def test_matmul(tmp_path, compiled, m, k, n, weights):
    rng = np.random.default_rng(m * 1000 + k + n)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    inputs = [("a", np.float32, [m, k])]
    inits = {}
    feeds = {"a": a}
    if weights == "initializer":
        inits["b"] = b
    else:
        inputs.append(("b", np.float32, [k, n]))
        feeds["b"] = b
    model = build([helper.make_node("MatMul", ["a", "b"], ["y"])], inputs,
                  [("y", np.float32, [m, n])], inits)
    check_all_paths(tmp_path, compiled, model, feeds, np.float32)


@pytest.mark.parametrize("trans_a,trans_b", [(0, 1), (1, 0), (1, 1)])
def test_gemm_transposed(tmp_path, compiled, trans_a, trans_b):
    rng = np.random.default_rng(trans_a * 2 + trans_b)
    m, k, n = 19, 67, 41
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(np.float32)
    c = rng.standard_normal((n,)).astype(np.float32)
    model = build([helper.make_node("Gemm", ["a", "b", "c"], ["y"], transA=trans_a,
                                    transB=trans_b)],
                  [("a", np.float32, list(a.shape))], [("y", np.float32, [m, n])],
                  {"b": b, "c": c})
    check_all_paths(tmp_path, compiled, model, {"a": a}, np.float32)


def test_batch_matmul(tmp_path, compiled):
    # Attention-shaped: [batch*heads, seq, d] x [batch*heads, d, seq], both runtime inputs.
    rng = np.random.default_rng(7)
    a = rng.standard_normal((2, 3, 197, 31)).astype(np.float32)
    b = rng.standard_normal((2, 3, 31, 13)).astype(np.float32)
    model = build([helper.make_node("MatMul", ["a", "b"], ["y"])],
                  [("a", np.float32, list(a.shape)), ("b", np.float32, list(b.shape))],
                  [("y", np.float32, [2, 3, 197, 13])], {})
    check_all_paths(tmp_path, compiled, model, {"a": a, "b": b}, np.float32)


def test_matmul_f16_weights(tmp_path, compiled):
    rng = np.random.default_rng(16)
    a = rng.standard_normal((1, 37, 96)).astype(np.float16)
    b = (rng.standard_normal((96, 70)) * 0.2).astype(np.float16)
    model = build([helper.make_node("MatMul", ["a", "b"], ["y"])],
                  [("a", np.float16, list(a.shape))], [("y", np.float16, [1, 37, 70])],
                  {"b": b})
    check_all_paths(tmp_path, compiled, model, {"a": a}, np.float16)


# (batch, in channels, out channels, height, width, kernel, stride, pad, dilation)
CONV_CASES = {
    "3x3_same": (1, 5, 7, 13, 11, 3, 1, 1, 1),
    "3x3_s2_batch2": (2, 16, 33, 17, 19, 3, 2, 1, 1),
    "1x1": (1, 67, 40, 9, 31, 1, 1, 0, 1),
    "7x7_s2_p3": (1, 3, 64, 29, 23, 7, 2, 3, 1),
    "3x3_dilated": (1, 8, 12, 15, 15, 3, 1, 2, 2),
    "5x5_valid_wide": (1, 4, 9, 7, 300, 5, 1, 0, 1),
}


@pytest.mark.parametrize("case", sorted(CONV_CASES))
@pytest.mark.parametrize("weights", ["initializer", "input"])
def test_conv(tmp_path, compiled, case, weights):
    n, c, f, h, w, k, s, p, d = CONV_CASES[case]
    rng = np.random.default_rng(sum(CONV_CASES[case]))
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    wt = rng.standard_normal((f, c, k, k)).astype(np.float32)
    bias = rng.standard_normal((f,)).astype(np.float32)
    oh = (h + 2 * p - d * (k - 1) - 1) // s + 1
    ow = (w + 2 * p - d * (k - 1) - 1) // s + 1
    inputs = [("x", np.float32, [n, c, h, w])]
    feeds = {"x": x}
    inits = {"bias": bias}
    if weights == "initializer":
        inits["w"] = wt
    else:
        inputs.append(("w", np.float32, [f, c, k, k]))
        feeds["w"] = wt
    conv = helper.make_node("Conv", ["x", "w", "bias"], ["conv"], kernel_shape=[k, k],
                            strides=[s, s], pads=[p, p, p, p], dilations=[d, d])
    relu = helper.make_node("Relu", ["conv"], ["y"])
    model = build([conv, relu], inputs, [("y", np.float32, [n, f, oh, ow])], inits)
    check_all_paths(tmp_path, compiled, model, feeds, np.float32)


# (channels, height, width, kernel, stride, pad, dilation) of a depthwise Conv (group = C)
DEPTHWISE_CASES = {
    "3x3_same": (13, 17, 31, 3, 1, 1, 1),
    "3x3_s2": (32, 15, 15, 3, 2, 1, 1),
    "5x5_s2": (7, 24, 19, 5, 2, 2, 1),
    "3x3_dilated": (5, 12, 197, 3, 1, 2, 2),
    "1xW_row": (3, 1, 45, 3, 1, 1, 1),
}


@pytest.mark.parametrize("case", sorted(DEPTHWISE_CASES))
def test_depthwise_conv(tmp_path, compiled, case):
    c, h, w, k, s, p, d = DEPTHWISE_CASES[case]
    rng = np.random.default_rng(sum(DEPTHWISE_CASES[case]))
    x = rng.standard_normal((1, c, h, w)).astype(np.float32)
    wt = rng.standard_normal((c, 1, k, k)).astype(np.float32)
    bias = rng.standard_normal((c,)).astype(np.float32)
    oh = (h + 2 * p - d * (k - 1) - 1) // s + 1
    ow = (w + 2 * p - d * (k - 1) - 1) // s + 1
    conv = helper.make_node("Conv", ["x", "w", "bias"], ["conv"], kernel_shape=[k, k],
                            strides=[s, s], pads=[p, p, p, p], dilations=[d, d], group=c)
    clip = helper.make_node("Clip", ["conv", "lo", "hi"], ["y"])
    model = build([conv, clip], [("x", np.float32, [1, c, h, w])],
                  [("y", np.float32, [1, c, oh, ow])],
                  {"w": wt, "bias": bias, "lo": np.array(-1.0, np.float32),
                   "hi": np.array(6.0, np.float32)})
    check_all_paths(tmp_path, compiled, model, {"x": x}, np.float32)
