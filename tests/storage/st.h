/* st.h — helpers shared by the storage tests: a meter table, row batches. */
#ifndef OTS_TEST_ST_H
#define OTS_TEST_ST_H
#include "ots.h"
#include "tests/testutil.h"

/* meter_readings (ts, city, zone, meter_id TAG, kwh DOUBLE, voltage DOUBLE,
 * status STRING, seq BIGINT, ok BOOLEAN) */
extern const ots_column_def st_meter_cols[9];
#define ST_NCOLS 9

typedef struct st_rows {
    size_t n;
    int64_t *ts;
    const char **city, **zone, **meter, **status;
    double *kwh, *volt;
    int64_t *seq;
    uint8_t *ok;
    uint8_t *kwh_valid;
    char **owned;
    size_t nowned;
} st_rows;

void st_rows_init(st_rows *r, size_t n);
void st_rows_free(st_rows *r);
const char *st_str(st_rows *r, const char *fmt, ...);
void st_vecs(const st_rows *r, ots_vec *v);
ots_store *st_open(const char *dir, ots_fsync_policy pol);
void st_create_meter(ots_store *s);
/* count rows of a scan (all columns); also sum of seq */
size_t st_count(ots_store *s, const ots_scan_spec *spec, int64_t *seq_sum);
void st_quiet_log(void *ctx, ots_log_level l, const char *m);
#endif
