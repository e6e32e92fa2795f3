/*
 * store.c — opening and closing a store directory: layout, the writer lock
 * (LOCK holds the owner's pid), catalog load, partition discovery, WAL
 * replay; flush and checkpoint; partition and storage listings.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/storage_int.h"

void ots_store_opts_init(ots_store_opts *o)
{
    memset(o, 0, sizeof *o);
    o->fsync = OTS_FSYNC_ALWAYS;
    o->fsync_interval_ms = 200;
    o->flush_rows = 262144;
    o->flush_age_ms = 600000;
    o->buffer_limit_bytes = 1ull << 30;
    o->wal_segment_bytes = 64u << 20;
    o->compact_on_flush = 1;
}

static int take_lock(struct ots_store *s)
{
    char *path = ots_path_join(s->dir, "LOCK");
    if (!path)
        return OTS_ENOMEM;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        int rc = ots_set_err(s, OTS_EIO, "%s: %s", path, strerror(errno));
        ots_free(path);
        return rc;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char buf[32] = {0};
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        long pid = n > 0 ? strtol(buf, NULL, 10) : 0;
        close(fd);
        int rc = ots_set_err(s, OTS_ELOCKED, "store %s is locked by pid %ld", s->dir, pid);
        ots_free(path);
        return rc;
    }
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
        close(fd);
        int rc = ots_set_err(s, OTS_EIO, "%s: %s", path, strerror(errno));
        ots_free(path);
        return rc;
    }
    ots_free(path);
    s->lock_fd = fd;
    return OTS_OK;
}

static int make_layout(struct ots_store *s)
{
    static const char *dirs[] = {"catalog", "wal", "hot", "rollup", "archive", "state"};
    if (ots_mkdir_p(s->dir) != OTS_OK)
        return ots_set_err(s, OTS_EIO, "%s: cannot create: %s", s->dir, strerror(errno));
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char *p = ots_path_join(s->dir, dirs[i]);
        if (!p)
            return OTS_ENOMEM;
        int rc = ots_mkdir_p(p);
        if (rc != OTS_OK)
            rc = ots_set_err(s, OTS_EIO, "%s: cannot create: %s", p, strerror(errno));
        ots_free(p);
        if (rc != OTS_OK)
            return rc;
    }
    return OTS_OK;
}

static void store_free(struct ots_store *s)
{
    for (size_t i = 0; i < s->cap_parts; i++)
        ots_part_free(s, s->parts[i]);
    ots_free(s->parts);
    ots_catalog_fini(&s->cat);
    ots_pool_fini(&s->names);
    ots_free(s->pcache);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->err_mu);
    ots_free(s->dir);
    ots_free(s);
}

int ots_store_open(const char *dir, const ots_store_opts *opts, ots_store **out)
{
    *out = NULL;
    if (!dir || !*dir)
        return ots_set_err(NULL, OTS_EINVAL, "no store directory given");
    struct ots_store *s = ots_calloc(1, sizeof *s);
    if (!s)
        return ots_set_err(NULL, OTS_ENOMEM, "out of memory");
    s->lock_fd = -1;
    s->w.fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->err_mu, NULL);
    if (opts)
        s->opts = *opts;
    else
        ots_store_opts_init(&s->opts);
    if (!s->opts.flush_rows)
        s->opts.flush_rows = 262144;
    if (s->opts.flush_rows > OTS_SEG_MAX_ROWS)
        s->opts.flush_rows = OTS_SEG_MAX_ROWS;
    if (!s->opts.wal_segment_bytes)
        s->opts.wal_segment_bytes = 64u << 20;
    if (!s->opts.fsync_interval_ms)
        s->opts.fsync_interval_ms = 200;
    if (!s->opts.buffer_limit_bytes)
        s->opts.buffer_limit_bytes = 1ull << 30;
    ots_catalog_init(&s->cat);
    ots_pool_init(&s->names);
    s->dir = ots_strdup(dir);
    size_t l = s->dir ? strlen(s->dir) : 0;
    while (l > 1 && s->dir[l - 1] == '/')
        s->dir[--l] = 0;
    int rc = s->dir ? OTS_OK : OTS_ENOMEM;
    if (rc == OTS_OK && s->opts.read_only) {
        struct stat st;
        if (stat(s->dir, &st) != 0)
            rc = ots_set_err(s, OTS_ENOTFOUND, "%s: no such store", s->dir);
    } else if (rc == OTS_OK) {
        rc = make_layout(s);
        if (rc == OTS_OK)
            rc = take_lock(s);
    }
    if (rc == OTS_OK) {
        rc = ots_catalog_load(s);
        if (rc == OTS_ENOTFOUND)
            rc = s->opts.read_only ? OTS_OK : ots_catalog_save(s);
    }
    if (rc == OTS_OK)
        rc = ots_parts_discover(s);
    if (rc == OTS_OK)
        rc = ots_wal_open(s);
    if (rc != OTS_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", s->err);
        if (s->w.files || s->w.rec) {
            ots_wal_close(s);
        }
        store_free(s);
        ots_set_err(NULL, rc, "%s", msg[0] ? msg : ots_strerror(rc));
        return rc;
    }
    *out = s;
    return OTS_OK;
}

int ots_store_close(ots_store *s)
{
    if (!s)
        return OTS_OK;
    int rc = s->fatal ? OTS_EFATAL : OTS_OK;
    ots_wal_close(s);
    store_free(s);
    return rc;
}

int ots_store_flush(ots_store *s)
{
    if (!s)
        return OTS_EINVAL;
    if (s->opts.read_only)
        return ots_set_err(s, OTS_EREADONLY, "store is read-only");
    pthread_mutex_lock(&s->mu);
    int rc = ots_flush_all(s);
    if (rc == OTS_OK)
        rc = ots_wal_retire(s);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int ots_store_checkpoint(ots_store *s)
{
    if (!s)
        return OTS_EINVAL;
    if (s->opts.read_only)
        return ots_set_err(s, OTS_EREADONLY, "store is read-only");
    pthread_mutex_lock(&s->mu);
    int rc = s->fatal ? ots_set_err(s, OTS_EFATAL, "the store refuses writes after a failed WAL write") : OTS_OK;
    if (rc == OTS_OK)
        rc = ots_flush_all(s);
    for (size_t i = 0; i < s->cap_parts && rc == OTS_OK; i++)
        if (s->parts[i] && s->parts[i]->nsegs > 1)
            rc = ots_part_compact(s, s->parts[i]);
    if (rc == OTS_OK)
        rc = ots_wal_reset(s);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* ---- listings --------------------------------------------------------------------- */

