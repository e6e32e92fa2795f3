/* test_util.c — varints, zigzag, little-endian helpers, allocation hook. */
#include <stdlib.h>

#include "formats/formats.h"
#include "tests/testutil.h"

int run_util_tests(void);

static void varint_round_trip(void **state)
{
    (void)state;
    const uint64_t vals[] = {0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX, (uint64_t)INT64_MAX, UINT64_MAX};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        uint8_t buf[10];
        size_t n = ots_fmt_varint_put(buf, vals[i]);
        uint64_t back = 0;
        assert_int_equal(ots_fmt_varint_get(buf, n, &back), n);
        assert_true(back == vals[i]);
        /* truncated input is refused */
        assert_int_equal(ots_fmt_varint_get(buf, n - 1, &back), 0);
    }
    uint8_t over[11];
    memset(over, 0xff, sizeof over);
    uint64_t v;
    assert_int_equal(ots_fmt_varint_get(over, sizeof over, &v), 0);
}

static void zigzag_extremes(void **state)
{
    (void)state;
    const int64_t vals[] = {0, -1, 1, INT64_MIN, INT64_MAX, -123456789};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        assert_true(ots_fmt_unzigzag(ots_fmt_zigzag(vals[i])) == vals[i]);
    assert_true(ots_fmt_zigzag(-1) == 1);
    assert_true(ots_fmt_zigzag(1) == 2);
}

static void le_helpers(void **state)
{
    (void)state;
    uint8_t b[8];
    ots_le64_put(b, 0x0102030405060708ull);
    assert_int_equal(b[0], 8);
    assert_int_equal(b[7], 1);
    assert_true(ots_le64_get(b) == 0x0102030405060708ull);
    ots_f64_put(b, -0.0);
    double d = ots_f64_get(b);
    assert_true(d == 0.0 && 1 / d < 0);
}

static void alloc_fail_hook(void **state)
{
    (void)state;
    ots_alloc_fail_after(2, 0);
    void *a = ots_malloc(8);
    void *b = ots_malloc(8);
    void *c = ots_malloc(8);
    assert_non_null(a);
    assert_null(b);
    assert_non_null(c);
    ots_free(a), ots_free(c);
    ots_alloc_fail_after(1, 1);
    assert_null(ots_malloc(1));
    assert_null(ots_strdup("x"));
    ots_alloc_fail_after(0, 0);
    char *s = ots_strdup("x");
    assert_string_equal(s, "x");
    ots_free(s);
}

static void strerror_names(void **state)
{
    (void)state;
    assert_string_equal(ots_strerror(OTS_ECORRUPT), "corrupt data");
    assert_string_equal(ots_strerror(12345), "unknown error");
    assert_string_equal(ots_type_name(OTS_TAG), "TAG");
}

int run_util_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(varint_round_trip), cmocka_unit_test(zigzag_extremes), cmocka_unit_test(le_helpers),
        cmocka_unit_test(alloc_fail_hook),   cmocka_unit_test(strerror_names),
    };
    return cmocka_run_group_tests_name("formats/util", tests, NULL, NULL);
}
