/*
 * bench_codecs.c — speed and size of the column chunk codecs
 * (formats.h: ots_fmt_chunk_encode_* / ots_fmt_chunk_decode_*, spec in
 * docs/formats/chunk.md) on the data ots is built for.
 *
 * Data sets, each cut into chunks the way the store would hand them to the
 * encoder:
 *   meters          the synthetic meter readings of tools/gen_meters (path in
 *                   $OTS_BENCH_DATA, set by bench/run.sh; default
 *                   bench/data/meters-144.csv).  Rows are sorted by series
 *                   (city, zone, meter_id) then ts, as compaction leaves them,
 *                   and one chunk holds one zone's 50 meters (a partition).
 *                   Columns ts, meter_id (BIGINT), kwh, voltage, status,
 *                   fault (BOOLEAN: status is "fault"), city (a constant).
 *   seattle_hourly  examples/data/seattle-weather-hourly-normals.csv, one
 *                   chunk: ts, temperature, pressure, wind.
 *   weather_daily   examples/data/weather-seattle-newyork-daily.csv sorted by
 *                   (location, date), one chunk per location: precipitation,
 *                   temp_max, wind, weather.
 * (examples/data/ first, else ../shared/data/.)
 *
 * Benchmarks are named codec/<encode|decode>/<data set>/<column>/<zstd|nozstd>:
 * "zstd" is the encoder's default (zstd tried over each chunk), "nozstd"
 * passes OTS_FMT_NO_ZSTD to time the column encodings alone.  One iteration
 * encodes (or decodes) every chunk of the column.  Reported: items/s (values),
 * bytes/s (decoded size: 8 bytes per BIGINT/TIMESTAMP/DOUBLE value, 1 per
 * BOOLEAN, the text bytes of strings), bytes_per_value (encoded size over
 * values, headers included) and a label naming the encodings chosen.  A
 * decode benchmark first checks, untimed, that every chunk decodes to its
 * input (bit-exact); a mismatch or a codec error fails the benchmark.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/shim/shim.h"
#include "formats/formats.h"

#define MAX_COLS 8
#define CHUNK_ROWS_MAX 262144 /* the store's default flush_rows */
#define DEFAULT_METERS_CSV "bench/data/meters-144.csv"

typedef enum kind { K_I64, K_F64, K_BOOL, K_STR } kind;

/* One column of a data set, cut into chunks. */
typedef struct column {
    const char *name; /* column name, static */
    kind k;
    size_t n; /* values */
    size_t nchunks;
    size_t *start;      /* nchunks + 1 row offsets; chunk i is [start[i], start[i+1]) */
    size_t max_chunk;   /* rows in the largest chunk */
    int64_t *i64;       /* K_I64: n values */
    double *f64;        /* K_F64: n values */
    uint8_t *b;         /* K_BOOL: n values, 0 or 1 */
    ots_fmt_str *s;     /* K_STR: n values, pointing into the data set's text */
    uint8_t *valid;     /* n bytes, 1 = present; NULL when nothing is NULL */
    uint64_t raw_bytes; /* decoded size, as defined above */
} column;

typedef struct dataset {
    const char *name;            /* "meters", … */
    const char *const *colnames; /* the columns it offers, in benchmark order */
    int (*load)(struct dataset *d);
    int state; /* 0 not loaded, 1 loaded, -1 failed (see error) */
    char error[512];
    column cols[MAX_COLS];
    size_t ncols;
    char *text; /* string bytes the K_STR columns point into */
} dataset;

/* ---- small helpers --------------------------------------------------------- */

static void set_error(dataset *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(dataset *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->error, sizeof d->error, fmt, ap);
    va_end(ap);
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "bench_codecs: out of memory (%zu x %zu bytes)\n", n, size);
        abort();
    }
    return p;
}

static void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q) {
        fprintf(stderr, "bench_codecs: out of memory (%zu bytes)\n", size);
        abort();
    }
    return q;
}

/* A real data file: examples/data/NAME, else ../shared/data/NAME. */
static const char *data_path(const char *name, char *buf, size_t cap)
{
    static const char *const dirs[] = {"examples/data", "../shared/data"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(buf, cap, "%s/%s", dirs[i], name);
        FILE *f = fopen(buf, "rb");
        if (f) {
            fclose(f);
            return buf;
        }
    }
    snprintf(buf, cap, "examples/data/%s", name);
    return buf;
}

static int parse_double(const char *p, size_t len, double *v)
{
    char *end;
    if (len == 0)
        return -1;
    *v = strtod(p, &end);
    return end == p + len ? 0 : -1;
}

static int parse_u32(const char *p, size_t len, uint32_t *v)
{
    uint64_t r = 0;
    if (len == 0 || len > 9)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        r = r * 10 + (uint64_t)(p[i] - '0');
    }
    *v = (uint32_t)r;
    return 0;
}

