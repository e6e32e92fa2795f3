/*
 * wal.c — the write-ahead log: framed, checksummed records of appended
 * batches in wal/<first_lsn>.wal files.  Spec: docs/formats/wal.md.
 *
 * Durability: under OTS_FSYNC_ALWAYS an append returns only after an fsync
 * covering its record; concurrent appenders share one fsync (group commit).
 * OTS_FSYNC_INTERVAL syncs from a thread every fsync_interval_ms.  A failed
 * write or fsync sets s->fatal: the store refuses writes from then on.
 *
 * Recovery reads every file in LSN order.  A bad frame at the end of the
 * newest file is a torn write: the tail is cut (and logged).  A bad frame
 * followed by good ones, or in an older file, is corruption: OTS_ECORRUPT
 * with the file and offset, since cutting there would lose acknowledged rows.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storage/storage_int.h"

#define WAL_MAGIC "OTSWAL01"
#define WAL_VERSION 1
#define WAL_HEADER_BYTES 24
#define REC_HEAD 16
#define REC_TAIL 8
#define REC_APPEND 1
#define REC_MAX_PAYLOAD (1u << 30)

/* ---- record encoding -------------------------------------------------------- */

static size_t batch_bound(const tbl *t, uint32_t *const *lens, size_t nrows)
{
    size_t n = 12;
    for (size_t c = 0; c < t->ncols; c++) {
        n += 2 + nrows; /* type, has_valid, valid bytes */
        switch (t->cols[c].type) {
        case OTS_TIMESTAMP:
        case OTS_BIGINT:
        case OTS_DOUBLE: n += 8 * nrows; break;
        case OTS_BOOLEAN: n += nrows; break;
        case OTS_TAG:
        case OTS_STRING: {
            const uint32_t *l = lens[c];
            for (size_t r = 0; r < nrows; r++)
                n += 5 + l[r];
            break;
        }
        }
    }
    return n;
}

static size_t encode_batch(uint8_t *p, const tbl *t, const ots_vec *cols, uint32_t *const *lens, size_t nrows)
{
    uint8_t *start = p;
    ots_le32_put(p, t->id);
    ots_le32_put(p + 4, (uint32_t)nrows);
    ots_le32_put(p + 8, (uint32_t)t->ncols);
    p += 12;
    for (size_t c = 0; c < t->ncols; c++) {
        ots_type ty = t->cols[c].type;
        const uint8_t *valid = cols[c].valid;
        *p++ = (uint8_t)ty;
        *p++ = valid ? 1 : 0;
        if (valid) {
            memcpy(p, valid, nrows);
            p += nrows;
        }
        switch (ty) {
        case OTS_TIMESTAMP:
        case OTS_BIGINT:
        case OTS_DOUBLE: {
            const uint64_t *v = cols[c].data;
            for (size_t r = 0; r < nrows; r++, p += 8)
                ots_le64_put(p, v[r]);
            break;
        }
        case OTS_BOOLEAN:
            memcpy(p, cols[c].data, nrows);
            p += nrows;
            break;
        case OTS_TAG:
        case OTS_STRING: {
            const char *const *v = cols[c].data;
            const uint32_t *ln = lens[c];
            for (size_t r = 0; r < nrows; r++) {
                uint32_t l = ln[r];
                if (l < 128) {
                    *p++ = (uint8_t)l;
                } else {
                    p += ots_fmt_varint_put(p, l);
                }
                if (l <= 16) { /* short values: no call per string */
                    const char *src = v[r];
                    for (uint32_t k = 0; k < l; k++)
                        p[k] = (uint8_t)src[k];
                } else {
                    memcpy(p, v[r], l);
                }
                p += l;
            }
            break;
        }
        }
    }
    return (size_t)(p - start);
}

/* ---- files -------------------------------------------------------------------- */

static char *wal_dir(struct ots_store *s) { return ots_path_join(s->dir, "wal"); }

static int wal_add_file(wal *w, uint64_t first_lsn, char *path)
{
    if (w->nfiles == w->cap_files) {
        size_t nc = w->cap_files ? w->cap_files * 2 : 8;
        walfile *nf = ots_realloc(w->files, nc * sizeof *nf);
        if (!nf)
            return OTS_ENOMEM;
        w->files = nf;
        w->cap_files = nc;
    }
    w->files[w->nfiles].first_lsn = first_lsn;
    w->files[w->nfiles].path = path;
    w->nfiles++;
    return OTS_OK;
}

