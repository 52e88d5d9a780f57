/* gbdt_impl.h: internal to the gbdt learner (models/gbdt.c: hyperparameters, creation, rounds, state;
 * models/gbdt_margins.c: the margins of every dataset row and evaluation from them). Not a public header.
 * Tested through tests/test_model_gbdt.c. */
#ifndef TB_GBDT_IMPL_H
#define TB_GBDT_IMPL_H
#include "model_impl.h"
#include "tree_grow.h"

enum { OBJ_AUTO = 0, OBJ_LOGISTIC = 1, OBJ_SOFTMAX = 2, OBJ_SQUARED = 3 };

typedef struct {
  int obj, n_out, k_trees; /* margin columns; trees per round */
  double lr;
  int esr, n_rounds, best_round, stopped;
  double best_loss;
  tb_grow_params gp;
  double colsample, subsample;
  const tb_bins *bins;
  tb_grow_ws *ws;
  tb_treeset trees;
  size_t n_all, n_other; /* dataset rows; rows outside the training set */
  uint32_t *mrow;        /* (n_all) margin row of each dataset row: itself for training rows, n_all + k for others */
  tb_buf obins, valid_midx; /* (n_other, n_cols) bins of the non-training rows; valid rows' margin rows */
  tb_buf margins, stats, train_idx, valid_idx, round_rows, base_dev; /* stats: (k_trees, n_all, 2) int64 */
  tb_buf ev_loss, ev_y, ev_pred; /* evaluation work buffers, grown to the largest evaluation (early stopping
                                    evaluates every round without allocating) */
  float *base;
  uint32_t *rows_host;
  uint32_t *tr; /* the training rows in ascending order: row lists stay sorted through stable partitions, so
                   histogram builds read bins and stats nearly sequentially */
  uint8_t *colmask;
} gbdt;

/* Adds trees first .. first+n-1 to the margins of the non-training rows (on their compact bins) and, when
 * all_rows, to the first n_all margin rows too. */
int tb_gbdt_predict_margins(tb_model *m, int first, int n, int all_rows);
/* Margins from scratch: base score plus every tree, for every row. */
int tb_gbdt_recompute_margins(tb_model *m);
/* g->mrow, g->n_other and g->obins (see gbdt_margins.c). */
int tb_gbdt_other_rows(tb_model *m);
/* dst (device, n) = the margin rows of dataset rows rows[0..n) (host). */
int tb_gbdt_upload_mrows(tb_model *m, const uint32_t *rows, size_t n, uint32_t *dst);
/* Loss and metrics of n rows: idx_dev their dataset rows (labels, targets), midx_dev their margin rows. */
int tb_gbdt_eval_dev(tb_model *m, const uint32_t *idx_dev, const uint32_t *midx_dev, size_t n, tb_metrics *out);
#endif