/* Index of each wanted name in the header record, or -1 with an error. */
static int map_header(dataset *d, const char *path, const ots_csv_field *f, size_t nf, const char *const *want,
                      size_t nwant, size_t *idx)
{
    for (size_t w = 0; w < nwant; w++) {
        size_t i;
        for (i = 0; i < nf; i++)
            if (f[i].len == strlen(want[w]) && !memcmp(f[i].p, want[w], f[i].len))
                break;
        if (i == nf) {
            set_error(d, "%s: header has no column '%s'", path, want[w]);
            return -1;
        }
        idx[w] = i;
    }
    return 0;
}

static column *add_column(dataset *d, const char *name, kind k, size_t n)
{
    column *c = &d->cols[d->ncols++];
    memset(c, 0, sizeof *c);
    c->name = name;
    c->k = k;
    c->n = n;
    switch (k) {
    case K_I64: c->i64 = xcalloc(n, sizeof *c->i64); break;
    case K_F64: c->f64 = xcalloc(n, sizeof *c->f64); break;
    case K_BOOL: c->b = xcalloc(n, 1); break;
    case K_STR: c->s = xcalloc(n, sizeof *c->s); break;
    }
    return c;
}

/* Give every column of d the chunk boundaries start[0..nchunks]. */
static void set_chunks(dataset *d, const size_t *start, size_t nchunks)
{
    for (size_t ci = 0; ci < d->ncols; ci++) {
        column *c = &d->cols[ci];
        c->nchunks = nchunks;
        c->start = xcalloc(nchunks + 1, sizeof *c->start);
        memcpy(c->start, start, (nchunks + 1) * sizeof *start);
        c->max_chunk = 0;
        for (size_t i = 0; i < nchunks; i++)
            if (start[i + 1] - start[i] > c->max_chunk)
                c->max_chunk = start[i + 1] - start[i];
        switch (c->k) {
        case K_I64:
        case K_F64: c->raw_bytes = 8 * (uint64_t)c->n; break;
        case K_BOOL: c->raw_bytes = c->n; break;
        case K_STR:
            c->raw_bytes = 0;
            for (size_t i = 0; i < c->n; i++)
                c->raw_bytes += c->s[i].len;
            break;
        }
    }
}

/* ---- meters: the synthetic readings ------------------------------------------ */

/* Interned short strings (city, zone and status names): a few dozen. */
typedef struct names {
    char **v;
    uint32_t *len;
    size_t n, cap;
} names;

static uint32_t names_get(names *t, const char *p, size_t len)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->len[i] == len && !memcmp(t->v[i], p, len))
            return (uint32_t)i;
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 16;
        t->v = xrealloc(t->v, t->cap * sizeof *t->v);
        t->len = xrealloc(t->len, t->cap * sizeof *t->len);
    }
    t->v[t->n] = xcalloc(len + 1, 1);
    memcpy(t->v[t->n], p, len);
    t->len[t->n] = (uint32_t)len;
    return (uint32_t)t->n++;
}

/* Series (city, zone, meter_id) -> dense id, open addressing on a 64-bit key. */
typedef struct series_map {
    uint64_t *keys; /* key + 1; 0 = empty */
    uint32_t *ids;
    size_t cap; /* power of two */
    size_t n;
    uint64_t *by_id; /* key of each id */
} series_map;

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdu;
    x ^= x >> 33;
    return x;
}

static uint32_t series_get(series_map *m, uint64_t key)
{
    if (2 * (m->n + 1) > m->cap) {
        size_t ncap = m->cap ? 2 * m->cap : 1024;
        uint64_t *nk = xcalloc(ncap, sizeof *nk);
        uint32_t *ni = xcalloc(ncap, sizeof *ni);
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->keys[i])
                continue;
            size_t h = mix64(m->keys[i] - 1) & (ncap - 1);
            while (nk[h])
                h = (h + 1) & (ncap - 1);
            nk[h] = m->keys[i];
            ni[h] = m->ids[i];
        }
        free(m->keys);
        free(m->ids);
        m->keys = nk;
        m->ids = ni;
        m->cap = ncap;
        m->by_id = xrealloc(m->by_id, ncap * sizeof *m->by_id);
    }
    size_t h = mix64(key) & (m->cap - 1);
    while (m->keys[h]) {
        if (m->keys[h] == key + 1)
            return m->ids[h];
        h = (h + 1) & (m->cap - 1);
    }
    m->keys[h] = key + 1;
    m->ids[h] = (uint32_t)m->n;
    m->by_id[m->n] = key;
    return (uint32_t)m->n++;
}

#define SERIES_KEY(city, zone, meter) (((uint64_t)(city) << 48) | ((uint64_t)(zone) << 32) | (meter))
#define KEY_CITY(k) ((uint32_t)((k) >> 48))
#define KEY_ZONE(k) ((uint32_t)(((k) >> 32) & 0xffff))
#define KEY_METER(k) ((uint32_t)(k))

