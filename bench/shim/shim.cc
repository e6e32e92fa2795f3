/*
 * shim.cc — the extern "C" face of google-benchmark 1.7.1 declared in
 * shim.h.  An ots_bench_state is the benchmark::State itself and an
 * ots_bench the registered benchmark::internal::Benchmark, cast to opaque C
 * types; nothing here allocates per iteration.
 */
#include "bench/shim/shim.h"

#include <benchmark/benchmark.h>

#include <atomic>
#include <new>
#include <string>

namespace
{

benchmark::State &S(ots_bench_state *st) { return *reinterpret_cast<benchmark::State *>(st); }
const benchmark::State &S(const ots_bench_state *st) { return *reinterpret_cast<const benchmark::State *>(st); }
benchmark::internal::Benchmark *B(ots_bench *b) { return reinterpret_cast<benchmark::internal::Benchmark *>(b); }

/* Set by ots_bench_skip_with_error so ots_bench_main can fail the run. */
std::atomic<int> g_errors{0};

} // namespace

extern "C" {

ots_bench *ots_bench_register(const char *name, ots_bench_fn fn, void *arg)
{
    try {
        benchmark::internal::Benchmark *b = benchmark::RegisterBenchmark(
            name, [fn, arg](benchmark::State &st) { fn(reinterpret_cast<ots_bench_state *>(&st), arg); });
        return reinterpret_cast<ots_bench *>(b);
    } catch (const std::bad_alloc &) {
        return nullptr;
    }
}

void ots_bench_set_unit(ots_bench *b, ots_bench_unit unit)
{
    static const benchmark::TimeUnit units[] = {benchmark::kNanosecond, benchmark::kMicrosecond,
                                                benchmark::kMillisecond, benchmark::kSecond};
    if (b && unit >= OTS_BENCH_NS && unit <= OTS_BENCH_S)
        B(b)->Unit(units[unit]);
}

void ots_bench_use_real_time(ots_bench *b)
{
    if (b)
        B(b)->UseRealTime();
}

int ots_bench_keep_running(ots_bench_state *st) { return S(st).KeepRunning() ? 1 : 0; }
void ots_bench_pause(ots_bench_state *st) { S(st).PauseTiming(); }
void ots_bench_resume(ots_bench_state *st) { S(st).ResumeTiming(); }
int64_t ots_bench_iterations(const ots_bench_state *st) { return static_cast<int64_t>(S(st).iterations()); }

void ots_bench_set_items_processed(ots_bench_state *st, int64_t items) { S(st).SetItemsProcessed(items); }

void ots_bench_set_bytes_processed(ots_bench_state *st, int64_t bytes) { S(st).SetBytesProcessed(bytes); }

void ots_bench_set_label(ots_bench_state *st, const char *label) { S(st).SetLabel(label); }

void ots_bench_counter(ots_bench_state *st, const char *name, double value, int flags)
{
    int f = benchmark::Counter::kDefaults;
    if (flags & OTS_BENCH_COUNTER_RATE)
        f |= benchmark::Counter::kIsRate;
    if (flags & OTS_BENCH_COUNTER_PER_ITER)
        f |= benchmark::Counter::kAvgIterations;
    if (flags & OTS_BENCH_COUNTER_ITER_TOTAL)
        f |= benchmark::Counter::kIsIterationInvariant;
    benchmark::Counter::OneK k =
        (flags & OTS_BENCH_COUNTER_KILO_1024) ? benchmark::Counter::kIs1024 : benchmark::Counter::kIs1000;
    S(st).counters[name] = benchmark::Counter(value, static_cast<benchmark::Counter::Flags>(f), k);
}

void ots_bench_skip_with_error(ots_bench_state *st, const char *msg)
{
    g_errors.fetch_add(1);
    S(st).SkipWithError(msg);
}

int ots_bench_main(int argc, char **argv)
{
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return g_errors.load() ? 1 : 0;
}

} // extern "C"
