/*
 * catalog.c — table schemas, the city/zone registry and table policies,
 * kept in <store>/catalog/CATALOG and replaced atomically (tmp + fsync +
 * rename + directory fsync) at every change.  Spec: docs/formats/catalog.md.
 *
 * The file is a one-line envelope "OTSCAT <format> <generation> <len> <xxh3>"
 * followed by a JSON body of <len> bytes whose XXH3-64 is <xxh3>.  Any
 * mismatch is OTS_ECORRUPT naming the file and byte offset.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/storage_int.h"

#define CATALOG_FORMAT 1

void ots_catalog_init(catalog *c)
{
    memset(c, 0, sizeof *c);
    c->next_table_id = 1;
}

void ots_tbl_free(tbl *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->cols && i < t->ncols; i++)
        ots_free((char *)t->cols[i].name);
    for (size_t i = 0; t->opts && i < t->nopts; i++) {
        ots_free((char *)t->opts[i].key);
        ots_free((char *)t->opts[i].value);
    }
    ots_free(t->cols);
    ots_free(t->opts);
    ots_free(t->name);
    ots_free(t);
}

static void city_free(city *c)
{
    if (!c)
        return;
    ots_free(c->id), ots_free(c->name), ots_free(c->tz_name);
    ots_fmt_tz_free(c->tz);
    ots_free(c);
}

static void zone_free(zone *z)
{
    if (!z)
        return;
    ots_free(z->city), ots_free(z->id), ots_free(z->name), ots_free(z->geometry);
    ots_free(z);
}

void ots_catalog_fini(catalog *c)
{
    for (size_t i = 0; i < c->ntables; i++)
        ots_tbl_free(c->tables[i]);
    for (size_t i = 0; i < c->ncities; i++)
        city_free(c->cities[i]);
    for (size_t i = 0; i < c->nzones; i++)
        zone_free(c->zones[i]);
    ots_free(c->tables), ots_free(c->cities), ots_free(c->zones);
    memset(c, 0, sizeof *c);
}

static int valid_name(const char *n)
{
    size_t l = strlen(n);
    if (l == 0 || l > OTS_NAME_MAX)
        return 0;
    if (!((n[0] >= 'a' && n[0] <= 'z') || n[0] == '_'))
        return 0;
    for (size_t i = 1; i < l; i++)
        if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') || n[i] == '_'))
            return 0;
    return 1;
}

/* Validate a schema and derive the column roles.  msg gets the reason. */
static int tbl_check(tbl *t, char *msg, size_t cap)
{
    if (!valid_name(t->name)) {
        snprintf(msg, cap, "table name '%s' must match [a-z_][a-z0-9_]* (at most 63 bytes)", t->name);
        return OTS_EINVAL;
    }
    if (t->ncols < 3 || t->ncols > OTS_MAX_COLS) {
        snprintf(msg, cap, "table '%s' has %zu columns; ts, city and zone are required and at most %d are allowed",
                 t->name, t->ncols, OTS_MAX_COLS);
        return OTS_EINVAL;
    }
    t->ts_col = t->city_col = t->zone_col = -1;
    t->ntags = 0;
    for (size_t i = 0; i < t->ncols; i++) {
        const ots_column_def *c = &t->cols[i];
        t->tag_slot[i] = -1;
        if (!valid_name(c->name)) {
            snprintf(msg, cap, "column name '%s' must match [a-z_][a-z0-9_]* (at most 63 bytes)", c->name);
            return OTS_EINVAL;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(t->cols[j].name, c->name)) {
                snprintf(msg, cap, "column '%s' appears twice", c->name);
                return OTS_EINVAL;
            }
        if (c->type < OTS_TIMESTAMP || c->type > OTS_STRING) {
            snprintf(msg, cap, "column '%s' has an unknown type %d", c->name, (int)c->type);
            return OTS_EINVAL;
        }
        if (c->type == OTS_TIMESTAMP) {
            if (strcmp(c->name, "ts") != 0 || t->ts_col >= 0) {
                snprintf(msg, cap, "only one TIMESTAMP column, named ts, is allowed (found '%s')", c->name);
                return OTS_EINVAL;
            }
            t->ts_col = (int)i;
        } else if (!strcmp(c->name, "ts")) {
            snprintf(msg, cap, "column ts must be TIMESTAMP, not %s", ots_type_name(c->type));
            return OTS_EINVAL;
        }
        if (c->type == OTS_TAG) {
            t->tag_slot[i] = t->ntags;
            t->tag_cols[t->ntags++] = (int)i;
            if (!strcmp(c->name, "city"))
                t->city_col = (int)i;
            if (!strcmp(c->name, "zone"))
                t->zone_col = (int)i;
        } else if (!strcmp(c->name, "city") || !strcmp(c->name, "zone")) {
            snprintf(msg, cap, "column %s must be a TAG, not %s", c->name, ots_type_name(c->type));
            return OTS_EINVAL;
        }
    }
    if (t->ts_col < 0 || t->city_col < 0 || t->zone_col < 0) {
        snprintf(msg, cap, "table '%s' needs the columns ts TIMESTAMP, city TAG and zone TAG", t->name);
        return OTS_EINVAL;
    }
    return OTS_OK;
}