/* For qsort of series ids by (city name, zone name, meter_id). */
static const names *g_cities, *g_zones;
static const uint64_t *g_series_keys;
static int cmp_series(const void *a, const void *b)
{
    uint64_t ka = g_series_keys[*(const uint32_t *)a], kb = g_series_keys[*(const uint32_t *)b];
    int r = strcmp(g_cities->v[KEY_CITY(ka)], g_cities->v[KEY_CITY(kb)]);
    if (!r)
        r = strcmp(g_zones->v[KEY_ZONE(ka)], g_zones->v[KEY_ZONE(kb)]);
    if (!r)
        r = KEY_METER(ka) < KEY_METER(kb) ? -1 : KEY_METER(ka) > KEY_METER(kb);
    return r;
}

/* For qsort of one series' rows by ts (then input order). */
static const int64_t *g_row_ts;
static int cmp_row_ts(const void *a, const void *b)
{
    uint32_t ra = *(const uint32_t *)a, rb = *(const uint32_t *)b;
    if (g_row_ts[ra] != g_row_ts[rb])
        return g_row_ts[ra] < g_row_ts[rb] ? -1 : 1;
    return ra < rb ? -1 : ra > rb;
}

static const char *const meters_cols[] = {"ts", "meter_id", "kwh", "voltage", "status", "fault", "city", NULL};

static int load_meters(dataset *d)
{
    static const char *const want[] = {"ts", "city", "zone", "meter_id", "kwh", "voltage", "status"};
    const char *path = getenv("OTS_BENCH_DATA");
    names cities = {0}, zones = {0}, statuses = {0};
    series_map sm = {0};
    int64_t *ts = NULL;
    double *kwh = NULL, *volt = NULL;
    uint32_t *series = NULL, *perm = NULL, *rank = NULL, *count = NULL, *order = NULL;
    uint8_t *status = NULL;
    size_t n = 0, cap = 0, idx[7];
    ots_csv *csv = NULL;
    const ots_csv_field *f;
    size_t nf;
    int rc, ret = -1;

    ots_csv_opts opts;
    if (!path || !*path)
        path = DEFAULT_METERS_CSV;
    ots_csv_opts_init(&opts);
    rc = ots_csv_open_path(path, &opts, &csv);
    if (rc != OTS_OK) {
        set_error(d, "%s: cannot open (%s); bench/run.sh makes it with build/bin/gen_meters", path, ots_strerror(rc));
        return -1;
    }
    rc = ots_csv_next(csv, &f, &nf);
    if (rc != 1) {
        set_error(d, "%s: no header (%s)", path, rc < 0 ? ots_csv_error(csv) : "empty file");
        goto out;
    }
    if (map_header(d, path, f, nf, want, 7, idx) < 0)
        goto out;
    while ((rc = ots_csv_next(csv, &f, &nf)) == 1) {
        ots_fmt_err err;
        uint32_t meter;
        if (n == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            ts = xrealloc(ts, cap * sizeof *ts);
            kwh = xrealloc(kwh, cap * sizeof *kwh);
            volt = xrealloc(volt, cap * sizeof *volt);
            series = xrealloc(series, cap * sizeof *series);
            status = xrealloc(status, cap);
        }
        if (nf != 7) {
            set_error(d, "%s:%llu: %zu fields, expected 7", path, (unsigned long long)ots_csv_line(csv), nf);
            goto out;
        }
        if (ots_fmt_ts_parse(f[idx[0]].p, f[idx[0]].len, NULL, &ts[n], &err) != OTS_OK ||
            parse_u32(f[idx[3]].p, f[idx[3]].len, &meter) < 0 ||
            parse_double(f[idx[4]].p, f[idx[4]].len, &kwh[n]) < 0 ||
            parse_double(f[idx[5]].p, f[idx[5]].len, &volt[n]) < 0) {
            set_error(d, "%s:%llu: bad ts, meter_id, kwh or voltage", path, (unsigned long long)ots_csv_line(csv));
            goto out;
        }
        uint32_t ci = names_get(&cities, f[idx[1]].p, f[idx[1]].len);
        uint32_t zi = names_get(&zones, f[idx[2]].p, f[idx[2]].len);
        uint32_t si = names_get(&statuses, f[idx[6]].p, f[idx[6]].len);
        if (ci > 0xffff || zi > 0xffff || si > 0xff) {
            set_error(d, "%s: too many distinct cities, zones or statuses", path);
            goto out;
        }
        series[n] = series_get(&sm, SERIES_KEY(ci, zi, meter));
        status[n] = (uint8_t)si;
        n++;
    }
    if (rc < 0) {
        set_error(d, "%s", ots_csv_error(csv));
        goto out;
    }
    if (n == 0) {
        set_error(d, "%s: no rows", path);
        goto out;
    }

    /* Series in tag order; rows by (series rank, ts): a counting sort on the
     * rank (stable, so arrival order within a series is kept), then each
     * series' run is sorted by ts unless it already is. */
    order = xcalloc(sm.n, sizeof *order);
    rank = xcalloc(sm.n, sizeof *rank);
    for (uint32_t i = 0; i < sm.n; i++)
        order[i] = i;
    g_cities = &cities;
    g_zones = &zones;
    g_series_keys = sm.by_id;
    qsort(order, sm.n, sizeof *order, cmp_series);
    for (uint32_t i = 0; i < sm.n; i++)
        rank[order[i]] = i;
    count = xcalloc(sm.n + 1, sizeof *count);
    for (size_t i = 0; i < n; i++)
        count[rank[series[i]] + 1]++;
    for (size_t r = 0; r < sm.n; r++)
        count[r + 1] += count[r];
    perm = xcalloc(n, sizeof *perm);
    {
        uint32_t *pos = xcalloc(sm.n, sizeof *pos);
        memcpy(pos, count, sm.n * sizeof *pos);
        for (size_t i = 0; i < n; i++)
            perm[pos[rank[series[i]]]++] = (uint32_t)i;
        free(pos);
    }
    g_row_ts = ts;
    for (size_t r = 0; r < sm.n; r++) {
        size_t a = count[r], b = count[r + 1];
        for (size_t i = a + 1; i < b; i++) {
            if (ts[perm[i - 1]] > ts[perm[i]]) {
                qsort(perm + a, b - a, sizeof *perm, cmp_row_ts);
                break;
            }
        }
    }

    /* Columns in sorted order; a chunk is one (city, zone): a partition. */
    {
        column *c_ts = add_column(d, "ts", K_I64, n);
        column *c_meter = add_column(d, "meter_id", K_I64, n);
        column *c_kwh = add_column(d, "kwh", K_F64, n);
        column *c_volt = add_column(d, "voltage", K_F64, n);
        column *c_status = add_column(d, "status", K_STR, n);
        column *c_fault = add_column(d, "fault", K_BOOL, n);
        column *c_city = add_column(d, "city", K_STR, n);
        size_t *start = xcalloc(n + 1, sizeof *start), nchunks = 0;
        uint32_t fault = UINT32_MAX;
        for (size_t s = 0; s < statuses.n; s++)
            if (!strcmp(statuses.v[s], "fault"))
                fault = (uint32_t)s;
        for (size_t i = 0; i < n; i++) {
            uint32_t row = perm[i];
            uint64_t key = sm.by_id[series[row]];
            if (i == 0 || i - start[nchunks - 1] >= CHUNK_ROWS_MAX ||
                (key >> 32) != (sm.by_id[series[perm[i - 1]]] >> 32))
                start[nchunks++] = i;
            c_ts->i64[i] = ts[row];
            c_meter->i64[i] = KEY_METER(key);
            c_kwh->f64[i] = kwh[row];
            c_volt->f64[i] = volt[row];
            c_status->s[i].p = statuses.v[status[row]];
            c_status->s[i].len = statuses.len[status[row]];
            c_fault->b[i] = status[row] == fault;
            c_city->s[i].p = cities.v[KEY_CITY(key)];
            c_city->s[i].len = cities.len[KEY_CITY(key)];
        }
        start[nchunks] = n;
        set_chunks(d, start, nchunks);
        free(start);
    }
    ret = 0;
    /* the interned city and status names stay: the string columns point at them */
    cities.n = 0;
    statuses.n = 0;
out:
    ots_csv_close(csv);
    for (size_t i = 0; i < cities.n; i++)
        free(cities.v[i]);
    for (size_t i = 0; i < zones.n; i++)
        free(zones.v[i]);
    for (size_t i = 0; i < statuses.n; i++)
        free(statuses.v[i]);
    free(cities.v);
    free(cities.len);
    free(zones.v);
    free(zones.len);
    free(statuses.v);
    free(statuses.len);
    free(ts);
    free(kwh);
    free(volt);
    free(series);
    free(status);
    free(perm);
    free(rank);
    free(count);
    free(order);
    free(sm.keys);
    free(sm.ids);
    free(sm.by_id);
    return ret;
}

