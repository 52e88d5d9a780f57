/* tree_grow.h: internal to models/: growing one decision tree from fixed-point histograms, shared by the
 * gradient-boosted trees (gbdt.c) and the random forest (forest.c). The learner computes the per-row statistics
 * (int64 fixed point, (g, h) or weighted class counts or (count, sum y, sum y^2)), fills the workspace's row list
 * with the rows the tree sees, and calls tb_grow_tree; the tree comes back on the host (nodes with local indices,
 * each leaf's stat sums), and the learner turns leaf sums into leaf values. All compute goes through the backend's
 * tree ops (depth-wise: partition_level, hist_build_level and split_find once per level; loss-guided: hist_build,
 * hist_subtract, split_find, partition per node); only the tree bookkeeping is on the host.
 * It is not a learner and keeps no model state. Tested through tests/test_model_gbdt.c and test_model_forest.c
 * (exact stumps, max_leaves, min_samples_leaf, determinism). */
#ifndef TB_TREE_GROW_H
#define TB_TREE_GROW_H
#include <stddef.h>
#include <stdint.h>

#include "tb_backend.h"
#include "tb_model.h"

typedef enum { TB_GROW_DEPTHWISE = 0, TB_GROW_LOSSGUIDE = 1 } tb_grow_policy;

/* Fills mask (n_cols, 1 = allowed) with the features node `node` (local id, creation order) may split on. */
typedef void (*tb_grow_mask_fn)(void *ctx, int32_t node, int n_cols, uint8_t *mask);

typedef struct tb_grow_params {
  tb_split_params split;   /* criterion, fixed-point scales, regularisation, min_child_weight, min_gain */
  int n_stats;             /* statistics per row (2 for gradients, classes for counts, 3 for variance) */
  tb_grow_policy policy;   /* depth-wise (level by level, batched split search) or loss-guided (best leaf first) */
  int max_depth;           /* >= 1: nodes at this depth are leaves */
  int max_leaves;          /* loss-guided only: >= 2 */
  tb_grow_mask_fn mask;    /* per-node feature subset; NULL = every feature */
  void *mask_ctx;
} tb_grow_params;

/* A grown tree on the host. Node indices (left, right) are local (root 0); a leaf's `leaf` is its local leaf
 * index into the leaf arrays, in node order; threshold = the cut of (feature, bin) for raw-data prediction. */
typedef struct tb_grown_tree {
  int n_nodes, n_leaves;
  tb_tree_node *nodes;      /* n_nodes */
  int64_t *leaf_stats;      /* (n_leaves, n_stats): each leaf's stat sums */
  uint32_t *leaf_begin;     /* each leaf's rows are ws rows[leaf_begin .. leaf_begin + leaf_count) after growth */
  uint32_t *leaf_count;
  int depth;                /* deepest leaf */
  int cap_nodes;            /* internal: allocated entries */
} tb_grown_tree;

void tb_grown_tree_free(tb_grown_tree *t); /* frees the arrays, keeps the struct; NULL is a no-op */

typedef struct tb_grow_ws tb_grow_ws;

/* Device and host scratch to grow trees on up to max_rows rows of a dataset binned as `bins`, with n_stats stats per
 * row; at most hist_bytes of histograms (at least 4 node histograms; fewer than needed only costs speed: nodes whose
 * histograms do not fit are built directly instead of by subtraction). */
int tb_grow_ws_init(tb_backend *be, const tb_bins *bins, int n_cols, size_t max_rows, int n_stats, size_t hist_bytes,
                    tb_grow_ws **out);
void tb_grow_ws_free(tb_grow_ws *ws);
/* Bytes of device memory tb_grow_ws_init allocates for these sizes. */
size_t tb_grow_ws_bytes(int n_cols, int total_bins, size_t max_rows, int n_stats, size_t hist_bytes);
/* Makes the workspace partition rows on bins_cols, the column-major copy of its bins (device, (n_cols, n_data_rows):
 * tb_devdata_bins_cols), instead of the row-major bins: the same trees, fewer cache lines read. NULL: row-major
 * again. The caller keeps bins_cols alive as long as the workspace. */
void tb_grow_ws_set_bins_cols(tb_grow_ws *ws, const uint8_t *bins_cols, size_t n_data_rows);
/* The device row list (max_rows uint32): the caller writes the tree's rows (dataset row indices) here. */
uint32_t *tb_grow_ws_rows(tb_grow_ws *ws);

/* Grows one tree on rows[0..n_rows) of the workspace with per-row statistics `stats` (device, (dataset rows,
 * n_stats) int64, indexed by dataset row). n_rows >= 1. *out is reset and filled (free with tb_grown_tree_free);
 * the row list is left partitioned by leaf. */
int tb_grow_tree(tb_grow_ws *ws, const tb_grow_params *p, const int64_t *stats, size_t n_rows, tb_grown_tree *out);

/* ---- growable device arrays (the learners' device copies of their trees; models/tree_set.c) ------------------ */
typedef struct tb_devvec {
  tb_buf buf;
  size_t len; /* bytes in use */
} tb_devvec;

/* Appends `bytes` from host memory, doubling the allocation when needed. */
int tb_devvec_append(tb_backend *be, tb_devvec *v, const void *src, size_t bytes);
void tb_devvec_free(tb_backend *be, tb_devvec *v);

/* ---- a learner's trees (models/tree_set.c) ----------------------------------------------------------------------
 * Host arrays in the layout of tb_forest_view (absolute node and leaf indices), mirrored on the device for
 * tb_op_forest_predict; tree t's nodes are nodes[roots[t] .. roots[t+1]) and its leaves leaf_first[t] ... */
typedef struct tb_treeset {
  int leaf_width;                 /* values per leaf */
  int n_trees, cap_trees;
  int32_t *roots, *out_col, *leaf_first;
  tb_tree_node *nodes;
  size_t n_nodes, cap_nodes;
  float *leaf;                    /* n_leaves * leaf_width values */
  size_t n_leaves, cap_leaves;
  tb_devvec d_nodes, d_leaf, d_roots, d_out_col; /* device copies of the first n_dev trees */
  int n_dev;
} tb_treeset;

/* Appends a grown tree with its leaf values (t->n_leaves * leaf_width, host) writing to output column out_col. */
int tb_treeset_add(tb_treeset *s, const tb_grown_tree *t, const float *values, int out_col);
/* Uploads the trees added since the last sync. */
int tb_treeset_sync(tb_backend *be, tb_treeset *s);
/* View of trees first .. first+n-1 (synced). */
tb_forest_view tb_treeset_view(const tb_treeset *s, int first, int n);
/* Keeps the first n trees (host and device). */
void tb_treeset_truncate(tb_treeset *s, int n);
void tb_treeset_free(tb_backend *be, tb_treeset *s);
/* Serialisation: bytes needed, write into dst, read (src must hold exactly one written set; checks every index against
 * n_cols and n_out; *used receives the bytes read). A successful read replaces s (host arrays; call tb_treeset_sync
 * after it); a failed one leaves s as it was. */
size_t tb_treeset_blob_size(const tb_treeset *s);
void tb_treeset_write(const tb_treeset *s, unsigned char *dst);
int tb_treeset_read(tb_backend *be, tb_treeset *s, const unsigned char *src, size_t len, int n_cols, int n_out,
                    size_t *used);
#endif
