/* tb_h5.h: the project's only door to HDF5 (h5.c is the one file that includes <hdf5.h>): open a file, read numeric
 * datasets converted to float or int32, and write small datasets (used by the tests to make inputs, and by the
 * results store). HDF5's own error printing is switched off; every failure is a TB_ERR_* with a detail naming the
 * file and the dataset. A corrupt or non-HDF5 file is an error, never a crash. Tested by tests/test_data_load.c. */
#ifndef TB_H5_H
#define TB_H5_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TB_H5_MAX_RANK 8

typedef struct tb_h5_file tb_h5_file; /* an open HDF5 file (opaque) */

typedef enum { TB_H5_F32, TB_H5_F64, TB_H5_I32, TB_H5_I64, TB_H5_U8, TB_H5_STR } tb_h5_type;

typedef struct tb_h5_info {
  int rank;                     /* number of dimensions */
  size_t dims[TB_H5_MAX_RANK];  /* extent of each dimension */
  int is_integer;               /* 1: an integer class */
  int is_float;                 /* 1: a floating-point class (neither: strings, compounds, ...) */
} tb_h5_info;

/* Opens path read-only. TB_ERR_IO when it cannot be read, TB_ERR_FORMAT when it is not an HDF5 file.
 * *out is owned by the caller (tb_h5_close). */
int tb_h5_open(const char *path, tb_h5_file **out);
/* Creates path (replacing any file there) for writing. */
int tb_h5_create(const char *path, tb_h5_file **out);
/* Closes the file; NULL is a no-op. Returns TB_OK or TB_ERR_IO when pending writes fail. */
int tb_h5_close(tb_h5_file *f);

/* Shape and class of dataset `name`; TB_ERR_NOT_FOUND when there is no such dataset. */
int tb_h5_info_get(tb_h5_file *f, const char *name, tb_h5_info *out);

/* Reads dataset `name`, which must have `rank` dimensions and an integer or float class, converted to float.
 * *data (malloc'ed, owned by the caller) is row-major; dims[0..rank) receive the shape. */
int tb_h5_read_float(tb_h5_file *f, const char *name, int rank, float **data, size_t *dims);
/* Same for an integer class, converted to int32 (values outside int32 are TB_ERR_RANGE). */
int tb_h5_read_int32(tb_h5_file *f, const char *name, int rank, int32_t **data, size_t *dims);

/* Writes dataset `name` of the given type and shape from data (row-major; for TB_H5_STR, an array of
 * const char * strings stored as variable-length strings). */
int tb_h5_write(tb_h5_file *f, const char *name, tb_h5_type type, int rank, const size_t *dims, const void *data);

/* The file name the handle was opened with. */
const char *tb_h5_path(const tb_h5_file *f);

#ifdef __cplusplus
}
#endif
#endif