/* ---- real data files ------------------------------------------------------------ */

/* A small CSV read whole: the wanted columns' fields as offsets into text. */
typedef struct table {
    size_t nrows, ncols;
    size_t *off;   /* nrows * ncols field offsets into text (NUL-terminated) */
    uint32_t *len; /* their lengths */
    char *text;
    size_t text_len, text_cap;
} table;

static const char *cell(const table *t, size_t row, size_t col) { return t->text + t->off[row * t->ncols + col]; }
static uint32_t cell_len(const table *t, size_t row, size_t col) { return t->len[row * t->ncols + col]; }

static int table_read(dataset *d, const char *file, const char *const *want, size_t nwant, table *t)
{
    char buf[512];
    const char *path = data_path(file, buf, sizeof buf);
    ots_csv *csv = NULL;
    const ots_csv_field *f;
    size_t nf, idx[MAX_COLS], cap = 0;
    ots_csv_opts opts;
    int rc;

    memset(t, 0, sizeof *t);
    ots_csv_opts_init(&opts);
    rc = ots_csv_open_path(path, &opts, &csv);
    t->ncols = nwant;
    if (rc != OTS_OK) {
        set_error(d, "%s: cannot open (%s)", path, ots_strerror(rc));
        return -1;
    }
    rc = ots_csv_next(csv, &f, &nf);
    if (rc != 1 || map_header(d, path, f, nf, want, nwant, idx) < 0) {
        if (rc != 1)
            set_error(d, "%s: no header", path);
        ots_csv_close(csv);
        return -1;
    }
    while ((rc = ots_csv_next(csv, &f, &nf)) == 1) {
        if (t->nrows == cap) {
            cap = cap ? 2 * cap : 4096;
            t->off = xrealloc(t->off, cap * nwant * sizeof *t->off);
            t->len = xrealloc(t->len, cap * nwant * sizeof *t->len);
        }
        for (size_t w = 0; w < nwant; w++) {
            size_t i = idx[w];
            const char *p = i < nf ? f[i].p : "";
            size_t len = i < nf ? f[i].len : 0;
            if (t->text_len + len + 1 > t->text_cap) {
                t->text_cap = 2 * (t->text_len + len + 1) + 65536;
                t->text = xrealloc(t->text, t->text_cap);
            }
            memcpy(t->text + t->text_len, p, len);
            t->text[t->text_len + len] = 0;
            t->off[t->nrows * nwant + w] = t->text_len;
            t->len[t->nrows * nwant + w] = (uint32_t)len;
            t->text_len += len + 1;
        }
        t->nrows++;
    }
    if (rc < 0)
        set_error(d, "%s", ots_csv_error(csv));
    ots_csv_close(csv);
    if (rc < 0 || t->nrows == 0) {
        if (rc >= 0)
            set_error(d, "%s: no rows", path);
        free(t->off);
        free(t->len);
        free(t->text);
        return -1;
    }
    return 0;
}

