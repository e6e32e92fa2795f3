/*
 * fuzz_csv.c — the RFC 4180 reader (formats/csv.c) on untrusted bytes.
 *
 * The input is read twice with ots_csv_open_mem: with the default options,
 * and with options picked by its first byte (delimiter ';' or tab, quote
 * '\'', a tiny max_field) so the error paths run too.  Every record is read
 * to the end; malformed records are skipped as the contract allows.  Aborts
 * if a field is not NUL-terminated at its length, a record has no field, an
 * error has no message, line numbers go backwards, or the reader stops
 * advancing (more records than bytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/formats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_all(const uint8_t *data, size_t size, const ots_csv_opts *o)
{
    ots_csv *c = NULL;
    const ots_csv_field *f;
    size_t nf, records = 0;
    uint64_t line = 0;
    int rc;

    if (ots_csv_open_mem((const char *)data, size, "fuzz.csv", o, &c) != OTS_OK)
        return;
    while ((rc = ots_csv_next(c, &f, &nf)) != 0) {
        if (++records > size + 2)
            abort(); /* no progress */
        if (ots_csv_line(c) < line)
            abort();
        line = ots_csv_line(c);
        if (rc == OTS_EIO)
            break;
        if (rc < 0) {
            const char *msg = ots_csv_error(c);
            if (rc != OTS_EINVAL || !msg || !*msg)
                abort();
            continue;
        }
        if (rc != 1 || nf == 0 || !f)
            abort();
        for (size_t i = 0; i < nf; i++) {
            if (!f[i].p || f[i].p[f[i].len] != 0)
                abort();
            if (f[i].len > o->max_field)
                abort();
        }
    }
    ots_csv_close(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ots_csv_opts o;

    ots_csv_opts_init(&o);
    read_all(data, size, &o);
    if (size) {
        o.delimiter = (data[0] & 1) ? ';' : '\t';
        o.quote = (data[0] & 2) ? '\'' : '"';
        o.max_field = (size_t)(data[0] >> 2) % 16 + 1;
        read_all(data, size, &o);
    }
    return 0;
}
