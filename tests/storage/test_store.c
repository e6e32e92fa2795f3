/* test_store.c — open/lock/catalog, append + scan round trips, validation,
 * last-write-wins, pruning, WAL replay, flush/compaction, checkpoint. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/storage/st.h"

int run_store_tests(void);

#define NS 1000000000LL
static const int64_t T0 = 1709251200LL * NS; /* 2024-03-01T00:00:00Z */

/* n rows: 2 cities x 2 zones x 5 meters, one per minute */
static void fill(st_rows *r, size_t n, int64_t t0, int64_t seq0)
{
    static const char *cities[] = {"amsterdam", "berlin"};
    static const char *zones[] = {"z01", "z02"};
    for (size_t i = 0; i < n; i++) {
        size_t s = i % 20;
        r->city[i] = cities[s / 10];
        r->zone[i] = zones[(s / 5) % 2];
        r->meter[i] = st_str(r, "m%zu", s);
        r->ts[i] = t0 + (int64_t)(i / 20) * 60 * NS;
        r->kwh[i] = 1.0 + (double)(i % 97) / 100.0;
        r->volt[i] = 230.0 + (double)(i % 31) / 10.0;
        r->status[i] = i % 50 == 0 ? "fault" : "ok";
        r->seq[i] = seq0 + (int64_t)i;
        r->ok[i] = i % 50 != 0;
    }
}

static size_t count_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static void round_trip_and_reopen(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("rt");
    ots_store *s = st_open(dir, OTS_FSYNC_OFF);
    st_create_meter(s);
    st_rows r;
    st_rows_init(&r, 4000);
    fill(&r, 4000, T0, 0);
    r.kwh_valid = malloc(4000);
    for (size_t i = 0; i < 4000; i++)
        r.kwh_valid[i] = i % 13 != 0;
    ots_vec v[ST_NCOLS];
    st_vecs(&r, v);
    assert_int_equal(ots_append(s, "meter_readings", v, 4000), OTS_OK);
    ots_scan_spec sp;
    ots_scan_spec_init(&sp, "meter_readings");
    int64_t sum;
    assert_int_equal(st_count(s, &sp, &sum), 4000);
    assert_true(sum == 3999LL * 4000 / 2);
    /* values survive flush + reopen exactly */
    assert_int_equal(ots_store_checkpoint(s), OTS_OK);
    char wal[4096];
    snprintf(wal, sizeof wal, "%s/wal", dir);
    assert_int_equal(count_files(wal), 0);
    assert_int_equal(ots_store_close(s), OTS_OK);
    s = st_open(dir, OTS_FSYNC_OFF);
    assert_int_equal(st_count(s, &sp, &sum), 4000);
    assert_true(sum == 3999LL * 4000 / 2);
    /* check every value by seq */
    ots_scan *sc;
    assert_int_equal(ots_scan_open(s, &sp, &sc), OTS_OK);
    const ots_batch *b;
    size_t seen = 0;
    while (ots_scan_next(sc, &b) == 1) {
        for (size_t i = 0; i < b->nrows; i++) {
            int64_t q = b->cols[7].i64[i];
            assert_true(q >= 0 && q < 4000);
            assert_true(b->cols[0].i64[i] == r.ts[q]);
            assert_string_equal(b->cols[1].str[i], r.city[q]);
            assert_string_equal(b->cols[1].str[i], b->city);
            assert_string_equal(b->cols[3].str[i], r.meter[q]);
            assert_string_equal(b->cols[3].dict[b->cols[3].codes[i]], r.meter[q]);
            int present = b->cols[4].valid ? b->cols[4].valid[i] : 1;
            assert_int_equal(present, r.kwh_valid[q]);
            if (present)
                assert_true(b->cols[4].f64[i] == r.kwh[q]);
            assert_true(b->cols[5].f64[i] == r.volt[q]);
            assert_string_equal(b->cols[6].str[i], r.status[q]);
            assert_int_equal(b->cols[8].b[i], r.ok[q]);
            seen++;
        }
    }
    assert_int_equal(seen, 4000);
    ots_scan_close(sc);
    ots_table_info ti;
    assert_int_equal(ots_table_get(s, "meter_readings", &ti), OTS_OK);
    assert_int_equal(ti.ncols, ST_NCOLS);
    assert_string_equal(ti.options[0].key, "rollup");
    ots_store_close(s);
    st_rows_free(&r);
    tu_rmrf(dir);
    free(dir);
}