/* Fill column c from table column tc at rows order[0..n) (an empty field is NULL). */
static int fill_column(dataset *d, column *c, const table *t, size_t tc, const uint32_t *order)
{
    for (size_t i = 0; i < c->n; i++) {
        size_t row = order[i];
        const char *p = cell(t, row, tc);
        uint32_t len = cell_len(t, row, tc);
        ots_fmt_err err;
        if (len == 0) {
            if (!c->valid) {
                c->valid = xcalloc(c->n, 1);
                memset(c->valid, 1, c->n);
            }
            c->valid[i] = 0;
            continue;
        }
        switch (c->k) {
        case K_I64:
            if (ots_fmt_ts_parse(p, len, NULL, &c->i64[i], &err) != OTS_OK) {
                set_error(d, "%s: row %zu: bad timestamp '%s': %s", d->name, row + 2, p, err.msg);
                return -1;
            }
            break;
        case K_F64:
            if (parse_double(p, len, &c->f64[i]) < 0) {
                set_error(d, "%s: row %zu: bad number '%s'", d->name, row + 2, p);
                return -1;
            }
            break;
        case K_BOOL: c->b[i] = len == 4 && !memcmp(p, "true", 4); break;
        case K_STR:
            c->s[i].p = p; /* into t->text, which the data set keeps */
            c->s[i].len = len;
            break;
        }
    }
    return 0;
}

static const char *const hourly_cols[] = {"ts", "temperature", "pressure", "wind", NULL};

static int load_hourly(dataset *d)
{
    static const char *const want[] = {"date", "temperature", "pressure", "wind"};
    static const kind kinds[] = {K_I64, K_F64, K_F64, K_F64};
    table t;
    uint32_t *order;
    size_t start[2];
    int ret = 0;

    if (table_read(d, "seattle-weather-hourly-normals.csv", want, 4, &t) < 0)
        return -1;
    order = xcalloc(t.nrows, sizeof *order);
    for (size_t i = 0; i < t.nrows; i++)
        order[i] = (uint32_t)i;
    for (size_t c = 0; c < 4 && ret == 0; c++)
        ret = fill_column(d, add_column(d, hourly_cols[c], kinds[c], t.nrows), &t, c, order);
    start[0] = 0;
    start[1] = t.nrows;
    if (ret == 0)
        set_chunks(d, start, 1);
    free(order);
    free(t.off);
    free(t.len);
    d->text = t.text;
    return ret;
}

static const char *const daily_cols[] = {"precipitation", "temp_max", "wind", "weather", NULL};

static const table *g_daily;
static const int64_t *g_daily_ts;
static int cmp_daily(const void *a, const void *b)
{
    uint32_t ra = *(const uint32_t *)a, rb = *(const uint32_t *)b;
    int r = strcmp(cell(g_daily, ra, 0), cell(g_daily, rb, 0));
    if (!r && g_daily_ts[ra] != g_daily_ts[rb])
        r = g_daily_ts[ra] < g_daily_ts[rb] ? -1 : 1;
    if (!r)
        r = ra < rb ? -1 : ra > rb;
    return r;
}

