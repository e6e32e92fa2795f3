/*
 * ots.h — the public API of libots, the embedded time-series store.
 *
 * This header is the manual: every declaration carries its contract.
 * A store is one directory (layout in docs/formats/README.md).  Tables hold
 * rows of (ts, tags…, fields…); rows are partitioned by table / city / zone /
 * local day and kept in immutable compressed segment files, with a
 * write-ahead log in front of them.
 *
 * Conventions (as in lmdb.h and zstd.h):
 *  - Functions return OTS_OK (0) or a negative OTS_E… code; ots_strerror()
 *    names the code and ots_errmsg() gives the detail (file, offset, row,
 *    column) of the last error on a handle.
 *  - Objects are opaque handles; closing or freeing NULL is a no-op.
 *  - Whoever creates frees.  Pointers returned by a handle stay valid until
 *    the call named in each contract.
 *  - Thread safety: one ots_store may be used from several threads; appends
 *    are serialised internally and share fsyncs (group commit).  An ots_scan
 *    belongs to the thread that opened it.
 */
#ifndef OTS_H
#define OTS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OTS_VERSION_MAJOR 0
#define OTS_VERSION_MINOR 1
#define OTS_VERSION_PATCH 0
#define OTS_VERSION_STRING "0.1.0"

/* ---- result codes: the numbers never change ------------------------------ */
enum {
    OTS_OK = 0,
    OTS_ERROR = -1,      /* unspecified failure (see ots_errmsg) */
    OTS_ENOMEM = -2,     /* out of memory; the operation changed nothing */
    OTS_EIO = -3,        /* an OS call failed (errno in the message) */
    OTS_ECORRUPT = -4,   /* bytes on disk failed validation: file and offset in the message */
    OTS_ELOCKED = -5,    /* the store is locked by another process */
    OTS_EINVAL = -6,     /* bad argument or bad input data (row and column in the message) */
    OTS_ENOTFOUND = -7,  /* no such table, city, zone or file */
    OTS_EEXIST = -8,     /* already exists */
    OTS_EFATAL = -9,     /* an earlier WAL write or fsync failed; the store refuses writes */
    OTS_ETYPE = -10,     /* a value does not fit its column's type */
    OTS_EREADONLY = -11, /* store opened read-only */
    OTS_ELIMIT = -12,    /* a configured limit (memory, size) was hit */
    OTS_EBUSY = -13,     /* refused because of existing state (e.g. tz change with data) */
};

/* A static string naming rc ("corrupt data", …).  Never NULL. */
const char *ots_strerror(int rc);

/* ---- types ------------------------------------------------------------------- */
typedef enum ots_type {
    OTS_TIMESTAMP = 1, /* int64 nanoseconds since 1970-01-01T00:00:00Z */
    OTS_TAG = 2,       /* string identifying a series; never NULL */
    OTS_DOUBLE = 3,    /* IEEE-754 binary64 */
    OTS_BIGINT = 4,    /* int64 */
    OTS_BOOLEAN = 5,   /* uint8 0 or 1 */
    OTS_STRING = 6,    /* UTF-8 text field */
} ots_type;

/* "TIMESTAMP", "TAG", … for a valid type; "?" otherwise. */
const char *ots_type_name(ots_type t);

typedef struct ots_store ots_store;
typedef struct ots_scan ots_scan;

/* ---- store -------------------------------------------------------------------- */
typedef enum ots_fsync_policy {
    OTS_FSYNC_ALWAYS = 0,   /* an acknowledged append is on stable storage (default) */
    OTS_FSYNC_INTERVAL = 1, /* the WAL is fsynced every fsync_interval_ms by a thread */
    OTS_FSYNC_OFF = 2,      /* never fsync (the OS decides); for bulk loads and tests */
} ots_fsync_policy;

typedef enum ots_log_level { OTS_LOG_INFO = 0, OTS_LOG_WARN = 1, OTS_LOG_ERROR = 2 } ots_log_level;

typedef struct ots_store_opts {
    ots_fsync_policy fsync;      /* default OTS_FSYNC_ALWAYS */
    uint32_t fsync_interval_ms;  /* for OTS_FSYNC_INTERVAL; default 200 */
    uint32_t flush_rows;         /* a partition buffer holding this many rows is flushed; default 262144 */
    uint32_t flush_age_ms;       /* a buffer older than this is flushed at the next append; default 600000 */
    uint64_t buffer_limit_bytes; /* all buffers together; past it the largest is flushed; default 1 GiB */
    uint32_t wal_segment_bytes;  /* WAL file rotation size; default 64 MiB */
    int read_only;               /* 1: no lock, no WAL, no writes (replays the WAL into memory only) */
    int compact_on_flush;        /* 1 (default): a partition with >= 2 segments is compacted after a flush */
    /* Warnings (a city added without a registry entry, a torn WAL tail cut)
     * and info lines go here; NULL writes them to stderr. */
    void (*log)(void *ctx, ots_log_level level, const char *msg);
    void *log_ctx;
} ots_store_opts;

