#!/usr/bin/env python3
"""models.py — generated benchmark models of the kinds kiln is slow on (issue 11).

Opset 17, weights from a seeded numpy RNG, nothing downloaded: same arguments, same bytes.
Shapes and op patterns follow what exporters write for such models, so the perf work on them
carries over to real ones.

  depthwise_cnn   EfficientNet/MobileNetV3-style at 1x3x224x224: stem conv 3x3/2, inverted
                  residual blocks (1x1 expand, 3x3 and 5x5 depthwise at stride 1 and 2, 1x1
                  project, residual Add) with Relu, Clip(0, 6) and HardSwish, 1x1 head conv,
                  GlobalAveragePool, Gemm to 1000 classes
  lstm            keyword spotting: features [50, 1, 40] -> LSTM 128 -> LSTM 128 -> last step
                  -> Gemm to 12 classes
  audio_features  log-mel front end, a graph of about a millisecond: waveform [1, 16000] ->
                  STFT (Hann window 400, hop 160: 98 frames x 201 bins) -> power -> 40 mel
                  filters (MatMul) -> Log(x + 1e-6): [1, 98, 40]
  bert_symbolic   2-layer BERT-like encoder: token and position embeddings, LayerNormalization,
                  4-head attention (MatMul, Softmax, MatMul), GELU by Erf; input_ids [1, seq]
  bert_static     the same graph and weights with seq = 128 in the model

`suite(outdir)` is what `bench.py --suite perf` runs: the models above, the BERT encoder three
times at seq 128 (the twin: see bench/README.md).

usage: models.py OUTDIR [--only NAME ...]    writes OUTDIR/<name>.onnx
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "test", "models"))
from make_models import GraphBuilder  # noqa: E402

OPSET = 17
BERT_SEQ = 128


def depthwise_cnn(seed=10, classes=1000):
    g = GraphBuilder("depthwise_cnn", seed)
    act = {"relu": lambda y: g.node("Relu", [y]), "relu6": g.clip6,
           "hswish": lambda y: g.node("HardSwish", [y])}
    x = g.input("pixels", [1, 3, 224, 224])
    y = act["hswish"](g.conv(x, 3, 16, 3, stride=2, pad=1))                  # 16 x 112 x 112

    def inverted_residual(y, cin, cout, k, stride, expand, a):
        c = cin * expand
        h = act[a](g.conv(y, cin, c, 1)) if expand > 1 else y                 # expand
        h = act[a](g.conv(h, c, c, k, stride, k // 2, group=c))               # depthwise
        h = g.conv(h, c, cout, 1)                                             # project (linear)
        return g.node("Add", [y, h]) if stride == 1 and cin == cout else h

    for cin, cout, k, stride, expand, a in [
            (16, 16, 3, 1, 1, "relu"),                                        # 112 x 112
            (16, 24, 3, 2, 4, "relu"), (24, 24, 3, 1, 3, "relu"),             # 56 x 56
            (24, 40, 5, 2, 3, "relu6"), (40, 40, 5, 1, 3, "relu6"),           # 28 x 28
            (40, 80, 3, 2, 6, "hswish"), (80, 80, 3, 1, 3, "hswish"),         # 14 x 14
            (80, 112, 3, 1, 6, "hswish"), (112, 112, 5, 1, 6, "hswish"),
            (112, 160, 5, 2, 6, "hswish")]:                                   # 7 x 7
        y = inverted_residual(y, cin, cout, k, stride, expand, a)
    y = act["hswish"](g.conv(y, 160, 640, 1))
    y = g.node("Flatten", [g.node("GlobalAveragePool", [y])], axis=1)
    g.output(g.gemm(y, 640, classes), "logits", [1, classes])
    return g.model(opset=OPSET)


def lstm(seed=11, seq=50, features=40, hidden=128, classes=12):
    g = GraphBuilder("lstm", seed)
    bound = 1 / np.sqrt(hidden)  # PyTorch's LSTM init: gates neither saturated nor flat

    def uniform(*shape):
        return g.const(g.rng.uniform(-bound, bound, shape).astype(np.float32), "lstm_w")

    axis1 = g.const(np.array([1], np.int64), "axes")
    y = g.input("features", [seq, 1, features])
    for cin in (features, hidden):
        # Y is [seq, directions, batch, hidden]; dropping the directions axis gives the next
        # layer's [seq, batch, hidden], as PyTorch's exporter does.
        y = g.node("LSTM", [y, uniform(1, 4 * hidden, cin), uniform(1, 4 * hidden, hidden),
                            uniform(1, 8 * hidden)], hidden_size=hidden)
        y = g.node("Squeeze", [y, axis1])
    last = g.node("Gather", [y, g.const(np.array(-1, np.int64), "last")], axis=0)  # [1, hidden]
    g.output(g.gemm(last, hidden, classes), "logits", [1, classes])
    return g.model(opset=OPSET)


def mel_filterbank(bins, mels, rate):
    """[bins, mels] triangular filters evenly spaced on the HTK mel scale over 0..rate/2."""
    hz = np.linspace(0, rate / 2, bins)
    mel_edges = np.linspace(0, 2595 * np.log10(1 + rate / 2 / 700), mels + 2)
    edges = 700 * (10 ** (mel_edges / 2595) - 1)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising, falling = (hz - lo) / (mid - lo), (hi - hz) / (hi - mid)
    return np.maximum(0, np.minimum(rising, falling)).T.astype(np.float32)


def audio_features(seed=12, samples=16000, frame=400, hop=160, mels=40, rate=16000):
    g = GraphBuilder("audio_features", seed)
    frames, bins = (samples - frame) // hop + 1, frame // 2 + 1
    x = g.input("waveform", [1, samples])
    signal = g.node("Unsqueeze", [x, g.const(np.array([2], np.int64), "axes")])  # [1, n, 1]
    hann = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(frame) / frame)).astype(np.float32)
    # [1, frames, bins, 2]; onesided=1 is the default, but onnx 1.23's shape inference
    # assumes 0 unless it is written out.
    spec = g.node("STFT", [signal, g.const(np.array(hop, np.int64), "hop"),
                           g.const(hann, "window")], onesided=1)
    power = g.node("ReduceSum", [g.node("Mul", [spec, spec]),
                                 g.const(np.array([-1], np.int64), "axes")], keepdims=0)
    energy = g.node("MatMul", [power, g.const(mel_filterbank(bins, mels, rate), "mel")])
    eps = g.const(np.array(1e-6, np.float32), "eps")
    g.output(g.node("Log", [g.node("Add", [energy, eps])]), "log_mel", [1, frames, mels])
    return g.model(opset=OPSET)


def bert(seq, seed=13, layers=2, hidden=256, heads=4, ffn=1024, vocab=1000, positions=512):
    """The encoder with input_ids [1, seq]; seq is a name (symbolic) or a number."""
    g = GraphBuilder("bert", seed)
    head = hidden // heads

    def dense(x, cin, cout):
        w = g.const((g.rng.standard_normal((cin, cout)) / np.sqrt(cin)).astype(np.float32),
                    "dense_w")
        return g.node("Add", [g.node("MatMul", [x, w]), g.const(g.small((cout,)), "dense_b")])

    def layer_norm(x):
        scale = g.const(g.rng.uniform(0.8, 1.2, hidden).astype(np.float32), "ln_scale")
        return g.node("LayerNormalization", [x, scale, g.const(g.small((hidden,)), "ln_bias")],
                      axis=-1, epsilon=1e-12)

    def scalar(v):
        return g.const(np.array(v, np.float32), "c")

    def shape(*dims):
        return g.const(np.array(dims, np.int64), "shape")

    def split_heads(t, perm):
        return g.node("Transpose", [g.node("Reshape", [t, shape(0, 0, heads, head)])],
                      perm=perm)

    ids = g.input("input_ids", [1, seq], TensorProto.INT64)
    # Position embeddings sliced to the sequence length read from the input (what the
    # exporters write): Shape -> Slice, static only once seq is known.
    length = g.node("Shape", [ids], start=1, end=2)
    pos = g.node("Slice", [g.const(g.small((positions, hidden), 1.0), "pos_emb"), shape(0),
                           length, shape(0)])
    tok = g.node("Gather", [g.const(g.small((vocab, hidden), 1.0), "tok_emb"), ids], axis=0)
    x = layer_norm(g.node("Add", [tok, pos]))                          # [1, seq, hidden]
    for _ in range(layers):
        q = split_heads(dense(x, hidden, hidden), [0, 2, 1, 3])       # [1, heads, seq, head]
        k = split_heads(dense(x, hidden, hidden), [0, 2, 3, 1])       # [1, heads, head, seq]
        v = split_heads(dense(x, hidden, hidden), [0, 2, 1, 3])
        scores = g.node("Div", [g.node("MatMul", [q, k]), scalar(np.sqrt(head))])
        ctx = g.node("MatMul", [g.node("Softmax", [scores], axis=-1), v])
        ctx = g.node("Reshape", [g.node("Transpose", [ctx], perm=[0, 2, 1, 3]),
                                 shape(0, 0, hidden)])
        x = layer_norm(g.node("Add", [x, dense(ctx, hidden, hidden)]))
        h = dense(x, hidden, ffn)
        erf = g.node("Erf", [g.node("Div", [h, scalar(np.sqrt(2.0))])])
        h = g.node("Mul", [g.node("Mul", [h, g.node("Add", [erf, scalar(1.0)])]), scalar(0.5)])
        x = layer_norm(g.node("Add", [x, dense(h, ffn, hidden)]))
    g.output(x, "last_hidden_state", [1, seq, hidden])
    return g.model(opset=OPSET)


GENERATORS = {
    "depthwise_cnn": depthwise_cnn,
    "lstm": lstm,
    "audio_features": audio_features,
    "bert_symbolic": lambda: bert("seq"),
    "bert_static": lambda: bert(BERT_SEQ),
}


def generate(outdir, names=None):
    """Writes the named models (default: all) into outdir; returns {name: path}."""
    os.makedirs(outdir, exist_ok=True)
    paths = {}
    for name in names or GENERATORS:
        model = GENERATORS[name]()
        model.graph.name = name
        onnx.checker.check_model(model, full_check=True)
        paths[name] = os.path.join(outdir, name + ".onnx")
        onnx.save_model(model, paths[name])
    return paths


def suite(outdir):
    """bench.py's `--suite perf`: one entry per table row. `shapes` are the input shapes to run
    at; with `bind`, they are also compiled in (kiln compile --input-shape). `twin_of` names the
    row a twin is compared with."""
    paths = generate(outdir)
    ids = {"input_ids": [1, BERT_SEQ]}
    rows = [{"name": n, "path": paths[n]} for n in ("depthwise_cnn", "lstm", "audio_features")]
    return rows + [
        # One executable for any seq, run at 128.
        {"name": "bert_symbolic", "path": paths["bert_symbolic"], "shapes": ids, "bind": False,
         "twin_of": "bert_static"},
        # The symbolic model compiled for seq 128 (--input-shape input_ids=1x128).
        {"name": "bert_symbolic_bound", "path": paths["bert_symbolic"], "shapes": ids,
         "twin_of": "bert_static"},
        {"name": "bert_static", "path": paths["bert_static"]},
    ]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--only", nargs="+", choices=list(GENERATORS), help="models to write")
    a = ap.parse_args(argv)
    for path in generate(a.outdir, a.only).values():
        print(path)


if __name__ == "__main__":
    sys.exit(main())
