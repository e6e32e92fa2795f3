/*
 * partition.c — the partition map (table / city / zone / local day), its
 * discovery from hot/ at open, flushing write buffers to segments, and
 * compaction of a partition's segments into one.
 *
 * Segment files are named seg-<seq_lo>-<seq_hi>.ots (16 hex digits each).
 * A flush writes a new seq; a compaction writes the union range and then
 * unlinks its inputs.  A crash between the two leaves files whose range is
 * inside another's: discovery deletes those, so every row is read once.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/storage_int.h"

int64_t ots_city_day(const city *c, int64_t ts_ns, int64_t *start, int64_t *end)
{
    return ots_fmt_tz_day(c ? c->tz : NULL, ts_ns, start, end);
}

static uint64_t part_hash(uint32_t tid, const char *cn, const char *zn, int64_t day)
{
    uint64_t h = tid * 0x9E3779B97F4A7C15ull;
    h ^= (uint64_t)(uintptr_t)cn * 0xBF58476D1CE4E5B9ull;
    h = (h << 17 | h >> 47) ^ (uint64_t)(uintptr_t)zn * 0x94D049BB133111EBull;
    h ^= (uint64_t)day * 0xD6E8FEB86659FD93ull;
    return h ^ (h >> 31);
}

void ots_parts_rehash(struct ots_store *s);
void ots_parts_rehash(struct ots_store *s)
{
    size_t cap = s->cap_parts;
    part **old = s->parts;
    part **np = ots_calloc(cap ? cap : 1, sizeof *np);
    if (!np)
        return; /* keep the old table: lookups still work, with tombstone-free gaps possibly */
    for (size_t i = 0; i < cap; i++) {
        part *p = old[i];
        if (!p)
            continue;
        size_t k = part_hash(p->table_id, p->city, p->zone, p->day) & (cap - 1);
        while (np[k])
            k = (k + 1) & (cap - 1);
        np[k] = p;
    }
    ots_free(old);
    s->parts = np;
}

static int parts_grow(struct ots_store *s)
{
    size_t nc = s->cap_parts ? s->cap_parts * 2 : 256;
    part **np = ots_calloc(nc, sizeof *np);
    if (!np)
        return OTS_ENOMEM;
    for (size_t i = 0; i < s->cap_parts; i++) {
        part *p = s->parts[i];
        if (!p)
            continue;
        size_t k = part_hash(p->table_id, p->city, p->zone, p->day) & (nc - 1);
        while (np[k])
            k = (k + 1) & (nc - 1);
        np[k] = p;
    }
    ots_free(s->parts);
    s->parts = np;
    s->cap_parts = nc;
    return OTS_OK;
}

static const char *intern_name(struct ots_store *s, const char *v)
{
    int64_t id = ots_pool_intern(&s->names, v, (uint32_t)strlen(v));
    return id < 0 ? NULL : s->names.str[id];
}

void ots_part_free(struct ots_store *s, part *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nsegs; i++)
        ots_seg_unref(s, p->segs[i]);
    if (p->buf) {
        s->buffered_bytes -= ots_rowbuf_bytes(p->buf);
        ots_rowbuf_fini(p->buf);
        ots_free(p->buf);
    }
    ots_free(p->segs);
    ots_free(p->dir);
    ots_free(p);
}

static char *part_dir(struct ots_store *s, const tbl *t, const char *cn, const char *zn, int64_t day)
{
    char *et = ots_path_escape(t->name), *ec = ots_path_escape(cn), *ez = ots_path_escape(zn);
    char *out = NULL;
    if (et && ec && ez) {
        char dayb[11];
        ots_fmt_day_format(day, dayb);
        size_t n = strlen(s->dir) + strlen(et) + strlen(ec) + strlen(ez) + 32;
        out = ots_malloc(n);
        if (out)
            snprintf(out, n, "%s/hot/%s/%s/%s/%s", s->dir, et, ec, ez, dayb);
    }
    ots_free(et), ots_free(ec), ots_free(ez);
    return out;
}

