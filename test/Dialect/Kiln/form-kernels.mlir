// RUN: kiln-opt %s --kiln-form-kernels --split-input-file | FileCheck %s

// Conv, bias, relu, residual add and relu form one kernel; the small bias
// constant is cloned in, the residual input enters as an operand.

// CHECK-LABEL: func.func @conv_bias_relu_residual
// CHECK-SAME: (%[[X:.+]]: tensor<1x4x8x8xf32>, %[[W:.+]]: tensor<4x4x3x3xf32>)
// CHECK-NOT: kiln.constant
// CHECK: %[[K:.+]] = kiln.kernel "conv_add_relu_add_0" (%[[X]], %[[W]])
// CHECK-NEXT: ^bb0(%[[BX:.+]]: tensor<1x4x8x8xf32>, %[[BW:.+]]: tensor<4x4x3x3xf32>):
// CHECK-NEXT: %[[B:.+]] = kiln.constant dense<5.000000e-01> : tensor<4x1x1xf32>
// CHECK-NEXT: %[[C:.+]] = kiln.conv %[[BX]], %[[BW]]
// CHECK-NEXT: %[[A:.+]] = kiln.add %[[C]], %[[B]]
// CHECK-NEXT: %[[R:.+]] = kiln.relu %[[A]]
// CHECK-NEXT: %[[S:.+]] = kiln.add %[[R]], %[[BX]]
// CHECK-NEXT: %[[O:.+]] = kiln.relu %[[S]]
// CHECK-NEXT: kiln.yield %[[O]] : tensor<1x4x8x8xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[K]]
func.func @conv_bias_relu_residual(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32> {
  %b = kiln.constant dense<0.5> : tensor<4x1x1xf32>
  %c = kiln.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32>
  %a = kiln.add %c, %b : tensor<1x4x8x8xf32>, tensor<4x1x1xf32>
  %r = kiln.relu %a : tensor<1x4x8x8xf32>
  %s = kiln.add %r, %x : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>
  %o = kiln.relu %s : tensor<1x4x8x8xf32>
  return %o : tensor<1x4x8x8xf32>
}

// -----

// The conv result has two users: neither joins the conv's kernel, so it is
// computed once and both consumers read it.

// CHECK-LABEL: func.func @two_users
// CHECK: %[[C:.+]] = kiln.kernel "conv_0"
// CHECK: kiln.conv
// CHECK-NOT: kiln.relu
// CHECK: kiln.yield
// CHECK: %[[R:.+]] = kiln.kernel "relu_1" (%[[C]])
// CHECK: kiln.relu
// CHECK: %[[S:.+]] = kiln.kernel "sigmoid_2" (%[[C]])
// CHECK: kiln.sigmoid
// CHECK: return %[[R]], %[[S]]
func.func @two_users(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x1x1xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) {
  %c = kiln.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  %r = kiln.relu %c : tensor<1x4x8x8xf32>
  %s = kiln.sigmoid %c : tensor<1x4x8x8xf32>
  return %r, %s : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>
}

// -----

// The conv result feeds two ops that both join (the add through it), and
// the relu result is also used after the kernel: it becomes a second result.

// CHECK-LABEL: func.func @also_used_outside
// CHECK: %[[K:.+]]:2 = kiln.kernel "conv_relu_add_0"
// CHECK-SAME: -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>)
// CHECK: %[[C:.+]] = kiln.conv
// CHECK: %[[R:.+]] = kiln.relu %[[C]]
// CHECK: %[[A:.+]] = kiln.add %[[R]], %[[C]]
// CHECK: kiln.yield %[[R]], %[[A]]
// CHECK: return %[[K]]#1, %[[K]]#0
func.func @also_used_outside(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x1x1xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) {
  %c = kiln.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  %r = kiln.relu %c : tensor<1x4x8x8xf32>
  %a = kiln.add %r, %c : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>
  return %a, %r : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>
}

// -----

// SiLU, x * sigmoid(x): the conv result's second user closes a diamond with
// the sigmoid, so both join and the conv result stays inside.

// CHECK-LABEL: func.func @silu_diamond
// CHECK: %[[K:.+]] = kiln.kernel "conv_sigmoid_mul_0"
// CHECK-SAME: -> tensor<1x4x8x8xf32>
// CHECK: %[[C:.+]] = kiln.conv
// CHECK-NEXT: %[[S:.+]] = kiln.sigmoid %[[C]]
// CHECK-NEXT: %[[M:.+]] = kiln.mul %[[C]], %[[S]]
// CHECK-NEXT: kiln.yield %[[M]]
// CHECK: return %[[K]]
func.func @silu_diamond(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32> {
  %c = kiln.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  %s = kiln.sigmoid %c : tensor<1x4x8x8xf32>
  %m = kiln.mul %c, %s : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>
  return %m : tensor<1x4x8x8xf32>
}

// -----

// Elementwise ops on function arguments start a kernel of their own that
// later elementwise ops join.

// CHECK-LABEL: func.func @elementwise_on_argument
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>, %[[Y:.+]]: tensor<2x8xf32>)
// CHECK: %[[K:.+]] = kiln.kernel "mul_sigmoid_clip_0" (%[[X]], %[[Y]])
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.mul
// CHECK-NEXT: kiln.sigmoid
// CHECK-NEXT: kiln.clip
// CHECK-NEXT: kiln.yield
// CHECK-NEXT: }
// CHECK-NEXT: return %[[K]]
func.func @elementwise_on_argument(%x: tensor<2x8xf32>, %y: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %a = kiln.mul %x, %y : tensor<2x8xf32>, tensor<2x8xf32>
  %r = kiln.sigmoid %a : tensor<2x8xf32>
  %c = kiln.clip %r {min = 0.0 : f64, max = 6.0 : f64} : tensor<2x8xf32>
  return %c : tensor<2x8xf32>
}

// -----

// Large constants enter as operands (the weight, and a constant defined
// between the kernel's ops is hoisted above it); small ones are cloned in.
// Softmax is an anchor: it starts a new kernel.

// CHECK-LABEL: func.func @constants
// CHECK-SAME: (%[[X:.+]]: tensor<1x128xf32>)
// CHECK: %[[W:.+]] = kiln.constant dense<1.000000e+00> : tensor<10x128xf32>
// CHECK-NEXT: %[[BIG:.+]] = kiln.constant dense<3.000000e+00> : tensor<100x10xf32>
// CHECK-NEXT: %[[G:.+]] = kiln.kernel "gemm_mul_add_0" (%[[X]], %[[W]], %[[BIG]])
// CHECK-NEXT: ^bb0(%{{.+}}: tensor<1x128xf32>, %{{.+}}: tensor<10x128xf32>, %[[BBIG:.+]]: tensor<100x10xf32>):
// CHECK-DAG: %[[B:.+]] = kiln.constant dense<1.000000e-01> : tensor<10xf32>
// CHECK-DAG: %[[TWO:.+]] = kiln.constant dense<2.000000e+00> : tensor<f32>
// CHECK: %[[GEMM:.+]] = kiln.gemm %{{.+}}, %{{.+}}, %[[B]]
// CHECK: %[[M:.+]] = kiln.mul %[[GEMM]], %[[TWO]]
// CHECK: kiln.add %[[M]], %[[BBIG]]
// CHECK: kiln.kernel "softmax_1" (%[[G]])
// CHECK-NOT: kiln.constant
func.func @constants(%x: tensor<1x128xf32>) -> tensor<100x10xf32> {
  %w = kiln.constant dense<1.0> : tensor<10x128xf32>
  %b = kiln.constant dense<0.1> : tensor<10xf32>
  %g = kiln.gemm %x, %w, %b {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<1x128xf32>, tensor<10x128xf32>, tensor<10xf32>) -> tensor<1x10xf32>
  %two = kiln.constant dense<2.0> : tensor<f32>
  %m = kiln.mul %g, %two : tensor<1x10xf32>, tensor<f32>
  %big = kiln.constant dense<3.0> : tensor<100x10xf32>
  %a = kiln.add %m, %big : tensor<1x10xf32>, tensor<100x10xf32>
  %s = kiln.softmax %a {axis = 1 : i64} : tensor<100x10xf32>
  return %s : tensor<100x10xf32>
}

// -----

// A small constant held in a resource blob is an operand, never cloned.

// CHECK-LABEL: func.func @resource_constant
// CHECK: %[[R:.+]] = kiln.constant dense_resource<bias> : tensor<4x1x1xf32>
// CHECK: kiln.kernel "conv_mul_0" (%{{.+}}, %{{.+}}, %[[R]])
// CHECK-NOT: kiln.constant
// CHECK: kiln.yield
func.func @resource_constant(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32> {
  %c = kiln.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  %res = kiln.constant dense_resource<bias> : tensor<4x1x1xf32>
  %m = kiln.mul %c, %res : tensor<1x4x8x8xf32>, tensor<4x1x1xf32>
  return %m : tensor<1x4x8x8xf32>
}

{-#
  dialect_resources: {
    builtin: {
      bias: "0x040000000000803F0000803F0000803F0000803F"
    }
  }
#-}

// -----

// The add's other operand (a reshape, which stays outside kernels) is
// defined after the conv's kernel would start: fusing would use it before
// its definition, so the add starts its own kernel.

// CHECK-LABEL: func.func @operand_defined_inside_range
// CHECK: %[[C:.+]] = kiln.kernel "conv_0"
// CHECK-NOT: kiln.add
// CHECK: kiln.yield
// CHECK: %[[R:.+]] = kiln.reshape
// CHECK: kiln.kernel "add_1" (%[[C]], %[[R]])
func.func @operand_defined_inside_range(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x1x1xf32>, %y: tensor<256xf32>) -> tensor<1x4x8x8xf32> {
  %c = kiln.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  %r = kiln.reshape %y : tensor<256xf32> -> tensor<1x4x8x8xf32>
  %a = kiln.add %c, %r : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>
  return %a : tensor<1x4x8x8xf32>
}

// -----

// A batch norm joins a conv it consumes, but not other anchors.

// CHECK-LABEL: func.func @batch_norm_after_pool
// CHECK: kiln.kernel "max_pool_0"
// CHECK-NOT: kiln.batch_norm
// CHECK: kiln.yield
// CHECK: kiln.kernel "batch_norm_relu_1"
func.func @batch_norm_after_pool(%x: tensor<1x4x8x8xf32>, %s: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  %p = kiln.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false} : tensor<1x4x8x8xf32> -> tensor<1x4x4x4xf32>
  %n = kiln.batch_norm %p, %s, %s, %s, %s {epsilon = 1.0e-05 : f32} : (tensor<1x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  %r = kiln.relu %n : tensor<1x4x4x4xf32>
  return %r : tensor<1x4x4x4xf32>
}

// -----

// A ResNet basic block with a downsample branch: conv+bn+relu, conv+bn, and
// the downsample conv+bn with the residual add and relu; the pooled
// features are reshaped outside kernels and feed the classifier.

// CHECK-LABEL: func.func @resnet_block
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x8x8x8xf32>, %[[W1:[^:]+]]: tensor<16x8x3x3xf32>, %[[W2:[^:]+]]: tensor<16x16x3x3xf32>, %[[WD:[^:]+]]: tensor<16x8x1x1xf32>
// CHECK: %[[K0:.+]] = kiln.kernel "conv_batch_norm_relu_0" (%[[X]], %[[W1]],
// CHECK: %[[K1:.+]] = kiln.kernel "conv_batch_norm_1" (%[[K0]], %[[W2]],
// CHECK: %[[K2:.+]] = kiln.kernel "conv_batch_norm_add_relu_2" (%[[X]], %[[WD]], {{.+}}, %[[K1]])
// CHECK: kiln.conv
// CHECK-NEXT: %[[BN:.+]] = kiln.batch_norm
// CHECK-NEXT: %[[SUM:.+]] = kiln.add %{{.+}}, %[[BN]]
// CHECK-NEXT: %[[OUT:.+]] = kiln.relu %[[SUM]]
// CHECK-NEXT: kiln.yield %[[OUT]]
// CHECK: %[[P:.+]] = kiln.kernel "global_avg_pool_3" (%[[K2]])
// CHECK: %[[F:.+]] = kiln.reshape %[[P]] : tensor<1x16x1x1xf32> -> tensor<1x16xf32>
// CHECK: %[[Y:.+]] = kiln.kernel "gemm_4" (%[[F]],
// CHECK: return %[[Y]]
func.func @resnet_block(%x: tensor<1x8x8x8xf32>, %w1: tensor<16x8x3x3xf32>, %w2: tensor<16x16x3x3xf32>, %wd: tensor<16x8x1x1xf32>,
                        %s: tensor<16xf32>, %b: tensor<16xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>, %fc: tensor<10x16xf32>) -> tensor<1x10xf32> {
  %c1 = kiln.conv %x, %w1 {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x8x8x8xf32>, tensor<16x8x3x3xf32>) -> tensor<1x16x4x4xf32>
  %n1 = kiln.batch_norm %c1, %s, %b, %m, %v {epsilon = 1.0e-05 : f32} : (tensor<1x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<1x16x4x4xf32>
  %r1 = kiln.relu %n1 : tensor<1x16x4x4xf32>
  %c2 = kiln.conv %r1, %w2 {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x16x4x4xf32>, tensor<16x16x3x3xf32>) -> tensor<1x16x4x4xf32>
  %n2 = kiln.batch_norm %c2, %s, %b, %m, %v {epsilon = 1.0e-05 : f32} : (tensor<1x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<1x16x4x4xf32>
  %cd = kiln.conv %x, %wd {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x8x8x8xf32>, tensor<16x8x1x1xf32>) -> tensor<1x16x4x4xf32>
  %nd = kiln.batch_norm %cd, %s, %b, %m, %v {epsilon = 1.0e-05 : f32} : (tensor<1x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<1x16x4x4xf32>
  %sum = kiln.add %n2, %nd : tensor<1x16x4x4xf32>, tensor<1x16x4x4xf32>
  %r2 = kiln.relu %sum : tensor<1x16x4x4xf32>
  %p = kiln.global_avg_pool %r2 : tensor<1x16x4x4xf32>
  %f = kiln.reshape %p : tensor<1x16x1x1xf32> -> tensor<1x16xf32>
  %y = kiln.gemm %f, %fc {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<1x16xf32>, tensor<10x16xf32>) -> tensor<1x10xf32>
  return %y : tensor<1x10xf32>
}
