#!/usr/bin/env python3
"""bench.py — kiln against onnxruntime on CPU: compile time, code size, latency.

For each model: times `kiln compile`, measures the executable without its weights payload
(runtime/ABI.md: ELF image | zero padding | weights | 32-byte trailer), then measures latency
A/B interleaved in one process tree so both see the same machine state. Before timing,
one run's outputs are compared with onnxruntime's (relative L2 <= 1e-4; 2e-2 for f16 outputs). Each round runs
`EXE --bench N` (its printed median) and N timed onnxruntime runs in-process after warm-up
(their median); the reported figure is the median over rounds. Both sides get the same
thread budget: KILN_NUM_THREADS=T for kiln, intra_op_num_threads=T / inter_op_num_threads=1
for onnxruntime. ratio = kiln / onnxruntime: below 1 means kiln is faster.

Suites (--suite, repeatable): `default`, the generated resnet_style and mobilenet_v2_style
test models at 224x224 (what runs when neither --model nor --suite is given); `perf`, the
generated models of the kinds kiln is slow on (bench/models.py: depthwise CNN, LSTM, audio
features, a BERT encoder with symbolic and static seq). Rows that have a twin (the same model
with its dims static) get a line under the table with both sides' symbolic/static ratio.

usage: bench.py [--model PATH ...] [--suite default|perf ...] [--only NAME ...]
                [--input-shape NAME=1x3x224x224 ...] [--rounds 7] [--runs 10] [--threads 2]
                [--kiln build/bin/kiln] [--workdir build/bench] [--json RESULTS.json]
"""
import argparse
import json
import os
import statistics
import struct
import subprocess
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAILER_MAGIC = b"KILNWTS1"
TRAILER_BYTES = 32


class BenchError(Exception):
    pass


def elf_end(head):
    """End offset of the ELF image described by `head` (the file's first bytes), or None."""
    if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
        return None  # not a little-endian ELF64
    phoff, shoff = struct.unpack_from("<QQ", head, 0x20)
    phentsize, phnum, shentsize, shnum = struct.unpack_from("<HHHH", head, 0x36)
    end = shoff + shentsize * shnum
    for i in range(phnum):
        off = phoff + i * phentsize
        if off + 56 > len(head):
            break
        p_offset, _, _, p_filesz = struct.unpack_from("<QQQQ", head, off + 8)
        end = max(end, p_offset + p_filesz)
    return end


def exe_sizes(path):
    """(file bytes, code bytes = file minus padding, weights and trailer, weights bytes)."""
    total = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(1 << 16)
        f.seek(max(total - TRAILER_BYTES, 0))
        trailer = f.read(TRAILER_BYTES)
    weights = 0
    code = total
    if len(trailer) == TRAILER_BYTES and trailer[:8] == TRAILER_MAGIC:
        offset, weights, _ = struct.unpack("<QQQ", trailer[8:])
        code = offset if offset else total - weights - TRAILER_BYTES
        end = elf_end(head)
        if end is not None and end <= code:
            code = end  # drop the zero padding too
    return total, code, weights


