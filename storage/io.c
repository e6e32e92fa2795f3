/*
 * io.c — batched reads of segment chunks: io_uring (liburing) when the
 * kernel and container allow it, plain pread otherwise.  OTS_IO=pread in the
 * environment forces the fallback (tests run both paths).  Each thread gets
 * its own ring, created on first use; a ring that cannot be created (EPERM,
 * ENOSYS in many containers) switches that thread to pread for good.
 */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/storage_int.h"

#define RING_DEPTH 64

static _Thread_local struct io_uring ring;
static _Thread_local int ring_state; /* 0 untried, 1 ready, -1 unavailable */

int ots_io_uring_active(void);
int ots_io_uring_active(void)
{
    const char *e = getenv("OTS_IO");
    if (e && !strcmp(e, "pread"))
        return 0;
    if (ring_state == 0)
        ring_state = io_uring_queue_init(RING_DEPTH, &ring, 0) == 0 ? 1 : -1;
    return ring_state == 1;
}

static int pread_full(int fd, uint8_t *buf, size_t len, uint64_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = pread(fd, buf + got, len - got, (off_t)(off + got));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return OTS_EIO;
        }
        if (r == 0)
            return OTS_ECORRUPT; /* file shorter than its footer says */
        got += (size_t)r;
    }
    return OTS_OK;
}

/* Read n ranges of fd into bufs.  Returns OTS_OK, OTS_EIO or OTS_ECORRUPT
 * (short file); *bad gets the index of the failing range. */
int ots_io_read_multi(int fd, size_t n, const uint64_t *off, const uint32_t *len, uint8_t **bufs, size_t *bad);
int ots_io_read_multi(int fd, size_t n, const uint64_t *off, const uint32_t *len, uint8_t **bufs, size_t *bad)
{
    if (n > 1 && ots_io_uring_active()) {
        size_t done = 0;
        while (done < n) {
            size_t batch = n - done < RING_DEPTH ? n - done : RING_DEPTH;
            for (size_t i = 0; i < batch; i++) {
                struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
                if (!sqe)
                    goto fallback;
                io_uring_prep_read(sqe, fd, bufs[done + i], len[done + i], off[done + i]);
                io_uring_sqe_set_data64(sqe, done + i);
            }
            int sub = io_uring_submit_and_wait(&ring, (unsigned)batch);
            if (sub < 0)
                goto fallback;
            for (size_t i = 0; i < batch; i++) {
                struct io_uring_cqe *cqe;
                if (io_uring_wait_cqe(&ring, &cqe) != 0)
                    goto fallback;
                size_t k = (size_t)io_uring_cqe_get_data64(cqe);
                int res = cqe->res;
                io_uring_cqe_seen(&ring, cqe);
                if (res < 0 || (uint32_t)res != len[k]) {
                    /* short read or error: retry this range with pread to classify */
                    int rc = pread_full(fd, bufs[k], len[k], off[k]);
                    if (rc != OTS_OK) {
                        /* drain what is left of this batch before returning */
                        for (size_t q = i + 1; q < batch; q++)
                            if (io_uring_wait_cqe(&ring, &cqe) == 0)
                                io_uring_cqe_seen(&ring, cqe);
                        *bad = k;
                        return rc;
                    }
                }
            }
            done += batch;
        }
        return OTS_OK;
    }
fallback:
    for (size_t i = 0; i < n; i++) {
        int rc = pread_full(fd, bufs[i], len[i], off[i]);
        if (rc != OTS_OK) {
            *bad = i;
            return rc;
        }
    }
    return OTS_OK;
}
