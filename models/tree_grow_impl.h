/* tree_grow_impl.h: internal to the tree grower, whose files call downwards only: tree_grow.c (tb_grow_tree: the
 * policy dispatch and the output tree) -> tree_grow_depthwise.c, tree_grow_lossguide.c (the two growth policies)
 * -> tree_grow_nodes.c (workspace, node records, histograms, split search, partitions). Not a public header.
 * Tested through tests/test_model_gbdt.c and tests/test_model_forest.c. */
#ifndef TB_TREE_GROW_IMPL_H
#define TB_TREE_GROW_IMPL_H
#include "tree_grow.h"

typedef struct {
  uint32_t begin, count;
  int32_t depth, slot;     /* slot: histogram slot index holding this node's histogram, -1 when none */
  int32_t left, right;     /* children, -1 for leaves */
  tb_split_result split;   /* best split (feature -1 when none or not searched) */
} gnode;

struct tb_grow_ws {
  tb_backend *be;
  const tb_bins *bins;
  const uint8_t *bins_cols; /* column-major bins (n_cols, n_data_rows) for the partitions; NULL: use bins->bins */
  size_t n_data_rows;
  int n_cols, n_stats, n_slots;
  size_t max_rows, slot_len; /* slot_len: int64 entries per node histogram (total_bins * n_stats) */
  tb_buf rows, scratch, hist;
  /* host: node records, node totals and left-child sums (n_stats each), grown per tree */
  gnode *nodes;
  int64_t *tot, *ltot;
  int n_nodes, cap_nodes;
  /* host: split_find batch scratch for up to n_slots nodes */
  uint8_t *mask;
  tb_split_result *res;
  int64_t *lbatch;
  int *pair_ref; /* loss-guided pool: live node histograms per slot pair (n_slots / 2) */
};

/* Root of a tree over rows [0, n_rows) of ws->rows: its histogram into `slot`, its totals. */
int tb_grow_make_root(tb_grow_ws *ws, const int64_t *stats, size_t n_rows, int slot);
/* Best splits of nodes ids[0..n) whose histograms sit in consecutive slots from `first`. */
int tb_grow_find_splits(tb_grow_ws *ws, const tb_grow_params *p, const int *ids, int n, int first);
/* Partitions node id by its split; *L, *R: the children's ids. */
int tb_grow_split_node(tb_grow_ws *ws, int id, int *L, int *R);
/* Histograms of children L (slot sL) and R (slot sR) of the node whose histogram is in pslot (-1: none kept). */
int tb_grow_child_hists(tb_grow_ws *ws, const int64_t *stats, int L, int sL, int R, int sR, int pslot);
/* 0 when no split of node id can pass the constraints, judged from its totals alone. */
int tb_grow_can_split(const tb_grow_ws *ws, const tb_grow_params *p, int id);
/* Histogram jobs (appended to jobs[*nj]) for children L (slot sL), R (slot sR) of the node in pslot. */
void tb_grow_pair_jobs(const tb_grow_ws *ws, int L, int sL, int R, int sR, int pslot, tb_hist_job *jobs, int *nj);
/* Runs nj histogram jobs (one tb_op_hist_build_level call). */
int tb_grow_build_jobs(tb_grow_ws *ws, const int64_t *stats, size_t n_rows, const tb_hist_job *jobs, int nj);
/* Creates the two children of node id, whose rows are partitioned with nl on the left. */
int tb_grow_add_children(tb_grow_ws *ws, int id, size_t nl, int *L, int *R);
/* Partitions n_seg segments of the row list by (feature, bin), on whichever bins layout the workspace has. */
int tb_grow_partition_segments(tb_grow_ws *ws, size_t n_rows, int n_seg, const uint32_t *seg_begin,
                               const uint32_t *seg_count, const int32_t *feature, const int32_t *bin, uint32_t *n_left);
/* Depth-wise growth of one tree (tree_grow_depthwise.c). */
int tb_grow_depthwise(tb_grow_ws *ws, const tb_grow_params *p, const int64_t *stats, size_t n_rows);
/* Loss-guided growth of one tree (tree_grow_lossguide.c). */
int tb_grow_lossguide(tb_grow_ws *ws, const tb_grow_params *p, const int64_t *stats, size_t n_rows);
#endif