static int wal_fatal(struct ots_store *s, const char *what, const char *path)
{
    s->fatal = 1;
    return ots_set_err(s, OTS_EFATAL, "%s %s failed: %s; the store refuses writes until reopened", what,
                       path ? path : "WAL", strerror(errno));
}

/* Open a new WAL file whose first record will be next_lsn. s->mu held. */
static int wal_new_file(struct ots_store *s)
{
    wal *w = &s->w;
    char *dir = wal_dir(s);
    if (!dir)
        return OTS_ENOMEM;
    char name[64];
    snprintf(name, sizeof name, "%016" PRIx64 ".wal", w->next_lsn);
    char *path = ots_path_join(dir, name);
    if (!path) {
        ots_free(dir);
        return OTS_ENOMEM;
    }
    /* O_EXCL: a WAL file is never reused; a collision is a bug, not data to clobber */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        int rc = wal_fatal(s, "creating", path);
        ots_free(path), ots_free(dir);
        return rc;
    }
    uint8_t h[WAL_HEADER_BYTES];
    memcpy(h, WAL_MAGIC, 8);
    ots_le32_put(h + 8, WAL_VERSION);
    ots_le32_put(h + 12, 0);
    ots_le64_put(h + 16, w->next_lsn);
    if (write(fd, h, sizeof h) != (ssize_t)sizeof h ||
        (s->opts.fsync != OTS_FSYNC_OFF && (fdatasync(fd) != 0 || ots_fsync_dir(dir) != OTS_OK))) {
        int rc = wal_fatal(s, "writing", path);
        close(fd);
        ots_free(path), ots_free(dir);
        return rc;
    }
    ots_free(dir);
    int rc = wal_add_file(w, w->next_lsn, path);
    if (rc != OTS_OK) {
        close(fd);
        ots_free(path);
        return rc;
    }
    pthread_mutex_lock(&w->fd_mu);
    int old = w->fd;
    w->fd = fd;
    pthread_mutex_unlock(&w->fd_mu);
    if (old >= 0)
        close(old);
    w->file_bytes = WAL_HEADER_BYTES;
    return OTS_OK;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

int ots_wal_append(struct ots_store *s, const tbl *t, const ots_vec *cols, uint32_t *const *lens, size_t nrows,
                   uint64_t *lsn)
{
    wal *w = &s->w;
    size_t bound = batch_bound(t, lens, nrows) + REC_HEAD + REC_TAIL;
    if (bound - REC_HEAD - REC_TAIL > REC_MAX_PAYLOAD)
        return ots_set_err(s, OTS_ELIMIT, "batch of %zu rows is over the 1 GiB WAL record limit; split it", nrows);
    if (w->fd < 0 || w->file_bytes >= s->opts.wal_segment_bytes) {
        if (w->fd >= 0 && s->opts.fsync != OTS_FSYNC_OFF) {
            /* the old file must be durable before its successor exists */
            pthread_mutex_lock(&w->sync_mu);
            int r = fdatasync(w->fd);
            if (r == 0 && w->synced_lsn < w->written_lsn)
                w->synced_lsn = w->written_lsn;
            pthread_mutex_unlock(&w->sync_mu);
            if (r != 0)
                return wal_fatal(s, "fsync of", w->files[w->nfiles - 1].path);
        }
        int rc = wal_new_file(s);
        if (rc != OTS_OK)
            return rc;
    }
    if (bound > w->rec_cap) {
        size_t nc = w->rec_cap ? w->rec_cap : 65536;
        while (nc < bound)
            nc *= 2;
        uint8_t *nr = ots_realloc(w->rec, nc);
        if (!nr)
            return OTS_ENOMEM;
        w->rec = nr;
        w->rec_cap = nc;
    }
    uint8_t *r = w->rec;
    size_t plen = encode_batch(r + REC_HEAD, t, cols, lens, nrows);
    uint64_t l = w->next_lsn;
    ots_le32_put(r, (uint32_t)plen);
    r[4] = REC_APPEND;
    r[5] = r[6] = r[7] = 0;
    ots_le64_put(r + 8, l);
    ots_le64_put(r + REC_HEAD + plen, ots_fmt_hash64(r, REC_HEAD + plen));
    size_t total = REC_HEAD + plen + REC_TAIL;
    if (write_all(w->fd, r, total) != 0) {
        /* a partial record may be on disk: it is a torn tail for recovery */
        return wal_fatal(s, "write to", w->files[w->nfiles - 1].path);
    }
    w->file_bytes += total;
    w->bytes_written += total;
    w->next_lsn = l + 1;
    pthread_mutex_lock(&w->fd_mu);
    w->written_lsn = l;
    pthread_mutex_unlock(&w->fd_mu);
    *lsn = l;
    return OTS_OK;
}

