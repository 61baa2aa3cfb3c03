"""test_parallel_kernels.py — single big kernels, run under several thread counts.

Two bugs hid behind the multi-op test models and are pinned here:
- a convolution that accumulates straight into the graph output was computed twice,
  concurrently, by upstream async-parallel-for's "aligned loops" path (fixed by
  kiln-collapse-parallel-loops): outputs came out doubled in random blocks, so only some runs
  with 2+ threads failed — hence several runs per thread count;
- n-D vector transfers were staged through stack buffers allocated inside loops, so a 3x3
  convolution over 64x56x56 overflowed the stack (fixed by fully unrolling vector-to-scf).
Tolerance: REL_L2_TOL of kiln_e2e.py (float32, reassociated sums); a doubled block gives ~1e-1.
"""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from kiln_e2e import assert_close, random_inputs, read_outputs, reference, run_exe

pytestmark = pytest.mark.compiler


def conv_model(path, channels_in, channels_out, size, kernel):
    rng = np.random.default_rng(11)
    w = (rng.standard_normal((channels_out, channels_in, kernel, kernel))
         / np.sqrt(channels_in * kernel * kernel)).astype(np.float32)
    pad = kernel // 2
    node = helper.make_node("Conv", ["x", "w"], ["y"], pads=[pad] * 4)
    graph = helper.make_graph(
        [node], "conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, channels_in, size, size])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, channels_out, size, size])],
        [numpy_helper.from_array(w, "w")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


CASES = {  # name: (channels in, channels out, spatial size, kernel)
    "conv1x1_256to64_56": (256, 64, 56, 1),
    "conv3x3_64to64_56": (64, 64, 56, 3),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_conv_output_kernel_under_threads(compiled, tmp_path, name):
    model = conv_model(str(tmp_path / f"{name}.onnx"), *CASES[name])
    exe = compiled(model)
    feeds = random_inputs(model, seed=5)
    ref = reference(model, feeds)
    for threads in ("1", "2", "4"):
        for attempt in range(4):
            out = run_exe(exe, feeds, str(tmp_path / f"t{threads}_{attempt}"),
                          env={"KILN_NUM_THREADS": threads})
            assert_close(read_outputs(out, ref), ref)
