/* testutil.h — helpers shared by the cmocka test binaries. */
#ifndef OTS_TESTUTIL_H
#define OTS_TESTUTIL_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* A fresh empty directory under $TMPDIR (or /tmp); remove it with tu_rmrf
 * and free() the returned (malloc'd) path. */
char *tu_mkdtemp(const char *tag);
/* rm -rf path (no symlink following). */
void tu_rmrf(const char *path);
/* Read a whole file into a malloc'd buffer; NULL on failure. */
unsigned char *tu_read_file(const char *path, size_t *len);
int tu_write_file(const char *path, const void *buf, size_t len);
/* Path of a file in ../shared/data or examples/data (whichever exists). */
const char *tu_data_path(const char *name);
#endif
