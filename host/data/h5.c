/* h5.c: the HDF5 wrapper declared in tb_h5.h; with h5_check.c, the only files that include <hdf5.h>. Reads numeric
 * datasets through HDF5's own type conversion (to native float, or to 64-bit integers then range-checked to int32)
 * and writes plain contiguous datasets. HDF5's automatic error printing is off: failures come back as TB_ERR_* with
 * the file, the dataset and HDF5's innermost message. For the results store: latest-format files and SWMR, groups,
 * attributes, and tables (extendible chunked compound datasets, appended in packed rows, read column by column).
 * Not here: compression, what the store's tables hold (store_h5.c). Tested by tests/test_data_load.c (good files,
 * missing dataset, wrong rank, string class, non-HDF5 file) and tests/test_store.c (tables, attributes, SWMR). */
#include "tb_h5.h"
#include "h5_impl.h"

#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tb_error.h"


#ifndef TB_H5_READ_ATTEMPTS
#define TB_H5_READ_ATTEMPTS 12
#endif

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data) {
  (void)n;
  if (e->desc && *e->desc) snprintf(data, 160, "%s", e->desc); /* keeps the innermost (last walked) */
  return 0;
}

/* HDF5's innermost error description of the failed call ("" if none), then clears its stack. A system error
 * ("unable to open file: name = ..., errno = 2, error message = 'No such file or directory', flags = ...") is
 * cut to its message. */
const char *tb_h5_errmsg(char buf[160]) {
  buf[0] = '\0';
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_cb, buf);
  H5Eclear2(H5E_DEFAULT);
  const char *m = strstr(buf, "error message = '");
  if (m) {
    m += strlen("error message = '");
    const char *e = strchr(m, '\'');
    size_t n = e ? (size_t)(e - m) : strlen(m);
    memmove(buf, m, n);
    buf[n] = '\0';
  }
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
  if (is < 0) return tb_error_set(TB_ERR_FORMAT, "%s: cannot read as HDF5: %s", path, tb_h5_errmsg(msg));
  hid_t id = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) return tb_error_set(TB_ERR_FORMAT, "%s: corrupt HDF5 file: %s", path, tb_h5_errmsg(msg));
  return wrap(path, id, out);
}

int tb_h5_create(const char *path, tb_h5_file **out) {
  char msg[160];
  *out = NULL;
  h5_quiet();
  hid_t id = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) return tb_error_set(TB_ERR_IO, "%s: cannot create HDF5 file: %s", path, tb_h5_errmsg(msg));
  return wrap(path, id, out);
}

int tb_h5_close(tb_h5_file *f) {
  if (!f) return TB_OK;
  char msg[160];
  int rc = TB_OK;
  if (H5Fclose(f->id) < 0) rc = tb_error_set(TB_ERR_IO, "%s: closing failed: %s", f->path, tb_h5_errmsg(msg));
  free(f->path);
  free(f);
  return rc;
}

