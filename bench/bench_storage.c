/*
 * bench_storage.c — the storage engine on the synthetic meter day
 * ($OTS_BENCH_DATA, from tools/gen_meters): the figures issue 2 names.
 *
 *   storage/ingest/<fsync>   ots_append of the whole file in batches of
 *                            8192 rows into a fresh store, then
 *                            ots_store_checkpoint (every flush, sort,
 *                            encode and compaction included).  Counters:
 *                            rows/s (items), bytes_per_row (segment bytes
 *                            on disk after the checkpoint / rows).
 *   storage/scan/kwh         a full scan decoding kwh for every row of the
 *                            checkpointed store: values/s.
 *   storage/scan/one_meter   a tag-equality + one-hour scan (postings).
 *   storage/wal/<fsync>      appends of 1000-row batches (200,000 rows) under
 *                            each fsync policy, no flush: rows/s and WAL
 *                            bytes per row.
 *
 * The CSV is parsed once, untimed, into column arrays; tag strings are
 * interned so a batch hands ots_append the same pointers a real ingestor
 * would.  Stores live under $TMPDIR and are removed at exit.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/bench_util.h"
#include "bench/shim/shim.h"
#include "formats/formats.h"
#include "ots.h"

#define BATCH 8192

typedef struct meters {
    int loaded; /* 1 ok, -1 failed */
    char err[256];
    size_t n;
    int64_t *ts;
    const char **city, **zone, **meter, **status;
    double *kwh, *volt;
    char *strings; /* interned text */
    char store_dir[512];
    int store_ready;
} meters;

static meters M;

static const char *intern(char ***tab, size_t *ntab, const char *p, size_t len)
{
    for (size_t i = 0; i < *ntab; i++)
        if (strlen((*tab)[i]) == len && !memcmp((*tab)[i], p, len))
            return (*tab)[i];
    *tab = realloc(*tab, (*ntab + 1) * sizeof **tab);
    char *s = malloc(len + 1);
    memcpy(s, p, len);
    s[len] = 0;
    (*tab)[(*ntab)++] = s;
    return s;
}

static int load(void)
{
    if (M.loaded)
        return M.loaded;
    const char *path = getenv("OTS_BENCH_DATA");
    if (!path)
        path = "bench/data/meters-144.csv";
    ots_csv *c;
    if (ots_csv_open_path(path, NULL, &c) != OTS_OK) {
        snprintf(M.err, sizeof M.err, "cannot open %s (run via bench/run.sh)", path);
        return M.loaded = -1;
    }
    size_t cap = 1 << 20;
    M.ts = malloc(cap * 8), M.kwh = malloc(cap * 8), M.volt = malloc(cap * 8);
    M.city = malloc(cap * sizeof(char *)), M.zone = malloc(cap * sizeof(char *));
    M.meter = malloc(cap * sizeof(char *)), M.status = malloc(cap * sizeof(char *));
    /* interned for the life of the process (static: reachable, not a leak) */
    static char **cities = NULL, **zones = NULL, **stat = NULL;
    static size_t ncities = 0, nzones = 0, nstat = 0;
    /* meter ids 1..10000: a direct table */
    static char *meter_ids[100001];
    const ots_csv_field *f;
    size_t nf;
    int rc = ots_csv_next(c, &f, &nf); /* header */
    while ((rc = ots_csv_next(c, &f, &nf)) == 1) {
        if (nf != 7) {
            snprintf(M.err, sizeof M.err, "%s: line %llu: expected 7 fields", path,
                     (unsigned long long)ots_csv_line(c));
            ots_csv_close(c);
            return M.loaded = -1;
        }
        if (M.n == cap) {
            cap *= 2;
            M.ts = realloc(M.ts, cap * 8), M.kwh = realloc(M.kwh, cap * 8), M.volt = realloc(M.volt, cap * 8);
            M.city = realloc(M.city, cap * sizeof(char *)), M.zone = realloc(M.zone, cap * sizeof(char *));
            M.meter = realloc(M.meter, cap * sizeof(char *)), M.status = realloc(M.status, cap * sizeof(char *));
        }
        size_t i = M.n++;
        ots_fmt_err e;
        if (ots_fmt_ts_parse(f[0].p, f[0].len, NULL, &M.ts[i], &e) != OTS_OK) {
            snprintf(M.err, sizeof M.err, "%s: bad ts: %s", path, e.msg);
            ots_csv_close(c);
            return M.loaded = -1;
        }
        M.city[i] = intern(&cities, &ncities, f[1].p, f[1].len);
        M.zone[i] = intern(&zones, &nzones, f[2].p, f[2].len);
        unsigned long id = strtoul(f[3].p, NULL, 10);
        if (id > 100000)
            id = 0;
        if (!meter_ids[id])
            meter_ids[id] = strdup(f[3].p);
        M.meter[i] = meter_ids[id];
        M.kwh[i] = strtod(f[4].p, NULL);
        M.volt[i] = strtod(f[5].p, NULL);
        M.status[i] = intern(&stat, &nstat, f[6].p, f[6].len);
    }
    ots_csv_close(c);
    if (rc < 0) {
        snprintf(M.err, sizeof M.err, "%s: CSV error", path);
        return M.loaded = -1;
    }
    return M.loaded = 1;
}

