//===- AsyncRuntime.cpp - MLIR async runtime on kiln's thread pool --------===//
//
// Parallel loops reach the runtime through MLIR's `async` dialect: after
// `convert-async-to-llvm` the compiled model calls the `mlirAsyncRuntime*` C
// functions declared in mlir/ExecutionEngine/AsyncRuntime.h. This file
// implements them without MLIR or LLVM (the executable links neither). The
// semantics, including the reference-counting protocol (tokens and values
// start with two references, one of them dropped when emplaced; groups hold
// one; awaiters keep a group alive until its tokens are ready), follow the
// upstream reference implementation, mlir/lib/ExecutionEngine/AsyncRuntime.cpp
// (LLVM Project, Apache-2.0 WITH LLVM-exception); the code here is our own.
//
// Thread pool: KILN_NUM_THREADS = N threads compute. N-1 workers run queued
// tasks; the thread that blocks in an await (the caller of kiln_entry, or a
// worker in a nested parallel loop) runs queued tasks itself while it waits.
// Helping keeps nested blocking awaits from deadlocking a fixed-size pool and
// lets N = 1 run everything on the calling thread with no worker at all.
//
//===----------------------------------------------------------------------===//

#include "ThreadCount.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <pthread.h>
#include <vector>

namespace kiln {
namespace runtime {
namespace async {

using CoroHandle = void *;
using CoroResume = void (*)(void *);

struct AsyncGroup;

enum State : int { kUnavailable = 0, kAvailable = 1, kError = 2 };

/// Something to run when a token, value or group becomes ready: resume a
/// coroutine, or count a token as done in a group.
struct Callback {
  CoroResume resume = nullptr;
  CoroHandle handle = nullptr;
  AsyncGroup *group = nullptr; // non-null: group membership notification
};

/// Objects alive now; tests read it to catch reference-counting leaks.
static std::atomic<int64_t> liveObjects{0};

/// Base of everything the compiled code reference-counts.
struct RefCounted {
  explicit RefCounted(int64_t refs) : refCount(refs) {
    liveObjects.fetch_add(1, std::memory_order_relaxed);
  }
  virtual ~RefCounted() { liveObjects.fetch_sub(1, std::memory_order_relaxed); }
  void addRef(int64_t n) { refCount.fetch_add(n, std::memory_order_relaxed); }
  void dropRef(int64_t n) {
    // acq_rel: the last owner must see every write made by the others.
    if (refCount.fetch_sub(n, std::memory_order_acq_rel) == n)
      delete this;
  }
  std::atomic<int64_t> refCount;
};

/// A token or value: a one-shot state change plus waiters.
struct Awaitable : RefCounted {
  // Two references: the caller's and the one the producing task drops when it
  // emplaces, so the object outlives a caller that drops its reference early.
  Awaitable() : RefCounted(2) {}
  bool ready() const { return state.load() != kUnavailable; }
  std::atomic<int> state{kUnavailable};
  std::mutex mu; // guards `awaiters` against the state change
  std::vector<Callback> awaiters;
};

struct AsyncToken : Awaitable {};

struct AsyncValue : Awaitable {
  explicit AsyncValue(int64_t size) {
    // The payload may be a vector or memref descriptor: align generously.
    size_t bytes = size > 0 ? static_cast<size_t>(size) : 1;
    storage = static_cast<std::byte *>(
        std::aligned_alloc(64, (bytes + 63) / 64 * 64));
    if (!storage) {
      std::fputs("error: out of memory in the async runtime\n", stderr);
      std::_Exit(1);
    }
  }
  ~AsyncValue() override { std::free(storage); }
  std::byte *storage;
};

struct AsyncGroup : RefCounted {
  explicit AsyncGroup(int64_t size) : RefCounted(1), pending(size) {}
  bool ready() const { return pending.load() <= 0; }
  std::atomic<int64_t> pending; // tokens not yet ready
  std::atomic<int64_t> errors{0};
  std::atomic<int64_t> rank{0};
  std::mutex mu; // guards `awaiters` against the last decrement of `pending`
  std::vector<Callback> awaiters;
};

//===----------------------------------------------------------------------===//
// Thread pool
//===----------------------------------------------------------------------===//

struct Task {
  CoroResume resume;
  CoroHandle handle;
};

class Pool {
public:
  explicit Pool(int threads) : threadCount(threads) {
    for (int i = 1; i < threads; ++i) {
      pthread_t t;
      // A worker we cannot start is not fatal: waiters run tasks themselves.
      if (pthread_create(&t, nullptr, &Pool::workerMain, this) == 0)
        pthread_detach(t);
    }
  }

