/*===- fake_model.c - Hand-written stand-in for a compiled model ----------===
 *
 * Defines what a compiled model object defines (runtime/ABI.md): `kiln_entry`
 * and `kiln_manifest`. It computes y = x * 2 + w[i % 16] (w: 16 float32
 * weights) over a symbolic dim `n`, z = k + 1 (through the arena), and
 * count = n; it never writes `untouched`, so the runtime's poison shows.
 * It checks the descriptors it receives and reports violations in `count`
 * (-1: alignment, -2: layout, -3: weights size) so the test sees them.
 *
 * KILN_WEIGHTS_HASH (16 hex digits) is given on the compile line because
 * the test generates the weights.
 *===----------------------------------------------------------------------===*/

#include <stdint.h>
#include <string.h>

#ifndef KILN_WEIGHTS_HASH
#error "compile with -DKILN_WEIGHTS_HASH=\"<16 hex digits>\""
#endif

const char kiln_manifest[] = "kiln-manifest 1\n"
                             "arena_bytes 4096\n"
                             "weights_bytes 64 " KILN_WEIGHTS_HASH "\n"
                             "input x f32 nx4\n"
                             "input k i32 n\n"
                             "output y f32 nx4\n"
                             "output z i64 n\n"
                             "output count i64 scalar\n"
                             "output untouched f32 2\n";

typedef struct { void *allocated, *aligned; int64_t offset, sizes[1], strides[1]; } Memref1;
typedef struct { void *allocated, *aligned; int64_t offset, sizes[2], strides[2]; } Memref2;
typedef struct { void *allocated, *aligned; int64_t offset; } Memref0;

static int aligned64(const void *p) { return ((uintptr_t)p & 63) == 0; }

void kiln_entry(void **descs) {
  Memref1 *w = descs[0], *arena = descs[1], *k = descs[3], *z = descs[5];
  Memref2 *x = descs[2], *y = descs[4];
  Memref0 *count = descs[6];
  Memref1 *untouched = descs[7];
  (void)untouched;
  int64_t n = x->sizes[0];
  int64_t status = n;

  void *all[] = {w->aligned, arena->aligned, x->aligned, k->aligned,
                 y->aligned, z->aligned, count->aligned, untouched->aligned};
  for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); ++i)
    if (!aligned64(all[i]) || ((Memref0 *)descs[i])->allocated != all[i] ||
        ((Memref0 *)descs[i])->offset != 0)
      status = -1;
  if (x->sizes[1] != 4 || x->strides[0] != 4 || x->strides[1] != 1 ||
      k->sizes[0] != n || k->strides[0] != 1 || y->sizes[0] != n ||
      z->sizes[0] != n || arena->sizes[0] != 4096 || untouched->sizes[0] != 2)
    status = -2;
  if (w->sizes[0] != 64)
    status = -3;

  const float *wf = w->aligned;
  const float *xf = x->aligned;
  float *yf = y->aligned;
  for (int64_t i = 0; i < n * 4; ++i)
    yf[i] = xf[i] * 2.0f + wf[i % 16];

  /* Stage k + 1 in the arena in chunks, as compiled code would use scratch. */
  int64_t *scratch = arena->aligned;
  const int32_t *ki = k->aligned;
  int64_t *zi = z->aligned;
  for (int64_t base = 0; base < n; base += 512) {
    int64_t len = n - base < 512 ? n - base : 512;
    for (int64_t i = 0; i < len; ++i)
      scratch[i] = (int64_t)ki[base + i] + 1;
    memcpy(zi + base, scratch, (size_t)len * sizeof(int64_t));
  }
  *(int64_t *)count->aligned = status;
}