int ots_wal_sync(struct ots_store *s, uint64_t lsn)
{
    wal *w = &s->w;
    pthread_mutex_lock(&w->sync_mu);
    if (w->synced_lsn >= lsn) {
        pthread_mutex_unlock(&w->sync_mu);
        return s->fatal ? OTS_EFATAL : OTS_OK;
    }
    pthread_mutex_lock(&w->fd_mu);
    int fd = w->fd >= 0 ? dup(w->fd) : -1;
    uint64_t target = w->written_lsn;
    pthread_mutex_unlock(&w->fd_mu);
    int rc = OTS_OK;
    if (fd >= 0) {
        if (fdatasync(fd) != 0)
            rc = wal_fatal(s, "fsync of", "the WAL");
        close(fd);
    }
    if (rc == OTS_OK && target > w->synced_lsn)
        w->synced_lsn = target;
    pthread_mutex_unlock(&w->sync_mu);
    return rc;
}

static void *interval_thread(void *arg)
{
    struct ots_store *s = arg;
    wal *w = &s->w;
    pthread_mutex_lock(&w->sync_mu);
    while (!w->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + (uint64_t)s->opts.fsync_interval_ms * 1000000u;
        ts.tv_sec += (time_t)(ns / 1000000000u);
        ts.tv_nsec = (long)(ns % 1000000000u);
        pthread_cond_timedwait(&w->cond, &w->sync_mu, &ts);
        if (w->stop)
            break;
        pthread_mutex_lock(&w->fd_mu);
        uint64_t target = w->written_lsn;
        int fd = (target > w->synced_lsn && w->fd >= 0) ? dup(w->fd) : -1;
        pthread_mutex_unlock(&w->fd_mu);
        if (fd >= 0) {
            if (fdatasync(fd) != 0)
                wal_fatal(s, "fsync of", "the WAL");
            else
                w->synced_lsn = target;
            close(fd);
        }
    }
    pthread_mutex_unlock(&w->sync_mu);
    return NULL;
}

/* ---- retirement ----------------------------------------------------------------- */

int ots_wal_retire(struct ots_store *s)
{
    wal *w = &s->w;
    uint64_t min_unflushed = w->next_lsn;
    for (size_t i = 0; i < s->cap_parts; i++) {
        part *p = s->parts[i];
        if (p && p->buf && p->buf->n && p->buf->min_lsn && p->buf->min_lsn < min_unflushed)
            min_unflushed = p->buf->min_lsn;
    }
    size_t k = 0;
    while (k + 1 < w->nfiles && w->files[k + 1].first_lsn <= min_unflushed) {
        unlink(w->files[k].path);
        ots_free(w->files[k].path);
        k++;
    }
    if (k) {
        memmove(w->files, w->files + k, (w->nfiles - k) * sizeof *w->files);
        w->nfiles -= k;
    }
    return OTS_OK;
}

int ots_wal_reset(struct ots_store *s)
{
    wal *w = &s->w;
    pthread_mutex_lock(&w->sync_mu);
    pthread_mutex_lock(&w->fd_mu);
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    pthread_mutex_unlock(&w->fd_mu);
    w->synced_lsn = w->written_lsn;
    pthread_mutex_unlock(&w->sync_mu);
    for (size_t i = 0; i < w->nfiles; i++) {
        unlink(w->files[i].path);
        ots_free(w->files[i].path);
    }
    w->nfiles = 0;
    char *dir = wal_dir(s);
    if (dir) {
        ots_fsync_dir(dir);
        ots_free(dir);
    }
    return OTS_OK;
}

/* ---- recovery ---------------------------------------------------------------------- */

typedef struct walrec {
    uint64_t lsn;
    const uint8_t *payload;
    uint32_t len;
} walrec;

/* Is there a valid frame anywhere in p[from..n)? (to tell a torn tail from corruption) */
static int valid_frame_after(const uint8_t *p, size_t n, size_t from)
{
    for (size_t o = from; o + REC_HEAD + REC_TAIL <= n; o++) {
        uint32_t len = ots_le32_get(p + o);
        if (p[o + 4] != REC_APPEND || len > n - o - REC_HEAD - REC_TAIL)
            continue;
        if (ots_fmt_hash64(p + o, REC_HEAD + len) == ots_le64_get(p + o + REC_HEAD + len))
            return 1;
    }
    return 0;
}

