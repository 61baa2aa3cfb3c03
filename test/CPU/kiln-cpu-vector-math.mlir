// RUN: kiln-opt %s --kiln-cpu-vector-math | FileCheck %s

// exp and erf on vectors become polynomial approximations (no math.exp or
// math.erf left for libm); a scalar erf keeps its libm call.
// CHECK-LABEL: func.func @f
// CHECK-NOT:     math.exp {{.*}}vector
// CHECK-NOT:     math.erf {{.*}}vector
// CHECK:         math.erf %{{.+}} : f32
// CHECK:         return
func.func @f(%a: vector<1x1x64xf32>, %b: vector<16xf32>, %s: f32)
    -> (vector<1x1x64xf32>, vector<16xf32>, f32) {
  %0 = math.erf %a : vector<1x1x64xf32>
  %1 = math.exp %b : vector<16xf32>
  %2 = math.erf %s : f32
  return %0, %1, %2 : vector<1x1x64xf32>, vector<16xf32>, f32
}
