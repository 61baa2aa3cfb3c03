#!/usr/bin/env python3
"""weights_recipe.py — ship a kiln weights sidecar as a recipe over the model it came from.

The GPU check runs kiln's executables on a lent machine that has no LLVM (so kiln cannot run
there) and that can only be sent a few tens of MB, while the shared models' `OUT.weights`
files (`kiln compile --weights=sidecar`, layout in runtime/ABI.md "Weights") are 19-428 MB.
But those bytes are, almost all of them, the model's own initializers, which the GPU machine
can recreate: the weightless graph is small and tools/fill_weights.py fills it
deterministically. So the blob travels as a recipe:

  split EXE.weights FILLED.onnx OUTDIR
      Describes the blob as pieces, each a byte range that equals one tensor of FILLED.onnx
      (an initializer or a Constant node's value, raw little-endian bytes) or literal bytes
      kept in OUTDIR/residual.bin (alignment padding, constants kiln computed at compile
      time, the 32-byte trailer). Writes OUTDIR/recipe.json: the pieces (with a CRC-32 per
      tensor piece), the file's size and its sha256.
  join OUTDIR FILLED.onnx EXE.weights
      Rebuilds the blob and checks its sha256; anything off (another model, weights filled
      with another seed or tool version, a damaged residual) is one `error:` line and exit 1,
      and nothing is written. The executable would refuse a wrong blob too (it checks size
      and FNV-1a hash at start-up), but this names the cause.

Which pieces are not raw initializers: kiln externalizes each constant of >= 256 bytes that
survives folding (passes/Memory/ExternalizeWeights.cpp) at a 64-byte aligned offset, in
module order. For the five shared models the externalized constants are the initializers
unchanged (no transposed or re-laid-out copies: the CUDA kernels read the ONNX layouts), so
raw bytes are the only transform; what is left are a few folded masks (bert_base: 2 KiB of
i1 bytes, tinyllama: 6 KiB) and padding. A constant kiln computes from several initializers
would land in the residual: still correct, only larger, and `split` reports the size.

Both commands hold the blob and the model in memory once and compare with numpy, so a
430 MB blob takes seconds.
"""
import argparse
import hashlib
import json
import os
import sys
import zlib

import numpy as np

FORMAT = "kiln-weights-recipe/1"
ALIGN = 64        # kBufferAlignment, passes/Memory/EntryAbi.h: every constant starts here
KEY_BYTES = 64    # tensors are indexed by their first bytes (kiln externalizes >= 256 bytes)
TRAILER_BYTES = 32
MAGIC = b"KILNWTS1"


class RecipeError(Exception):
    """A problem with the inputs, reported as one line."""


def sha256_of(buf):
    h = hashlib.sha256()
    view = memoryview(buf)
    for start in range(0, len(view), 1 << 24):
        h.update(view[start:start + (1 << 24)])
    return h.hexdigest()


