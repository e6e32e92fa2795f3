/*
 * exec_select.c — runs a planned SELECT (plan.c) and EXPLAIN.
 *
 * The scan's batches (up to 4096 rows of one partition) are the unit of
 * work: the residual WHERE is evaluated as a vector, surviving rows are
 * compacted, then either the select list is evaluated into the result table
 * or the rows feed a hash aggregation (groups keyed by the serialised
 * GROUP BY values; per group and aggregate a small state).  After the scan
 * the groups become an environment of (keys…, aggregate results…) over
 * which the select list, HAVING and ORDER BY keys are evaluated.  ORDER BY
 * sorts a permutation of the result rows; LIMIT/OFFSET pick the window
 * handed out by ots_query_next.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/query_int.h"

static int is_str(int t) { return t == OTS_STRING || t == OTS_TAG; }
static int oom(ots_query *q) { return ots_q_err(&q->err, OTS_ENOMEM, "out of memory"); }

static int out_type(int t)
{
    if (t == QT_INTERVAL)
        return OTS_BIGINT;
    if (t == QT_NULL || t == OTS_TAG)
        return OTS_STRING;
    return t;
}

/* ---- aggregation state ------------------------------------------------------------- */
typedef struct astate {
    int64_t cnt;
    double sum, mean, m2; /* Welford for stddev */
    int64_t isum;
    qval v; /* min/max/first/last */
    int64_t ts;
    int has;
    double *pv; /* percentile values */
    size_t pn, pcap;
} astate;

typedef struct hset { /* set of byte strings (count DISTINCT, groups) */
    uint32_t *slots;  /* entry index + 1 */
    size_t nslots;
    size_t n, cap;
    uint64_t *hash;
    size_t *off;
    uint32_t *len;
    uint8_t *bytes;
    size_t nbytes, capbytes;
} hset;

static uint64_t hbytes(const uint8_t *p, size_t n) { return ots_fmt_hash64(p, n); }

static void hset_free(hset *h)
{
    ots_free(h->slots), ots_free(h->hash), ots_free(h->off), ots_free(h->len), ots_free(h->bytes);
    memset(h, 0, sizeof *h);
}

/* Find or add key; *idx its entry; returns 1 when added, 0 found, <0 error. */
static int hset_put(hset *h, const uint8_t *k, size_t n, size_t *idx)
{
    if (h->n * 2 >= h->nslots) {
        size_t ns = h->nslots ? h->nslots * 2 : 1024;
        uint32_t *sl = ots_calloc(ns, sizeof *sl);
        if (!sl)
            return OTS_ENOMEM;
        for (size_t i = 0; i < h->n; i++) {
            size_t s = (size_t)h->hash[i] & (ns - 1);
            while (sl[s])
                s = (s + 1) & (ns - 1);
            sl[s] = (uint32_t)i + 1;
        }
        ots_free(h->slots);
        h->slots = sl, h->nslots = ns;
    }
    uint64_t hv = hbytes(k, n);
    size_t s = (size_t)hv & (h->nslots - 1);
    while (h->slots[s]) {
        size_t e = h->slots[s] - 1;
        if (h->hash[e] == hv && h->len[e] == n && !memcmp(h->bytes + h->off[e], k, n)) {
            *idx = e;
            return 0;
        }
        s = (s + 1) & (h->nslots - 1);
    }
    if (h->n == h->cap) {
        size_t nc = h->cap ? h->cap * 2 : 256;
        uint64_t *nh = ots_realloc(h->hash, nc * sizeof *nh);
        if (!nh)
            return OTS_ENOMEM;
        h->hash = nh;
        size_t *no = ots_realloc(h->off, nc * sizeof *no);
        if (!no)
            return OTS_ENOMEM;
        h->off = no;
        uint32_t *nl = ots_realloc(h->len, nc * sizeof *nl);
        if (!nl)
            return OTS_ENOMEM;
        h->len = nl;
        h->cap = nc;
    }
    if (h->nbytes + n > h->capbytes) {
        size_t nc = h->capbytes ? h->capbytes * 2 : 4096;
        while (nc < h->nbytes + n)
            nc *= 2;
        uint8_t *nb = ots_realloc(h->bytes, nc);
        if (!nb)
            return OTS_ENOMEM;
        h->bytes = nb, h->capbytes = nc;
    }
    if (n)
        memcpy(h->bytes + h->nbytes, k, n);
    h->hash[h->n] = hv;
    h->off[h->n] = h->nbytes;
    h->len[h->n] = (uint32_t)n;
    h->nbytes += n;
    h->slots[s] = (uint32_t)h->n + 1;
    *idx = h->n++;
    return 1;
}

/* serialise a value into buf (growable) */
typedef struct kbuf {
    uint8_t *p;
    size_t n, cap;
} kbuf;

