# lit configuration for kiln: FileCheck tests of the dialect, passes and importer.
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "KILN"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".onnxtext"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs", "e2e", "runtime", "models", "conformance"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.kiln_obj_root, "test")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

venv_python = os.path.join(config.kiln_src_root, ".venv", "bin", "python")
# Ahead of lit's own %python (the interpreter running lit), which would win otherwise.
config.substitutions.insert(0, ("%python", venv_python))
config.substitutions.append(("%kiln_src", config.kiln_src_root))
# Turns an .onnxtext (ONNX text syntax) test into a binary model.
config.substitutions.append(
    ("%onnxtext", venv_python + " " + os.path.join(config.kiln_src_root, "test", "Frontend", "onnxtext_to_onnx.py")))

tool_dirs = [config.kiln_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(["kiln-opt", "kiln", "kiln-import", "kiln-cpu-emit"], tool_dirs)
