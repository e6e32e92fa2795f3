/*
 * append.c — the append path: validate a batch whole, log it to the WAL,
 * route each row to its partition (table / city / zone / local day) and
 * add it to that partition's write buffer; flush buffers that are large,
 * old, or over the store's memory budget.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/storage_int.h"

#define MAX_STRING_BYTES (16u << 20)

/* Check every row before anything changes.  Returns OTS_OK or an error
 * naming the row and column. */
static int validate(struct ots_store *s, const tbl *t, const ots_vec *cols, size_t nrows)
{
    for (size_t c = 0; c < t->ncols; c++) {
        const ots_column_def *cd = &t->cols[c];
        if (!cols[c].data && nrows)
            return ots_set_err(s, OTS_EINVAL, "column '%s': no data array", cd->name);
        const uint8_t *valid = cols[c].valid;
        for (size_t r = 0; r < nrows; r++) {
            int present = !valid || valid[r];
            if (valid && valid[r] > 1)
                return ots_set_err(s, OTS_EINVAL, "row %zu, column '%s': validity byte %u is not 0 or 1", r,
                                   cd->name, valid[r]);
            switch (cd->type) {
            case OTS_TIMESTAMP:
                if (!present)
                    return ots_set_err(s, OTS_EINVAL, "row %zu, column 'ts': NULL timestamp", r);
                break;
            case OTS_TAG: {
                const char *v = ((const char *const *)cols[c].data)[r];
                if (!present || !v)
                    return ots_set_err(s, OTS_EINVAL, "row %zu, column '%s': NULL in a TAG column", r, cd->name);
                if ((int)c == t->city_col || (int)c == t->zone_col) {
                    if (!*v)
                        return ots_set_err(s, OTS_EINVAL, "row %zu, column '%s': empty %s", r, cd->name, cd->name);
                }
                if (strlen(v) > 65535)
                    return ots_set_err(s, OTS_EINVAL, "row %zu, column '%s': tag value over 65535 bytes", r,
                                       cd->name);
                break;
            }
            case OTS_BOOLEAN:
                if (present && ((const uint8_t *)cols[c].data)[r] > 1)
                    return ots_set_err(s, OTS_ETYPE, "row %zu, column '%s': BOOLEAN value %u is not 0 or 1", r,
                                       cd->name, ((const uint8_t *)cols[c].data)[r]);
                break;
            case OTS_STRING: {
                const char *v = ((const char *const *)cols[c].data)[r];
                if (present && !v)
                    return ots_set_err(s, OTS_EINVAL, "row %zu, column '%s': NULL pointer for a present value", r,
                                       cd->name);
                if (present && strlen(v) > MAX_STRING_BYTES)
                    return ots_set_err(s, OTS_ELIMIT, "row %zu, column '%s': string over 16 MiB", r, cd->name);
                break;
            }
            default:
                break;
            }
        }
    }
    return OTS_OK;
}

/* Per-batch routing cache: consecutive rows mostly share a partition. */
typedef struct route {
    const char *city_in, *zone_in; /* caller pointers last seen */
    part *p;
    uint32_t city_id, zone_id;     /* pool ids in p->buf */
} route;

static int buf_for(struct ots_store *s, part *p, uint64_t lsn)
{
    if (!p->buf) {
        p->buf = ots_malloc(sizeof *p->buf);
        if (!p->buf)
            return OTS_ENOMEM;
        ots_rowbuf_init(p->buf, p->t);
        s->buffered_bytes += ots_rowbuf_bytes(p->buf);
    }
    if (!p->buf->min_lsn)
        p->buf->min_lsn = lsn;
    if (lsn > p->buf->max_lsn)
        p->buf->max_lsn = lsn;
    return OTS_OK;
}

