/*
 * csv.c — a streaming RFC 4180 CSV reader (the "CSV" section of
 * formats.h; what it accepts and its error messages are in
 * docs/formats/csv.md).
 *
 * Input is read into one buffer that is refilled as records are consumed;
 * a record is parsed in place, so its fields point into the buffer and are
 * valid until the next call.  A record that runs past the end of the
 * buffer is moved to the front and the buffer refilled (grown only when a
 * single record is longer than the whole buffer), then the record is
 * scanned again from its start: records are short, so that is cheaper than
 * keeping resumable state.  The scan finds delimiters, quotes and line ends
 * 16 bytes at a time (SSE2 compares into a bit mask; a class table where
 * SSE2 is missing), and a '\n' sentinel after the data ends every search
 * without a bounds check, so an unquoted field costs a few instructions,
 * not a function call or a branch per byte.
 *
 * Parsing a record is two passes: the scan only records where the fields
 * are (the buffer is untouched, so a rescan after a refill sees the same
 * bytes); once the record is complete, fields are NUL-terminated and ""
 * unescaped in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#include "formats/formats.h"

/* OTS_CSV_NO_SIMD selects the portable scanner (to test it on x86). */
#if defined(__SSE2__) && !defined(OTS_CSV_NO_SIMD)
#define CSV_SSE2 1
#include <emmintrin.h>
#else
#define CSV_SSE2 0
#endif

#define CSV_BUF_DEFAULT (128u << 10)
/* Bytes after the data that are always readable and initialised: the '\n'
 * sentinel plus room for one 16-byte vector load starting at it. */
#define CSV_PAD 32
#define CSV_MAX_FIELD_DEFAULT ((size_t)16 << 20)

enum { SRC_FD, SRC_FILE, SRC_MEM };
/* classes in the unquoted-field table; 0 = ordinary byte */
enum { C_DELIM = 1, C_QUOTE = 2, C_LF = 3, C_CR = 4 };
/* scan results besides 1 (record complete) */
enum { SCAN_NEED = 0, SCAN_ERROR = -1, SCAN_NOMEM = -2 };

struct ots_csv {
    /* source */
    int kind;        /* SRC_* */
    int fd;          /* SRC_FD: owned, closed by ots_csv_close */
    FILE *f;         /* SRC_FILE: not owned */
    const char *mem; /* SRC_MEM: not owned */
    size_t mem_len;  /* bytes at mem */
    size_t mem_off;  /* bytes of mem already copied into buf */
    char *name;      /* for messages */
    /* buffer: buf[pos..end) is unread input; buf[end..end+CSV_PAD) is '\n' */
    char *buf;  /* cap + CSV_PAD bytes */
    size_t cap; /* data capacity; grows only for a record longer than it */
    size_t pos;
    size_t end;
    size_t start_cap; /* first buffer size */
    int started;      /* buffer allocated, BOM handled */
    int eof;          /* the source has no more bytes */
    int io_err;       /* a read failed: every later call returns OTS_EIO */
    int skip_pending; /* after an error: drop input up to and including the next '\n' */
    /* position */
    uint64_t line;     /* 1-based line of buf[pos] */
    uint64_t rec_line; /* line on which the last record or error started */
    /* the current record */
    ots_csv_field *fields; /* fcap entries; p points into buf */
    size_t fcap;
    /* options */
    uint8_t delim;
    uint8_t quote;
    size_t max_field;  /* bytes */
    size_t max_record; /* bytes: max(4 * max_field, 1 MiB) */
    uint8_t cls[256];  /* C_* for unquoted scanning */
    uint8_t qcls[256]; /* 1 for the quote and '\n' (quoted scanning) */
    char err[320];
};

void ots_csv_opts_init(ots_csv_opts *o)
{
    o->delimiter = ',';
    o->quote = '"';
    o->max_field = CSV_MAX_FIELD_DEFAULT;
}