static const ots_column_def COLS[] = {
    {"ts", OTS_TIMESTAMP}, {"city", OTS_TAG},       {"zone", OTS_TAG},      {"meter_id", OTS_TAG},
    {"kwh", OTS_DOUBLE},   {"voltage", OTS_DOUBLE}, {"status", OTS_STRING},
};

/* Load every row into a new store at dir; returns 0 or an error text. */
static const char *ingest(const char *dir, ots_fsync_policy pol)
{
    static char err[512];
    ots_store_opts o;
    ots_store_opts_init(&o);
    o.fsync = pol;
    o.log = ots_bench_quiet_log;
    ots_store *s;
    if (ots_store_open(dir, &o, &s) != OTS_OK) {
        snprintf(err, sizeof err, "open: %s", ots_errmsg(NULL));
        return err;
    }
    if (ots_table_create(s, "meter_readings", COLS, 7, NULL, 0) != OTS_OK) {
        snprintf(err, sizeof err, "create: %s", ots_errmsg(s));
        ots_store_close(s);
        return err;
    }
    for (size_t i = 0; i < M.n; i += BATCH) {
        size_t k = M.n - i < BATCH ? M.n - i : BATCH;
        ots_vec v[7] = {{M.ts + i, NULL},  {M.city + i, NULL}, {M.zone + i, NULL},  {M.meter + i, NULL},
                        {M.kwh + i, NULL}, {M.volt + i, NULL}, {M.status + i, NULL}};
        if (ots_append(s, "meter_readings", v, k) != OTS_OK) {
            snprintf(err, sizeof err, "append: %s", ots_errmsg(s));
            ots_store_close(s);
            return err;
        }
    }
    if (ots_store_checkpoint(s) != OTS_OK) {
        snprintf(err, sizeof err, "checkpoint: %s", ots_errmsg(s));
        ots_store_close(s);
        return err;
    }
    ots_store_close(s);
    return NULL;
}

static void tmpdir(char *buf, size_t cap, const char *tag)
{
    const char *t = getenv("TMPDIR");
    snprintf(buf, cap, "%s/ots-bench-%s-%ld", t && *t ? t : "/tmp", tag, (long)getpid());
}

