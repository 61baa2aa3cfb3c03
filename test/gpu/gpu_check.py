#!/usr/bin/env python3
"""gpu_check.py — kiln's CUDA executables on a real GPU: numerics and timings.

Run on the lent GPU machine by run_on_device.sh, over the folder prepare.sh filled on a build
machine (the GPU machine has no LLVM 22 to build kiln with; the executables need only the
driver). Two sets of models, each optional:

Generated models (DIR/models/<name>.onnx, DIR/exe/<name>; test/models/make_models.py):
  1. numerics: the executable's outputs on seeded normal inputs against onnxruntime (CPU),
     relative L2 error <= 1e-4 per output (the CPU e2e suite's bound), two input seeds;
  2. timings (median ms): kiln (`EXE --bench N`: CUDA-graph replay timed with CUDA events),
     PyTorch eager and torch.compile(mode="reduce-overhead") on the same graph (an ONNX
     interpreter in torch ops below, weights on the GPU), each timed with CUDA events.

Shared models (DIR/shared/<name>/, prepare.sh --shared; executables with their weights
joined beside them in WORK/<name>/ by run_on_device.sh, the filled model as
WORK/<name>/filled.onnx):
  1. numerics against onnxruntime (CPU) on two seeds: pixels standard normal, input_ids
     uniform in [0, vocab) (vocab: the first dim of the embedding Gather's table),
     attention_mask all ones, then ones with the last quarter padded out; relative L2 error
     <= 1e-3 for f32 outputs, <= 2e-2 for f16 ones (the issues' bounds);
  2. timings: kiln `EXE --bench N`, and the real architectures (torch_models.py) eager and
     under torch.compile(mode="reduce-overhead"), plus fp16 columns for resnet50 and
     bert_base. A torch failure is an error cell.
torch.compile (of either set) is not started once --budget-s seconds have passed: its
compile time dominates the run, which must stay within one 10-minute device call.

--dry-run does everything but run the executables and torch: inputs, onnxruntime references,
the commands it would run (run_on_device.sh --dry-run uses it on a build machine). It does
start each shared model's executable once (`--bench 1`): kiln's runtime checks the weights'
size and hash before it looks for a GPU, so without one this still shows that the executable
accepts the rebuilt blob ("no NVIDIA driver" is then the expected stop).

usage: gpu_check.py DIR [--work WORK] [--models a,b] [--no-generated] [--no-shared] [--runs 50]
                    [--no-torch] [--no-torch-compile] [--budget-s 360] [--dry-run]
                    [--json OUT.json]
Exits 1 if any model's numerics fail or an executable fails to run.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import numpy_helper

REL_L2_TOL = 1e-4


def model_inputs(model, bound=None):
    """[(name, dtype, shape)] of a model's real inputs; symbolic dims from `bound`
    ({name: shape}), an error when an input has one and no binding."""
    inits = {i.name for i in model.graph.initializer}
    out = []
    for v in model.graph.input:
        if v.name in inits:
            continue
        t = v.type.tensor_type
        shape = (bound or {}).get(v.name) or [d.dim_value for d in t.shape.dim]
        if not all(shape):
            raise ValueError(f"input {v.name} has a symbolic dim and no --input-shape binding")
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


def compare_run(exe, feeds, ref, work, tol_of):
    """Runs `exe` on `feeds` in `work`; returns (its error text or None, [(relative L2 error,
    tolerance)] per output of `ref`). A wrong shape or a non-finite value counts as inf."""
    os.makedirs(work)
    proc, outdir = run_kiln(exe, feeds, work)
    if proc.returncode != 0:
        return proc.stderr.strip()[-500:], []
    errs = []
    for n, r in ref.items():
        got = np.load(os.path.join(outdir, n.replace("/", "_") + ".npy"))
        fine = got.shape == r.shape and np.all(np.isfinite(got))
        errs.append((rel_l2(got, r) if fine else float("inf"), tol_of(r)))
    return None, errs


def check_model(name, model_path, exe, a, deadline):
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
            if a.dry_run:
                continue
            error, errs = compare_run(exe, feeds, ref, os.path.join(tmp, str(seed)),
                                      lambda r: REL_L2_TOL)
            if error:
                row["error"] = error
                return row
            worst = max([worst] + [e for e, _ in errs])
        if a.dry_run:
            row["dry_run"] = f"would run {exe} (2 seeds, --bench {a.runs})"
            return row
        row["rel_l2"] = worst
        row["tol"] = REL_L2_TOL
        row["ok"] = worst <= REL_L2_TOL
        feeds = random_feeds(model, 0)
        proc, _ = run_kiln(exe, feeds, os.path.join(tmp, "1"), ["--bench", str(a.runs)])
        bench_ms(row, proc)
    if a.no_torch:
        return row
    try:
        import torch
        net = OnnxInTorch(model, "cuda")
        args = [torch.from_numpy(v).cuda() for v in feeds.values()]
        with torch.no_grad():
            row["eager_ms"] = time_cuda(net, args, a.runs)
            if not a.no_torch_compile and time.monotonic() > deadline:
                row["compile_ms"] = "skipped: time budget"
            elif not a.no_torch_compile:
                compiled = torch.compile(net, mode="reduce-overhead")
                row["compile_ms"] = time_cuda(compiled, args, a.runs, warmup=10)
            got = net(*args)
            ref = dict(zip(out_names, sess.run(None, feeds)))
            row["torch_rel_l2"] = max(rel_l2(g.float().cpu().numpy(), ref[n])
                                      for g, n in zip(got, out_names))
    except Exception as e:  # torch timing is informative; numerics decide the exit code
        row["torch_error"] = f"{type(e).__name__}: {e}"[:300]
    return row


def bench_ms(row, proc):
    """kiln_ms from `EXE --bench N`'s last line, `median_ms=...`."""
    lines = proc.stdout.strip().splitlines()
    if proc.returncode == 0 and lines and lines[-1].startswith("median_ms="):
        row["kiln_ms"] = float(lines[-1].split("=")[1])
    else:
        row["error"] = "bench: " + proc.stderr.strip()[-300:]


