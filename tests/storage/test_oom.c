/* test_oom.c — make the Nth allocation fail, for every N through a whole
 * session (open, create, append, scan, flush, checkpoint, close): every call
 * must fail cleanly (OTS_ENOMEM or a clean error) and never crash, and the
 * store must reopen afterwards holding each batch whole or not at all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/storage/st.h"

int run_oom_tests(void);

#define NS 1000000000LL

/* One session; returns how many calls failed. */
static int session(const char *dir, st_rows *r)
{
    int failed = 0;
    ots_store_opts o;
    ots_store_opts_init(&o);
    o.fsync = OTS_FSYNC_OFF;
    o.log = st_quiet_log;
    ots_store *s;
    if (ots_store_open(dir, &o, &s) != OTS_OK)
        return 1;
    ots_table_info ti;
    if (ots_table_get(s, "meter_readings", &ti) != OTS_OK &&
        ots_table_create(s, "meter_readings", st_meter_cols, ST_NCOLS, NULL, 0) != OTS_OK)
        failed++;
    ots_vec v[ST_NCOLS];
    st_vecs(r, v);
    if (ots_append(s, "meter_readings", v, r->n) != OTS_OK)
        failed++;
    ots_scan_spec sp;
    ots_scan_spec_init(&sp, "meter_readings");
    const char *m = "m3";
    ots_tag_pred p = {"meter_id", &m, 1};
    for (int pass = 0; pass < 2; pass++) {
        if (pass) {
            sp.preds = &p;
            sp.npreds = 1;
        }
        ots_scan *sc;
        if (ots_scan_open(s, &sp, &sc) != OTS_OK) {
            failed++;
            continue;
        }
        const ots_batch *b;
        int rc;
        while ((rc = ots_scan_next(sc, &b)) == 1) {
        }
        if (rc < 0)
            failed++;
        ots_scan_close(sc);
        if (!pass && ots_store_flush(s) != OTS_OK)
            failed++;
    }
    if (ots_store_checkpoint(s) != OTS_OK)
        failed++;
    if (ots_store_close(s) != OTS_OK)
        failed++;
    return failed;
}

static size_t rows_now(const char *dir)
{
    ots_store *s = st_open(dir, OTS_FSYNC_OFF);
    ots_table_info ti;
    size_t n = 0;
    if (ots_table_get(s, "meter_readings", &ti) == OTS_OK) {
        ots_scan_spec sp;
        ots_scan_spec_init(&sp, "meter_readings");
        n = st_count(s, &sp, NULL);
    }
    ots_store_close(s);
    return n;
}

static void every_allocation_may_fail(void **state)
{
    (void)state;
    st_rows r;
    st_rows_init(&r, 300);
    for (size_t i = 0; i < 300; i++) {
        r.ts[i] = 1709251200LL * NS + (int64_t)(i / 10) * 60 * NS;
        r.city[i] = i % 2 ? "oslo" : "rome";
        r.zone[i] = "z1";
        r.meter[i] = st_str(&r, "m%zu", i % 10);
        r.status[i] = i % 3 ? "ok" : "warn";
        r.kwh[i] = (double)i / 4;
        r.seq[i] = (int64_t)i;
    }
    int clean_runs = 0;
    for (uint64_t n = 1; n < 5000 && clean_runs < 3; n++) {
        char *dir = tu_mkdtemp("oom");
        ots_alloc_fail_after(n, 0);
        int failed = session(dir, &r);
        ots_alloc_fail_after(0, 0);
        clean_runs = failed ? 0 : clean_runs + 1;
        size_t got = rows_now(dir);
        /* the batch's rows (after dedup: 300 distinct (series, ts)) are all there or none */
        if (got != 0 && got != 300)
            fail_msg("allocation %llu failing left %zu rows", (unsigned long long)n, got);
        tu_rmrf(dir);
        free(dir);
    }
    assert_int_equal(clean_runs, 3);
    st_rows_free(&r);
}

int run_oom_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_allocation_may_fail),
    };
    return cmocka_run_group_tests_name("storage/oom", tests, NULL, NULL);
}