static void bm_ingest(ots_bench_state *st, void *arg)
{
    ots_fsync_policy pol = (ots_fsync_policy)(intptr_t)arg;
    if (load() < 0) {
        ots_bench_skip_with_error(st, M.err);
        while (ots_bench_keep_running(st)) {
        }
        return;
    }
    char dir[512];
    tmpdir(dir, sizeof dir, "ingest");
    uint64_t bytes = 0;
    while (ots_bench_keep_running(st)) {
        ots_bench_pause(st);
        ots_bench_rmrf(dir);
        ots_bench_resume(st);
        const char *e = ingest(dir, pol);
        if (e) {
            ots_bench_skip_with_error(st, e);
            break;
        }
        ots_bench_pause(st);
        char hot[600];
        snprintf(hot, sizeof hot, "%s/hot", dir);
        bytes = ots_bench_du(hot);
        ots_bench_resume(st);
    }
    ots_bench_rmrf(dir);
    ots_bench_set_items_processed(st, ots_bench_iterations(st) * (int64_t)M.n);
    ots_bench_counter(st, "bytes_per_row", M.n ? (double)bytes / (double)M.n : 0, 0);
    ots_bench_counter(st, "rows", (double)M.n, 0);
}

static const char *ready_store(void)
{
    if (M.store_ready)
        return M.store_ready > 0 ? M.store_dir : NULL;
    tmpdir(M.store_dir, sizeof M.store_dir, "scan");
    ots_bench_rmrf(M.store_dir);
    const char *e = load() < 0 ? M.err : ingest(M.store_dir, OTS_FSYNC_OFF);
    if (e) {
        snprintf(M.err, sizeof M.err, "%s", e);
        M.store_ready = -1;
        return NULL;
    }
    M.store_ready = 1;
    return M.store_dir;
}

static void bm_scan(ots_bench_state *st, void *arg)
{
    int one_meter = arg != NULL;
    const char *dir = ready_store();
    ots_store *s = NULL;
    ots_store_opts o;
    ots_store_opts_init(&o);
    o.read_only = 1;
    o.log = ots_bench_quiet_log;
    if (!dir || ots_store_open(dir, &o, &s) != OTS_OK) {
        ots_bench_skip_with_error(st, dir ? ots_errmsg(NULL) : M.err);
        while (ots_bench_keep_running(st)) {
        }
        return;
    }
    const char *cols[] = {"kwh"};
    ots_scan_spec sp;
    ots_scan_spec_init(&sp, "meter_readings");
    sp.columns = cols;
    sp.ncolumns = 1;
    const char *city = M.city[0], *zone = M.zone[0], *meter = M.meter[0];
    ots_tag_pred preds[3] = {{"city", &city, 1}, {"zone", &zone, 1}, {"meter_id", &meter, 1}};
    if (one_meter) {
        sp.preds = preds;
        sp.npreds = 3;
        sp.ts_min_ns = M.ts[0];
        sp.ts_max_ns = M.ts[0] + 3600LL * 1000000000LL;
    }
    uint64_t rows = 0;
    double sum = 0;
    while (ots_bench_keep_running(st)) {
        ots_scan *sc;
        if (ots_scan_open(s, &sp, &sc) != OTS_OK) {
            ots_bench_skip_with_error(st, ots_errmsg(s));
            break;
        }
        const ots_batch *b;
        int rc;
        while ((rc = ots_scan_next(sc, &b)) == 1) {
            /* touch every value cheaply (an XOR of the bit patterns, which
             * the compiler vectorises), so the benchmark measures the scan */
            const uint64_t *v = (const uint64_t *)(const void *)b->cols[0].f64;
            uint64_t x = 0;
            for (size_t i = 0; i < b->nrows; i++)
                x ^= v[i];
            sum += (double)(x & 0xffff);
            rows += b->nrows;
        }
        ots_scan_close(sc);
        if (rc < 0) {
            ots_bench_skip_with_error(st, ots_errmsg(s));
            break;
        }
    }
    ots_store_close(s);
    ots_bench_set_items_processed(st, (int64_t)rows);
    char label[64];
    snprintf(label, sizeof label, "checksum %.2f", sum);
    ots_bench_set_label(st, label);
}

/* WAL append under one fsync policy: batches of 1000 rows (the first 200,000
 * rows of the file) into a fresh store, no flush; rows/s and WAL bytes/row. */
