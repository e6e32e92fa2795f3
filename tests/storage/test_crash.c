/* test_crash.c — kill -9 at random moments while a child appends under
 * fsync=always; after each kill the parent reopens the store and checks that
 * every acknowledged batch is there exactly once, and nothing else is (the
 * one batch in flight at the kill may be there, whole, or absent). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/storage/st.h"

int run_crash_tests(void);

#define NS 1000000000LL
#define BATCH 97
#define ROUNDS 24

static void child_append(const char *dir, int64_t first_batch, int wfd)
{
    ots_store_opts o;
    ots_store_opts_init(&o);
    o.fsync = OTS_FSYNC_ALWAYS;
    o.flush_rows = 300; /* flushes and compactions happen during the run */
    o.log = getenv("OTS_TEST_VERBOSE") ? NULL : st_quiet_log;
    ots_store *s;
    if (ots_store_open(dir, &o, &s) != OTS_OK)
        _exit(3);
    st_rows r;
    st_rows_init(&r, BATCH);
    for (int64_t k = first_batch;; k++) {
        for (int i = 0; i < BATCH; i++) {
            int64_t seq = k * 1000 + i;
            r.seq[i] = seq;
            r.ts[i] = 1709251200LL * NS + seq * NS;
            r.city[i] = (k & 1) ? "berlin" : "amsterdam";
            r.zone[i] = "z01";
            r.meter[i] = (i & 1) ? "m1" : "m2";
            r.status[i] = "ok";
            r.kwh[i] = (double)seq / 100.0;
        }
        ots_vec v[ST_NCOLS];
        st_vecs(&r, v);
        if (ots_append(s, "meter_readings", v, BATCH) != OTS_OK)
            _exit(4);
        if (write(wfd, &k, sizeof k) != (ssize_t)sizeof k)
            _exit(5);
        if (k % 7 == 0 && ots_store_flush(s) != OTS_OK)
            _exit(6);
    }
}

static void kill_nine_twenty_four_times(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("crash");
    ots_store *s = st_open(dir, OTS_FSYNC_OFF);
    st_create_meter(s);
    ots_store_close(s);
    srand(20261122);
    int64_t acked_max = -1, next_batch = 0;
    unsigned char *present = calloc(1 << 16, 1);
    for (int round = 0; round < ROUNDS; round++) {
        int pfd[2];
        assert_int_equal(pipe(pfd), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(pfd[0]);
            child_append(dir, next_batch, pfd[1]);
        }
        close(pfd[1]);
        struct timespec d = {0, (long)(5 + rand() % 60) * 1000000L};
        nanosleep(&d, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        assert_true(WIFSIGNALED(status));
        int64_t k;
        ssize_t got;
        while ((got = read(pfd[0], &k, sizeof k)) == (ssize_t)sizeof k)
            if (k > acked_max)
                acked_max = k;
        close(pfd[0]);
        /* verify */
        s = st_open(dir, OTS_FSYNC_OFF);
        memset(present, 0, 1 << 16);
        ots_scan_spec sp;
        ots_scan_spec_init(&sp, "meter_readings");
        ots_scan *sc;
        assert_int_equal(ots_scan_open(s, &sp, &sc), OTS_OK);
        const ots_batch *b;
        int64_t *rows_of = calloc(1 << 16, sizeof *rows_of);
        int rc;
        while ((rc = ots_scan_next(sc, &b)) == 1) {
            for (size_t i = 0; i < b->nrows; i++) {
                int64_t seq = b->cols[7].i64[i];
                int64_t bk = seq / 1000;
                assert_true(bk >= 0 && bk < (1 << 16));
                assert_true(b->cols[4].f64[i] == (double)seq / 100.0);
                rows_of[bk]++;
            }
        }
        assert_int_equal(rc, 0);
        ots_scan_close(sc);
        int64_t maxp = -1;
        for (int64_t q = 0; q < (1 << 16); q++) {
            if (!rows_of[q])
                continue;
            assert_int_equal(rows_of[q], BATCH); /* whole batches, each row once */
            maxp = q;
        }
        for (int64_t q = 0; q <= acked_max; q++) /* every acknowledged batch */
            if (rows_of[q] != BATCH) {
                char cmd[4200];
                snprintf(cmd, sizeof cmd, "find %s -type f | sort | xargs ls -la >&2", dir);
                if (system(cmd) != 0)
                    fprintf(stderr, "(listing failed)\n");
                fail_msg("round %d: acknowledged batch %lld has %lld rows (acked up to %lld, present up to %lld)",
                         round, (long long)q, (long long)rows_of[q], (long long)acked_max, (long long)maxp);
            }
        assert_true(maxp <= acked_max + 1); /* nothing beyond the one in flight */
        next_batch = maxp + 1;
        if (maxp > acked_max)
            acked_max = maxp;
        free(rows_of);
        ots_store_close(s);
    }
    assert_true(acked_max > ROUNDS); /* the child made progress */
    free(present);
    tu_rmrf(dir);
    free(dir);
}

int run_crash_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kill_nine_twenty_four_times),
    };
    return cmocka_run_group_tests_name("storage/crash", tests, NULL, NULL);
}