/* Opens dataset `name`; fills info. *dset >= 0 on success (the caller closes it). */
static int open_dataset(tb_h5_file *f, const char *name, hid_t *dset, tb_h5_info *info) {
  char msg[160];
  hid_t type = -1, space = -1;
  int rc = TB_OK;
  *dset = -1;
  memset(info, 0, sizeof *info);
  h5_quiet();
  htri_t exists = H5Lexists(f->id, name, H5P_DEFAULT);
  if (exists < 0) /* the path could not be walked: damaged metadata, not a missing name */
    TB_FAIL(TB_ERR_FORMAT, "%s: damaged HDF5 file: cannot read '%s' (%s)", f->path, name, tb_h5_errmsg(msg));
  if (exists == 0) TB_FAIL(TB_ERR_NOT_FOUND, "%s: no dataset '%s'", f->path, name);
  if ((*dset = H5Dopen2(f->id, name, H5P_DEFAULT)) < 0)
    TB_FAIL(TB_ERR_FORMAT, "%s: damaged HDF5 file: '%s' is not a readable dataset (%s)", f->path, name, tb_h5_errmsg(msg));
  if ((type = H5Dget_type(*dset)) < 0 || (space = H5Dget_space(*dset)) < 0)
    TB_FAIL(TB_ERR_FORMAT, "%s: dataset '%s': cannot read its type or shape: %s", f->path, name, tb_h5_errmsg(msg));
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
    rc = tb_error_set(TB_ERR_FORMAT, "%s: dataset '%s': read failed: %s", f->path, name, tb_h5_errmsg(msg));
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
    rc = tb_error_set(TB_ERR_FORMAT, "%s: dataset '%s': read failed: %s", f->path, name, tb_h5_errmsg(msg));
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
  case TB_H5_U64: ftype = H5T_STD_U64LE, mtype = H5T_NATIVE_UINT64; break;
  case TB_H5_STR:
    if ((ftype = H5Tcopy(H5T_C_S1)) < 0 || H5Tset_size(ftype, H5T_VARIABLE) < 0)
      TB_FAIL(TB_ERR_INVALID, "%s: cannot make a string type: %s", f->path, tb_h5_errmsg(msg));
    mtype = ftype;
    own_type = 1;
    break;
  default: return tb_error_set(TB_ERR_INVALID, "%s: dataset '%s': unknown element type %d", f->path, name, type);
  }
  hsize_t d[TB_H5_MAX_RANK + 1];
  for (int i = 0; i < rank; i++) d[i] = dims[i];
  if ((space = rank ? H5Screate_simple(rank, d, NULL) : H5Screate(H5S_SCALAR)) < 0)
    TB_FAIL(TB_ERR_INVALID, "%s: dataset '%s': bad shape: %s", f->path, name, tb_h5_errmsg(msg));
  if ((dset = H5Dcreate2(f->id, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0)
    TB_FAIL(TB_ERR_IO, "%s: cannot create dataset '%s': %s", f->path, name, tb_h5_errmsg(msg));
  if (H5Dwrite(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    TB_FAIL(TB_ERR_IO, "%s: cannot write dataset '%s': %s", f->path, name, tb_h5_errmsg(msg));
done:
  if (dset >= 0) H5Dclose(dset);
  if (space >= 0) H5Sclose(space);
  if (own_type && ftype >= 0) H5Tclose(ftype);
  return rc;
}

/* ---- results store ---------------------------------------------------------------------------------------- */

static hid_t latest_fapl(void) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
#if H5_VERSION_GE(1, 12, 0)
  if (fapl >= 0) H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_LATEST);
#else
  if (fapl >= 0) H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
#endif
  return fapl;
}

int tb_h5_create_latest(const char *path, tb_h5_file **out) {
  char msg[160];
  *out = NULL;
  h5_quiet();
  hid_t fapl = latest_fapl();
  hid_t id = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  if (id < 0) return tb_error_set(TB_ERR_IO, "%s: cannot create HDF5 file: %s", path, tb_h5_errmsg(msg));
  return wrap(path, id, out);
}

int tb_h5_open_rw(const char *path, tb_h5_file **out) {
  char msg[160];
  *out = NULL;
  h5_quiet();
  hid_t fapl = latest_fapl();
  hid_t id = H5Fopen(path, H5F_ACC_RDWR, fapl);
  H5Pclose(fapl);
  if (id < 0) return tb_error_set(TB_ERR_FORMAT, "%s: cannot open HDF5 file for writing: %s", path, tb_h5_errmsg(msg));
  return wrap(path, id, out);
}

int tb_h5_open_live(const char *path, tb_h5_file **out) {
  char msg[160];
  *out = NULL;
  h5_quiet();
  if (access(path, R_OK)) return tb_error_set(TB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  if (H5Fis_hdf5(path) <= 0) return tb_error_set(TB_ERR_FORMAT, "%s: not an HDF5 file", path);
  /* A SWMR reader retries a metadata block whose checksum fails (the writer may be midway), sleeping longer each
   * time: 100 attempts by default, so a damaged file took over ten minutes to refuse. A writer's partial update is
   * seen whole within a few attempts; TB_H5_READ_ATTEMPTS bounds the wait on a damaged block to well under a
   * second. */
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl >= 0) H5Pset_metadata_read_attempts(fapl, TB_H5_READ_ATTEMPTS);
  hid_t id = H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl >= 0 ? fapl : H5P_DEFAULT);
  if (fapl >= 0) H5Pclose(fapl);
  if (id >= 0) return wrap(path, id, out);
  tb_h5_errmsg(msg);
  return tb_h5_open(path, out);
}

