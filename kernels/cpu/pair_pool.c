/* pair_pool.c: a second thread for microsecond-sized CPU work (batch-1 inference: a GEMV that reads an 800 KB
 * weight matrix from L2 in about 10 us on one core). An OpenMP parallel region does not fit that size under the
 * passive wait policy tunebench runs with (waking a sleeping thread costs tens of microseconds), and an active
 * policy makes every idle OpenMP thread spin and starve concurrent trials. This pool has ONE helper thread that
 * spins for a bounded time (TB_PAIR_SPIN_NS) after its last job and then sleeps on a condition variable: calls that
 * come back to back (a latency benchmark, a model serving requests) find it awake, and an idle process costs
 * nothing after the spin window. The caller runs part 0 itself; part 1 goes to whoever claims it first (one
 * compare-and-swap): the helper when it is awake on another core, else the caller after its own part, so a call is
 * never slower than running both parts serially by more than the hand-off (the helper may sit on a core busy with
 * other processes; its spin loop yields the core now and then). A helper that finds itself on the caller's core
 * moves off it (its affinity: the CPUs it started with, less the caller's), since two spinning threads sharing a
 * core halve the caller's speed until the scheduler separates them. One caller at a time (another caller, e.g. a concurrent trial, runs both parts itself rather than wait).
 * The parts must write disjoint data: results do not depend on which thread ran which part.
 * Not a general thread pool (OpenMP is that). Tested by tests/test_gemm_small.c (the M <= 4 GEMM path that uses it:
 * correctness, bit-identical to the one-thread result, many calls in a row, concurrent callers). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getcpu, CPU_SET, pthread_setaffinity_np */
#endif
#include "cpu_impl.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

/* How long the helper spins after a job before it sleeps: longer than the gap between calls of a tight loop of
 * batch-1 predictions, short enough to be invisible in CPU time when the process does other things. */
#define TB_PAIR_SPIN_NS 200000LL

static struct {
  pthread_once_t once;
  int ok;                   /* the helper thread exists */
  pthread_mutex_t mu;       /* guards the sleep / wake handshake */
  pthread_cond_t cv;
  atomic_flag busy;         /* one caller at a time */
  atomic_uint seq;          /* job number, published after fn / arg */
  atomic_uint claim;        /* the last job number whose part 1 was claimed (by the helper or the caller) */
  atomic_uint done;         /* the last job number whose part 1 the helper finished */
  atomic_int sleeping;      /* 1 while the helper waits on cv */
  atomic_int caller_cpu;    /* the CPU the last caller published from (-1: unknown) */
  tb_cpu_pair_fn fn;
  void *arg;
} pool = {.once = PTHREAD_ONCE_INIT, .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER,
          .busy = ATOMIC_FLAG_INIT, .caller_cpu = -1};

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Moves the helper off CPU c when it runs there and another CPU of its starting set is left. */
static void move_off(const cpu_set_t *start, int c) {
  if (c < 0 || c >= CPU_SETSIZE || sched_getcpu() != c || !CPU_ISSET(c, start) || CPU_COUNT(start) < 2) return;
  cpu_set_t m = *start;
  CPU_CLR(c, &m);
  pthread_setaffinity_np(pthread_self(), sizeof m, &m);
}

static void *helper_main(void *unused) {
  (void)unused;
  unsigned last = 0;
  cpu_set_t start;
  if (pthread_getaffinity_np(pthread_self(), sizeof start, &start) != 0) CPU_ZERO(&start);
  for (;;) {
    long long t0 = now_ns();
    unsigned spins = 0;
    while (atomic_load(&pool.seq) == last) {
      cpu_relax();
      if ((++spins & 63u) == 0) move_off(&start, atomic_load_explicit(&pool.caller_cpu, memory_order_relaxed));
      if ((spins & 1023u) == 0) sched_yield(); /* lets a thread sharing this core run (a syscall: not too often) */
      if ((spins & 255u) == 0 && now_ns() - t0 > TB_PAIR_SPIN_NS) {
        pthread_mutex_lock(&pool.mu);
        atomic_store(&pool.sleeping, 1); /* seq_cst: a caller that publishes after this sees it and signals */
        while (atomic_load(&pool.seq) == last) pthread_cond_wait(&pool.cv, &pool.mu);
        atomic_store(&pool.sleeping, 0);
        pthread_mutex_unlock(&pool.mu);
      }
    }
    last = atomic_load(&pool.seq);
    unsigned expect = last - 1;
    if (atomic_compare_exchange_strong(&pool.claim, &expect, last)) { /* else the caller ran part 1 itself */
      pool.fn(pool.arg, 1);
      atomic_store_explicit(&pool.done, last, memory_order_release);
    }
  }
  return NULL;
}

static void pool_start(void) {
  pthread_t t;
  pthread_attr_t at;
  if (pthread_attr_init(&at) != 0) return;
  pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
  pool.ok = pthread_create(&t, &at, helper_main, NULL) == 0;
  pthread_attr_destroy(&at);
}

void tb_cpu_pair_run(tb_cpu_pair_fn fn, void *arg) {
  pthread_once(&pool.once, pool_start);
  if (!pool.ok || atomic_flag_test_and_set_explicit(&pool.busy, memory_order_acquire)) {
    fn(arg, 0); /* no helper, or another caller has it: both parts here */
    fn(arg, 1);
    return;
  }
  pool.fn = fn;
  pool.arg = arg;
  atomic_store_explicit(&pool.caller_cpu, sched_getcpu(), memory_order_relaxed);
  unsigned s = atomic_load(&pool.seq) + 1;
  atomic_store(&pool.seq, s); /* seq_cst, then the sleeping check: the helper misses no job */
  if (atomic_load(&pool.sleeping)) {
    pthread_mutex_lock(&pool.mu);
    pthread_cond_signal(&pool.cv);
    pthread_mutex_unlock(&pool.mu);
  }
  fn(arg, 0);
  unsigned expect = s - 1;
  if (atomic_compare_exchange_strong(&pool.claim, &expect, s)) fn(arg, 1); /* the helper has not taken it */
  else
    while (atomic_load_explicit(&pool.done, memory_order_acquire) != s) cpu_relax();
  atomic_flag_clear_explicit(&pool.busy, memory_order_release);
}