static int load_daily(dataset *d)
{
    static const char *const want[] = {"location", "date", "precipitation", "temp_max", "wind", "weather"};
    static const kind kinds[] = {K_F64, K_F64, K_F64, K_STR};
    table t;
    uint32_t *order;
    int64_t *ts;
    size_t *start, nchunks = 0;
    int ret = 0;

    if (table_read(d, "weather-seattle-newyork-daily.csv", want, 6, &t) < 0)
        return -1;
    order = xcalloc(t.nrows, sizeof *order);
    ts = xcalloc(t.nrows, sizeof *ts);
    start = xcalloc(t.nrows + 1, sizeof *start);
    for (size_t i = 0; i < t.nrows; i++) {
        ots_fmt_err err;
        order[i] = (uint32_t)i;
        if (ots_fmt_ts_parse(cell(&t, i, 1), cell_len(&t, i, 1), NULL, &ts[i], &err) != OTS_OK) {
            set_error(d, "%s: row %zu: bad date '%s': %s", d->name, i + 2, cell(&t, i, 1), err.msg);
            ret = -1;
            goto out;
        }
    }
    g_daily = &t;
    g_daily_ts = ts;
    qsort(order, t.nrows, sizeof *order, cmp_daily);
    for (size_t i = 0; i < t.nrows; i++)
        if (i == 0 || strcmp(cell(&t, order[i], 0), cell(&t, order[i - 1], 0)))
            start[nchunks++] = i;
    start[nchunks] = t.nrows;
    for (size_t c = 0; c < 4 && ret == 0; c++)
        ret = fill_column(d, add_column(d, daily_cols[c], kinds[c], t.nrows), &t, c + 2, order);
    if (ret == 0)
        set_chunks(d, start, nchunks);
out:
    free(order);
    free(ts);
    free(start);
    free(t.off);
    free(t.len);
    d->text = t.text;
    return ret;
}

static dataset datasets[] = {
    {.name = "meters", .colnames = meters_cols, .load = load_meters},
    {.name = "seattle_hourly", .colnames = hourly_cols, .load = load_hourly},
    {.name = "weather_daily", .colnames = daily_cols, .load = load_daily},
};
#define NDATASETS (sizeof datasets / sizeof datasets[0])

/* The column, loading its data set on first use; NULL with *why set. */
static const column *get_column(dataset *d, const char *name, const char **why)
{
    if (d->state == 0)
        d->state = d->load(d) == 0 ? 1 : -1;
    if (d->state < 0) {
        *why = d->error;
        return NULL;
    }
    for (size_t i = 0; i < d->ncols; i++)
        if (!strcmp(d->cols[i].name, name))
            return &d->cols[i];
    *why = "no such column";
    return NULL;
}

/* ---- encoding and decoding a column -------------------------------------------- */

static const char *const enc_names[] = {"RAW",     "FOR",  "DELTA",  "DOD",   "ALP",
                                        "GORILLA", "DICT", "BITMAP", "CONST", "STRRAW"};

static const char *enc_name(unsigned e) { return e < sizeof enc_names / sizeof enc_names[0] ? enc_names[e] : "?"; }

static size_t chunk_bound(const column *c, size_t i)
{
    size_t a = c->start[i], n = c->start[i + 1] - a, bytes = 0;
    switch (c->k) {
    case K_I64: return ots_fmt_chunk_bound_i64(n);
    case K_F64: return ots_fmt_chunk_bound_f64(n);
    case K_BOOL: return ots_fmt_chunk_bound_bool(n);
    case K_STR:
        for (size_t j = a; j < a + n; j++)
            bytes += c->s[j].len;
        return ots_fmt_chunk_bound_str(n, bytes);
    }
    return 0;
}

static size_t column_bound(const column *c)
{
    size_t total = 0;
    for (size_t i = 0; i < c->nchunks; i++)
        total += chunk_bound(c, i);
    return total;
}

/* Which encodings were chosen: counts per (encoding, inner, zstd). */
typedef struct enc_tally {
    uint32_t count[16][16][2];
} enc_tally;

/* Encode every chunk of c into dst (capacity cap), recording where each
 * starts in off[0..nchunks] (off may be NULL).  Returns the total bytes, or
 * -1 with msg filled. */
static ssize_t encode_column(const column *c, int flags, uint8_t *dst, size_t cap, size_t *off, enc_tally *tally,
                             char *msg, size_t msg_cap)
{
    size_t pos = 0;
    for (size_t i = 0; i < c->nchunks; i++) {
        size_t a = c->start[i], n = c->start[i + 1] - a;
        const uint8_t *valid = c->valid ? c->valid + a : NULL;
        ots_fmt_chunk_stats st;
        ssize_t w = OTS_EINVAL;
        if (off)
            off[i] = pos;
        switch (c->k) {
        case K_I64: w = ots_fmt_chunk_encode_i64(c->i64 + a, valid, n, flags, dst + pos, cap - pos, &st); break;
        case K_F64: w = ots_fmt_chunk_encode_f64(c->f64 + a, valid, n, flags, dst + pos, cap - pos, &st); break;
        case K_BOOL: w = ots_fmt_chunk_encode_bool(c->b + a, valid, n, flags, dst + pos, cap - pos, &st); break;
        case K_STR: w = ots_fmt_chunk_encode_str(c->s + a, valid, n, flags, dst + pos, cap - pos, &st); break;
        }
        if (w < 0) {
            snprintf(msg, msg_cap, "encode of chunk %zu (%zu rows) failed: %s", i, n, ots_strerror((int)w));
            return -1;
        }
        if (tally)
            tally->count[st.encoding & 15][st.inner & 15][st.zstd ? 1 : 0]++;
        pos += (size_t)w;
    }
    if (off)
        off[c->nchunks] = pos;
    return (ssize_t)pos;
}

