/*
 * util.c — small shared pieces: result-code and type names, the XXH3
 * checksum used by every framed structure, and LEB128 varints.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "formats/formats.h"

const char *ots_strerror(int rc)
{
    switch (rc) {
    case OTS_OK: return "ok";
    case OTS_ERROR: return "error";
    case OTS_ENOMEM: return "out of memory";
    case OTS_EIO: return "I/O error";
    case OTS_ECORRUPT: return "corrupt data";
    case OTS_ELOCKED: return "store is locked";
    case OTS_EINVAL: return "invalid argument or input";
    case OTS_ENOTFOUND: return "not found";
    case OTS_EEXIST: return "already exists";
    case OTS_EFATAL: return "store failed a durable write and refuses writes";
    case OTS_ETYPE: return "type mismatch";
    case OTS_EREADONLY: return "store is read-only";
    case OTS_ELIMIT: return "limit exceeded";
    case OTS_EBUSY: return "refused: existing state";
    default: return "unknown error";
    }
}

const char *ots_type_name(ots_type t)
{
    switch (t) {
    case OTS_TIMESTAMP: return "TIMESTAMP";
    case OTS_TAG: return "TAG";
    case OTS_DOUBLE: return "DOUBLE";
    case OTS_BIGINT: return "BIGINT";
    case OTS_BOOLEAN: return "BOOLEAN";
    case OTS_STRING: return "STRING";
    }
    return "?";
}

uint64_t ots_fmt_hash64(const void *p, size_t n) { return XXH3_64bits(p, n); }

size_t ots_fmt_varint_put(uint8_t *p, uint64_t v)
{
    size_t i = 0;
    while (v >= 0x80) {
        p[i++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[i++] = (uint8_t)v;
    return i;
}

size_t ots_fmt_varint_get(const uint8_t *p, size_t avail, uint64_t *v)
{
    uint64_t r = 0;
    for (size_t i = 0; i < avail && i < 10; i++) {
        uint64_t b = p[i];
        if (i == 9 && b > 1)
            return 0; /* more than 64 bits */
        r |= (b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = r;
            return i + 1;
        }
    }
    return 0;
}