int ots_part_get(struct ots_store *s, const tbl *t, const char *cityname, const char *zonename, int64_t day, int create,
                 part **out)
{
    const char *ci = intern_name(s, cityname), *zi = intern_name(s, zonename);
    if (!ci || !zi)
        return OTS_ENOMEM;
    if (s->cap_parts) {
        size_t mask = s->cap_parts - 1, k = part_hash(t->id, ci, zi, day) & mask;
        for (;;) {
            part *p = s->parts[k];
            if (!p)
                break;
            if (p->table_id == t->id && p->city == ci && p->zone == zi && p->day == day) {
                *out = p;
                return OTS_OK;
            }
            k = (k + 1) & mask;
        }
    }
    if (!create)
        return OTS_ENOTFOUND;
    if ((s->nparts + 1) * 2 > s->cap_parts && parts_grow(s) != OTS_OK)
        return OTS_ENOMEM;
    part *p = ots_calloc(1, sizeof *p);
    if (!p)
        return OTS_ENOMEM;
    p->t = t;
    p->table_id = t->id;
    p->city = ci;
    p->zone = zi;
    p->day = day;
    p->next_seq = 1;
    city *c = ots_catalog_city(&s->cat, ci);
    ots_fmt_tz_day_bounds(c ? c->tz : NULL, day, &p->day_start_ns, &p->day_end_ns);
    p->dir = part_dir(s, t, ci, zi, day);
    if (!p->dir) {
        ots_free(p);
        return OTS_ENOMEM;
    }
    size_t mask = s->cap_parts - 1, k = part_hash(t->id, ci, zi, day) & mask;
    while (s->parts[k])
        k = (k + 1) & mask;
    s->parts[k] = p;
    s->nparts++;
    *out = p;
    return OTS_OK;
}

static int seg_add(part *p, seg *g)
{
    if (p->nsegs == p->cap_segs) {
        size_t nc = p->cap_segs ? p->cap_segs * 2 : 4;
        seg **ns = ots_realloc(p->segs, nc * sizeof *ns);
        if (!ns)
            return OTS_ENOMEM;
        p->segs = ns;
        p->cap_segs = nc;
    }
    size_t i = p->nsegs;
    while (i > 0 && p->segs[i - 1]->seq_lo > g->seq_lo) {
        p->segs[i] = p->segs[i - 1];
        i--;
    }
    p->segs[i] = g;
    p->nsegs++;
    if (g->lsn_hi > p->flushed_lsn)
        p->flushed_lsn = g->lsn_hi;
    if (g->seq_hi + 1 > p->next_seq)
        p->next_seq = g->seq_hi + 1;
    return OTS_OK;
}

/* ---- discovery ------------------------------------------------------------------ */

static int parse_day(const char *name, int64_t *day)
{
    unsigned y, m, d;
    char extra;
    if (strlen(name) != 10 || sscanf(name, "%4u-%2u-%2u%c", &y, &m, &d, &extra) != 3 || m < 1 || m > 12 || d < 1 ||
        d > 31)
        return -1;
    *day = ots_fmt_days_from_civil(y, m, d);
    return 0;
}

static int list_dir(const char *path, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT ? OTS_OK : OTS_EIO;
    struct dirent *e;
    size_t cap = 0;
    int rc = OTS_OK;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nn = ots_realloc(*names, nc * sizeof *nn);
            if (!nn) {
                rc = OTS_ENOMEM;
                break;
            }
            *names = nn;
            cap = nc;
        }
        if (!((*names)[*n] = ots_strdup(e->d_name))) {
            rc = OTS_ENOMEM;
            break;
        }
        (*n)++;
    }
    closedir(d);
    return rc;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ots_free(names[i]);
    ots_free(names);
}

