/* test_registry.c — cities and zones, loading from CSV and GeoJSON, local-day
 * partitions on DST days (America/New_York, Europe/London), time-zone change
 * refusal, auto-added cities. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/storage/st.h"

int run_registry_tests(void);

#define NS 1000000000LL
#define HOUR (3600 * NS)

static void cities_from_csv_and_zones_from_geojson(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("reg");
    ots_store *s = st_open(dir, OTS_FSYNC_OFF);
    char csv[4200];
    snprintf(csv, sizeof csv, "%s/cities.csv", dir);
    const char *text = "id,name,tz,lat,lon\n"
                       "nyc,New York,America/New_York,40.7128,-74.0060\n"
                       "london,\"London, UK\",Europe/London,51.5072,-0.1276\n"
                       "raleigh,Raleigh,America/New_York,,\n";
    assert_int_equal(tu_write_file(csv, text, strlen(text)), 0);
    size_t n = 0;
    assert_int_equal(ots_registry_load_cities_csv(s, csv, &n), OTS_OK);
    assert_int_equal(n, 3);
    ots_city c;
    assert_int_equal(ots_city_get(s, "london", &c), OTS_OK);
    assert_string_equal(c.name, "London, UK");
    assert_string_equal(c.tz, "Europe/London");
    assert_true(fabs(c.lat - 51.5072) < 1e-9);
    assert_int_equal(ots_city_get(s, "raleigh", &c), OTS_OK);
    assert_true(isnan(c.lat));
    size_t z = 0;
    assert_int_equal(
        ots_registry_load_zones_geojson(s, tu_data_path("london-boroughs.geojson"), "london", "id", NULL, &z), OTS_OK);
    assert_int_equal(z, 33);
    ots_zone zn;
    assert_int_equal(ots_zone_get(s, "london", "Camden", &zn), OTS_OK);
    assert_non_null(strstr(zn.geometry, "Polygon"));
    ots_store_close(s);
    /* durable */
    s = st_open(dir, OTS_FSYNC_OFF);
    assert_int_equal(ots_city_count(s), 3);
    assert_int_equal(ots_zone_count(s), 33);
    assert_int_equal(ots_zone_get(s, "london", "Westminster", &zn), OTS_OK);
    assert_non_null(strstr(zn.geometry, "coordinates"));
    /* bad files: all or nothing, with file:line:column */
    const char *bad = "id,name,tz,lat,lon\nparis,Paris,Europe/Paris,48.8,2.3\nmars,Mars,Mars/Olympus,0,0\n";
    assert_int_equal(tu_write_file(csv, bad, strlen(bad)), 0);
    assert_int_equal(ots_registry_load_cities_csv(s, csv, NULL), OTS_EINVAL);
    assert_non_null(strstr(ots_errmsg(s), "Mars/Olympus"));
    assert_int_equal(ots_city_get(s, "paris", &c), OTS_ENOTFOUND);
    const char *badlat = "id,lat\nx,91\n";
    assert_int_equal(tu_write_file(csv, badlat, strlen(badlat)), 0);
    assert_int_equal(ots_registry_load_cities_csv(s, csv, NULL), OTS_EINVAL);
    assert_non_null(strstr(ots_errmsg(s), ":2:"));
    assert_int_equal(ots_registry_load_zones_geojson(s, csv, "london", "id", NULL, NULL), OTS_EINVAL);
    assert_int_equal(ots_city_count(s), 3);
    ots_store_close(s);
    tu_rmrf(dir);
    free(dir);
}

/* One row per hour for `hours` hours from t0 for city; returns partitions seen. */
typedef struct dayinfo {
    char day[11];
    uint64_t rows;
    int64_t len_ns;
} dayinfo;
typedef struct days {
    dayinfo d[64];
    size_t n;
} days;

static int collect(void *ctx, const ots_partition_info *pi)
{
    days *ds = ctx;
    dayinfo *d = &ds->d[ds->n++];
    memcpy(d->day, pi->day, 11);
    d->rows = pi->rows;
    d->len_ns = pi->day_end_ns - pi->day_start_ns;
    return 0;
}

static void append_hours(ots_store *s, const char *cityid, int64_t t0, size_t hours)
{
    st_rows r;
    st_rows_init(&r, hours);
    for (size_t i = 0; i < hours; i++) {
        r.ts[i] = t0 + (int64_t)i * HOUR;
        r.city[i] = cityid;
        r.zone[i] = "z1";
        r.meter[i] = "m1";
        r.status[i] = "ok";
        r.seq[i] = (int64_t)i;
    }
    ots_vec v[ST_NCOLS];
    st_vecs(&r, v);
    assert_int_equal(ots_append(s, "meter_readings", v, hours), OTS_OK);
    st_rows_free(&r);
}

static const dayinfo *find_day(const days *ds, const char *d)
{
    for (size_t i = 0; i < ds->n; i++)
        if (!strcmp(ds->d[i].day, d))
            return &ds->d[i];
    return NULL;
}

