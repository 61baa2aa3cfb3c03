#!/usr/bin/env python3
"""evaluate.py — runs the compiled digits executable and checks it against onnxruntime.

Runs `EXE --input images=test_images.npy --output-dir TMP`, reads TMP/logits.npy, computes the
test accuracy, runs onnxruntime on the same images and compares the logits. Prints one line:

  kiln: 98.1% test accuracy (353/360) | onnxruntime: 98.1% | max |logit diff| 2.1e-06

Exits non-zero when the executable fails, or when its logits differ from onnxruntime's by more
than the tolerance (relative L2 error 1e-4: float32 reassociation across this 7-layer net gives
~1e-6), or when the two disagree on any predicted class.

usage: evaluate.py [--dir build/digits] [--exe DIR/digits] [--model DIR/digits.onnx]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

REL_L2_TOL = 1e-4


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default="build/digits", help="where train.py wrote its files")
    ap.add_argument("--exe", help="compiled executable (default: DIR/digits)")
    ap.add_argument("--model", help="ONNX model (default: DIR/digits.onnx)")
    a = ap.parse_args(argv)
    exe = os.path.abspath(a.exe or os.path.join(a.dir, "digits"))
    model = a.model or os.path.join(a.dir, "digits.onnx")
    if not os.access(exe, os.X_OK):
        print(f"evaluate: no executable {exe} (compile digits.onnx with kiln first)",
              file=sys.stderr)
        return 1
    images_path = os.path.join(a.dir, "test_images.npy")
    images = np.load(images_path)
    labels = np.load(os.path.join(a.dir, "test_labels.npy"))

    with tempfile.TemporaryDirectory(prefix="kiln-digits-") as out:
        r = subprocess.run([exe, "--input", f"images={images_path}", "--output-dir", out],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            print(f"evaluate: {exe} failed (exit {r.returncode}): {r.stderr.strip()}",
                  file=sys.stderr)
            return 1
        logits_path = os.path.join(out, "logits.npy")
        if not os.path.exists(logits_path):
            print(f"evaluate: {exe} wrote no logits.npy", file=sys.stderr)
            return 1
        kiln = np.load(logits_path)

    import onnxruntime as ort
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    ref = sess.run(["logits"], {"images": images})[0]
    if kiln.shape != ref.shape or kiln.dtype != ref.dtype:
        print(f"evaluate: logits are {kiln.dtype}{list(kiln.shape)}, "
              f"expected {ref.dtype}{list(ref.shape)}", file=sys.stderr)
        return 1

    n = len(labels)
    k_ok = int((kiln.argmax(1) == labels).sum())
    r_ok = int((ref.argmax(1) == labels).sum())
    max_diff = float(np.abs(kiln.astype(np.float64) - ref).max())
    rel = float(np.linalg.norm(kiln.astype(np.float64) - ref) / np.linalg.norm(ref))
    flips = int((kiln.argmax(1) != ref.argmax(1)).sum())
    print(f"kiln: {100.0 * k_ok / n:.1f}% test accuracy ({k_ok}/{n}) | "
          f"onnxruntime: {100.0 * r_ok / n:.1f}% | max |logit diff| {max_diff:.1e}")
    if not np.isfinite(rel) or rel > REL_L2_TOL or flips:
        print(f"evaluate: kiln and onnxruntime disagree: relative L2 error {rel:.2e} "
              f"(tolerance {REL_L2_TOL:.0e}), {flips} different predictions", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