static void second_writer_is_refused(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("lock");
    ots_store *s = st_open(dir, OTS_FSYNC_OFF);
    ots_store *s2 = NULL;
    assert_int_equal(ots_store_open(dir, NULL, &s2), OTS_ELOCKED);
    assert_null(s2);
    char want[64];
    snprintf(want, sizeof want, "locked by pid %ld", (long)getpid());
    assert_non_null(strstr(ots_errmsg(NULL), want));
    ots_store_close(s);
    assert_int_equal(ots_store_open(dir, NULL, &s2), OTS_OK);
    ots_store_close(s2);
    tu_rmrf(dir);
    free(dir);
}

static void bad_schemas(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("schema");
    ots_store *s = st_open(dir, OTS_FSYNC_OFF);
    ots_column_def no_zone[] = {{"ts", OTS_TIMESTAMP}, {"city", OTS_TAG}, {"v", OTS_DOUBLE}};
    assert_int_equal(ots_table_create(s, "t", no_zone, 3, NULL, 0), OTS_EINVAL);
    assert_non_null(strstr(ots_errmsg(s), "zone"));
    ots_column_def city_double[] = {{"ts", OTS_TIMESTAMP}, {"city", OTS_DOUBLE}, {"zone", OTS_TAG}};
    assert_int_equal(ots_table_create(s, "t", city_double, 3, NULL, 0), OTS_EINVAL);
    ots_column_def dup[] = {{"ts", OTS_TIMESTAMP}, {"city", OTS_TAG}, {"zone", OTS_TAG}, {"zone", OTS_TAG}};
    assert_int_equal(ots_table_create(s, "t", dup, 4, NULL, 0), OTS_EINVAL);
    assert_int_equal(ots_table_create(s, "Bad-Name", st_meter_cols, ST_NCOLS, NULL, 0), OTS_EINVAL);
    st_create_meter(s);
    assert_int_equal(ots_table_create(s, "meter_readings", st_meter_cols, ST_NCOLS, NULL, 0), OTS_EEXIST);
    assert_int_equal(ots_table_count(s), 1);
    assert_int_equal(ots_table_drop(s, "nope"), OTS_ENOTFOUND);
    ots_store_close(s);
    tu_rmrf(dir);
    free(dir);
}

static void bad_rows_change_nothing(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("valid");
    ots_store *s = st_open(dir, OTS_FSYNC_OFF);
    st_create_meter(s);
    st_rows r;
    st_rows_init(&r, 10);
    fill(&r, 10, T0, 0);
    ots_vec v[ST_NCOLS];
    st_vecs(&r, v);
    r.city[3] = NULL;
    assert_int_equal(ots_append(s, "meter_readings", v, 10), OTS_EINVAL);
    assert_non_null(strstr(ots_errmsg(s), "row 3, column 'city'"));
    r.city[3] = "berlin";
    r.zone[7] = "";
    assert_int_equal(ots_append(s, "meter_readings", v, 10), OTS_EINVAL);
    assert_non_null(strstr(ots_errmsg(s), "row 7, column 'zone'"));
    r.zone[7] = "z01";
    r.ok[5] = 7;
    assert_int_equal(ots_append(s, "meter_readings", v, 10), OTS_ETYPE);
    assert_non_null(strstr(ots_errmsg(s), "row 5, column 'ok'"));
    r.ok[5] = 1;
    uint8_t tsvalid[10];
    memset(tsvalid, 1, sizeof tsvalid);
    tsvalid[9] = 0;
    v[0].valid = tsvalid;
    assert_int_equal(ots_append(s, "meter_readings", v, 10), OTS_EINVAL);
    assert_non_null(strstr(ots_errmsg(s), "row 9, column 'ts'"));
    v[0].valid = NULL;
    assert_int_equal(ots_append(s, "nope", v, 10), OTS_ENOTFOUND);
    ots_scan_spec sp;
    ots_scan_spec_init(&sp, "meter_readings");
    assert_int_equal(st_count(s, &sp, NULL), 0);
    assert_int_equal(ots_append(s, "meter_readings", v, 10), OTS_OK);
    assert_int_equal(st_count(s, &sp, NULL), 10);
    ots_store_close(s);
    st_rows_free(&r);
    tu_rmrf(dir);
    free(dir);
}

