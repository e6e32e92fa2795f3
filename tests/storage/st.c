/* st.c — storage test helpers. */
#include "tests/storage/st.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const ots_column_def st_meter_cols[9] = {
    {"ts", OTS_TIMESTAMP},   {"city", OTS_TAG},      {"zone", OTS_TAG},   {"meter_id", OTS_TAG}, {"kwh", OTS_DOUBLE},
    {"voltage", OTS_DOUBLE}, {"status", OTS_STRING}, {"seq", OTS_BIGINT}, {"ok", OTS_BOOLEAN},
};

void st_rows_init(st_rows *r, size_t n)
{
    memset(r, 0, sizeof *r);
    r->n = n;
    r->ts = calloc(n + 1, 8);
    r->city = calloc(n + 1, sizeof(char *));
    r->zone = calloc(n + 1, sizeof(char *));
    r->meter = calloc(n + 1, sizeof(char *));
    r->status = calloc(n + 1, sizeof(char *));
    r->kwh = calloc(n + 1, 8);
    r->volt = calloc(n + 1, 8);
    r->seq = calloc(n + 1, 8);
    r->ok = calloc(n + 1, 1);
    r->kwh_valid = NULL;
    r->owned = calloc(n * 4 + 16, sizeof(char *));
}

const char *st_str(st_rows *r, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *p = strdup(buf);
    r->owned[r->nowned++] = p;
    return p;
}

void st_rows_free(st_rows *r)
{
    for (size_t i = 0; i < r->nowned; i++)
        free(r->owned[i]);
    free(r->owned), free(r->ts), free(r->city), free(r->zone), free(r->meter), free(r->status);
    free(r->kwh), free(r->volt), free(r->seq), free(r->ok), free(r->kwh_valid);
}

void st_vecs(const st_rows *r, ots_vec *v)
{
    v[0] = (ots_vec){r->ts, NULL};
    v[1] = (ots_vec){r->city, NULL};
    v[2] = (ots_vec){r->zone, NULL};
    v[3] = (ots_vec){r->meter, NULL};
    v[4] = (ots_vec){r->kwh, r->kwh_valid};
    v[5] = (ots_vec){r->volt, NULL};
    v[6] = (ots_vec){r->status, NULL};
    v[7] = (ots_vec){r->seq, NULL};
    v[8] = (ots_vec){r->ok, NULL};
}

void st_quiet_log(void *ctx, ots_log_level l, const char *m) { (void)ctx, (void)l, (void)m; }

ots_store *st_open(const char *dir, ots_fsync_policy pol)
{
    ots_store_opts o;
    ots_store_opts_init(&o);
    o.fsync = pol;
    o.log = st_quiet_log;
    ots_store *s = NULL;
    int rc = ots_store_open(dir, &o, &s);
    if (rc != OTS_OK)
        fprintf(stderr, "open %s: %s\n", dir, ots_errmsg(NULL));
    assert_int_equal(rc, OTS_OK);
    return s;
}

void st_create_meter(ots_store *s)
{
    ots_option opt = {"rollup", "1h,1d"};
    int rc = ots_table_create(s, "meter_readings", st_meter_cols, ST_NCOLS, &opt, 1);
    if (rc != OTS_OK)
        fprintf(stderr, "create: %s\n", ots_errmsg(s));
    assert_int_equal(rc, OTS_OK);
}

size_t st_count(ots_store *s, const ots_scan_spec *spec, int64_t *seq_sum)
{
    ots_scan *sc;
    int rc = ots_scan_open(s, spec, &sc);
    if (rc != OTS_OK)
        fprintf(stderr, "scan: %s\n", ots_errmsg(s));
    assert_int_equal(rc, OTS_OK);
    const ots_batch *b;
    size_t n = 0;
    int64_t sum = 0;
    while ((rc = ots_scan_next(sc, &b)) == 1) {
        n += b->nrows;
        for (size_t c = 0; c < b->ncols; c++)
            if (!strcmp(b->cols[c].name, "seq"))
                for (size_t i = 0; i < b->nrows; i++)
                    sum += b->cols[c].i64[i];
    }
    if (rc != 0)
        fprintf(stderr, "scan_next: %s\n", ots_errmsg(s));
    assert_int_equal(rc, 0);
    ots_scan_close(sc);
    if (seq_sum)
        *seq_sum = sum;
    return n;
}
