/*
 * replay.c — drive a fuzz target without libFuzzer: call
 * LLVMFuzzerTestOneInput once on every file named in argv, or on every file
 * of each directory named (sorted by name; names starting with '.' skipped;
 * no recursion).  `make check` replays each committed corpus this way
 * (fuzz/corpus/<target>/), so every crash input ever found stays a
 * regression test — with SANITIZE=address,undefined as well.
 *
 * Each input is copied into a buffer of exactly its size, so a sanitizer
 * build catches an overread as libFuzzer would.  Prints the count of inputs
 * run; exits 0, or 1 if an argument cannot be read (a target that finds a
 * bug aborts by itself).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Run the target on one file; 0 or -1 (message printed). */
static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    int ret = -1;

    if (!f) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? 2 * cap : 4096;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                fprintf(stderr, "replay: %s: out of memory\n", path);
                goto out_close;
            }
            buf = nb;
            cap = ncap;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0)
            break;
    }
    if (ferror(f)) {
        fprintf(stderr, "replay: %s: read error\n", path);
        goto out_close;
    }
    {
        /* exact-size copy: one byte past the end is outside the allocation */
        uint8_t *exact = malloc(len ? len : 1);
        if (!exact) {
            fprintf(stderr, "replay: %s: out of memory\n", path);
            goto out_close;
        }
        if (len)
            memcpy(exact, buf, len);
        LLVMFuzzerTestOneInput(exact, len);
        free(exact);
    }
    ret = 0;
out_close:
    fclose(f);
    free(buf);
    return ret;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Run every regular file of directory dir; adds to *count.  0 or -1. */
static int run_dir(const char *dir, unsigned long *count)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    int ret = 0;

    if (!d) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            char **nn = realloc(names, ncap * sizeof *nn);
            if (!nn) {
                ret = -1;
                break;
            }
            names = nn;
            cap = ncap;
        }
        names[n] = strdup(e->d_name);
        if (!names[n]) {
            ret = -1;
            break;
        }
        n++;
    }
    closedir(d);
    if (ret < 0)
        fprintf(stderr, "replay: %s: out of memory\n", dir);
    if (n)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n && ret == 0; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *path = malloc(len);
        struct stat st;
        if (!path) {
            ret = -1;
            break;
        }
        snprintf(path, len, "%s/%s", dir, names[i]);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(path) < 0)
                ret = -1;
            else
                (*count)++;
        }
        free(path);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return ret;
}

int main(int argc, char **argv)
{
    unsigned long count = 0;
    int failed = 0;

    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) < 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            failed = 1;
        } else if (S_ISDIR(st.st_mode)) {
            if (run_dir(argv[i], &count) < 0)
                failed = 1;
        } else if (run_file(argv[i]) < 0) {
            failed = 1;
        } else {
            count++;
        }
    }
    printf("replay: %lu inputs ran\n", count);
    return failed;
}
