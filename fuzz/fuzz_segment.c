/*
 * fuzz_segment.c — segment open + scan (storage/segment.c, storage/scan.c)
 * on untrusted bytes written as the only segment of a partition.
 *
 * Byte 0 odd: the footer checksum and every chunk checksum are recomputed
 * first (when the tail and directory are readable), so the footer parser
 * and the chunk decoders see the hostile bytes.  Tag postings are only read
 * in the unrepaired mode: ots deserialises CRoaring postings only from a
 * footer whose checksum matched (CRoaring 0.2.66 is unsafe on crafted
 * bitmaps, DEPENDENCIES.md trap 2), so repairing checksums would test the
 * library's known bug, not ots.
 */
#include "fuzz/fuzz_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *SEG = "hot/m/c1/z1/2024-03-01/seg-0000000000000001-0000000000000001.ots";

/* Recompute chunk hashes (walking the footer's column directory) and the
 * footer hash.  Leaves the bytes alone where they cannot be walked. */
static void repair(uint8_t *p, size_t n)
{
    if (n < 16 + 32)
        return;
    uint64_t foff = ots_le64_get(p + n - 32);
    uint32_t flen = ots_le32_get(p + n - 24);
    if (foff > n || flen > n - foff || foff + flen + 32 != n)
        return;
    uint8_t *f = p + foff;
    size_t o = 4 + 4 + 8 + 8 + 8 + 4 + 8 + 8 + 8;
    uint32_t ncols = flen >= 8 ? ots_le32_get(f + 4) : 0;
    for (int k = 0; k < 2; k++) { /* city, zone */
        if (o + 2 > flen)
            return;
        o += 2 + ots_le16_get(f + o);
    }
    for (uint32_t c = 0; c < ncols && c < 64; c++) {
        if (o + 2 > flen)
            break;
        size_t nl = f[o + 1];
        size_t e = o + 2 + nl;
        if (e + 8 + 4 + 8 > flen)
            break;
        uint64_t coff = ots_le64_get(f + e);
        uint32_t clen = ots_le32_get(f + e + 8);
        if (coff <= foff && clen <= foff - coff)
            ots_le64_put(f + e + 12, ots_fmt_hash64(p + coff, clen));
        o = e + 8 + 4 + 8 + 4 + 8 + 8 + 8 + 8 + 3;
    }
    ots_le64_put(p + n - 16, ots_fmt_hash64(f, flen));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_setup();
    if (size < 1)
        return 0;
    uint8_t *buf = malloc(size);
    memcpy(buf, data + 1, size - 1);
    int fix = data[0] & 1;
    if (fix)
        repair(buf, size - 1);
    fz_write(SEG, buf, size - 1);
    free(buf);
    fz_open_scan(!fix);
    fz_reset();
    return 0;
}
