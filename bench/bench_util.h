/* bench_util.h — small helpers shared by the benchmark suites (bench_util.c). */
#ifndef OTS_BENCH_UTIL_H
#define OTS_BENCH_UTIL_H
#include <stdint.h>

#include "ots.h"

/* rm -rf path (a scratch store); complains on stderr if it cannot. */
void ots_bench_rmrf(const char *path);
/* Bytes of regular files under dir, recursively (0 if dir is absent). */
uint64_t ots_bench_du(const char *dir);
/* An ots_store_opts.log that drops every line (benchmarks stay quiet). */
void ots_bench_quiet_log(void *ctx, ots_log_level level, const char *msg);
#endif
