/*
 * storage_int.h — private structures of the storage module (store, catalog,
 * WAL, write buffers, segments, scans).  Nothing outside storage/ includes
 * this; the public contract is include/ots.h.
 *
 * Locking: one mutex per store (s->mu) guards the catalog, the partition map
 * and every write buffer.  The WAL has its own sync mutex so that fsyncs of
 * several appenders are shared (group commit).  Segment objects are
 * refcounted so a scan can keep reading a segment that compaction replaced;
 * the file is unlinked when the last reference goes.
 */
#ifndef OTS_STORAGE_INT_H
#define OTS_STORAGE_INT_H

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>

#include "formats/formats.h"
#include "ots.h"

#define OTS_MAX_COLS 64
#define OTS_NAME_MAX 63
/* Most rows in one segment (a larger partition keeps several segments). */
#define OTS_SEG_MAX_ROWS (1u << 27)

/* ---- growable arrays, string pool ------------------------------------------- */

/* Interns strings: id -> string, string -> id.  Ids are dense from 0. */
typedef struct strpool {
    char **str;    /* id -> NUL-terminated copy */
    uint32_t *len; /* id -> length */
    uint32_t n, cap;
    uint32_t *slots; /* open addressing: id + 1, 0 = empty */
    uint32_t nslots; /* power of two */
    uint64_t bytes;  /* total string bytes held */
} strpool;

void ots_pool_init(strpool *p);
void ots_pool_fini(strpool *p);
/* Intern s (len bytes); returns its id or -1 on ENOMEM. */
int64_t ots_pool_intern(strpool *p, const char *s, uint32_t len);
/* Lookup only; -1 if absent. */
int64_t ots_pool_find(const strpool *p, const char *s, uint32_t len);

/* ---- catalog --------------------------------------------------------------- */
typedef struct tbl {
    uint32_t id;
    char *name;
    size_t ncols;
    ots_column_def *cols; /* names owned */
    size_t nopts;
    ots_option *opts; /* owned */
    int ts_col;       /* index of ts */
    int city_col, zone_col;
    int ntags; /* TAG columns, city and zone included */
    int tag_cols[OTS_MAX_COLS];
    int tag_slot[OTS_MAX_COLS]; /* column index -> position in tag tuple, or -1 */
} tbl;

typedef struct city {
    char *id, *name, *tz_name;
    double lat, lon;
    ots_tz *tz; /* loaded; NULL = UTC */
} city;

typedef struct zone {
    char *city, *id, *name, *geometry;
} zone;

typedef struct catalog {
    uint64_t generation; /* bumped at every durable write */
    uint32_t next_table_id;
    tbl **tables;
    size_t ntables, cap_tables;
    city **cities; /* sorted by id */
    size_t ncities, cap_cities;
    zone **zones; /* sorted by (city, id) */
    size_t nzones, cap_zones;
} catalog;

/* ---- write buffers (rowbuf) -------------------------------------------------
 * Rows of one partition in columnar form.  Tags are not stored per row: each
 * row has a series id, and the series table holds the tag tuple as pool ids.
 * STRING fields hold pool ids too, so the pool is the batch dictionary. */
typedef struct rcol {
    void *data;     /* int64_t, double, uint8_t or uint32_t (pool id) per row; NULL for ts/tags */
    uint8_t *valid; /* NULL while every row is present */
} rcol;

typedef struct rowbuf {
    const tbl *t;
    size_t ncols; /* t->ncols, kept so a rowbuf outliving its table frees cleanly */
    strpool pool;
    uint32_t nseries, cap_series;
    uint32_t *series_tags;  /* nseries * t->ntags pool ids */
    uint32_t *series_slots; /* hash: sid + 1 */
    uint32_t nslots;
    size_t n, cap;
    uint32_t *sid;
    int64_t *ts;
    rcol cols[OTS_MAX_COLS];
    uint64_t min_lsn, max_lsn; /* WAL records whose rows are here (0 = none) */
    uint64_t touched_lsn;      /* last batch that added rows (rollback bookkeeping) */
    int64_t ts_min, ts_max;
    uint64_t created_ms;
} rowbuf;

