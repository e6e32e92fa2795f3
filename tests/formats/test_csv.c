/* test_csv.c — the streaming RFC 4180 reader: quoting, line endings, BOM,
 * errors with line:col and resynchronisation, records spanning buffer
 * refills, file sources, a real data file. */
#include <stdlib.h>
#include <unistd.h>

#include "formats/formats.h"
#include "tests/testutil.h"

int run_csv_tests(void);

/* ---- a transcript of everything a reader returns --------------------------- */
typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_put(sbuf *s, const char *p, size_t n)
{
    if (s->n + n + 1 > s->cap) {
        s->cap = (s->n + n + 1) * 2;
        s->p = realloc(s->p, s->cap);
    }
    memcpy(s->p + s->n, p, n);
    s->n += n;
    s->p[s->n] = 0;
}

static void sb_printf(sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *s, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    sb_put(s, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Records as "L<line>:[<col><q?>]<field>|...\n", errors as "E<line>:<msg>\n". */
static char *transcript(ots_csv *c)
{
    sbuf s = {0};
    sb_put(&s, "", 0);
    for (;;) {
        const ots_csv_field *f;
        size_t n;
        int rc = ots_csv_next(c, &f, &n);
        if (rc == 0)
            break;
        if (rc == OTS_EINVAL) {
            sb_printf(&s, "E%llu:%s\n", (unsigned long long)ots_csv_line(c), ots_csv_error(c));
            continue;
        }
        assert_int_equal(rc, 1);
        sb_printf(&s, "L%llu:", (unsigned long long)ots_csv_line(c));
        for (size_t i = 0; i < n; i++) {
            assert_true(f[i].p[f[i].len] == 0);
            sb_printf(&s, "[%u%s]", f[i].col, f[i].quoted ? "q" : "");
            sb_put(&s, f[i].p, f[i].len);
            sb_put(&s, "|", 1);
        }
        sb_put(&s, "\n", 1);
    }
    return s.p;
}

static char *run_mem(const char *in, size_t len, const ots_csv_opts *o, size_t bufsize)
{
    ots_csv *c = NULL;
    /* an exact-size heap copy, so ASan catches any read past the input */
    char *copy = malloc(len ? len : 1);
    memcpy(copy, in, len);
    assert_int_equal(ots_csv_open_mem(copy, len, "t", o, &c), OTS_OK);
    if (bufsize)
        ots_csv_set_buffer_size(c, bufsize);
    char *t = transcript(c);
    ots_csv_close(c);
    free(copy);
    return t;
}

static void expect(const char *in, const ots_csv_opts *o, const char *want)
{
    /* the same transcript whatever the buffer size */
    static const size_t sizes[] = {0, 4, 5, 7, 13, 64};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *got = run_mem(in, strlen(in), o, sizes[i]);
        if (strcmp(got, want) != 0)
            print_error("buffer %zu, input:\n%s\n--- got:\n%s--- want:\n%s", sizes[i], in, got, want);
        assert_string_equal(got, want);
        free(got);
    }
}

static void basic_records(void **state)
{
    (void)state;
    expect("a,b,c\n1,22,333\n", NULL, "L1:[1]a|[3]b|[5]c|\nL2:[1]1|[3]22|[6]333|\n");
    expect("a,,c\n,\n", NULL, "L1:[1]a|[3]|[4]c|\nL2:[1]|[2]|\n");
    expect("x", NULL, "L1:[1]x|\n");
    expect("x,", NULL, "L1:[1]x|[3]|\n");
    expect("", NULL, "");
    expect("a b , c\t\n", NULL, "L1:[1]a b |[6] c\t|\n");
}

static void quoting(void **state)
{
    (void)state;
    expect("\"a,b\",\"c\"\"d\",e\n", NULL, "L1:[1q]a,b|[7q]c\"d|[14]e|\n");
    expect("\"\",x,\"\"\n", NULL, "L1:[1q]|[4]x|[6q]|\n");
    expect("\"\"\"\"\n", NULL, "L1:[1q]\"|\n");
    expect("\"a\"\"\"\"b\"\n", NULL, "L1:[1q]a\"\"b|\n");
    expect("\"x\"", NULL, "L1:[1q]x|\n");
    expect("\"x\",", NULL, "L1:[1q]x|[5]|\n");
    /* embedded newlines: the record's line is where it starts; columns
     * count from the start of the physical line */
    expect("1,\"line1\nline2\",3\n4,5,6\n", NULL, "L1:[1]1|[3q]line1\nline2|[8]3|\nL3:[1]4|[3]5|[5]6|\n");
    expect("\"a\r\nb\"\r\nc\r\n", NULL, "L1:[1q]a\r\nb|\nL3:[1]c|\n");
    expect("\"\n\n\n\",x\ny\n", NULL, "L1:[1q]\n\n\n|[3]x|\nL5:[1]y|\n");
}

static void line_endings(void **state)
{
    (void)state;
    expect("a,b\r\nc,d\r\n", NULL, "L1:[1]a|[3]b|\nL2:[1]c|[3]d|\n");
    expect("a,b\nc,d", NULL, "L1:[1]a|[3]b|\nL2:[1]c|[3]d|\n");
    expect("a,b\r\nc,d\r", NULL, "L1:[1]a|[3]b|\nL2:[1]c|[3]d|\n");
    expect("\"a\"\r\n\"b\"\r", NULL, "L1:[1q]a|\nL2:[1q]b|\n");
    /* blank lines (LF or CRLF) are skipped and counted */
    expect("\n\na\n\r\n\nb\n\n", NULL, "L3:[1]a|\nL6:[1]b|\n");
    expect("\r\n\r\n", NULL, "");
    /* a CR not followed by LF is an ordinary byte */
    expect("a\rb,c\n", NULL, "L1:[1]a\rb|[5]c|\n");
    expect("\rx\n", NULL, "L1:[1]\rx|\n");
}

static void bom_skipped(void **state)
{
    (void)state;
    expect("\xEF\xBB\xBFts,x\n1,2\n", NULL, "L1:[1]ts|[4]x|\nL2:[1]1|[3]2|\n");
    expect("\xEF\xBB\xBF", NULL, "");
    expect("\xEF\xBB\xBF\"q\"\n", NULL, "L1:[1q]q|\n");
    /* only at the very start */
    expect("a\n\xEF\xBB\xBF\n", NULL, "L1:[1]a|\nL2:[1]\xEF\xBB\xBF|\n");
}

static void options(void **state)
{
    (void)state;
    ots_csv_opts o;
    ots_csv_opts_init(&o);
    assert_int_equal(o.delimiter, ',');
    assert_int_equal(o.quote, '"');
    assert_true(o.max_field == 16u << 20);
    o.delimiter = ';';
    o.quote = '\'';
    expect("a;'b;''c';\"d\"\n", &o, "L1:[1]a|[3q]b;'c|[11]\"d\"|\n");
    o.delimiter = '\t';
    o.quote = '"';
    expect("a\tb,c\t\"x\ty\"\n", &o, "L1:[1]a|[3]b,c|[7q]x\ty|\n");
    /* bad option combinations */
    ots_csv *c = (ots_csv *)1;
    o.delimiter = '"';
    assert_int_equal(ots_csv_open_mem("", 0, "t", &o, &c), OTS_EINVAL);
    assert_null(c);
    o.delimiter = '\n';
    assert_int_equal(ots_csv_open_mem("", 0, "t", &o, &c), OTS_EINVAL);
    /* zeroed options mean the defaults */
    ots_csv_opts z;
    memset(&z, 0, sizeof z);
    expect("a,\"b\"\n", &z, "L1:[1]a|[3q]b|\n");
}

static void errors_resync(void **state)
{
    (void)state;
    /* a quote inside an unquoted field; the next line is read */
    expect("a,b\n1,x\"y,3\n4,5,6\n", NULL, "L1:[1]a|[3]b|\nE2:t:2:4: quote in unquoted field\nL3:[1]4|[3]5|[5]6|\n");
    /* text after a closing quote */
    expect("\"abc\"x,1\n2,3\n", NULL, "E1:t:1:6: characters after closing quote\nL2:[1]2|[3]3|\n");
    expect("\"abc\" ,1\n2,3\n", NULL, "E1:t:1:6: characters after closing quote\nL2:[1]2|[3]3|\n");
    expect("\"abc\"\rx\n2,3\n", NULL, "E1:t:1:6: characters after closing quote\nL2:[1]2|[3]3|\n");
    /* an unterminated quote at the end of input: reading resumes on the
     * line after the opening quote, so later good lines are not lost */
    expect("a,b\n\"abc,1\n2,3\n", NULL, "L1:[1]a|[3]b|\nE2:t:2:1: unterminated quoted field\nL3:[1]2|[3]3|\n");
    expect("x,\"abc", NULL, "E1:t:1:3: unterminated quoted field\n");
    expect("x,\"abc\n", NULL, "E1:t:1:3: unterminated quoted field\n");
    /* the fault's line is reported even inside a multi-line record */
    expect("1,\"a\nb\"c,2\n3\n", NULL, "E1:t:2:3: characters after closing quote\nL3:[1]3|\n");
    /* several errors in a row, the last line without newline */
    expect("a\"\nb\"\n\"c\"d\ne", NULL,
           "E1:t:1:2: quote in unquoted field\nE2:t:2:2: quote in unquoted field\n"
           "E3:t:3:4: characters after closing quote\nL4:[1]e|\n");
    /* the message is kept until the next error */
    ots_csv *c;
    assert_int_equal(ots_csv_open_mem("a\"\nb\n", 5, "name.csv", NULL, &c), OTS_OK);
    const ots_csv_field *f;
    size_t n;
    assert_int_equal(ots_csv_next(c, &f, &n), OTS_EINVAL);
    assert_string_equal(ots_csv_error(c), "name.csv:1:2: quote in unquoted field");
    assert_true(ots_csv_line(c) == 1);
    assert_int_equal(ots_csv_next(c, &f, &n), 1);
    assert_true(n == 1 && strcmp(f[0].p, "b") == 0);
    assert_true(ots_csv_line(c) == 2);
    assert_int_equal(ots_csv_next(c, &f, &n), 0);
    assert_int_equal(ots_csv_next(c, &f, &n), 0);
    ots_csv_close(c);
}

static void field_limits(void **state)
{
    (void)state;
    ots_csv_opts o;
    ots_csv_opts_init(&o);
    o.max_field = 5;
    expect("abcde,1\nabcdef,1\n2,3\n", &o,
           "L1:[1]abcde|[7]1|\nE2:t:2:1: field longer than max_field (5 bytes)\nL3:[1]2|[3]3|\n");
    expect("1,\"abcdef\",1\n2,3\n", &o, "E1:t:1:3: field longer than max_field (5 bytes)\nL2:[1]2|[3]3|\n");
    /* the limit counts input bytes, before "" is unescaped: 6 here */
    expect("1,\"ab\"\"de\"\n", &o, "E1:t:1:3: field longer than max_field (5 bytes)\n");
    o.max_field = 6;
    expect("1,\"ab\"\"de\"\n", &o, "L1:[1]1|[3q]ab\"de|\n");
    o.max_field = 5;
    /* a long quoted field spanning lines and refills: resume on its second line */
    expect("\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nb\",c\nd\n", &o,
           "E1:t:1:1: field longer than max_field (5 bytes)\nE2:t:2:2: quote in unquoted field\nL3:[1]d|\n");
    /* a long unquoted field with no newline in sight */
    size_t big = 300000;
    char *in = malloc(big + 16);
    memset(in, 'z', big);
    memcpy(in + big, "\nok\n", 5);
    char *t = run_mem(in, strlen(in), &o, 64);
    assert_string_equal(t, "E1:t:1:1: field longer than max_field (5 bytes)\nL2:[1]ok|\n");
    free(t);
    /* a record longer than max(4 * max_field, 1 MiB) made of short fields */
    size_t nrec = 3u << 20;
    char *rec = malloc(nrec + 16);
    for (size_t i = 0; i < nrec; i += 2)
        rec[i] = 'a', rec[i + 1] = ',';
    memcpy(rec + nrec, "a\nok\n", 6);
    t = run_mem(rec, strlen(rec), &o, 0);
    assert_string_equal(t, "E1:t:1:1: record longer than 1048576 bytes\nL2:[1]ok|\n");
    free(t);
    free(rec);
    free(in);
}

/* Records that straddle refills, and records far longer than the buffer. */
static void buffer_boundaries(void **state)
{
    (void)state;
    /* every buffer size from 4 to 80 over a mixed input agrees with the default */
    const char *in = "\xEF\xBB\xBFid,name,note\r\n"
                     "1,\"Smith, John\",\"said \"\"hi\"\"\"\r\n"
                     "\r\n"
                     "2,plain,\"multi\r\nline\nfield\"\r\n"
                     "3,bad\"quote,x\n"
                     "4,\"\",\n"
                     "5,\"unclosed,at the end\n"
                     "6,last";
    char *want = run_mem(in, strlen(in), NULL, 0);
    assert_string_equal(want, "L1:[1]id|[4]name|[9]note|\n"
                              "L2:[1]1|[3q]Smith, John|[17q]said \"hi\"|\n"
                              "L4:[1]2|[3]plain|[9q]multi\r\nline\nfield|\n"
                              "E7:t:7:6: quote in unquoted field\n"
                              "L8:[1]4|[3q]|[6]|\n"
                              "E9:t:9:3: unterminated quoted field\n"
                              "L10:[1]6|[3]last|\n");
    for (size_t bs = 4; bs <= 80; bs++) {
        char *got = run_mem(in, strlen(in), NULL, bs);
        assert_string_equal(got, want);
        free(got);
    }
    free(want);
    /* random inputs over a small alphabet: every buffer size gives the
     * transcript of the default buffer */
    unsigned seed = 1234;
    static const char alpha[] = "ab,\"\n\r,a\"";
    for (int it = 0; it < 1500; it++) {
        size_t n = (size_t)(rand_r(&seed) % 60);
        char s[64];
        for (size_t i = 0; i < n; i++)
            s[i] = alpha[rand_r(&seed) % (sizeof alpha - 1)];
        char *ref = run_mem(s, n, NULL, 0);
        for (size_t bs = 4; bs < 12; bs++) {
            char *got = run_mem(s, n, NULL, bs);
            if (strcmp(got, ref) != 0)
                print_error("input (%zu bytes) differs at buffer %zu:\n%s\nvs\n%s", n, bs, got, ref);
            assert_string_equal(got, ref);
            free(got);
        }
        free(ref);
    }
    /* a field of 1 MB in a 16-byte buffer, quoted with escapes */
    size_t big = 1000000;
    char *b = malloc(big + 64);
    size_t k = 0;
    k += (size_t)sprintf(b, "x,\"");
    for (size_t i = 0; i < big; i++)
        b[k++] = i % 1000 == 999 ? '\n' : (i % 100 == 50 ? '"' : 'q');
    /* the quotes inside come in pairs: double each lone one */
    char *esc = malloc(2 * big + 64);
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        esc[m++] = b[i];
        if (i >= 3 && b[i] == '"')
            esc[m++] = '"';
    }
    m += (size_t)sprintf(esc + m, "\",y\nz\n");
    ots_csv *c;
    assert_int_equal(ots_csv_open_mem(esc, m, "big", NULL, &c), OTS_OK);
    ots_csv_set_buffer_size(c, 16);
    const ots_csv_field *f;
    size_t nf;
    assert_int_equal(ots_csv_next(c, &f, &nf), 1);
    assert_true(nf == 3);
    assert_true(f[1].len == big);
    assert_true(memcmp(f[1].p, b + 3, big) == 0);
    assert_string_equal(f[2].p, "y");
    assert_int_equal(ots_csv_next(c, &f, &nf), 1);
    assert_string_equal(f[0].p, "z");
    assert_true(ots_csv_line(c) == 1 + big / 1000 + 1);
    assert_int_equal(ots_csv_next(c, &f, &nf), 0);
    ots_csv_close(c);
    free(esc);
    free(b);
}

