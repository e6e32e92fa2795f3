/* test_corrupt.c — flipped and truncated bytes in segment, WAL and catalog
 * files: every case ends in OTS_ECORRUPT naming the file, or in a correct
 * recovery (a torn WAL tail cut back to the last whole record). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/storage/st.h"

int run_corrupt_tests(void);

#define NS 1000000000LL

static void make_store(const char *dir, int checkpoint, int batches)
{
    ots_store *s = st_open(dir, OTS_FSYNC_OFF);
    st_create_meter(s);
    for (int k = 0; k < batches; k++) {
        st_rows r;
        st_rows_init(&r, 200);
        for (int i = 0; i < 200; i++) {
            int64_t seq = k * 200 + i;
            r.seq[i] = seq;
            r.ts[i] = 1709251200LL * NS + seq * 60 * NS;
            r.city[i] = "berlin";
            r.zone[i] = "z01";
            r.meter[i] = st_str(&r, "m%d", i % 7);
            r.status[i] = i % 9 ? "ok" : "warn";
            r.kwh[i] = (double)(seq % 500) / 100.0;
            r.volt[i] = 230.0 + (double)(seq % 40) / 10.0;
        }
        ots_vec v[ST_NCOLS];
        st_vecs(&r, v);
        assert_int_equal(ots_append(s, "meter_readings", v, 200), OTS_OK);
        st_rows_free(&r);
    }
    if (checkpoint)
        assert_int_equal(ots_store_checkpoint(s), OTS_OK);
    ots_store_close(s);
}

static int find_file(const char *dir, const char *suffix, char *out, size_t cap)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    int found = -1;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        size_t l = strlen(e->d_name), sl = strlen(suffix);
        if (e->d_type == DT_DIR) {
            if (find_file(p, suffix, out, cap) == 0) {
                found = 0;
                break;
            }
        } else if (l >= sl && !strcmp(e->d_name + l - sl, suffix)) {
            snprintf(out, cap, "%s", p);
            found = 0;
            break;
        }
    }
    closedir(d);
    return found;
}

/* Open and scan everything: returns OTS_OK with the row count, or the error. */
static int open_and_scan(const char *dir, size_t *rows)
{
    ots_store_opts o;
    ots_store_opts_init(&o);
    o.fsync = OTS_FSYNC_OFF;
    o.log = st_quiet_log;
    ots_store *s;
    int rc = ots_store_open(dir, &o, &s);
    *rows = 0;
    if (rc != OTS_OK)
        return rc;
    ots_scan_spec sp;
    ots_scan_spec_init(&sp, "meter_readings");
    ots_scan *sc;
    rc = ots_scan_open(s, &sp, &sc);
    if (rc == OTS_OK) {
        const ots_batch *b;
        while ((rc = ots_scan_next(sc, &b)) == 1)
            *rows += b->nrows;
        ots_scan_close(sc);
    }
    if (rc < 0 && !strstr(ots_errmsg(s), "/"))
        fail_msg("error without a file name: %s", ots_errmsg(s));
    ots_store_close(s);
    return rc;
}

static void segment_flips_and_truncations(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("cseg");
    make_store(dir, 1, 3);
    char seg[4096];
    assert_int_equal(find_file(dir, ".ots", seg, sizeof seg), 0);
    size_t len;
    unsigned char *orig = tu_read_file(seg, &len);
    assert_non_null(orig);
    size_t rows;
    assert_int_equal(open_and_scan(dir, &rows), 0);
    assert_int_equal(rows, 600);
    size_t step = len / 400 + 1;
    for (size_t off = 0; off < len; off += step) {
        unsigned char *m = malloc(len);
        memcpy(m, orig, len);
        m[off] ^= 0x5a;
        assert_int_equal(tu_write_file(seg, m, len), 0);
        int rc = open_and_scan(dir, &rows);
        if (rc != OTS_ECORRUPT)
            fail_msg("flip at byte %zu of %zu: rc %d rows %zu", off, len, rc, rows);
        free(m);
    }
    for (size_t cut = 0; cut < len; cut += step) {
        assert_int_equal(tu_write_file(seg, orig, cut), 0);
        int rc = open_and_scan(dir, &rows);
        if (rc != OTS_ECORRUPT)
            fail_msg("truncated to %zu of %zu: rc %d", cut, len, rc);
    }
    assert_int_equal(tu_write_file(seg, orig, len), 0);
    assert_int_equal(open_and_scan(dir, &rows), 0);
    assert_int_equal(rows, 600);
    free(orig);
    tu_rmrf(dir);
    free(dir);
}