int ots_tbl_finish(tbl *t)
{
    char msg[256];
    return tbl_check(t, msg, sizeof msg);
}

tbl *ots_catalog_table(catalog *c, const char *name)
{
    for (size_t i = 0; i < c->ntables; i++)
        if (!strcmp(c->tables[i]->name, name))
            return c->tables[i];
    return NULL;
}

tbl *ots_catalog_table_by_id(catalog *c, uint32_t id)
{
    for (size_t i = 0; i < c->ntables; i++)
        if (c->tables[i]->id == id)
            return c->tables[i];
    return NULL;
}

static ssize_t city_index(const catalog *c, const char *id, int *found)
{
    size_t lo = 0, hi = c->ncities;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int cmp = strcmp(c->cities[mid]->id, id);
        if (cmp == 0) {
            *found = 1;
            return (ssize_t)mid;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return (ssize_t)lo;
}

city *ots_catalog_city(catalog *c, const char *id)
{
    int found;
    ssize_t i = city_index(c, id, &found);
    return found ? c->cities[i] : NULL;
}

static int zone_cmp(const zone *z, const char *cityid, const char *id)
{
    int r = strcmp(z->city, cityid);
    return r ? r : strcmp(z->id, id);
}

static ssize_t zone_index(const catalog *c, const char *cityid, const char *id, int *found)
{
    size_t lo = 0, hi = c->nzones;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int cmp = zone_cmp(c->zones[mid], cityid, id);
        if (cmp == 0) {
            *found = 1;
            return (ssize_t)mid;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return (ssize_t)lo;
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return OTS_OK;
    size_t nc = *cap ? *cap * 2 : 8;
    while (nc < need)
        nc *= 2;
    void *n = ots_realloc(*arr, nc * elem);
    if (!n)
        return OTS_ENOMEM;
    *arr = n;
    *cap = nc;
    return OTS_OK;
}

/* Insert or replace; takes ownership of c. */
static int catalog_put_city(catalog *cat, city *c)
{
    int found;
    ssize_t i = city_index(cat, c->id, &found);
    if (found) {
        city_free(cat->cities[i]);
        cat->cities[i] = c;
        return OTS_OK;
    }
    if (grow((void **)&cat->cities, &cat->cap_cities, cat->ncities + 1, sizeof(city *)))
        return OTS_ENOMEM;
    memmove(&cat->cities[i + 1], &cat->cities[i], (cat->ncities - (size_t)i) * sizeof(city *));
    cat->cities[i] = c;
    cat->ncities++;
    return OTS_OK;
}

static int catalog_put_zone(catalog *cat, zone *z)
{
    int found;
    ssize_t i = zone_index(cat, z->city, z->id, &found);
    if (found) {
        zone_free(cat->zones[i]);
        cat->zones[i] = z;
        return OTS_OK;
    }
    if (grow((void **)&cat->zones, &cat->cap_zones, cat->nzones + 1, sizeof(zone *)))
        return OTS_ENOMEM;
    memmove(&cat->zones[i + 1], &cat->zones[i], (cat->nzones - (size_t)i) * sizeof(zone *));
    cat->zones[i] = z;
    cat->nzones++;
    return OTS_OK;
}

static char *dup_or_null(const char *s) { return s ? ots_strdup(s) : NULL; }

/* Build a city object, loading its zone.  msg gets the reason on failure. */
static int city_make(const ots_city *in, city **out, char *msg, size_t cap)
{
    *out = NULL;
    if (!in->id || !*in->id) {
        snprintf(msg, cap, "a city needs a non-empty id");
        return OTS_EINVAL;
    }
    city *c = ots_calloc(1, sizeof *c);
    if (!c)
        return OTS_ENOMEM;
    c->lat = in->lat;
    c->lon = in->lon;
    c->id = ots_strdup(in->id);
    c->name = dup_or_null(in->name);
    const char *tzn = (in->tz && *in->tz) ? in->tz : "UTC";
    c->tz_name = ots_strdup(tzn);
    if (!c->id || (in->name && !c->name) || !c->tz_name) {
        city_free(c);
        return OTS_ENOMEM;
    }
    ots_fmt_err e = {0};
    int rc = ots_fmt_tz_load(tzn, &c->tz, &e);
    if (rc != OTS_OK) {
        snprintf(msg, cap, "city '%s': time zone '%s': %s%s%s", in->id, tzn,
                 rc == OTS_ENOTFOUND ? "not in the system tz database" : ots_strerror(rc), e.msg[0] ? ": " : "", e.msg);
        city_free(c);
        return rc == OTS_ENOMEM ? rc : OTS_EINVAL;
    }
    *out = c;
    return OTS_OK;
}

/* ---- JSON body ------------------------------------------------------------- */

static const char *type_names[] = {"", "TIMESTAMP", "TAG", "DOUBLE", "BIGINT", "BOOLEAN", "STRING"};

static json_t *catalog_to_json(const catalog *c)
{
    json_t *root = json_object();
    json_object_set_new(root, "format", json_integer(CATALOG_FORMAT));
    json_object_set_new(root, "generation", json_integer((json_int_t)c->generation));
    json_object_set_new(root, "next_table_id", json_integer(c->next_table_id));
    json_t *tables = json_array();
    for (size_t i = 0; i < c->ntables; i++) {
        const tbl *t = c->tables[i];
        json_t *jt = json_object();
        json_object_set_new(jt, "id", json_integer(t->id));
        json_object_set_new(jt, "name", json_string(t->name));
        json_t *cols = json_array();
        for (size_t k = 0; k < t->ncols; k++) {
            json_t *jc = json_object();
            json_object_set_new(jc, "name", json_string(t->cols[k].name));
            json_object_set_new(jc, "type", json_string(type_names[t->cols[k].type]));
            json_array_append_new(cols, jc);
        }
        json_object_set_new(jt, "columns", cols);
        json_t *opts = json_object();
        for (size_t k = 0; k < t->nopts; k++)
            json_object_set_new(opts, t->opts[k].key, json_string(t->opts[k].value));
        json_object_set_new(jt, "options", opts);
        json_array_append_new(tables, jt);
    }
    json_object_set_new(root, "tables", tables);
    json_t *cities = json_array();
    for (size_t i = 0; i < c->ncities; i++) {
        const city *ct = c->cities[i];
        json_t *jc = json_object();
        json_object_set_new(jc, "id", json_string(ct->id));
        json_object_set_new(jc, "name", ct->name ? json_string(ct->name) : json_null());
        json_object_set_new(jc, "tz", json_string(ct->tz_name));
        json_object_set_new(jc, "lat", isnan(ct->lat) ? json_null() : json_real(ct->lat));
        json_object_set_new(jc, "lon", isnan(ct->lon) ? json_null() : json_real(ct->lon));
        json_array_append_new(cities, jc);
    }
    json_object_set_new(root, "cities", cities);
    json_t *zones = json_array();
    for (size_t i = 0; i < c->nzones; i++) {
        const zone *z = c->zones[i];
        json_t *jz = json_object();
        json_object_set_new(jz, "city", json_string(z->city));
        json_object_set_new(jz, "id", json_string(z->id));
        json_object_set_new(jz, "name", z->name ? json_string(z->name) : json_null());
        json_t *g = z->geometry ? json_loads(z->geometry, JSON_DECODE_ANY, NULL) : NULL;
        json_object_set_new(jz, "geometry", g ? g : json_null());
        json_array_append_new(zones, jz);
    }
    json_object_set_new(root, "zones", zones);
    return root;
}

int ots_catalog_save(struct ots_store *s)
{
    catalog *c = &s->cat;
    c->generation++;
    json_t *root = catalog_to_json(c);
    if (!root)
        return ots_set_err(s, OTS_ENOMEM, "catalog: out of memory");
    char *body = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (!body)
        return ots_set_err(s, OTS_ENOMEM, "catalog: out of memory");
    size_t blen = strlen(body);
    char head[128];
    int hl = snprintf(head, sizeof head, "OTSCAT %d %" PRIu64 " %zu %016" PRIx64 "\n", CATALOG_FORMAT, c->generation,
                      blen, ots_fmt_hash64(body, blen));
    size_t total = (size_t)hl + blen + 1;
    char *buf = ots_malloc(total);
    if (!buf) {
        free(body);
        return ots_set_err(s, OTS_ENOMEM, "catalog: out of memory");
    }
    memcpy(buf, head, (size_t)hl);
    memcpy(buf + hl, body, blen);
    buf[total - 1] = '\n';
    free(body);
    char *path = ots_path_join(s->dir, "catalog/CATALOG");
    int rc = path ? ots_write_file_atomic(path, buf, total) : OTS_ENOMEM;
    ots_free(buf);
    if (rc != OTS_OK)
        ots_set_err(s, rc, "%s: cannot write catalog: %s", path ? path : "catalog", strerror(errno));
    ots_free(path);
    return rc;
}

/* ---- load --------------------------------------------------------------------- */

static int corrupt(struct ots_store *s, const char *path, size_t off, const char *what)
{
    return ots_set_err(s, OTS_ECORRUPT, "%s: corrupt catalog at byte %zu: %s", path, off, what);
}

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static double jnum(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static int load_body(struct ots_store *s, const char *path, json_t *root, size_t body_off)
{
    catalog *c = &s->cat;
    char msg[300];
    json_t *fmt = json_object_get(root, "format");
    if (!json_is_integer(fmt) || json_integer_value(fmt) != CATALOG_FORMAT)
        return corrupt(s, path, body_off, "expected \"format\": 1");
    json_t *nt = json_object_get(root, "next_table_id");
    if (!json_is_integer(nt) || json_integer_value(nt) < 1 || json_integer_value(nt) > UINT32_MAX)
        return corrupt(s, path, body_off, "expected a positive \"next_table_id\"");
    c->next_table_id = (uint32_t)json_integer_value(nt);
    json_t *tables = json_object_get(root, "tables");
    json_t *cities = json_object_get(root, "cities");
    json_t *zones = json_object_get(root, "zones");
    if (!json_is_array(tables) || !json_is_array(cities) || !json_is_array(zones))
        return corrupt(s, path, body_off, "expected arrays \"tables\", \"cities\" and \"zones\"");
    size_t i;
    json_t *v;
    json_array_foreach(tables, i, v)
    {
        json_t *id = json_object_get(v, "id");
        const char *name = jstr(v, "name");
        json_t *cols = json_object_get(v, "columns");
        if (!json_is_integer(id) || json_integer_value(id) < 1 || json_integer_value(id) >= c->next_table_id || !name ||
            !json_is_array(cols) || json_array_size(cols) > OTS_MAX_COLS)
            return corrupt(s, path, body_off, "a table entry lacks a valid id, name or columns");
        tbl *t = ots_calloc(1, sizeof *t);
        if (!t)
            return OTS_ENOMEM;
        t->id = (uint32_t)json_integer_value(id);
        t->name = ots_strdup(name);
        t->ncols = json_array_size(cols);
        t->cols = ots_calloc(t->ncols ? t->ncols : 1, sizeof *t->cols);
        json_t *opts = json_object_get(v, "options");
        t->nopts = json_is_object(opts) ? json_object_size(opts) : 0;
        t->opts = ots_calloc(t->nopts ? t->nopts : 1, sizeof *t->opts);
        if (grow((void **)&c->tables, &c->cap_tables, c->ntables + 1, sizeof(tbl *)) || !t->name || !t->cols ||
            !t->opts) {
            ots_tbl_free(t);
            return OTS_ENOMEM;
        }
        c->tables[c->ntables++] = t;
        size_t k;
        json_t *jc;
        json_array_foreach(cols, k, jc)
        {
            const char *cn = jstr(jc, "name"), *ty = jstr(jc, "type");
            int tcode = 0;
            for (int q = 1; q <= 6 && ty; q++)
                if (!strcmp(ty, type_names[q]))
                    tcode = q;
            if (!cn || !tcode)
                return corrupt(s, path, body_off, "a column entry lacks a valid name or type");
            t->cols[k].name = ots_strdup(cn);
            t->cols[k].type = (ots_type)tcode;
            if (!t->cols[k].name)
                return OTS_ENOMEM;
        }
        if (t->nopts) {
            const char *key;
            json_t *val;
            size_t q = 0;
            json_object_foreach(opts, key, val)
            {
                if (!json_is_string(val))
                    return corrupt(s, path, body_off, "a table option is not a string");
                t->opts[q].key = ots_strdup(key);
                t->opts[q].value = ots_strdup(json_string_value(val));
                if (!t->opts[q].key || !t->opts[q].value)
                    return OTS_ENOMEM;
                q++;
            }
        }
        if (tbl_check(t, msg, sizeof msg) != OTS_OK)
            return corrupt(s, path, body_off, msg);
        for (size_t q = 0; q + 1 < c->ntables; q++)
            if (c->tables[q]->id == t->id || !strcmp(c->tables[q]->name, t->name))
                return corrupt(s, path, body_off, "two tables share an id or a name");
    }
    json_array_foreach(cities, i, v)
    {
        ots_city in = {jstr(v, "id"), jstr(v, "name"), jstr(v, "tz"), jnum(v, "lat"), jnum(v, "lon")};
        if (!in.id)
            return corrupt(s, path, body_off, "a city entry lacks an id");
        city *ct;
        int rc = city_make(&in, &ct, msg, sizeof msg);
        if (rc == OTS_ENOMEM)
            return rc;
        if (rc != OTS_OK) {
            /* a zone missing from this machine's tz database: keep the city, in UTC */
            ots_log(s, OTS_LOG_WARN, "%s (using UTC)", msg);
            in.tz = "UTC";
            if ((rc = city_make(&in, &ct, msg, sizeof msg)) != OTS_OK)
                return rc;
            ots_free(ct->tz_name);
            ct->tz_name = ots_strdup(jstr(v, "tz") ? jstr(v, "tz") : "UTC");
        }
        if (catalog_put_city(c, ct) != OTS_OK) {
            city_free(ct);
            return OTS_ENOMEM;
        }
    }
    json_array_foreach(zones, i, v)
    {
        const char *cityid = jstr(v, "city"), *id = jstr(v, "id");
        if (!cityid || !id)
            return corrupt(s, path, body_off, "a zone entry lacks city or id");
        zone *z = ots_calloc(1, sizeof *z);
        if (!z)
            return OTS_ENOMEM;
        z->city = ots_strdup(cityid);
        z->id = ots_strdup(id);
        z->name = dup_or_null(jstr(v, "name"));
        json_t *g = json_object_get(v, "geometry");
        if (g && !json_is_null(g))
            z->geometry = json_dumps(g, JSON_COMPACT | JSON_REAL_PRECISION(17));
        if (z->geometry) { /* jansson allocates with malloc: move to ots_malloc */
            char *cp = ots_strdup(z->geometry);
            free(z->geometry);
            z->geometry = cp;
        }
        if (!z->city || !z->id || catalog_put_zone(c, z) != OTS_OK) {
            zone_free(z);
            return OTS_ENOMEM;
        }
    }
    return OTS_OK;
}

int ots_catalog_load(struct ots_store *s)
{
    char *path = ots_path_join(s->dir, "catalog/CATALOG");
    if (!path)
        return OTS_ENOMEM;
    FILE *f = fopen(path, "rb");
    int rc = OTS_OK;
    if (!f) {
        if (errno == ENOENT) {
            ots_free(path);
            return OTS_ENOTFOUND;
        }
        rc = ots_set_err(s, OTS_EIO, "%s: %s", path, strerror(errno));
        goto out_free_path;
    }
    char head[128];
    if (!fgets(head, sizeof head, f)) {
        rc = corrupt(s, path, 0, "expected the header line \"OTSCAT …\"");
        goto out_close;
    }
    size_t hl = strlen(head);
    int fmt;
    uint64_t gen, sum;
    size_t blen;
    char tail;
    if (hl == 0 || head[hl - 1] != '\n' ||
        sscanf(head, "OTSCAT %d %" SCNu64 " %zu %16" SCNx64 "%c", &fmt, &gen, &blen, &sum, &tail) != 5 ||
        tail != '\n') {
        rc = corrupt(s, path, 0, "expected the header line \"OTSCAT <format> <generation> <length> <xxh3>\"");
        goto out_close;
    }
    if (fmt != CATALOG_FORMAT) {
        rc = ots_set_err(s, OTS_ECORRUPT, "%s: catalog format %d is not supported (this build reads %d)", path, fmt,
                         CATALOG_FORMAT);
        goto out_close;
    }
    if (blen > (256u << 20)) {
        rc = corrupt(s, path, 0, "body length is implausible (over 256 MiB)");
        goto out_close;
    }
    char *body = ots_malloc(blen + 1);
    if (!body) {
        rc = OTS_ENOMEM;
        goto out_close;
    }
    size_t got = fread(body, 1, blen, f);
    if (got != blen) {
        rc = corrupt(s, path, hl + got, "file is truncated (body shorter than its header says)");
        goto out_free_body;
    }
    body[blen] = 0;
    if (fgetc(f) != '\n' || fgetc(f) != EOF) {
        rc = corrupt(s, path, hl + blen, "expected one newline after the body, then the end of the file");
        goto out_free_body;
    }
    if (ots_fmt_hash64(body, blen) != sum) {
        rc = corrupt(s, path, hl, "checksum mismatch");
        goto out_free_body;
    }
    json_error_t je;
    json_t *root = json_loadb(body, blen, 0, &je);
    if (!root) {
        char m[200];
        snprintf(m, sizeof m, "invalid JSON: %s", je.text);
        rc = corrupt(s, path, hl + (size_t)(je.position > 0 ? je.position : 0), m);
        goto out_free_body;
    }
    s->cat.generation = gen;
    rc = load_body(s, path, root, hl);
    json_decref(root);
out_free_body:
    ots_free(body);
out_close:
    fclose(f);
out_free_path:
    ots_free(path);
    return rc;
}

/* ---- public: tables ------------------------------------------------------------ */

static void info_from(const tbl *t, ots_table_info *out)
{
    out->name = t->name;
    out->id = t->id;
    out->ncols = t->ncols;
    out->cols = t->cols;
    out->noptions = t->nopts;
    out->options = t->opts;
}

int ots_table_create(ots_store *s, const char *name, const ots_column_def *cols, size_t ncols,
                     const ots_option *options, size_t noptions)
{
    if (!s || !name || (!cols && ncols))
        return OTS_EINVAL;
    if (s->opts.read_only)
        return ots_set_err(s, OTS_EREADONLY, "store is read-only");
    char msg[300];
    tbl *t = ots_calloc(1, sizeof *t);
    if (!t)
        return OTS_ENOMEM;
    t->name = ots_strdup(name);
    t->ncols = ncols;
    t->cols = ots_calloc(ncols ? ncols : 1, sizeof *t->cols);
    t->nopts = noptions;
    t->opts = ots_calloc(noptions ? noptions : 1, sizeof *t->opts);
    int rc = OTS_ENOMEM;
    if (!t->name || !t->cols || !t->opts)
        goto out_free;
    for (size_t i = 0; i < ncols; i++) {
        t->cols[i].type = cols[i].type;
        if (!cols[i].name || !(t->cols[i].name = ots_strdup(cols[i].name)))
            goto out_free;
    }
    for (size_t i = 0; i < noptions; i++) {
        if (!options[i].key || !options[i].value)
            goto out_bad_opt;
        t->opts[i].key = ots_strdup(options[i].key);
        t->opts[i].value = ots_strdup(options[i].value);
        if (!t->opts[i].key || !t->opts[i].value)
            goto out_free;
    }
    if ((rc = tbl_check(t, msg, sizeof msg)) != OTS_OK) {
        ots_set_err(s, rc, "%s", msg);
        goto out_free;
    }
    pthread_mutex_lock(&s->mu);
    if (ots_catalog_table(&s->cat, name)) {
        pthread_mutex_unlock(&s->mu);
        rc = ots_set_err(s, OTS_EEXIST, "table '%s' already exists", name);
        goto out_free;
    }
    if (grow((void **)&s->cat.tables, &s->cat.cap_tables, s->cat.ntables + 1, sizeof(tbl *))) {
        pthread_mutex_unlock(&s->mu);
        rc = OTS_ENOMEM;
        goto out_free;
    }
    t->id = s->cat.next_table_id++;
    s->cat.tables[s->cat.ntables++] = t;
    rc = ots_catalog_save(s);
    if (rc != OTS_OK) {
        s->cat.ntables--;
        s->cat.next_table_id--;
        pthread_mutex_unlock(&s->mu);
        goto out_free;
    }
    pthread_mutex_unlock(&s->mu);
    return OTS_OK;
out_bad_opt:
    rc = ots_set_err(s, OTS_EINVAL, "table option with an empty key or value");
out_free:
    ots_tbl_free(t);
    return rc;
}

int ots_table_drop(ots_store *s, const char *name)
{
    if (!s || !name)
        return OTS_EINVAL;
    if (s->opts.read_only)
        return ots_set_err(s, OTS_EREADONLY, "store is read-only");
    pthread_mutex_lock(&s->mu);
    tbl *t = ots_catalog_table(&s->cat, name);
    if (!t) {
        pthread_mutex_unlock(&s->mu);
        return ots_set_err(s, OTS_ENOTFOUND, "no table '%s'", name);
    }
    size_t i = 0;
    while (s->cat.tables[i] != t)
        i++;
    memmove(&s->cat.tables[i], &s->cat.tables[i + 1], (s->cat.ntables - i - 1) * sizeof(tbl *));
    s->cat.ntables--;
    int rc = ots_catalog_save(s);
    if (rc != OTS_OK) {
        memmove(&s->cat.tables[i + 1], &s->cat.tables[i], (s->cat.ntables - i) * sizeof(tbl *));
        s->cat.tables[i] = t;
        s->cat.ntables++;
        pthread_mutex_unlock(&s->mu);
        return rc;
    }
    s->drop_gen++;
    /* The catalog no longer names it: its partitions and files go. WAL
     * records of its id are skipped at replay (ids are never reused). */
    for (size_t k = 0; k < s->cap_parts; k++) {
        part *p = s->parts[k];
        if (p && p->table_id == t->id) {
            s->parts[k] = NULL;
            s->nparts--;
            ots_part_free(s, p);
        }
    }
    s->last_part = NULL;
    /* rehash remaining partitions */
    char *esc = ots_path_escape(t->name);
    char rel[512];
    snprintf(rel, sizeof rel, "hot/%s", esc ? esc : t->name);
    ots_free(esc);
    char *dir = ots_path_join(s->dir, rel);
    if (dir)
        ots_rmrf(dir);
    ots_free(dir);
    ots_tbl_free(t);
    extern void ots_parts_rehash(struct ots_store * s);
    ots_parts_rehash(s);
    pthread_mutex_unlock(&s->mu);
    return OTS_OK;
}

int ots_table_get(ots_store *s, const char *name, ots_table_info *out)
{
    pthread_mutex_lock(&s->mu);
    tbl *t = ots_catalog_table(&s->cat, name);
    if (t)
        info_from(t, out);
    pthread_mutex_unlock(&s->mu);
    return t ? OTS_OK : ots_set_err(s, OTS_ENOTFOUND, "no table '%s'", name);
}

size_t ots_table_count(ots_store *s) { return s->cat.ntables; }

int ots_table_at(ots_store *s, size_t i, ots_table_info *out)
{
    if (i >= s->cat.ntables)
        return OTS_ENOTFOUND;
    info_from(s->cat.tables[i], out);
    return OTS_OK;
}

/* ---- public: registry ------------------------------------------------------------- */

static void city_out(const city *c, ots_city *out)
{
    out->id = c->id;
    out->name = c->name;
    out->tz = c->tz_name;
    out->lat = c->lat;
    out->lon = c->lon;
}

static int city_has_data(struct ots_store *s, const char *id)
{
    for (size_t k = 0; k < s->cap_parts; k++)
        if (s->parts[k] && !strcmp(s->parts[k]->city, id))
            return 1;
    return 0;
}

int ots_catalog_put_cities(struct ots_store *s, const ots_city *cs, size_t n, const char *src);

/* One city is a bulk update of one: the same checks (time zone, a zone
 * change refused once the city has data) and the same rollback. */
int ots_city_put(ots_store *s, const ots_city *in)
{
    if (!s || !in)
        return OTS_EINVAL;
    return ots_catalog_put_cities(s, in, 1, "registry");
}

int ots_catalog_add_city_utc(struct ots_store *s, const char *id, city **out)
{
    ots_city in = {id, NULL, "UTC", NAN, NAN};
    char msg[300];
    city *c;
    int rc = city_make(&in, &c, msg, sizeof msg);
    if (rc != OTS_OK)
        return ots_set_err(s, rc, "%s", msg);
    if ((rc = catalog_put_city(&s->cat, c)) != OTS_OK) {
        city_free(c);
        return rc;
    }
    if (!s->opts.read_only && (rc = ots_catalog_save(s)) != OTS_OK)
        return rc;
    ots_log(s, OTS_LOG_WARN, "city '%s' is not in the registry: added with time zone UTC", id);
    *out = c;
    return OTS_OK;
}

int ots_city_get(ots_store *s, const char *id, ots_city *out)
{
    city *c = ots_catalog_city(&s->cat, id);
    if (!c)
        return ots_set_err(s, OTS_ENOTFOUND, "no city '%s' in the registry", id);
    city_out(c, out);
    return OTS_OK;
}

size_t ots_city_count(ots_store *s) { return s->cat.ncities; }

int ots_city_at(ots_store *s, size_t i, ots_city *out)
{
    if (i >= s->cat.ncities)
        return OTS_ENOTFOUND;
    city_out(s->cat.cities[i], out);
    return OTS_OK;
}

static void zone_out(const zone *z, ots_zone *out)
{
    out->city = z->city;
    out->id = z->id;
    out->name = z->name;
    out->geometry = z->geometry;
}

/* Build a zone from the public struct; validates the geometry is JSON. */
static int zone_make(struct ots_store *s, const ots_zone *in, zone **out)
{
    if (!in->city || !*in->city || !in->id || !*in->id)
        return ots_set_err(s, OTS_EINVAL, "a zone needs a city and an id");
    if (in->geometry) {
        json_error_t je;
        json_t *g = json_loads(in->geometry, JSON_DECODE_ANY, &je);
        if (!g || !json_is_object(g) || !json_is_string(json_object_get(g, "type"))) {
            json_decref(g);
            return ots_set_err(s, OTS_EINVAL, "zone '%s/%s': geometry is not a GeoJSON geometry object%s%s", in->city,
                               in->id, g ? "" : ": ", g ? "" : je.text);
        }
        json_decref(g);
    }
    zone *z = ots_calloc(1, sizeof *z);
    if (!z)
        return OTS_ENOMEM;
    z->city = ots_strdup(in->city);
    z->id = ots_strdup(in->id);
    z->name = dup_or_null(in->name);
    z->geometry = dup_or_null(in->geometry);
    if (!z->city || !z->id || (in->name && !z->name) || (in->geometry && !z->geometry)) {
        zone_free(z);
        return OTS_ENOMEM;
    }
    *out = z;
    return OTS_OK;
}

/* Put many zones at once: all or nothing, one catalog write. */
int ots_catalog_put_zones(struct ots_store *s, const ots_zone *zs, size_t n);
int ots_catalog_put_zones(struct ots_store *s, const ots_zone *zs, size_t n)
{
    if (s->opts.read_only)
        return ots_set_err(s, OTS_EREADONLY, "store is read-only");
    zone **made = ots_calloc(n ? n : 1, sizeof *made);
    if (!made)
        return OTS_ENOMEM;
    int rc = OTS_OK;
    for (size_t i = 0; i < n && rc == OTS_OK; i++)
        rc = zone_make(s, &zs[i], &made[i]);
    if (rc != OTS_OK) {
        for (size_t i = 0; i < n; i++)
            zone_free(made[i]);
        ots_free(made);
        return rc;
    }
    pthread_mutex_lock(&s->mu);
    /* snapshot for rollback: the zone array (pointers) and the replaced ones */
    size_t old_n = s->cat.nzones;
    zone **old = ots_malloc((old_n ? old_n : 1) * sizeof *old);
    zone **oldcopies = ots_calloc(old_n ? old_n : 1, sizeof *oldcopies);
    if (!old || !oldcopies) {
        pthread_mutex_unlock(&s->mu);
        ots_free(old), ots_free(oldcopies);
        for (size_t i = 0; i < n; i++)
            zone_free(made[i]);
        ots_free(made);
        return OTS_ENOMEM;
    }
    /* duplicate existing zones so a failed save can restore them */
    for (size_t i = 0; i < old_n && rc == OTS_OK; i++) {
        ots_zone o;
        zone_out(s->cat.zones[i], &o);
        rc = zone_make(s, &o, &oldcopies[i]);
    }
    for (size_t i = 0; i < n && rc == OTS_OK; i++) {
        rc = catalog_put_zone(&s->cat, made[i]);
        if (rc == OTS_OK)
            made[i] = NULL;
    }
    if (rc == OTS_OK)
        rc = ots_catalog_save(s);
    if (rc != OTS_OK) { /* restore */
        for (size_t i = 0; i < s->cat.nzones; i++)
            zone_free(s->cat.zones[i]);
        s->cat.nzones = 0;
        for (size_t i = 0; i < old_n; i++)
            if (oldcopies[i])
                catalog_put_zone(&s->cat, oldcopies[i]);
    } else {
        for (size_t i = 0; i < old_n; i++)
            zone_free(oldcopies[i]);
    }
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < n; i++)
        zone_free(made[i]);
    ots_free(made), ots_free(old), ots_free(oldcopies);
    return rc;
}

int ots_zone_put(ots_store *s, const ots_zone *z)
{
    if (!s || !z)
        return OTS_EINVAL;
    return ots_catalog_put_zones(s, z, 1);
}

int ots_zone_get(ots_store *s, const char *cityid, const char *id, ots_zone *out)
{
    int found;
    ssize_t i = zone_index(&s->cat, cityid, id, &found);
    if (!found)
        return ots_set_err(s, OTS_ENOTFOUND, "no zone '%s' in city '%s'", id, cityid);
    zone_out(s->cat.zones[i], out);
    return OTS_OK;
}

size_t ots_zone_count(ots_store *s) { return s->cat.nzones; }

int ots_zone_at(ots_store *s, size_t i, ots_zone *out)
{
    if (i >= s->cat.nzones)
        return OTS_ENOTFOUND;
    zone_out(s->cat.zones[i], out);
    return OTS_OK;
}

/* Put many cities at once (registry loader, ots_city_put): all or nothing. */
int ots_catalog_put_cities(struct ots_store *s, const ots_city *cs, size_t n, const char *src)
{
    if (s->opts.read_only)
        return ots_set_err(s, OTS_EREADONLY, "store is read-only");
    char msg[300];
    city **made = ots_calloc(n ? n : 1, sizeof *made);
    if (!made)
        return OTS_ENOMEM;
    int rc = OTS_OK;
    for (size_t i = 0; i < n && rc == OTS_OK; i++) {
        rc = city_make(&cs[i], &made[i], msg, sizeof msg);
        if (rc != OTS_OK && rc != OTS_ENOMEM)
            ots_set_err(s, rc, "%s: %s", src, msg);
    }
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < n && rc == OTS_OK; i++) {
        city *old = ots_catalog_city(&s->cat, made[i]->id);
        if (old && strcmp(old->tz_name, made[i]->tz_name) != 0 && city_has_data(s, made[i]->id))
            rc = ots_set_err(s, OTS_EBUSY,
                             "%s: city '%s' already has data partitioned by its local days in %s; "
                             "changing its time zone to %s would move those days",
                             src, made[i]->id, old->tz_name, made[i]->tz_name);
    }
    /* roll back = reload the catalog from disk (it is the durable truth) */
    for (size_t i = 0; i < n && rc == OTS_OK; i++) {
        rc = catalog_put_city(&s->cat, made[i]);
        if (rc == OTS_OK)
            made[i] = NULL;
    }
    if (rc == OTS_OK)
        rc = ots_catalog_save(s);
    if (rc != OTS_OK && rc != OTS_EBUSY && rc != OTS_EINVAL) {
        ots_log(s, OTS_LOG_ERROR, "registry update failed; reloading the catalog from disk");
    }
    if (rc != OTS_OK) {
        /* restore the in-memory registry from the durable catalog */
        catalog fresh;
        catalog saved = s->cat;
        ots_catalog_init(&fresh);
        s->cat = fresh;
        int lrc = ots_catalog_load(s);
        if (lrc == OTS_OK || lrc == OTS_ENOTFOUND) {
            /* keep the table objects (partitions point at them); swap registry only */
            catalog loaded = s->cat;
            s->cat = saved;
            for (size_t i = 0; i < s->cat.ncities; i++)
                city_free(s->cat.cities[i]);
            ots_free(s->cat.cities);
            s->cat.cities = loaded.cities;
            s->cat.ncities = loaded.ncities;
            s->cat.cap_cities = loaded.cap_cities;
            loaded.cities = NULL;
            loaded.ncities = loaded.cap_cities = 0;
            ots_catalog_fini(&loaded);
        } else {
            ots_catalog_fini(&s->cat);
            s->cat = saved;
        }
    }
    s->last_part = NULL;
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < n; i++)
        city_free(made[i]);
    ots_free(made);
    return rc;
}
