/*
 * ots_demo — what `make demo` runs until the query shell lands: builds a
 * store from the bundled real data (examples/data/) with the C API and
 * prints what it holds.
 *
 *   ots_demo STORE_DIR
 *
 * Loads the city registry (examples/cities.csv), London's 33 borough
 * polygons as zones, and the daily Seattle / New York weather 2012-2015
 * (each day's row stamped at local midnight in the city's own time zone),
 * checkpoints, then prints partitions, per-column storage and the yearly
 * mean of temp_max per city computed by a scan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/formats.h"
#include "ots.h"

static int die(const char *what, ots_store *s)
{
    fprintf(stderr, "ots_demo: %s: %s\n", what, ots_errmsg(s));
    ots_store_close(s);
    return 1;
}

static int count_part(void *ctx, const ots_partition_info *p)
{
    size_t *n = ctx;
    n[0]++;
    n[1] += p->rows;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: ots_demo STORE_DIR\n");
        return 2;
    }
    ots_store_opts o;
    ots_store_opts_init(&o);
    o.fsync = OTS_FSYNC_OFF; /* a bulk load: the checkpoint makes it durable */
    ots_store *s;
    if (ots_store_open(argv[1], &o, &s) != OTS_OK)
        return die("open", NULL);
    size_t n;
    if (ots_registry_load_cities_csv(s, "examples/cities.csv", &n) != OTS_OK)
        return die("cities", s);
    printf("registry: %zu cities from examples/cities.csv\n", n);
    if (ots_registry_load_zones_geojson(s, "examples/data/london-boroughs.geojson", "london", "id", NULL, &n) != OTS_OK)
        return die("zones", s);
    printf("registry: %zu London borough polygons from examples/data/london-boroughs.geojson\n", n);
    ots_column_def cols[] = {{"ts", OTS_TIMESTAMP},         {"city", OTS_TAG},        {"zone", OTS_TAG},
                             {"precipitation", OTS_DOUBLE}, {"temp_max", OTS_DOUBLE}, {"temp_min", OTS_DOUBLE},
                             {"wind", OTS_DOUBLE},          {"weather", OTS_STRING}};
    ots_option opt = {"rollup", "1d"};
    ots_table_info ti;
    if (ots_table_get(s, "weather", &ti) == OTS_OK && ots_table_drop(s, "weather") != OTS_OK)
        return die("drop", s);
    if (ots_table_create(s, "weather", cols, 8, &opt, 1) != OTS_OK)
        return die("create", s);
    ots_csv *c;
    const char *path = "examples/data/weather-seattle-newyork-daily.csv";
    if (ots_csv_open_path(path, NULL, &c) != OTS_OK)
        return die(path, s);
    enum { CAP = 4096 };
    static int64_t ts[CAP];
    static const char *city[CAP], *zone[CAP], *weather[CAP];
    static double pr[CAP], tmax[CAP], tmin[CAP], wind[CAP];
    static char wbuf[CAP][32];
    const ots_csv_field *f;
    size_t nf, rows = 0;
    ots_fmt_err e;
    ots_tz *tz_sea, *tz_nyc;
    if (ots_fmt_tz_load("America/Los_Angeles", &tz_sea, &e) || ots_fmt_tz_load("America/New_York", &tz_nyc, &e))
        return die("tz", s);
    int rc = ots_csv_next(c, &f, &nf); /* header: location,date,precipitation,temp_max,temp_min,wind,weather */
    while ((rc = ots_csv_next(c, &f, &nf)) == 1 && rows < CAP) {
        if (nf != 7)
            continue;
        int sea = !strcmp(f[0].p, "Seattle");
        city[rows] = sea ? "seattle" : "new_york";
        zone[rows] = "all";
        if (ots_fmt_ts_parse(f[1].p, f[1].len, sea ? tz_sea : tz_nyc, &ts[rows], &e) != OTS_OK) {
            fprintf(stderr, "%s:%llu: %s\n", path, (unsigned long long)ots_csv_line(c), e.msg);
            continue;
        }
        pr[rows] = atof(f[2].p), tmax[rows] = atof(f[3].p), tmin[rows] = atof(f[4].p), wind[rows] = atof(f[5].p);
        snprintf(wbuf[rows], sizeof wbuf[rows], "%s", f[6].p);
        weather[rows] = wbuf[rows];
        rows++;
    }
    ots_csv_close(c);
    ots_vec v[8] = {{ts, NULL},   {city, NULL}, {zone, NULL}, {pr, NULL},
                    {tmax, NULL}, {tmin, NULL}, {wind, NULL}, {weather, NULL}};
    if (ots_append(s, "weather", v, rows) != OTS_OK)
        return die("append", s);
    if (ots_store_checkpoint(s) != OTS_OK)
        return die("checkpoint", s);
    size_t pc[2] = {0, 0};
    ots_partition_foreach(s, "weather", count_part, pc);
    printf("weather: %zu rows from %s -> %zu partitions (city / zone / local day)\n", rows, path, pc[0]);
    ots_column_storage cs[8];
    size_t ncs;
    ots_table_storage(s, "weather", cs, 8, &ncs);
    printf("\n%-14s %10s %10s  %s\n", "column", "bytes", "B/value", "encodings");
    for (size_t i = 0; i < ncs; i++)
        printf("%-14s %10llu %10.3f  %s\n", cs[i].name, (unsigned long long)cs[i].bytes,
               cs[i].values ? (double)cs[i].bytes / (double)cs[i].values : 0.0, cs[i].encodings);
    /* yearly mean temp_max per city, by scanning */
    double sum[2][4] = {{0}}, cnt[2][4] = {{0}};
    ots_scan_spec sp;
    ots_scan_spec_init(&sp, "weather");
    const char *want[] = {"ts", "city", "temp_max"};
    sp.columns = want;
    sp.ncolumns = 3;
    ots_scan *sc;
    if (ots_scan_open(s, &sp, &sc) != OTS_OK)
        return die("scan", s);
    const ots_batch *b;
    while ((rc = ots_scan_next(sc, &b)) == 1) {
        for (size_t i = 0; i < b->nrows; i++) {
            int year = atoi(b->day) - 2012, k = !strcmp(b->cols[1].str[i], "seattle") ? 0 : 1;
            if (year >= 0 && year < 4) {
                sum[k][year] += b->cols[2].f64[i];
                cnt[k][year]++;
            }
        }
    }
    ots_scan_close(sc);
    if (rc < 0)
        return die("scan", s);
    printf("\nmean daily temp_max (C)   2012    2013    2014    2015\n");
    for (int k = 0; k < 2; k++) {
        printf("%-24s", k ? "new_york" : "seattle");
        for (int y = 0; y < 4; y++)
            printf("%8.2f", cnt[k][y] ? sum[k][y] / cnt[k][y] : 0.0);
        printf("\n");
    }
    ots_fmt_tz_free(tz_sea);
    ots_fmt_tz_free(tz_nyc);
    printf("\nstore: %s\n", argv[1]);
    return ots_store_close(s) == OTS_OK ? 0 : 1;
}
