/*
 * fuzz_chunk_decode.c — the column chunk decoders (formats/chunk.c,
 * docs/formats/chunk.md) on untrusted bytes.
 *
 * The first input byte picks the decoder (% 4: 0 BIGINT/TIMESTAMP, 1 DOUBLE,
 * 2 BOOLEAN, 3 STRING); the rest is the chunk.  ots_fmt_chunk_peek runs
 * first, then the decoder into arrays of OUT_CAP rows.  A refused chunk must
 * give OTS_ECORRUPT or OTS_EINVAL with an offset inside the input; an
 * accepted one must agree with peek on the row count, fit the capacity,
 * have 0/1 validity bytes and booleans, NULL rows decoded as 0, and string
 * codes inside a NUL-terminated dictionary.  Anything else aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/formats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_CAP 65536

static int64_t out_i64[OUT_CAP];
static double out_f64[OUT_CAP];
static uint8_t out_u8[OUT_CAP];
static uint32_t out_codes[OUT_CAP];
static uint8_t valid[OUT_CAP];

static void check_refusal(ssize_t r, const ots_fmt_err *err, size_t len)
{
    if (r != OTS_ECORRUPT && r != OTS_EINVAL && r != OTS_ENOMEM)
        abort();
    if (r == OTS_ECORRUPT && err->offset > len)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ots_fmt_chunk_stats st;
    ots_fmt_strdict *dict = NULL;
    ots_fmt_err err;
    ssize_t r = OTS_EINVAL;

    if (size < 1)
        return 0;
    const uint8_t *src = data + 1;
    size_t len = size - 1;
    memset(&err, 0, sizeof err);
    int peek = ots_fmt_chunk_peek(src, len, &st, &err);
    if (peek != OTS_OK)
        check_refusal(peek, &err, len);

    memset(&err, 0, sizeof err);
    memset(valid, 0x55, sizeof valid);
    switch (data[0] % 4) {
    case 0: r = ots_fmt_chunk_decode_i64(src, len, out_i64, valid, OUT_CAP, &err); break;
    case 1: r = ots_fmt_chunk_decode_f64(src, len, out_f64, valid, OUT_CAP, &err); break;
    case 2: r = ots_fmt_chunk_decode_bool(src, len, out_u8, valid, OUT_CAP, &err); break;
    case 3: r = ots_fmt_chunk_decode_str(src, len, out_codes, valid, OUT_CAP, &dict, &err); break;
    }
    if (r < 0) {
        check_refusal(r, &err, len);
        ots_fmt_strdict_free(dict); /* NULL on failure, or freeing it must be safe */
        return 0;
    }
    if (r > OUT_CAP || peek != OTS_OK || st.n != (uint64_t)r)
        abort();
    for (ssize_t i = 0; i < r; i++) {
        if (valid[i] > 1)
            abort();
        switch (data[0] % 4) {
        case 0:
            if (!valid[i] && out_i64[i] != 0)
                abort();
            break;
        case 1:
            if (!valid[i] && out_f64[i] != 0.0)
                abort();
            break;
        case 2:
            if (out_u8[i] > 1 || (!valid[i] && out_u8[i] != 0))
                abort();
            break;
        case 3:
            if (!dict || (valid[i] && out_codes[i] >= dict->size))
                abort();
            if (out_codes[i] < dict->size) {
                uint32_t c = out_codes[i];
                if (!dict->dict[c] || dict->dict[c][dict->lens[c]] != 0)
                    abort();
                if (!valid[i] && dict->lens[c] != 0)
                    abort();
            } else if (valid[i]) {
                abort();
            }
            break;
        }
    }
    if (dict) {
        for (size_t i = 0; i < dict->size; i++)
            if (!dict->dict[i] || dict->dict[i][dict->lens[i]] != 0)
                abort();
    }
    ots_fmt_strdict_free(dict);
    return 0;
}
