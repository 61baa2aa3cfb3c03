//===- OnnxImporter.cpp - public entry points of the ONNX frontend --------===//
//
// `importModel` and `checkModel` wrap GraphImporter: the first stops at the
// first error (reported through the caller's diagnostic handler), the second
// runs in a private context, goes on past errors and prints each one as a
// line, so `kiln check` lists every unsupported piece of a model at once.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxImporter.h"
#include "frontends/onnx/GraphImporter.h"

#include "dialects/kiln/IR/KilnDialect.h"

using namespace mlir;
using namespace mlir::kiln::onnx;

LogicalResult mlir::kiln::onnx::parseInputShape(StringRef spec,
                                                ImportOptions &opts,
                                                std::string &error) {
  auto [name, dims] = spec.rsplit('=');
  if (name.empty() || dims.empty() || !spec.contains('=')) {
    error = "--input-shape expects NAME=DxDx..., got '" + spec.str() + "'";
    return failure();
  }
  SmallVector<int64_t> shape;
  SmallVector<StringRef> parts;
  dims.split(parts, 'x');
  for (StringRef part : parts) {
    int64_t d;
    if (part.getAsInteger(10, d) || d < 0) {
      error = "--input-shape " + spec.str() + ": '" + part.str() +
              "' is not a dim size";
      return failure();
    }
    shape.push_back(d);
  }
  opts.inputShapes[name] = std::move(shape);
  return success();
}

FailureOr<OwningOpRef<ModuleOp>>
mlir::kiln::onnx::importModel(MLIRContext &ctx, StringRef path,
                              const ImportOptions &opts) {
  auto model = loadModel(path, FileLineColLoc::get(&ctx, path, 0, 0));
  if (failed(model))
    return failure();
  GraphImporter importer(ctx, *model, opts, /*keepGoing=*/false);
  return importer.run();
}

LogicalResult mlir::kiln::onnx::checkModel(StringRef path,
                                           const ImportOptions &opts,
                                           llvm::raw_ostream &os) {
  MLIRContext ctx;
  ctx.loadDialect<KilnDialect, func::FuncDialect>();
  bool reported = false;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error) {
      os << diag.str() << "\n";
      reported = true;
    }
    return success();
  });
  auto model = loadModel(path, FileLineColLoc::get(&ctx, path, 0, 0));
  if (failed(model))
    return failure();
  GraphImporter importer(ctx, *model, opts, /*keepGoing=*/true);
  auto module = importer.run();
  if (failed(module) && !reported)
    os << path << ": import failed\n";
  return success(succeeded(module) && !reported);
}