  int threads() const { return threadCount; }

  void submit(CoroHandle handle, CoroResume resume) {
    {
      std::lock_guard<std::mutex> lock(mu);
      queue.push_back({resume, handle});
      if (blocked > 0)
        eventCv.notify_all();
    }
    workCv.notify_one();
  }

  /// Runs queued tasks until `ready()`; blocks only when there is no task.
  template <typename Ready> void helpUntil(Ready ready) {
    for (;;) {
      Task t;
      {
        std::unique_lock<std::mutex> lock(mu);
        // Count ourselves as blocked *before* reading the state: a producer
        // that changes the state after our read then sees `blocked` > 0 and
        // notifies (see stateChanged). Incrementing after the read loses that
        // wake-up and hangs forever.
        blocked.fetch_add(1);
        while (!ready() && queue.empty())
          eventCv.wait(lock);
        blocked.fetch_sub(1);
        if (ready())
          return;
        t = queue.front();
        queue.pop_front();
      }
      t.resume(t.handle);
    }
  }

  /// Wakes blocked waiters after a state change they may wait for. The state
  /// is stored (seq_cst) before `blocked` is read (seq_cst), and a waiter
  /// increments `blocked` before it reads the state, so one of the two sees
  /// the other; taking the mutex orders us after a waiter's last check.
  void stateChanged() {
    if (blocked.load() == 0)
      return;
    { std::lock_guard<std::mutex> lock(mu); }
    eventCv.notify_all();
  }

private:
  static void *workerMain(void *self) {
    static_cast<Pool *>(self)->workerLoop();
    return nullptr;
  }
  void workerLoop() {
    for (;;) {
      Task t;
      {
        std::unique_lock<std::mutex> lock(mu);
        workCv.wait(lock, [this] { return !queue.empty(); });
        t = queue.front();
        queue.pop_front();
      }
      t.resume(t.handle);
    }
  }

  const int threadCount;
  std::mutex mu;
  std::condition_variable workCv;  // idle workers
  std::condition_variable eventCv; // threads blocked in an await
  std::deque<Task> queue;
  std::atomic<int> blocked{0};
};

/// Started on first use, never destroyed: detached workers may still sleep on
/// its condition variables while the process exits.
static Pool &pool() {
  static Pool *instance = new Pool(configuredThreadCount());
  return *instance;
}

//===----------------------------------------------------------------------===//
// State changes
//===----------------------------------------------------------------------===//

static void runCallbacks(const std::vector<Callback> &callbacks, bool error);

/// One member token of `group` is ready.
static void groupMemberReady(AsyncGroup *group, bool error) {
  if (error)
    group->errors.fetch_add(1);
  std::vector<Callback> callbacks;
  bool last;
  {
    std::lock_guard<std::mutex> lock(group->mu);
    last = group->pending.fetch_sub(1) == 1;
    if (last)
      callbacks.swap(group->awaiters);
  }
  if (!last)
    return;
  pool().stateChanged();
  runCallbacks(callbacks, group->errors.load() > 0);
}

static void runCallbacks(const std::vector<Callback> &callbacks, bool error) {
  for (const Callback &cb : callbacks) {
    if (cb.group) {
      groupMemberReady(cb.group, error);
      cb.group->dropRef(1); // taken in mlirAsyncRuntimeAddTokenToGroup
    } else {
      cb.resume(cb.handle);
    }
  }
}

static void setState(Awaitable *a, State s) {
  std::vector<Callback> callbacks;
  {
    std::lock_guard<std::mutex> lock(a->mu);
    a->state.store(s);
    callbacks.swap(a->awaiters);
  }
  pool().stateChanged();
  // Outside the lock: a resumed coroutine may touch this object again.
  runCallbacks(callbacks, s == kError);
  a->dropRef(1); // the producer's reference, see Awaitable()
}

/// Runs `cb` now if `a` is ready, else when it becomes ready.
static void whenReady(Awaitable *a, Callback cb) {
  {
    std::lock_guard<std::mutex> lock(a->mu);
    if (!a->ready()) {
      a->awaiters.push_back(cb);
      return;
    }
  }
  runCallbacks({cb}, a->state.load() == kError);
}

} // namespace async
} // namespace runtime
} // namespace kiln