static void file_sources(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("csv");
    char path[4200];
    snprintf(path, sizeof path, "%s/in.csv", dir);
    const char *text = "h1,h2\r\n1,\"a\nb\"\r\n2,c";
    assert_int_equal(tu_write_file(path, text, strlen(text)), 0);
    const char *want = "L1:[1]h1|[4]h2|\nL2:[1]1|[3q]a\nb|\nL4:[1]2|[3]c|\n";

    ots_csv *c = NULL;
    assert_int_equal(ots_csv_open_path(path, NULL, &c), OTS_OK);
    ots_csv_set_buffer_size(c, 5);
    char *t = transcript(c);
    assert_string_equal(t, want);
    free(t);
    ots_csv_close(c);

    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(ots_csv_open_file(f, "stream", NULL, &c), OTS_OK);
    t = transcript(c);
    assert_string_equal(t, want);
    free(t);
    ots_csv_close(c);
    assert_int_equal(fclose(f), 0); /* still open: the reader did not close it */

    /* error messages name the path */
    const char *badtext = "a\nb\"\n";
    assert_int_equal(tu_write_file(path, badtext, strlen(badtext)), 0);
    assert_int_equal(ots_csv_open_path(path, NULL, &c), OTS_OK);
    const ots_csv_field *fl;
    size_t n;
    assert_int_equal(ots_csv_next(c, &fl, &n), 1);
    assert_int_equal(ots_csv_next(c, &fl, &n), OTS_EINVAL);
    char msg[4400];
    snprintf(msg, sizeof msg, "%s:2:2: quote in unquoted field", path);
    assert_string_equal(ots_csv_error(c), msg);
    ots_csv_close(c);

    snprintf(path, sizeof path, "%s/missing.csv", dir);
    c = (ots_csv *)1;
    assert_int_equal(ots_csv_open_path(path, NULL, &c), OTS_ENOTFOUND);
    assert_null(c);
    /* a directory opens but cannot be read */
    assert_int_equal(ots_csv_open_path(dir, NULL, &c), OTS_OK);
    assert_int_equal(ots_csv_next(c, &fl, &n), OTS_EIO);
    assert_non_null(strstr(ots_csv_error(c), "read error"));
    assert_int_equal(ots_csv_next(c, &fl, &n), OTS_EIO);
    ots_csv_close(c);
    ots_csv_close(NULL);
    tu_rmrf(dir);
    free(dir);
}