static int kput(kbuf *b, const void *d, size_t n)
{
    if (b->n + n > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 256;
        while (nc < b->n + n)
            nc *= 2;
        uint8_t *np = ots_realloc(b->p, nc);
        if (!np)
            return OTS_ENOMEM;
        b->p = np, b->cap = nc;
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
    return OTS_OK;
}

static int kval(kbuf *b, const qval *v)
{
    uint8_t tag = v->null ? 0 : 1;
    int rc = kput(b, &tag, 1);
    if (rc || v->null)
        return rc;
    if (is_str(v->type))
        return kput(b, v->s, strlen(v->s) + 1);
    if (v->type == OTS_DOUBLE) {
        double d = v->f == 0 ? 0 : v->f; /* -0 == 0 */
        return kput(b, &d, sizeof d);
    }
    return kput(b, &v->i, sizeof v->i);
}

typedef struct aggx {
    splan *p;
    hset groups;
    qtab gkeys; /* one row per group */
    astate *st; /* groups * naggs */
    size_t capgroups;
    hset *distinct; /* per aggregate */
    qarena vals;    /* strings of min/max/first/last */
    kbuf kb;
} aggx;

static void aggx_fini(aggx *x)
{
    size_t n = x->capgroups * x->p->naggs;
    for (size_t i = 0; x->st && i < n; i++)
        ots_free(x->st[i].pv);
    ots_free(x->st);
    hset_free(&x->groups);
    ots_q_tab_fini(&x->gkeys);
    for (size_t a = 0; x->distinct && a < x->p->naggs; a++)
        hset_free(&x->distinct[a]);
    ots_free(x->distinct);
    ots_q_arena_free(&x->vals);
    ots_free(x->kb.p);
}

static int grow_states(aggx *x, size_t ngroups)
{
    if (ngroups <= x->capgroups)
        return OTS_OK;
    size_t nc = x->capgroups ? x->capgroups * 2 : 64;
    while (nc < ngroups)
        nc *= 2;
    size_t na = x->p->naggs ? x->p->naggs : 1;
    astate *ns = ots_realloc(x->st, nc * na * sizeof *ns);
    if (!ns)
        return OTS_ENOMEM;
    memset(ns + x->capgroups * na, 0, (nc - x->capgroups) * na * sizeof *ns);
    x->st = ns;
    x->capgroups = nc;
    return OTS_OK;
}

static int keep_val(aggx *x, qval *dst, const qval *v)
{
    *dst = *v;
    if (is_str(v->type) && !v->null) {
        dst->s = ots_q_strndup(&x->vals, v->s, strlen(v->s));
        if (!dst->s)
            return OTS_ENOMEM;
    }
    return OTS_OK;
}

static int update(aggx *x, const expr *ag, size_t a, astate *st, size_t g, const qvec *arg, const qvec *ts, size_t i)
{
    const char *f = ag->name;
    if (!arg) { /* count(*) */
        st->cnt++;
        return OTS_OK;
    }
    qval v = ots_q_vec_get(arg, i);
    if (v.null)
        return OTS_OK;
    if (ag->distinct) {
        x->kb.n = 0;
        uint32_t g32 = (uint32_t)g;
        size_t idx;
        int rc;
        if ((rc = kput(&x->kb, &g32, 4)) || (rc = kval(&x->kb, &v)))
            return rc;
        rc = hset_put(&x->distinct[a], x->kb.p, x->kb.n, &idx);
        if (rc < 0)
            return rc;
        if (rc == 1)
            st->cnt++;
        return OTS_OK;
    }
    double d = v.type == OTS_DOUBLE ? v.f : (double)v.i;
    st->cnt++;
    switch (f[0]) {
    case 'c': return OTS_OK;
    case 's':
        if (f[1] == 'u') {
            st->sum += d;
            st->isum = (int64_t)((uint64_t)st->isum + (uint64_t)v.i);
        } else { /* stddev */
            double delta = d - st->mean;
            st->mean += delta / (double)st->cnt;
            st->m2 += delta * (d - st->mean);
        }
        return OTS_OK;
    case 'a': st->sum += d; return OTS_OK;
    case 'p':
        if (st->pn == st->pcap) {
            size_t nc = st->pcap ? st->pcap * 2 : 16;
            double *np = ots_realloc(st->pv, nc * sizeof *np);
            if (!np)
                return OTS_ENOMEM;
            st->pv = np, st->pcap = nc;
        }
        st->pv[st->pn++] = d;
        return OTS_OK;
    case 'm': {
        int c = st->has ? ots_q_val_cmp(&v, &st->v) : 0;
        if (!st->has || (f[1] == 'i' ? c < 0 : c > 0)) {
            st->has = 1;
            return keep_val(x, &st->v, &v);
        }
        return OTS_OK;
    }
    default: { /* first / last */
        int64_t t = ts->i64[i];
        if (!st->has || (f[0] == 'f' ? t < st->ts : t >= st->ts)) {
            st->has = 1;
            st->ts = t;
            return keep_val(x, &st->v, &v);
        }
        return OTS_OK;
    }
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static qval agg_result(const expr *ag, astate *st)
{
    qval r = {0};
    r.type = ag->type;
    const char *f = ag->name;
    if (f[0] == 'c') {
        r.i = st->cnt;
        return r;
    }
    if (st->cnt == 0) {
        r.null = 1;
        return r;
    }
    if (!strcmp(f, "sum")) {
        if (ag->type == OTS_BIGINT)
            r.i = st->isum;
        else
            r.f = st->sum;
    } else if (!strcmp(f, "avg")) {
        r.f = st->sum / (double)st->cnt;
    } else if (!strcmp(f, "stddev")) {
        if (st->cnt < 2)
            r.null = 1;
        else
            r.f = sqrt(st->m2 / (double)(st->cnt - 1));
    } else if (f[0] == 'p') {
        qsort(st->pv, st->pn, sizeof *st->pv, cmp_double);
        double pos = ag->pct * (double)(st->pn - 1);
        size_t lo = (size_t)floor(pos), hi = (size_t)ceil(pos);
        r.f = st->pv[lo] + (st->pv[hi] - st->pv[lo]) * (pos - (double)lo);
    } else {
        r = st->v;
        r.type = ag->type;
        if (!st->has)
            r.null = 1;
    }
    return r;
}

/* ---- batches ---------------------------------------------------------------------------- */
static void col_to_vec(const ots_column *c, size_t n, qvec *v)
{
    memset(v, 0, sizeof *v);
    v->type = c->type == OTS_TAG ? OTS_STRING : (int)c->type;
    v->n = n;
    v->i64 = (int64_t *)c->i64;
    v->f64 = (double *)c->f64;
    v->b = (uint8_t *)c->b;
    v->str = (const char **)c->str;
    v->valid = (uint8_t *)c->valid;
    if (c->codes && c->str) {
        v->codes = c->codes;
        v->dict_size = c->dict_size;
    }
}

static int gather(qarena *tmp, const qvec *in_, const uint32_t *sel, size_t n, qvec *out)
{
    const qvec src = *in_, *in = &src; /* out may be in_ */
    *out = src;
    out->n = n;
    size_t m = n ? n : 1;
    if (in->valid) {
        out->valid = ots_q_alloc(tmp, m);
        if (!out->valid)
            return OTS_ENOMEM;
        for (size_t i = 0; i < n; i++)
            out->valid[i] = in->valid[sel[i]];
    }
    if (in->i64) {
        if (!(out->i64 = ots_q_alloc(tmp, m * 8)))
            return OTS_ENOMEM;
        for (size_t i = 0; i < n; i++)
            out->i64[i] = in->i64[sel[i]];
    }
    if (in->f64) {
        if (!(out->f64 = ots_q_alloc(tmp, m * 8)))
            return OTS_ENOMEM;
        for (size_t i = 0; i < n; i++)
            out->f64[i] = in->f64[sel[i]];
    }
    if (in->b) {
        if (!(out->b = ots_q_alloc(tmp, m)))
            return OTS_ENOMEM;
        for (size_t i = 0; i < n; i++)
            out->b[i] = in->b[sel[i]];
    }
    if (in->str) {
        if (!(out->str = ots_q_alloc(tmp, m * sizeof(char *))))
            return OTS_ENOMEM;
        for (size_t i = 0; i < n; i++)
            out->str[i] = in->str[sel[i]];
    }
    if (in->codes) {
        uint32_t *c = ots_q_alloc(tmp, m * sizeof *c);
        if (!c)
            return OTS_ENOMEM;
        for (size_t i = 0; i < n; i++)
            c[i] = in->codes[sel[i]];
        out->codes = c;
    }
    return OTS_OK;
}

/* Apply a boolean filter to the env's slots in place (into tmp). */
static int apply_filter(ots_query *q, const expr *filter, qenv *env, qvec *slots, size_t nslots)
{
    qvec m;
    int rc = ots_q_eval(filter, env, &m);
    if (rc)
        return rc;
    uint32_t *sel = ots_q_alloc(env->tmp, (env->n ? env->n : 1) * sizeof *sel);
    if (!sel)
        return oom(q);
    size_t k = 0;
    for (size_t i = 0; i < env->n; i++) {
        qval v = ots_q_vec_get(&m, i);
        if (!v.null && v.type != QT_NULL && v.i)
            sel[k++] = (uint32_t)i;
    }
    if (k == env->n)
        return OTS_OK;
    for (size_t s = 0; s < nslots; s++)
        if (gather(env->tmp, &slots[s], sel, k, &slots[s]))
            return oom(q);
    env->n = k;
    return OTS_OK;
}

static int emit_rows(ots_query *q, const splan *p, const qenv *env)
{
    int rc;
    if (env->n == 0)
        return OTS_OK;
    qvec *vs = ots_q_alloc(env->tmp, p->nouts * sizeof *vs);
    if (!vs)
        return oom(q);
    for (size_t c = 0; c < p->nouts; c++)
        if ((rc = ots_q_eval(p->outs[c], env, &vs[c])))
            return rc;
    if (ots_q_tab_reserve(&q->res, env->n))
        return oom(q);
    for (size_t c = 0; c < p->nouts; c++)
        if (ots_q_tab_put_vec(&q->res, c, &vs[c]))
            return oom(q);
    q->res.n += env->n;
    return OTS_OK;
}

static int agg_batch(aggx *x, qenv *env)
{
    splan *p = x->p;
    ots_query *q = p->q;
    int rc;
    qvec *kv = ots_q_alloc(env->tmp, (p->nkeys + 1) * sizeof *kv);
    qvec *av = ots_q_alloc(env->tmp, (p->naggs + 1) * sizeof *av);
    size_t *gidx = ots_q_alloc(env->tmp, (env->n + 1) * sizeof *gidx);
    if (!kv || !av || !gidx)
        return oom(q);
    for (size_t k = 0; k < p->nkeys; k++)
        if ((rc = ots_q_eval(p->keys[k], env, &kv[k])))
            return rc;
    for (size_t a = 0; a < p->naggs; a++)
        if (p->aggs[a]->na && (rc = ots_q_eval(p->aggs[a]->a[0], env, &av[a])))
            return rc;
    const qvec *ts = p->ts_slot >= 0 ? &env->slots[p->ts_slot] : NULL;
    /* one key with dictionary codes (a tag column): look each code up once per batch */
    size_t *bycode = NULL;
    if (p->nkeys == 1 && kv[0].codes && !kv[0].valid && kv[0].dict_size) {
        bycode = ots_q_alloc(env->tmp, kv[0].dict_size * sizeof *bycode);
        if (!bycode)
            return oom(q);
        memset(bycode, 0xff, kv[0].dict_size * sizeof *bycode);
    }
    for (size_t i = 0; i < env->n; i++) {
        size_t g = 0;
        uint32_t code = bycode ? kv[0].codes[i] : 0;
        if (bycode && code < kv[0].dict_size && bycode[code] != SIZE_MAX) {
            g = bycode[code];
        } else if (p->nkeys) {
            x->kb.n = 0;
            for (size_t k = 0; k < p->nkeys; k++) {
                qval v = ots_q_vec_get(&kv[k], i);
                if ((rc = kval(&x->kb, &v)))
                    return oom(q);
            }
            rc = hset_put(&x->groups, x->kb.p, x->kb.n, &g);
            if (rc < 0)
                return oom(q);
            if (rc == 1) {
                if (grow_states(x, g + 1) || ots_q_tab_reserve(&x->gkeys, 1))
                    return oom(q);
                for (size_t k = 0; k < p->nkeys; k++) {
                    qval v = ots_q_vec_get(&kv[k], i);
                    if (is_str(v.type) && !v.null && !(v.s = ots_q_strndup(&x->gkeys.strs, v.s, strlen(v.s))))
                        return oom(q);
                    if (v.type == QT_NULL)
                        v.null = 1;
                    ots_q_tab_put(&x->gkeys, k, x->gkeys.n, &v);
                }
                x->gkeys.n++;
            }
            if (bycode && code < kv[0].dict_size)
                bycode[code] = g;
        }
        for (size_t a = 0; a < p->naggs; a++) {
            const expr *ag = p->aggs[a];
            if ((rc = update(x, ag, a, &x->st[g * p->naggs + a], g, ag->na ? &av[a] : NULL, ts, i)))
                return oom(q);
        }
    }
    return OTS_OK;
}

/* After the scan: evaluate the outputs over the groups. */
static int agg_finish(aggx *x, qarena *tmp)
{
    splan *p = x->p;
    ots_query *q = p->q;
    size_t ng = p->nkeys ? x->groups.n : 1;
    size_t ns = p->nkeys + p->naggs;
    qvec *slots = ots_q_alloc(tmp, (ns + 1) * sizeof *slots);
    if (!slots)
        return oom(q);
    for (size_t k = 0; k < p->nkeys; k++) {
        qvec *v = &slots[k];
        v->type = x->gkeys.types[k];
        v->n = ng;
        v->i64 = x->gkeys.i64[k];
        v->f64 = x->gkeys.f64[k];
        v->b = x->gkeys.b[k];
        v->str = x->gkeys.str[k];
        v->valid = x->gkeys.valid[k];
    }
    qenv env = {.slots = slots, .nslots = ns, .n = ng, .tmp = tmp, .now_ns = q->now_ns, .err = &q->err};
    for (size_t a = 0; a < p->naggs; a++) {
        const expr *ag = p->aggs[a];
        qvec *v = &slots[p->nkeys + a];
        v->type = ag->type;
        v->n = ng;
        size_t m = ng ? ng : 1;
        v->valid = ots_q_alloc(tmp, m);
        if (ag->type == OTS_DOUBLE)
            v->f64 = ots_q_alloc(tmp, m * 8);
        else if (ag->type == OTS_BOOLEAN)
            v->b = ots_q_alloc(tmp, m);
        else if (is_str(ag->type))
            v->str = ots_q_alloc(tmp, m * sizeof(char *));
        else
            v->i64 = ots_q_alloc(tmp, m * 8);
        if (tmp->oom)
            return oom(q);
        for (size_t g = 0; g < ng; g++) {
            qval r = agg_result(ag, &x->st[g * p->naggs + a]);
            v->valid[g] = !r.null;
            if (r.null)
                continue;
            if (ag->type == OTS_DOUBLE)
                v->f64[g] = r.f;
            else if (ag->type == OTS_BOOLEAN)
                v->b[g] = (uint8_t)r.i;
            else if (is_str(ag->type))
                v->str[g] = r.s;
            else
                v->i64[g] = r.i;
        }
    }
    int rc;
    if (p->having && (rc = apply_filter(q, p->having, &env, slots, ns)))
        return rc;
    return emit_rows(q, p, &env);
}

/* ---- sort ----------------------------------------------------------------------------------- */
typedef struct sortctx {
    const qtab *t;
    const splan *p;
    const select_stmt *sel;
} sortctx;
static _Thread_local const sortctx *g_sort;

static int cmp_rows(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    const sortctx *c = g_sort;
    for (size_t o = 0; o < c->p->nord; o++) {
        size_t col = c->p->ord_col[o];
        const order_item *it = &c->sel->order[o];
        qval x = ots_q_tab_get(c->t, col, a), y = ots_q_tab_get(c->t, col, b);
        int nf = it->nulls_first >= 0 ? it->nulls_first : it->desc;
        int r;
        if (x.null || y.null) {
            if (x.null && y.null)
                continue;
            r = x.null ? (nf ? -1 : 1) : (nf ? 1 : -1);
            return r;
        }
        r = ots_q_val_cmp(&x, &y);
        if (r)
            return it->desc ? -r : r;
    }
    return (a > b) - (a < b);
}

/* ORDER BY … LIMIT: keep only the first k rows in order (they are all a
 * later sort can return), so memory follows LIMIT, not the table. */
static int prune_topn(ots_query *q, const splan *p, const select_stmt *sel, size_t k)
{
    size_t n = q->res.n;
    if (k > n)
        k = n;
    size_t *perm = ots_malloc((n ? n : 1) * sizeof *perm);
    if (!perm)
        return oom(q);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    sortctx c = {&q->res, p, sel};
    g_sort = &c;
    qsort(perm, n, sizeof *perm, cmp_rows);
    g_sort = NULL;
    qtab nt;
    if (ots_q_tab_init(&nt, q->res.ncols, &q->a)) {
        ots_free(perm);
        return oom(q);
    }
    memcpy(nt.types, q->res.types, q->res.ncols * sizeof *nt.types);
    memcpy(nt.names, q->res.names, q->res.ncols * sizeof *nt.names);
    if (ots_q_tab_reserve(&nt, k ? k : 1))
        goto fail;
    for (size_t r = 0; r < k; r++)
        for (size_t col = 0; col < nt.ncols; col++) {
            qval v = ots_q_tab_get(&q->res, col, perm[r]);
            if (!v.null && (v.type == OTS_STRING || v.type == OTS_TAG) &&
                !(v.s = ots_q_strndup(&nt.strs, v.s, strlen(v.s))))
                goto fail;
            ots_q_tab_put(&nt, col, r, &v);
        }
    nt.n = k;
    ots_q_tab_fini(&q->res);
    q->res = nt;
    ots_free(perm);
    return OTS_OK;
fail:
    ots_q_tab_fini(&nt);
    ots_free(perm);
    return oom(q);
}

static int finish(ots_query *q, const splan *p, const select_stmt *sel)
{
    size_t n = q->res.n;
    if (p->nord && n > 1) {
        q->perm = ots_malloc(n * sizeof *q->perm);
        if (!q->perm)
            return oom(q);
        for (size_t i = 0; i < n; i++)
            q->perm[i] = i;
        sortctx c = {&q->res, p, sel};
        g_sort = &c;
        qsort(q->perm, n, sizeof *q->perm, cmp_rows);
        g_sort = NULL;
    }
    size_t off = (uint64_t)p->offset < n ? (size_t)p->offset : n;
    size_t end = n;
    if (p->limit >= 0 && (uint64_t)p->limit < end - off)
        end = off + (size_t)p->limit;
    q->pos = off;
    q->end = end;
    return OTS_OK;
}

/* ---- explain -------------------------------------------------------------------------------- */
static int line(ots_query *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int line(ots_query *q, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (ots_q_tab_reserve(&q->res, 1))
        return oom(q);
    qval v = {.type = OTS_STRING, .s = ots_q_strndup(&q->res.strs, buf, strlen(buf))};
    if (!v.s)
        return oom(q);
    ots_q_tab_put(&q->res, 0, q->res.n++, &v);
    return OTS_OK;
}

static void fmt_ts(int64_t t, char *buf, size_t cap)
{
    if (ots_fmt_ts_format(t, NULL, buf, cap) < 0)
        snprintf(buf, cap, "%lld", (long long)t);
}

static int explain(ots_query *q, const splan *p, const ots_scan_stats *st)
{
    int rc;
    char buf[1024], a[48], b[48];
    if (!p->has_table) {
        if ((rc = line(q, "Result: one row, no table")))
            return rc;
    } else {
        if ((rc = line(q, "Scan %s", p->ti.name)))
            return rc;
        size_t k = 0;
        buf[0] = 0;
        for (size_t i = 0; i < p->nscols; i++)
            k += (size_t)snprintf(buf + k, k < sizeof buf ? sizeof buf - k : 0, "%s%s", i ? ", " : "", p->scols[i]);
        if ((rc = line(q, "  columns: %s", buf)))
            return rc;
        for (size_t i = 0; i < p->npreds; i++) {
            k = 0;
            for (size_t v = 0; v < p->preds[i].nvalues && k < sizeof buf; v++)
                k += (size_t)snprintf(buf + k, sizeof buf - k, "%s'%s'", v ? ", " : "", p->preds[i].values[v]);
            if ((rc = line(q, "  tag filter: %s IN (%s)", p->preds[i].column, buf)))
                return rc;
        }
        if (p->ts_min == INT64_MIN && p->ts_max == INT64_MAX) {
            rc = line(q, "  time range: all");
        } else {
            if (p->ts_min == INT64_MIN)
                snprintf(a, sizeof a, "-inf");
            else
                fmt_ts(p->ts_min, a, sizeof a);
            if (p->ts_max == INT64_MAX)
                snprintf(b, sizeof b, "+inf");
            else
                fmt_ts(p->ts_max, b, sizeof b);
            rc = line(q, "  time range: [%s, %s)", a, b);
        }
        if (rc)
            return rc;
        if (p->filter && (rc = line(q, "  filter: %s", ots_q_expr_text(q, p->filter))))
            return rc;
        if ((rc = line(q, "  partitions: %llu total, %llu pruned", (unsigned long long)st->partitions_total,
                       (unsigned long long)st->partitions_pruned)) ||
            (rc = line(q, "  segments: %llu total, %llu pruned", (unsigned long long)st->segments_total,
                       (unsigned long long)st->segments_pruned)) ||
            (rc = line(q, "  rows: %llu read, %llu returned", (unsigned long long)st->rows_read,
                       (unsigned long long)st->rows_returned)))
            return rc;
    }
    if (p->agg) {
        size_t k = 0;
        buf[0] = 0;
        for (size_t i = 0; i < p->nkeys && k < sizeof buf; i++)
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s", i ? ", " : "", ots_q_expr_text(q, p->keys[i]));
        if ((rc = line(q, "Aggregate: %s%s", p->nkeys ? "group by " : "one group", buf)))
            return rc;
        for (size_t i = 0; i < p->naggs; i++)
            if ((rc = line(q, "  %s", ots_q_expr_text(q, p->aggs[i]))))
                return rc;
        if (p->having && (rc = line(q, "Having: %s", ots_q_expr_text(q, p->sel->having))))
            return rc;
    }
    if (p->nord) {
        size_t k = 0;
        buf[0] = 0;
        for (size_t i = 0; i < p->nord && k < sizeof buf; i++)
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s %s", i ? ", " : "",
                                  ots_q_expr_text(q, p->sel->order[i].e), p->sel->order[i].desc ? "DESC" : "ASC");
        if (!p->agg && p->limit >= 0)
            rc = line(q, "Sort: %s (keeps the first %lld rows while scanning)", buf,
                      (long long)(p->limit + (p->offset < INT64_MAX - p->limit ? p->offset : 0)));
        else
            rc = line(q, "Sort: %s", buf);
        if (rc)
            return rc;
    } else if (!p->agg && p->has_table && (rc = line(q, "Stream: rows handed out per scan batch"))) {
        return rc;
    }
    if (p->limit >= 0 || p->offset)
        rc = line(q, "Limit: %lld offset %lld", (long long)p->limit, (long long)p->offset);
    return rc;
}

/* ---- streaming: SELECT without aggregates or ORDER BY ---------------------------------
 * The scan stays open in the handle; each ots_query_next evaluates the next
 * scan batch (so memory stays one batch, whatever the table's size). */
typedef struct qstream {
    splan p;
    ots_scan *sc; /* NULL once finished */
    qarena tmp;
    uint64_t skip; /* OFFSET rows still to skip */
    int64_t left;  /* LIMIT rows still to give, -1 = no limit */
    uint64_t rows; /* given so far */
} qstream;

static int start_stream(ots_query *q, const splan *p)
{
    qstream *st = ots_calloc(1, sizeof *st);
    if (!st)
        return oom(q);
    st->p = *p;
    st->skip = (uint64_t)p->offset;
    st->left = p->limit;
    q->stream = st;
    snprintf(q->status, sizeof q->status, "SELECT");
    if (p->ts_min >= p->ts_max || p->limit == 0)
        return OTS_OK; /* nothing to read */
    ots_scan_spec spec;
    ots_scan_spec_init(&spec, p->ti.name);
    spec.columns = p->scols;
    spec.ncolumns = p->nscols;
    spec.ts_min_ns = p->ts_min;
    spec.ts_max_ns = p->ts_max;
    spec.preds = p->preds;
    spec.npreds = p->npreds;
    int rc = ots_scan_open(q->s, &spec, &st->sc);
    if (rc)
        return ots_q_err(&q->err, rc, "%s", ots_errmsg(q->s));
    return OTS_OK;
}

void ots_q_stream_close(ots_query *q)
{
    qstream *st = q->stream;
    if (!st)
        return;
    ots_scan_close(st->sc);
    ots_q_arena_free(&st->tmp);
    ots_free(st);
    q->stream = NULL;
}

int ots_q_stream_next(ots_query *q)
{
    qstream *st = q->stream;
    const splan *p = &st->p;
    for (;;) {
        q->res.n = 0;
        q->pos = q->end = 0;
        ots_q_arena_free(&q->res.strs);
        ots_q_arena_free(&st->tmp);
        int rc = 0;
        const ots_batch *bt;
        if (st->sc && st->left != 0)
            rc = ots_scan_next(st->sc, &bt);
        if (rc < 0)
            return ots_q_err(&q->err, rc, "%s", ots_errmsg(q->s));
        if (rc == 0) {
            ots_scan_close(st->sc);
            st->sc = NULL;
            snprintf(q->status, sizeof q->status, "SELECT %llu", (unsigned long long)st->rows);
            return 0;
        }
        qvec *slots = ots_q_alloc(&st->tmp, (p->nscols + 1) * sizeof *slots);
        if (!slots)
            return oom(q);
        for (size_t c = 0; c < p->nscols; c++)
            col_to_vec(&bt->cols[c], bt->nrows, &slots[c]);
        qenv env = {
            .slots = slots, .nslots = p->nscols, .n = bt->nrows, .tmp = &st->tmp, .now_ns = q->now_ns, .err = &q->err};
        if (p->filter && (rc = apply_filter(q, p->filter, &env, slots, p->nscols)))
            return rc;
        if ((rc = emit_rows(q, p, &env)))
            return rc;
        size_t n = q->res.n, start = st->skip < n ? (size_t)st->skip : n, end = n;
        st->skip -= start;
        if (st->left >= 0 && (uint64_t)(end - start) > (uint64_t)st->left)
            end = start + (size_t)st->left;
        if (st->left >= 0)
            st->left -= (int64_t)(end - start);
        if (end > start) {
            q->pos = start;
            q->end = end;
            st->rows += end - start;
            return 1;
        }
    }
}

/* ---- driver ------------------------------------------------------------------------------ */
int ots_q_exec_select(ots_query *q, const select_stmt *sel, int explain_only)
{
    splan p;
    int rc = ots_q_plan_select(q, sel, &p);
    if (rc)
        return rc;
    if (explain_only) {
        if ((rc = ots_q_result_init(q, 1, 1)))
            return rc;
        ots_q_set_col(q, 0, "plan", OTS_STRING);
    } else {
        if ((rc = ots_q_result_init(q, p.nouts, p.nvis)))
            return rc;
        for (size_t c = 0; c < p.nouts; c++)
            ots_q_set_col(q, c, p.names[c], out_type(p.outs[c]->type));
    }
    if (!explain_only && !p.agg && !p.nord && p.has_table)
        return start_stream(q, &p);
    aggx x;
    memset(&x, 0, sizeof x);
    x.p = &p;
    if (p.agg) {
        if ((rc = ots_q_tab_init(&x.gkeys, p.nkeys, &q->a)))
            return oom(q);
        for (size_t k = 0; k < p.nkeys; k++)
            x.gkeys.types[k] = p.keys[k]->type == QT_NULL ? OTS_STRING : p.keys[k]->type;
        x.distinct = ots_calloc(p.naggs ? p.naggs : 1, sizeof *x.distinct);
        if (!x.distinct || grow_states(&x, 1)) {
            rc = oom(q);
            goto out;
        }
    }
    qarena tmp = {0};
    ots_scan_stats st;
    memset(&st, 0, sizeof st);
    /* rows worth keeping: LIMIT + OFFSET (saturated), else all */
    size_t keep = SIZE_MAX;
    if (p.limit >= 0 && (uint64_t)p.limit <= SIZE_MAX / 8 && (uint64_t)p.offset <= SIZE_MAX / 8)
        keep = (size_t)p.offset + (size_t)p.limit;
    size_t want = (!p.agg && !p.nord) ? keep : SIZE_MAX;
    size_t topn = (!p.agg && p.nord) ? keep : SIZE_MAX; /* ORDER BY … LIMIT */
    if (!p.has_table) {
        qenv env = {.slots = NULL, .nslots = 0, .n = 1, .tmp = &tmp, .now_ns = q->now_ns, .err = &q->err};
        if (p.filter && (rc = apply_filter(q, p.filter, &env, NULL, 0)))
            goto out_tmp;
        if (!explain_only)
            rc = p.agg ? agg_batch(&x, &env) : emit_rows(q, &p, &env);
        if (rc)
            goto out_tmp;
    } else {
        ots_scan_spec spec;
        ots_scan_spec_init(&spec, p.ti.name);
        spec.columns = p.scols;
        spec.ncolumns = p.nscols;
        spec.ts_min_ns = p.ts_min;
        spec.ts_max_ns = p.ts_max;
        spec.preds = p.preds;
        spec.npreds = p.npreds;
        ots_scan *sc = NULL;
        if (p.ts_min >= p.ts_max)
            goto scanned; /* empty range */
        if ((rc = ots_scan_open(q->s, &spec, &sc))) {
            rc = ots_q_err(&q->err, rc, "%s", ots_errmsg(q->s));
            goto out_tmp;
        }
        const ots_batch *bt;
        qvec *slots = NULL;
        while (!explain_only && q->res.n < want && (rc = ots_scan_next(sc, &bt)) == 1) {
            ots_q_arena_free(&tmp);
            slots = ots_q_alloc(&tmp, (p.nscols + 1) * sizeof *slots);
            if (!slots) {
                rc = oom(q);
                break;
            }
            for (size_t c = 0; c < p.nscols; c++)
                col_to_vec(&bt->cols[c], bt->nrows, &slots[c]);
            qenv env = {
                .slots = slots, .nslots = p.nscols, .n = bt->nrows, .tmp = &tmp, .now_ns = q->now_ns, .err = &q->err};
            if (p.filter && (rc = apply_filter(q, p.filter, &env, slots, p.nscols)))
                break;
            if ((rc = p.agg ? agg_batch(&x, &env) : emit_rows(q, &p, &env)))
                break;
            if (topn != SIZE_MAX && q->res.n >= 2 * topn + Q_BATCH && (rc = prune_topn(q, &p, sel, topn)))
                break;
            rc = 0;
        }
        if (explain_only)
            while ((rc = ots_scan_next(sc, &bt)) == 1)
                ;
        if (rc < 0 && !q->err.rc)
            rc = ots_q_err(&q->err, rc, "%s", ots_errmsg(q->s));
        ots_scan_stats_get(sc, &st);
        ots_scan_close(sc);
        if (rc < 0)
            goto out_tmp;
        rc = OTS_OK;
    scanned:;
    }
    if (explain_only) {
        rc = explain(q, &p, &st);
        q->pos = 0;
        q->end = q->res.n;
        snprintf(q->status, sizeof q->status, "EXPLAIN");
        goto out_tmp;
    }
    if (p.agg) {
        ots_q_arena_free(&tmp);
        if ((rc = agg_finish(&x, &tmp)))
            goto out_tmp;
    }
    rc = finish(q, &p, sel);
    if (!rc)
        snprintf(q->status, sizeof q->status, "SELECT %zu", q->end - q->pos);
out_tmp:
    ots_q_arena_free(&tmp);
out:
    if (p.agg)
        aggx_fini(&x);
    return rc;
}
