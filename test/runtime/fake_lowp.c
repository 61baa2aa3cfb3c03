/*===- fake_lowp.c - A stand-in model with ONNX's low-precision dtypes ----===
 *
 * One input of each low-precision manifest dtype (runtime/ABI.md: int4,
 * uint4, int2, uint2, float4e2m1 and the float8s, one element per byte in
 * memory). Each is echoed to an output of the same dtype and copied, byte
 * for byte, to a u8 output, so the test sees exactly what the runtime hands
 * compiled code: the unpacking order of packed .pb data, sign extension, and
 * float4 held as float8e4m3fn.
 *===----------------------------------------------------------------------===*/

#include <stdint.h>
#include <string.h>

const char kiln_manifest[] = "kiln-manifest 1\n"
                             "arena_bytes 0\n"
                             "weights_bytes 0 cbf29ce484222325\n"
                             "input a i4 5\n"
                             "input b u4 5\n"
                             "input c i2 7\n"
                             "input d u2 7\n"
                             "input e f4e2m1 5\n"
                             "input f f8e4m3fn 3\n"
                             "input g f8e4m3fnuz 3\n"
                             "input h f8e5m2 3\n"
                             "input i f8e5m2fnuz 3\n"
                             "input j f8e8m0 3\n"
                             "output out_a i4 5\n"
                             "output out_b u4 5\n"
                             "output out_c i2 7\n"
                             "output out_d u2 7\n"
                             "output out_e f4e2m1 5\n"
                             "output out_f f8e4m3fn 3\n"
                             "output out_g f8e4m3fnuz 3\n"
                             "output out_h f8e5m2 3\n"
                             "output out_i f8e5m2fnuz 3\n"
                             "output out_j f8e8m0 3\n"
                             "output mem_a u8 5\n"
                             "output mem_b u8 5\n"
                             "output mem_c u8 7\n"
                             "output mem_d u8 7\n"
                             "output mem_e u8 5\n"
                             "output mem_f u8 3\n"
                             "output mem_g u8 3\n"
                             "output mem_h u8 3\n"
                             "output mem_i u8 3\n"
                             "output mem_j u8 3\n";

enum { kTensors = 10 };
static const int kCount[kTensors] = {5, 5, 7, 7, 5, 3, 3, 3, 3, 3};

void kiln_entry(void **descs) {
  for (int t = 0; t < kTensors; ++t) {
    int64_t *in = descs[2 + t];
    int64_t *out = descs[2 + kTensors + t];
    int64_t *mem = descs[2 + 2 * kTensors + t];
    memcpy((void *)out[1], (const void *)in[1], (size_t)kCount[t]);
    memcpy((void *)mem[1], (const void *)in[1], (size_t)kCount[t]);
  }
}
