/*
 * exec_stmt.c — the statements other than SELECT: CREATE TABLE, DROP
 * TABLE, INSERT … VALUES, CHECKPOINT, LOAD CITIES / ZONES (the registry
 * loaders of storage/) and the listings SHOW TABLES / PARTITIONS / STORAGE
 * / CITIES / ZONES and DESCRIBE, whose rows go to the result table.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "query/query_int.h"

static int oom(ots_query *q) { return ots_q_err(&q->err, OTS_ENOMEM, "out of memory"); }

static int store_err(ots_query *q, int rc) { return ots_q_err(&q->err, rc, "%s", ots_errmsg(q->s)); }

/* result columns from a "name:TYPE" list */
static int columns(ots_query *q, size_t n, const char *const *names, const int *types)
{
    int rc = ots_q_result_init(q, n, n);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        ots_q_set_col(q, i, names[i], types[i]);
    return OTS_OK;
}

static qval vs(ots_query *q, const char *s)
{
    qval v = {.type = OTS_STRING};
    if (!s) {
        v.null = 1;
        return v;
    }
    v.s = ots_q_strndup(&q->res.strs, s, strlen(s));
    if (!v.s)
        v.null = 1, q->res.strs.oom = 1;
    return v;
}

static qval vi(int64_t i) { return (qval){.type = OTS_BIGINT, .i = i}; }

static qval vf(double f)
{
    qval v = {.type = OTS_DOUBLE, .f = f};
    v.null = isnan(f);
    return v;
}

static int row(ots_query *q, const qval *v)
{
    if (ots_q_tab_reserve(&q->res, 1))
        return oom(q);
    for (size_t c = 0; c < q->res.ncols; c++)
        ots_q_tab_put(&q->res, c, q->res.n, &v[c]);
    q->res.n++;
    return q->res.strs.oom ? oom(q) : OTS_OK;
}

static int part_cb(void *ctx, const ots_partition_info *pi)
{
    ots_query *q = ctx;
    qval v[10] = {vs(q, pi->city),        vs(q, pi->zone),       vs(q, pi->day),
                  vi(pi->segments),       vi((int64_t)pi->rows), vi((int64_t)pi->buffered_rows),
                  vi((int64_t)pi->bytes), vi(pi->ts_min_ns),     vi(pi->ts_max_ns)};
    v[7].type = v[8].type = OTS_TIMESTAMP;
    if (pi->rows == 0)
        v[7].null = v[8].null = 1;
    return row(q, v);
}

static int show(ots_query *q, const stmt *st)
{
    int rc;
    ots_table_info ti;
    switch (st->kind) {
    case ST_SHOW_TABLES: {
        static const char *n[] = {"name", "columns", "options"};
        static const int t[] = {OTS_STRING, OTS_BIGINT, OTS_STRING};
        if ((rc = columns(q, 3, n, t)))
            return rc;
        size_t nt = ots_table_count(q->s);
        for (size_t i = 0; i < nt; i++) {
            if ((rc = ots_table_at(q->s, i, &ti)))
                return store_err(q, rc);
            char opts[512];
            size_t k = 0;
            opts[0] = 0;
            for (size_t o = 0; o < ti.noptions && k < sizeof opts; o++)
                k += (size_t)snprintf(opts + k, sizeof opts - k, "%s%s = '%s'", o ? ", " : "", ti.options[o].key,
                                      ti.options[o].value);
            qval v[3] = {vs(q, ti.name), vi((int64_t)ti.ncols), vs(q, opts)};
            if ((rc = row(q, v)))
                return rc;
        }
        return OTS_OK;
    }
    case ST_DESCRIBE: {
        static const char *n[] = {"column", "type"};
        static const int t[] = {OTS_STRING, OTS_STRING};
        if ((rc = ots_table_get(q->s, st->table, &ti)))
            return store_err(q, rc);
        if ((rc = columns(q, 2, n, t)))
            return rc;
        for (size_t i = 0; i < ti.ncols; i++) {
            qval v[2] = {vs(q, ti.cols[i].name), vs(q, ots_type_name(ti.cols[i].type))};
            if ((rc = row(q, v)))
                return rc;
        }
        return OTS_OK;
    }
    case ST_SHOW_PARTITIONS: {
        static const char *n[] = {"city",          "zone",  "day",    "segments", "rows",
                                  "buffered_rows", "bytes", "ts_min", "ts_max"};
        static const int t[] = {OTS_STRING, OTS_STRING, OTS_STRING,    OTS_BIGINT,   OTS_BIGINT,
                                OTS_BIGINT, OTS_BIGINT, OTS_TIMESTAMP, OTS_TIMESTAMP};
        if ((rc = ots_table_get(q->s, st->table, &ti)))
            return store_err(q, rc);
        if ((rc = columns(q, 9, n, t)))
            return rc;
        rc = ots_partition_foreach(q->s, st->table, part_cb, q);
        if (rc && !q->err.rc)
            return store_err(q, rc);
        return rc;
    }
    case ST_SHOW_STORAGE: {
        static const char *n[] = {"column", "type", "bytes", "values", "encodings"};
        static const int t[] = {OTS_STRING, OTS_STRING, OTS_BIGINT, OTS_BIGINT, OTS_STRING};
        ots_column_storage cs[64];
        size_t nc = 0;
        if ((rc = ots_table_storage(q->s, st->table, cs, 64, &nc)))
            return store_err(q, rc);
        if ((rc = columns(q, 5, n, t)))
            return rc;
        for (size_t i = 0; i < nc && i < 64; i++) {
            qval v[5] = {vs(q, cs[i].name), vs(q, ots_type_name(cs[i].type)), vi((int64_t)cs[i].bytes),
                         vi((int64_t)cs[i].values), vs(q, cs[i].encodings)};
            if ((rc = row(q, v)))
                return rc;
        }
        return OTS_OK;
    }
    case ST_SHOW_CITIES: {
        static const char *n[] = {"id", "name", "tz", "lat", "lon"};
        static const int t[] = {OTS_STRING, OTS_STRING, OTS_STRING, OTS_DOUBLE, OTS_DOUBLE};
        if ((rc = columns(q, 5, n, t)))
            return rc;
        size_t nc = ots_city_count(q->s);
        for (size_t i = 0; i < nc; i++) {
            ots_city c;
            if ((rc = ots_city_at(q->s, i, &c)))
                return store_err(q, rc);
            qval v[5] = {vs(q, c.id), vs(q, c.name), vs(q, c.tz && *c.tz ? c.tz : "UTC"), vf(c.lat), vf(c.lon)};
            if ((rc = row(q, v)))
                return rc;
        }
        return OTS_OK;
    }
    default: {
        static const char *n[] = {"city", "id", "name", "has_geometry"};
        static const int t[] = {OTS_STRING, OTS_STRING, OTS_STRING, OTS_BOOLEAN};
        if ((rc = columns(q, 4, n, t)))
            return rc;
        size_t nz = ots_zone_count(q->s);
        for (size_t i = 0; i < nz; i++) {
            ots_zone z;
            if ((rc = ots_zone_at(q->s, i, &z)))
                return store_err(q, rc);
            qval v[4] = {vs(q, z.city), vs(q, z.id), vs(q, z.name), {.type = OTS_BOOLEAN, .i = z.geometry != NULL}};
            if ((rc = row(q, v)))
                return rc;
        }
        return OTS_OK;
    }
    }
}

