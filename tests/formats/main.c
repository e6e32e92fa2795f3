/* test_formats — the formats/ module's unit tests (one runner per topic file). */
#include "tests/testutil.h"

int run_util_tests(void);
int run_tz_tests(void);
int run_timestamp_tests(void);
int run_csv_tests(void);
int run_chunk_tests(void);

int main(void)
{
    int failed = 0;
    failed += run_util_tests();
    failed += run_tz_tests();
    failed += run_timestamp_tests();
    failed += run_csv_tests();
    failed += run_chunk_tests();
    return failed;
}
