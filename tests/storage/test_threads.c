/* test_threads.c — several threads appending to one store under
 * fsync=always (group commit) while another scans: every row arrives once. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/storage/st.h"

int run_threads_tests(void);

#define NS 1000000000LL
#define THREADS 4
#define BATCHES 60
#define ROWS 25

typedef struct arg {
    ots_store *s;
    int id;
    int rc;
} arg;

static void *writer(void *p)
{
    arg *a = p;
    st_rows r;
    st_rows_init(&r, ROWS);
    for (int k = 0; k < BATCHES && !a->rc; k++) {
        for (int i = 0; i < ROWS; i++) {
            int64_t seq = ((int64_t)a->id * BATCHES + k) * ROWS + i;
            r.ts[i] = 1709251200LL * NS + seq * NS;
            r.city[i] = a->id % 2 ? "oslo" : "rome";
            r.zone[i] = "z1";
            r.meter[i] = a->id % 2 ? "a" : "b";
            r.status[i] = "ok";
            r.seq[i] = seq;
        }
        ots_vec v[ST_NCOLS];
        st_vecs(&r, v);
        a->rc = ots_append(a->s, "meter_readings", v, ROWS);
    }
    st_rows_free(&r);
    return NULL;
}

static void *reader(void *p)
{
    arg *a = p;
    for (int k = 0; k < 20 && !a->rc; k++) {
        ots_scan_spec sp;
        ots_scan_spec_init(&sp, "meter_readings");
        ots_scan *sc;
        if ((a->rc = ots_scan_open(a->s, &sp, &sc)) != OTS_OK)
            break;
        const ots_batch *b;
        int rc;
        while ((rc = ots_scan_next(sc, &b)) == 1) {
        }
        if (rc < 0)
            a->rc = rc;
        ots_scan_close(sc);
    }
    return NULL;
}

static void concurrent_appends_and_scans(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("threads");
    ots_store_opts o;
    ots_store_opts_init(&o);
    o.fsync = OTS_FSYNC_ALWAYS;
    o.flush_rows = 500; /* flushes and compactions while others write and read */
    o.log = st_quiet_log;
    ots_store *s;
    assert_int_equal(ots_store_open(dir, &o, &s), OTS_OK);
    st_create_meter(s);
    pthread_t th[THREADS + 1];
    arg a[THREADS + 1];
    for (int i = 0; i <= THREADS; i++) {
        a[i] = (arg){s, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, i < THREADS ? writer : reader, &a[i]), 0);
    }
    for (int i = 0; i <= THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(a[i].rc, OTS_OK);
    }
    ots_scan_spec sp;
    ots_scan_spec_init(&sp, "meter_readings");
    int64_t sum;
    int64_t n = THREADS * BATCHES * ROWS;
    assert_int_equal(st_count(s, &sp, &sum), n);
    assert_true(sum == n * (n - 1) / 2);
    ots_store_close(s);
    s = st_open(dir, OTS_FSYNC_OFF);
    assert_int_equal(st_count(s, &sp, &sum), n);
    assert_true(sum == n * (n - 1) / 2);
    ots_store_close(s);
    tu_rmrf(dir);
    free(dir);
}

int run_threads_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(concurrent_appends_and_scans),
    };
    return cmocka_run_group_tests_name("storage/threads", tests, NULL, NULL);
}
