/*
 * fuzz_chunk_roundtrip.c — every column chunk encoder and its decoder
 * (formats/chunk.c) as a round trip: values made from the input are
 * encoded, decoded, and must come back exactly (doubles bit for bit, NaN
 * payloads and -0.0 included).
 *
 * Input layout: byte 0 — bits 0-1 the type (0 BIGINT, 1 DOUBLE, 2 BOOLEAN,
 * 3 STRING), bit 2 OTS_FMT_NO_ZSTD, bit 3 OTS_FMT_ZSTD_MAX, bits 4-5 how to
 * read the values (BIGINT/DOUBLE: 0 raw 8-byte words; 1 running sum of
 * signed bytes, timestamp-like; 2 one byte each, small decimals for DOUBLE);
 * byte 1 — 0 for no NULLs, else the seed of the NULL pattern; the rest —
 * the values (STRING: a length byte then that many bytes, repeated).
 *
 * Checks: the encoder succeeds into a buffer of the _bound size and stays
 * within it; the stats count rows and NULLs and give the min/max of the
 * present values (NaN excluded); peek agrees with the stats; the decoder
 * returns n rows, the validity, the values, and 0 / 0.0 / "" at NULL rows.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/formats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_N 8192

static int64_t in_i64[MAX_N], out_i64[MAX_N];
static double in_f64[MAX_N], out_f64[MAX_N];
static uint8_t in_u8[MAX_N], out_u8[MAX_N];
static ots_fmt_str in_str[MAX_N];
static uint32_t out_codes[MAX_N];
static uint8_t valid[MAX_N], valid_out[MAX_N];

static void check_stats(const ots_fmt_chunk_stats *st, size_t n, int type)
{
    size_t nulls = 0, have = 0;
    int64_t mn_i = 0, mx_i = 0;
    double mn_f = 0, mx_f = 0;
    for (size_t i = 0; i < n; i++) {
        if (!valid[i]) {
            nulls++;
            continue;
        }
        if (type == 1) {
            if (isnan(in_f64[i]))
                continue;
            if (!have || in_f64[i] < mn_f)
                mn_f = in_f64[i];
            if (!have || in_f64[i] > mx_f)
                mx_f = in_f64[i];
        } else if (type == 0 || type == 2) {
            int64_t v = type == 0 ? in_i64[i] : in_u8[i];
            if (!have || v < mn_i)
                mn_i = v;
            if (!have || v > mx_i)
                mx_i = v;
        }
        have++;
    }
    if (st->n != n || st->null_count != nulls)
        abort();
    if (have && (type == 0 || type == 2) && (st->min_i != mn_i || st->max_i != mx_i))
        abort();
    if (have && type == 1 && (st->min_f != mn_f || st->max_f != mx_f))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int type = data[0] & 3;
    int flags = ((data[0] & 4) ? OTS_FMT_NO_ZSTD : 0) | ((data[0] & 8) ? OTS_FMT_ZSTD_MAX : 0);
    int shape = (data[0] >> 4) & 3;
    uint8_t seed = data[1];
    const uint8_t *p = data + 2, *end = data + size;
    size_t n = 0, str_bytes = 0;

    /* values */
    switch (type) {
    case 0:
    case 1:
        if (shape == 0) {
            for (; end - p >= 8 && n < MAX_N; p += 8, n++) {
                uint64_t u = ots_le64_get(p);
                if (type == 0)
                    in_i64[n] = (int64_t)u;
                else
                    memcpy(&in_f64[n], &u, 8);
            }
        } else if (shape == 1) {
            int64_t t = 1709251200LL * 1000000000LL; /* 2024-03-01 */
            for (; p < end && n < MAX_N; p++, n++) {
                t += (int64_t)(int8_t)*p * 1000000LL + 60000000000LL;
                if (type == 0)
                    in_i64[n] = t;
                else
                    in_f64[n] = (double)(t / 1000000000LL % 100000) / 100.0;
            }
        } else {
            for (; p < end && n < MAX_N; p++, n++) {
                if (type == 0)
                    in_i64[n] = (int8_t)*p;
                else
                    in_f64[n] = 230.0 + (double)(int8_t)*p / 10.0;
            }
        }
        break;
    case 2:
        for (; p < end && n < MAX_N; p++) {
            for (int b = 0; b < 8 && n < MAX_N; b++)
                in_u8[n++] = (uint8_t)((*p >> b) & 1);
        }
        break;
    case 3:
        while (p < end && n < MAX_N) {
            size_t l = *p++;
            if (l > (size_t)(end - p))
                l = (size_t)(end - p);
            in_str[n].p = (const char *)p;
            in_str[n].len = (uint32_t)l;
            str_bytes += l;
            p += l;
            n++;
        }
        break;
    }

    /* NULL pattern */
    for (size_t i = 0; i < n; i++)
        valid[i] = seed == 0 ? 1 : (uint8_t)((((i + 1) * 2654435761u) >> (seed % 24)) & 1);
    const uint8_t *vin = seed == 0 ? NULL : valid;

    /* encode */
    size_t bound = 0;
    switch (type) {
    case 0: bound = ots_fmt_chunk_bound_i64(n); break;
    case 1: bound = ots_fmt_chunk_bound_f64(n); break;
    case 2: bound = ots_fmt_chunk_bound_bool(n); break;
    case 3: bound = ots_fmt_chunk_bound_str(n, str_bytes); break;
    }
    uint8_t *buf = malloc(bound ? bound : 1);
    if (!buf)
        return 0;
    ots_fmt_chunk_stats st;
    memset(&st, 0, sizeof st);
    ssize_t w = OTS_EINVAL;
    switch (type) {
    case 0: w = ots_fmt_chunk_encode_i64(in_i64, vin, n, flags, buf, bound, &st); break;
    case 1: w = ots_fmt_chunk_encode_f64(in_f64, vin, n, flags, buf, bound, &st); break;
    case 2: w = ots_fmt_chunk_encode_bool(in_u8, vin, n, flags, buf, bound, &st); break;
    case 3: w = ots_fmt_chunk_encode_str(in_str, vin, n, flags, buf, bound, &st); break;
    }
    if (w < 0 || (size_t)w > bound)
        abort();
    check_stats(&st, n, type);

    /* peek */
    ots_fmt_chunk_stats pk;
    ots_fmt_err err;
    memset(&err, 0, sizeof err);
    if (ots_fmt_chunk_peek(buf, (size_t)w, &pk, &err) != OTS_OK || pk.n != n || pk.encoding != st.encoding ||
        pk.zstd != st.zstd)
        abort();

    /* decode: exactly w bytes, in a buffer of exactly that size */
    uint8_t *exact = malloc(w ? (size_t)w : 1);
    if (!exact) {
        free(buf);
        return 0;
    }
    memcpy(exact, buf, (size_t)w);
    free(buf);
    ots_fmt_strdict *dict = NULL;
    ssize_t r = OTS_EINVAL;
    size_t cap = n ? n : 1;
    switch (type) {
    case 0: r = ots_fmt_chunk_decode_i64(exact, (size_t)w, out_i64, valid_out, cap, &err); break;
    case 1: r = ots_fmt_chunk_decode_f64(exact, (size_t)w, out_f64, valid_out, cap, &err); break;
    case 2: r = ots_fmt_chunk_decode_bool(exact, (size_t)w, out_u8, valid_out, cap, &err); break;
    case 3: r = ots_fmt_chunk_decode_str(exact, (size_t)w, out_codes, valid_out, cap, &dict, &err); break;
    }
    if (r < 0 || (size_t)r != n)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (valid_out[i] != valid[i])
            abort();
        switch (type) {
        case 0:
            if (out_i64[i] != (valid[i] ? in_i64[i] : 0))
                abort();
            break;
        case 1:
            if (valid[i] ? memcmp(&out_f64[i], &in_f64[i], 8) != 0 : out_f64[i] != 0.0)
                abort();
            break;
        case 2:
            if (out_u8[i] != (valid[i] ? in_u8[i] : 0))
                abort();
            break;
        case 3: {
            if (!dict || out_codes[i] >= dict->size)
                abort();
            uint32_t len = dict->lens[out_codes[i]];
            const char *s = dict->dict[out_codes[i]];
            if (valid[i] ? (len != in_str[i].len || memcmp(s, in_str[i].p, len) != 0) : len != 0)
                abort();
            if (s[len] != 0)
                abort();
            break;
        }
        }
    }
    ots_fmt_strdict_free(dict);
    free(exact);
    return 0;
}