/* "DOD x200", "ALP/FOR+zstd x180 GORILLA x20", … */
static void tally_label(const enc_tally *t, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = 0;
    for (unsigned e = 0; e < 16; e++)
        for (unsigned in = 0; in < 16; in++)
            for (unsigned z = 0; z < 2; z++) {
                uint32_t k = t->count[e][in][z];
                if (!k || used >= cap)
                    continue;
                int w =
                    snprintf(buf + used, cap - used, "%s%s%s%s%s x%u", used ? " " : "", enc_name(e),
                             e == OTS_ENC_ALP ? "/" : "", e == OTS_ENC_ALP ? enc_name(in) : "", z ? "+zstd" : "", k);
                if (w > 0)
                    used += (size_t)w;
            }
}

/* Scratch buffers kept between runs, so that no benchmark times page faults
 * of fresh memory. */
static struct {
    uint8_t *enc;
    size_t enc_cap;
    int64_t *i64;
    double *f64;
    uint8_t *u8;
    uint32_t *codes;
    uint8_t *valid;
    size_t rows_cap;
} scratch;

static uint8_t *scratch_enc(size_t cap)
{
    if (cap > scratch.enc_cap) {
        free(scratch.enc);
        scratch.enc = xcalloc(cap, 1);
        scratch.enc_cap = cap;
    }
    return scratch.enc;
}

static void scratch_rows(size_t rows)
{
    if (rows <= scratch.rows_cap)
        return;
    free(scratch.i64);
    free(scratch.f64);
    free(scratch.u8);
    free(scratch.codes);
    free(scratch.valid);
    scratch.i64 = xcalloc(rows, sizeof *scratch.i64);
    scratch.f64 = xcalloc(rows, sizeof *scratch.f64);
    scratch.u8 = xcalloc(rows, 1);
    scratch.codes = xcalloc(rows, sizeof *scratch.codes);
    scratch.valid = xcalloc(rows, 1);
    scratch.rows_cap = rows;
}

/* A column encoded once for the decode benchmarks (the last one asked for). */
static struct {
    const column *col;
    int flags;
    uint8_t *buf;
    size_t *off;
    size_t bytes;
    char label[160];
} encoded;

/* Decode chunk i of column c from e; with check, compare with the input.
 * Returns 0, or -1 with msg filled. */
static int decode_chunk(const column *c, const uint8_t *src, size_t len, size_t i, int check, char *msg, size_t msg_cap)
{
    size_t a = c->start[i], n = c->start[i + 1] - a, cap = c->max_chunk;
    ots_fmt_err err = {0, {0}};
    ots_fmt_strdict *dict = NULL;
    ssize_t r = OTS_EINVAL;
    switch (c->k) {
    case K_I64: r = ots_fmt_chunk_decode_i64(src, len, scratch.i64, scratch.valid, cap, &err); break;
    case K_F64: r = ots_fmt_chunk_decode_f64(src, len, scratch.f64, scratch.valid, cap, &err); break;
    case K_BOOL: r = ots_fmt_chunk_decode_bool(src, len, scratch.u8, scratch.valid, cap, &err); break;
    case K_STR: r = ots_fmt_chunk_decode_str(src, len, scratch.codes, scratch.valid, cap, &dict, &err); break;
    }
    if (r < 0) {
        snprintf(msg, msg_cap, "decode of chunk %zu failed: %s at byte %llu: %s", i, ots_strerror((int)r),
                 (unsigned long long)err.offset, err.msg);
        ots_fmt_strdict_free(dict);
        return -1;
    }
    if (check) {
        size_t bad = n;
        if ((size_t)r != n) {
            snprintf(msg, msg_cap, "chunk %zu decoded to %zd rows, encoded %zu", i, r, n);
            ots_fmt_strdict_free(dict);
            return -1;
        }
        for (size_t j = 0; j < n && bad == n; j++) {
            int present = c->valid ? c->valid[a + j] : 1;
            if (scratch.valid[j] != present) {
                bad = j;
                break;
            }
            if (!present)
                continue;
            switch (c->k) {
            case K_I64: bad = scratch.i64[j] == c->i64[a + j] ? n : j; break;
            case K_F64: bad = memcmp(&scratch.f64[j], &c->f64[a + j], 8) ? j : n; break;
            case K_BOOL: bad = scratch.u8[j] == c->b[a + j] ? n : j; break;
            case K_STR:
                if (scratch.codes[j] >= dict->size || dict->lens[scratch.codes[j]] != c->s[a + j].len ||
                    memcmp(dict->dict[scratch.codes[j]], c->s[a + j].p, c->s[a + j].len))
                    bad = j;
                break;
            }
        }
        if (bad != n) {
            snprintf(msg, msg_cap, "chunk %zu row %zu decodes to a different value", i, bad);
            ots_fmt_strdict_free(dict);
            return -1;
        }
    }
    ots_fmt_strdict_free(dict);
    return 0;
}

