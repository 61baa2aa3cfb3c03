"""kiln_stub.py — an onnxruntime-backed stand-in for build/bin/kiln, to test the test harness.

It implements the user's interface from DESIGN.md (compile, check, run; the executable's
--input/--output-dir, --describe, --bench; one-line errors) with onnxruntime doing the math,
so test/e2e, bench/ and scripts/digits can be checked before the real compiler works:

  KILN_BUILD_DIR=test/e2e/stub .venv/bin/python -m pytest -q test/e2e

The "executable" it writes is a Python script embedding the model (external data inlined).
It is not kiln and proves nothing about kiln; it only proves the harness asks the right things.
"""
import base64
import json
import os
import statistics
import sys
import tempfile
import time

SUPPORTED = {
    "Add", "AveragePool", "BatchNormalization", "Clip", "Concat", "Constant", "Conv", "Div",
    "Flatten", "Gemm", "GlobalAveragePool", "Identity", "MatMul", "MaxPool", "Mul",
    "ReduceMean", "Relu", "Reshape", "Sigmoid", "Softmax", "Sub", "Transpose",
}
DTYPES = {1: "f32", 2: "u8", 3: "i8", 5: "i16", 6: "i32", 7: "i64", 9: "bool", 10: "f16",
          11: "f64", 12: "u32", 13: "u64", 16: "bf16", 4: "u16"}
NP = {"f32": "float32", "f64": "float64", "f16": "float16", "i8": "int8", "i16": "int16",
      "i32": "int32", "i64": "int64", "u8": "uint8", "u16": "uint16", "u32": "uint32",
      "u64": "uint64", "bool": "bool"}


class Fail(Exception):
    pass


def die(msg):
    print(f"kiln: error: {msg}", file=sys.stderr)
    sys.exit(1)


def load_model(path):
    import onnx
    if not os.path.isfile(path):
        raise Fail(f"cannot open model '{path}': no such file")
    try:
        m = onnx.load(path, load_external_data=False)
    except Exception:
        raise Fail(f"'{path}' is not a valid ONNX model (protobuf parse failed)")
    if not m.graph.node and not m.graph.output:
        raise Fail(f"'{path}' is not a valid ONNX model (empty graph)")
    try:
        from onnx.external_data_helper import load_external_data_for_model
        load_external_data_for_model(m, os.path.dirname(os.path.abspath(path)))
    except Exception as e:
        raise Fail(f"'{path}': cannot load external data: {type(e).__name__}: "
                   f"{str(e).splitlines()[0] if str(e) else ''}")
    return m


def unsupported(m):
    return [f"unsupported op {n.domain + '.' if n.domain else ''}{n.op_type} (node '{n.name}')"
            for n in m.graph.node if n.domain not in ("", "ai.onnx") or n.op_type not in SUPPORTED]


def signature(m, shapes):
    inits = {i.name for i in m.graph.initializer}
    bound = {}  # symbolic dim name -> the value --input-shape gave it
    for v in m.graph.input:
        for d, n in zip(v.type.tensor_type.shape.dim, shapes.get(v.name, [])):
            if d.dim_param:
                bound[d.dim_param] = n

    def desc(v):
        t = v.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") else bound.get(d.dim_param, d.dim_param)
                for d in t.shape.dim]
        if v.name in shapes:
            dims = shapes[v.name]
        return {"name": v.name, "dtype": DTYPES.get(t.elem_type, "?"), "shape": dims}
    return ([desc(v) for v in m.graph.input if v.name not in inits],
            [desc(v) for v in m.graph.output])


def compile_model(path, out, shapes):
    m = load_model(path)
    bad = unsupported(m)
    if bad:
        raise Fail(bad[0] + (f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""))
    names = {v.name for v in m.graph.input}
    for n in shapes:
        if n not in names:
            raise Fail(f"--input-shape names '{n}', which is not an input of the model")
    blob = base64.b64encode(m.SerializeToString()).decode()
    here = os.path.dirname(os.path.abspath(__file__))
    text = (f"#!{sys.executable}\n# kiln stub executable (onnxruntime inside)\n"
            f"import sys\nsys.path.insert(0, {here!r})\nimport kiln_stub\n"
            f"kiln_stub.exe_main({blob!r}, {json.dumps(shapes)!r})\n")
    with open(out, "w") as f:
        f.write(text)
    os.chmod(out, 0o755)


def parse_shape(s):
    return [int(d) for d in s.split("x")]


def read_tensor(path):
    import numpy as np
    if not os.path.isfile(path):
        raise Fail(f"cannot open input file '{path}'")
    try:
        if path.endswith(".pb"):
            import onnx
            from onnx import numpy_helper
            t = onnx.TensorProto()
            with open(path, "rb") as f:
                t.ParseFromString(f.read())
            return numpy_helper.to_array(t)
        return np.load(path, allow_pickle=False)
    except Exception as e:
        raise Fail(f"cannot read input file '{path}': {str(e).splitlines()[0] if str(e) else type(e).__name__}")


