"""torch_models.py — the PyTorch side of the GPU check for the shared models: the real
architectures the ONNX graphs were exported from, timed eager and under
torch.compile(mode="reduce-overhead").

The ONNX files of ../shared/models come from torchvision and transformers 5.17 (see their
README); this rebuilds each architecture with random initialisation (latency does not depend
on the values, so no weights are loaded) in the model's dtype (f32; fp16 for TinyLlama), plus
fp16 variants of ResNet-50 and BERT-base, whose fp16 eager/compile latencies the issues quote.
Nothing here imports torch at module load, so gpu_check.py runs (and its dry run is tested)
on machines without it; a missing torchvision or transformers gives `skipped` cells.
"""
import time

import numpy as np

# The issues' reference latencies (ms, batch 1, H100): fp16 eager and torch.compile.
ISSUE_REFERENCE_MS = {
    "resnet50": {"eager16_ms": 5.84, "compile16_ms": 0.747},
    "bert_base": {"eager16_ms": 8.98, "compile16_ms": 1.19},
}


class Skip(Exception):
    """A column that cannot be measured here (a library is missing)."""


def _vision(ctor_name):
    def build():
        try:
            import torchvision
        except ImportError as e:
            raise Skip(f"no torchvision ({e})")
        return getattr(torchvision.models, ctor_name)(weights=None)
    return build


def _bert():
    try:
        from transformers import BertConfig, BertModel
    except ImportError as e:
        raise Skip(f"no transformers ({e})")
    return BertModel(BertConfig(), add_pooling_layer=False)  # BERT-base; the graph's only output


def _tinyllama_2layer():
    try:
        from transformers import LlamaConfig, LlamaForCausalLM
    except ImportError as e:
        raise Skip(f"no transformers ({e})")
    # TinyLlama-1.1B's configuration cut to 2 layers.
    config = LlamaConfig(vocab_size=32000, hidden_size=2048, intermediate_size=5632,
                         num_hidden_layers=2, num_attention_heads=32, num_key_value_heads=4,
                         max_position_embeddings=2048, rms_norm_eps=1e-5,
                         tie_word_embeddings=False)
    return LlamaForCausalLM(config)


# name: (builder, model dtype, dtypes of extra columns, call(net, feeds) -> output)
ARCHITECTURES = {
    "resnet50": (_vision("resnet50"), "float32", ["float16"], lambda n, f: n(f["pixels"])),
    "mobilenet_v2": (_vision("mobilenet_v2"), "float32", [], lambda n, f: n(f["pixels"])),
    "vit_b_16": (_vision("vit_b_16"), "float32", [], lambda n, f: n(f["pixels"])),
    "bert_base": (_bert, "float32", ["float16"],
                  lambda n, f: n(input_ids=f["input_ids"],
                                 attention_mask=f["attention_mask"]).last_hidden_state),
    "tinyllama_1b_2layer": (_tinyllama_2layer, "float16", [],
                            lambda n, f: n(input_ids=f["input_ids"], use_cache=False).logits),
}


def time_cuda(fn, runs, warmup=5):
    """Median milliseconds of fn() over `runs` calls, each between two CUDA events."""
    import torch
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        start = torch.cuda.Event(enable_timing=True)
        stop = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    return float(np.median(times))


def _error_cell(e):
    return f"{type(e).__name__}: {e}".splitlines()[0][:300]


def time_architecture(name, feeds, runs, compile_too, deadline):
    """{column: ms or error string} for one shared model: eager_ms/compile_ms in the model's
    dtype, eager16_ms/compile16_ms for the fp16 extras. `feeds` are the numpy inputs of the
    ONNX graph (same names as the torch forward's arguments); `deadline` (time.monotonic)
    skips torch.compile once passed, as its compile time dominates the device run."""
    cells = {}
    if name not in ARCHITECTURES:
        return {"torch": "skipped: no reference architecture"}
    build, dtype, extra, call = ARCHITECTURES[name]
    try:
        import torch
    except ImportError as e:
        return {"torch": f"skipped: no torch ({e})"}
    columns = [(dtype, "eager_ms", "compile_ms")]
    columns += [(d, "eager16_ms", "compile16_ms") for d in extra]
    net = None
    for col_dtype, eager_col, compile_col in columns:
        try:
            tdtype = getattr(torch, col_dtype)
            with torch.device("cuda"):
                net = build().eval().to(tdtype)
            args = {k: torch.from_numpy(v).cuda() for k, v in feeds.items()}
            args = {k: (v.to(tdtype) if v.is_floating_point() else v) for k, v in args.items()}
        except Skip as e:
            cells[eager_col] = f"skipped: {e}"
            break
        except Exception as e:  # an architecture that does not build is an error cell
            cells[eager_col] = _error_cell(e)
            continue
        with torch.no_grad():
            try:
                cells[eager_col] = time_cuda(lambda: call(net, args), runs)
            except Exception as e:
                cells[eager_col] = _error_cell(e)
            if compile_too and time.monotonic() > deadline:
                cells[compile_col] = "skipped: time budget"
            elif compile_too:
                try:
                    compiled = torch.compile(net, mode="reduce-overhead")
                    started = time.monotonic()
                    call(compiled, args)  # the compile itself, reported apart
                    cells[compile_col[:-3] + "_build_s"] = round(
                        time.monotonic() - started, 1)
                    cells[compile_col] = time_cuda(lambda: call(compiled, args), runs, warmup=10)
                except Exception as e:
                    cells[compile_col] = _error_cell(e)
        del net
        net = None
        torch._dynamo.reset()
        torch.cuda.empty_cache()
    return cells
