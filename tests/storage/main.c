/* test_storage — the storage module's unit tests. */
#include "tests/testutil.h"

int run_store_tests(void);
int run_registry_tests(void);
int run_crash_tests(void);
int run_corrupt_tests(void);
int run_golden_tests(void);
int run_oom_tests(void);
int run_threads_tests(void);

int main(void)
{
    int failed = 0;
    failed += run_store_tests();
    failed += run_registry_tests();
    failed += run_crash_tests();
    failed += run_corrupt_tests();
    failed += run_golden_tests();
    failed += run_oom_tests();
    failed += run_threads_tests();
    return failed;
}