static double kwh_of(ots_store *s, const char *meter, int64_t ts, size_t *n)
{
    ots_scan_spec sp;
    ots_scan_spec_init(&sp, "meter_readings");
    const char *cols[] = {"kwh", "ts"};
    sp.columns = cols;
    sp.ncolumns = 2;
    sp.ts_min_ns = ts;
    sp.ts_max_ns = ts + 1;
    ots_tag_pred p = {"meter_id", &meter, 1};
    sp.preds = &p;
    sp.npreds = 1;
    ots_scan *sc;
    assert_int_equal(ots_scan_open(s, &sp, &sc), OTS_OK);
    const ots_batch *b;
    double v = NAN;
    *n = 0;
    while (ots_scan_next(sc, &b) == 1) {
        *n += b->nrows;
        if (b->nrows)
            v = b->cols[0].f64[b->nrows - 1];
    }
    ots_scan_close(sc);
    return v;
}

static void last_write_wins_everywhere(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("lww");
    ots_store *s = st_open(dir, OTS_FSYNC_OFF);
    st_create_meter(s);
    st_rows r;
    st_rows_init(&r, 200);
    fill(&r, 200, T0, 0);
    ots_vec v[ST_NCOLS];
    st_vecs(&r, v);
    assert_int_equal(ots_append(s, "meter_readings", v, 200), OTS_OK);
    size_t n;
    assert_true(kwh_of(s, "m3", T0 + 60 * NS, &n) == r.kwh[23] && n == 1);
    /* overwrite one row, in the buffer */
    st_rows w;
    st_rows_init(&w, 1);
    fill(&w, 1, T0, 1000);
    w.meter[0] = "m3";
    w.city[0] = "amsterdam";
    w.zone[0] = "z01";
    w.ts[0] = T0 + 60 * NS;
    w.kwh[0] = 42.5;
    ots_vec wv[ST_NCOLS];
    st_vecs(&w, wv);
    assert_int_equal(ots_append(s, "meter_readings", wv, 1), OTS_OK);
    assert_true(kwh_of(s, "m3", T0 + 60 * NS, &n) == 42.5 && n == 1);
    /* flushed: one segment holds the deduplicated row */
    assert_int_equal(ots_store_flush(s), OTS_OK);
    assert_true(kwh_of(s, "m3", T0 + 60 * NS, &n) == 42.5 && n == 1);
    /* overwrite again: segment + buffer overlap, merged at scan */
    w.kwh[0] = 43.25;
    assert_int_equal(ots_append(s, "meter_readings", wv, 1), OTS_OK);
    assert_true(kwh_of(s, "m3", T0 + 60 * NS, &n) == 43.25 && n == 1);
    ots_scan_spec sp;
    ots_scan_spec_init(&sp, "meter_readings");
    assert_int_equal(st_count(s, &sp, NULL), 200);
    /* out of order, older than everything: accepted, and the table stays deduplicated */
    w.ts[0] = T0 - 3600 * NS;
    w.kwh[0] = 1.5;
    assert_int_equal(ots_append(s, "meter_readings", wv, 1), OTS_OK);
    assert_int_equal(ots_store_flush(s), OTS_OK);
    assert_int_equal(st_count(s, &sp, NULL), 201);
    /* WAL replay keeps the order of writes */
    ots_store_close(s);
    s = st_open(dir, OTS_FSYNC_OFF);
    assert_true(kwh_of(s, "m3", T0 + 60 * NS, &n) == 43.25 && n == 1);
    assert_int_equal(ots_store_checkpoint(s), OTS_OK);
    assert_true(kwh_of(s, "m3", T0 + 60 * NS, &n) == 43.25 && n == 1);
    assert_int_equal(st_count(s, &sp, NULL), 201);
    ots_store_close(s);
    st_rows_free(&r);
    st_rows_free(&w);
    tu_rmrf(dir);
    free(dir);
}

