#!/usr/bin/env python3
"""gpu_check.py — kiln's CUDA executables on a real GPU: numerics and timings.

Run on the lent GPU machine by run_on_device.sh, over the folder prepare.sh filled on a build
machine (the GPU machine has no LLVM 22 to build kiln with; the executables need only the
driver). For each model:

  1. numerics: the executable's outputs on seeded normal inputs against onnxruntime (CPU),
     relative L2 error <= 1e-4 per output (the CPU e2e suite's bound), two input seeds;
  2. timings (median ms): kiln (`EXE --bench N`: CUDA-graph replay timed with CUDA events),
     PyTorch eager and torch.compile(mode="reduce-overhead") on the same graph (an ONNX
     interpreter in torch ops below, weights on the GPU), each timed with CUDA events.

usage: gpu_check.py DIR [--runs 50] [--no-torch-compile] [--json OUT.json]
DIR holds models/<name>.onnx and exe/<name> (see prepare.sh). Exits 1 if any model's
numerics fail or an executable fails to run.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

REL_L2_TOL = 1e-4


def model_inputs(model):
    inits = {i.name for i in model.graph.initializer}
    out = []
    for v in model.graph.input:
        if v.name in inits:
            continue
        t = v.type.tensor_type
        shape = [d.dim_value for d in t.shape.dim]
        out.append((v.name, onnx.helper.tensor_dtype_to_np_dtype(t.elem_type), shape))
    return out


def random_feeds(model, seed):
    rng = np.random.default_rng(seed)
    return {n: rng.standard_normal(s).astype(dt) for n, dt, s in model_inputs(model)}


def rel_l2(a, b):
    denom = np.linalg.norm(b.astype(np.float64))
    return float(np.linalg.norm(a.astype(np.float64) - b) / (denom if denom > 0 else 1.0))


def run_kiln(exe, feeds, workdir, extra=()):
    args = []
    for name, arr in feeds.items():
        path = os.path.join(workdir, name.replace("/", "_") + ".npy")
        np.save(path, arr)
        args += ["--input", f"{name}={path}"]
    outdir = os.path.join(workdir, "out")
    proc = subprocess.run([exe, *args, "--output-dir", outdir, *extra],
                          capture_output=True, text=True, timeout=600)
    return proc, outdir


# ---- ONNX graph interpreted with torch ops (the op set of test/models/make_models.py) ----

def attrs_of(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def same_upper_pads(in_size, kernel, stride, dilation=1):
    out = -(-in_size // stride)
    total = max(0, (out - 1) * stride + (kernel - 1) * dilation + 1 - in_size)
    return total // 2, total - total // 2


class OnnxInTorch:
    """Runs an ONNX graph node by node with torch ops; a plain callable torch.compile can
    trace (the node loop unrolls)."""

    def __init__(self, model, device):
        import torch
        self.torch = torch
        self.nodes = list(model.graph.node)
        self.consts = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()).to(device)
                       for i in model.graph.initializer}
        for n in self.nodes:
            if n.op_type == "Constant":
                self.consts[n.output[0]] = torch.from_numpy(
                    numpy_helper.to_array(attrs_of(n)["value"]).copy()).to(device)
        self.inputs = [n for n, _, _ in model_inputs(model)]
        self.outputs = [o.name for o in model.graph.output]
        self.attrs = [attrs_of(n) for n in self.nodes]

    def __call__(self, *args):
        env = dict(self.consts)
        env.update(zip(self.inputs, args))
        for node, a in zip(self.nodes, self.attrs):
            if node.op_type == "Constant":
                continue
            ins = [env[i] if i else None for i in node.input]
            outs = self.op(node.op_type, ins, a)
            env[node.output[0]] = outs
        return tuple(env[o] for o in self.outputs)

    def op(self, op, x, a):
        torch = self.torch
        F = torch.nn.functional
        if op == "Relu":
            return F.relu(x[0])
        if op == "Sigmoid":
            return torch.sigmoid(x[0])
        if op == "Add":
            return x[0] + x[1]
        if op == "Sub":
            return x[0] - x[1]
        if op == "Mul":
            return x[0] * x[1]
        if op == "Div":
            return x[0] / x[1]
        if op == "Identity":
            return x[0]
        if op == "Clip":
            lo = x[1] if len(x) > 1 and x[1] is not None else None
            hi = x[2] if len(x) > 2 and x[2] is not None else None
            return torch.clamp(x[0], min=lo, max=hi)
        if op == "MatMul":
            return torch.matmul(x[0], x[1])
        if op == "Gemm":
            A = x[0].t() if a.get("transA", 0) else x[0]
            B = x[1].t() if a.get("transB", 0) else x[1]
            y = a.get("alpha", 1.0) * (A @ B)
            if len(x) > 2 and x[2] is not None:
                y = y + a.get("beta", 1.0) * x[2]
            return y
        if op == "Flatten":
            axis = a.get("axis", 1)
            return x[0].reshape(int(np.prod(x[0].shape[:axis])), -1)
        if op == "Reshape":
            shape = [int(s) for s in x[1].tolist()]
            shape = [x[0].shape[i] if s == 0 else s for i, s in enumerate(shape)]
            return x[0].reshape(shape)
        if op == "Transpose":
            return x[0].permute(*a["perm"])
        if op == "Concat":
            return torch.cat(x, dim=a["axis"])
        if op == "Softmax":
            return torch.softmax(x[0], dim=a.get("axis", -1))
        if op == "GlobalAveragePool":
            return x[0].mean(dim=(2, 3), keepdim=True)
        if op == "ReduceMean":
            axes = [int(v) for v in x[1].tolist()] if len(x) > 1 else a["axes"]
            return x[0].mean(dim=axes, keepdim=bool(a.get("keepdims", 1)))
        if op == "BatchNormalization":
            return F.batch_norm(x[0], x[3], x[4], x[1], x[2], False, 0.0, a.get("epsilon", 1e-5))
        if op in ("Conv", "MaxPool", "AveragePool"):
            return self.windowed(op, x, a)
        raise NotImplementedError(f"op {op} in the torch interpreter")

    def windowed(self, op, x, a):
        F = self.torch.nn.functional
        inp = x[0]
        k = a["kernel_shape"] if "kernel_shape" in a else list(x[1].shape[2:])
        strides = a.get("strides", [1] * len(k))
        dil = a.get("dilations", [1] * len(k))
        pads = a.get("pads", [0] * (2 * len(k)))
        if a.get("auto_pad", b"NOTSET") in (b"SAME_UPPER", "SAME_UPPER", b"SAME_LOWER", "SAME_LOWER"):
            lower = a["auto_pad"] in (b"SAME_LOWER", "SAME_LOWER")
            pads = [0] * (2 * len(k))
            for i in range(len(k)):
                p0, p1 = same_upper_pads(inp.shape[2 + i], k[i], strides[i], dil[i])
                pads[i], pads[len(k) + i] = (p1, p0) if lower else (p0, p1)
        # torch pads symmetrically: pad explicitly (last dim first) and use padding 0.
        flat = []
        for i in reversed(range(len(k))):
            flat += [pads[i], pads[len(k) + i]]
        if op == "MaxPool":
            inp = F.pad(inp, flat, value=float("-inf"))
            return F.max_pool2d(inp, k, strides, 0, dil)
        if op == "AveragePool":
            if a.get("count_include_pad", 0):
                return F.avg_pool2d(F.pad(inp, flat), k, strides, 0)
            ones = self.torch.ones_like(inp[:1, :1])
            s = F.avg_pool2d(F.pad(inp, flat), k, strides, 0, divisor_override=1)
            c = F.avg_pool2d(F.pad(ones, flat), k, strides, 0, divisor_override=1)
            return s / c
        inp = F.pad(inp, flat)
        bias = x[2] if len(x) > 2 else None
        return F.conv2d(inp, x[1], bias, strides, 0, dil, a.get("group", 1))


def time_cuda(fn, args, runs, warmup=5):
    import torch
    for _ in range(warmup):
        fn(*args)
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn(*args)
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    return float(np.median(times))


def check_model(name, model_path, exe, a):
    row = {"model": name}
    model = onnx.load(model_path)
    import onnxruntime as ort
    sess = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    out_names = [o.name for o in sess.get_outputs()]
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for seed in (1, 7):
            feeds = random_feeds(model, seed)
            ref = dict(zip(out_names, sess.run(None, feeds)))
            work = os.path.join(tmp, str(seed))
            os.makedirs(work)
            proc, outdir = run_kiln(exe, feeds, work)
            if proc.returncode != 0:
                row["error"] = proc.stderr.strip()[-500:]
                return row
            for n, r in ref.items():
                got = np.load(os.path.join(outdir, n.replace("/", "_") + ".npy"))
                if got.shape != r.shape or not np.all(np.isfinite(got)):
                    worst = float("inf")
                else:
                    worst = max(worst, rel_l2(got, r))
        row["rel_l2"] = worst
        row["ok"] = worst <= REL_L2_TOL
        feeds = random_feeds(model, 0)
        proc, _ = run_kiln(exe, feeds, os.path.join(tmp, "1"), ["--bench", str(a.runs)])
        lines = proc.stdout.strip().splitlines()
        if proc.returncode == 0 and lines and lines[-1].startswith("median_ms="):
            row["kiln_ms"] = float(lines[-1].split("=")[1])
        else:
            row["error"] = "bench: " + proc.stderr.strip()[-300:]
    try:
        import torch
        net = OnnxInTorch(model, "cuda")
        args = [torch.from_numpy(v).cuda() for v in feeds.values()]
        with torch.no_grad():
            row["eager_ms"] = time_cuda(net, args, a.runs)
            if not a.no_torch_compile:
                compiled = torch.compile(net, mode="reduce-overhead")
                row["compile_ms"] = time_cuda(compiled, args, a.runs, warmup=10)
            got = net(*args)
            ref = dict(zip(out_names, sess.run(None, feeds)))
            row["torch_rel_l2"] = max(rel_l2(g.float().cpu().numpy(), ref[n])
                                      for g, n in zip(got, out_names))
    except Exception as e:  # torch timing is informative; numerics decide the exit code
        row["torch_error"] = f"{type(e).__name__}: {e}"[:300]
    return row


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--no-torch-compile", action="store_true")
    ap.add_argument("--json")
    a = ap.parse_args(argv)
    rows = []
    for fname in sorted(os.listdir(os.path.join(a.dir, "models"))):
        if not fname.endswith(".onnx"):
            continue
        name = fname[:-5]
        exe = os.path.join(a.dir, "exe", name)
        if not os.path.exists(exe):
            continue
        print(f"gpu_check: {name}", file=sys.stderr, flush=True)
        rows.append(check_model(name, os.path.join(a.dir, "models", fname), exe, a))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)

    def fmt(v, spec=".3f"):
        return "-" if v is None else format(v, spec)
    print(f"{'model':<28} {'ok':<4} {'rel_l2':>9} {'kiln ms':>9} {'eager ms':>9} "
          f"{'compile ms':>10} {'kiln/compile':>12}")
    for r in rows:
        ratio = (r["kiln_ms"] / r["compile_ms"]) if r.get("kiln_ms") and r.get("compile_ms") else None
        print(f"{r['model']:<28} {('yes' if r.get('ok') else 'NO'):<4} "
              f"{fmt(r.get('rel_l2'), '.1e'):>9} {fmt(r.get('kiln_ms')):>9} "
              f"{fmt(r.get('eager_ms')):>9} {fmt(r.get('compile_ms')):>10} {fmt(ratio, '.2f'):>12}")
        for k in ("error", "torch_error"):
            if k in r:
                print(f"  {k}: {r[k]}")
    return 0 if rows and all(r.get("ok") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