static void weather_file(void **state)
{
    (void)state;
    const char *path = tu_data_path("weather-seattle-newyork-daily.csv");
    if (access(path, R_OK) != 0) {
        print_message("SKIP: %s not found\n", path);
        skip();
    }
    static const size_t sizes[] = {0, 100, 4096};
    for (size_t si = 0; si < 3; si++) {
        ots_csv *c = NULL;
        assert_int_equal(ots_csv_open_path(path, NULL, &c), OTS_OK);
        if (sizes[si])
            ots_csv_set_buffer_size(c, sizes[si]);
        const ots_csv_field *f;
        size_t n, rows = 0, seattle = 0;
        assert_int_equal(ots_csv_next(c, &f, &n), 1);
        assert_int_equal(n, 7);
        assert_string_equal(f[0].p, "location");
        assert_string_equal(f[6].p, "weather");
        int64_t prev_ts = INT64_MIN;
        int rc;
        while ((rc = ots_csv_next(c, &f, &n)) == 1) {
            rows++;
            assert_int_equal(n, 7);
            assert_true(ots_csv_line(c) == rows + 1);
            int64_t ts;
            ots_fmt_err err;
            assert_int_equal(ots_fmt_ts_parse(f[1].p, f[1].len, NULL, &ts, &err), OTS_OK);
            if (strcmp(f[0].p, "Seattle") == 0) {
                seattle++;
                assert_true(ts > prev_ts);
                prev_ts = ts;
            }
            if (rows == 1) {
                assert_string_equal(f[0].p, "Seattle");
                assert_string_equal(f[1].p, "2012-01-01");
                assert_string_equal(f[6].p, "drizzle");
                assert_true(f[6].col == 37);
            }
        }
        assert_int_equal(rc, 0);
        assert_int_equal(rows, 2922);
        assert_int_equal(seattle, 1461);
        ots_csv_close(c);
    }
}

