// placeholder
#include "frontends/onnx/GraphImporter.h"
void mlir::kiln::onnx::registerRecurrentOps(ConverterMap &) {}