static void pruning_by_city_zone_time_and_tag(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("prune");
    ots_store *s = st_open(dir, OTS_FSYNC_OFF);
    st_create_meter(s);
    st_rows r;
    size_t N = 20 * 60 * 24 * 2; /* two days */
    st_rows_init(&r, N);
    fill(&r, N, T0, 0);
    ots_vec v[ST_NCOLS];
    st_vecs(&r, v);
    assert_int_equal(ots_append(s, "meter_readings", v, N), OTS_OK);
    assert_int_equal(ots_store_checkpoint(s), OTS_OK);
    ots_scan_spec sp;
    ots_scan_spec_init(&sp, "meter_readings");
    const char *city = "berlin", *zone = "z02", *meter = "m17";
    ots_tag_pred preds[3] = {{"city", &city, 1}, {"zone", &zone, 1}, {"meter_id", &meter, 1}};
    sp.preds = preds;
    sp.npreds = 3;
    sp.ts_min_ns = T0 + 3600 * NS;
    sp.ts_max_ns = T0 + 7200 * NS;
    ots_scan *sc;
    assert_int_equal(ots_scan_open(s, &sp, &sc), OTS_OK);
    const ots_batch *b;
    size_t n = 0;
    while (ots_scan_next(sc, &b) == 1) {
        for (size_t i = 0; i < b->nrows; i++) {
            assert_string_equal(b->cols[3].str[i], "m17");
            assert_true(b->cols[0].i64[i] >= sp.ts_min_ns && b->cols[0].i64[i] < sp.ts_max_ns);
        }
        n += b->nrows;
    }
    assert_int_equal(n, 60);
    ots_scan_stats st;
    ots_scan_stats_get(sc, &st);
    assert_int_equal(st.partitions_total, 8); /* 2 cities x 2 zones x 2 days */
    assert_int_equal(st.partitions_pruned, 7);
    assert_int_equal(st.rows_returned, 60);
    ots_scan_close(sc);
    /* a meter that does not exist prunes the segment by its dictionary */
    meter = "m999";
    assert_int_equal(ots_scan_open(s, &sp, &sc), OTS_OK);
    assert_int_equal(ots_scan_next(sc, &b), 0);
    ots_scan_stats_get(sc, &st);
    assert_int_equal(st.segments_pruned, 1);
    assert_int_equal(st.rows_read, 0);
    ots_scan_close(sc);
    /* projection */
    const char *cols[] = {"voltage"};
    ots_scan_spec_init(&sp, "meter_readings");
    sp.columns = cols;
    sp.ncolumns = 1;
    assert_int_equal(st_count(s, &sp, NULL), N);
    cols[0] = "nope";
    assert_int_equal(ots_scan_open(s, &sp, &sc), OTS_ENOTFOUND);
    /* partitions listing */
    ots_store_close(s);
    st_rows_free(&r);
    tu_rmrf(dir);
    free(dir);
}

static int count_parts(void *ctx, const ots_partition_info *pi)
{
    size_t *n = ctx;
    (*n)++;
    assert_true(pi->rows > 0);
    return 0;
}

static void many_flushes_compact(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("compact");
    ots_store_opts o;
    ots_store_opts_init(&o);
    o.fsync = OTS_FSYNC_OFF;
    o.flush_rows = 100; /* flush often: many segments, compaction at 4 */
    o.log = st_quiet_log;
    ots_store *s;
    assert_int_equal(ots_store_open(dir, &o, &s), OTS_OK);
    st_create_meter(s);
    int64_t total = 0;
    for (int k = 0; k < 30; k++) {
        st_rows r;
        st_rows_init(&r, 300);
        fill(&r, 300, T0 + (int64_t)k * 900 * NS, (int64_t)k * 300);
        ots_vec v[ST_NCOLS];
        st_vecs(&r, v);
        assert_int_equal(ots_append(s, "meter_readings", v, 300), OTS_OK);
        st_rows_free(&r);
        total += 300;
    }
    ots_scan_spec sp;
    ots_scan_spec_init(&sp, "meter_readings");
    int64_t sum;
    size_t n = st_count(s, &sp, &sum);
    /* fills overlap in time (15 minutes apart, 15 minutes long): some (series, ts) repeat */
    assert_true(n > 0 && n <= (size_t)total);
    size_t parts = 0;
    assert_int_equal(ots_partition_foreach(s, "meter_readings", count_parts, &parts), OTS_OK);
    assert_int_equal(parts, 4);
    assert_int_equal(ots_store_checkpoint(s), OTS_OK);
    int64_t sum2;
    assert_int_equal(st_count(s, &sp, &sum2), n);
    assert_true(sum == sum2);
    ots_column_storage cs[ST_NCOLS];
    size_t nc;
    assert_int_equal(ots_table_storage(s, "meter_readings", cs, ST_NCOLS, &nc), OTS_OK);
    assert_int_equal(nc, ST_NCOLS);
    assert_true(cs[4].values == n && cs[4].bytes > 0 && cs[4].encodings[0]);
    ots_store_close(s);
    tu_rmrf(dir);
    free(dir);
}

