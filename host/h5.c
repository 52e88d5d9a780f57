/* h5.c: the HDF5 wrapper declared in tb_h5.h; the only file of the project that includes <hdf5.h>. Reads numeric
 * datasets through HDF5's own type conversion (to native float, or to 64-bit integers then range-checked to int32)
 * and writes plain contiguous datasets. HDF5's automatic error printing is off: failures come back as TB_ERR_* with
 * the file, the dataset and HDF5's innermost message. Not here: groups, attributes, chunking, compression.
 * Tested by tests/test_data_load.c (good files, missing dataset, wrong rank, string class, non-HDF5 file). */
#include "tb_h5.h"

#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tb_error.h"

struct tb_h5_file {
  hid_t id;
  char *path;
};

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data) {
  (void)n;
  if (e->desc && *e->desc) snprintf(data, 160, "%s", e->desc); /* keeps the innermost (last walked) */
  return 0;
}

/* HDF5's innermost error description of the failed call ("" if none), then clears its stack. */
static const char *h5_msg(char buf[160]) {
  buf[0] = '\0';
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_cb, buf);
  H5Eclear2(H5E_DEFAULT);
  return buf;
}

static int h5_quiet(void) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  return 0;
}

static int wrap(const char *path, hid_t id, tb_h5_file **out) {
  tb_h5_file *f = calloc(1, sizeof *f);
  char *p = strdup(path);
  if (!f || !p) {
    free(f);
    free(p);
    H5Fclose(id);
    return tb_error_set(TB_ERR_NOMEM, "%s: out of host memory", path);
  }
  f->id = id;
  f->path = p;
  *out = f;
  return TB_OK;
}

int tb_h5_open(const char *path, tb_h5_file **out) {
  char msg[160];
  *out = NULL;
  h5_quiet();
  if (access(path, R_OK)) return tb_error_set(TB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
#if H5_VERSION_GE(1, 12, 0)
  htri_t is = H5Fis_accessible(path, H5P_DEFAULT);
#else
  htri_t is = H5Fis_hdf5(path);
#endif
  if (is == 0) return tb_error_set(TB_ERR_FORMAT, "%s: not an HDF5 file", path);
  if (is < 0) return tb_error_set(TB_ERR_FORMAT, "%s: cannot read as HDF5: %s", path, h5_msg(msg));
  hid_t id = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) return tb_error_set(TB_ERR_FORMAT, "%s: corrupt HDF5 file: %s", path, h5_msg(msg));
  return wrap(path, id, out);
}

int tb_h5_create(const char *path, tb_h5_file **out) {
  char msg[160];
  *out = NULL;
  h5_quiet();
  hid_t id = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) return tb_error_set(TB_ERR_IO, "%s: cannot create HDF5 file: %s", path, h5_msg(msg));
  return wrap(path, id, out);
}

int tb_h5_close(tb_h5_file *f) {
  if (!f) return TB_OK;
  char msg[160];
  int rc = TB_OK;
  if (H5Fclose(f->id) < 0) rc = tb_error_set(TB_ERR_IO, "%s: closing failed: %s", f->path, h5_msg(msg));
  free(f->path);
  free(f);
  return rc;
}

const char *tb_h5_path(const tb_h5_file *f) { return f->path; }