int ots_partition_foreach(ots_store *s, const char *table, int (*fn)(void *ctx, const ots_partition_info *info),
                          void *ctx)
{
    pthread_mutex_lock(&s->mu);
    const tbl *t = NULL;
    if (table && !(t = ots_catalog_table(&s->cat, table))) {
        pthread_mutex_unlock(&s->mu);
        return ots_set_err(s, OTS_ENOTFOUND, "no table '%s'", table);
    }
    part **arr;
    size_t n;
    int rc = ots_parts_sorted(s, t, &arr, &n);
    if (rc != OTS_OK) {
        pthread_mutex_unlock(&s->mu);
        return rc;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        part *p = arr[i];
        ots_partition_info info;
        memset(&info, 0, sizeof info);
        info.table = p->t->name;
        info.city = p->city;
        info.zone = p->zone;
        ots_fmt_day_format(p->day, info.day);
        info.day_start_ns = p->day_start_ns;
        info.day_end_ns = p->day_end_ns;
        info.segments = (uint32_t)p->nsegs;
        info.ts_min_ns = INT64_MAX;
        info.ts_max_ns = INT64_MIN;
        for (size_t k = 0; k < p->nsegs; k++) {
            info.rows += p->segs[k]->nrows;
            info.bytes += p->segs[k]->file_bytes;
            if (p->segs[k]->ts_min < info.ts_min_ns)
                info.ts_min_ns = p->segs[k]->ts_min;
            if (p->segs[k]->ts_max > info.ts_max_ns)
                info.ts_max_ns = p->segs[k]->ts_max;
        }
        if (p->buf && p->buf->n) {
            info.buffered_rows = p->buf->n;
            info.rows += p->buf->n;
            if (p->buf->ts_min < info.ts_min_ns)
                info.ts_min_ns = p->buf->ts_min;
            if (p->buf->ts_max > info.ts_max_ns)
                info.ts_max_ns = p->buf->ts_max;
        }
        if (info.rows == 0)
            continue;
        rc = fn(ctx, &info);
    }
    ots_free(arr);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static const char *enc_name(uint8_t e)
{
    static const char *n[] = {"raw", "for", "delta", "dod", "alp", "gorilla", "dict", "bitmap", "const", "strraw"};
    return e < sizeof n / sizeof n[0] ? n[e] : "?";
}

int ots_table_storage(ots_store *s, const char *table, ots_column_storage *out, size_t cap, size_t *nout)
{
    pthread_mutex_lock(&s->mu);
    const tbl *t = ots_catalog_table(&s->cat, table);
    if (!t) {
        pthread_mutex_unlock(&s->mu);
        return ots_set_err(s, OTS_ENOTFOUND, "no table '%s'", table);
    }
    size_t n = t->ncols < cap ? t->ncols : cap;
    uint32_t seen[OTS_MAX_COLS][32];
    for (size_t c = 0; c < n; c++) {
        memset(&out[c], 0, sizeof out[c]);
        memset(seen[c], 0, sizeof seen[c]);
        out[c].name = t->cols[c].name;
        out[c].type = t->cols[c].type;
    }
    for (size_t i = 0; i < s->cap_parts; i++) {
        part *p = s->parts[i];
        if (!p || p->table_id != t->id)
            continue;
        for (size_t k = 0; k < p->nsegs; k++) {
            seg *g = p->segs[k];
            for (size_t c = 0; c < n; c++) {
                out[c].bytes += g->cols[c].len;
                out[c].values += g->nrows;
                uint8_t e = g->cols[c].st.encoding, in = g->cols[c].st.inner, z = g->cols[c].st.zstd;
                unsigned key = (unsigned)(e & 15) | ((unsigned)(in & 15) << 4);
                seen[c][key & 31] |= z ? 2u : 1u;
                (void)key;
                char name[32];
                snprintf(name, sizeof name, "%s%s%s%s", enc_name(e), e == 4 ? "+" : "", e == 4 ? enc_name(in) : "",
                         z ? "+zstd" : "");
                if (!strstr(out[c].encodings, name) &&
                    strlen(out[c].encodings) + strlen(name) + 2 < sizeof out[c].encodings) {
                    if (out[c].encodings[0])
                        strcat(out[c].encodings, ",");
                    strcat(out[c].encodings, name);
                }
            }
        }
    }
    *nout = n;
    pthread_mutex_unlock(&s->mu);
    return OTS_OK;
}
