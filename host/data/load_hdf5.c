/* load_hdf5.c: the hdf5:PATH?x=NAME&y=NAME[&task=...] source, through tb_h5.h: x is a 2-d numeric dataset (rows,
 * features) read as float; y is a 1-d dataset of the same length: integers give classification with the classes
 * remapped to 0..k-1 in sorted order, floats give regression (task= forces either; load_labels.h).
 * Not here: feature names from attributes. Tested by tests/test_data_load.c. */
#include "load_labels.h"
#include "tb_h5.h"

#include <stdlib.h>

int tb_load_hdf5(tb_spec *spec, tb_dataset **out) {
  int rc = TB_OK;
  const char *xname = NULL, *yname = NULL;
  tb_h5_file *f = NULL;
  tb_dataset *ds = NULL;
  float *x = NULL, *yf = NULL;
  int32_t *yi = NULL;
  size_t xd[2], yd[1];
  int force_task;
  tb_labels lb;
  tb_labels_init(&lb, spec->path);
  *out = NULL;
  if (!spec->path) TB_FAIL(TB_ERR_INVALID, "hdf5: missing file name (hdf5:PATH?x=NAME&y=NAME)");
  TB_TRY(tb_spec_get_str(spec, "x", &xname));
  TB_TRY(tb_spec_get_str(spec, "y", &yname));
  TB_TRY(tb_labels_parse_task(spec, &force_task));
  TB_TRY(tb_spec_check_unused(spec, "x, y, task"));
  if (!xname || !yname) TB_FAIL(TB_ERR_INVALID, "hdf5:%s: both x=DATASET and y=DATASET are needed", spec->path);
  TB_TRY(tb_h5_open(spec->path, &f));
  tb_h5_info yinfo;
  TB_TRY(tb_h5_info_get(f, yname, &yinfo));
  TB_TRY(tb_h5_read_float(f, xname, 2, &x, xd));
  if (yinfo.is_integer) TB_TRY(tb_h5_read_int32(f, yname, 1, &yi, yd));
  else TB_TRY(tb_h5_read_float(f, yname, 1, &yf, yd));
  if (xd[0] != yd[0])
    TB_FAIL(TB_ERR_FORMAT, "%s: x '%s' has %zu rows but y '%s' has %zu values", spec->path, xname, xd[0], yname,
            yd[0]);
  if (xd[1] < 1 || xd[1] > (size_t)1 << 30)
    TB_FAIL(TB_ERR_FORMAT, "%s: x '%s' has %zu columns", spec->path, xname, xd[1]);
  for (size_t i = 0; i < yd[0]; i++) /* "line" in label messages is the 1-based position in y */
    TB_TRY(tb_labels_add_value(&lb, yi ? (double)yi[i] : (double)yf[i], (long)i + 1));
  TB_TRY(tb_labels_finish(&lb, force_task >= 0 ? force_task : yi ? TB_TASK_CLASSIFICATION : TB_TASK_REGRESSION));
  TB_TRY(tb_dataset_alloc(xd[0], (int)xd[1], lb.task, lb.n_classes, spec->path, &ds));
  free(ds->X);
  ds->X = x;
  x = NULL;
  tb_labels_store(&lb, ds);
  *out = ds;
  ds = NULL;
done:
  tb_h5_close(f); /* read-only: nothing pending that could fail */
  free(x);
  free(yi);
  free(yf);
  tb_labels_free(&lb);
  tb_dataset_free(ds);
  return rc;
}
