"""test_recurrent.py — ONNX LSTM, GRU and RNN (unrolled by the importer) against onnxruntime.

Shapes and attribute combinations the ONNX node tests leave out: longer sequences, batch > 1,
bidirectional with initial states, runtime `sequence_lens` shorter than the sequence (masked
steps), `clip`, GRU `linear_before_reset`, LSTM peepholes, layout 1 and non-default
activations. The reference is onnxruntime, or for layout 1 (which onnxruntime rejects) ONNX's
reference implementation (which ignores sequence_lens and clip, so layout-1 cases use neither).
Weights are seeded random initializers (scaled so the gates do not saturate); X,
and where named the initial states and sequence_lens, are graph inputs, so the cell arithmetic
runs in the executable rather than being folded.

Tolerance: rtol 1e-4 plus atol 1e-5. Both sides compute in float32 with dot products of length
input_size or hidden_size (≤ 16), and the recurrence over ≤ 7 steps compounds rounding by a few
ulps per step through contracting tanh/sigmoid; a wrong gate order, bias or mask is off by 1e-2
or more.
"""
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from kiln_e2e import check_ok, reference, run, write_inputs

pytestmark = pytest.mark.compiler

SEQ, BATCH, INPUT, HIDDEN = 7, 3, 5, 6


def build(op, gates, directions, attrs, graph_inputs, seed, layout=0, peepholes=False):
    """An `op` model whose X (and inputs listed in `graph_inputs`) are graph inputs and whose
    weights are initializers. Returns (model, feeds)."""
    rng = np.random.default_rng(seed)
    scale = 0.4
    weights = {
        "W": rng.standard_normal((directions, gates * HIDDEN, INPUT)) * scale,
        "R": rng.standard_normal((directions, gates * HIDDEN, HIDDEN)) * scale,
        "B": rng.standard_normal((directions, 2 * gates * HIDDEN)) * scale,
    }
    x_shape = [SEQ, BATCH, INPUT] if layout == 0 else [BATCH, SEQ, INPUT]
    state_shape = [directions, BATCH, HIDDEN] if layout == 0 else [BATCH, directions, HIDDEN]
    feeds = {"X": rng.standard_normal(x_shape).astype(np.float32)}
    extra = {
        "sequence_lens": np.array([SEQ, 3, 5], dtype=np.int32),
        "initial_h": (rng.standard_normal(state_shape) * 0.5).astype(np.float32),
        "initial_c": (rng.standard_normal(state_shape) * 0.5).astype(np.float32),
    }
    if peepholes:
        weights["P"] = rng.standard_normal((directions, 3 * HIDDEN)) * scale
    inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, x_shape)]
    inits = [numpy_helper.from_array(v.astype(np.float32), k) for k, v in weights.items()]
    for name in graph_inputs:
        value = extra[name]
        feeds[name] = value
        dtype = TensorProto.INT32 if value.dtype == np.int32 else TensorProto.FLOAT
        inputs.append(helper.make_tensor_value_info(name, dtype, list(value.shape)))
    names = ["X", "W", "R", "B",
             "sequence_lens" if "sequence_lens" in graph_inputs else "",
             "initial_h" if "initial_h" in graph_inputs else ""]
    outputs = ["Y", "Y_h"]
    if op == "LSTM":
        names += ["initial_c" if "initial_c" in graph_inputs else "", "P" if peepholes else ""]
        outputs.append("Y_c")
    while names[-1] == "":
        names.pop()
    node = helper.make_node(op, names, outputs, hidden_size=HIDDEN, layout=layout, **attrs)
    graph = helper.make_graph(
        [node], op.lower(), inputs,
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    return model, feeds


def check(kiln, tmp_path, model, feeds, layout):
    path = str(tmp_path / "m.onnx")
    onnx.save(model, path)
    exe = str(tmp_path / "m.exe")
    check_ok(run([kiln, "compile", path, "-o", exe], timeout=600))
    if layout == 0:
        want = reference(path, feeds)
    else:  # onnxruntime rejects layout 1; ONNX's reference implementation takes it
        from onnx.reference import ReferenceEvaluator
        names = [o.name for o in model.graph.output]
        want = dict(zip(names, ReferenceEvaluator(model).run(None, feeds)))
    out = str(tmp_path / "out")
    check_ok(run([exe, *write_inputs(feeds, str(tmp_path / "in")), "--output-dir", out]))
    for name, ref in want.items():
        got = np.load(os.path.join(out, name + ".npy"))
        assert got.shape == ref.shape, f"{name}: shape {got.shape}, expected {ref.shape}"
        np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-5, err_msg=name)


CASES = {
    "lstm_bidirectional_lens": ("LSTM", 4, 2, {"direction": "bidirectional"},
                                ["sequence_lens", "initial_h", "initial_c"], 0, False),
    "lstm_peepholes_clip": ("LSTM", 4, 1, {"clip": 0.8}, ["initial_h", "initial_c"], 0, True),
    "lstm_reverse_layout1": ("LSTM", 4, 1, {"direction": "reverse"}, ["initial_h", "initial_c"],
                             1, True),
    "lstm_activations": ("LSTM", 4, 1, {"activations": ["HardSigmoid", "LeakyRelu", "Softsign"],
                                        "activation_alpha": [0.3, 0.2],
                                        "activation_beta": [0.4]}, [], 0, False),
    "gru_bidirectional_lens": ("GRU", 3, 2, {"direction": "bidirectional"},
                               ["sequence_lens", "initial_h"], 0, False),
    "gru_linear_before_reset_clip": ("GRU", 3, 1, {"linear_before_reset": 1, "clip": 1.0},
                                     ["initial_h", "sequence_lens"], 0, False),
    "gru_reverse_layout1": ("GRU", 3, 1, {"direction": "reverse", "linear_before_reset": 1},
                            ["initial_h"], 1, False),
    "rnn_bidirectional_relu": ("RNN", 1, 2, {"direction": "bidirectional",
                                             "activations": ["Relu", "Tanh"]},
                               ["sequence_lens", "initial_h"], 0, False),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_recurrent(kiln, tmp_path, case):
    op, gates, directions, attrs, graph_inputs, layout, peepholes = CASES[case]
    model, feeds = build(op, gates, directions, attrs, graph_inputs, seed=len(case),
                         layout=layout, peepholes=peepholes)
    check(kiln, tmp_path, model, feeds, layout)
