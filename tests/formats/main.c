/* test_formats — the formats/ module's unit tests (one runner per topic file). */
#include "tests/testutil.h"

int run_util_tests(void);

int main(void)
{
    int failed = 0;
    failed += run_util_tests();
    return failed;
}