int ots_rowbuf_init(rowbuf *b, const tbl *t);
void ots_rowbuf_fini(rowbuf *b);
size_t ots_rowbuf_bytes(const rowbuf *b);
/* Ensure room for n more rows. */
int ots_rowbuf_reserve(rowbuf *b, size_t more);
/* Series id for a tuple of pool ids (t->ntags of them), adding it. -1 ENOMEM. */
int64_t ots_rowbuf_series(rowbuf *b, const uint32_t *tag_ids);
/* Set row r's field column c to NULL (allocating the valid array). */
int ots_rowbuf_set_null(rowbuf *b, int c, size_t r);
/* Sort rows by (series tags in string order, ts, arrival) and drop all but
 * the last of equal (series, ts).  Produces perm[0..*n_out).  perm is
 * allocated (ots_free). */
int ots_rowbuf_sort_dedup(const rowbuf *b, uint32_t **perm, size_t *n_out);

/* ---- segments (docs/formats/segment.md) -------------------------------------- */
typedef struct segcol {
    uint8_t type;  /* ots_type */
    uint64_t off;  /* chunk offset in file */
    uint32_t len;  /* chunk bytes */
    uint64_t hash; /* XXH3 of the chunk bytes */
    ots_fmt_chunk_stats st;
} segcol;

typedef struct segdict {
    int col;          /* schema column of the TAG */
    uint32_t n;       /* distinct values, sorted */
    const char **val; /* into seg->footer */
    uint32_t *vlen;
    uint64_t *post_off; /* offsets of the roaring postings in footer */
    uint32_t *post_len;
    uint32_t nowned; /* val[0..nowned) are owned copies */
} segdict;

typedef struct seg {
    int refs;
    int obsolete; /* replaced by compaction: unlink at last unref */
    char *path;
    uint64_t seq_lo, seq_hi;
    uint64_t lsn_hi;
    uint32_t nrows;
    int64_t ts_min, ts_max;
    uint64_t file_bytes;
    uint32_t ncols;
    segcol *cols; /* schema order */
    uint32_t ndicts;
    segdict *dicts;
    uint8_t *footer; /* footer bytes, owned */
    uint32_t footer_len;
} seg;

/* Write rows perm[0..n) of b (sorted, deduplicated) as a segment file at
 * path (via path.tmp, fsync, rename, fsync of the directory). */
int ots_seg_write(struct ots_store *s, const rowbuf *b, const uint32_t *perm, size_t n, const char *path,
                  uint64_t seq_lo, uint64_t seq_hi, uint64_t lsn_hi, int64_t day, const char *city, const char *zone,
                  int zstd_flags);
/* Open a segment: read and verify its footer. */
int ots_seg_open(struct ots_store *s, const tbl *t, const char *path, seg **out);
void ots_seg_unref(struct ots_store *s, seg *g);
/* Read the chunk of column c into a malloc'd buffer and verify its hash. */
int ots_seg_read_chunk(struct ots_store *s, const seg *g, int c, uint8_t **buf);
/* Read several chunks at once (io_uring when available). bufs[i] malloc'd. */
int ots_seg_read_chunks(struct ots_store *s, const seg *g, const int *cols, int ncols, uint8_t **bufs);
/* Postings of dictionary entry k of dict d (deserialised roaring bitmap). */
struct roaring_bitmap_s;
int ots_seg_postings(struct ots_store *s, const seg *g, const segdict *d, uint32_t k, struct roaring_bitmap_s **out);
const segdict *ots_seg_dict(const seg *g, int col);
/* Load all rows of a segment into rowbuf b (appending), all columns. */
int ots_seg_load_rowbuf(struct ots_store *s, const tbl *t, const seg *g, rowbuf *b);

/* ---- partitions -------------------------------------------------------------- */
typedef struct part {
    const tbl *t; /* NULL after the table is dropped */
    uint32_t table_id;
    const char *city; /* interned in s->names */
    const char *zone;
    int64_t day;
    int64_t day_start_ns, day_end_ns;
    char *dir;  /* hot/<table>/<city>/<zone>/<yyyy-mm-dd> */
    seg **segs; /* sorted by seq_lo */
    size_t nsegs, cap_segs;
    rowbuf *buf;          /* NULL when empty */
    uint64_t flushed_lsn; /* rows of WAL records <= this are in segments */
    uint64_t next_seq;
} part;

/* ---- WAL (docs/formats/wal.md) ------------------------------------------------- */
typedef struct walfile {
    uint64_t first_lsn;
    char *path;
} walfile;

typedef struct wal {
    int fd; /* current file, -1 if none open */
    uint64_t file_bytes;
    walfile *files; /* oldest first; last is current */
    size_t nfiles, cap_files;
    uint64_t next_lsn;
    uint64_t written_lsn;    /* last lsn written */
    uint64_t synced_lsn;     /* last lsn known durable */
    pthread_mutex_t sync_mu; /* one fsync at a time; covers every lsn written before it */
    pthread_mutex_t fd_mu;   /* guards fd and written_lsn against rotation */
    pthread_t thread;        /* interval fsync */
    int thread_running;
    int stop;
    pthread_cond_t cond;
    uint8_t *rec; /* encode buffer */
    size_t rec_cap;
    uint64_t bytes_written;
} wal;

