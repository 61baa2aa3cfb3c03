// async_parallel.mlir - parallel loops for the async runtime test.
//
// Lowered with --async-parallel-for (num-workers=-1 asks the runtime for its
// thread count) down to LLVM IR, then linked with runtime/AsyncRuntime.cpp
// by test_runtime.py. @scale is one flat parallel loop; @nested has a
// parallel loop inside a parallel loop, whose inner await blocks inside a
// worker: the runtime must not deadlock on it, whatever the thread count.

func.func @scale(%in: memref<?xf32>, %out: memref<?xf32>)
    attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %three = arith.constant 3.0 : f32
  %n = memref.dim %in, %c0 : memref<?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = memref.load %in[%i] : memref<?xf32>
    %r = arith.mulf %v, %three : f32
    memref.store %r, %out[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// out[i, j] = in[i, j] + i
func.func @nested(%in: memref<?x?xf32>, %out: memref<?x?xf32>)
    attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %rows = memref.dim %in, %c0 : memref<?x?xf32>
  %cols = memref.dim %in, %c1 : memref<?x?xf32>
  scf.parallel (%i) = (%c0) to (%rows) step (%c1) {
    %ii = arith.index_cast %i : index to i64
    %fi = arith.sitofp %ii : i64 to f32
    scf.parallel (%j) = (%c0) to (%cols) step (%c1) {
      %v = memref.load %in[%i, %j] : memref<?x?xf32>
      %r = arith.addf %v, %fi : f32
      memref.store %r, %out[%i, %j] : memref<?x?xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}

// Tasks that await a value and a group from inside other tasks (the
// runtime's *AndExecute entry points): returns (x + x)^2 + buf[0] + buf[1],
// where two grouped tasks store x and 2x into buf.
func.func @chain(%x: f32, %buf: memref<2xf32>) -> f32
    attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %token, %value = async.execute -> !async.value<f32> {
    %y = arith.addf %x, %x : f32
    async.yield %y : f32
  }
  %t2, %v2 = async.execute [%token] (%value as %a : !async.value<f32>)
      -> !async.value<f32> {
    %z = arith.mulf %a, %a : f32
    async.yield %z : f32
  }
  %g = async.create_group %c2 : !async.group
  %s1 = async.execute {
    memref.store %x, %buf[%c0] : memref<2xf32>
    async.yield
  }
  %s2 = async.execute {
    %x2 = arith.addf %x, %x : f32
    memref.store %x2, %buf[%c1] : memref<2xf32>
    async.yield
  }
  %r1 = async.add_to_group %s1, %g : !async.token
  %r2 = async.add_to_group %s2, %g : !async.token
  %t3, %v3 = async.execute (%v2 as %sq : !async.value<f32>)
      -> !async.value<f32> {
    async.await_all %g
    %b0 = memref.load %buf[%c0] : memref<2xf32>
    %b1 = memref.load %buf[%c1] : memref<2xf32>
    %sum = arith.addf %b0, %b1 : f32
    %res = arith.addf %sq, %sum : f32
    async.yield %res : f32
  }
  %r = async.await %v3 : !async.value<f32>
  return %r : f32
}