static void dst_days_new_york_and_london(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("dst");
    ots_store *s = st_open(dir, OTS_FSYNC_OFF);
    st_create_meter(s);
    ots_city nyc = {"nyc", "New York", "America/New_York", 40.7, -74.0};
    ots_city ldn = {"london", "London", "Europe/London", 51.5, -0.1};
    assert_int_equal(ots_city_put(s, &nyc), OTS_OK);
    assert_int_equal(ots_city_put(s, &ldn), OTS_OK);
    /* New York: 2024-03-09 00:00 EST = 05:00Z, 4 days of hours */
    append_hours(s, "nyc", 1709960400LL * NS, 96);
    /* 2024-11-02 00:00 EDT = 04:00Z */
    append_hours(s, "nyc", 1730520000LL * NS, 96);
    /* London: 2024-03-30 00:00 GMT, 2024-10-26 00:00 BST = 2024-10-25T23:00Z */
    append_hours(s, "london", 1711756800LL * NS, 96);
    append_hours(s, "london", 1729897200LL * NS, 96);
    for (int flushed = 0; flushed < 2; flushed++) {
        days ds = {0};
        assert_int_equal(ots_partition_foreach(s, "meter_readings", collect, &ds), OTS_OK);
        const dayinfo *d;
        assert_non_null(d = find_day(&ds, "2024-03-10")); /* nyc spring forward */
        assert_int_equal(d->rows, 23);
        assert_true(d->len_ns == 23 * HOUR);
        assert_non_null(d = find_day(&ds, "2024-03-09"));
        assert_int_equal(d->rows, 24);
        assert_non_null(d = find_day(&ds, "2024-11-03")); /* nyc fall back */
        assert_int_equal(d->rows, 25);
        assert_true(d->len_ns == 25 * HOUR);
        assert_non_null(d = find_day(&ds, "2024-03-31")); /* london spring forward */
        assert_int_equal(d->rows, 23);
        assert_non_null(d = find_day(&ds, "2024-10-27")); /* london fall back */
        assert_int_equal(d->rows, 25);
        assert_true(d->len_ns == 25 * HOUR);
        assert_int_equal(ots_store_checkpoint(s), OTS_OK);
        ots_store_close(s);
        s = st_open(dir, OTS_FSYNC_OFF);
    }
    /* a time-range scan of the New York fall-back day returns its 25 rows */
    ots_scan_spec sp;
    ots_scan_spec_init(&sp, "meter_readings");
    const char *cid = "nyc";
    ots_tag_pred p = {"city", &cid, 1};
    sp.preds = &p;
    sp.npreds = 1;
    sp.ts_min_ns = 1730606400LL * NS; /* 2024-11-03T04:00Z = local midnight EDT */
    sp.ts_max_ns = sp.ts_min_ns + 25 * HOUR;
    assert_int_equal(st_count(s, &sp, NULL), 25);
    ots_store_close(s);
    tu_rmrf(dir);
    free(dir);
}

static void tz_change_with_data_is_refused(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("tzchg");
    ots_store *s = st_open(dir, OTS_FSYNC_OFF);
    st_create_meter(s);
    ots_city c = {"oslo", "Oslo", "Europe/Oslo", NAN, NAN};
    assert_int_equal(ots_city_put(s, &c), OTS_OK);
    c.tz = "UTC"; /* no data yet: allowed */
    assert_int_equal(ots_city_put(s, &c), OTS_OK);
    append_hours(s, "oslo", 1709251200LL * NS, 3);
    c.tz = "Europe/Oslo";
    assert_int_equal(ots_city_put(s, &c), OTS_EBUSY);
    assert_non_null(strstr(ots_errmsg(s), "already has data"));
    ots_city got;
    assert_int_equal(ots_city_get(s, "oslo", &got), OTS_OK);
    assert_string_equal(got.tz, "UTC");
    c.tz = "UTC";
    c.name = "Oslo (renamed)"; /* same zone: fine */
    assert_int_equal(ots_city_put(s, &c), OTS_OK);
    c.tz = "Not/AZone";
    assert_int_equal(ots_city_put(s, &c), OTS_EINVAL);
    /* unknown city: added in UTC with a warning */
    append_hours(s, "reykjavik", 1709251200LL * NS, 2);
    assert_int_equal(ots_city_get(s, "reykjavik", &got), OTS_OK);
    assert_string_equal(got.tz, "UTC");
    ots_store_close(s);
    tu_rmrf(dir);
    free(dir);
}

int run_registry_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cities_from_csv_and_zones_from_geojson),
        cmocka_unit_test(dst_days_new_york_and_london),
        cmocka_unit_test(tz_change_with_data_is_refused),
    };
    return cmocka_run_group_tests_name("storage/registry", tests, NULL, NULL);
}
