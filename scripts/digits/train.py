#!/usr/bin/env python3
"""train.py — trains the quick start's model: a small CNN on scikit-learn's 8x8 digits.

Plain numpy (im2col convolutions, hand-written backprop, Adam), seeded and single-threaded so
the same command writes the same model; well under a minute on one core. Exports ONNX:

  images: float[Nx1x8x8] (pixels scaled to [0,1], N = test-set size)
    -> Conv 3x3 (12 ch, pad 1) -> Relu -> MaxPool 2 -> Conv 3x3 (16 ch, pad 1) -> Relu
    -> Flatten -> Gemm -> logits: float[Nx10]

usage: train.py [--out build/digits] [--epochs 30] [--seed 0]
writes OUT/digits.onnx, OUT/test_images.npy (float32 Nx1x8x8), OUT/test_labels.npy (int64 N).
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core, and reproducible sums
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

C1, C2, CLASSES = 12, 16, 10


def im2col(x):
    """[N,C,H,W] -> [N,H*W,C*9]: 3x3 patches with zero padding 1, (c, ky, kx) order."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    cols = np.empty((n, c, 3, 3, h, w), x.dtype)
    for ky in range(3):
        for kx in range(3):
            cols[:, :, ky, kx] = xp[:, :, ky:ky + h, kx:kx + w]
    return cols.reshape(n, c * 9, h * w).transpose(0, 2, 1)


def col2im(cols, shape):
    """Adjoint of im2col: [N,H*W,C*9] -> [N,C,H,W], summing overlapping patches."""
    n, c, h, w = shape
    cols = cols.transpose(0, 2, 1).reshape(n, c, 3, 3, h, w)
    xp = np.zeros((n, c, h + 2, w + 2), cols.dtype)
    for ky in range(3):
        for kx in range(3):
            xp[:, :, ky:ky + h, kx:kx + w] += cols[:, :, ky, kx]
    return xp[:, :, 1:-1, 1:-1]


def conv_forward(x, w, b):
    n, _, h, wd = x.shape
    cols = im2col(x)
    y = cols @ w.reshape(w.shape[0], -1).T + b
    return y.transpose(0, 2, 1).reshape(n, w.shape[0], h, wd), cols


def conv_backward(dy, cols, w, x_shape):
    n, co, h, wd = dy.shape
    dy = dy.reshape(n, co, h * wd).transpose(0, 2, 1)            # [N,HW,Co]
    dw = np.einsum("npo,npk->ok", dy, cols).reshape(w.shape)
    db = dy.sum(axis=(0, 1))
    dx = col2im(dy @ w.reshape(co, -1), x_shape)
    return dx, dw, db


