/*
 * fuzz_catalog.c — catalog load (storage/catalog.c) on untrusted bytes.
 *
 * Byte 0 odd: the rest is taken as the JSON body and wrapped in a correct
 * envelope (format 1, length, XXH3), so the body validation is what runs;
 * even: the bytes are the whole file.  The valid catalog is put back after
 * each input.
 */
#include "fuzz/fuzz_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_setup();
    if (size < 1)
        return 0;
    if (data[0] & 1) {
        size_t blen = size - 1;
        char head[128];
        int hl = snprintf(head, sizeof head, "OTSCAT 1 7 %zu %016llx\n", blen,
                          (unsigned long long)ots_fmt_hash64(data + 1, blen));
        uint8_t *buf = malloc((size_t)hl + blen + 1);
        memcpy(buf, head, (size_t)hl);
        memcpy(buf + hl, data + 1, blen);
        buf[hl + blen] = '\n';
        fz_write("catalog/CATALOG", buf, (size_t)hl + blen + 1);
        free(buf);
    } else {
        fz_write("catalog/CATALOG", data + 1, size - 1);
    }
    fz_open_scan(1);
    fz_reset();
    return 0;
}