/* ---- INSERT ------------------------------------------------------------------------------ */
static int insert(ots_query *q, const stmt *st)
{
    ots_table_info ti;
    int rc = ots_q_table_get(q, st->table, &ti);
    if (rc)
        return rc == OTS_ENOMEM ? oom(q) : store_err(q, rc);
    size_t nc = ti.ncols, nr = st->nrows;
    int map[64]; /* insert position -> schema column */
    size_t nin = st->icols ? st->nicols : nc;
    for (size_t i = 0; i < nin && i < 64; i++) {
        map[i] = (int)i;
        if (!st->icols)
            continue;
        map[i] = -1;
        for (size_t c = 0; c < nc; c++)
            if (!strcmp(ti.cols[c].name, st->icols[i]))
                map[i] = (int)c;
        if (map[i] < 0)
            return ots_q_err_at(&q->err, st->icol_line[i], st->icol_col[i], "no column '%s' in table '%s'",
                                st->icols[i], ti.name);
        for (size_t j = 0; j < i; j++)
            if (map[j] == map[i])
                return ots_q_err_at(&q->err, st->icol_line[i], st->icol_col[i], "column '%s' given twice",
                                    st->icols[i]);
    }
    if (nin > 64)
        return ots_q_err(&q->err, OTS_EINVAL, "too many columns");
    ots_vec vec[64];
    for (size_t c = 0; c < nc; c++) {
        void *d = ots_q_alloc(&q->a, nr * 8 + 8);
        uint8_t *valid = ots_q_alloc(&q->a, nr + 1);
        if (!d || !valid)
            return oom(q);
        vec[c].data = d;
        vec[c].valid = valid; /* zero: NULL unless given */
    }
    for (size_t r = 0; r < nr; r++) {
        if (st->rowlen[r] != nin) {
            const expr *e = st->rows[r][0];
            return ots_q_err_at(&q->err, e->line, e->col, "row %zu has %zu values, expected %zu", r + 1, st->rowlen[r],
                                nin);
        }
        for (size_t i = 0; i < nin; i++) {
            expr *e = st->rows[r][i];
            int c = map[i];
            ots_type ct = ti.cols[c].type;
            qval v;
            if (e->kind != E_LIT && e->kind != E_FUNC && e->kind != E_BIN && e->kind != E_NEG && e->kind != E_CASE)
                return ots_q_err_at(&q->err, e->line, e->col, "VALUES must be constants");
            /* type the constant with an empty plan (no table: columns are errors) */
            splan p;
            memset(&p, 0, sizeof p);
            select_stmt sel;
            memset(&sel, 0, sizeof sel);
            sel_item it = {e, "v"};
            sel.items = &it;
            sel.nitems = 1;
            if ((rc = ots_q_plan_select(q, &sel, &p)))
                return rc;
            if ((rc = ots_q_eval_const(p.outs[0], &q->a, q->now_ns, &q->err, &v)))
                return rc;
            uint8_t *valid = (uint8_t *)vec[c].valid;
            if (v.null || v.type == QT_NULL)
                continue;
            valid[r] = 1;
            int ok = 1;
            switch (ct) {
            case OTS_TIMESTAMP:
                if (v.type == OTS_STRING) {
                    ots_fmt_err fe;
                    memset(&fe, 0, sizeof fe);
                    if (ots_fmt_ts_parse(v.s, strlen(v.s), NULL, &v.i, &fe))
                        return ots_q_err_at(&q->err, e->line, e->col, "bad timestamp '%s' for column '%s': %s", v.s,
                                            ti.cols[c].name, fe.msg);
                } else if (v.type != OTS_TIMESTAMP && v.type != OTS_BIGINT) {
                    ok = 0;
                }
                ((int64_t *)(void *)vec[c].data)[r] = v.i;
                break;
            case OTS_BIGINT:
                ok = v.type == OTS_BIGINT;
                ((int64_t *)(void *)vec[c].data)[r] = v.i;
                break;
            case OTS_DOUBLE:
                ok = v.type == OTS_DOUBLE || v.type == OTS_BIGINT;
                ((double *)(void *)vec[c].data)[r] = v.type == OTS_DOUBLE ? v.f : (double)v.i;
                break;
            case OTS_BOOLEAN:
                ok = v.type == OTS_BOOLEAN;
                ((uint8_t *)(void *)vec[c].data)[r] = (uint8_t)(v.i != 0);
                break;
            default:
                ok = v.type == OTS_STRING;
                ((const char **)(void *)vec[c].data)[r] = v.s;
                break;
            }
            if (!ok)
                return ots_q_err_at(&q->err, e->line, e->col, "value for column '%s' is %s, expected %s",
                                    ti.cols[c].name, ots_q_type_name(v.type), ots_type_name(ct));
        }
    }
    /* NULL strings still need a pointer; the store ignores it */
    for (size_t c = 0; c < nc; c++)
        if (ti.cols[c].type == OTS_TAG || ti.cols[c].type == OTS_STRING)
            for (size_t r = 0; r < nr; r++)
                if (!vec[c].valid[r])
                    ((const char **)(void *)vec[c].data)[r] = "";
    for (size_t c = 0; c < nc; c++) {
        if (ti.cols[c].type == OTS_TIMESTAMP || ti.cols[c].type == OTS_TAG) {
            for (size_t r = 0; r < nr; r++)
                if (!vec[c].valid[r])
                    return ots_q_err(&q->err, OTS_EINVAL, "row %zu, column '%s': NULL in a %s column", r + 1,
                                     ti.cols[c].name, ots_type_name(ti.cols[c].type));
            vec[c].valid = NULL;
        }
    }
    if ((rc = ots_append(q->s, ti.name, vec, nr)))
        return store_err(q, rc);
    snprintf(q->status, sizeof q->status, "INSERT %zu", nr);
    return OTS_OK;
}