static int discover_day(struct ots_store *s, const tbl *t, const char *cityname, const char *zonename,
                        const char *dayname, const char *dir)
{
    int64_t day;
    if (parse_day(dayname, &day) != 0) {
        ots_log(s, OTS_LOG_WARN, "%s: not a partition day directory; ignored", dir);
        return OTS_OK;
    }
    char **names;
    size_t n;
    int rc = list_dir(dir, &names, &n);
    if (rc != OTS_OK)
        return ots_set_err(s, rc, "%s: cannot list: %s", dir, strerror(errno));
    seg **segs = ots_calloc(n ? n : 1, sizeof *segs);
    size_t ns = 0;
    if (!segs) {
        free_names(names, n);
        return OTS_ENOMEM;
    }
    for (size_t i = 0; i < n && rc == OTS_OK; i++) {
        char *path = ots_path_join(dir, names[i]);
        if (!path) {
            rc = OTS_ENOMEM;
            break;
        }
        size_t l = strlen(names[i]);
        if (l > 4 && !strcmp(names[i] + l - 4, ".tmp")) {
            unlink(path); /* an unfinished flush or compaction */
        } else if (!strncmp(names[i], "seg-", 4) && l > 8 && !strcmp(names[i] + l - 4, ".ots")) {
            seg *g;
            rc = ots_seg_open(s, t, path, &g);
            if (rc == OTS_OK)
                segs[ns++] = g;
        }
        ots_free(path);
    }
    free_names(names, n);
    if (rc != OTS_OK)
        goto out_free;
    /* drop segments whose seq range lies inside another's (compaction leftovers) */
    for (size_t i = 0; i < ns; i++) {
        for (size_t j = 0; j < ns; j++) {
            if (i == j || !segs[i] || !segs[j])
                continue;
            seg *a = segs[i], *b = segs[j];
            int inside =
                b->seq_lo <= a->seq_lo && a->seq_hi <= b->seq_hi && (b->seq_hi - b->seq_lo > a->seq_hi - a->seq_lo);
            if (inside) {
                ots_log(s, OTS_LOG_INFO, "%s: superseded by %s (interrupted compaction); removed", a->path, b->path);
                a->obsolete = 1;
                ots_seg_unref(s, a);
                segs[i] = NULL;
                break;
            }
        }
    }
    part *p = NULL;
    for (size_t i = 0; i < ns; i++) {
        if (!segs[i])
            continue;
        if (!p && (rc = ots_part_get(s, t, cityname, zonename, day, 1, &p)) != OTS_OK)
            goto out_free;
        if ((rc = seg_add(p, segs[i])) != OTS_OK)
            goto out_free;
        segs[i] = NULL;
    }
out_free:
    for (size_t i = 0; i < ns; i++)
        if (segs[i])
            ots_seg_unref(s, segs[i]);
    ots_free(segs);
    return rc;
}

int ots_parts_discover(struct ots_store *s)
{
    char *hot = ots_path_join(s->dir, "hot");
    if (!hot)
        return OTS_ENOMEM;
    char **tn;
    size_t ntn;
    int rc = list_dir(hot, &tn, &ntn);
    for (size_t a = 0; a < ntn && rc == OTS_OK; a++) {
        char *tdir = ots_path_join(hot, tn[a]);
        char *tname = ots_path_unescape(tn[a]);
        if (!tdir || !tname) {
            ots_free(tdir), ots_free(tname);
            rc = OTS_ENOMEM;
            break;
        }
        tbl *t = ots_catalog_table(&s->cat, tname);
        if (!t) { /* a dropped table whose files outlived a crash */
            if (!s->opts.read_only)
                ots_rmrf(tdir);
            ots_free(tdir), ots_free(tname);
            continue;
        }
        char **cn;
        size_t ncn;
        rc = list_dir(tdir, &cn, &ncn);
        for (size_t b = 0; b < ncn && rc == OTS_OK; b++) {
            char *cdir = ots_path_join(tdir, cn[b]);
            char *cname = ots_path_unescape(cn[b]);
            char **zn = NULL;
            size_t nzn = 0;
            if (!cdir || !cname)
                rc = OTS_ENOMEM;
            if (rc == OTS_OK && !ots_catalog_city(&s->cat, cname)) {
                city *c;
                rc = ots_catalog_add_city_utc(s, cname, &c);
            }
            if (rc == OTS_OK)
                rc = list_dir(cdir, &zn, &nzn);
            for (size_t c = 0; c < nzn && rc == OTS_OK; c++) {
                char *zdir = ots_path_join(cdir, zn[c]);
                char *zname = ots_path_unescape(zn[c]);
                char **dn = NULL;
                size_t ndn = 0;
                if (!zdir || !zname)
                    rc = OTS_ENOMEM;
                if (rc == OTS_OK)
                    rc = list_dir(zdir, &dn, &ndn);
                for (size_t d = 0; d < ndn && rc == OTS_OK; d++) {
                    char *ddir = ots_path_join(zdir, dn[d]);
                    rc = ddir ? discover_day(s, t, cname, zname, dn[d], ddir) : OTS_ENOMEM;
                    ots_free(ddir);
                }
                free_names(dn, ndn);
                ots_free(zdir), ots_free(zname);
            }
            free_names(zn, nzn);
            ots_free(cdir), ots_free(cname);
        }
        free_names(cn, ncn);
        ots_free(tdir), ots_free(tname);
    }
    free_names(tn, ntn);
    ots_free(hot);
    return rc;
}

/* ---- flush and compaction --------------------------------------------------------- */

static char *seg_path(const part *p, uint64_t lo, uint64_t hi)
{
    size_t n = strlen(p->dir) + 64;
    char *path = ots_malloc(n);
    if (path)
        snprintf(path, n, "%s/seg-%016" PRIx64 "-%016" PRIx64 ".ots", p->dir, lo, hi);
    return path;
}

