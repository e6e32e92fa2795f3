/*
 * registry.c — loading the city and zone registry from files: cities from a
 * CSV with a header (id, name, tz, lat, lon in any order), zones from a
 * GeoJSON FeatureCollection (one zone per feature, geometry kept verbatim).
 * Both loads are all-or-nothing and name the file, line/column or feature
 * of the first problem.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/storage_int.h"

int ots_catalog_put_cities(struct ots_store *s, const ots_city *cs, size_t n, const char *src);
int ots_catalog_put_zones(struct ots_store *s, const ots_zone *zs, size_t n);

static int parse_coord(const char *p, double lo, double hi, double *out)
{
    if (!*p) {
        *out = NAN;
        return 0;
    }
    char *end;
    errno = 0;
    double v = strtod(p, &end);
    if (errno || *end || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

int ots_registry_load_cities_csv(ots_store *s, const char *path, size_t *loaded)
{
    if (!s || !path)
        return OTS_EINVAL;
    ots_csv *c;
    int rc = ots_csv_open_path(path, NULL, &c);
    if (rc != OTS_OK)
        return ots_set_err(s, rc, "%s: cannot open: %s", path, strerror(errno));
    const ots_csv_field *f;
    size_t nf;
    int col[5] = {-1, -1, -1, -1, -1}; /* id name tz lat lon */
    static const char *names[5] = {"id", "name", "tz", "lat", "lon"};
    ots_city *cities = NULL;
    char **strs = NULL; /* owned copies, 3 per city */
    size_t n = 0, cap = 0;
    size_t ncols_header = 0;
    rc = ots_csv_next(c, &f, &nf);
    if (rc != 1) {
        rc = ots_set_err(s, rc == 0 ? OTS_EINVAL : rc, "%s: %s", path,
                         rc == 0 ? "empty file: expected a header line naming id, name, tz, lat, lon"
                                 : ots_csv_error(c));
        goto out_close;
    }
    ncols_header = nf;
    for (size_t i = 0; i < nf; i++)
        for (int k = 0; k < 5; k++)
            if (!strcmp(f[i].p, names[k]))
                col[k] = (int)i;
    if (col[0] < 0) {
        rc =
            ots_set_err(s, OTS_EINVAL, "%s:1:1: the header has no 'id' column (expected id, name, tz, lat, lon)", path);
        goto out_close;
    }
    for (;;) {
        rc = ots_csv_next(c, &f, &nf);
        if (rc == 0)
            break;
        if (rc < 0) {
            rc = ots_set_err(s, rc, "%s", ots_csv_error(c));
            goto out_free;
        }
        unsigned long long line = (unsigned long long)ots_csv_line(c);
        if (nf != ncols_header) {
            rc = ots_set_err(s, OTS_EINVAL, "%s:%llu:1: expected %zu fields like the header, found %zu", path, line,
                             ncols_header, nf);
            goto out_free;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            ots_city *ncit = ots_realloc(cities, nc * sizeof *ncit);
            if (!ncit) {
                rc = OTS_ENOMEM;
                goto out_free;
            }
            cities = ncit;
            char **ns = ots_realloc(strs, nc * 3 * sizeof *ns);
            if (!ns) {
                rc = OTS_ENOMEM;
                goto out_free;
            }
            strs = ns;
            cap = nc;
        }
        ots_city *ct = &cities[n];
        memset(ct, 0, sizeof *ct);
        strs[n * 3] = strs[n * 3 + 1] = strs[n * 3 + 2] = NULL;
        n++;
        const char *vals[5];
        for (int k = 0; k < 5; k++)
            vals[k] = col[k] >= 0 ? f[col[k]].p : "";
        if (!*vals[0]) {
            rc = ots_set_err(s, OTS_EINVAL, "%s:%llu:%u: empty city id", path, line, f[col[0]].col);
            goto out_free;
        }
        for (size_t q = 0; q + 1 < n; q++)
            if (!strcmp(cities[q].id, vals[0])) {
                rc = ots_set_err(s, OTS_EINVAL, "%s:%llu:%u: city '%s' appears twice", path, line, f[col[0]].col,
                                 vals[0]);
                goto out_free;
            }
        if (parse_coord(vals[3], -90, 90, &ct->lat) != 0) {
            rc = ots_set_err(s, OTS_EINVAL, "%s:%llu:%u: lat '%s': expected a number from -90 to 90", path, line,
                             f[col[3]].col, vals[3]);
            goto out_free;
        }
        if (parse_coord(vals[4], -180, 180, &ct->lon) != 0) {
            rc = ots_set_err(s, OTS_EINVAL, "%s:%llu:%u: lon '%s': expected a number from -180 to 180", path, line,
                             f[col[4]].col, vals[4]);
            goto out_free;
        }
        strs[(n - 1) * 3] = ots_strdup(vals[0]);
        strs[(n - 1) * 3 + 1] = *vals[1] ? ots_strdup(vals[1]) : NULL;
        strs[(n - 1) * 3 + 2] = ots_strdup(vals[2]);
        if (!strs[(n - 1) * 3] || (*vals[1] && !strs[(n - 1) * 3 + 1]) || !strs[(n - 1) * 3 + 2]) {
            rc = OTS_ENOMEM;
            goto out_free;
        }
        ct->id = strs[(n - 1) * 3];
        ct->name = strs[(n - 1) * 3 + 1];
        ct->tz = strs[(n - 1) * 3 + 2];
    }
    rc = ots_catalog_put_cities(s, cities, n, path);
    if (rc == OTS_OK && loaded)
        *loaded = n;