/* ---- the store ----------------------------------------------------------------- */
struct ots_store {
    char *dir;
    ots_store_opts opts;
    int lock_fd;
    int fatal; /* a WAL write/fsync failed: refuse writes */
    pthread_mutex_t mu;
    catalog cat;
    strpool names; /* interned city/zone names for partitions */
    part **parts;  /* hash table by (table, city, zone, day) */
    size_t nparts, cap_parts;
    part *last_part; /* append fast path */
    wal w;
    uint64_t buffered_bytes;
    uint64_t last_age_check_ms;
    uint64_t drop_gen; /* bumped by every DROP TABLE (open scans check it) */
    int use_uring;     /* 0 = pread */
    void *uring;       /* struct io_uring *, lazily set up */
    pthread_mutex_t err_mu;
    char err[512];
    void *pcache;        /* append's pointer -> pool id cache (append.c) */
    uint32_t pcache_gen; /* bumped per append: older entries never match */
};

/* errors */
int ots_set_err(struct ots_store *s, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void ots_log(struct ots_store *s, ots_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
uint64_t ots_now_ms(void);

/* file helpers */
int ots_mkdir_p(const char *path);
int ots_fsync_dir(const char *dir);
int ots_write_file_atomic(const char *path, const void *buf, size_t len);
char *ots_path_join(const char *a, const char *b);
/* escape a tag value for use as a directory name (percent-encoding) */
char *ots_path_escape(const char *v);
char *ots_path_unescape(const char *v);
int ots_rmrf(const char *path);

/* catalog */
void ots_catalog_init(catalog *c);
void ots_catalog_fini(catalog *c);
int ots_catalog_load(struct ots_store *s);
int ots_catalog_save(struct ots_store *s);
tbl *ots_catalog_table(catalog *c, const char *name);
tbl *ots_catalog_table_by_id(catalog *c, uint32_t id);
city *ots_catalog_city(catalog *c, const char *id);
/* add a city in UTC (append path); city must be absent */
int ots_catalog_add_city_utc(struct ots_store *s, const char *id, city **out);
int ots_tbl_finish(tbl *t); /* compute ts_col, tags… ; OTS_EINVAL on bad schema */
void ots_tbl_free(tbl *t);

/* partitions */
int ots_part_get(struct ots_store *s, const tbl *t, const char *city, const char *zone, int64_t day, int create,
                 part **out);
int ots_parts_discover(struct ots_store *s); /* scan hot/ at open */
int ots_part_flush(struct ots_store *s, part *p);
int ots_part_compact(struct ots_store *s, part *p);
int ots_flush_all(struct ots_store *s);
void ots_part_free(struct ots_store *s, part *p);
/* sorted list of partitions of table (all if NULL): ots_free the array */
int ots_parts_sorted(struct ots_store *s, const tbl *t, part ***out, size_t *n);
int64_t ots_city_day(const city *c, int64_t ts_ns, int64_t *start, int64_t *end);

/* WAL */
int ots_wal_open(struct ots_store *s); /* replays into buffers */
void ots_wal_close(struct ots_store *s);
/* append a record for a batch (s->mu held); sets *lsn */
int ots_wal_append(struct ots_store *s, const tbl *t, const ots_vec *cols, uint32_t *const *lens, size_t nrows,
                   uint64_t *lsn);
int ots_wal_sync(struct ots_store *s, uint64_t lsn); /* s->mu NOT held */
int ots_wal_retire(struct ots_store *s);             /* s->mu held */
int ots_wal_reset(struct ots_store *s);              /* after full flush: delete all */

/* applying a validated batch to buffers (append and replay) */
int ots_apply_batch(struct ots_store *s, const tbl *t, const ots_vec *cols, uint32_t *const *lens, size_t nrows,
                    uint64_t lsn, int replay);
/* Byte lengths of every TAG/STRING value of a batch (0 for NULL): lens[c]
 * is NULL for other columns.  One allocation, returned in *mem (ots_free). */
int ots_batch_lens(const tbl *t, const ots_vec *cols, size_t nrows, uint32_t **lens, void **mem);
int ots_maybe_flush(struct ots_store *s);

#endif /* OTS_STORAGE_INT_H */