static int write_and_add(struct ots_store *s, part *p, const rowbuf *b, uint64_t lo, uint64_t hi, uint64_t lsn_hi,
                         seg **added)
{
    uint32_t *perm;
    size_t n;
    int rc = ots_rowbuf_sort_dedup(b, &perm, &n);
    if (rc != OTS_OK)
        return rc;
    char *path = seg_path(p, lo, hi);
    if (!path) {
        ots_free(perm);
        return OTS_ENOMEM;
    }
    if ((rc = ots_mkdir_p(p->dir)) != OTS_OK) {
        rc = ots_set_err(s, rc, "%s: cannot create: %s", p->dir, strerror(errno));
        goto out;
    }
    rc = ots_seg_write(s, b, perm, n, path, lo, hi, lsn_hi, p->day, p->city, p->zone, 0);
    if (rc != OTS_OK)
        goto out;
    rc = ots_seg_open(s, b->t, path, added);
out:
    ots_free(path);
    ots_free(perm);
    return rc;
}

int ots_part_flush(struct ots_store *s, part *p)
{
    if (!p->buf || p->buf->n == 0 || !p->t)
        return OTS_OK;
    uint64_t seq = p->next_seq;
    seg *g;
    int rc = write_and_add(s, p, p->buf, seq, seq, p->buf->max_lsn, &g);
    if (rc != OTS_OK)
        return rc;
    if ((rc = seg_add(p, g)) != OTS_OK) {
        ots_seg_unref(s, g);
        return rc;
    }
    s->buffered_bytes -= ots_rowbuf_bytes(p->buf);
    ots_rowbuf_fini(p->buf);
    ots_free(p->buf);
    p->buf = NULL;
    if (s->opts.compact_on_flush && p->nsegs >= 4)
        return ots_part_compact(s, p);
    return OTS_OK;
}

int ots_part_compact(struct ots_store *s, part *p)
{
    if (p->nsegs < 2 || !p->t)
        return OTS_OK;
    uint64_t total = 0;
    for (size_t i = 0; i < p->nsegs; i++)
        total += p->segs[i]->nrows;
    if (total > OTS_SEG_MAX_ROWS)
        return OTS_OK; /* too big for one segment: the partition keeps several */
    rowbuf b;
    ots_rowbuf_init(&b, p->t);
    int rc = OTS_OK;
    uint64_t lsn_hi = 0;
    for (size_t i = 0; i < p->nsegs && rc == OTS_OK; i++) {
        rc = ots_seg_load_rowbuf(s, p->t, p->segs[i], &b);
        if (p->segs[i]->lsn_hi > lsn_hi)
            lsn_hi = p->segs[i]->lsn_hi;
    }
    seg *g = NULL;
    if (rc == OTS_OK)
        rc = write_and_add(s, p, &b, p->segs[0]->seq_lo, p->segs[p->nsegs - 1]->seq_hi, lsn_hi, &g);
    ots_rowbuf_fini(&b);
    if (rc != OTS_OK)
        return rc;
    for (size_t i = 0; i < p->nsegs; i++) {
        p->segs[i]->obsolete = 1;
        ots_seg_unref(s, p->segs[i]);
    }
    p->segs[0] = g;
    p->nsegs = 1;
    ots_fsync_dir(p->dir);
    return OTS_OK;
}

int ots_flush_all(struct ots_store *s)
{
    for (size_t i = 0; i < s->cap_parts; i++) {
        part *p = s->parts[i];
        if (p && p->buf) {
            int rc = ots_part_flush(s, p);
            if (rc != OTS_OK)
                return rc;
        }
    }
    s->last_part = NULL;
    return OTS_OK;
}

static int part_cmp(const void *a, const void *b)
{
    const part *x = *(part *const *)a, *y = *(part *const *)b;
    int c = strcmp(x->t ? x->t->name : "", y->t ? y->t->name : "");
    if (!c)
        c = strcmp(x->city, y->city);
    if (!c)
        c = strcmp(x->zone, y->zone);
    if (!c)
        c = (x->day > y->day) - (x->day < y->day);
    return c;
}

int ots_parts_sorted(struct ots_store *s, const tbl *t, part ***out, size_t *n)
{
    part **arr = ots_malloc((s->nparts ? s->nparts : 1) * sizeof *arr);
    if (!arr)
        return OTS_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < s->cap_parts; i++) {
        part *p = s->parts[i];
        if (p && p->t && (!t || p->table_id == t->id))
            arr[k++] = p;
    }
    qsort(arr, k, sizeof *arr, part_cmp);
    *out = arr;
    *n = k;
    return OTS_OK;
}
