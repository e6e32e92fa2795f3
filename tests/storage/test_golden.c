/* test_golden.c — stores written by format version 1 (tests/golden/) must
 * keep opening and returning exactly their rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/storage/st.h"

int run_golden_tests(void);

static void check_store(const char *golden)
{
    char *dir = tu_mkdtemp("golden");
    char cmd[8300];
    snprintf(cmd, sizeof cmd, "cp -r %s/. %s/", golden, dir);
    assert_int_equal(system(cmd), 0);
    ots_store *s = st_open(dir, OTS_FSYNC_OFF);
    ots_scan_spec sp;
    ots_scan_spec_init(&sp, "m");
    ots_scan *sc;
    assert_int_equal(ots_scan_open(s, &sp, &sc), OTS_OK);
    const ots_batch *b;
    int seen[40] = {0};
    size_t n = 0;
    while (ots_scan_next(sc, &b) == 1) {
        for (size_t r = 0; r < b->nrows; r++) {
            int64_t nv = b->cols[6].i64[r];
            assert_true((nv + 7) % 1000 == 0);
            int i = (int)((nv + 7) / 1000);
            assert_true(i >= 0 && i < 40);
            seen[i]++;
            assert_true(b->cols[0].i64[r] == 1709251200000000000LL + (int64_t)(i / 4) * 60000000000LL);
            assert_string_equal(b->cols[1].str[r], "c1");
            assert_string_equal(b->cols[2].str[r], "z1");
            const char *m = (i % 4 == 0) ? "m1" : (i % 4 == 1) ? "m2" : (i % 4 == 2) ? "m3" : "m4";
            assert_string_equal(b->cols[3].str[r], m);
            int kv = b->cols[4].valid ? b->cols[4].valid[r] : 1;
            assert_int_equal(kv, i % 7 != 3);
            if (kv)
                assert_true(b->cols[4].f64[r] == 1.0 + i * 0.25);
            int sv = b->cols[5].valid ? b->cols[5].valid[r] : 1;
            assert_int_equal(sv, i % 9 != 2);
            if (sv)
                assert_string_equal(b->cols[5].str[r], i % 5 ? "ok" : "fault");
            assert_int_equal(b->cols[7].b[r], i & 1);
            n++;
        }
    }
    ots_scan_close(sc);
    assert_int_equal(n, 40);
    for (int i = 0; i < 40; i++)
        assert_int_equal(seen[i], 1);
    ots_store_close(s);
    tu_rmrf(dir);
    free(dir);
}

static void segment_v1_still_reads(void **state)
{
    (void)state;
    check_store("tests/golden/store-v1-segment");
}

static void wal_v1_still_replays(void **state)
{
    (void)state;
    check_store("tests/golden/store-v1-wal");
}

int run_golden_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(segment_v1_still_reads),
        cmocka_unit_test(wal_v1_still_replays),
    };
    return cmocka_run_group_tests_name("storage/golden", tests, NULL, NULL);
}