def load_tensors(model_path):
    """{name: TensorProto} of the model's initializers and Constant node values, the tensors
    kiln can copy into its weights (Constant nodes are part of the weightless graph too)."""
    import onnx
    try:
        model = onnx.load(model_path)
    except Exception as e:  # a missing file, a truncated or non-ONNX file
        raise RecipeError(f"cannot load {model_path}: {type(e).__name__}: {e}".splitlines()[0])
    tensors = {t.name: t for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant":
            for attr in node.attribute:
                if attr.name == "value":
                    tensors.setdefault(node.output[0], attr.t)
    return tensors


def tensor_bytes(proto):
    """The tensor as kiln lays it out: C order, little-endian (this tool runs on x86/arm)."""
    from onnx import TensorProto, numpy_helper
    if proto.data_type == TensorProto.STRING:
        return b""
    if proto.HasField("raw_data") and proto.data_location != TensorProto.EXTERNAL:
        return proto.raw_data
    return numpy_helper.to_array(proto).tobytes()


def read_blob(path):
    """The sidecar file as a uint8 array, after checking its trailer."""
    try:
        blob = np.fromfile(path, dtype=np.uint8)
    except OSError as e:
        raise RecipeError(f"cannot read {path}: {e.strerror}")
    tail = blob[-TRAILER_BYTES:].tobytes() if len(blob) >= TRAILER_BYTES else b""
    if tail[:8] != MAGIC:
        raise RecipeError(f"{path} is not a kiln weights file (no KILNWTS1 trailer)")
    offset, size = (int.from_bytes(tail[i:i + 8], "little") for i in (8, 16))
    if offset != 0 or size != len(blob) - TRAILER_BYTES:
        raise RecipeError(f"{path}: trailer says {size} bytes at offset {offset}, the file has "
                          f"{len(blob) - TRAILER_BYTES} before its trailer (not a sidecar?)")
    return blob


def split(blob_path, model_path, outdir):
    blob = read_blob(blob_path)
    tensors = load_tensors(model_path)
    by_key = {}
    for name, proto in tensors.items():
        data = tensor_bytes(proto)
        if len(data) >= KEY_BYTES:
            by_key.setdefault(data[:KEY_BYTES], []).append((len(data), name, data))
    for candidates in by_key.values():
        candidates.sort(key=lambda c: (-c[0], c[1]))  # longest first: a prefix must not win

    end = len(blob) - TRAILER_BYTES
    pieces, residual = [], bytearray()

    def literal(start, stop):
        if stop <= start:
            return
        last = pieces[-1] if pieces else None
        if last and "residual" in last and last["offset"] + last["bytes"] == start:
            last["bytes"] += stop - start
        else:
            pieces.append({"offset": start, "bytes": stop - start, "residual": len(residual)})
        residual.extend(blob[start:stop].tobytes())

    pos = 0
    while pos < end:
        hit = None
        for size, name, data in by_key.get(blob[pos:pos + KEY_BYTES].tobytes(), ()):
            if pos + size <= end and np.array_equal(blob[pos:pos + size],
                                                    np.frombuffer(data, np.uint8)):
                hit = (size, name, data)
                break
        if hit is None:
            nxt = min(end, (pos // ALIGN + 1) * ALIGN)
            literal(pos, nxt)
            pos = nxt
            continue
        size, name, data = hit
        pieces.append({"offset": pos, "bytes": size, "tensor": name,
                       "crc32": zlib.crc32(data)})
        pos += size
        nxt = min(end, -(-pos // ALIGN) * ALIGN)  # padding up to the next constant
        literal(pos, nxt)
        pos = nxt
    literal(end, len(blob))  # the trailer: its FNV-1a hash is not worth recomputing here

    os.makedirs(outdir, exist_ok=True)
    residual = bytes(residual)
    with open(os.path.join(outdir, "residual.bin"), "wb") as f:
        f.write(residual)
    tensor_bytes_total = sum(p["bytes"] for p in pieces if "tensor" in p)
    recipe = {
        "format": FORMAT,
        "weights": os.path.basename(blob_path),
        "model": os.path.basename(model_path),
        "bytes": int(len(blob)),
        "sha256": sha256_of(blob),
        "tensor_bytes": tensor_bytes_total,
        "residual_bytes": len(residual),
        "residual_sha256": hashlib.sha256(residual).hexdigest(),
        "pieces": pieces,
    }
    with open(os.path.join(outdir, "recipe.json"), "w") as f:
        json.dump(recipe, f, indent=0)
        f.write("\n")
    print(f"split: {blob_path}: {len(blob)} bytes = "
          f"{sum('tensor' in p for p in pieces)} tensor pieces ({tensor_bytes_total} bytes) "
          f"+ residual {len(residual)} bytes (trailer included)", file=sys.stderr)


def join(outdir, model_path, out_path):
    recipe_path = os.path.join(outdir, "recipe.json")
    try:
        with open(recipe_path) as f:
            recipe = json.load(f)
        with open(os.path.join(outdir, "residual.bin"), "rb") as f:
            residual = f.read()
    except (OSError, ValueError) as e:
        raise RecipeError(f"cannot read the recipe in {outdir}: {e}".splitlines()[0])
    if not isinstance(recipe, dict) or recipe.get("format") != FORMAT:
        raise RecipeError(f"{recipe_path} is not a {FORMAT} file")
    try:
        rebuild(recipe, recipe_path, residual, model_path, out_path)
    except (KeyError, TypeError, ValueError) as e:
        raise RecipeError(f"{recipe_path} is malformed ({type(e).__name__}: {e})")


def rebuild(recipe, recipe_path, residual, model_path, out_path):
    outdir = os.path.dirname(recipe_path)
    if (len(residual) != recipe["residual_bytes"]
            or hashlib.sha256(residual).hexdigest() != recipe["residual_sha256"]):
        raise RecipeError(f"{outdir}/residual.bin is damaged ({len(residual)} bytes; its sha256 "
                          f"differs from the recipe's): split it again")
    tensors = load_tensors(model_path)
    out = np.empty(recipe["bytes"], dtype=np.uint8)
    covered = 0
    for p in recipe["pieces"]:
        start, size = p["offset"], p["bytes"]
        if start != covered:
            raise RecipeError(f"{recipe_path}: pieces leave a gap or overlap at byte {covered}")
        if "tensor" in p:
            name = p["tensor"]
            if name not in tensors:
                raise RecipeError(f"{model_path} has no tensor '{name}': the recipe was split "
                                  f"from another model ({recipe['model']})")
            data = tensor_bytes(tensors[name])
            if len(data) != size or zlib.crc32(data) != p["crc32"]:
                raise RecipeError(f"tensor '{name}' of {model_path} differs from the one the "
                                  f"recipe was split from ({recipe['model']}): another model, "
                                  f"or weights filled differently")
            out[start:start + size] = np.frombuffer(data, np.uint8)
        else:
            out[start:start + size] = np.frombuffer(residual, np.uint8, size, p["residual"])
        covered = start + size
    if covered != len(out):
        raise RecipeError(f"{recipe_path}: pieces end at byte {covered} of {len(out)}")
    digest = sha256_of(out)
    if digest != recipe["sha256"]:
        raise RecipeError(f"rebuilt {out_path} has sha256 {digest[:16]}..., the recipe says "
                          f"{recipe['sha256'][:16]}...: refusing to write it")
    tmp = out_path + ".tmp"
    try:
        out.tofile(tmp)
        os.replace(tmp, out_path)
    except OSError as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise RecipeError(f"cannot write {out_path}: {e.strerror}")
    print(f"join: {out_path}: {len(out)} bytes, sha256 ok", file=sys.stderr)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("split", help="EXE.weights FILLED.onnx OUTDIR")
    s.add_argument("weights")
    s.add_argument("model")
    s.add_argument("outdir")
    j = sub.add_parser("join", help="OUTDIR FILLED.onnx EXE.weights")
    j.add_argument("outdir")
    j.add_argument("model")
    j.add_argument("weights")
    a = ap.parse_args(argv)
    try:
        if a.command == "split":
            split(a.weights, a.model, a.outdir)
        else:
            join(a.outdir, a.model, a.weights)
    except RecipeError as e:
        print(f"weights_recipe: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
