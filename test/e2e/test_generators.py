"""test_generators.py — the generated models themselves are valid and well-scaled.

No compiler needed: checks make_models.py (onnx.checker, onnxruntime runs it, outputs finite
and O(1)) so that an e2e failure points at kiln, not at a broken test model.
"""
import numpy as np
import onnx
import pytest

from kiln_e2e import make_models, model_inputs, random_inputs, reference


@pytest.mark.parametrize("variant", ["resnet_style", "mobilenet_v2_style", "ops_mix",
                                     "resnet_style@external", "ops_mix@external",
                                     "resnet_style@batchN"])
def test_generated_model_runs_in_onnxruntime(models, variant):
    path = models[variant]
    onnx.checker.check_model(path, full_check=True)
    out = reference(path, random_inputs(path, bind={"N": 2}))
    for name, v in out.items():
        assert np.all(np.isfinite(v)), name
        assert 1e-3 < float(np.abs(v).max()) < 100, f"{name} is badly scaled: {np.abs(v).max()}"


def test_generators_are_deterministic(tmp_path):
    a = make_models.generate(str(tmp_path / "a"))
    b = make_models.generate(str(tmp_path / "b"))
    for name in a:
        assert open(a[name], "rb").read() == open(b[name], "rb").read(), name


def test_external_variant_keeps_weights_outside(models):
    m = onnx.load(models["resnet_style@external"], load_external_data=False)
    external = [t.name for t in m.graph.initializer
                if t.data_location == onnx.TensorProto.EXTERNAL]
    assert len(external) > 5


def test_symbolic_batch_is_symbolic(models):
    (name, _, shape), = model_inputs(models["resnet_style@batchN"], bind={"N": 3})
    assert name == "pixels" and shape == [3, 3, 64, 64]
