/*
 * fuzz_wal.c — WAL replay (storage/wal.c) on untrusted bytes written as the
 * store's only WAL file, then a scan of what was replayed.
 *
 * Byte 0 odd: record checksums are recomputed first, walking the frames by
 * their length fields, so the batch decoder sees hostile payloads.
 */
#include "fuzz/fuzz_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *WAL = "wal/0000000000000001.wal";

static void repair(uint8_t *p, size_t n)
{
    size_t o = 24;
    while (o + 16 + 8 <= n) {
        uint32_t len = ots_le32_get(p + o);
        if (len > n - o - 24)
            return;
        ots_le64_put(p + o + 16 + len, ots_fmt_hash64(p + o, 16 + (size_t)len));
        o += 16 + (size_t)len + 8;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_setup();
    if (size < 1)
        return 0;
    uint8_t *buf = malloc(size);
    memcpy(buf, data + 1, size - 1);
    if (data[0] & 1)
        repair(buf, size - 1);
    fz_write(WAL, buf, size - 1);
    free(buf);
    fz_open_scan(1);
    fz_reset(); /* replay may have cut the file or added cities */
    return 0;
}