/* Opens dataset `name`; fills info. *dset >= 0 on success (the caller closes it). */
static int open_dataset(tb_h5_file *f, const char *name, hid_t *dset, tb_h5_info *info) {
  char msg[160];
  hid_t type = -1, space = -1;
  int rc = TB_OK;
  *dset = -1;
  memset(info, 0, sizeof *info);
  h5_quiet();
  htri_t exists = H5Lexists(f->id, name, H5P_DEFAULT);
  if (exists <= 0) {
    h5_msg(msg);
    TB_FAIL(TB_ERR_NOT_FOUND, "%s: no dataset '%s'", f->path, name);
  }
  if ((*dset = H5Dopen2(f->id, name, H5P_DEFAULT)) < 0)
    TB_FAIL(TB_ERR_FORMAT, "%s: '%s' is not a readable dataset: %s", f->path, name, h5_msg(msg));
  if ((type = H5Dget_type(*dset)) < 0 || (space = H5Dget_space(*dset)) < 0)
    TB_FAIL(TB_ERR_FORMAT, "%s: dataset '%s': cannot read its type or shape: %s", f->path, name, h5_msg(msg));
  H5T_class_t cls = H5Tget_class(type);
  info->is_integer = cls == H5T_INTEGER;
  info->is_float = cls == H5T_FLOAT;
  int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0 || rank > TB_H5_MAX_RANK)
    TB_FAIL(TB_ERR_FORMAT, "%s: dataset '%s': unsupported dataspace (rank %d)", f->path, name, rank);
  hsize_t d[TB_H5_MAX_RANK];
  H5Sget_simple_extent_dims(space, d, NULL);
  info->rank = rank;
  for (int i = 0; i < rank; i++) info->dims[i] = (size_t)d[i];
done:
  if (type >= 0) H5Tclose(type);
  if (space >= 0) H5Sclose(space);
  if (rc < 0 && *dset >= 0) {
    H5Dclose(*dset);
    *dset = -1;
  }
  return rc;
}

int tb_h5_info_get(tb_h5_file *f, const char *name, tb_h5_info *out) {
  hid_t dset;
  int rc = open_dataset(f, name, &dset, out);
  if (rc == TB_OK) H5Dclose(dset);
  return rc;
}

static const char *class_name(const tb_h5_info *info) {
  return info->is_integer ? "integer" : info->is_float ? "float" : "non-numeric (string, compound, ...)";
}

/* Opens and checks a dataset for reading: rank, numeric class (integer only when want_int), element count. */
static int open_for_read(tb_h5_file *f, const char *name, int rank, int want_int, hid_t *dset, size_t *count,
                         size_t *dims) {
  tb_h5_info info;
  int rc = open_dataset(f, name, dset, &info);
  if (rc < 0) return rc;
  if (info.rank != rank)
    rc = tb_error_set(TB_ERR_FORMAT, "%s: dataset '%s' has %d dimension%s, expected %d", f->path, name, info.rank,
                      info.rank == 1 ? "" : "s", rank);
  else if (want_int ? !info.is_integer : !(info.is_integer || info.is_float))
    rc = tb_error_set(TB_ERR_FORMAT, "%s: dataset '%s' has %s values, expected %s", f->path, name,
                      class_name(&info), want_int ? "integers" : "numbers");
  size_t n = 1;
  for (int i = 0; rc == TB_OK && i < rank; i++) {
    if (info.dims[i] && n > SIZE_MAX / 8 / info.dims[i])
      rc = tb_error_set(TB_ERR_FORMAT, "%s: dataset '%s' is too large", f->path, name);
    n *= info.dims[i];
    dims[i] = info.dims[i];
  }
  if (rc < 0) {
    H5Dclose(*dset);
    *dset = -1;
  }
  *count = n;
  return rc;
}

