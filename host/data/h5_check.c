/* h5_check.c: tb_h5_check (tb_h5.h): reads every dataset of a file whole through a bounded SWMR-readable open, so a
 * damaged file is refused in bounded time before another reader (the report's h5py) retries for minutes. Not here:
 * opening and tables (h5.c). Tested by tests/test_bad_input.c (files damaged at several offsets). */
#include <stdio.h>
#include <stdlib.h>

#include "h5_impl.h"
#include "tb_error.h"
#include "tb_h5.h"

typedef struct {
  char where[256], msg[160];
} check_ctx;

static herr_t check_cb(hid_t root, const char *name, const H5O_info_t *info, void *data) {
  check_ctx *c = data;
  if (info->type != H5O_TYPE_DATASET) return 0;
  hid_t d = H5Dopen2(root, name, H5P_DEFAULT), ft = -1, mt = -1, sp = -1;
  herr_t ret = -1;
  void *buf = NULL;
  if (d >= 0 && (ft = H5Dget_type(d)) >= 0 && (mt = H5Tget_native_type(ft, H5T_DIR_ASCEND)) >= 0 &&
      (sp = H5Dget_space(d)) >= 0) {
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    size_t size = H5Tget_size(mt);
    if (n >= 0 && size > 0 && (size_t)n <= ((size_t)1 << 40) / size) {
      buf = malloc(n ? (size_t)n * size : 1);
      if (buf && (n == 0 || H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0)) ret = 0;
      if (ret == 0 && H5Tdetect_class(mt, H5T_VLEN) > 0) H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, buf);
    }
  }
  if (ret < 0) snprintf(c->where, sizeof c->where, "%s", name), tb_h5_errmsg(c->msg);
  free(buf);
  if (sp >= 0) H5Sclose(sp);
  if (mt >= 0) H5Tclose(mt);
  if (ft >= 0) H5Tclose(ft);
  if (d >= 0) H5Dclose(d);
  return ret < 0 ? 1 : 0; /* 1 stops the walk */
}

int tb_h5_check(const char *path) {
  tb_h5_file *f = NULL;
  int rc = tb_h5_open_live(path, &f);
  if (rc < 0) return rc;
  check_ctx c = {"", ""};
  herr_t r = H5Ovisit2(f->id, H5_INDEX_NAME, H5_ITER_NATIVE, check_cb, &c, H5O_INFO_BASIC);
  if (r > 0)
    rc = tb_error_set(TB_ERR_FORMAT, "%s: damaged HDF5 file: cannot read '%s'%s%s%s", path, c.where,
                      c.msg[0] ? " (" : "", c.msg, c.msg[0] ? ")" : "");
  else if (r < 0) {
    char msg[160];
    rc = tb_error_set(TB_ERR_FORMAT, "%s: damaged HDF5 file: cannot walk its objects (%s)", path, tb_h5_errmsg(msg));
  }
  tb_h5_close(f);
  return rc;
}
