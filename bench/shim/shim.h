/*
 * shim.h — write google-benchmark (1.7.1) benchmarks in C.
 *
 * bench/shim/shim.cc wraps the C++ API behind these extern "C" calls, so a
 * suite (bench/bench_<topic>.c) is plain C compiled with the project's
 * flags.  A suite registers its benchmarks from a function marked with
 * OTS_BENCH_SUITE (run before main), and bench/bench_main.c hands argv to
 * ots_bench_main, so every --benchmark_* flag works (--benchmark_filter,
 * --benchmark_min_time=0.1 — a plain number of seconds in 1.7.1 —,
 * --benchmark_format=json, --benchmark_out=FILE, …).
 *
 * A benchmark function:
 *
 *     static void bm_encode(ots_bench_state *st, void *arg)
 *     {
 *         const struct column *c = arg;
 *         while (ots_bench_keep_running(st))
 *             encode(c);                       // the timed work
 *         ots_bench_set_items_processed(st, ots_bench_iterations(st) * c->n);
 *         ots_bench_counter(st, "bytes_per_value", c->encoded / (double)c->n, 0);
 *     }
 *     OTS_BENCH_SUITE(register_codecs)
 *     {
 *         ots_bench_register("encode/kwh", bm_encode, &kwh_column);
 *     }
 *
 * Rules inherited from google-benchmark: ots_bench_keep_running must be
 * called until it returns 0 (even after ots_bench_skip_with_error, when it
 * returns 0 at once); pause/resume only inside the loop; the state pointer is
 * valid only during the call.  Not thread-safe: register from one thread.
 */
#ifndef OTS_BENCH_SHIM_H
#define OTS_BENCH_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ots_bench_state ots_bench_state; /* one run of one benchmark */
typedef struct ots_bench ots_bench;             /* a registered benchmark */

/* The benchmark body; arg is the pointer given at registration. */
typedef void (*ots_bench_fn)(ots_bench_state *st, void *arg);

/* Run a suite's registration function before main (GCC/Clang constructor). */
#define OTS_BENCH_SUITE(fn)                            \
    static void fn(void) __attribute__((constructor)); \
    static void fn(void)

/* Register fn under name (copied), called with arg (not owned; must outlive
 * the run).  Returns the benchmark for the setters below, or NULL on
 * out-of-memory. */
ots_bench *ots_bench_register(const char *name, ots_bench_fn fn, void *arg);

/* Time unit of the reported times (default nanoseconds). */
typedef enum ots_bench_unit {
    OTS_BENCH_NS = 0,
    OTS_BENCH_US = 1,
    OTS_BENCH_MS = 2,
    OTS_BENCH_S = 3,
} ots_bench_unit;
void ots_bench_set_unit(ots_bench *b, ots_bench_unit unit);
/* Report wall time instead of the main thread's CPU time (I/O benchmarks). */
void ots_bench_use_real_time(ots_bench *b);

/* 1 while the timed loop should run another iteration, then 0. */
int ots_bench_keep_running(ots_bench_state *st);
/* Stop / restart the timer inside the loop (setup work per iteration). */
void ots_bench_pause(ots_bench_state *st);
void ots_bench_resume(ots_bench_state *st);
/* Iterations run so far (the total, once the loop has ended). */
int64_t ots_bench_iterations(const ots_bench_state *st);

/* Totals over all iterations; reported as items/s and bytes/s. */
void ots_bench_set_items_processed(ots_bench_state *st, int64_t items);
void ots_bench_set_bytes_processed(ots_bench_state *st, int64_t bytes);
/* A short text shown after the results (copied). */
void ots_bench_set_label(ots_bench_state *st, const char *label);

/* How a custom counter's value is reported (flags may be or'ed). */
#define OTS_BENCH_COUNTER_RATE 0x1       /* divided by the elapsed time: a per-second rate */
#define OTS_BENCH_COUNTER_PER_ITER 0x2   /* divided by the iterations */
#define OTS_BENCH_COUNTER_ITER_TOTAL 0x4 /* multiplied by the iterations (value is per iteration) */
#define OTS_BENCH_COUNTER_KILO_1024 0x8  /* print with 1024-based prefixes */
/* Set counter `name` (copied) to value.  Examples:
 *   ots_bench_counter(st, "bytes_per_value", enc_bytes / (double)n, 0);
 *   ots_bench_counter(st, "rows_per_s", (double)rows,
 *                     OTS_BENCH_COUNTER_RATE | OTS_BENCH_COUNTER_ITER_TOTAL);
 * (rows per iteration, reported as rows per second). */
void ots_bench_counter(ots_bench_state *st, const char *name, double value, int flags);

/* Mark this run failed with msg (copied); the loop then ends.  The run is
 * reported with "error_occurred": true, and ots_bench_main returns 1. */
void ots_bench_skip_with_error(ots_bench_state *st, const char *msg);

/* Parse argv (google-benchmark flags; anything else is an error), run the
 * selected benchmarks with the console reporter (and the file reporter of
 * --benchmark_out).  Returns 0, 1 if any benchmark reported an error, or 2 on
 * an unrecognised argument. */
int ots_bench_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif /* OTS_BENCH_SHIM_H */