/* Decode a batch payload into column vectors (validating every length).
 * Strings are copied into NUL-terminated storage in *arena. */
int ots_wal_decode_batch(struct ots_store *s, const uint8_t *p, size_t n, const tbl **t_out, ots_vec *cols,
                         size_t *nrows_out, void **arena, char *why, size_t whycap);
int ots_wal_decode_batch(struct ots_store *s, const uint8_t *p, size_t n, const tbl **t_out, ots_vec *cols,
                         size_t *nrows_out, void **arena, char *why, size_t whycap)
{
    *arena = NULL;
    *t_out = NULL;
    if (n < 12) {
        snprintf(why, whycap, "batch header truncated");
        return OTS_ECORRUPT;
    }
    uint32_t tid = ots_le32_get(p), nrows = ots_le32_get(p + 4), ncols = ots_le32_get(p + 8);
    const tbl *t = ots_catalog_table_by_id(&s->cat, tid);
    if (!t)
        return OTS_ENOTFOUND; /* a dropped table: skip */
    if (ncols != t->ncols || nrows > n) {
        snprintf(why, whycap, "batch of table '%s' has %u columns (schema has %zu) or an impossible row count", t->name,
                 ncols, t->ncols);
        return OTS_ECORRUPT;
    }
    /* one arena: per-column data arrays + string bytes (bounded by n) */
    size_t need = (size_t)ncols * nrows * 8 + n + (size_t)nrows * ncols + 64;
    uint8_t *a = ots_malloc(need);
    if (!a)
        return OTS_ENOMEM;
    size_t ao = 0, o = 12;
    for (uint32_t c = 0; c < ncols; c++) {
        if (n - o < 2 || p[o] != t->cols[c].type || p[o + 1] > 1) {
            snprintf(why, whycap, "column %u header is not that of '%s'", c, t->cols[c].name);
            goto corrupt;
        }
        int hv = p[o + 1];
        o += 2;
        cols[c].valid = NULL;
        if (hv) {
            if (n - o < nrows)
                goto trunc;
            cols[c].valid = p + o;
            o += nrows;
        }
        ots_type ty = t->cols[c].type;
        if (ty == OTS_TIMESTAMP || ty == OTS_BIGINT || ty == OTS_DOUBLE) {
            if ((n - o) / 8 < nrows)
                goto trunc;
            uint64_t *v = (uint64_t *)(void *)(a + ao);
            for (uint32_t r = 0; r < nrows; r++)
                v[r] = ots_le64_get(p + o + 8 * (size_t)r);
            cols[c].data = v;
            o += 8 * (size_t)nrows;
            ao += 8 * (size_t)nrows;
        } else if (ty == OTS_BOOLEAN) {
            if (n - o < nrows)
                goto trunc;
            cols[c].data = p + o;
            o += nrows;
        } else {
            const char **v = (const char **)(void *)(a + ao);
            ao += 8 * (size_t)nrows;
            cols[c].data = v;
            for (uint32_t r = 0; r < nrows; r++) {
                uint64_t l;
                size_t k = ots_fmt_varint_get(p + o, n - o, &l);
                if (!k || l > n - o - k)
                    goto trunc;
                o += k;
                char *sp = (char *)a + ao;
                memcpy(sp, p + o, l);
                sp[l] = 0;
                ao += l + 1;
                o += l;
                v[r] = sp;
            }
            ao = (ao + 7) & ~(size_t)7;
        }
        if (ao > need) { /* cannot happen: need bounds every write */
            snprintf(why, whycap, "internal: arena overflow");
            goto corrupt;
        }
    }
    if (o != n) {
        snprintf(why, whycap, "%zu unexpected bytes after the last column", n - o);
        goto corrupt;
    }
    *t_out = t;
    *nrows_out = nrows;
    *arena = a;
    return OTS_OK;
trunc:
    snprintf(why, whycap, "column data runs past the record");
corrupt:
    ots_free(a);
    return OTS_ECORRUPT;
}

