/*
 * alloc.c — the ots_malloc family every libots allocation goes through, with
 * a fault-injection hook so tests can make the Nth allocation fail (as
 * SQLite's OOM tests and CRoaring's memory hooks do).  libots never aborts on
 * out-of-memory: callers turn NULL into OTS_ENOMEM.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ots.h"

static _Atomic uint64_t fail_countdown; /* 0 = disarmed; 1 = the next allocation fails */
static _Atomic int fail_sticky;         /* keep failing once triggered */
static _Atomic int failing;             /* triggered and sticky */

void ots_alloc_fail_after(uint64_t n, int sticky)
{
    atomic_store(&failing, 0);
    atomic_store(&fail_sticky, sticky);
    atomic_store(&fail_countdown, n);
}

static int should_fail(void)
{
    if (atomic_load(&failing))
        return 1;
    uint64_t c = atomic_load(&fail_countdown);
    if (c == 0)
        return 0;
    if (atomic_fetch_sub(&fail_countdown, 1) == 1) {
        if (atomic_load(&fail_sticky))
            atomic_store(&failing, 1);
        return 1;
    }
    return 0;
}

void *ots_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *ots_calloc(size_t n, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *ots_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void ots_free(void *p) { free(p); }

char *ots_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = ots_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}