static int csv_new(const char *name, const ots_csv_opts *o, ots_csv **out)
{
    ots_csv_opts d;
    ots_csv_opts_init(&d);
    if (o) {
        if (o->delimiter)
            d.delimiter = o->delimiter;
        if (o->quote)
            d.quote = o->quote;
        if (o->max_field)
            d.max_field = o->max_field;
    }
    if (d.delimiter == d.quote || d.delimiter == '\n' || d.delimiter == '\r' || d.quote == '\n' || d.quote == '\r')
        return OTS_EINVAL;
    ots_csv *c = ots_calloc(1, sizeof *c);
    if (!c)
        return OTS_ENOMEM;
    c->name = ots_strdup(name ? name : "csv");
    if (!c->name) {
        ots_free(c);
        return OTS_ENOMEM;
    }
    c->fd = -1;
    c->delim = (uint8_t)d.delimiter;
    c->quote = (uint8_t)d.quote;
    c->max_field = d.max_field;
    c->max_record = d.max_field > SIZE_MAX / 8 ? SIZE_MAX / 2 : d.max_field * 4;
    if (c->max_record < ((size_t)1 << 20))
        c->max_record = (size_t)1 << 20;
    c->start_cap = CSV_BUF_DEFAULT;
    c->line = 1;
    c->cls[c->delim] = C_DELIM;
    c->cls[c->quote] = C_QUOTE;
    c->cls['\n'] = C_LF;
    c->cls['\r'] = C_CR;
    c->qcls[c->quote] = 1;
    c->qcls['\n'] = 1;
    *out = c;
    return OTS_OK;
}

int ots_csv_open_path(const char *path, const ots_csv_opts *o, ots_csv **out)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? OTS_ENOTFOUND : OTS_EIO;
    ots_csv *c;
    int rc = csv_new(path, o, &c);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    c->kind = SRC_FD;
    c->fd = fd;
    *out = c;
    return OTS_OK;
}

int ots_csv_open_file(FILE *f, const char *name, const ots_csv_opts *o, ots_csv **out)
{
    *out = NULL;
    if (!f)
        return OTS_EINVAL;
    ots_csv *c;
    int rc = csv_new(name, o, &c);
    if (rc < 0)
        return rc;
    c->kind = SRC_FILE;
    c->f = f;
    *out = c;
    return OTS_OK;
}

int ots_csv_open_mem(const char *buf, size_t len, const char *name, const ots_csv_opts *o, ots_csv **out)
{
    *out = NULL;
    if (!buf && len)
        return OTS_EINVAL;
    ots_csv *c;
    int rc = csv_new(name, o, &c);
    if (rc < 0)
        return rc;
    c->kind = SRC_MEM;
    c->mem = buf;
    c->mem_len = len;
    *out = c;
    return OTS_OK;
}

void ots_csv_set_buffer_size(ots_csv *c, size_t bytes)
{
    if (c && !c->started)
        c->start_cap = bytes < 4 ? 4 : bytes;
}

void ots_csv_close(ots_csv *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    ots_free(c->name);
    ots_free(c->buf);
    ots_free(c->fields);
    ots_free(c);
}

uint64_t ots_csv_line(const ots_csv *c) { return c ? c->rec_line : 0; }

const char *ots_csv_error(const ots_csv *c) { return c ? c->err : ""; }

__attribute__((format(printf, 2, 3))) static void set_err(ots_csv *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
}

/* Read more input after buf[end].  Moves the unread bytes (the record in
 * progress) to the front first, and grows the buffer if they fill it.
 * Returns OTS_OK (c->eof set when the source is exhausted), OTS_EIO,
 * OTS_ENOMEM, or OTS_ELIMIT if the unread bytes already reach max_record. */
static int fill(ots_csv *c)
{
    if (c->pos > 0) {
        memmove(c->buf, c->buf + c->pos, c->end - c->pos);
        c->end -= c->pos;
        c->pos = 0;
    }
    if (c->end == c->cap) {
        if (c->cap >= c->max_record)
            return OTS_ELIMIT;
        size_t ncap = c->cap > c->max_record / 2 ? c->max_record : c->cap * 2;
        char *nb = ots_realloc(c->buf, ncap + CSV_PAD);
        if (!nb)
            return OTS_ENOMEM;
        c->buf = nb;
        c->cap = ncap;
    }
    size_t want = c->cap - c->end, got = 0;
    char *dst = c->buf + c->end;
    switch (c->kind) {
    case SRC_MEM:
        got = c->mem_len - c->mem_off < want ? c->mem_len - c->mem_off : want;
        if (got)
            memcpy(dst, c->mem + c->mem_off, got);
        c->mem_off += got;
        if (c->mem_off == c->mem_len)
            c->eof = 1;
        break;
    case SRC_FILE:
        got = fread(dst, 1, want, c->f);
        if (got == 0 && ferror(c->f)) {
            c->io_err = 1;
            set_err(c, "%s: read error: %s", c->name, strerror(errno));
            return OTS_EIO;
        }
        if (got < want && feof(c->f))
            c->eof = 1;
        break;
    default:
        for (;;) {
            ssize_t r = read(c->fd, dst, want);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                c->io_err = 1;
                set_err(c, "%s: read error: %s", c->name, strerror(errno));
                return OTS_EIO;
            }
            got = (size_t)r;
            break;
        }
        break;
    }
    if (got == 0)
        c->eof = 1;
    c->end += got;
    memset(c->buf + c->end, '\n', CSV_PAD);
    return OTS_OK;
}