static void out_of_memory(void **state)
{
    (void)state;
    const char *in = "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t\n1,2\n";
    for (uint64_t k = 1; k < 12; k++) {
        ots_alloc_fail_after(k, 1);
        ots_csv *c = NULL;
        int rc = ots_csv_open_mem(in, strlen(in), "t", NULL, &c);
        size_t got = 0;
        if (rc == OTS_OK) {
            const ots_csv_field *f;
            size_t n;
            while ((rc = ots_csv_next(c, &f, &n)) == 1)
                got++;
            ots_csv_close(c);
        }
        ots_alloc_fail_after(0, 0);
        assert_true(rc == 0 || rc == OTS_ENOMEM);
        if (rc == 0) {
            assert_int_equal(got, 2);
            break;
        }
    }
}

int run_csv_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(basic_records), cmocka_unit_test(quoting),           cmocka_unit_test(line_endings),
        cmocka_unit_test(bom_skipped),   cmocka_unit_test(options),           cmocka_unit_test(errors_resync),
        cmocka_unit_test(field_limits),  cmocka_unit_test(buffer_boundaries), cmocka_unit_test(file_sources),
        cmocka_unit_test(weather_file),  cmocka_unit_test(out_of_memory),
    };
    return cmocka_run_group_tests_name("formats/csv", tests, NULL, NULL);
}
