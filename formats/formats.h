/*
 * formats.h — the byte layouts and text formats ots reads or writes in more
 * than one place: little-endian helpers, checksums, column chunk codecs
 * (docs/formats/chunk.md), time zones from the system tz database
 * (RFC 8536), timestamp parsing and printing, and the RFC 4180 CSV reader.
 *
 * The only header other modules include from formats/.  Everything here is
 * pure computation on caller memory plus a few files read (TZif); nothing
 * here knows about stores.  Untrusted bytes (chunks, TZif files, CSV) are
 * validated: a decoder returns OTS_ECORRUPT / OTS_EINVAL and fills an
 * ots_fmt_err, never crashes or reads out of bounds.
 */
#ifndef OTS_FORMATS_H
#define OTS_FORMATS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "ots.h"

/* ---- little-endian load/store --------------------------------------------- */
static inline void ots_le16_put(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void ots_le32_put(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void ots_le64_put(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t ots_le16_get(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t ots_le32_get(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t ots_le64_get(const uint8_t *p)
{
    return (uint64_t)ots_le32_get(p) | ((uint64_t)ots_le32_get(p + 4) << 32);
}
static inline void ots_f64_put(uint8_t *p, double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    ots_le64_put(p, u);
}
static inline double ots_f64_get(const uint8_t *p)
{
    uint64_t u = ots_le64_get(p);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

/* XXH3-64 of n bytes (seed 0): the checksum of every framed structure. */
uint64_t ots_fmt_hash64(const void *p, size_t n);

/* Unsigned LEB128 varint: put returns bytes written (<= 10); get returns
 * bytes read, or 0 if the input is truncated or over 10 bytes. */
size_t ots_fmt_varint_put(uint8_t *p, uint64_t v);
size_t ots_fmt_varint_get(const uint8_t *p, size_t avail, uint64_t *v);
static inline uint64_t ots_fmt_zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t ots_fmt_unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

/* Where and why a decoder refused its input. */
typedef struct ots_fmt_err {
    uint64_t offset; /* byte offset in the input where the fault was found */
    char msg[160];   /* what was expected */
} ots_fmt_err;

/* ---- column chunks (docs/formats/chunk.md) ----------------------------------
 * A chunk holds n values of one column, self-describing: its header names the
 * encoding, the row count, whether a null bitmap follows and whether zstd was
 * applied.  Encoders try their candidate encodings and keep the smallest;
 * a chunk that does not shrink is stored raw.  NULL rows: `valid` is one byte
 * per row (1 = present) or NULL for none; the value at a NULL row is ignored
 * by the encoder (it may store anything) and decoded as 0 / 0.0 / "".
 *
 * Encoders write into dst (capacity dst_cap, at least the _bound) and return
 * the bytes written, or a negative OTS_E… code.  Decoders take the chunk
 * bytes, write n values into caller arrays of capacity `cap` (OTS_EINVAL if
 * the chunk holds more), fill valid_out (1 byte per row, may be NULL if the
 * caller does not want it) and return the row count, or a negative code
 * (OTS_ECORRUPT with err filled).  Thread-safe; no shared state (each thread
 * keeps reusable scratch memory, freed when the thread exits). */

/* Encodings recorded in a chunk header (stable numbers; see chunk.md). */
enum ots_fmt_encoding {
    OTS_ENC_RAW = 0,     /* fixed-width little-endian values */
    OTS_ENC_FOR = 1,     /* integers: frame-of-reference, bit-packed per block */
    OTS_ENC_DELTA = 2,   /* integers: first value + deltas, FOR bit-packed per block */
    OTS_ENC_DOD = 3,     /* integers/timestamps: delta-of-delta, zigzag, bit-packed per block */
    OTS_ENC_ALP = 4,     /* doubles: exact decimal scaling to integers, then an integer encoding */
    OTS_ENC_GORILLA = 5, /* doubles: XOR with the previous value */
    OTS_ENC_DICT = 6,    /* strings: dictionary + bit-packed codes */
    OTS_ENC_BITMAP = 7,  /* booleans: one bit per value */
    OTS_ENC_CONST = 8,   /* every value equal */
    OTS_ENC_STRRAW = 9,  /* strings: lengths + bytes */
};

/* Summary of a chunk's contents, computed by the encoders (min/max over
 * non-NULL values; for doubles NaN is excluded from min/max). */
typedef struct ots_fmt_chunk_stats {
    uint32_t n; /* rows */
    uint32_t null_count;
    int64_t min_i, max_i; /* integer kinds (TIMESTAMP, BIGINT, BOOLEAN, codes) */
    double min_f, max_f;  /* doubles */
    uint8_t encoding;     /* the ots_fmt_encoding chosen (outer) */
    uint8_t inner;        /* for ALP: the integer encoding of the scaled values */
    uint8_t zstd;         /* 1 if zstd was applied */
} ots_fmt_chunk_stats;

/* Flags for encoders. */
#define OTS_FMT_NO_ZSTD 0x1 /* never try zstd (tests, benchmarks of the raw codecs) */
#define OTS_FMT_ZSTD_MAX \
    0x2 /* use a high zstd level and keep any frame that is smaller (archive tier);
                                  by default a frame is kept only if it saves >= 1/6 (chunk.md §9) */

size_t ots_fmt_chunk_bound_i64(size_t n);
size_t ots_fmt_chunk_bound_f64(size_t n);
size_t ots_fmt_chunk_bound_bool(size_t n);
/* total_bytes: sum of string lengths */
size_t ots_fmt_chunk_bound_str(size_t n, size_t total_bytes);

ssize_t ots_fmt_chunk_encode_i64(const int64_t *v, const uint8_t *valid, size_t n, int flags, uint8_t *dst,
                                 size_t dst_cap, ots_fmt_chunk_stats *st);
ssize_t ots_fmt_chunk_encode_f64(const double *v, const uint8_t *valid, size_t n, int flags, uint8_t *dst,
                                 size_t dst_cap, ots_fmt_chunk_stats *st);
ssize_t ots_fmt_chunk_encode_bool(const uint8_t *v, const uint8_t *valid, size_t n, int flags, uint8_t *dst,
                                  size_t dst_cap, ots_fmt_chunk_stats *st);
/* Strings as (pointer, length) pairs; any bytes allowed (NUL included). */
typedef struct ots_fmt_str {
    const char *p;
    uint32_t len;
} ots_fmt_str;
ssize_t ots_fmt_chunk_encode_str(const ots_fmt_str *v, const uint8_t *valid, size_t n, int flags, uint8_t *dst,
                                 size_t dst_cap, ots_fmt_chunk_stats *st);

/* Read only the header: row count, encoding, flags.  OTS_ECORRUPT if the
 * header itself is malformed. */
int ots_fmt_chunk_peek(const uint8_t *src, size_t len, ots_fmt_chunk_stats *st, ots_fmt_err *err);

ssize_t ots_fmt_chunk_decode_i64(const uint8_t *src, size_t len, int64_t *out, uint8_t *valid_out, size_t cap,
                                 ots_fmt_err *err);
ssize_t ots_fmt_chunk_decode_f64(const uint8_t *src, size_t len, double *out, uint8_t *valid_out, size_t cap,
                                 ots_fmt_err *err);
ssize_t ots_fmt_chunk_decode_bool(const uint8_t *src, size_t len, uint8_t *out, uint8_t *valid_out, size_t cap,
                                  ots_fmt_err *err);

/* Decoded strings: a dictionary of distinct values and one code per row.
 * dict[i] points into memory owned by the ots_fmt_strdict; the values are
 * NUL-terminated as well as length-counted.  Free with ots_fmt_strdict_free. */
typedef struct ots_fmt_strdict {
    size_t size;
    const char **dict;
    uint32_t *lens;
    void *mem_; /* private */
} ots_fmt_strdict;
ssize_t ots_fmt_chunk_decode_str(const uint8_t *src, size_t len, uint32_t *codes_out, uint8_t *valid_out, size_t cap,
                                 ots_fmt_strdict **dict_out, ots_fmt_err *err);
void ots_fmt_strdict_free(ots_fmt_strdict *d);

/* ---- time zones (TZif, RFC 8536) ---------------------------------------------- */
typedef struct ots_tz ots_tz;

/* Load a zone by IANA name from $TZDIR or /usr/share/zoneinfo ("UTC", "",
 * NULL give UTC).  Reads TZif v1, v2 and v3 (64-bit data) and the POSIX TZ
 * footer for instants past the last transition.  Rejects names with ".." or
 * a leading '/'.  On failure returns OTS_ENOTFOUND (no such zone, or a
 * rejected name) or OTS_ECORRUPT (bad file; err says the offset), or
 * OTS_ENOMEM / OTS_EIO, and *out is NULL.  A loaded zone is read-only and
 * may be used from several threads at once (docs/formats/timestamps.md). */
int ots_fmt_tz_load(const char *name, ots_tz **out, ots_fmt_err *err);
/* Parse TZif bytes (for tests and fuzzing); name is kept for ots_fmt_tz_name. */
int ots_fmt_tz_parse(const char *name, const uint8_t *buf, size_t len, ots_tz **out, ots_fmt_err *err);
void ots_fmt_tz_free(ots_tz *tz);
/* The zone's name as loaded ("UTC" for UTC). */
const char *ots_fmt_tz_name(const ots_tz *tz);
/* UTC offset in seconds (east positive) in force at utc_s. tz NULL = UTC. */
int32_t ots_fmt_tz_offset(const ots_tz *tz, int64_t utc_s);
/* The UTC instant of a local wall-clock time.  For a time in a gap (spring
 * forward) the instant after the gap is returned; for an ambiguous time
 * (fall back) the earlier instant.  tz NULL = UTC. */
int64_t ots_fmt_tz_local_to_utc(const ots_tz *tz, int64_t local_s);

/* Days since 1970-01-01 of a civil date, and back (proleptic Gregorian). */
int64_t ots_fmt_days_from_civil(int64_t y, unsigned m, unsigned d);
void ots_fmt_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* The local calendar day containing ts_ns in tz (NULL = UTC): returns its
 * day number (days since 1970-01-01 of the local date) and sets the UTC
 * bounds [*start_ns, *end_ns) of that local day (23, 24 or 25 hours long
 * on DST changes).  start/end may be NULL. */
int64_t ots_fmt_tz_day(const ots_tz *tz, int64_t ts_ns, int64_t *start_ns, int64_t *end_ns);
/* UTC bounds of local day `day` (as returned above). */
void ots_fmt_tz_day_bounds(const ots_tz *tz, int64_t day, int64_t *start_ns, int64_t *end_ns);

/* ---- timestamps ------------------------------------------------------------------- */
/*
 * Parse an ISO-8601 / RFC 3339 timestamp of len bytes:
 *   YYYY-MM-DD | YYYY-MM-DD[T| ]HH:MM[:SS[.f{1,9}]] [Z|±HH[:MM]|±HHMM]
 * (the offset follows the time directly; 't'/'z' may be lower case).
 * A time without offset is local to tz (NULL = UTC).  Returns OTS_OK and
 * *ts_ns, or OTS_EINVAL with err->offset at the first bad byte and err->msg
 * saying what was expected.  Range: years 1678..2261 (int64 ns).
 */
int ots_fmt_ts_parse(const char *s, size_t len, const ots_tz *tz, int64_t *ts_ns, ots_fmt_err *err);
/* Parse an integer epoch in the given unit (1 = s, 1000 = ms, 1000000 = us,
 * 1000000000 = ns; fractional seconds allowed for unit 1). */
int ots_fmt_epoch_parse(const char *s, size_t len, int64_t unit_per_s, int64_t *ts_ns, ots_fmt_err *err);
/* Format ts_ns as ISO-8601: in UTC "2026-11-01T06:00:00Z" (tz NULL), else local
 * time with offset "2026-11-01T01:00:00-05:00"; fractional seconds printed
 * only when non-zero, trimmed.  Returns the length written (NUL-terminated),
 * or a negative code if cap is too small (36 bytes always suffice). */
int ots_fmt_ts_format(int64_t ts_ns, const ots_tz *tz, char *buf, size_t cap);
/* Format a day number as "YYYY-MM-DD" into buf (11 bytes). */
void ots_fmt_day_format(int64_t day, char buf[11]);

/* ---- CSV (RFC 4180) ---------------------------------------------------------------- */
typedef struct ots_csv ots_csv;

typedef struct ots_csv_opts {
    char delimiter;   /* default ',' */
    char quote;       /* default '"' */
    size_t max_field; /* longest field accepted, default 16 MiB */
} ots_csv_opts;
void ots_csv_opts_init(ots_csv_opts *o);

/* Open a reader over a file path, a FILE* (not closed by ots_csv_close), or a
 * memory buffer (not copied; must outlive the reader).  A UTF-8 BOM at the
 * start is skipped.  o may be NULL; a zero member means its default.
 * OTS_EINVAL for bad options (delimiter == quote, or either is CR or LF),
 * OTS_ENOTFOUND for a missing path.  Accepted input and messages:
 * docs/formats/csv.md. */
int ots_csv_open_path(const char *path, const ots_csv_opts *o, ots_csv **out);
int ots_csv_open_file(FILE *f, const char *name, const ots_csv_opts *o, ots_csv **out);
int ots_csv_open_mem(const char *buf, size_t len, const char *name, const ots_csv_opts *o, ots_csv **out);
/* Set the size of the read buffer (bytes, at least 4; default 128 KiB)
 * before the first ots_csv_next; later calls are ignored.  For tests of
 * records spanning refills.  A record longer than the buffer still works:
 * the buffer grows for it. */
void ots_csv_set_buffer_size(ots_csv *c, size_t bytes);

/* One field of the current record: p is NUL-terminated (quotes removed, ""
 * unescaped); valid until the next ots_csv_next. */
typedef struct ots_csv_field {
    const char *p;
    size_t len;
    uint32_t col;   /* 1-based column (byte) where the field starts on its line */
    uint8_t quoted; /* 1 if it was quoted (so "" is an empty string, not NULL) */
} ots_csv_field;

/*
 * Read the next record: returns 1 with *fields and *nfields set, 0 at end of
 * input, OTS_EINVAL for a malformed record (unterminated quote, a quote
 * inside an unquoted field, text after a closing quote, field too long):
 * ots_csv_error() then says "name:line:col: reason", and the reader has
 * skipped to the start of the next line so the caller can go on.  OTS_EIO on
 * a read error.  LF, CRLF and a missing final newline are all accepted;
 * blank lines are skipped.
 */
int ots_csv_next(ots_csv *c, const ots_csv_field **fields, size_t *nfields);
/* 1-based line on which the last record (or error) started. */
uint64_t ots_csv_line(const ots_csv *c);
const char *ots_csv_error(const ots_csv *c);
void ots_csv_close(ots_csv *c);

#endif /* OTS_FORMATS_H */