/* Fill *opts with the defaults above.  The environment variable OTS_IO=pread
 * forces the plain pread reader instead of io_uring. */
void ots_store_opts_init(ots_store_opts *opts);

/*
 * Open the store in directory dir, creating it (and its layout) if absent.
 * A writer takes an exclusive lock on dir/LOCK: a second writer gets
 * OTS_ELOCKED with "store is locked by pid N".  Opening replays the WAL (a
 * torn tail is cut and reported through the log) and finishes any compaction
 * a crash interrupted.  opts may be NULL (defaults).
 * On success *out is the handle; on failure *out is NULL and ots_errmsg(NULL)
 * says why (thread-local).
 */
int ots_store_open(const char *dir, const ots_store_opts *opts, ots_store **out);

/* Flush nothing, sync the WAL, release the lock and free the handle.  The
 * store stays consistent without a checkpoint: unflushed rows are in the WAL.
 * Returns the first error met while syncing (the handle is freed anyway). */
int ots_store_close(ots_store *s);

/* Flush every write buffer to segments (WAL kept for the flushed data only
 * until it is retired).  */
int ots_store_flush(ots_store *s);

/* Flush every buffer, compact every partition with more than one segment,
 * and delete the WAL files no longer needed: afterwards the store holds only
 * catalog and segments.  SQL: CHECKPOINT. */
int ots_store_checkpoint(ots_store *s);

/* The detail of the last error on s (or, for s == NULL, of the last failed
 * ots_store_open on this thread).  Valid until the next call on s. */
const char *ots_errmsg(const ots_store *s);

/* ---- tables --------------------------------------------------------------------- */
typedef struct ots_column_def {
    const char *name; /* [a-z_][a-z0-9_]*, at most 63 bytes */
    ots_type type;
} ots_column_def;

typedef struct ots_option {
    const char *key;   /* e.g. "rollup", "hot", "retain" */
    const char *value; /* e.g. "1h,1d", "30 days" */
} ots_option;

/*
 * Create table `name`.  Exactly one column is `ts` of type OTS_TIMESTAMP;
 * `city` and `zone` must be OTS_TAG columns; at most 64 columns.  options
 * (policies for the lifecycle, kept verbatim) may be NULL/0.
 * Returns OTS_EEXIST if the table exists, OTS_EINVAL for a bad schema.
 * Durable when it returns.
 */
int ots_table_create(ots_store *s, const char *name, const ots_column_def *cols, size_t ncols,
                     const ots_option *options, size_t noptions);

/* Drop a table and delete its data.  OTS_ENOTFOUND if absent. */
int ots_table_drop(ots_store *s, const char *name);

typedef struct ots_table_info {
    const char *name;
    uint32_t id; /* stable id, never reused */
    size_t ncols;
    const ots_column_def *cols; /* schema order */
    size_t noptions;
    const ots_option *options;
} ots_table_info;

/* Look up a table.  The pointers in *out stay valid until the next
 * table_create/table_drop on s. */
int ots_table_get(ots_store *s, const char *name, ots_table_info *out);
size_t ots_table_count(ots_store *s);
int ots_table_at(ots_store *s, size_t i, ots_table_info *out);

/* ---- registry: cities and zones --------------------------------------------------- */
typedef struct ots_city {
    const char *id;   /* the value of the `city` tag */
    const char *name; /* display name; may be NULL (= id) */
    const char *tz;   /* IANA zone ("Europe/London"); NULL or "" = UTC */
    double lat, lon;  /* WGS84 degrees; NaN when unknown */
} ots_city;

/*
 * Insert or replace a city.  The time zone is checked against the system tz
 * database.  Changing the time zone of a city that already has rows is
 * refused with OTS_EBUSY (its days would move); drop or reload its data.
 */
int ots_city_put(ots_store *s, const ots_city *c);
/* Pointers in *out are valid until the next registry change on s. */
int ots_city_get(ots_store *s, const char *id, ots_city *out);
size_t ots_city_count(ots_store *s);
int ots_city_at(ots_store *s, size_t i, ots_city *out);

typedef struct ots_zone {
    const char *city;     /* city id */
    const char *id;       /* the value of the `zone` tag */
    const char *name;     /* display name; may be NULL */
    const char *geometry; /* GeoJSON geometry object text, or NULL */
} ots_zone;