static void bm_wal(ots_bench_state *st, void *arg)
{
    ots_fsync_policy pol = (ots_fsync_policy)(intptr_t)arg;
    if (load() < 0) {
        ots_bench_skip_with_error(st, M.err);
        while (ots_bench_keep_running(st)) {
        }
        return;
    }
    size_t total = M.n < 200000 ? M.n : 200000, per = 1000;
    char dir[512];
    tmpdir(dir, sizeof dir, "wal");
    uint64_t walbytes = 0;
    while (ots_bench_keep_running(st)) {
        ots_bench_pause(st);
        ots_bench_rmrf(dir);
        ots_store_opts o;
        ots_store_opts_init(&o);
        o.fsync = pol;
        o.log = ots_bench_quiet_log;
        o.flush_rows = 1u << 26;
        ots_store *s;
        if (ots_store_open(dir, &o, &s) != OTS_OK || ots_table_create(s, "m", COLS, 7, NULL, 0) != OTS_OK) {
            ots_bench_skip_with_error(st, ots_errmsg(NULL));
            break;
        }
        ots_bench_resume(st);
        for (size_t i = 0; i < total; i += per) {
            size_t k = total - i < per ? total - i : per;
            ots_vec v[7] = {{M.ts + i, NULL},  {M.city + i, NULL}, {M.zone + i, NULL},  {M.meter + i, NULL},
                            {M.kwh + i, NULL}, {M.volt + i, NULL}, {M.status + i, NULL}};
            if (ots_append(s, "m", v, k) != OTS_OK) {
                ots_bench_skip_with_error(st, ots_errmsg(s));
                break;
            }
        }
        ots_bench_pause(st);
        ots_store_close(s);
        char w[600];
        snprintf(w, sizeof w, "%s/wal", dir);
        walbytes = ots_bench_du(w);
        ots_bench_resume(st);
    }
    ots_bench_rmrf(dir);
    ots_bench_set_items_processed(st, ots_bench_iterations(st) * (int64_t)total);
    ots_bench_counter(st, "wal_bytes_per_row", total ? (double)walbytes / (double)total : 0, 0);
}

static void cleanup(void) __attribute__((destructor));
static void cleanup(void)
{
    if (M.store_ready > 0)
        ots_bench_rmrf(M.store_dir);
}

OTS_BENCH_SUITE(register_storage)
{
    ots_bench *b;
    b = ots_bench_register("storage/ingest/interval", bm_ingest, (void *)(intptr_t)OTS_FSYNC_INTERVAL);
    ots_bench_use_real_time(b);
    ots_bench_set_unit(b, OTS_BENCH_MS);
    b = ots_bench_register("storage/ingest/off", bm_ingest, (void *)(intptr_t)OTS_FSYNC_OFF);
    ots_bench_use_real_time(b);
    ots_bench_set_unit(b, OTS_BENCH_MS);
    b = ots_bench_register("storage/wal/always", bm_wal, (void *)(intptr_t)OTS_FSYNC_ALWAYS);
    ots_bench_use_real_time(b);
    ots_bench_set_unit(b, OTS_BENCH_MS);
    b = ots_bench_register("storage/wal/interval", bm_wal, (void *)(intptr_t)OTS_FSYNC_INTERVAL);
    ots_bench_use_real_time(b);
    ots_bench_set_unit(b, OTS_BENCH_MS);
    b = ots_bench_register("storage/wal/off", bm_wal, (void *)(intptr_t)OTS_FSYNC_OFF);
    ots_bench_use_real_time(b);
    ots_bench_set_unit(b, OTS_BENCH_MS);
    b = ots_bench_register("storage/scan/kwh", bm_scan, NULL);
    ots_bench_use_real_time(b);
    ots_bench_set_unit(b, OTS_BENCH_MS);
    b = ots_bench_register("storage/scan/one_meter_hour", bm_scan, (void *)1);
    ots_bench_use_real_time(b);
}
