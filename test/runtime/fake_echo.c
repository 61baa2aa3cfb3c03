/*===- fake_echo.c - A weightless stand-in model with every dtype ---------===
 *
 * Copies each input to the output of the same position, for one input of
 * every manifest dtype (and a rank-0 one), so the test can round-trip .npy
 * and .pb data of all kinds through the runtime. weights_bytes is 0: a model
 * without weights must run with nothing appended to the executable.
 *===----------------------------------------------------------------------===*/

#include <stdint.h>
#include <string.h>

const char kiln_manifest[] = "kiln-manifest 1\n"
                             "arena_bytes 0\n"
                             "weights_bytes 0 cbf29ce484222325\n"
                             "input a f64 2x3\n"
                             "input b f16 4\n"
                             "input c i8 3\n"
                             "input d i16 3\n"
                             "input e i32 2\n"
                             "input f i64 2\n"
                             "input g u8 5\n"
                             "input h u16 2\n"
                             "input i u32 2\n"
                             "input j u64 2\n"
                             "input k bool 3\n"
                             "input l bf16 2\n"
                             "input m f32 scalar\n"
                             "output out_a f64 2x3\n"
                             "output out_b f16 4\n"
                             "output out_c i8 3\n"
                             "output out_d i16 3\n"
                             "output out_e i32 2\n"
                             "output out_f i64 2\n"
                             "output out_g u8 5\n"
                             "output out_h u16 2\n"
                             "output out_i u32 2\n"
                             "output out_j u64 2\n"
                             "output out_k bool 3\n"
                             "output out_l bf16 2\n"
                             "output out/m f32 scalar\n";

enum { kTensors = 13 };
static const int kRank[kTensors] = {2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0};
static const int kElemSize[kTensors] = {8, 2, 1, 2, 4, 8, 1, 2, 4, 8, 1, 2, 4};

void kiln_entry(void **descs) {
  for (int t = 0; t < kTensors; ++t) {
    int64_t *in = descs[2 + t], *out = descs[2 + kTensors + t];
    int64_t count = 1;
    for (int d = 0; d < kRank[t]; ++d)
      count *= in[3 + d];
    memcpy((void *)out[1], (const void *)in[1], (size_t)(count * kElemSize[t]));
  }
}