int ots_zone_put(ots_store *s, const ots_zone *z);
int ots_zone_get(ots_store *s, const char *city, const char *id, ots_zone *out);
size_t ots_zone_count(ots_store *s);
int ots_zone_at(ots_store *s, size_t i, ots_zone *out);

/* Load cities from a CSV file with a header naming (in any order) id, name,
 * tz, lat, lon (only id is required).  All or nothing: a bad line fails the
 * load with "file:line:column: reason".  *loaded (may be NULL) gets the count. */
int ots_registry_load_cities_csv(ots_store *s, const char *path, size_t *loaded);

/* Load zones of `city` from a GeoJSON FeatureCollection: each feature's
 * property `id_prop` is the zone id, `name_prop` (may be NULL) its name, and
 * its geometry is kept verbatim.  All or nothing. */
int ots_registry_load_zones_geojson(ots_store *s, const char *path, const char *city, const char *id_prop,
                                    const char *name_prop, size_t *loaded);

/* ---- append --------------------------------------------------------------------------- */
/* One column of a batch.  data points to nrows values of the column's C type:
 *   OTS_TIMESTAMP, OTS_BIGINT: int64_t     OTS_DOUBLE: double
 *   OTS_BOOLEAN: uint8_t (0/1)             OTS_TAG, OTS_STRING: const char * (UTF-8, NUL-terminated)
 * valid: NULL when every value is present, else one byte per row (1 present,
 * 0 NULL).  ts and tags may not be NULL. */
typedef struct ots_vec {
    const void *data;
    const uint8_t *valid;
} ots_vec;

/*
 * Append nrows rows to table: cols holds one ots_vec per schema column, in
 * schema order.  The batch is validated first and applied whole or not at
 * all: a bad row gives OTS_EINVAL/OTS_ETYPE with "row R, column 'c': reason".
 * When it returns OTS_OK the rows are in the WAL (durable under
 * OTS_FSYNC_ALWAYS) and visible to scans.  Rows for a city missing from the
 * registry add it (UTC) with a warning.  Same series + same ts: the later
 * write wins.
 */
int ots_append(ots_store *s, const char *table, const ots_vec *cols, size_t nrows);

/* ---- scan ------------------------------------------------------------------------------ */
typedef struct ots_tag_pred {
    const char *column;        /* a TAG column (city and zone included) */
    const char *const *values; /* column IN (values…) */
    size_t nvalues;
} ots_tag_pred;

typedef struct ots_scan_spec {
    const char *table;
    const char *const *columns; /* columns to return, in this order; NULL = the whole schema */
    size_t ncolumns;
    int64_t ts_min_ns;         /* rows with ts_min_ns <= ts < ts_max_ns */
    int64_t ts_max_ns;         /* INT64_MIN / INT64_MAX for an open range */
    const ots_tag_pred *preds; /* ANDed; prune partitions (city, zone) and rows (postings) */
    size_t npreds;
    uint32_t batch_rows; /* most rows per batch; 0 = 4096 */
} ots_scan_spec;

/* Fill spec with an open range over every column of table. */
void ots_scan_spec_init(ots_scan_spec *spec, const char *table);

/* One column of a result batch.  Exactly the member for its type is set:
 *   i64 (TIMESTAMP, BIGINT), f64 (DOUBLE), b (BOOLEAN), str (TAG, STRING).
 * For TAG and STRING columns codes/dict also describe the values:
 * str[i] == dict[codes[i]] (dictionary valid for the batch).
 * valid is NULL when no value is NULL, else 1 byte per row. */
typedef struct ots_column {
    ots_type type;
    const char *name;
    const int64_t *i64;
    const double *f64;
    const uint8_t *b;
    const char *const *str;
    const uint32_t *codes;
    const char *const *dict;
    size_t dict_size;
    const uint8_t *valid;
} ots_column;

/* A batch: rows of one partition.  Valid until the next ots_scan_next or
 * ots_scan_close. */
typedef struct ots_batch {
    size_t nrows;
    size_t ncols;
    const ots_column *cols;
    const char *city; /* the partition's city and zone */
    const char *zone;
    char day[11]; /* its local day, "YYYY-MM-DD" */
} ots_batch;

/* Open a scan.  Rows come partition by partition (table/city/zone/day,
 * each in (series, ts) order once compacted), only rows matching the spec.
 * Last-write-wins is resolved: a series+ts appears once. */
int ots_scan_open(ots_store *s, const ots_scan_spec *spec, ots_scan **out);

/* Next batch: returns 1 and sets *out, 0 at the end, or a negative error
 * (OTS_ECORRUPT names the segment file and offset). */
int ots_scan_next(ots_scan *sc, const ots_batch **out);