int tb_h5_read_float(tb_h5_file *f, const char *name, int rank, float **data, size_t *dims) {
  char msg[160];
  hid_t dset;
  size_t n;
  *data = NULL;
  int rc = open_for_read(f, name, rank, 0, &dset, &n, dims);
  if (rc < 0) return rc;
  float *buf = malloc((n + 1) * sizeof *buf);
  if (!buf) rc = tb_error_set(TB_ERR_NOMEM, "%s: out of host memory for dataset '%s'", f->path, name);
  else if (n && H5Dread(dset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
    rc = tb_error_set(TB_ERR_FORMAT, "%s: dataset '%s': read failed: %s", f->path, name, h5_msg(msg));
  H5Dclose(dset);
  if (rc < 0) free(buf);
  else *data = buf;
  return rc;
}

int tb_h5_read_int32(tb_h5_file *f, const char *name, int rank, int32_t **data, size_t *dims) {
  char msg[160];
  hid_t dset;
  size_t n;
  *data = NULL;
  int rc = open_for_read(f, name, rank, 1, &dset, &n, dims);
  if (rc < 0) return rc;
  long long *wide = malloc((n + 1) * sizeof *wide);
  int32_t *buf = malloc((n + 1) * sizeof *buf);
  if (!wide || !buf) rc = tb_error_set(TB_ERR_NOMEM, "%s: out of host memory for dataset '%s'", f->path, name);
  else if (n && H5Dread(dset, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, wide) < 0)
    rc = tb_error_set(TB_ERR_FORMAT, "%s: dataset '%s': read failed: %s", f->path, name, h5_msg(msg));
  for (size_t i = 0; rc == TB_OK && i < n; i++) {
    if (wide[i] < INT32_MIN || wide[i] > INT32_MAX)
      rc = tb_error_set(TB_ERR_RANGE, "%s: dataset '%s': value %lld at %zu is outside int32", f->path, name,
                        wide[i], i);
    buf[i] = (int32_t)wide[i];
  }
  H5Dclose(dset);
  free(wide);
  if (rc < 0) free(buf);
  else *data = buf;
  return rc;
}

int tb_h5_write(tb_h5_file *f, const char *name, tb_h5_type type, int rank, const size_t *dims, const void *data) {
  char msg[160];
  int rc = TB_OK;
  hid_t ftype = -1, mtype = -1, space = -1, dset = -1;
  int own_type = 0;
  h5_quiet();
  if (rank < 0 || rank > TB_H5_MAX_RANK)
    return tb_error_set(TB_ERR_INVALID, "%s: dataset '%s': rank %d outside 0..%d", f->path, name, rank,
                        TB_H5_MAX_RANK);
  switch (type) {
  case TB_H5_F32: ftype = H5T_IEEE_F32LE, mtype = H5T_NATIVE_FLOAT; break;
  case TB_H5_F64: ftype = H5T_IEEE_F64LE, mtype = H5T_NATIVE_DOUBLE; break;
  case TB_H5_I32: ftype = H5T_STD_I32LE, mtype = H5T_NATIVE_INT32; break;
  case TB_H5_I64: ftype = H5T_STD_I64LE, mtype = H5T_NATIVE_INT64; break;
  case TB_H5_U8: ftype = H5T_STD_U8LE, mtype = H5T_NATIVE_UINT8; break;
  case TB_H5_STR:
    if ((ftype = H5Tcopy(H5T_C_S1)) < 0 || H5Tset_size(ftype, H5T_VARIABLE) < 0)
      TB_FAIL(TB_ERR_INVALID, "%s: cannot make a string type: %s", f->path, h5_msg(msg));
    mtype = ftype;
    own_type = 1;
    break;
  default: return tb_error_set(TB_ERR_INVALID, "%s: dataset '%s': unknown element type %d", f->path, name, type);
  }
  hsize_t d[TB_H5_MAX_RANK + 1];
  for (int i = 0; i < rank; i++) d[i] = dims[i];
  if ((space = rank ? H5Screate_simple(rank, d, NULL) : H5Screate(H5S_SCALAR)) < 0)
    TB_FAIL(TB_ERR_INVALID, "%s: dataset '%s': bad shape: %s", f->path, name, h5_msg(msg));
  if ((dset = H5Dcreate2(f->id, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0)
    TB_FAIL(TB_ERR_IO, "%s: cannot create dataset '%s': %s", f->path, name, h5_msg(msg));
  if (H5Dwrite(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    TB_FAIL(TB_ERR_IO, "%s: cannot write dataset '%s': %s", f->path, name, h5_msg(msg));
done:
  if (dset >= 0) H5Dclose(dset);
  if (space >= 0) H5Sclose(space);
  if (own_type && ftype >= 0) H5Tclose(ftype);
  return rc;
}