static int start(ots_csv *c)
{
    c->cap = c->start_cap;
    c->buf = ots_malloc(c->cap + CSV_PAD);
    if (!c->buf)
        return OTS_ENOMEM;
    memset(c->buf, '\n', CSV_PAD);
    c->started = 1;
    while (c->end < 3 && !c->eof) {
        int rc = fill(c);
        if (rc < 0)
            return rc;
    }
    if (c->end >= 3 && memcmp(c->buf, "\xEF\xBB\xBF", 3) == 0)
        c->pos = 3;
    return OTS_OK;
}

static int grow_fields(ots_csv *c)
{
    size_t n = c->fcap ? c->fcap * 2 : 16;
    ots_csv_field *f = ots_realloc(c->fields, n * sizeof *f);
    if (!f)
        return OTS_ENOMEM;
    c->fields = f;
    c->fcap = n;
    return OTS_OK;
}

/* Where a malformed record leaves the reader. */
typedef struct scan_err {
    uint64_t line; /* where the fault is */
    size_t col;
    const char *reason;   /* NULL: the field is longer than max_field */
    size_t resync;        /* buffer offset from which to look for the next '\n' */
    uint64_t resync_line; /* line number of buf[resync] */
} scan_err;

static uint32_t col32(size_t col) { return col > UINT32_MAX ? UINT32_MAX : (uint32_t)col; }

/*
 * Finding the next interesting byte.  With SSE2 (every x86-64) 16 bytes are
 * compared at once; otherwise a class table is used.  Either way the '\n'
 * sentinel at buf[end] stops the search, so there is no bounds check, and
 * the vector loads stay inside the CSV_PAD bytes after it.
 */
typedef struct finder {
#if CSV_SSE2
    __m128i delim, quote, lf, cr;
#endif
    const uint8_t *cls;  /* C_* per byte */
    const uint8_t *qcls; /* 1 for the quote and '\n' */
} finder;

/* Bit i set: p[i] is a delimiter, quote, '\n' or '\r' (i < 16, or
 * fewer bits without SSE2). */
static inline unsigned block_mask(const finder *f, const uint8_t *p)
{
#if CSV_SSE2
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, f->delim), _mm_cmpeq_epi8(v, f->quote)),
                             _mm_or_si128(_mm_cmpeq_epi8(v, f->lf), _mm_cmpeq_epi8(v, f->cr)));
    return (unsigned)_mm_movemask_epi8(m);
#else
    unsigned m = 0;
    for (int i = 0; i < 8; i++)
        m |= (unsigned)(f->cls[p[i]] != 0) << i;
    return m;
#endif
}

#if CSV_SSE2
#define BLOCK 16
#else
#define BLOCK 8
#endif

/* The next quote or '\n' at or after p. */
static inline const uint8_t *find_quoted(const finder *f, const uint8_t *p)
{
#if CSV_SSE2
    for (;;) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, f->quote), _mm_cmpeq_epi8(v, f->lf));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
#else
    while (!f->qcls[*p])
        p++;
    return p;
#endif
}

/*
 * Scan one record starting at buf[pos] (not a blank line).  Returns 1 with
 * *nf fields in c->fields (not yet terminated or unescaped), *esc set if a
 * quoted field holds "", *rec_end (offset just past the record terminator)
 * and *lines (newlines consumed, terminator included); SCAN_NEED if the
 * record runs past the data and more may come; SCAN_ERROR with *e filled.
 *
 * Unquoted fields are found from a bit mask of the interesting bytes in the
 * current 16-byte block: a field costs a count-trailing-zeros, not a load
 * per byte.  Invariant: mask holds the bits of [blk, blk + BLOCK) at
 * positions >= p.
 */