def exe_main(blob, shapes_json):
    try:
        _exe_main(blob, json.loads(shapes_json))
    except Fail as e:
        die(str(e))


def _exe_main(blob, shapes):
    import numpy as np
    import onnx
    m = onnx.load_from_string(base64.b64decode(blob))
    ins, outs = signature(m, shapes)
    args = sys.argv[1:]
    inputs, outdir, bench = {}, None, None
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--describe":
            print(json.dumps({"inputs": ins, "outputs": outs}))
            return
        if a in ("--input", "--output-dir", "--bench") and i + 1 >= len(args):
            raise Fail(f"{a} needs a value")
        if a == "--input":
            name, eq, path = args[i + 1].partition("=")
            if not eq:
                raise Fail(f"--input wants NAME=FILE, got '{args[i + 1]}'")
            inputs[name] = path
        elif a == "--output-dir":
            outdir = args[i + 1]
        elif a == "--bench":
            bench = int(args[i + 1])
        else:
            raise Fail(f"unknown argument '{a}'")
        i += 2
    byname = {d["name"]: d for d in ins}
    for n in inputs:
        if n not in byname:
            raise Fail(f"unknown input '{n}' (inputs: {', '.join(byname)})")
    feeds = {}
    rng = np.random.default_rng(0)
    for d in ins:
        if d["name"] not in inputs:
            if bench is not None:
                feeds[d["name"]] = rng.standard_normal(
                    [x if isinstance(x, int) else 1 for x in d["shape"]]).astype(NP[d["dtype"]])
                continue
            raise Fail(f"missing input '{d['name']}'")
        v = read_tensor(inputs[d["name"]])
        if str(v.dtype) != NP[d["dtype"]]:
            raise Fail(f"input '{d['name']}': dtype {v.dtype}, expected {NP[d['dtype']]}")
        want = d["shape"]
        if len(want) != v.ndim or any(isinstance(w, int) and w != g for w, g in zip(want, v.shape)):
            raise Fail(f"input '{d['name']}': shape {'x'.join(map(str, v.shape))}, expected "
                       f"{'x'.join(map(str, want))}")
        feeds[d["name"]] = v
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = int(os.environ.get("KILN_NUM_THREADS", "1"))
    sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    if bench is not None:
        sess.run(None, feeds)
        times = []
        for _ in range(bench):
            t = time.perf_counter()
            sess.run(None, feeds)
            times.append((time.perf_counter() - t) * 1e3)
        print(f"runs={bench}")
        print(f"median_ms={statistics.median(times):.4f}")
        return
    if outdir is None:
        raise Fail("--output-dir is required")
    os.makedirs(outdir, exist_ok=True)
    for d, v in zip(outs, sess.run(None, feeds)):
        np.save(os.path.join(outdir, d["name"] + ".npy"), v)


def main(argv):
    if not argv or argv[0] not in ("compile", "check", "run"):
        die("usage: kiln compile|check|run MODEL ...")
    cmd, rest = argv[0], argv[1:]
    model, out, shapes, passthrough = None, None, {}, []
    i = 0
    while i < len(rest):
        a = rest[i]
        if a in ("-o", "--target", "--input-shape", "--input", "--output-dir"):
            if i + 1 >= len(rest):
                die(f"{a} needs a value")
            v = rest[i + 1]
            if a == "-o":
                out = v
            elif a == "--input-shape":
                name, _, s = v.partition("=")
                try:
                    shapes[name] = parse_shape(s)
                except ValueError:
                    die(f"bad --input-shape '{v}'")
            elif a == "--target" and v != "cpu":
                die(f"target '{v}' is not supported by the stub")
            elif a in ("--input", "--output-dir"):
                passthrough += [a, v]
            i += 2
        elif model is None:
            model, i = a, i + 1
        else:
            die(f"unexpected argument '{a}'")
    if model is None:
        die("no model given")
    try:
        if cmd == "check":
            bad = unsupported(load_model(model))
            for b in bad:
                print(b)
            if bad:
                print(f"kiln: {len(bad)} unsupported construct(s) in '{model}'", file=sys.stderr)
                sys.exit(1)
            print(f"'{model}': all supported")
        elif cmd == "compile":
            if out is None:
                die("-o OUT is required")
            compile_model(model, out, shapes)
        else:
            with tempfile.TemporaryDirectory() as d:
                exe = os.path.join(d, "model")
                compile_model(model, exe, shapes)
                import subprocess
                sys.exit(subprocess.run([exe] + passthrough).returncode)
    except Fail as e:
        die(str(e))