static int replay_file(struct ots_store *s, walfile *f, int is_last)
{
    int fd = open(f->path, (s->opts.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0)
        return ots_set_err(s, OTS_EIO, "%s: %s", f->path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return ots_set_err(s, OTS_EIO, "%s: %s", f->path, strerror(errno));
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = ots_malloc(n ? n : 1);
    if (!buf) {
        close(fd);
        return OTS_ENOMEM;
    }
    int rc = OTS_OK;
    if (pread(fd, buf, n, 0) != (ssize_t)n) {
        rc = ots_set_err(s, OTS_EIO, "%s: read failed: %s", f->path, strerror(errno));
        goto out;
    }
    size_t o = 0;
    if (n < WAL_HEADER_BYTES || memcmp(buf, WAL_MAGIC, 8) != 0 || ots_le32_get(buf + 8) != WAL_VERSION ||
        ots_le64_get(buf + 16) != f->first_lsn) {
        if (is_last && n < WAL_HEADER_BYTES + REC_HEAD) {
            /* a file whose header never made it to disk: nothing acknowledged is in it */
            ots_log(s, OTS_LOG_WARN, "%s: incomplete WAL header (torn at creation); file removed", f->path);
            close(fd);
            fd = -1;
            if (!s->opts.read_only)
                unlink(f->path);
            f->first_lsn = UINT64_MAX; /* mark removed */
            goto out;
        }
        rc = ots_set_err(s, OTS_ECORRUPT,
                         "%s: corrupt WAL at byte 0: expected header OTSWAL01 version 1 for lsn %" PRIu64, f->path,
                         f->first_lsn);
        goto out;
    }
    o = WAL_HEADER_BYTES;
    uint64_t expect = f->first_lsn;
    while (o < n) {
        const char *bad = NULL;
        uint32_t len = 0;
        if (n - o < REC_HEAD + REC_TAIL)
            bad = "record frame truncated";
        else {
            len = ots_le32_get(buf + o);
            if (len > n - o - REC_HEAD - REC_TAIL)
                bad = "record length runs past the end of the file";
            else if (ots_fmt_hash64(buf + o, REC_HEAD + len) != ots_le64_get(buf + o + REC_HEAD + len))
                bad = "record checksum mismatch";
            else if (buf[o + 4] != REC_APPEND)
                bad = "unknown record type";
            else if (ots_le64_get(buf + o + 8) != expect)
                bad = "record LSN out of sequence";
        }
        if (bad) {
            if (is_last && !valid_frame_after(buf, n, o + 1)) {
                ots_log(s, OTS_LOG_WARN, "%s: torn tail at byte %zu (%s): %zu bytes cut", f->path, o, bad, n - o);
                if (!s->opts.read_only && (ftruncate(fd, (off_t)o) != 0 || fdatasync(fd) != 0)) {
                    rc = ots_set_err(s, OTS_EIO, "%s: cannot cut the torn tail: %s", f->path, strerror(errno));
                    goto out;
                }
                break;
            }
            rc = ots_set_err(s, OTS_ECORRUPT,
                             "%s: corrupt WAL at byte %zu: %s (valid records follow, so this is "
                             "not a torn write)",
                             f->path, o, bad);
            goto out;
        }
        const tbl *t;
        ots_vec cols[OTS_MAX_COLS];
        size_t nrows;
        void *arena;
        char why[200];
        int r = ots_wal_decode_batch(s, buf + o + REC_HEAD, len, &t, cols, &nrows, &arena, why, sizeof why);
        if (r == OTS_OK) {
            uint32_t *lens[OTS_MAX_COLS];
            void *lmem;
            r = ots_batch_lens(t, cols, nrows, lens, &lmem);
            if (r == OTS_OK)
                r = ots_apply_batch(s, t, cols, lens, nrows, expect, 1);
            ots_free(lmem);
            ots_free(arena);
            if (r != OTS_OK) {
                rc = r;
                goto out;
            }
        } else if (r == OTS_ECORRUPT) {
            rc = ots_set_err(s, OTS_ECORRUPT, "%s: corrupt WAL record at byte %zu: %s", f->path, o, why);
            goto out;
        } else if (r != OTS_ENOTFOUND) {
            rc = r;
            goto out;
        }
        if (expect + 1 > s->w.next_lsn) {
            s->w.next_lsn = expect + 1;
            s->w.written_lsn = s->w.synced_lsn = expect;
        }
        expect++;
        o += REC_HEAD + len + REC_TAIL;
    }
out:
    if (fd >= 0)
        close(fd);
    ots_free(buf);
    return rc;
}

static int lsn_cmp(const void *a, const void *b)
{
    uint64_t x = ((const walfile *)a)->first_lsn, y = ((const walfile *)b)->first_lsn;
    return (x > y) - (x < y);
}

int ots_wal_open(struct ots_store *s)
{
    wal *w = &s->w;
    w->fd = -1;
    pthread_mutex_init(&w->sync_mu, NULL);
    pthread_mutex_init(&w->fd_mu, NULL);
    pthread_cond_init(&w->cond, NULL);
    /* next lsn is above everything already in segments */
    uint64_t max_lsn = 0;
    for (size_t i = 0; i < s->cap_parts; i++)
        if (s->parts[i] && s->parts[i]->flushed_lsn > max_lsn)
            max_lsn = s->parts[i]->flushed_lsn;
    w->next_lsn = max_lsn + 1;
    w->written_lsn = w->synced_lsn = max_lsn;
    char *dir = wal_dir(s);
    if (!dir)
        return OTS_ENOMEM;
    DIR *d = opendir(dir);
    if (!d) {
        int rc = ots_set_err(s, OTS_EIO, "%s: %s", dir, strerror(errno));
        ots_free(dir);
        return rc;
    }
    struct dirent *e;
    int rc = OTS_OK;
    while ((e = readdir(d)) && rc == OTS_OK) {
        uint64_t lsn;
        char tail[8];
        if (strlen(e->d_name) != 20 || sscanf(e->d_name, "%16" SCNx64 "%7s", &lsn, tail) != 2 ||
            strcmp(tail, ".wal") != 0)
            continue;
        char *path = ots_path_join(dir, e->d_name);
        rc = path ? wal_add_file(w, lsn, path) : OTS_ENOMEM;
        if (rc != OTS_OK)
            ots_free(path);
    }
    closedir(d);
    ots_free(dir);
    if (rc != OTS_OK)
        return rc;
    if (w->nfiles)
        qsort(w->files, w->nfiles, sizeof *w->files, lsn_cmp);
    for (size_t i = 0; i < w->nfiles && rc == OTS_OK; i++) {
        if (w->files[i].first_lsn > w->next_lsn && w->next_lsn > max_lsn + 1) {
            rc = ots_set_err(s, OTS_ECORRUPT, "%s: WAL gap: expected a file starting at lsn %" PRIu64, w->files[i].path,
                             w->next_lsn);
            break;
        }
        if (w->files[i].first_lsn > w->next_lsn)
            w->next_lsn = w->files[i].first_lsn;
        rc = replay_file(s, &w->files[i], i + 1 == w->nfiles);
    }
    if (rc != OTS_OK)
        return rc;
    /* Files holding no record (removed as torn at birth, or killed before
     * their first record) go: the next append creates a file named by
     * next_lsn, and two entries for one path would let retirement unlink
     * the live file (a bug the kill -9 test found). */
    while (w->nfiles && w->files[w->nfiles - 1].first_lsn >= w->next_lsn) {
        walfile *f = &w->files[w->nfiles - 1];
        if (f->first_lsn != UINT64_MAX && !s->opts.read_only)
            unlink(f->path);
        ots_free(f->path);
        w->nfiles--;
    }
    /* appends go to a fresh file: never write after a cut tail in place */
    if (s->opts.fsync == OTS_FSYNC_INTERVAL && !s->opts.read_only) {
        if (pthread_create(&w->thread, NULL, interval_thread, s) == 0)
            w->thread_running = 1;
    }
    return OTS_OK;
}

void ots_wal_close(struct ots_store *s)
{
    wal *w = &s->w;
    if (w->thread_running) {
        pthread_mutex_lock(&w->sync_mu);
        w->stop = 1;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->sync_mu);
        pthread_join(w->thread, NULL);
        w->thread_running = 0;
    }
    if (w->fd >= 0) {
        if (fdatasync(w->fd) != 0)
            ots_log(s, OTS_LOG_ERROR, "fsync of the WAL at close failed: %s", strerror(errno));
        close(w->fd);
        w->fd = -1;
    }
    for (size_t i = 0; i < w->nfiles; i++)
        ots_free(w->files[i].path);
    ots_free(w->files);
    ots_free(w->rec);
    w->files = NULL;
    w->nfiles = 0;
    pthread_mutex_destroy(&w->sync_mu);
    pthread_mutex_destroy(&w->fd_mu);
    pthread_cond_destroy(&w->cond);
}
