// Drives a compiled 1x64x56x56 3x3 conv + bias + relu through kiln_entry, checks it
// against a naive reference and, given an iteration count as argv[1], prints GFLOP/s.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
enum { C = 64, F = 64, H = 58, W = 58, OH = 56, OW = 56 };
typedef struct { void *allocated, *aligned; int64_t offset, sizes[1], strides[1]; } Desc1;
typedef struct { void *allocated, *aligned; int64_t offset, sizes[4], strides[4]; } Desc4;
void kiln_entry(void **descs);
static Desc4 t4(int64_t a, int64_t b, int64_t c, int64_t d) {
  float *p = aligned_alloc(64, a * b * c * d * 4);
  Desc4 r = {p, p, 0, {a, b, c, d}, {b * c * d, c * d, d, 1}};
  return r;
}
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
int main(int argc, char **argv) {
  static char s[64];
  Desc1 wts = {s, s, 0, {0}, {1}}, arena = wts;
  Desc4 x = t4(1, C, H, W), w = t4(F, C, 3, 3), o = t4(1, F, OH, OW);
  float *b = aligned_alloc(64, 256);
  Desc1 bd = {b, b, 0, {F}, {1}};
  float *px = x.aligned, *pw = w.aligned, *po = o.aligned;
  for (int i = 0; i < C * H * W; ++i) px[i] = (float)((i * 7) % 13) / 13.0f - 0.5f;
  for (int i = 0; i < F * C * 9; ++i) pw[i] = (float)((i * 5) % 11) / 11.0f - 0.5f;
  for (int i = 0; i < F; ++i) b[i] = 0.01f * i - 0.3f;
  memset(po, 0xff, 4 * F * OH * OW);
  void *descs[] = {&wts, &arena, &x, &w, &bd, &o};
  kiln_entry(descs);
  double maxErr = 0;
  for (int f = 0; f < F; ++f) for (int i = 0; i < OH; ++i) for (int j = 0; j < OW; ++j) {
    float acc = 0;
    for (int c = 0; c < C; ++c) for (int kh = 0; kh < 3; ++kh) for (int kw = 0; kw < 3; ++kw)
      acc += px[(c * H + i + kh) * W + j + kw] * pw[((f * C + c) * 3 + kh) * 3 + kw];
    acc += b[f]; if (acc < 0) acc = 0;
    double e = fabs(acc - po[(f * OH + i) * OW + j]);
    if (!(e <= maxErr)) maxErr = e;
  }
  printf("max_abs_err %g\n", maxErr);
  if (!(maxErr < 1e-3)) { printf("MISMATCH\n"); return 1; }
  printf("OK\n");
  if (argc > 1) {
    int iters = atoi(argv[1]); double best = 1e30;
    for (int it = 0; it < iters; ++it) { double t0 = now(); kiln_entry(descs); double t = now() - t0; if (t < best) best = t; }
    printf("best %.3f ms  %.1f GFLOP/s\n", best * 1e3, 2.0 * F * C * 9 * OH * OW / best * 1e-9);
  }
  return 0;
}
