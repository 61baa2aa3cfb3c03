/*===- fake_returned.c - A stand-in model that returns its outputs --------===
 *
 * The `returned_outputs 1` form of runtime/ABI.md: x is f32 [n, 3]; the
 * model mallocs and returns (overwriting the output slots) `t` = x
 * transposed, [3, n], handed back as a strided view (column-major storage,
 * offset 1 into its buffer) and `pairs` = i64 [n*2] (a size the manifest
 * cannot know: 2n). Each run allocates afresh; the runtime frees them.
 *===----------------------------------------------------------------------===*/

#include <stdint.h>
#include <stdlib.h>

const char kiln_manifest[] = "kiln-manifest 1\n"
                             "arena_bytes 0\n"
                             "weights_bytes 0 cbf29ce484222325\n"
                             "returned_outputs 1\n"
                             "input x f32 nx3\n"
                             "output t f32 3xn\n"
                             "output pairs i64 pairs_dim0\n";

typedef struct { void *allocated, *aligned; int64_t offset, sizes[1], strides[1]; } Memref1;
typedef struct { void *allocated, *aligned; int64_t offset, sizes[2], strides[2]; } Memref2;

void kiln_entry(void **descs) {
  Memref2 *x = descs[2], *t = descs[3];
  Memref1 *pairs = descs[4];
  int64_t n = x->sizes[0];
  const float *xf = (const float *)x->aligned + x->offset;

  /* t[i][j] = x[j][i], stored column-major after one unused element. */
  float *tb = malloc(sizeof(float) * (size_t)(3 * n + 1));
  for (int64_t j = 0; j < n; ++j)
    for (int64_t i = 0; i < 3; ++i)
      tb[1 + j * 3 + i] = xf[j * x->strides[0] + i * x->strides[1]];
  Memref2 tr = {tb, tb, 1, {3, n}, {1, 3}};
  *t = tr;

  int64_t *pb = malloc(sizeof(int64_t) * (size_t)(2 * n + 1));
  for (int64_t i = 0; i < 2 * n; ++i)
    pb[i] = i * 10;
  Memref1 pr = {pb, pb, 0, {2 * n}, {1}};
  *pairs = pr;
}