typedef struct ots_scan_stats {
    uint64_t partitions_total;  /* partitions of the table */
    uint64_t partitions_pruned; /* skipped by city / zone / day */
    uint64_t segments_total;    /* segments in kept partitions */
    uint64_t segments_pruned;   /* skipped by min/max ts or tag postings */
    uint64_t rows_read;         /* rows decoded */
    uint64_t rows_returned;
    uint64_t bytes_read; /* segment bytes read from disk */
} ots_scan_stats;

/* Counters so far (EXPLAIN ANALYZE, tests). */
void ots_scan_stats_get(const ots_scan *sc, ots_scan_stats *out);

/* Close the scan; NULL is a no-op. */
void ots_scan_close(ots_scan *sc);

/* ---- partitions (SHOW PARTITIONS, SHOW STORAGE) --------------------------------------- */
typedef struct ots_partition_info {
    const char *table;
    const char *city;
    const char *zone;
    char day[11];         /* local day "YYYY-MM-DD" */
    int64_t day_start_ns; /* its UTC window [start, end): 23, 24 or 25 hours */
    int64_t day_end_ns;
    uint32_t segments;
    uint64_t rows;          /* in segments (after dedup) plus buffered rows */
    uint64_t buffered_rows; /* not yet flushed */
    uint64_t bytes;         /* segment bytes on disk */
    int64_t ts_min_ns, ts_max_ns;
} ots_partition_info;

/* Call fn for each partition of table (all tables when table is NULL), in
 * (table, city, zone, day) order.  fn returning non-zero stops the walk and
 * its value is returned.  Pointers in info are valid during the call. */
int ots_partition_foreach(ots_store *s, const char *table, int (*fn)(void *ctx, const ots_partition_info *info),
                          void *ctx);

/* Per-column storage figures of a table's segments (SHOW STORAGE). */
typedef struct ots_column_storage {
    const char *name;
    ots_type type;
    uint64_t bytes; /* encoded bytes on disk */
    uint64_t values;
    char encodings[64]; /* the encodings used, e.g. "alp+delta+zstd" */
} ots_column_storage;

/* Fill up to cap entries of out (one per schema column) and *n. */
int ots_table_storage(ots_store *s, const char *table, ots_column_storage *out, size_t cap, size_t *n);

/* ---- queries (the SQL dialect: docs/language.md) ------------------------------------------- */
typedef struct ots_query ots_query;

/*
 * Prepare the first statement of sql[0..len) (len may be (size_t)-1 for a
 * NUL-terminated string).  *tail (may be NULL) is set past the statement and
 * its ';', so a caller runs a script statement by statement.  A statement
 * that only changes things (CREATE, DROP, INSERT, COPY, LOAD, CHECKPOINT)
 * runs here and has no result columns; SELECT, SHOW, DESCRIBE and EXPLAIN
 * produce rows through ots_query_next.  An empty statement (only blanks or
 * comments) gives OTS_OK with *out NULL.
 * Errors: OTS_EINVAL for syntax and type errors, with "line L, column C:
 * <what was wrong>, expected <what>" in ots_errmsg(s); a failed statement
 * changes nothing.
 */
int ots_query_prepare(ots_store *s, const char *sql, size_t len, ots_query **out, const char **tail);

/* Result columns: count, names and types (TAG results are OTS_STRING). */
size_t ots_query_ncols(const ots_query *q);
const char *ots_query_col_name(const ots_query *q, size_t i);
ots_type ots_query_col_type(const ots_query *q, size_t i);

/* Next batch of result rows: 1 with *out set, 0 at the end, or a negative
 * error (message in ots_errmsg).  Batches use the ots_batch layout (city,
 * zone and day are NULL); they stay valid until the next call or close. */
int ots_query_next(ots_query *q, const ots_batch **out);

/* The statement's completion text ("CREATE TABLE", "INSERT 3", "COPY 2922
 * (4 rejected, see …)"), valid until ots_query_close. */
const char *ots_query_status(const ots_query *q);

void ots_query_close(ots_query *q);

/* ---- memory ------------------------------------------------------------------------------- */
/* Every libots heap allocation goes through these; they return NULL on
 * failure and libots turns that into OTS_ENOMEM.  */
void *ots_malloc(size_t n);
void *ots_calloc(size_t n, size_t size);
void *ots_realloc(void *p, size_t n);
void ots_free(void *p);
char *ots_strdup(const char *s);
/* Testing hook: make the n-th allocation from now (1-based) and every one
 * after it fail when `sticky`, or only that one otherwise; n == 0 disarms. */
void ots_alloc_fail_after(uint64_t n, int sticky);

#ifdef __cplusplus
}
#endif
#endif /* OTS_H */