int ots_apply_batch(struct ots_store *s, const tbl *t, const ots_vec *cols, size_t nrows, uint64_t lsn, int replay)
{
    const char *const *cityv = cols[t->city_col].data;
    const char *const *zonev = cols[t->zone_col].data;
    const int64_t *tsv = cols[t->ts_col].data;
    route rt = {0};
    city *c = NULL;
    int64_t day = 0, day_lo = 1, day_hi = 0; /* empty window */
    uint32_t tuple[OTS_MAX_COLS];
    for (size_t r = 0; r < nrows; r++) {
        const char *cv = cityv[r], *zv = zonev[r];
        int64_t ts = tsv[r];
        int same_key = rt.p && (cv == rt.city_in || !strcmp(cv, rt.city_in)) &&
                       (zv == rt.zone_in || !strcmp(zv, rt.zone_in));
        if (!same_key || ts < day_lo || ts >= day_hi) {
            if (!c || strcmp(c->id, cv) != 0) {
                c = ots_catalog_city(&s->cat, cv);
                if (!c) {
                    int rc = ots_catalog_add_city_utc(s, cv, &c);
                    if (rc != OTS_OK)
                        return rc;
                }
            }
            day = ots_city_day(c, ts, &day_lo, &day_hi);
            part *p;
            int rc = ots_part_get(s, t, cv, zv, day, 1, &p);
            if (rc != OTS_OK)
                return rc;
            rt.p = p;
            rt.city_in = cv;
            rt.zone_in = zv;
            if (replay && lsn <= p->flushed_lsn) {
                rt.city_id = UINT32_MAX; /* already in a segment: skip rows of this partition */
                continue;
            }
            if ((rc = buf_for(s, p, lsn)) != OTS_OK)
                return rc;
            int64_t ci = ots_pool_intern(&p->buf->pool, cv, (uint32_t)strlen(cv));
            int64_t zi = ots_pool_intern(&p->buf->pool, zv, (uint32_t)strlen(zv));
            if (ci < 0 || zi < 0)
                return OTS_ENOMEM;
            rt.city_id = (uint32_t)ci;
            rt.zone_id = (uint32_t)zi;
        }
        if (rt.city_id == UINT32_MAX)
            continue;
        part *p = rt.p;
        rowbuf *b = p->buf;
        if (b->n == b->cap) {
            size_t before = ots_rowbuf_bytes(b);
            if (ots_rowbuf_reserve(b, 1) != OTS_OK)
                return OTS_ENOMEM;
            s->buffered_bytes += ots_rowbuf_bytes(b) - before;
        }
        size_t row = b->n;
        for (int k = 0; k < t->ntags; k++) {
            int col = t->tag_cols[k];
            if (col == t->city_col)
                tuple[k] = rt.city_id;
            else if (col == t->zone_col)
                tuple[k] = rt.zone_id;
            else {
                const char *v = ((const char *const *)cols[col].data)[r];
                int64_t id = ots_pool_intern(&b->pool, v, (uint32_t)strlen(v));
                if (id < 0)
                    return OTS_ENOMEM;
                tuple[k] = (uint32_t)id;
            }
        }
        int64_t sid = ots_rowbuf_series(b, tuple);
        if (sid < 0)
            return OTS_ENOMEM;
        b->sid[row] = (uint32_t)sid;
        b->ts[row] = ts;
        if (ts < b->ts_min) b->ts_min = ts;
        if (ts > b->ts_max) b->ts_max = ts;
        for (size_t col = 0; col < t->ncols; col++) {
            const uint8_t *valid = cols[col].valid;
            int present = !valid || valid[r];
            switch (t->cols[col].type) {
            case OTS_DOUBLE:
                ((double *)b->cols[col].data)[row] = present ? ((const double *)cols[col].data)[r] : 0.0;
                break;
            case OTS_BIGINT:
                ((int64_t *)b->cols[col].data)[row] = present ? ((const int64_t *)cols[col].data)[r] : 0;
                break;
            case OTS_BOOLEAN:
                ((uint8_t *)b->cols[col].data)[row] = present ? ((const uint8_t *)cols[col].data)[r] : 0;
                break;
            case OTS_STRING: {
                uint32_t id = 0;
                if (present) {
                    const char *v = ((const char *const *)cols[col].data)[r];
                    int64_t pid = ots_pool_intern(&b->pool, v, (uint32_t)strlen(v));
                    if (pid < 0)
                        return OTS_ENOMEM;
                    id = (uint32_t)pid;
                }
                ((uint32_t *)b->cols[col].data)[row] = id;
                break;
            }
            default:
                continue;
            }
            if (!present && ots_rowbuf_set_null(b, (int)col, row) != OTS_OK)
                return OTS_ENOMEM;
        }
        b->n++;
    }
    return OTS_OK;
}

