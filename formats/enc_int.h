/*
 * enc_int.h — private to formats/chunk.c and formats/enc_*.c (the column
 * chunk codecs, docs/formats/chunk.md).  Nothing outside those files
 * includes it.
 *
 * It declares:
 *  - the chunk header layout and the shared encode epilogue / decode
 *    prologue (chunk.c): null bitmap, zstd wrapping, header checks;
 *  - the integer block codec (enc_int.c): RAW / CONST / FOR / DELTA / DOD
 *    bodies built from 128-value blocks with a base, a bit width and a few
 *    patched exceptions each.  Integers, timestamps, ALP-scaled doubles and
 *    dictionary codes all use it;
 *  - the per-kind body codecs (enc_float.c, enc_str.c);
 *  - small bit helpers.
 */
#ifndef OTS_ENC_INT_H
#define OTS_ENC_INT_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "formats/formats.h"

/* ---- chunk header (docs/formats/chunk.md §2) -------------------------------- */
#define OTS_CHUNK_VERSION 1
#define OTS_CHUNK_HDR 48 /* fixed header bytes; the null bitmap follows */

/* Column kinds (header byte 1). */
#define OTS_KIND_I64 1
#define OTS_KIND_F64 2
#define OTS_KIND_BOOL 3
#define OTS_KIND_STR 4

/* Header flags (byte 4); other bits must be 0. */
#define OTS_CHUNK_F_NULLS 0x01 /* a null bitmap of ceil(n/8) bytes follows the header */
#define OTS_CHUNK_F_ZSTD 0x02  /* the body is one zstd frame of raw_len bytes content */
#define OTS_CHUNK_F_MASK 0x03

/* Integer block size: values per FOR/DELTA/DOD block (the last may be short). */
#define OTS_ENC_BLOCK 128

/* The most bytes a numeric body (i64, f64) may hold after decompression
 * (chunk.md §3): bounded by the rows, so a hostile raw length cannot make a
 * decoder allocate more.  An ALP body with many exceptions may exceed RAW's
 * 8 bytes a value before zstd; the encoder never writes more than this. */
#define OTS_ENC_NUM_BODY_MAX(nv) ((uint64_t)(nv)*32u + 64u)

/* Parsed chunk header. */
typedef struct ots_enc_hdr {
    uint8_t version;     /* OTS_CHUNK_VERSION */
    uint8_t kind;        /* OTS_KIND_* */
    uint8_t enc;         /* enum ots_fmt_encoding */
    uint8_t inner;       /* integer encoding inside ALP / DICT, else 0 */
    uint8_t flags;       /* OTS_CHUNK_F_* */
    uint32_t n;          /* rows, NULLs included */
    uint32_t null_count; /* rows that are NULL (== zero bits in the bitmap) */
    uint64_t body_len;   /* stored body bytes after the bitmap */
    uint64_t raw_len;    /* body bytes after zstd (== body_len without zstd) */
    uint64_t min_bits;   /* min over non-NULL values (int64 or double bits) */
    uint64_t max_bits;   /* max over non-NULL values */
} ots_enc_hdr;

/* ---- small helpers ------------------------------------------------------------ */
static inline unsigned ots_enc_bitwidth(uint64_t x) { return x ? 64u - (unsigned)__builtin_clzll(x) : 0u; }
/* bytes of the LEB128 varint of x */
static inline size_t ots_enc_vlen(uint64_t x) { return (ots_enc_bitwidth(x | 1) + 6) / 7; }
static inline uint64_t ots_enc_zz(uint64_t x) { return ots_fmt_zigzag((int64_t)x); }
static inline uint64_t ots_enc_unzz(uint64_t z) { return (uint64_t)ots_fmt_unzigzag(z); }

