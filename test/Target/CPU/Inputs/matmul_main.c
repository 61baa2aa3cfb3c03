// Drives a compiled 256x1024x1024 matmul through kiln_entry (runtime/ABI.md
// descriptors), checks it against a naive reference and, given an iteration
// count as argv[1], prints GFLOP/s.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { M = 256, K = 1024, N = 1024 };

typedef struct { void *allocated, *aligned; int64_t offset, sizes[1], strides[1]; } Desc1;
typedef struct { void *allocated, *aligned; int64_t offset, sizes[2], strides[2]; } Desc2;

void kiln_entry(void **descs);
extern const char kiln_manifest[];

static Desc2 matrix(int64_t rows, int64_t cols) {
  float *p = aligned_alloc(64, rows * cols * sizeof(float));
  Desc2 d = {p, p, 0, {rows, cols}, {cols, 1}};
  return d;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv) {
  static char scratch[64];
  Desc1 weights = {scratch, scratch, 0, {0}, {1}}, arena = {scratch, scratch, 0, {0}, {1}};
  Desc2 a = matrix(M, K), b = matrix(K, N), c = matrix(M, N);
  float *pa = a.aligned, *pb = b.aligned, *pc = c.aligned;
  for (int i = 0; i < M * K; ++i) pa[i] = (float)((i * 7) % 13) / 13.0f - 0.5f;
  for (int i = 0; i < K * N; ++i) pb[i] = (float)((i * 5) % 11) / 11.0f - 0.5f;
  memset(pc, 0xff, sizeof(float) * M * N); // NaNs: every element must be written
  void *descs[] = {&weights, &arena, &a, &b, &c};
  kiln_entry(descs);

  float *ref = calloc(M * N, sizeof(float));
  for (int i = 0; i < M; ++i)
    for (int k = 0; k < K; ++k)
      for (int j = 0; j < N; ++j) ref[i * N + j] += pa[i * K + k] * pb[k * N + j];
  double maxErr = 0;
  for (int i = 0; i < M * N; ++i) {
    double e = fabs((double)pc[i] - ref[i]);
    if (!(e <= maxErr)) maxErr = e; // catches NaN
  }
  printf("manifest: %.14s\n", kiln_manifest);
  printf("max_abs_err %g\n", maxErr);
  if (!(maxErr < 1e-2)) { printf("MISMATCH\n"); return 1; }
  printf("OK\n");

  if (argc > 1) {
    int iters = atoi(argv[1]);
    kiln_entry(descs);
    double best = 1e30;
    for (int it = 0; it < iters; ++it) {
      double t0 = now();
      kiln_entry(descs);
      double t = now() - t0;
      if (t < best) best = t;
    }
    printf("best %.3f ms  %.1f GFLOP/s\n", best * 1e3, 2.0 * M * N * K / best * 1e-9);
  }
  return 0;
}