def maxpool_forward(x):
    n, c, h, w = x.shape
    win = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(
        n, c, h // 2, w // 2, 4)
    arg = win.argmax(axis=-1)
    return np.take_along_axis(win, arg[..., None], -1)[..., 0], arg


def maxpool_backward(dy, arg, x_shape):
    n, c, h, w = x_shape
    win = np.zeros((n, c, h // 2, w // 2, 4), dy.dtype)
    np.put_along_axis(win, arg[..., None], dy[..., None], -1)
    return win.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(x_shape)


def init_params(rng):
    def he(shape):
        return (rng.standard_normal(shape) * np.sqrt(2.0 / np.prod(shape[1:]))).astype(np.float32)
    return {
        "conv1_w": he((C1, 1, 3, 3)), "conv1_b": np.zeros(C1, np.float32),
        "conv2_w": he((C2, C1, 3, 3)), "conv2_b": np.zeros(C2, np.float32),
        "fc_w": he((CLASSES, C2 * 16)), "fc_b": np.zeros(CLASSES, np.float32),
    }


def forward(p, x):
    a1, cols1 = conv_forward(x, p["conv1_w"], p["conv1_b"])
    r1 = np.maximum(a1, 0)
    m1, arg1 = maxpool_forward(r1)
    a2, cols2 = conv_forward(m1, p["conv2_w"], p["conv2_b"])
    r2 = np.maximum(a2, 0)
    f = r2.reshape(len(x), -1)
    logits = f @ p["fc_w"].T + p["fc_b"]
    return logits, (x, a1, cols1, r1, m1, arg1, a2, cols2, f)


def backward(p, cache, dlogits):
    x, a1, cols1, r1, m1, arg1, a2, cols2, f = cache
    g = {"fc_w": dlogits.T @ f, "fc_b": dlogits.sum(0)}
    dr2 = (dlogits @ p["fc_w"]).reshape(a2.shape) * (a2 > 0)
    dm1, g["conv2_w"], g["conv2_b"] = conv_backward(dr2, cols2, p["conv2_w"], m1.shape)
    da1 = maxpool_backward(dm1, arg1, r1.shape) * (a1 > 0)
    _, g["conv1_w"], g["conv1_b"] = conv_backward(da1, cols1, p["conv1_w"], x.shape)
    return g


def softmax_xent(logits, labels):
    z = logits - logits.max(axis=1, keepdims=True)
    prob = np.exp(z)
    prob /= prob.sum(axis=1, keepdims=True)
    loss = -np.log(prob[np.arange(len(labels)), labels] + 1e-12).mean()
    prob[np.arange(len(labels)), labels] -= 1
    return loss, prob / len(labels)


def train(x, y, epochs, seed, lr=3e-3, batch=32, weight_decay=1e-4):
    rng = np.random.default_rng(seed)
    p = init_params(rng)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(v) for k, v in p.items()}
    b1, b2, step = 0.9, 0.999, 0
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        total = 0.0
        for i in range(0, len(x), batch):
            idx = order[i:i + batch]
            logits, cache = forward(p, x[idx])
            loss, dlogits = softmax_xent(logits, y[idx])
            total += loss * len(idx)
            grads = backward(p, cache, dlogits.astype(np.float32))
            step += 1
            rate = lr * (0.5 * (1 + np.cos(np.pi * epoch / epochs)))  # cosine decay per epoch
            for k in p:
                gk = grads[k] + weight_decay * p[k]
                m[k] = b1 * m[k] + (1 - b1) * gk
                v[k] = b2 * v[k] + (1 - b2) * gk * gk
                mh, vh = m[k] / (1 - b1 ** step), v[k] / (1 - b2 ** step)
                p[k] = (p[k] - rate * mh / (np.sqrt(vh) + 1e-8)).astype(np.float32)
        if epoch % 5 == 4 or epoch == epochs - 1:
            print(f"  epoch {epoch + 1:3d}/{epochs}  loss {total / len(x):.4f}", flush=True)
    return p


def export(p, n, path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inits = [numpy_helper.from_array(v, k) for k, v in p.items()]
    nodes = [
        helper.make_node("Conv", ["images", "conv1_w", "conv1_b"], ["conv1"], name="conv1",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv1"], ["relu1"], name="relu1"),
        helper.make_node("MaxPool", ["relu1"], ["pool1"], name="pool1",
                         kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["pool1", "conv2_w", "conv2_b"], ["conv2"], name="conv2",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv2"], ["relu2"], name="relu2"),
        helper.make_node("Flatten", ["relu2"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "digits_cnn",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [n, 1, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [n, CLASSES])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="kiln-digits", ir_version=10)
    onnx.checker.check_model(model, full_check=True)
    onnx.save_model(model, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="build/digits")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)

    from sklearn.datasets import load_digits
    t0 = time.time()
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]        # [1797,1,8,8] in [0,1]
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(a.seed).permutation(len(x))
    n_test = 360
    test, tr = order[:n_test], order[n_test:]

    print(f"train: {len(tr)} training / {n_test} test images, {a.epochs} epochs", flush=True)
    p = train(x[tr], y[tr], a.epochs, a.seed)
    logits, _ = forward(p, x[test])
    correct = int((logits.argmax(1) == y[test]).sum())
    print(f"train: numpy model: {100.0 * correct / n_test:.1f}% test accuracy "
          f"({correct}/{n_test}) in {time.time() - t0:.1f} s")

    os.makedirs(a.out, exist_ok=True)
    model_path = os.path.join(a.out, "digits.onnx")
    export(p, n_test, model_path)
    np.save(os.path.join(a.out, "test_images.npy"), np.ascontiguousarray(x[test]))
    np.save(os.path.join(a.out, "test_labels.npy"), y[test])
    print(f"train: wrote {model_path}, test_images.npy, test_labels.npy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