int ots_q_exec_stmt(ots_query *q, const stmt *st)
{
    int rc;
    size_t n = 0;
    switch (st->kind) {
    case ST_CREATE:
        if ((rc = ots_table_create(q->s, st->table, st->cols, st->ncols, st->opts, st->nopts)))
            return store_err(q, rc);
        snprintf(q->status, sizeof q->status, "CREATE TABLE");
        return OTS_OK;
    case ST_DROP:
        rc = ots_table_drop(q->s, st->table);
        if (rc == OTS_ENOTFOUND && st->if_exists)
            rc = OTS_OK;
        if (rc)
            return store_err(q, rc);
        snprintf(q->status, sizeof q->status, "DROP TABLE");
        return OTS_OK;
    case ST_CHECKPOINT:
        if ((rc = ots_store_checkpoint(q->s)))
            return store_err(q, rc);
        snprintf(q->status, sizeof q->status, "CHECKPOINT");
        return OTS_OK;
    case ST_LOAD_CITIES:
        if ((rc = ots_registry_load_cities_csv(q->s, st->path, &n)))
            return store_err(q, rc);
        snprintf(q->status, sizeof q->status, "LOAD CITIES %zu", n);
        return OTS_OK;
    case ST_LOAD_ZONES:
        if ((rc = ots_registry_load_zones_geojson(q->s, st->path, st->city, st->id_prop, st->name_prop, &n)))
            return store_err(q, rc);
        snprintf(q->status, sizeof q->status, "LOAD ZONES %zu", n);
        return OTS_OK;
    case ST_INSERT: return insert(q, st);
    case ST_COPY: return ots_q_exec_copy(q, st);
    default:
        if ((rc = show(q, st)))
            return rc;
        snprintf(q->status, sizeof q->status, "%s %zu", st->kind == ST_DESCRIBE ? "DESCRIBE" : "SHOW", q->res.n);
        return OTS_OK;
    }
}
