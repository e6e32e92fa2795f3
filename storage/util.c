/*
 * util.c — storage helpers: error messages on the store handle, logging,
 * durable file writes (tmp + fsync + rename + directory fsync), path
 * escaping for tag values used as directory names, and the string pool.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storage/storage_int.h"

static _Thread_local char open_err[512];

int ots_set_err(struct ots_store *s, int rc, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (s) {
        pthread_mutex_lock(&s->err_mu);
        memcpy(s->err, tmp, sizeof tmp);
        pthread_mutex_unlock(&s->err_mu);
    }
    memcpy(open_err, tmp, sizeof tmp);
    return rc;
}

const char *ots_errmsg(const ots_store *s)
{
    if (!s)
        return open_err;
    return s->err;
}

void ots_log(struct ots_store *s, ots_log_level lvl, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (s && s->opts.log) {
        s->opts.log(s->opts.log_ctx, lvl, tmp);
        return;
    }
    static const char *names[] = {"info", "warning", "error"};
    fprintf(stderr, "ots: %s: %s\n", names[lvl <= 2 ? lvl : 2], tmp);
}

uint64_t ots_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

char *ots_path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = ots_malloc(la + lb + 2);
    if (!p)
        return NULL;
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + 1, b, lb + 1);
    return p;
}

int ots_mkdir_p(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n >= sizeof tmp)
        return OTS_EINVAL;
    memcpy(tmp, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] == '/' || tmp[i] == 0) {
            char c = tmp[i];
            tmp[i] = 0;
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return OTS_EIO;
            tmp[i] = c;
        }
    }
    return OTS_OK;
}

int ots_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return OTS_EIO;
    int rc = fsync(fd) == 0 ? OTS_OK : OTS_EIO;
    close(fd);
    return rc;
}

int ots_write_file_atomic(const char *path, const void *buf, size_t len)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return OTS_EINVAL;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return OTS_EIO;
    const uint8_t *p = buf;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            goto out_close_fd;
        }
        p += w, left -= (size_t)w;
    }
    if (fsync(fd) != 0)
        goto out_close_fd;
    close(fd);
    if (rename(tmp, path) != 0)
        goto out_unlink;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = 0;
        if (ots_fsync_dir(dir) != OTS_OK)
            return OTS_EIO;
    }
    return OTS_OK;
out_close_fd:
    close(fd);
out_unlink:
    unlink(tmp);
    return OTS_EIO;
}

static int keep_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
}

char *ots_path_escape(const char *v)
{
    size_t n = strlen(v);
    char *o = ots_malloc(n * 3 + 2);
    if (!o)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (keep_char(c) && !(i == 0 && c == '.')) {
            o[k++] = (char)c;
        } else {
            static const char hex[] = "0123456789ABCDEF";
            o[k++] = '%';
            o[k++] = hex[c >> 4];
            o[k++] = hex[c & 15];
        }
    }
    if (n == 0)
        o[k++] = '%'; /* "" -> "%" (never a valid escape otherwise) */
    o[k] = 0;
    return o;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

char *ots_path_unescape(const char *v)
{
    size_t n = strlen(v);
    char *o = ots_malloc(n + 1);
    if (!o)
        return NULL;
    if (strcmp(v, "%") == 0) {
        o[0] = 0;
        return o;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '%' && i + 2 < n + 1 && hexval(v[i + 1]) >= 0 && hexval(v[i + 2]) >= 0) {
            o[k++] = (char)(hexval(v[i + 1]) * 16 + hexval(v[i + 2]));
            i += 2;
        } else {
            o[k++] = v[i];
        }
    }
    o[k] = 0;
    return o;
}

int ots_rmrf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? OTS_OK : OTS_EIO;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d)
            return OTS_EIO;
        struct dirent *e;
        int rc = OTS_OK;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *p = ots_path_join(path, e->d_name);
            if (!p) {
                rc = OTS_ENOMEM;
                break;
            }
            int r = ots_rmrf(p);
            ots_free(p);
            if (r)
                rc = r;
        }
        closedir(d);
        if (rmdir(path) != 0 && rc == OTS_OK)
            rc = OTS_EIO;
        return rc;
    }
    return unlink(path) == 0 ? OTS_OK : OTS_EIO;
}

/* ---- string pool ---------------------------------------------------------- */

static uint32_t hash_str(const char *s, uint32_t len)
{
    /* 8 bytes at a time, then a multiply-xorshift finish: tag values are
     * short and this runs once per appended row */
    uint64_t h = 0x9E3779B97F4A7C15ull ^ len;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
        s += 8;
        len -= 8;
    }
    uint64_t w = 0;
    for (uint32_t i = 0; i < len; i++)
        w |= (uint64_t)(uint8_t)s[i] << (8 * i);
    h = (h ^ w) * 0x94D049BB133111EBull;
    h ^= h >> 29;
    return (uint32_t)h;
}

void ots_pool_init(strpool *p) { memset(p, 0, sizeof *p); }

void ots_pool_fini(strpool *p)
{
    for (uint32_t i = 0; i < p->n; i++)
        ots_free(p->str[i]);
    ots_free(p->str);
    ots_free(p->len);
    ots_free(p->slots);
    memset(p, 0, sizeof *p);
}

static inline int str_eq(const char *a, const char *b, uint32_t len)
{
    /* tag values are short: compare inline instead of calling memcmp */
    for (uint32_t i = 0; i < len; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

int64_t ots_pool_find(const strpool *p, const char *s, uint32_t len)
{
    if (!p->nslots)
        return -1;
    uint32_t mask = p->nslots - 1, i = hash_str(s, len) & mask;
    for (;;) {
        uint32_t v = p->slots[i];
        if (!v)
            return -1;
        if (p->len[v - 1] == len && str_eq(p->str[v - 1], s, len))
            return v - 1;
        i = (i + 1) & mask;
    }
}

static int pool_grow(strpool *p)
{
    uint32_t ns = p->nslots ? p->nslots * 2 : 64;
    uint32_t *slots = ots_calloc(ns, sizeof *slots);
    if (!slots)
        return OTS_ENOMEM;
    for (uint32_t id = 0; id < p->n; id++) {
        uint32_t i = hash_str(p->str[id], p->len[id]) & (ns - 1);
        while (slots[i])
            i = (i + 1) & (ns - 1);
        slots[i] = id + 1;
    }
    ots_free(p->slots);
    p->slots = slots;
    p->nslots = ns;
    return OTS_OK;
}

int64_t ots_pool_intern(strpool *p, const char *s, uint32_t len)
{
    int64_t f = ots_pool_find(p, s, len);
    if (f >= 0)
        return f;
    if ((p->n + 1) * 2 > p->nslots && pool_grow(p) != OTS_OK)
        return -1;
    if (p->n == p->cap) {
        uint32_t nc = p->cap ? p->cap * 2 : 16;
        char **ns = ots_realloc(p->str, nc * sizeof *ns);
        if (!ns)
            return -1;
        p->str = ns;
        uint32_t *nl = ots_realloc(p->len, nc * sizeof *nl);
        if (!nl)
            return -1;
        p->len = nl;
        p->cap = nc;
    }
    char *c = ots_malloc(len + 1);
    if (!c)
        return -1;
    memcpy(c, s, len);
    c[len] = 0;
    uint32_t id = p->n++;
    p->str[id] = c;
    p->len[id] = len;
    p->bytes += len;
    uint32_t mask = p->nslots - 1, i = hash_str(s, len) & mask;
    while (p->slots[i])
        i = (i + 1) & mask;
    p->slots[i] = id + 1;
    return id;
}