/* ---- the benchmarks ------------------------------------------------------------ */

typedef struct bench_case {
    dataset *d;
    const char *column;
    int flags;
} bench_case;

static void report(ots_bench_state *st, const column *c, size_t enc_bytes, const char *label)
{
    int64_t it = ots_bench_iterations(st);
    ots_bench_set_items_processed(st, it * (int64_t)c->n);
    ots_bench_set_bytes_processed(st, it * (int64_t)c->raw_bytes);
    ots_bench_counter(st, "bytes_per_value", (double)enc_bytes / (double)c->n, 0);
    ots_bench_counter(st, "chunks", (double)c->nchunks, 0);
    ots_bench_set_label(st, label);
}

static void bm_encode(ots_bench_state *st, void *arg)
{
    const bench_case *bc = arg;
    const char *why;
    char msg[512], label[160];
    const column *c = get_column(bc->d, bc->column, &why);
    enc_tally tally;
    ssize_t bytes = 0;

    if (!c) {
        snprintf(msg, sizeof msg, "%s/%s: %s", bc->d->name, bc->column, why);
        ots_bench_skip_with_error(st, msg);
        return;
    }
    size_t cap = column_bound(c);
    uint8_t *dst = scratch_enc(cap);
    memset(&tally, 0, sizeof tally);
    /* once untimed, for the label and to fail early */
    if (encode_column(c, bc->flags, dst, cap, NULL, &tally, msg, sizeof msg) < 0) {
        ots_bench_skip_with_error(st, msg);
        return;
    }
    while (ots_bench_keep_running(st)) {
        bytes = encode_column(c, bc->flags, dst, cap, NULL, NULL, msg, sizeof msg);
        if (bytes < 0) {
            ots_bench_skip_with_error(st, msg);
            return;
        }
    }
    tally_label(&tally, label, sizeof label);
    report(st, c, (size_t)bytes, label);
}

static void bm_decode(ots_bench_state *st, void *arg)
{
    const bench_case *bc = arg;
    const char *why;
    char msg[512];
    const column *c = get_column(bc->d, bc->column, &why);

    if (!c) {
        snprintf(msg, sizeof msg, "%s/%s: %s", bc->d->name, bc->column, why);
        ots_bench_skip_with_error(st, msg);
        return;
    }
    if (encoded.col != c || encoded.flags != bc->flags) {
        enc_tally tally;
        size_t cap = column_bound(c);
        free(encoded.buf);
        free(encoded.off);
        encoded.col = NULL;
        encoded.buf = xcalloc(cap, 1);
        encoded.off = xcalloc(c->nchunks + 1, sizeof *encoded.off);
        memset(&tally, 0, sizeof tally);
        ssize_t w = encode_column(c, bc->flags, encoded.buf, cap, encoded.off, &tally, msg, sizeof msg);
        if (w < 0) {
            ots_bench_skip_with_error(st, msg);
            return;
        }
        scratch_rows(c->max_chunk);
        for (size_t i = 0; i < c->nchunks; i++)
            if (decode_chunk(c, encoded.buf + encoded.off[i], encoded.off[i + 1] - encoded.off[i], i, 1, msg,
                             sizeof msg) < 0) {
                ots_bench_skip_with_error(st, msg);
                return;
            }
        encoded.col = c;
        encoded.flags = bc->flags;
        encoded.bytes = (size_t)w;
        tally_label(&tally, encoded.label, sizeof encoded.label);
    }
    scratch_rows(c->max_chunk);
    while (ots_bench_keep_running(st)) {
        for (size_t i = 0; i < c->nchunks; i++)
            if (decode_chunk(c, encoded.buf + encoded.off[i], encoded.off[i + 1] - encoded.off[i], i, 0, msg,
                             sizeof msg) < 0) {
                ots_bench_skip_with_error(st, msg);
                return;
            }
    }
    report(st, c, encoded.bytes, encoded.label);
}

static bench_case cases[64];

OTS_BENCH_SUITE(register_codecs)
{
    static const struct {
        const char *name;
        int flags;
    } variants[] = {{"zstd", 0}, {"nozstd", OTS_FMT_NO_ZSTD}};
    size_t nc = 0;

    for (size_t di = 0; di < NDATASETS; di++) {
        dataset *d = &datasets[di];
        for (const char *const *col = d->colnames; *col; col++) {
            for (size_t v = 0; v < 2; v++) {
                if (nc == sizeof cases / sizeof cases[0])
                    return; /* grow cases[] */
                bench_case *bc = &cases[nc++];
                char name[160];
                bc->d = d;
                bc->column = *col;
                bc->flags = variants[v].flags;
                snprintf(name, sizeof name, "codec/encode/%s/%s/%s", d->name, *col, variants[v].name);
                ots_bench_set_unit(ots_bench_register(name, bm_encode, bc), OTS_BENCH_US);
                snprintf(name, sizeof name, "codec/decode/%s/%s/%s", d->name, *col, variants[v].name);
                ots_bench_set_unit(ots_bench_register(name, bm_decode, bc), OTS_BENCH_US);
            }
        }
    }
}
