/* tb_h5.h: the project's only door to HDF5 (h5.c is the one file that includes <hdf5.h>): open a file, read numeric
 * datasets converted to float or int32, and write small datasets (used by the tests to make inputs, and by the
 * results store); for the results store: groups, attributes, SWMR, and extendible chunked compound tables
 * ("tables") appended row by row and read back column by column. HDF5's own error printing is switched off; every
 * failure is a TB_ERR_* with a detail naming the file and the dataset. A corrupt or non-HDF5 file is an error,
 * never a crash. Tested by tests/test_data_load.c, tests/test_data_load_bin.c and tests/test_store.c. */
#ifndef TB_H5_H
#define TB_H5_H
#include "tb_api.h"
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TB_H5_MAX_RANK 8

typedef struct tb_h5_file tb_h5_file; /* an open HDF5 file (opaque) */

typedef enum { TB_H5_F32, TB_H5_F64, TB_H5_I32, TB_H5_I64, TB_H5_U8, TB_H5_STR, TB_H5_U64 } tb_h5_type;

typedef struct tb_h5_info {
  int rank;                     /* number of dimensions */
  size_t dims[TB_H5_MAX_RANK];  /* extent of each dimension */
  int is_integer;               /* 1: an integer class */
  int is_float;                 /* 1: a floating-point class (neither: strings, compounds, ...) */
} tb_h5_info;

/* Opens path read-only. TB_ERR_IO when it cannot be read, TB_ERR_FORMAT when it is not an HDF5 file.
 * *out is owned by the caller (tb_h5_close). */
TB_API int tb_h5_open(const char *path, tb_h5_file **out);
/* Creates path (replacing any file there) for writing. */
int tb_h5_create(const char *path, tb_h5_file **out);
/* Closes the file; NULL is a no-op. Returns TB_OK or TB_ERR_IO when pending writes fail. */
TB_API int tb_h5_close(tb_h5_file *f);

/* Shape and class of dataset `name`; TB_ERR_NOT_FOUND when there is no such dataset. */
TB_API int tb_h5_info_get(tb_h5_file *f, const char *name, tb_h5_info *out);

/* Reads dataset `name`, which must have `rank` dimensions and an integer or float class, converted to float.
 * *data (malloc'ed, owned by the caller) is row-major; dims[0..rank) receive the shape. */
int tb_h5_read_float(tb_h5_file *f, const char *name, int rank, float **data, size_t *dims);
/* Same for an integer class, converted to int32 (values outside int32 are TB_ERR_RANGE). */
int tb_h5_read_int32(tb_h5_file *f, const char *name, int rank, int32_t **data, size_t *dims);

/* Writes dataset `name` of the given type and shape from data (row-major; for TB_H5_STR, an array of
 * const char * strings stored as variable-length strings). */
int tb_h5_write(tb_h5_file *f, const char *name, tb_h5_type type, int rank, const size_t *dims, const void *data);

/* ---- results store: files, groups, attributes ------------------------------------------------------------- */
/* Creates path (replacing any file there) in the latest format (HDF5 >= 1.10 readers), required for SWMR. */
int tb_h5_create_latest(const char *path, tb_h5_file **out);
/* Opens an existing latest-format file for writing (not SWMR yet). */
int tb_h5_open_rw(const char *path, tb_h5_file **out);
/* Opens for reading while another process may be writing it in SWMR mode; falls back to tb_h5_open. */
TB_API int tb_h5_open_live(const char *path, tb_h5_file **out);
/* Reads every dataset of path whole (a SWMR-readable open, as tb_h5_open_live): TB_OK, or TB_ERR_FORMAT naming the
 * first object that cannot be read ("damaged HDF5 file: cannot read 'x' (checksum ...)"), in bounded time. Run
 * before handing a file to another reader that would retry longer (the report's h5py). */
int tb_h5_check(const char *path);
/* Switches a writable file to SWMR writing: from now on only table appends (and flushes); no new groups,
 * datasets or attributes (close and tb_h5_open_rw again for those). Open tables must be closed first. */
