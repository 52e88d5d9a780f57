/* model_impl.h: internal to models/. The table each learner fills and the common part of a model. model.c owns
 * the registry, the declared-hyperparameter space, argument checks and the host<->device parts of predict;
 * devdata.c owns the device copy of a dataset and its shared bins. One file per learner: mlp.c, logreg.c,
 * gbdt.c, forest.c (plus helpers they need, e.g. the tree grower, tree_grow*.c, shared by gbdt and forest). */
#ifndef TB_MODEL_IMPL_H
#define TB_MODEL_IMPL_H
#include "tb_error.h"
#include "tb_model.h"

struct tb_learner {
  const char *name;
  const char *fidelity_unit;     /* "epochs", "rounds", "trees" */
  int tasks;                     /* bit (1 << TB_TASK_CLASSIFICATION) | (1 << TB_TASK_REGRESSION) */
  int n_hparams;
  const tb_hparam *hparams;
  /* cross-parameter checks beyond the declared ranges (may be NULL) */
  const char *(*check)(const tb_space *sp, const double *x, char *buf, size_t len);
  int (*estimate_bytes)(const tb_space *sp, const double *x, size_t n_rows, int n_cols, int n_outputs,
                        size_t *bytes);
  int (*create)(tb_model *m);    /* common fields are set; allocate m->impl and device state */
  int (*train)(tb_model *m, int units);
  int (*evaluate)(tb_model *m, const uint32_t *rows, size_t n_rows, tb_metrics *out);
  /* device in/out: out (n, n_outputs) for device X (n, n_cols) */
  int (*predict_device)(tb_model *m, const float *X, size_t n, float *out);
  size_t (*n_params)(const tb_model *m);
  int (*save)(const tb_model *m, void **blob, size_t *len);
  int (*restore)(tb_model *m, const void *blob, size_t len);
  void (*destroy)(tb_model *m);
};

struct tb_model {
  const tb_learner *L;
  const tb_space *sp;
  double *x;            /* copy of the configuration (n_hparams) */
  tb_devdata *dd;
  tb_backend *be;       /* dd's context */
  uint32_t *train, *valid; /* copies of the parts' row lists (host) */
  size_t n_train, n_valid;
  uint64_t seed;
  int fidelity;         /* units trained so far */
  int n_outputs;        /* classes (classification) or 1 (regression) */
  void *impl;
  tb_buf pred_x, pred_out; /* tb_model_predict's device work buffers: pred_rows rows of features and of outputs,
                              kept between calls (grown when a call needs more rows), released by tb_model_free */
  size_t pred_rows;
};

/* Value of hyperparameter `name` in m's configuration (asserts the name exists: programmer error otherwise). */
double tb_model_hp(const tb_model *m, const char *name);
/* Same, from a space + configuration (for estimate_bytes / check). */
double tb_space_value(const tb_space *sp, const double *x, const char *name);
/* The backend context of a devdata. */
tb_backend *tb_devdata_backend(const tb_devdata *dd);

extern const tb_learner tb_learner_mlp, tb_learner_logreg, tb_learner_gbdt, tb_learner_forest;
#endif