/* Unaligned little-endian 64-bit load (one mov on x86-64). */
static inline uint64_t ots_enc_ld64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}
static inline void ots_enc_st64(uint8_t *p, uint64_t v)
{
#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}
static inline uint64_t ots_enc_dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}
static inline double ots_enc_bitsd(uint64_t u)
{
    double d;
    memcpy(&d, &u, 8);
    return d;
}

/* Fill err (if not NULL) and return OTS_ECORRUPT.  msg says what was expected. */
int ots_enc_fail(ots_fmt_err *err, uint64_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- shared encode epilogue / decode prologue (chunk.c) ------------------------- */

/* One candidate body for the epilogue. */
typedef struct ots_enc_body {
    uint8_t enc;      /* outer encoding */
    uint8_t inner;    /* inner integer encoding (ALP, DICT) or 0 */
    const uint8_t *p; /* body bytes (may be dst + body offset itself) */
    size_t len;       /* body bytes */
    double zest;      /* estimated bytes after zstd (entropy of the symbols), or 0 if unknown */
} ots_enc_body;

/* zstd policy (chunk.md §9).  By default a zstd frame is kept only if it
 * saves at least 1/OTS_ENC_ZSTD_SAVE of the smallest plain body: a frame
 * that saves less costs more in decode speed (zstd roughly doubles the
 * decode time of a bit-packed body) than it gains on disk.  Highly
 * compressible bodies (timestamps, tag and dictionary codes, booleans) save
 * far more and keep it.  OTS_FMT_ZSTD_MAX (archive tier) keeps any frame
 * that is smaller. */
#define OTS_ENC_ZSTD_SAVE 6
/* The largest zstd frame kept over a plain body of `plain` bytes (default policy). */
static inline size_t ots_enc_zstd_keep(size_t plain)
{
    return plain - (plain + OTS_ENC_ZSTD_SAVE - 1) / OTS_ENC_ZSTD_SAVE;
}
/* The entropy estimate of a body after zstd (ots_enc_body.zest) is only an
 * estimate: LZ matches can beat it.  A candidate is skipped only when its
 * estimate exceeds the size it must reach by this factor. */
#define OTS_ENC_ZEST_SLACK 1.03
/* zstd modes derived from the encoder flags: none, the default policy, or ZSTD_MAX. */
enum { OTS_ENC_Z_NONE = 0, OTS_ENC_Z_POLICY = 1, OTS_ENC_Z_MAX = 2 };
static inline int ots_enc_zmode(int flags)
{
    return (flags & OTS_FMT_NO_ZSTD) ? OTS_ENC_Z_NONE : (flags & OTS_FMT_ZSTD_MAX) ? OTS_ENC_Z_MAX : OTS_ENC_Z_POLICY;
}

/* ---- per-thread scratch (chunk.c) ------------------------------------------------
 * Encoders and decoders need working arrays as large as the chunk (dense
 * values, scaled integers, dictionary tables, candidate bodies, zstd output and
 * decompressed bodies).  Allocating them per call costs a page fault per
 * 4 KiB on every chunk, so each thread keeps one buffer per slot, grown as
 * needed and reused; zstd contexts likewise.  Freed when the thread exits
 * (slots over OTS_ENC_WS_KEEP bytes are freed after each call).  A buffer is
 * valid until the next ots_enc_scratch call for the same slot on the same
 * thread; no two live uses within one encode or decode share a slot. */
enum ots_enc_slot {
    OTS_WS_DENSE,    /* encode: non-NULL values gathered */
    OTS_WS_ALT,      /* encode: the zstd-friendly candidate body */
    OTS_WS_ALT2,     /* encode: another one being compared */
    OTS_WS_INT2,     /* encode: a second integer body being compared */
    OTS_WS_Z0,       /* encode: zstd output */
    OTS_WS_Z1,       /* encode: zstd output (the other of two) */
    OTS_WS_ALP_INTS, /* encode: ALP scaled integers */
    OTS_WS_ALP_XPOS, /* encode: ALP exception positions */
    OTS_WS_ALP_XRAW, /* encode: ALP exception bits */
    OTS_WS_AUX,      /* encode: Gorilla body, dictionary codes */
    OTS_WS_DICT,     /* encode: dictionary entries */
    OTS_WS_DTAB,     /* encode: dictionary hash table */
    OTS_WS_BODY,     /* decode: zstd-decompressed body */
    OTS_WS_TAB,      /* decode: ALP quotient table */
    OTS_WS_NSLOT
};
#define OTS_ENC_WS_KEEP ((size_t)16 << 20)
/* A buffer of at least `bytes` for slot (contents undefined), or NULL. */
void *ots_enc_scratch(unsigned slot, size_t bytes);
/* Free the slots grown past OTS_ENC_WS_KEEP (end of every encode/decode). */
void ots_enc_ws_trim(void);

/* Facts about the chunk that the epilogue writes into the header. */
typedef struct ots_enc_info {
    uint8_t kind;        /* OTS_KIND_* */
    uint32_t n;          /* rows */
    uint32_t null_count; /* NULL rows */
    size_t body_off;     /* OTS_CHUNK_HDR + bitmap bytes */
    uint64_t min_bits;   /* header min (int64 or double bits) */
    uint64_t max_bits;   /* header max */
} ots_enc_info;

/* Check the arguments common to every encoder, count NULLs and write the
 * bitmap at dst + OTS_CHUNK_HDR.  Fills info->kind/n/null_count/body_off.
 * Returns OTS_OK or OTS_EINVAL (n over UINT32_MAX, dst too small for bound). */
int ots_enc_begin(uint8_t kind, const uint8_t *valid, size_t n, uint8_t *dst, size_t dst_cap, size_t bound,
                  ots_enc_info *info);

/* Finish a chunk: cand[0] is the best body without zstd; the candidates are
 * also tried under zstd (unless OTS_FMT_NO_ZSTD) and a frame is kept under
 * the policy above (smallest wins).  A candidate whose zest or a trial of a
 * prefix shows it cannot reach the policy's size is not compressed in full.
 * Writes the body at dst + info->body_off and the header; fills st.
 * Returns the chunk's total bytes or OTS_ENOMEM. */
ssize_t ots_enc_finish(const ots_enc_info *info, const ots_enc_body *cand, size_t ncand, int flags, uint8_t *dst,
                       ots_fmt_chunk_stats *st);

/* Gather the non-NULL elements (size bytes each) of v into scratch slot
 * OTS_WS_DENSE (*dense); if there are no NULLs *dense is v itself.
 * Returns OTS_OK or OTS_ENOMEM. */
int ots_enc_gather(const void *v, size_t size, const uint8_t *valid, size_t n, size_t nv, const void **dense);

/* An opened chunk for decoding. */
typedef struct ots_enc_chunk {
    ots_enc_hdr h;
    const uint8_t *bitmap; /* NULL if no NULLs */
    const uint8_t *body;   /* raw (decompressed) body */
    size_t body_len;       /* raw body bytes */
    size_t body_off;       /* offset of the body in the chunk (for err->offset) */
    int unzstd;            /* body is the decompressed copy (scratch slot OTS_WS_BODY) */
    size_t nv;             /* non-NULL rows */
} ots_enc_chunk;

/* Validate the header, lengths and bitmap of a chunk of `kind`, check n <= cap
 * and decompress the body if needed.  Returns OTS_OK, OTS_ECORRUPT (err),
 * OTS_EINVAL (more rows than cap) or OTS_ENOMEM.  On OTS_OK release with
 * ots_enc_close. */
int ots_enc_open(const uint8_t *src, size_t len, uint8_t kind, size_t cap, ots_enc_chunk *c, ots_fmt_err *err);
void ots_enc_close(ots_enc_chunk *c);
/* After a decode error in a zstd body: point err->offset at the body in the
 * input and name the offset within the decompressed body in the message.
 * Returns rc. */
int ots_enc_fix_err(const ots_enc_chunk *c, int rc, ots_fmt_err *err);
/* Fill valid_out (may be NULL) from the bitmap. */
void ots_enc_valid_out(const ots_enc_chunk *c, uint8_t *valid_out);
/* Move the nv dense values at the front of out to their rows, zeroing NULL
 * rows (elements of size 1, 4 or 8 bytes; zero_val for size 4 fills NULL rows). */
void ots_enc_expand(const ots_enc_chunk *c, void *out, size_t size, uint32_t zero_val);

/* ---- integer block codec (enc_int.c) ---------------------------------------------- */

/* Per-block decision: a value x is in range if (x - base) mod 2^64 < 2^w, and
 * is then bit-packed as x - base in w bits; other values are exceptions. */
typedef struct ots_enc_blk {
    int64_t base;
    uint8_t w;
} ots_enc_blk;

/* What ots_enc_int_encode wrote. */
typedef struct ots_enc_int_res {
    int64_t min, max; /* as given */
    uint8_t enc[2];   /* [0] the smallest body, written at dst; [1] the zstd-friendly body, if size[1] */
    size_t size[2];   /* body bytes; size[0] is SIZE_MAX if no body fit in cap; size[1] 0 if there is none */
    uint8_t *alt; /* the zstd-friendly body, in scratch (OTS_WS_ALT or ALT2) after `extra` bytes left for the caller */
    double zest;  /* its estimated bytes after zstd's entropy stage (without the extra bytes) */
} ots_enc_int_res;

/* Smallest and largest of v[0..nv) (0, 0 if nv is 0). */
void ots_enc_minmax(const int64_t *v, size_t nv, int64_t *mn, int64_t *mx);

/* Encode nv integers whose min and max are mn, mx: the smallest of CONST,
 * FOR, DELTA, DOD and RAW goes to dst (capacity cap; if no body fits,
 * size[0] = SIZE_MAX).  With zmode (OTS_ENC_Z_*) other than NONE, a body with
 * widths in {0,1,2,4,8,16,..} that zstd's Huffman stage compresses well may
 * also be written (res->alt): always if it differs (MAX), or (POLICY) only if
 * an estimate says zstd over it could pass the policy.  extra: bytes the
 * caller puts before the integer body (ALP header, dictionary) in both
 * bodies; they count in the policy as incompressible.  Long columns choose
 * their transform on a sample of the blocks.  OTS_OK or OTS_ENOMEM. */
int ots_enc_int_encode(const int64_t *v, size_t nv, int64_t mn, int64_t mx, int zmode, size_t extra, uint8_t *dst,
                       size_t cap, ots_enc_int_res *r);

/* Where decoded integers go (exactly one of i64 / f64 / u32 is set). */
typedef struct ots_enc_sink {
    int64_t *i64;      /* int64 output */
    double *f64;       /* ALP output: (double)(int64)x / div */
    double div;        /* ALP divisor 10^e */
    const double *tab; /* ALP: tab[x - imin] == (double)(int64)x / div for x - imin <= pmask, or NULL */
    uint64_t imin;     /* ALP: smallest integer */
    uint64_t pmask;    /* ALP: 2^k - 1 >= imax - imin; an integer with x - imin > pmask is corrupt */
    uint32_t *u32;     /* dictionary codes, each checked < limit */
    uint64_t limit;    /* for u32 */
} ots_enc_sink;

/* Decode an integer body of encoding enc holding nv values; the body must be
 * exactly len bytes.  off: offset of src in the chunk, for err.  Returns
 * OTS_OK or OTS_ECORRUPT. */
int ots_enc_int_decode(const uint8_t *src, size_t len, uint8_t enc, size_t nv, const ots_enc_sink *sink, uint64_t off,
                       ots_fmt_err *err);

#endif /* OTS_ENC_INT_H */