out_free:
    for (size_t i = 0; i < n * 3; i++)
        ots_free(strs[i]);
    ots_free(strs);
    ots_free(cities);
out_close:
    ots_csv_close(c);
    return rc;
}

int ots_registry_load_zones_geojson(ots_store *s, const char *path, const char *cityid, const char *id_prop,
                                    const char *name_prop, size_t *loaded)
{
    if (!s || !path || !cityid || !*cityid || !id_prop)
        return OTS_EINVAL;
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        if (je.line < 0 || strstr(je.text, "unable to open"))
            return ots_set_err(s, OTS_ENOTFOUND, "%s: %s", path, je.text);
        return ots_set_err(s, OTS_EINVAL, "%s:%d:%d: invalid JSON: %s", path, je.line, je.column, je.text);
    }
    int rc = OTS_OK;
    json_t *feats = json_object_get(root, "features");
    const char *type = json_string_value(json_object_get(root, "type"));
    if (!type || strcmp(type, "FeatureCollection") != 0 || !json_is_array(feats)) {
        rc = ots_set_err(s, OTS_EINVAL, "%s: expected a GeoJSON FeatureCollection with a \"features\" array", path);
        goto out_decref;
    }
    size_t n = json_array_size(feats);
    ots_zone *zs = ots_calloc(n ? n : 1, sizeof *zs);
    char **owned = ots_calloc(n ? n * 3 : 1, sizeof *owned);
    if (!zs || !owned) {
        rc = OTS_ENOMEM;
        goto out_free;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *ft = json_array_get(feats, i);
        json_t *props = json_object_get(ft, "properties");
        json_t *idv = json_object_get(props, id_prop);
        char idbuf[64];
        const char *id = NULL;
        if (json_is_string(idv))
            id = json_string_value(idv);
        else if (json_is_integer(idv)) {
            snprintf(idbuf, sizeof idbuf, "%lld", (long long)json_integer_value(idv));
            id = idbuf;
        }
        if (!id || !*id) {
            rc = ots_set_err(s, OTS_EINVAL, "%s: feature %zu: property '%s' (the zone id) is missing or empty", path, i,
                             id_prop);
            goto out_free;
        }
        for (size_t q = 0; q < i; q++)
            if (!strcmp(zs[q].id, id)) {
                rc = ots_set_err(s, OTS_EINVAL, "%s: feature %zu: zone id '%s' appears twice", path, i, id);
                goto out_free;
            }
        json_t *g = json_object_get(ft, "geometry");
        owned[i * 3] = ots_strdup(id);
        const char *nm = name_prop ? json_string_value(json_object_get(props, name_prop)) : NULL;
        owned[i * 3 + 1] = nm ? ots_strdup(nm) : NULL;
        if (g && !json_is_null(g)) {
            char *gs = json_dumps(g, JSON_COMPACT | JSON_REAL_PRECISION(17));
            owned[i * 3 + 2] = gs ? ots_strdup(gs) : NULL;
            free(gs);
            if (!owned[i * 3 + 2]) {
                rc = OTS_ENOMEM;
                goto out_free;
            }
        }
        if (!owned[i * 3] || (nm && !owned[i * 3 + 1])) {
            rc = OTS_ENOMEM;
            goto out_free;
        }
        zs[i].city = cityid;
        zs[i].id = owned[i * 3];
        zs[i].name = owned[i * 3 + 1];
        zs[i].geometry = owned[i * 3 + 2];
    }
    rc = ots_catalog_put_zones(s, zs, n);
    if (rc == OTS_OK && loaded)
        *loaded = n;
out_free:
    if (owned)
        for (size_t i = 0; i < n * 3; i++)
            ots_free(owned[i]);
    ots_free(owned);
    ots_free(zs);
out_decref:
    json_decref(root);
    return rc;
}
