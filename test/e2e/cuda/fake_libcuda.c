/* fake_libcuda.c — a stand-in for libcuda.so.1 so the CUDA runtime's logic (driver errors,
 * module selection per arch, out-of-memory, graph replay, event timing) can be tested on
 * machines without a GPU. "Device" memory is host memory and kernels do not run: launches
 * are only counted. Behaviour comes from the environment:
 *   FAKE_CU_INIT=<rc>        cuInit's result (100: no device, 34: stub library)
 *   FAKE_CU_COUNT=<n>        devices (default 1)
 *   FAKE_CU_CC=<major*10+minor>  compute capability (default 90)
 *   FAKE_CU_MEM_LIMIT=<bytes>    allocations above this fail with out of memory
 *   FAKE_CU_LOG=<path>       appends one line per module load ("load cubin" / "load ptx"),
 *                            launch ("launch") and graph replay ("graph launch")
 * Loaded by the executables through KILN_LIBCUDA=<this .so>. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int env(const char *name, int dflt) {
  const char *v = getenv(name);
  return v && *v ? atoi(v) : dflt;
}

static void note(const char *what) {
  const char *path = getenv("FAKE_CU_LOG");
  if (!path)
    return;
  FILE *f = fopen(path, "a");
  if (f) {
    fprintf(f, "%s\n", what);
    fclose(f);
  }
}

int cuInit(unsigned flags) { (void)flags; return env("FAKE_CU_INIT", 0); }
int cuGetErrorString(int rc, const char **s) {
  *s = rc == 2 ? "out of memory" : rc == 100 ? "no CUDA-capable device is detected" : "fake error";
  return 0;
}
int cuDeviceGetCount(int *n) { *n = env("FAKE_CU_COUNT", 1); return 0; }
int cuDeviceGet(int *d, int ordinal) { *d = ordinal; return 0; }
int cuDeviceGetName(char *name, int len, int d) {
  (void)d;
  strncpy(name, "Fake GPU", (size_t)len);
  return 0;
}
int cuDeviceGetAttribute(int *v, int attr, int d) {
  (void)d;
  int cc = env("FAKE_CU_CC", 90);
  *v = attr == 75 ? cc / 10 : attr == 76 ? cc % 10 : 0;
  return 0;
}
int cuDevicePrimaryCtxRetain(void **ctx, int d) { (void)d; *ctx = (void *)1; return 0; }
int cuCtxSetCurrent(void *ctx) { (void)ctx; return 0; }
int cuModuleLoadData(void **m, const void *image) {
  note(memcmp(image, "\177ELF", 4) == 0 ? "load cubin" : "load ptx");
  *m = (void *)1;
  return 0;
}
int cuModuleGetFunction(void **f, void *m, const char *name) {
  (void)m; (void)name;
  *f = (void *)1;
  return 0;
}
int cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                   unsigned bz, unsigned smem, void *stream, void **params, void **extra) {
  (void)f; (void)gx; (void)gy; (void)gz; (void)bx; (void)by; (void)bz; (void)smem;
  (void)stream; (void)params; (void)extra;
  note("launch");
  return 0;
}
int cuMemAlloc_v2(unsigned long long *p, size_t bytes) {
  long limit = env("FAKE_CU_MEM_LIMIT", -1);
  if (limit >= 0 && bytes > (size_t)limit)
    return 2;
  void *mem = aligned_alloc(256, (bytes + 255) / 256 * 256);
  *p = (unsigned long long)(size_t)mem;
  return mem ? 0 : 2;
}
int cuMemGetInfo_v2(size_t *freeBytes, size_t *total) {
  *freeBytes = 1000;
  *total = 2000;
  return 0;
}
int cuMemcpyHtoD_v2(unsigned long long dst, const void *src, size_t n) {
  memcpy((void *)(size_t)dst, src, n);
  return 0;
}
int cuMemcpyDtoH_v2(void *dst, unsigned long long src, size_t n) {
  memcpy(dst, (void *)(size_t)src, n);
  return 0;
}
int cuMemsetD8_v2(unsigned long long dst, unsigned char v, size_t n) {
  memset((void *)(size_t)dst, v, n);
  return 0;
}
int cuStreamCreate(void **s, unsigned flags) { (void)flags; *s = (void *)2; return 0; }
int cuStreamSynchronize(void *s) { (void)s; return 0; }
int cuStreamBeginCapture_v2(void *s, int mode) { (void)s; (void)mode; note("capture"); return 0; }
int cuStreamEndCapture(void *s, void **g) { (void)s; *g = (void *)3; return 0; }
int cuGraphInstantiateWithFlags(void **e, void *g, unsigned long long f) {
  (void)g; (void)f;
  *e = (void *)4;
  return 0;
}
int cuGraphLaunch(void *e, void *s) { (void)e; (void)s; note("graph launch"); return 0; }
int cuEventCreate(void **e, unsigned f) { (void)f; *e = (void *)5; return 0; }
int cuEventRecord(void *e, void *s) { (void)e; (void)s; return 0; }
int cuEventSynchronize(void *e) { (void)e; return 0; }
int cuEventElapsedTime(float *ms, void *a, void *b) { (void)a; (void)b; *ms = 1.5f; return 0; }