def parse_shape(text):
    """[MODEL:]NAME=1x3x224x224 -> (MODEL or None, NAME, dims)."""
    name, eq, dims = text.partition("=")
    if not eq:
        raise argparse.ArgumentTypeError(f"expected [MODEL:]NAME=1x3x224x224, got {text!r}")
    model, colon, name = name.rpartition(":")
    try:
        return model or None, name, [int(d) for d in dims.split("x")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad shape in {text!r}")


def shapes_for(model_name, inputs, given):
    """The --input-shape values that apply to a model: unprefixed ones bind any model's input
    of that name, MODEL:-prefixed ones only that model's (and win)."""
    shapes = {n: s for m, n, s in given if m is None and n in inputs}
    shapes.update({n: s for m, n, s in given if m == model_name and n in inputs})
    return shapes


def make_inputs(model_path, shapes, seed=0):
    import onnx
    m = onnx.load(model_path, load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    rng = np.random.default_rng(seed)
    feeds = {}
    for v in m.graph.input:
        if v.name in inits:
            continue
        t = v.type.tensor_type
        dtype = onnx.helper.tensor_dtype_to_np_dtype(t.elem_type)
        if v.name in shapes:
            shape = shapes[v.name]
        else:
            shape = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
            if None in shape:
                raise BenchError(f"input {v.name} has symbolic dims: pass --input-shape "
                                 f"{v.name}=...")
        if np.issubdtype(dtype, np.floating):
            feeds[v.name] = rng.standard_normal(shape).astype(dtype)
        elif dtype == np.bool_ or "mask" in v.name.lower():
            # Attention masks: attend to the first three quarters, pad the rest.
            mask = np.ones(shape, dtype)
            if len(shape) >= 1 and shape[-1] >= 4:
                mask[..., shape[-1] * 3 // 4:] = 0
            feeds[v.name] = mask
        else:
            feeds[v.name] = rng.integers(0, 100, shape).astype(dtype)  # e.g. token ids
    return feeds


def write_input_files(feeds, folder):
    """Saves each feed as FOLDER/<i>.npy; returns the executable's --input arguments."""
    os.makedirs(folder, exist_ok=True)
    input_args = []
    for i, (n, v) in enumerate(feeds.items()):
        p = os.path.join(folder, f"{i}.npy")
        np.save(p, v)
        input_args += ["--input", f"{n}={p}"]
    return input_args


def kiln_bench(exe, input_args, runs, threads, path=None):
    env = dict(os.environ, KILN_NUM_THREADS=str(threads))
    if path:
        env["KILN_CPU_PATH"] = path
    r = subprocess.run([exe, "--bench", str(runs), *input_args], capture_output=True, text=True,
                       env=env, timeout=1800)
    lines = [l.strip() for l in r.stdout.splitlines() if l.strip()]
    if r.returncode != 0 or not lines or not lines[-1].startswith("median_ms="):
        raise BenchError(f"{exe} --bench failed (exit {r.returncode}): "
                         f"{(r.stderr.strip() or r.stdout.strip())[-300:]}")
    return float(lines[-1].split("=", 1)[1])


def ort_session(model_path, threads):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(model_path, so, providers=["CPUExecutionProvider"])


def ort_bench(sess, feeds, runs, warmup=3):
    for _ in range(warmup):
        sess.run(None, feeds)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sess.run(None, feeds)
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


# The accuracy bars of the end-to-end tests (relative L2 against onnxruntime): fp32 with a
# different summation order; half-precision outputs carry ~3 significant digits.
REL_L2_LIMIT = 1e-4
REL_L2_LIMIT_HALF = 2e-2


def check_outputs(exe, input_args, sess, feeds, workdir, name):
    """Runs `exe` once and returns (largest relative L2 error of its outputs against
    onnxruntime's on the same inputs, the limit that applies: 2e-2 if any output is 16-bit
    floating point, else 1e-4)."""
    out_dir = os.path.join(workdir, name + ".outputs")
    os.makedirs(out_dir, exist_ok=True)
    r = subprocess.run([exe, *input_args, "--output-dir", out_dir], capture_output=True,
                       text=True, timeout=1800)
    if r.returncode != 0:
        raise BenchError(f"{exe} failed (exit {r.returncode}): {r.stderr.strip()[-300:]}")
    worst, limit = 0.0, REL_L2_LIMIT
    for meta, ref in zip(sess.get_outputs(), sess.run(None, feeds)):
        if ref.dtype == np.float16 or meta.type == "tensor(bfloat16)":
            limit = REL_L2_LIMIT_HALF
        got = np.load(os.path.join(out_dir, meta.name + ".npy"))
        if got.shape != ref.shape:
            raise BenchError(f"output {meta.name}: shape {got.shape}, onnxruntime {ref.shape}")
        ref64 = ref.astype(np.float64)
        err = np.linalg.norm(got.astype(np.float64) - ref64) / max(np.linalg.norm(ref64), 1e-30)
        worst = max(worst, float(err))
    return worst, limit


def bench_model(name, model_path, shapes, a, kiln, bind=True):
    """One table row. `shapes` are the input shapes to run at; with `bind` they are also
    compiled in (--input-shape), without it the executable keeps the model's symbolic dims."""
    row = {"model": name, "path": model_path}
    out = os.path.join(a.workdir, name)
    shape_args = [x for n, s in shapes.items() if bind
                  for x in ("--input-shape", f"{n}={'x'.join(map(str, s))}")]
    def compile_exe(exe, cpu):
        cpu_args = [f"--cpu={cpu}"] if cpu else []
        t = time.perf_counter()
        try:
            r = subprocess.run([kiln, "compile", model_path, "-o", exe, *shape_args, *cpu_args],
                               capture_output=True, text=True, timeout=a.compile_timeout)
        except subprocess.TimeoutExpired:
            raise BenchError(f"kiln compile took over {a.compile_timeout:g} s "
                             f"(--compile-timeout); stopped")
        if r.returncode != 0:
            raise BenchError(f"kiln compile{' ' + cpu_args[0] if cpu_args else ''} failed "
                             f"(exit {r.returncode}): "
                             f"{(r.stderr.strip() or r.stdout.strip())[-300:]}")
        return time.perf_counter() - t

    row["compile_s"] = compile_exe(out, a.cpu)
    row["exe_bytes"], row["code_bytes"], row["weights_bytes"] = exe_sizes(out)
    row["cpu_path"], row["cpu_model"] = ran_path(out, a.path)
    other = out + ".cmp" if a.compare_cpu else None
    if other:
        row["cmp_compile_s"] = compile_exe(other, a.compare_cpu)
        row["cmp_code_bytes"] = exe_sizes(other)[1]
        row["cmp_cpu_path"] = ran_path(other, None)[0]

    feeds = make_inputs(model_path, shapes)
    input_args = write_input_files(feeds, os.path.join(a.workdir, name + ".inputs"))

    sess = ort_session(model_path, a.threads)
    row["rel_l2"], limit = check_outputs(out, input_args, sess, feeds, a.workdir, name)
    if not row["rel_l2"] <= limit:
        raise BenchError(f"outputs differ from onnxruntime: relative L2 {row['rel_l2']:.2e} "
                         f"> {limit:.0e}; not timing a wrong result")
    kiln_ms, ort_ms, cmp_ms = [], [], []
    sides = ["kiln", "ort"] + (["cmp"] if other else [])
    for i in range(a.rounds):
        # Rotate which side goes first, so none always runs on a warmer machine.
        for side in sides[i % len(sides):] + sides[:i % len(sides)]:
            if side == "kiln":
                kiln_ms.append(kiln_bench(out, input_args, a.runs, a.threads, a.path))
            elif side == "cmp":
                cmp_ms.append(kiln_bench(other, input_args, a.runs, a.threads))
            else:
                ort_ms.append(ort_bench(sess, feeds, a.runs))
        print(f"  {name}: round {i + 1}/{a.rounds}  kiln {kiln_ms[-1]:.3f} ms  "
              f"onnxruntime {ort_ms[-1]:.3f} ms"
              + (f"  kiln --cpu={a.compare_cpu} {cmp_ms[-1]:.3f} ms" if other else ""),
              file=sys.stderr, flush=True)
    row.update(kiln_ms=statistics.median(kiln_ms), ort_ms=statistics.median(ort_ms),
               kiln_rounds=kiln_ms, ort_rounds=ort_ms)
    row["ratio"] = row["kiln_ms"] / row["ort_ms"]
    if other:
        row.update(cmp_ms=statistics.median(cmp_ms), cmp_rounds=cmp_ms)
        row["cmp_ratio"] = row["kiln_ms"] / row["cmp_ms"]
    return row


def ran_path(exe, forced):
    """(the code path `exe` runs here, the CPU's model) from its --describe."""
    env = dict(os.environ, **({"KILN_CPU_PATH": forced} if forced else {}))
    r = subprocess.run([exe, "--describe"], capture_output=True, text=True, env=env,
                       timeout=60)
    if r.returncode != 0:
        raise BenchError(f"{exe} --describe failed: {r.stderr.strip()[-300:]}")
    desc = json.loads(r.stdout)
    if forced and desc.get("cpu_path") != forced:
        raise BenchError(f"cannot run path {forced}: {desc.get('cpu_error')}")
    return desc.get("cpu_path") or "-", desc.get("cpu", {}).get("model", "unknown")


def mib(n):
    return f"{n / (1 << 20):.2f} MiB"


def print_table(rows, a):
    ok = [r for r in rows if "error" not in r]
    by_name = {r["model"]: r for r in ok}
    model = ok[0]["cpu_model"] if ok else "unknown"
    print(f"\nkiln vs onnxruntime, CPU {model}, {a.threads} threads, median of {a.rounds} "
          f"rounds x {a.runs} runs (ratio < 1: kiln faster); kiln --cpu="
          f"{a.cpu or 'default'}" + (f", ISA path forced: {a.path}" if a.path else ""))
    table = [["model", "path", "rel L2", "compile", "code", "weights", "kiln ms", "ORT ms",
              "kiln/ORT"]]
    if a.compare_cpu:
        table[0] += [f"cmp path", "cmp compile", "cmp code", "cmp ms", "kiln/cmp"]
    for r in ok:
        table.append([r["model"], r["cpu_path"], f"{r['rel_l2']:.1e}", f"{r['compile_s']:.1f} s",
                      mib(r["code_bytes"]),
                      mib(r["weights_bytes"]), f"{r['kiln_ms']:.3f}", f"{r['ort_ms']:.3f}",
                      f"{r['ratio']:.2f}"])
        if a.compare_cpu:
            table[-1] += [r["cmp_cpu_path"], f"{r['cmp_compile_s']:.1f} s",
                          mib(r["cmp_code_bytes"]), f"{r['cmp_ms']:.3f}",
                          f"{r['cmp_ratio']:.2f}"]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for j, row in enumerate(table):
        print("  ".join([row[0].ljust(widths[0])] +
                        [c.rjust(w) for c, w in zip(row[1:], widths[1:])]))
        if j == 0:
            print("  ".join("-" * w for w in widths))
    twins = [(r, by_name[r["twin_of"]]) for r in ok if r.get("twin_of") in by_name]
    if twins:
        print("\ntwins (same graph and weights, same inputs; above 1: what the symbolic dim costs)")
    for r, base in twins:
        print(f"  {r['model']} / {base['model']}: kiln {r['kiln_ms'] / base['kiln_ms']:.2f}"
              f"  ORT {r['ort_ms'] / base['ort_ms']:.2f}")
    for r in rows:
        if "error" in r:
            print(f"{r['model']}: error: {r['error']}")


def generated_suite(suite, outdir, size):
    """Writes a suite's models into outdir; returns its table rows' entries."""
    if suite == "perf":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import models
        return models.suite(outdir)
    sys.path.insert(0, os.path.join(REPO, "test", "models"))
    import make_models
    gen = make_models.generate(outdir, ["resnet_style", "mobilenet_v2_style"], size=size)
    return [{"name": f"{n}_{size}", "path": p} for n, p in gen.items()]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", default=[], help="ONNX model (repeatable)")
    ap.add_argument("--suite", action="append", choices=["default", "perf"], default=[],
                    help="generated models (repeatable): default = resnet_style and "
                         "mobilenet_v2_style, perf = bench/models.py's")
    ap.add_argument("--only", action="append", default=[],
                    help="bench only the model (table row) of this name (repeatable)")
    ap.add_argument("--input-shape", action="append", type=parse_shape, default=[],
                    help="[MODEL:]NAME=1x3x224x224: binds input NAME of every --model that has it "
                         "(with MODEL:, only of the model of that name)")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--runs", type=int, default=10, help="timed runs per side per round")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cpu", help="kiln compile --cpu=LIST for the executables (default: "
                                  "kiln's, one path per x86-64 level)")
    ap.add_argument("--path", help="run this code path of them (KILN_CPU_PATH), e.g. "
                                   "x86-64-v3 for AVX2 numbers on an AVX-512 machine")
    ap.add_argument("--compare-cpu", help="also compile with --cpu=LIST (e.g. native) and time "
                                          "it in the same rounds: columns cmp ..., kiln/cmp")
    build = os.environ.get("KILN_BUILD_DIR", os.path.join(REPO, "build"))
    ap.add_argument("--kiln", default=os.path.join(build, "bin", "kiln"))
    ap.add_argument("--workdir", default=os.path.join(build, "bench"))
    ap.add_argument("--size", type=int, default=224, help="image size of the default models")
    ap.add_argument("--compile-timeout", type=float, default=3600,
                    help="seconds a kiln compile may take before its row is an error")
    ap.add_argument("--json", help="also write the results here")
    a = ap.parse_args(argv)

    if not os.access(a.kiln, os.X_OK):
        print(f"bench: kiln not found at {a.kiln} (build it with scripts/build.sh)",
              file=sys.stderr)
        return 1
    os.makedirs(a.workdir, exist_ok=True)
    # One entry per table row: name, path, and from a suite also shapes, bind, twin_of
    # (bench/models.py's suite()).
    models = [{"name": os.path.splitext(os.path.basename(p))[0]
               if os.path.basename(p) != "model.onnx"
               else os.path.basename(os.path.dirname(os.path.abspath(p))), "path": p}
              for p in a.model]
    for suite in a.suite or ([] if models else ["default"]):
        models += generated_suite(suite, os.path.join(a.workdir, "models"), a.size)
    if a.only:
        unknown = set(a.only) - {m["name"] for m in models}
        if unknown:
            print(f"bench: --only {', '.join(sorted(unknown))}: no such model", file=sys.stderr)
            return 1
        models = [m for m in models if m["name"] in a.only]

    rows = []
    for m in models:
        name, path = m["name"], m["path"]
        print(f"bench: {name} ({path})", file=sys.stderr, flush=True)
        import onnx
        inputs = {v.name for v in onnx.load(path, load_external_data=False).graph.input}
        shapes = dict(m.get("shapes", {}), **shapes_for(name, inputs, a.input_shape))
        try:
            rows.append(bench_model(name, path, shapes, a, a.kiln, m.get("bind", True)))
        except (BenchError, subprocess.TimeoutExpired) as e:
            print(f"bench: {name}: {e}", file=sys.stderr)
            rows.append({"model": name, "path": path, "error": str(e)})
        if "twin_of" in m:
            rows[-1]["twin_of"] = m["twin_of"]
    print_table(rows, a)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"threads": a.threads, "rounds": a.rounds, "runs": a.runs, "rows": rows},
                      f, indent=2)
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