int tb_h5_swmr_start(tb_h5_file *f);
/* Flushes HDF5's buffers to the OS (readers and a killed writer's file then hold every appended row). */
int tb_h5_flush(tb_h5_file *f);
int tb_h5_group_create(tb_h5_file *f, const char *path);
/* Names of the links in group `path` (sorted by name); *names and each name are malloc'ed (tb_h5_strs_free). */
TB_API int tb_h5_children(tb_h5_file *f, const char *path, char ***names, size_t *n);
TB_API void tb_h5_strs_free(char **s, size_t n);
/* Writes (replacing) attribute `name` of object `obj` ("/" or a group or dataset path). n = 0: a scalar, else a 1-d
 * array of n. TB_H5_STR: variable-length strings; data is one const char * (scalar) or an array of them. */
int tb_h5_attr_write(tb_h5_file *f, const char *obj, const char *name, tb_h5_type type, size_t n, const void *data);
/* Reads a string attribute (scalar, fixed or variable length) into *out (malloc'ed). */
TB_API int tb_h5_attr_read_str(tb_h5_file *f, const char *obj, const char *name, char **out);
/* Reads a 1-d (or scalar) string attribute into *out (tb_h5_strs_free). */
TB_API int tb_h5_attr_read_strs(tb_h5_file *f, const char *obj, const char *name, char ***out, size_t *n);
/* Reads a numeric attribute converted to double: at most max values into out, *n = its element count. */
TB_API int tb_h5_attr_read_f64(tb_h5_file *f, const char *obj, const char *name, double *out, size_t max, size_t *n);

/* ---- results store: tables (1-d extendible chunked compound datasets) -------------------------------------- */
/* A column: F64, I64, U64, or STR (fixed length str_len bytes, NUL-terminated when shorter). */
/* The most columns of one table (a trials table has 18 fixed ones, one per parameter and one per objective). */
#define TB_H5_MAX_COLS 1024
typedef struct tb_h5_col {
  const char *name;
  tb_h5_type type;
  size_t str_len; /* STR only */
} tb_h5_col;
/* Packed in-memory row layout used by tb_h5_table_append: offsets[i] of each column; returns the row size. */
size_t tb_h5_row_layout(int n_cols, const tb_h5_col *cols, size_t *offsets);

typedef struct tb_h5_table tb_h5_table; /* an open table for appending (opaque) */
/* Creates an empty table at path with chunks of chunk_rows rows. */
int tb_h5_table_create(tb_h5_file *f, const char *path, int n_cols, const tb_h5_col *cols, size_t chunk_rows);
/* Opens it for appending rows laid out as tb_h5_row_layout says; cols must match the creation's. */
int tb_h5_table_open(tb_h5_file *f, const char *path, int n_cols, const tb_h5_col *cols, tb_h5_table **out);
int tb_h5_table_append(tb_h5_table *t, size_t n_rows, const void *rows);
/* Rewrites row index (< the table's length) with row (one packed row, as for append). */
int tb_h5_table_write_at(tb_h5_table *t, size_t index, const void *row);
void tb_h5_table_close(tb_h5_table *t); /* NULL is a no-op */

/* Columns of the compound dataset at path: *cols (tb_h5_cols_free) with names malloc'ed; integer columns are
 * I64 or U64, floats F64, strings STR with their length. *n_rows: its length. */
TB_API int tb_h5_table_columns(tb_h5_file *f, const char *path, int *n_cols, tb_h5_col **cols, size_t *n_rows);
TB_API void tb_h5_cols_free(tb_h5_col *cols, int n_cols);
/* Reads column `col` of n_rows rows into out, converted to type: F64 (double), I64 (int64_t), U64 (uint64_t) or
 * STR (char * each, malloc'ed: free them). n_rows must be the table's length from tb_h5_table_columns. */
TB_API int tb_h5_table_read_col(tb_h5_file *f, const char *path, const char *col, tb_h5_type type, size_t n_rows,
                         void *out);

#ifdef __cplusplus
}
#endif
#endif
