"""test_symbolic_shapes.py — shape subgraphs of symbolic dims (tracker issue 3).

Exporters compute Reshape targets, Expand shapes, Slice bounds and Range limits from the dims of
symbolic inputs (Shape → Squeeze/Slice → Concat → Reshape). A small BERT-like encoder built here
with onnx.helper repeats the exact patterns of the torch dynamo export of BERT (position ids
sliced to seq, token types expanded to [batch, seq], the mask built with Range/Expand/GatherND,
heads split with Concat(Shape(mask)[0], Shape(mask)[1], -1, 64) and allowzero, keys transposed
through [-1, seq, 64] reshapes). It is compiled once with batch and seq symbolic and run at
several sizes against onnxruntime.
"""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from kiln_e2e import assert_close, read_outputs, reference, run_exe

pytestmark = pytest.mark.compiler

HIDDEN, HEADS, FFN, VOCAB, MAX_POS = 32, 4, 64, 50, 64
HEAD_DIM = HIDDEN // HEADS


def _f32(name, rng, shape, scale=0.2):
    return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)


def _i64(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def bert_like(path, layers=2):
    rng = np.random.default_rng(21)
    n = helper.make_node
    inits = [
        _f32("word_emb", rng, [VOCAB, HIDDEN]), _f32("tok_emb", rng, [2, HIDDEN]),
        _f32("pos_emb", rng, [MAX_POS, HIDDEN]),
        _i64("position_ids", [list(range(MAX_POS))]), _i64("token_type_ids", [[0] * MAX_POS]),
        _f32("ln_g", rng, [HIDDEN]), _f32("ln_b", rng, [HIDDEN]),
        _i64("zero_1d", [0]), _i64("one_1d", [1]), _i64("minus1", [-1]), _i64("head_dim", [HEAD_DIM]),
        _i64("minus2", [-2]), _i64("int_max", [2**63 - 1]), _i64("int_min", [-2**63]),
        _i64("zero", 0), _i64("one", 1), _i64("axes_12", [1, 2]), _i64("axes_01", [0, 1]),
        _i64("axis3", [3]), _i64("axis2", [2]),
        numpy_helper.from_array(np.array(True), "true"),
        numpy_helper.from_array(np.array(0.0, np.float32), "f_zero"),
        numpy_helper.from_array(np.array(np.finfo(np.float32).min, np.float32), "f_min"),
        numpy_helper.from_array(np.array(HEAD_DIM ** -0.25, np.float32), "scale"),
    ]
    nodes = [
        n("Shape", ["attention_mask"], ["batch_1d"], start=0, end=1),
        n("Squeeze", ["batch_1d"], ["batch"]),
        n("Shape", ["attention_mask"], ["seq_1d"], start=1, end=2),
        n("Squeeze", ["seq_1d"], ["seq"]),
        # Embeddings: positions sliced to seq, token types expanded to [batch, seq].
        n("Slice", ["position_ids", "zero_1d", "seq_1d", "one_1d", "one_1d"], ["pos_ids"]),
        n("GatherElements", ["token_type_ids", "pos_ids"], ["tok_ids_1"], axis=1),
        n("Concat", ["batch_1d", "seq_1d"], ["batch_seq"], axis=0),
        n("Expand", ["tok_ids_1", "batch_seq"], ["tok_ids"]),
        n("Gather", ["word_emb", "input_ids"], ["e_word"], axis=0),
        n("Gather", ["tok_emb", "tok_ids"], ["e_tok"], axis=0),
        n("Add", ["e_word", "e_tok"], ["e_sum"]),
        n("Gather", ["pos_emb", "pos_ids"], ["e_pos"], axis=0),
        n("Add", ["e_sum", "e_pos"], ["e_all"]),
        n("LayerNormalization", ["e_all", "ln_g", "ln_b"], ["h0"], axis=-1, epsilon=1e-12),
        # Attention mask [batch, 1, seq, seq] from Range/Unsqueeze/Expand/GatherND.
        n("Cast", ["attention_mask"], ["mask_bool"], to=TensorProto.BOOL),
        n("Range", ["zero", "batch", "one"], ["ar_b"]),
        n("Range", ["zero", "seq", "one"], ["ar_s"]),
        n("Unsqueeze", ["ar_b", "axes_12"], ["ub1"]),
        n("Unsqueeze", ["ub1", "axis3"], ["ub2"]),
        n("Unsqueeze", ["ar_s", "axes_01"], ["us7"]),
        n("Unsqueeze", ["us7", "axis3"], ["us8"]),
        n("Unsqueeze", ["us7", "axis2"], ["us11"]),
        n("GreaterOrEqual", ["us8", "zero"], ["ge"]),
        n("And", ["true", "ge"], ["band"]),
        n("Max", ["ub2", "us11"], ["mx"]),
        n("Shape", ["mx"], ["mx_shape"], start=0),
        n("Expand", ["ub2", "mx_shape"], ["eb"]),
        n("Unsqueeze", ["eb", "minus1"], ["eb1"]),
        n("Expand", ["us11", "mx_shape"], ["es"]),
        n("Unsqueeze", ["es", "minus1"], ["es1"]),
        n("Concat", ["eb1", "es1"], ["nd_idx"], axis=-1),
        n("GatherND", ["mask_bool", "nd_idx"], ["m_keep"], batch_dims=0),
        n("And", ["band", "m_keep"], ["keep"]),
        n("Where", ["keep", "f_zero", "f_min"], ["mask_add"]),
        n("Concat", ["batch_1d", "seq_1d", "minus1", "head_dim"], ["heads_shape"], axis=0),
        n("Concat", ["batch_1d", "seq_1d", "minus1"], ["merge_shape"], axis=0),
    ]
    x = "h0"
    for l in range(layers):
        p = f"l{l}_"
        for w, shape in (("wq", [HIDDEN, HIDDEN]), ("wk", [HIDDEN, HIDDEN]), ("wv", [HIDDEN, HIDDEN]),
                         ("wo", [HIDDEN, HIDDEN]), ("w1", [HIDDEN, FFN]), ("w2", [FFN, HIDDEN])):
            inits.append(_f32(p + w, rng, shape))
        for b, size in (("bq", HIDDEN), ("bk", HIDDEN), ("bv", HIDDEN), ("bo", HIDDEN),
                        ("b1", FFN), ("b2", HIDDEN), ("g1", HIDDEN), ("be1", HIDDEN),
                        ("g2", HIDDEN), ("be2", HIDDEN)):
            inits.append(_f32(p + b, rng, [size]))
        for t in "qkv":
            nodes += [n("MatMul", [x, p + "w" + t], [p + t + "0"]),
                      n("Add", [p + t + "0", p + "b" + t], [p + t + "1"]),
                      n("Reshape", [p + t + "1", "heads_shape"], [p + t + "2"], allowzero=1),
                      n("Transpose", [p + t + "2"], [p + t], perm=[0, 2, 1, 3])]
        nodes += [
            # k^T through [-1, seq, 64] and back, as the export writes it.
            n("Shape", [p + "k"], [p + "ks"], start=0),
            n("Slice", [p + "ks", "minus1", "int_max"], [p + "ks_last"]),
            n("Slice", [p + "ks", "minus2", "minus1"], [p + "ks_seq"]),
            n("Slice", [p + "ks", "int_min", "minus2"], [p + "ks_lead"]),
            n("Concat", ["minus1", p + "ks_seq", p + "ks_last"], [p + "k3_shape"], axis=0),
            n("Reshape", [p + "k", p + "k3_shape"], [p + "k3"], allowzero=0),
            n("Transpose", [p + "k3"], [p + "k3t"], perm=[0, 2, 1]),
            n("Concat", [p + "ks_lead", p + "ks_last", p + "ks_seq"], [p + "kt_shape"], axis=0),
            n("Reshape", [p + "k3t", p + "kt_shape"], [p + "kt"], allowzero=0),
            n("Mul", [p + "q", "scale"], [p + "qs"]),
            n("Mul", [p + "kt", "scale"], [p + "kts"]),
            n("MatMul", [p + "qs", p + "kts"], [p + "scores"]),
            n("Add", [p + "scores", "mask_add"], [p + "masked"]),
            n("Softmax", [p + "masked"], [p + "sm"], axis=-1),
            n("IsNaN", [p + "sm"], [p + "nan"]),
            n("Where", [p + "nan", "f_zero", p + "sm"], [p + "probs"]),
            n("MatMul", [p + "probs", p + "v"], [p + "ctx"]),
            n("Transpose", [p + "ctx"], [p + "ctx_t"], perm=[0, 2, 1, 3]),
            n("Reshape", [p + "ctx_t", "merge_shape"], [p + "ctx_m"], allowzero=1),
            n("MatMul", [p + "ctx_m", p + "wo"], [p + "o0"]),
            n("Add", [p + "o0", p + "bo"], [p + "o1"]),
            n("Add", [p + "o1", x], [p + "r1"]),
            n("LayerNormalization", [p + "r1", p + "g1", p + "be1"], [p + "h1"], axis=-1,
              epsilon=1e-12),
            n("MatMul", [p + "h1", p + "w1"], [p + "f0"]),
            n("Add", [p + "f0", p + "b1"], [p + "f1"]),
            n("Gelu", [p + "f1"], [p + "f2"]),
            n("MatMul", [p + "f2", p + "w2"], [p + "f3"]),
            n("Add", [p + "f3", p + "b2"], [p + "f4"]),
            n("Add", [p + "f4", p + "h1"], [p + "r2"]),
            n("LayerNormalization", [p + "r2", p + "g2", p + "be2"], [p + "h2"], axis=-1,
              epsilon=1e-12),
        ]
        x = p + "h2"
    nodes.append(n("Identity", [x], ["hidden"]))
    graph = helper.make_graph(
        nodes, "bert_like",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "seq", HIDDEN])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
    model.ir_version = 9
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    return path


def bert_inputs(batch, seq, seed):
    rng = np.random.default_rng(seed)
    mask = np.ones([batch, seq], np.int64)
    mask[0, seq - seq // 4:] = 0  # padding at the end of the first sequence
    return {"input_ids": rng.integers(0, VOCAB, [batch, seq]).astype(np.int64),
            "attention_mask": mask}


def test_bert_like_one_executable_every_seq(compiled, tmp_path):
    path = bert_like(str(tmp_path / "bert_like.onnx"))
    exe = compiled(path)
    for batch, seq in ((1, 16), (2, 48), (1, 61)):
        feeds = bert_inputs(batch, seq, seed=seq)
        ref = reference(path, feeds)
        outdir = run_exe(exe, feeds, str(tmp_path / f"{batch}x{seq}"))
        assert_close(read_outputs(outdir, ref), ref)
