/*
 * bench_main.c — the ots_bench program: every suite (bench/bench_*.c) has
 * registered its benchmarks before main through OTS_BENCH_SUITE; this hands
 * the command line to google-benchmark (see bench/README.md).
 */
#include "bench/shim/shim.h"

int main(int argc, char **argv) { return ots_bench_main(argc, argv); }
