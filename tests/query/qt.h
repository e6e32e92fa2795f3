/* qt.h — helpers shared by the query tests: a scratch store, running SQL and
 * rendering results as text for exact comparisons. */
#ifndef OTS_TEST_QT_H
#define OTS_TEST_QT_H
#include "ots.h"
#include "tests/testutil.h"

typedef struct qt_store {
    char dir[512];
    ots_store *s;
} qt_store;

void qt_open(qt_store *t, const char *tag);
void qt_close(qt_store *t);
/* Run every statement of sql; fail the test on an error.  Returns the
 * rendered rows of the last statement with rows: a header line of column
 * names, then one line per row, values separated by '|' (NULL as "NULL",
 * doubles with %g, timestamps as UTC ISO-8601).  Caller frees. */
char *qt_run(ots_store *s, const char *sql);
/* Run sql expecting failure of its first statement with code rc; returns
 * ots_errmsg (static copy). */
const char *qt_fail(ots_store *s, const char *sql, int rc);
/* Status of the last statement of the last qt_run. */
const char *qt_status(void);
int run_parse_tests(void);
int run_stmt_tests(void);
int run_select_tests(void);
int run_oom_tests(void);

/* assert helper */
#define QT_EQ(s, sql, want)                \
    do {                                   \
        char *got_ = qt_run((s), (sql));   \
        assert_string_equal(got_, (want)); \
        free(got_);                        \
    } while (0)
#endif