static int scan(ots_csv *c, size_t *nf_out, size_t *rec_end, uint64_t *lines, int *esc, scan_err *e)
{
    const uint8_t *b = (const uint8_t *)c->buf;
    const uint8_t *p = b + c->pos, *end = b + c->end;
    const uint8_t *ls = p; /* start of the current line */
    const uint8_t quote = c->quote, delim = c->delim;
    const size_t max_field = c->max_field;
    const int eof = c->eof;
    uint64_t line = c->line;
    size_t nf = 0;
    finder fd;
#if CSV_SSE2
    fd.delim = _mm_set1_epi8((char)delim);
    fd.quote = _mm_set1_epi8((char)quote);
    fd.lf = _mm_set1_epi8('\n');
    fd.cr = _mm_set1_epi8('\r');
#endif
    fd.cls = c->cls;
    fd.qcls = c->qcls;

    const uint8_t *blk = p;
    unsigned mask = block_mask(&fd, p);
    int any_esc = 0;

    for (;;) {
        if (nf == c->fcap && grow_fields(c) < 0)
            return SCAN_NOMEM;
        ots_csv_field *fl = &c->fields[nf++];
        const uint8_t *fs = p;
        fl->p = (const char *)fs;
        fl->col = col32((size_t)(fs - ls) + 1);
        if (*p != quote || p == end) {
            /* unquoted: up to the delimiter or the end of the line; a CR
             * not followed by LF is an ordinary byte */
            for (;;) {
                while (!mask) {
                    blk += BLOCK;
                    mask = block_mask(&fd, blk);
                }
                p = blk + __builtin_ctz(mask);
                mask &= mask - 1;
                if (*p == '\r' && p + 1 < end && p[1] != '\n')
                    continue;
                break;
            }
            fl->len = (size_t)(p - fs);
            fl->quoted = 0;
            if (fl->len > max_field) {
                *e = (scan_err){line, (size_t)(fs - ls) + 1, NULL, (size_t)(fs - b), line};
                return SCAN_ERROR;
            }
            if (*p == delim) { /* never the sentinel: that is '\n' */
                p++;
                continue;
            }
            if (*p == quote) {
                *e = (scan_err){line, (size_t)(p - ls) + 1, "quote in unquoted field", (size_t)(p - b), line};
                return SCAN_ERROR;
            }
            /* '\n', "\r\n", a '\r' at the end of the data, or the end */
            if (p == end || (*p == '\r' && p + 1 == end)) {
                if (!eof)
                    return SCAN_NEED;
                p = end;
                goto record_end;
            }
            p += *p == '\r' ? 2 : 1;
            line++;
            goto record_end;
        }
        /* quoted */
        const uint8_t *q = p + 1, *qls = ls;
        uint64_t qline = line;
        for (;;) {
            q = find_quoted(&fd, q);
            if (q == end) {
                if ((size_t)(q - fs) - 1 > max_field) {
                    *e = (scan_err){qline, (size_t)(fs - qls) + 1, NULL, (size_t)(fs - b), qline};
                    return SCAN_ERROR;
                }
                if (!eof)
                    return SCAN_NEED;
                *e = (scan_err){qline, (size_t)(fs - qls) + 1, "unterminated quoted field", (size_t)(fs - b), qline};
                return SCAN_ERROR;
            }
            if (*q == '\n') {
                line++;
                ls = ++q;
                continue;
            }
            if (q + 1 == end && !eof)
                return SCAN_NEED; /* is it "" split by the end of the data? */
            if (q[1] == quote && q + 1 < end) {
                any_esc = 1;
                q += 2;
                continue;
            }
            break;
        }
        fl->p = (const char *)fs + 1;
        fl->len = (size_t)(q - fs - 1);
        fl->quoted = 1;
        if (fl->len > max_field) {
            *e = (scan_err){qline, (size_t)(fs - qls) + 1, NULL, (size_t)(fs - b), qline};
            return SCAN_ERROR;
        }
        p = q + 1;
        if (*p == delim && p < end) {
            p++;
            blk = p;
            mask = block_mask(&fd, p);
            continue;
        }
        if (p == end)
            goto record_end; /* eof: the NEED case returned above */
        if (*p == '\n') {
            p++;
            line++;
            goto record_end;
        }
        if (*p == '\r') {
            if (p + 1 == end) {
                if (!eof)
                    return SCAN_NEED;
                p++;
                goto record_end;
            }
            if (p[1] == '\n') {
                p += 2;
                line++;
                goto record_end;
            }
        }
        *e = (scan_err){line, (size_t)(p - ls) + 1, "characters after closing quote", (size_t)(p - b), line};
        return SCAN_ERROR;
    }
record_end:
    *esc = any_esc;
    *nf_out = nf;
    *rec_end = (size_t)(p - b);
    *lines = line - c->line;
    return 1;
}

