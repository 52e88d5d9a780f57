/* model_impl.h: internal to models/. The table each learner fills and the common part of a model. model.c owns
 * the registry, the declared-hyperparameter space, the check against the declaration, the one decode of a
 * configuration (tb_learner_config), argument checks and the host<->device parts of predict; devdata.c owns the
 * device copy of a dataset and its shared bins. One file per learner: mlp.c, logreg.c, gbdt.c, forest.c (plus
 * helpers they need, e.g. the tree grower, tree_grow*.c, shared by gbdt and forest). */
#ifndef TB_MODEL_IMPL_H
#define TB_MODEL_IMPL_H
#include "tb_error.h"
#include "tb_model.h"

#define TB_LEARNER_MAX_HPARAMS 64 /* hyperparameters of one learner */
#define TB_LEARNER_PARAMS_MAX 512 /* bytes of a learner's decoded settings (each learner asserts its size) */

struct tb_learner {
  const char *name;
  const char *fidelity_unit;     /* "epochs", "rounds", "trees" */
  int tasks;                     /* bit (1 << TB_TASK_CLASSIFICATION) | (1 << TB_TASK_REGRESSION) */
  int refuses_missing;           /* 1: a dense learner: NaN features (missing=nan) are refused at create */
  /* 0 when choice `choice` of categorical hyperparameter `name` cannot work on a task with n_classes (may be NULL:
   * every choice fits) */
  int (*choice_fits)(const char *name, const char *choice, tb_task task, int n_classes);
  int n_hparams;
  const tb_param *hparams;       /* the declaration: hparams[i] is parameter i of the learner's space */
  size_t params_size;            /* bytes of the learner's decoded settings (tb_mlp_config, ...); 0: none */
  /* xd (n_hparams, in declared order, already checked against the declaration; inactive parameters hold their
   * declared defaults) -> the settings at `params` (params_size bytes), read by index; NULL, or a message on a
   * combination of values the learner refuses (the ranges are the declaration's, never checked again here). */
  const char *(*decode)(const double *xd, void *params, char *buf, size_t len);
  int (*estimate_bytes)(const void *params, size_t n_rows, int n_cols, int n_outputs, size_t *bytes);
  int (*create)(tb_model *m);    /* common fields are set (m->params decoded); allocate m->impl and device state */
  int (*train)(tb_model *m, int units);
  int (*evaluate)(tb_model *m, const uint32_t *rows, size_t n_rows, tb_metrics *out);
  /* device in/out: out (n, n_outputs) for device X (n, n_cols) */
  int (*predict_device)(tb_model *m, const float *X, size_t n, float *out);
  size_t (*n_params)(const tb_model *m);
  int (*save)(const tb_model *m, void **blob, size_t *len);
  int (*restore)(tb_model *m, const void *blob, size_t len);
  void (*destroy)(tb_model *m);
};

/* A checked configuration and its decoded settings (tb_learner_config_create); one allocation. */
struct tb_learner_config {
  const tb_learner *L;
  const tb_space *sp;   /* the space x was checked against (borrowed) */
  double *x;            /* the configuration as given (n_hparams): inactive ones NAN */
  void *params;         /* L->params_size bytes of decoded settings (NULL when 0) */
  size_t bytes;         /* of the whole block (struct, x, settings) */
};
/* The learner's settings inside a decoded configuration. */
const void *tb_learner_config_params(const tb_learner_config *c);
/* A copy of c without decoding again (*out owned by the caller). */
int tb_learner_config_copy(const tb_learner_config *c, tb_learner_config **out);

struct tb_model {
  const tb_learner *L;
  double *x;            /* copy of the configuration (n_hparams; hashed into saved states) */
  void *params;         /* copy of the decoded settings (L->params_size bytes): what the learner reads */
  tb_devdata *dd;
  tb_backend *be;       /* dd's context */
  uint32_t *train, *valid; /* copies of the parts' row lists (host) */
  size_t n_train, n_valid;
  uint64_t seed;
  int fidelity;         /* units trained so far */
  double train_loss;    /* mean training loss of the last unit trained (NAN: none yet, or the learner has none) */
  int n_outputs;        /* classes (classification) or 1 (regression) */
  void *impl;
  tb_buf pred_x, pred_out; /* tb_model_predict's device work buffers: pred_rows rows of features and of outputs,
                              kept between calls (grown when a call needs more rows), released by tb_model_free */
  size_t pred_rows;
};

/* The backend context of a devdata. */
tb_backend *tb_devdata_backend(const tb_devdata *dd);

extern const tb_learner tb_learner_mlp, tb_learner_logreg, tb_learner_gbdt, tb_learner_forest;
#endif