static void pread_and_uring_agree(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("io");
    ots_store *s = st_open(dir, OTS_FSYNC_OFF);
    st_create_meter(s);
    st_rows r;
    st_rows_init(&r, 5000);
    fill(&r, 5000, T0, 0);
    ots_vec v[ST_NCOLS];
    st_vecs(&r, v);
    assert_int_equal(ots_append(s, "meter_readings", v, 5000), OTS_OK);
    assert_int_equal(ots_store_checkpoint(s), OTS_OK);
    ots_scan_spec sp;
    ots_scan_spec_init(&sp, "meter_readings");
    int64_t a, b;
    setenv("OTS_IO", "pread", 1);
    assert_int_equal(st_count(s, &sp, &a), 5000);
    unsetenv("OTS_IO");
    assert_int_equal(st_count(s, &sp, &b), 5000);
    assert_true(a == b);
    ots_store_close(s);
    st_rows_free(&r);
    tu_rmrf(dir);
    free(dir);
}

static void drop_table_removes_data(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("drop");
    ots_store *s = st_open(dir, OTS_FSYNC_OFF);
    st_create_meter(s);
    st_rows r;
    st_rows_init(&r, 100);
    fill(&r, 100, T0, 0);
    ots_vec v[ST_NCOLS];
    st_vecs(&r, v);
    assert_int_equal(ots_append(s, "meter_readings", v, 100), OTS_OK);
    assert_int_equal(ots_store_flush(s), OTS_OK);
    assert_int_equal(ots_append(s, "meter_readings", v, 100), OTS_OK);
    assert_int_equal(ots_table_drop(s, "meter_readings"), OTS_OK);
    st_create_meter(s);
    ots_scan_spec sp;
    ots_scan_spec_init(&sp, "meter_readings");
    assert_int_equal(st_count(s, &sp, NULL), 0);
    ots_store_close(s);
    /* WAL records of the dropped table are not replayed into the new one */
    s = st_open(dir, OTS_FSYNC_OFF);
    assert_int_equal(st_count(s, &sp, NULL), 0);
    ots_store_close(s);
    st_rows_free(&r);
    tu_rmrf(dir);
    free(dir);
}

static void drop_while_scanning_stops_the_scan(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("dropscan");
    ots_store *s = st_open(dir, OTS_FSYNC_OFF);
    st_create_meter(s);
    st_rows r;
    st_rows_init(&r, 20000);
    fill(&r, 20000, T0, 0);
    ots_vec v[ST_NCOLS];
    st_vecs(&r, v);
    assert_int_equal(ots_append(s, "meter_readings", v, 10000), OTS_OK);
    assert_int_equal(ots_store_checkpoint(s), OTS_OK);
    ots_vec v2[ST_NCOLS];
    for (int i = 0; i < ST_NCOLS; i++) /* the second half stays in the write buffer */
        v2[i] = (ots_vec){(const char *)v[i].data + 10000 * (i == 8 ? 1 : 8), NULL};
    assert_int_equal(ots_append(s, "meter_readings", v2, 10000), OTS_OK);
    ots_scan_spec sp;
    ots_scan_spec_init(&sp, "meter_readings");
    sp.batch_rows = 100;
    ots_scan *sc;
    assert_int_equal(ots_scan_open(s, &sp, &sc), OTS_OK);
    const ots_batch *b;
    assert_int_equal(ots_scan_next(sc, &b), 1);
    assert_int_equal(ots_table_drop(s, "meter_readings"), OTS_OK);
    assert_int_equal(ots_scan_next(sc, &b), OTS_ENOTFOUND);
    assert_non_null(strstr(ots_errmsg(s), "dropped"));
    ots_scan_close(sc);
    ots_store_close(s);
    st_rows_free(&r);
    tu_rmrf(dir);
    free(dir);
}

int run_store_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_and_reopen),
        cmocka_unit_test(second_writer_is_refused),
        cmocka_unit_test(bad_schemas),
        cmocka_unit_test(bad_rows_change_nothing),
        cmocka_unit_test(last_write_wins_everywhere),
        cmocka_unit_test(pruning_by_city_zone_time_and_tag),
        cmocka_unit_test(many_flushes_compact),
        cmocka_unit_test(pread_and_uring_agree),
        cmocka_unit_test(drop_table_removes_data),
        cmocka_unit_test(drop_while_scanning_stops_the_scan),
    };
    return cmocka_run_group_tests_name("storage/store", tests, NULL, NULL);
}
