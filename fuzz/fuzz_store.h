/*
 * fuzz_store.h — shared by the store-level fuzz targets (segment, WAL,
 * catalog): a scratch store directory per process holding a valid catalog
 * with one table, into which each input is written as the file under test;
 * then the store is opened, every row scanned, and the store closed.
 *
 * Any outcome but a crash, a sanitizer report or a hang is fine: a corrupt
 * file must give an error.  When the first input byte is odd the target
 * first repairs the checksums of the bytes after it (so the fuzzer reaches
 * the parsers behind them instead of stopping at the checksum).
 */
#ifndef OTS_FUZZ_STORE_H
#define OTS_FUZZ_STORE_H

#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/formats.h"
#include "ots.h"

static char fz_dir[256];
static uint8_t *fz_catalog; /* the valid catalog, restored after each input */
static size_t fz_catalog_len;

static void fz_quiet(void *ctx, ots_log_level l, const char *m) { (void)ctx, (void)l, (void)m; }

static int fz_rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static void fz_rmrf(const char *p) { nftw(p, fz_rm_cb, 16, FTW_DEPTH | FTW_PHYS); }

static void fz_rm(void) { fz_rmrf(fz_dir); }

static const ots_column_def fz_cols[] = {
    {"ts", OTS_TIMESTAMP}, {"city", OTS_TAG},      {"zone", OTS_TAG}, {"meter", OTS_TAG},
    {"kwh", OTS_DOUBLE},   {"status", OTS_STRING}, {"n", OTS_BIGINT}, {"ok", OTS_BOOLEAN},
};

/* Make the scratch store once: a catalog with table m (id 1). */
static void fz_setup(void)
{
    if (fz_dir[0])
        return;
    const char *t = getenv("TMPDIR");
    snprintf(fz_dir, sizeof fz_dir, "%s/ots-fuzz-%ld", t && *t ? t : "/tmp", (long)getpid());
    fz_rm();
    ots_store_opts o;
    ots_store_opts_init(&o);
    o.fsync = OTS_FSYNC_OFF;
    o.log = fz_quiet;
    ots_store *s;
    if (ots_store_open(fz_dir, &o, &s) != OTS_OK || ots_table_create(s, "m", fz_cols, 8, NULL, 0) != OTS_OK)
        abort();
    ots_store_close(s);
    atexit(fz_rm);
    char p[512];
    snprintf(p, sizeof p, "%s/catalog/CATALOG", fz_dir);
    FILE *f = fopen(p, "rb");
    if (!f)
        abort();
    fz_catalog = malloc(1 << 16);
    fz_catalog_len = fread(fz_catalog, 1, 1 << 16, f);
    fclose(f);
}

static void fz_write(const char *rel, const uint8_t *data, size_t size)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", fz_dir, rel);
    char dir[512];
    snprintf(dir, sizeof dir, "%s", p);
    for (char *q = dir + strlen(fz_dir) + 1; *q; q++)
        if (*q == '/') {
            *q = 0;
            mkdir(dir, 0755);
            *q = '/';
        }
    FILE *f = fopen(p, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
}

/* Back to the scratch store as set up: the valid catalog, no WAL, no segments. */
static void fz_reset(void)
{
    char p[512];
    snprintf(p, sizeof p, "%s/wal", fz_dir);
    fz_rmrf(p);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/hot", fz_dir);
    fz_rmrf(p);
    mkdir(p, 0755);
    fz_write("catalog/CATALOG", fz_catalog, fz_catalog_len);
}

/* Open, scan everything (twice: all columns, then one column with a tag
 * predicate and a time range), close.  Errors are expected; crashes not. */
static void fz_open_scan(int with_postings)
{
    ots_store_opts o;
    ots_store_opts_init(&o);
    o.fsync = OTS_FSYNC_OFF;
    o.log = fz_quiet;
    ots_store *s;
    if (ots_store_open(fz_dir, &o, &s) != OTS_OK) {
        if (!ots_errmsg(NULL)[0])
            abort(); /* an error must say why */
        return;
    }
    for (int pass = 0; pass < 2; pass++) {
        ots_scan_spec sp;
        ots_scan_spec_init(&sp, "m");
        const char *cols[] = {"kwh"};
        const char *meter = "m1";
        ots_tag_pred p = {"meter", &meter, 1};
        if (pass == 1) {
            sp.columns = cols;
            sp.ncolumns = 1;
            sp.ts_min_ns = 1709251200000000000LL;
            sp.ts_max_ns = 1709254800000000000LL;
            if (with_postings) {
                sp.preds = &p;
                sp.npreds = 1;
            }
        }
        ots_scan *sc;
        if (ots_scan_open(s, &sp, &sc) != OTS_OK)
            continue;
        const ots_batch *b;
        int rc;
        while ((rc = ots_scan_next(sc, &b)) == 1)
            for (size_t c = 0; c < b->ncols; c++)
                if (b->cols[c].str)
                    for (size_t i = 0; i < b->nrows; i++)
                        if (!b->cols[c].str[i])
                            abort();
        if (rc < 0 && !ots_errmsg(s)[0])
            abort();
        ots_scan_close(sc);
    }
    ots_store_close(s);
}
#endif