//===----------------------------------------------------------------------===//
// The C API (names and signatures of mlir/ExecutionEngine/AsyncRuntime.h)
//===----------------------------------------------------------------------===//

using namespace kiln::runtime::async;

extern "C" {

void mlirAsyncRuntimeAddRef(void *obj, int64_t count) {
  static_cast<RefCounted *>(obj)->addRef(count);
}

void mlirAsyncRuntimeDropRef(void *obj, int64_t count) {
  static_cast<RefCounted *>(obj)->dropRef(count);
}

AsyncToken *mlirAsyncRuntimeCreateToken() { return new AsyncToken(); }

AsyncValue *mlirAsyncRuntimeCreateValue(int64_t size) {
  return new AsyncValue(size);
}

AsyncGroup *mlirAsyncRuntimeCreateGroup(int64_t size) {
  return new AsyncGroup(size);
}

int64_t mlirAsyncRuntimeAddTokenToGroup(AsyncToken *token, AsyncGroup *group) {
  int64_t rank = group->rank.fetch_add(1);
  {
    std::lock_guard<std::mutex> lock(token->mu);
    if (!token->ready()) {
      group->addRef(1); // the group must outlive the pending token
      Callback cb;
      cb.group = group;
      token->awaiters.push_back(cb);
      return rank;
    }
  }
  groupMemberReady(group, token->state.load() == kError);
  return rank;
}

void mlirAsyncRuntimeEmplaceToken(AsyncToken *token) {
  setState(token, kAvailable);
}

void mlirAsyncRuntimeEmplaceValue(AsyncValue *value) {
  setState(value, kAvailable);
}

void mlirAsyncRuntimeSetTokenError(AsyncToken *token) {
  setState(token, kError);
}

void mlirAsyncRuntimeSetValueError(AsyncValue *value) {
  setState(value, kError);
}

bool mlirAsyncRuntimeIsTokenError(AsyncToken *token) {
  return token->state.load() == kError;
}

bool mlirAsyncRuntimeIsValueError(AsyncValue *value) {
  return value->state.load() == kError;
}

bool mlirAsyncRuntimeIsGroupError(AsyncGroup *group) {
  return group->errors.load() > 0;
}

void mlirAsyncRuntimeAwaitToken(AsyncToken *token) {
  pool().helpUntil([token] { return token->ready(); });
}

void mlirAsyncRuntimeAwaitValue(AsyncValue *value) {
  pool().helpUntil([value] { return value->ready(); });
}

void mlirAsyncRuntimeAwaitAllInGroup(AsyncGroup *group) {
  pool().helpUntil([group] { return group->ready(); });
}

std::byte *mlirAsyncRuntimeGetValueStorage(AsyncValue *value) {
  return value->storage;
}

void mlirAsyncRuntimeExecute(CoroHandle handle, CoroResume resume) {
  pool().submit(handle, resume);
}

void mlirAsyncRuntimeAwaitTokenAndExecute(AsyncToken *token, CoroHandle handle,
                                          CoroResume resume) {
  whenReady(token, Callback{resume, handle, nullptr});
}

void mlirAsyncRuntimeAwaitValueAndExecute(AsyncValue *value, CoroHandle handle,
                                          CoroResume resume) {
  whenReady(value, Callback{resume, handle, nullptr});
}

void mlirAsyncRuntimeAwaitAllInGroupAndExecute(AsyncGroup *group,
                                               CoroHandle handle,
                                               CoroResume resume) {
  {
    std::lock_guard<std::mutex> lock(group->mu);
    if (!group->ready()) {
      group->awaiters.push_back(Callback{resume, handle, nullptr});
      return;
    }
  }
  resume(handle);
}

// The name convert-async-to-llvm emits (sic: "Runtim", as in the upstream
// header), and the spelling one would expect, in case upstream fixes it.
int64_t mlirAsyncRuntimGetNumWorkerThreads() { return pool().threads(); }
int64_t mlirAsyncRuntimeGetNumWorkerThreads() { return pool().threads(); }

/// Not part of MLIR's API: the number of tokens, values and groups alive,
/// which is 0 between model runs when the reference counting is right.
int64_t kilnAsyncRuntimeLiveObjects() { return liveObjects.load(); }

void mlirAsyncRuntimePrintCurrentThreadId() {
  std::printf("Current thread id: %lu\n",
              static_cast<unsigned long>(pthread_self()));
  std::fflush(stdout);
}

} // extern "C"
