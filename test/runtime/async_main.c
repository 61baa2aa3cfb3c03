/*===- async_main.c - Driver for the async runtime test -------------------===
 *
 * Calls the functions of async_parallel.mlir (lowered to an object) many
 * times and checks every element, so races or reference-counting bugs in
 * runtime/AsyncRuntime.cpp show up as wrong values, leaks, hangs or
 * crashes. Prints "ok <threads>" on success; exits 1 with a message if not.
 *===----------------------------------------------------------------------===*/

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct { float *allocated, *aligned; int64_t offset, sizes[1], strides[1]; } Memref1;
typedef struct { float *allocated, *aligned; int64_t offset, sizes[2], strides[2]; } Memref2;

void _mlir_ciface_scale(Memref1 *in, Memref1 *out);
void _mlir_ciface_nested(Memref2 *in, Memref2 *out);
float _mlir_ciface_chain(float x, Memref1 *buf);
int64_t mlirAsyncRuntimGetNumWorkerThreads(void);
int64_t kilnAsyncRuntimeLiveObjects(void);

static int fail(const char *what, long i) {
  fprintf(stderr, "error: %s (at %ld)\n", what, i);
  return 1;
}

int main(void) {
  enum { N = 100000, ROWS = 37, COLS = 1001, ITERS = 400 };
  float *in = malloc(N * sizeof(float)), *out = malloc(N * sizeof(float));
  float *in2 = malloc(ROWS * COLS * sizeof(float));
  float *out2 = malloc(ROWS * COLS * sizeof(float));
  for (long i = 0; i < N; ++i)
    in[i] = (float)(i % 1000) - 500.0f;
  for (long i = 0; i < ROWS * COLS; ++i)
    in2[i] = (float)(i % 77);

  for (int it = 0; it < ITERS; ++it) {
    for (long i = 0; i < N; ++i)
      out[i] = -1.0f;
    Memref1 a = {in, in, 0, {N}, {1}}, b = {out, out, 0, {N}, {1}};
    _mlir_ciface_scale(&a, &b);
    for (long i = 0; i < N; ++i)
      if (out[i] != in[i] * 3.0f)
        return fail("scale: wrong element", i);

    for (long i = 0; i < ROWS * COLS; ++i)
      out2[i] = -1.0f;
    Memref2 c = {in2, in2, 0, {ROWS, COLS}, {COLS, 1}};
    Memref2 d = {out2, out2, 0, {ROWS, COLS}, {COLS, 1}};
    _mlir_ciface_nested(&c, &d);
    for (long i = 0; i < ROWS * COLS; ++i)
      if (out2[i] != in2[i] + (float)(i / COLS))
        return fail("nested: wrong element", i);

    float buf[2] = {0, 0};
    Memref1 e = {buf, buf, 0, {2}, {1}};
    float x = (float)it;
    float r = _mlir_ciface_chain(x, &e);
    if (r != (x + x) * (x + x) + x + 2 * x)
      return fail("chain: wrong result", it);

    /* A worker may still be between emplacing the last token and dropping
       its own reference when the caller wakes up: allow it a moment. */
    for (int wait = 0; wait < 2000 && kilnAsyncRuntimeLiveObjects() != 0; ++wait)
      nanosleep(&(struct timespec){0, 1000000}, NULL);
    if (kilnAsyncRuntimeLiveObjects() != 0)
      return fail("async objects leaked after a run", (long)kilnAsyncRuntimeLiveObjects());
  }
  printf("ok %ld\n", (long)mlirAsyncRuntimGetNumWorkerThreads());
  return 0;
}
