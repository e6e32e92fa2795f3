/* test_query — the query module's unit tests. */
#include "tests/testutil.h"

int run_parse_tests(void);
int run_stmt_tests(void);
int run_select_tests(void);
int run_oom_tests(void);

int main(void)
{
    int failed = 0;
    failed += run_parse_tests();
    failed += run_stmt_tests();
    failed += run_select_tests();
    failed += run_oom_tests();
    return failed;
}