int tb_h5_swmr_start(tb_h5_file *f) {
  char msg[160];
  if (H5Fstart_swmr_write(f->id) < 0)
    return tb_error_set(TB_ERR_IO, "%s: cannot start SWMR writing: %s", f->path, tb_h5_errmsg(msg));
  return TB_OK;
}

int tb_h5_flush(tb_h5_file *f) {
  char msg[160];
  if (H5Fflush(f->id, H5F_SCOPE_GLOBAL) < 0)
    return tb_error_set(TB_ERR_IO, "%s: flush failed: %s", f->path, tb_h5_errmsg(msg));
  return TB_OK;
}

int tb_h5_group_create(tb_h5_file *f, const char *path) {
  char msg[160];
  hid_t g = H5Gcreate2(f->id, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) return tb_error_set(TB_ERR_IO, "%s: cannot create group '%s': %s", f->path, path, tb_h5_errmsg(msg));
  H5Gclose(g);
  return TB_OK;
}

void tb_h5_strs_free(char **s, size_t n) {
  for (size_t i = 0; s && i < n; i++) free(s[i]);
  free(s);
}

typedef struct {
  char **names;
  size_t n, cap;
} name_list;

static herr_t child_cb(hid_t g, const char *name, const H5L_info_t *info, void *data) {
  (void)g, (void)info;
  name_list *l = data;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    char **p = realloc(l->names, cap * sizeof *p);
    if (!p) return -1;
    l->names = p, l->cap = cap;
  }
  if (!(l->names[l->n] = strdup(name))) return -1;
  l->n++;
  return 0;
}

int tb_h5_children(tb_h5_file *f, const char *path, char ***names, size_t *n) {
  char msg[160];
  name_list l = {NULL, 0, 0};
  *names = NULL, *n = 0;
  hid_t g = H5Gopen2(f->id, path, H5P_DEFAULT);
  if (g < 0) return tb_error_set(TB_ERR_NOT_FOUND, "%s: no group '%s': %s", f->path, path, tb_h5_errmsg(msg));
  herr_t e = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, child_cb, &l);
  H5Gclose(g);
  if (e < 0) {
    tb_h5_strs_free(l.names, l.n);
    return tb_error_set(TB_ERR_FORMAT, "%s: cannot list group '%s': %s", f->path, path, tb_h5_errmsg(msg));
  }
  *names = l.names, *n = l.n;
  return TB_OK;
}