/* After a malformed record: skip to the line after the fault. */
static void resync(ots_csv *c, const scan_err *e)
{
    const char *from = c->buf + e->resync;
    const char *nl = memchr(from, '\n', (size_t)(c->buf + c->end - from));
    c->line = e->resync_line + 1;
    if (nl) {
        c->pos = (size_t)(nl + 1 - c->buf);
    } else {
        c->pos = c->end;
        c->skip_pending = !c->eof;
    }
}

static int skip_line(ots_csv *c)
{
    while (c->skip_pending) {
        const char *nl = memchr(c->buf + c->pos, '\n', c->end - c->pos);
        if (nl) {
            c->pos = (size_t)(nl + 1 - c->buf);
            c->skip_pending = 0;
            break;
        }
        c->pos = c->end;
        if (c->eof) {
            c->skip_pending = 0;
            break;
        }
        int rc = fill(c);
        if (rc < 0)
            return rc;
    }
    return OTS_OK;
}

int ots_csv_next(ots_csv *c, const ots_csv_field **fields, size_t *nfields)
{
    int rc;
    *fields = NULL;
    *nfields = 0;
    if (c->io_err)
        return OTS_EIO;
    if (!c->started && (rc = start(c)) < 0)
        return rc;
    c->buf[c->end] = '\n'; /* the last record's NUL may have overwritten it */
    if (c->skip_pending && (rc = skip_line(c)) < 0)
        return rc;
    for (;;) {
        /* blank lines */
        if (c->pos == c->end) {
            if (c->eof)
                return 0;
            if ((rc = fill(c)) < 0)
                return rc;
            continue;
        }
        char ch = c->buf[c->pos];
        if (ch == '\n') {
            c->pos++;
            c->line++;
            continue;
        }
        if (ch == '\r' && c->pos + 1 == c->end && !c->eof) {
            if ((rc = fill(c)) < 0)
                return rc;
            continue;
        }
        if (ch == '\r' && c->pos + 1 == c->end) { /* a final lone CR */
            c->pos++;
            continue;
        }
        if (ch == '\r' && c->buf[c->pos + 1] == '\n') {
            c->pos += 2;
            c->line++;
            continue;
        }
        size_t nf = 0, rec_end = 0;
        uint64_t lines = 0;
        int esc = 0;
        scan_err e;
        c->rec_line = c->line;
        rc = scan(c, &nf, &rec_end, &lines, &esc, &e);
        if (rc == SCAN_NEED) {
            rc = fill(c);
            if (rc == OTS_ELIMIT) {
                set_err(c, "%s:%llu:1: record longer than %zu bytes", c->name, (unsigned long long)c->line,
                        c->max_record);
                e = (scan_err){c->line, 1, NULL, c->pos, c->line};
                resync(c, &e);
                return OTS_EINVAL;
            }
            if (rc < 0)
                return rc;
            continue;
        }
        if (rc == SCAN_NOMEM)
            return OTS_ENOMEM;
        if (rc == SCAN_ERROR) {
            if (e.reason)
                set_err(c, "%s:%llu:%zu: %s", c->name, (unsigned long long)e.line, e.col, e.reason);
            else
                set_err(c, "%s:%llu:%zu: field longer than max_field (%zu bytes)", c->name, (unsigned long long)e.line,
                        e.col, c->max_field);
            resync(c, &e);
            return OTS_EINVAL;
        }
        /* complete: terminate and unescape in place */
        ots_csv_field *fl = c->fields;
        for (size_t i = 0; i < nf; i++)
            ((char *)fl[i].p)[fl[i].len] = 0;
        if (esc) {
            const char qc = (char)c->quote;
            for (size_t i = 0; i < nf; i++) {
                if (!fl[i].quoted || !memchr(fl[i].p, qc, fl[i].len))
                    continue;
                char *r = (char *)fl[i].p, *w = r, *lim = r + fl[i].len;
                while (r < lim) {
                    char x = *r++;
                    *w++ = x;
                    if (x == qc)
                        r++;
                }
                *w = 0;
                fl[i].len = (size_t)(w - fl[i].p);
            }
        }
        c->pos = rec_end;
        c->line += lines;
        *fields = c->fields;
        *nfields = nf;
        return 1;
    }
}