# ---- the shared models (../shared/models, prepare.sh --shared) ----

SHARED_ORDER = ["resnet50", "mobilenet_v2", "bert_base", "vit_b_16", "tinyllama_1b_2layer"]
SHARED_TOL = {np.dtype(np.float16): 2e-2}  # the issues' bounds; others (f32) below
SHARED_TOL_DEFAULT = 1e-3


def shared_inputs(graph, shapes_line):
    """[(name, dtype, shape)] of a weightless graph's inputs, symbolic dims bound by the
    `--input-shape NAME=AxB` arguments it was compiled with (prepare.sh's input_shapes)."""
    words = shapes_line.split()
    bound = {}
    for value in words[1::2]:
        name, _, dims = value.partition("=")
        bound[name] = [int(d) for d in dims.split("x")]
    return model_inputs(graph, bound)


def vocab_sizes(graph):
    """{input name: rows of the table} for each graph input used as Gather indices into an
    initializer (token ids: any value outside [0, rows) is not a valid input)."""
    tables = {i.name: list(i.dims) for i in graph.graph.initializer}
    return {n.input[1]: tables[n.input[0]][0] for n in graph.graph.node
            if n.op_type == "Gather" and n.input[0] in tables and len(n.input) > 1}


def shared_feeds(inputs, vocab, seed, padded):
    rng = np.random.default_rng(seed)
    feeds = {}
    for name, dtype, shape in inputs:
        if np.issubdtype(dtype, np.floating):
            feeds[name] = rng.standard_normal(shape).astype(dtype)
        elif name in vocab:
            feeds[name] = rng.integers(0, vocab[name], shape).astype(dtype)
        elif "mask" in name:
            mask = np.ones(shape, dtype)
            if padded:  # a realistic batch: the last quarter of the sequence is padding
                mask[..., shape[-1] - shape[-1] // 4:] = 0
            feeds[name] = mask
        else:
            feeds[name] = np.zeros(shape, dtype)
    return feeds


def check_shared(name, sdir, work, a, deadline):
    row = {"model": name, "shared": True}
    exe = os.path.join(work, name, name)
    filled = os.path.join(work, name, "filled.onnx")
    if not (os.path.isfile(exe + ".weights") and os.path.isfile(filled)):
        row["error"] = f"no joined weights in {os.path.dirname(exe)} (run_on_device.sh joins them)"
        return row
    graph = onnx.load(os.path.join(sdir, "model.onnx"), load_external_data=False)
    with open(os.path.join(sdir, "input_shapes")) as f:
        inputs = shared_inputs(graph, f.read())
    vocab = vocab_sizes(graph)
    import onnxruntime as ort
    sess = ort.InferenceSession(filled, providers=["CPUExecutionProvider"])
    out_names = [o.name for o in sess.get_outputs()]
    worst, ok, tols = 0.0, True, set()
    with tempfile.TemporaryDirectory() as tmp:
        for seed, padded in ((1, False), (7, True)):
            feeds = shared_feeds(inputs, vocab, seed, padded)
            ref = dict(zip(out_names, sess.run(None, feeds)))
            if not all(np.all(np.isfinite(r)) for r in ref.values()):
                row["error"] = f"onnxruntime's reference is not finite (seed {seed})"
                return row
            if a.dry_run:
                continue
            error, errs = compare_run(exe, feeds, ref, os.path.join(tmp, str(seed)),
                                      lambda r: SHARED_TOL.get(r.dtype, SHARED_TOL_DEFAULT))
            if error:
                row["error"] = error
                return row
            for err, tol in errs:
                tols.add(tol)
                worst = max(worst, err)
                ok = ok and err <= tol
        feeds = shared_feeds(inputs, vocab, 1, False)
        if a.dry_run:
            # The executable checks its weights' size and hash before it looks for a GPU, so
            # even without one this tells whether it accepts the rebuilt blob.
            proc = subprocess.run([exe, "--bench", "1"], capture_output=True, text=True,
                                  timeout=300)
            said = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "ran"
            if "weights" in proc.stderr:
                row["error"] = f"the executable refuses the rebuilt weights: {said}"
                return row
            row["dry_run"] = (f"inputs {[(n, list(s)) for n, _, s in inputs]}, onnxruntime ok; "
                              f"{name} --bench 1 accepts the weights (then: {said}); would run "
                              f"{exe} (2 seeds, --bench {a.runs}) and torch")
            return row
        row.update(rel_l2=worst, tol=max(tols), ok=ok)
        proc, _ = run_kiln(exe, feeds, os.path.join(tmp, "1"), ["--bench", str(a.runs)])
        bench_ms(row, proc)
    if not a.no_torch:
        import torch_models
        row.update(torch_models.time_architecture(name, feeds, a.runs,
                                                  not a.no_torch_compile, deadline))
    return row


def print_table(rows):
    def cell(v, spec=".3f"):
        if v is None:
            return "-"
        return format(v, spec) if isinstance(v, (int, float)) else "err"
    cols = [("kiln_ms", "kiln ms"), ("eager_ms", "eager ms"), ("compile_ms", "compile ms"),
            ("eager16_ms", "eager16 ms"), ("compile16_ms", "compile16 ms")]
    print(f"{'model':<28} {'ok':<4} {'rel_l2':>9} {'tol':>7} "
          + " ".join(f"{t:>12}" for _, t in cols) + f" {'kiln/compile':>12}")
    for r in rows:
        k, c = r.get("kiln_ms"), r.get("compile_ms")
        ratio = k / c if isinstance(k, float) and isinstance(c, float) and c > 0 else None
        ok = "dry" if r.get("dry_run") else ("yes" if r.get("ok") else "NO")
        print(f"{r['model']:<28} {ok:<4} {cell(r.get('rel_l2'), '.1e'):>9} "
              f"{cell(r.get('tol'), '.0e'):>7} "
              + " ".join(f"{cell(r.get(key)):>12}" for key, _ in cols)
              + f" {cell(ratio, '.2f'):>12}")
        for key, v in r.items():
            if key in ("error", "torch_error", "torch", "dry_run") or (
                    key.endswith("_ms") and isinstance(v, str)):
                print(f"  {key}: {v}")
    import torch_models
    for name, refs in torch_models.ISSUE_REFERENCE_MS.items():
        print(f"  issue reference, {name} fp16: "
              + ", ".join(f"{k} {v}" for k, v in refs.items()))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "kiln-gpu-work"),
                    help="where run_on_device.sh joined the shared models' weights")
    ap.add_argument("--models", help="comma-separated subset (generated or shared names)")
    ap.add_argument("--no-generated", action="store_true")
    ap.add_argument("--no-shared", action="store_true")
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--no-torch-compile", action="store_true")
    ap.add_argument("--budget-s", type=float, default=360,
                    help="no new torch.compile after this many seconds")
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--json")
    a = ap.parse_args(argv)
    deadline = time.monotonic() + a.budget_s
    wanted = set(a.models.split(",")) if a.models else None
    todo = []
    models_dir = os.path.join(a.dir, "models")
    if os.path.isdir(models_dir) and not a.no_generated:
        for fname in sorted(os.listdir(models_dir)):
            name = fname[:-5]
            exe = os.path.join(a.dir, "exe", name)
            if fname.endswith(".onnx") and os.path.exists(exe) and (not wanted or name in wanted):
                todo.append((name, lambda n=name, e=exe, f=fname:
                             check_model(n, os.path.join(models_dir, f), e, a, deadline)))
    shared_dir = os.path.join(a.dir, "shared")
    if os.path.isdir(shared_dir) and not a.no_shared:
        names = [n for n in os.listdir(shared_dir)
                 if os.path.isfile(os.path.join(shared_dir, n, "recipe.json"))]
        names.sort(key=lambda n: (SHARED_ORDER.index(n) if n in SHARED_ORDER else 99, n))
        for name in names:
            if not wanted or name in wanted:
                todo.append((name, lambda n=name: check_shared(
                    n, os.path.join(shared_dir, n), a.work, a, deadline)))
    if a.dry_run:
        a.no_torch = True
    rows = []
    for name, check in todo:
        print(f"gpu_check: {name}", file=sys.stderr, flush=True)
        try:
            rows.append(check())
        except Exception as e:  # one model's surprise must not lose the others' results
            rows.append({"model": name, "error": f"{type(e).__name__}: {e}"[:500]})
        if a.json:  # after each model, so a run cut off by its time limit keeps the rest
            with open(a.json, "w") as f:
                json.dump(rows, f, indent=1)
    print_table(rows)
    if a.dry_run:
        return 0 if rows and not any("error" in r for r in rows) else 1
    return 0 if rows and all(r.get("ok") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