int tb_h5_attr_write(tb_h5_file *f, const char *obj, const char *name, tb_h5_type type, size_t n, const void *data) {
  char msg[160];
  int rc = TB_OK;
  hid_t t = -1, space = -1, a = -1;
  switch (type) {
  case TB_H5_F64: t = H5Tcopy(H5T_NATIVE_DOUBLE); break;
  case TB_H5_I64: t = H5Tcopy(H5T_NATIVE_INT64); break;
  case TB_H5_U64: t = H5Tcopy(H5T_NATIVE_UINT64); break;
  case TB_H5_STR:
    if ((t = H5Tcopy(H5T_C_S1)) >= 0) H5Tset_size(t, H5T_VARIABLE), H5Tset_cset(t, H5T_CSET_UTF8);
    break;
  default: return tb_error_set(TB_ERR_INVALID, "%s: attribute '%s': unsupported type %d", f->path, name, type);
  }
  hsize_t d = n;
  if (t < 0 || (space = n ? H5Screate_simple(1, &d, NULL) : H5Screate(H5S_SCALAR)) < 0)
    TB_FAIL(TB_ERR_INVALID, "%s: attribute '%s': %s", f->path, name, tb_h5_errmsg(msg));
  if (H5Aexists_by_name(f->id, obj, name, H5P_DEFAULT) > 0) H5Adelete_by_name(f->id, obj, name, H5P_DEFAULT);
  if ((a = H5Acreate_by_name(f->id, obj, name, t, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
      H5Awrite(a, t, type == TB_H5_STR && !n ? (const void *)&data : data) < 0)
    TB_FAIL(TB_ERR_IO, "%s: cannot write attribute '%s' of '%s': %s", f->path, name, obj, tb_h5_errmsg(msg));
done:
  if (a >= 0) H5Aclose(a);
  if (space >= 0) H5Sclose(space);
  if (t >= 0) H5Tclose(t);
  return rc;
}

/* Opens attribute name of obj; fills its element count. */
static int attr_open(tb_h5_file *f, const char *obj, const char *name, hid_t *a, size_t *n) {
  char msg[160];
  *a = -1;
  h5_quiet();
  if (H5Aexists_by_name(f->id, obj, name, H5P_DEFAULT) <= 0) {
    tb_h5_errmsg(msg);
    return tb_error_set(TB_ERR_NOT_FOUND, "%s: '%s' has no attribute '%s'", f->path, obj, name);
  }
  if ((*a = H5Aopen_by_name(f->id, obj, name, H5P_DEFAULT, H5P_DEFAULT)) < 0)
    return tb_error_set(TB_ERR_FORMAT, "%s: attribute '%s' of '%s': %s", f->path, name, obj, tb_h5_errmsg(msg));
  hid_t s = H5Aget_space(*a);
  hssize_t k = s >= 0 ? H5Sget_simple_extent_npoints(s) : -1;
  if (s >= 0) H5Sclose(s);
  if (k < 0 || k > (1 << 24)) {
    H5Aclose(*a);
    *a = -1;
    return tb_error_set(TB_ERR_FORMAT, "%s: attribute '%s' of '%s': bad shape", f->path, name, obj);
  }
  *n = (size_t)k;
  return TB_OK;
}

int tb_h5_attr_read_strs(tb_h5_file *f, const char *obj, const char *name, char ***out, size_t *n) {
  char msg[160];
  hid_t a, ft = -1, mt = -1;
  size_t k = 0;
  char **res = NULL;
  char *fixed = NULL;
  *out = NULL, *n = 0;
  int rc = attr_open(f, obj, name, &a, &k);
  if (rc < 0) return rc;
  ft = H5Aget_type(a);
  if (ft < 0 || H5Tget_class(ft) != H5T_STRING)
    TB_FAIL(TB_ERR_FORMAT, "%s: attribute '%s' of '%s' is not a string", f->path, name, obj);
  if (!(res = calloc(k + 1, sizeof *res))) TB_FAIL(TB_ERR_NOMEM, "%s: out of host memory", f->path);
  if (H5Tis_variable_str(ft) > 0) {
    mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5Tget_cset(ft));
    if (H5Aread(a, mt, res) < 0) TB_FAIL(TB_ERR_FORMAT, "%s: attribute '%s': %s", f->path, name, tb_h5_errmsg(msg));
    for (size_t i = 0; i < k; i++) { /* HDF5 allocated them with its own allocator: copy into ours */
      char *c = strdup(res[i] ? res[i] : "");
      H5free_memory(res[i]);
      res[i] = c;
      if (!c) TB_FAIL(TB_ERR_NOMEM, "%s: out of host memory", f->path);
    }
  } else {
    size_t len = H5Tget_size(ft);
    mt = H5Tcopy(ft);
    if (!(fixed = calloc(k ? k : 1, len + 1))) TB_FAIL(TB_ERR_NOMEM, "%s: out of host memory", f->path);
    if (H5Aread(a, mt, fixed) < 0) TB_FAIL(TB_ERR_FORMAT, "%s: attribute '%s': %s", f->path, name, tb_h5_errmsg(msg));
    for (size_t i = 0; i < k; i++)
      if (!(res[i] = strndup(fixed + i * len, len))) TB_FAIL(TB_ERR_NOMEM, "%s: out of host memory", f->path);
  }
  *out = res, *n = k, res = NULL;
done:
  if (res) tb_h5_strs_free(res, k);
  free(fixed);
  if (mt >= 0) H5Tclose(mt);
  if (ft >= 0) H5Tclose(ft);
  H5Aclose(a);
  return rc;
}

int tb_h5_attr_read_str(tb_h5_file *f, const char *obj, const char *name, char **out) {
  char **s;
  size_t n;
  *out = NULL;
  int rc = tb_h5_attr_read_strs(f, obj, name, &s, &n);
  if (rc < 0) return rc;
  if (n != 1) {
    tb_h5_strs_free(s, n);
    return tb_error_set(TB_ERR_FORMAT, "%s: attribute '%s' of '%s' holds %zu strings, expected 1", f->path, name,
                        obj, n);
  }
  *out = s[0];
  free(s);
  return TB_OK;
}

int tb_h5_attr_read_f64(tb_h5_file *f, const char *obj, const char *name, double *out, size_t max, size_t *n) {
  char msg[160];
  hid_t a;
  size_t k = 0;
  int rc = attr_open(f, obj, name, &a, &k);
  if (rc < 0) return rc;
  hid_t ft = H5Aget_type(a);
  H5T_class_t cls = ft >= 0 ? H5Tget_class(ft) : H5T_NO_CLASS;
  double *buf = malloc((k + 1) * sizeof *buf);
  if (cls != H5T_INTEGER && cls != H5T_FLOAT)
    rc = tb_error_set(TB_ERR_FORMAT, "%s: attribute '%s' of '%s' is not numeric", f->path, name, obj);
  else if (!buf) rc = tb_error_set(TB_ERR_NOMEM, "%s: out of host memory", f->path);
  else if (H5Aread(a, H5T_NATIVE_DOUBLE, buf) < 0)
    rc = tb_error_set(TB_ERR_FORMAT, "%s: attribute '%s': %s", f->path, name, tb_h5_errmsg(msg));
  for (size_t i = 0; rc == TB_OK && i < k && i < max; i++) out[i] = buf[i];
  if (n) *n = k;
  free(buf);
  if (ft >= 0) H5Tclose(ft);
  H5Aclose(a);
  return rc;
}

struct tb_h5_table {
  tb_h5_file *f;
  hid_t dset, mtype;
  char *path;
};

size_t tb_h5_row_layout(int n_cols, const tb_h5_col *cols, size_t *offsets) {
  size_t off = 0;
  for (int i = 0; i < n_cols; i++) {
    if (offsets) offsets[i] = off;
    off += cols[i].type == TB_H5_STR ? cols[i].str_len : 8;
  }
  return off;
}

/* The packed compound type of cols: in memory (native) or in the file (little-endian). */
static hid_t compound_type(int n_cols, const tb_h5_col *cols, int file) {
  if (n_cols <= 0 || n_cols > TB_H5_MAX_COLS) return -1;
  size_t *off = malloc((size_t)n_cols * sizeof *off);
  if (!off) return -1;
  hid_t t = H5Tcreate(H5T_COMPOUND, tb_h5_row_layout(n_cols, cols, off));
  for (int i = 0; t >= 0 && i < n_cols; i++) {
    hid_t m = -1;
    switch (cols[i].type) {
    case TB_H5_F64: m = H5Tcopy(file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE); break;
    case TB_H5_I64: m = H5Tcopy(file ? H5T_STD_I64LE : H5T_NATIVE_INT64); break;
    case TB_H5_U64: m = H5Tcopy(file ? H5T_STD_U64LE : H5T_NATIVE_UINT64); break;
    case TB_H5_STR:
      if (cols[i].str_len && (m = H5Tcopy(H5T_C_S1)) >= 0)
        H5Tset_size(m, cols[i].str_len), H5Tset_strpad(m, H5T_STR_NULLTERM);
      break;
    default: break;
    }
    if (m < 0 || H5Tinsert(t, cols[i].name, off[i], m) < 0) {
      if (m >= 0) H5Tclose(m);
      H5Tclose(t);
      t = -1;
      break;
    }
    H5Tclose(m);
  }
  free(off);
  return t;
}

int tb_h5_table_create(tb_h5_file *f, const char *path, int n_cols, const tb_h5_col *cols, size_t chunk_rows) {
  char msg[160];
  int rc = TB_OK;
  hsize_t zero = 0, unlim = H5S_UNLIMITED, chunk = chunk_rows ? chunk_rows : 256;
  hid_t t = compound_type(n_cols, cols, 1), space = H5Screate_simple(1, &zero, &unlim);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE), d = -1;
  if (n_cols > TB_H5_MAX_COLS)
    TB_FAIL(TB_ERR_INVALID, "%s: table '%s': %d columns, at most %d", f->path, path, n_cols, TB_H5_MAX_COLS);
  if (t < 0) TB_FAIL(TB_ERR_INVALID, "%s: table '%s': bad columns (%d): %s", f->path, path, n_cols, tb_h5_errmsg(msg));
  if (space < 0 || dcpl < 0 || H5Pset_chunk(dcpl, 1, &chunk) < 0 ||
      (d = H5Dcreate2(f->id, path, t, space, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0)
    TB_FAIL(TB_ERR_IO, "%s: cannot create table '%s': %s", f->path, path, tb_h5_errmsg(msg));
done:
  if (d >= 0) H5Dclose(d);
  if (dcpl >= 0) H5Pclose(dcpl);
  if (space >= 0) H5Sclose(space);
  if (t >= 0) H5Tclose(t);
  return rc;
}

int tb_h5_table_open(tb_h5_file *f, const char *path, int n_cols, const tb_h5_col *cols, tb_h5_table **out) {
  char msg[160];
  *out = NULL;
  tb_h5_table *t = calloc(1, sizeof *t);
  if (!t || !(t->path = strdup(path))) {
    free(t);
    return tb_error_set(TB_ERR_NOMEM, "%s: out of host memory", f->path);
  }
  t->f = f;
  t->mtype = compound_type(n_cols, cols, 0);
  t->dset = H5Dopen2(f->id, path, H5P_DEFAULT);
  if (t->mtype < 0 || t->dset < 0) {
    int rc = tb_error_set(TB_ERR_FORMAT, "%s: cannot open table '%s': %s", f->path, path, tb_h5_errmsg(msg));
    tb_h5_table_close(t);
    return rc;
  }
  *out = t;
  return TB_OK;
}

int tb_h5_table_append(tb_h5_table *t, size_t n_rows, const void *rows) {
  char msg[160];
  int rc = TB_OK;
  if (!n_rows) return TB_OK;
  hid_t fs = H5Dget_space(t->dset), ms = -1;
  hsize_t cur = 0, add = n_rows;
  if (fs < 0) TB_FAIL(TB_ERR_FORMAT, "%s: table '%s': %s", t->f->path, t->path, tb_h5_errmsg(msg));
  H5Sget_simple_extent_dims(fs, &cur, NULL);
  H5Sclose(fs);
  hsize_t total = cur + add;
  if (H5Dset_extent(t->dset, &total) < 0 || (fs = H5Dget_space(t->dset)) < 0 ||
      H5Sselect_hyperslab(fs, H5S_SELECT_SET, &cur, NULL, &add, NULL) < 0 ||
      (ms = H5Screate_simple(1, &add, NULL)) < 0 || H5Dwrite(t->dset, t->mtype, ms, fs, H5P_DEFAULT, rows) < 0)
    TB_FAIL(TB_ERR_IO, "%s: cannot append %zu rows to '%s': %s", t->f->path, n_rows, t->path, tb_h5_errmsg(msg));
done:
  if (ms >= 0) H5Sclose(ms);
  if (fs >= 0) H5Sclose(fs);
  return rc;
}

int tb_h5_table_write_at(tb_h5_table *t, size_t index, const void *row) {
  char msg[160];
  int rc = TB_OK;
  hid_t fs = H5Dget_space(t->dset), ms = -1;
  hsize_t cur = 0, at = index, one = 1;
  if (fs < 0) TB_FAIL(TB_ERR_FORMAT, "%s: table '%s': %s", t->f->path, t->path, tb_h5_errmsg(msg));
  H5Sget_simple_extent_dims(fs, &cur, NULL);
  if (at >= cur) TB_FAIL(TB_ERR_INVALID, "%s: table '%s' has %llu rows, no row %zu", t->f->path, t->path,
                         (unsigned long long)cur, index);
  if (H5Sselect_hyperslab(fs, H5S_SELECT_SET, &at, NULL, &one, NULL) < 0 || (ms = H5Screate_simple(1, &one, NULL)) < 0 ||
      H5Dwrite(t->dset, t->mtype, ms, fs, H5P_DEFAULT, row) < 0)
    TB_FAIL(TB_ERR_IO, "%s: cannot rewrite row %zu of '%s': %s", t->f->path, index, t->path, tb_h5_errmsg(msg));
done:
  if (ms >= 0) H5Sclose(ms);
  if (fs >= 0) H5Sclose(fs);
  return rc;
}

void tb_h5_table_close(tb_h5_table *t) {
  if (!t) return;
  if (t->dset >= 0) H5Dclose(t->dset);
  if (t->mtype >= 0) H5Tclose(t->mtype);
  free(t->path);
  free(t);
}

void tb_h5_cols_free(tb_h5_col *cols, int n_cols) {
  for (int i = 0; cols && i < n_cols; i++) free((char *)cols[i].name);
  free(cols);
}

int tb_h5_table_columns(tb_h5_file *f, const char *path, int *n_cols, tb_h5_col **cols, size_t *n_rows) {
  char msg[160];
  tb_h5_info info;
  hid_t d, t = -1;
  tb_h5_col *c = NULL;
  int n = 0;
  *n_cols = 0, *cols = NULL, *n_rows = 0;
  int rc = open_dataset(f, path, &d, &info);
  if (rc < 0) return rc;
  if (info.rank != 1) TB_FAIL(TB_ERR_FORMAT, "%s: '%s' is not a table (rank %d)", f->path, path, info.rank);
  if ((t = H5Dget_type(d)) < 0 || H5Tget_class(t) != H5T_COMPOUND)
    TB_FAIL(TB_ERR_FORMAT, "%s: '%s' is not a table (not compound): %s", f->path, path, tb_h5_errmsg(msg));
  n = H5Tget_nmembers(t);
  if (n <= 0 || !(c = calloc((size_t)n, sizeof *c))) TB_FAIL(TB_ERR_FORMAT, "%s: table '%s' has no columns", f->path, path);
  for (int i = 0; i < n; i++) {
    char *name = H5Tget_member_name(t, (unsigned)i);
    hid_t m = H5Tget_member_type(t, (unsigned)i);
    c[i].name = name ? strdup(name) : NULL;
    if (name) H5free_memory(name);
    H5T_class_t cls = m >= 0 ? H5Tget_class(m) : H5T_NO_CLASS;
    c[i].type = cls == H5T_FLOAT ? TB_H5_F64 : cls == H5T_STRING ? TB_H5_STR
              : cls == H5T_INTEGER ? (H5Tget_sign(m) == H5T_SGN_NONE ? TB_H5_U64 : TB_H5_I64) : TB_H5_U8;
    c[i].str_len = cls == H5T_STRING ? H5Tget_size(m) : 0;
    if (m >= 0) H5Tclose(m);
    if (!c[i].name) TB_FAIL(TB_ERR_NOMEM, "%s: out of host memory", f->path);
    if (c[i].type == TB_H5_U8 || (cls == H5T_STRING && c[i].str_len == (size_t)-1))
      TB_FAIL(TB_ERR_FORMAT, "%s: table '%s': column '%s' is neither a number nor a fixed-length string", f->path,
              path, c[i].name);
  }
  *n_cols = n, *cols = c, *n_rows = info.dims[0], c = NULL;
done:
  tb_h5_cols_free(c, n);
  if (t >= 0) H5Tclose(t);
  H5Dclose(d);
  return rc;
}

int tb_h5_table_read_col(tb_h5_file *f, const char *path, const char *col, tb_h5_type type, size_t n_rows,
                         void *out) {
  char msg[160];
  int rc = TB_OK, n_cols = 0;
  tb_h5_col *cols = NULL, want = {col, type, 0};
  size_t rows = 0;
  char *fixed = NULL;
  hid_t d = -1, mt = -1;
  TB_TRY(tb_h5_table_columns(f, path, &n_cols, &cols, &rows));
  if (rows != n_rows) TB_FAIL(TB_ERR_INVALID, "%s: table '%s' has %zu rows, not %zu", f->path, path, rows, n_rows);
  int k = -1;
  for (int i = 0; i < n_cols; i++)
    if (!strcmp(cols[i].name, col)) k = i;
  if (k < 0) TB_FAIL(TB_ERR_NOT_FOUND, "%s: table '%s' has no column '%s'", f->path, path, col);
  if ((type == TB_H5_STR) != (cols[k].type == TB_H5_STR))
    TB_FAIL(TB_ERR_FORMAT, "%s: table '%s': column '%s' is %s", f->path, path, col,
            type == TB_H5_STR ? "not a string" : "a string");
  if (type == TB_H5_STR) {
    want.str_len = cols[k].str_len;
    if (!(fixed = calloc(n_rows ? n_rows : 1, want.str_len))) TB_FAIL(TB_ERR_NOMEM, "%s: out of host memory", f->path);
  }
  if ((mt = compound_type(1, &want, 0)) < 0 || (d = H5Dopen2(f->id, path, H5P_DEFAULT)) < 0)
    TB_FAIL(TB_ERR_FORMAT, "%s: table '%s': %s", f->path, path, tb_h5_errmsg(msg));
  if (n_rows && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, type == TB_H5_STR ? (void *)fixed : out) < 0)
    TB_FAIL(TB_ERR_FORMAT, "%s: table '%s': cannot read column '%s': %s", f->path, path, col, tb_h5_errmsg(msg));
  for (size_t i = 0; type == TB_H5_STR && i < n_rows; i++)
    if (!(((char **)out)[i] = strndup(fixed + i * want.str_len, want.str_len)))
      TB_FAIL(TB_ERR_NOMEM, "%s: out of host memory", f->path);
done:
  free(fixed);
  if (d >= 0) H5Dclose(d);
  if (mt >= 0) H5Tclose(mt);
  tb_h5_cols_free(cols, n_cols);
  return rc;
}