int ots_maybe_flush(struct ots_store *s)
{
    int rc = OTS_OK;
    uint64_t now = ots_now_ms();
    int check_age = now - s->last_age_check_ms >= 1000;
    if (check_age)
        s->last_age_check_ms = now;
    int flushed = 0;
    for (size_t i = 0; i < s->cap_parts && rc == OTS_OK; i++) {
        part *p = s->parts[i];
        if (!p || !p->buf || !p->buf->n)
            continue;
        if (p->buf->n >= s->opts.flush_rows || (check_age && now - p->buf->created_ms >= s->opts.flush_age_ms)) {
            rc = ots_part_flush(s, p);
            flushed = 1;
        }
    }
    while (rc == OTS_OK && s->buffered_bytes > s->opts.buffer_limit_bytes) {
        part *big = NULL;
        for (size_t i = 0; i < s->cap_parts; i++) {
            part *p = s->parts[i];
            if (p && p->buf && p->buf->n && (!big || p->buf->n > big->buf->n))
                big = p;
        }
        if (!big)
            break;
        rc = ots_part_flush(s, big);
        flushed = 1;
    }
    if (flushed) {
        s->last_part = NULL;
        if (rc == OTS_OK)
            rc = ots_wal_retire(s);
    }
    return rc;
}

int ots_append(ots_store *s, const char *table, const ots_vec *cols, size_t nrows)
{
    if (!s || !table || (!cols && nrows))
        return OTS_EINVAL;
    if (s->opts.read_only)
        return ots_set_err(s, OTS_EREADONLY, "store is read-only");
    pthread_mutex_lock(&s->mu);
    int rc;
    if (s->fatal) {
        rc = ots_set_err(s, OTS_EFATAL, "an earlier WAL write or fsync failed; reopen the store");
        goto out_unlock;
    }
    tbl *t = ots_catalog_table(&s->cat, table);
    if (!t) {
        rc = ots_set_err(s, OTS_ENOTFOUND, "no table '%s'", table);
        goto out_unlock;
    }
    if (nrows == 0) {
        rc = OTS_OK;
        goto out_unlock;
    }
    if ((rc = validate(s, t, cols, nrows)) != OTS_OK)
        goto out_unlock;
    /* cities first (a durable catalog change), so the WAL never names an unknown city */
    const char *const *cityv = cols[t->city_col].data;
    const char *lastc = NULL;
    for (size_t r = 0; r < nrows; r++) {
        if (lastc && (cityv[r] == lastc || !strcmp(cityv[r], lastc)))
            continue;
        lastc = cityv[r];
        if (!ots_catalog_city(&s->cat, lastc)) {
            city *c;
            if ((rc = ots_catalog_add_city_utc(s, lastc, &c)) != OTS_OK)
                goto out_unlock;
        }
    }
    uint64_t lsn;
    if ((rc = ots_wal_append(s, t, cols, nrows, &lsn)) != OTS_OK)
        goto out_unlock;
    if ((rc = ots_apply_batch(s, t, cols, nrows, lsn, 0)) != OTS_OK) {
        /* the WAL holds the batch but memory does not: only a reopen (replay) is consistent */
        s->fatal = 1;
        rc = ots_set_err(s, rc, "applying a logged batch failed (%s); the store refuses writes until reopened",
                         ots_strerror(rc));
        goto out_unlock;
    }
    rc = ots_maybe_flush(s);
    pthread_mutex_unlock(&s->mu);
    if (rc == OTS_OK && s->opts.fsync == OTS_FSYNC_ALWAYS)
        rc = ots_wal_sync(s, lsn);
    return rc;
out_unlock:
    pthread_mutex_unlock(&s->mu);
    return rc;
}