static void wal_torn_tail_is_cut_and_middle_damage_refused(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("cwal");
    make_store(dir, 0, 5); /* 5 records of 200 rows, never flushed */
    char wal[4096];
    assert_int_equal(find_file(dir, ".wal", wal, sizeof wal), 0);
    size_t len;
    unsigned char *orig = tu_read_file(wal, &len);
    size_t rows;
    /* truncation anywhere: a prefix of whole records survives */
    size_t last_rows = 0;
    for (size_t cut = 0; cut <= len; cut += 97) {
        assert_int_equal(tu_write_file(wal, orig, cut), 0);
        int rc = open_and_scan(dir, &rows);
        assert_int_equal(rc, 0);
        assert_int_equal(rows % 200, 0);
        assert_true(rows >= last_rows);
        last_rows = rows;
    }
    assert_int_equal(tu_write_file(wal, orig, len), 0);
    assert_int_equal(open_and_scan(dir, &rows), 0);
    assert_int_equal(rows, 1000);
    /* a flip in the first record: later records are valid, so this is corruption */
    size_t step = len / 300 + 1;
    int refused = 0, cut_tail = 0;
    for (size_t off = 24; off < len; off += step) {
        unsigned char *m = malloc(len);
        memcpy(m, orig, len);
        m[off] ^= 0x21;
        assert_int_equal(tu_write_file(wal, m, len), 0);
        int rc = open_and_scan(dir, &rows);
        if (rc == OTS_ECORRUPT)
            refused++;
        else {
            /* only damage in the last record may be taken for a torn tail */
            assert_int_equal(rc, 0);
            assert_int_equal(rows, 800);
            cut_tail++;
        }
        free(m);
        assert_int_equal(tu_write_file(wal, orig, len), 0);
    }
    assert_true(refused > 0 && cut_tail > 0);
    free(orig);
    tu_rmrf(dir);
    free(dir);
}

static void catalog_damage_is_refused(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("ccat");
    make_store(dir, 1, 1);
    char cat[4096];
    snprintf(cat, sizeof cat, "%s/catalog/CATALOG", dir);
    size_t len;
    unsigned char *orig = tu_read_file(cat, &len);
    size_t rows;
    for (size_t off = 0; off < len; off += 3) {
        unsigned char *m = malloc(len);
        memcpy(m, orig, len);
        m[off] ^= 0x40;
        assert_int_equal(tu_write_file(cat, m, len), 0);
        int rc = open_and_scan(dir, &rows);
        if (rc != OTS_ECORRUPT)
            fail_msg("catalog flip at %zu: rc %d", off, rc);
        free(m);
    }
    for (size_t cut = 1; cut < len; cut += 5) {
        assert_int_equal(tu_write_file(cat, orig, cut), 0);
        int rc = open_and_scan(dir, &rows);
        if (rc != OTS_ECORRUPT)
            fail_msg("catalog cut to %zu of %zu: rc %d", cut, len, rc);
    }
    assert_int_equal(tu_write_file(cat, orig, len), 0);
    assert_int_equal(open_and_scan(dir, &rows), 0);
    assert_int_equal(rows, 200);
    free(orig);
    tu_rmrf(dir);
    free(dir);
}

int run_corrupt_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(segment_flips_and_truncations),
        cmocka_unit_test(wal_torn_tail_is_cut_and_middle_damage_refused),
        cmocka_unit_test(catalog_damage_is_refused),
    };
    return cmocka_run_group_tests_name("storage/corrupt", tests, NULL, NULL);
}
