/* tree_grow.c: grows one tree from fixed-point histograms (tree_grow.h), for gbdt.c and forest.c: tb_grow_tree picks
 * the growth policy (tree_grow_depthwise.c, tree_grow_lossguide.c, both built on tree_grow_nodes.c) and writes the
 * tree. It is not a learner: statistics, leaf values and prediction belong to the callers. Tested through
 * tests/test_model_gbdt.c and tests/test_model_forest.c.
 *
 * Each node owns a contiguous range of the workspace's row list; splitting a node partitions its range in place
 * (tb_op_partition_level), so the children own the two halves. Histograms use the subtraction trick: the smaller child's
 * histogram is built (tb_op_hist_build over its rows) and its sibling's is parent - child (tb_op_hist_subtract).
 * Histogram memory is bounded (ws->n_slots node histograms): a node whose parent's histogram was not kept gets both
 * children built directly, which costs time, never results (histograms are exact integer sums either way).
 *   depth-wise (tree_grow_depthwise.c): level by level, each level in three backend calls (so the CPU opens a few thread teams per level,
 *     not several per node): tb_op_partition_level splits the rows of every node of the level, then the children
 *     that can split at all (can_split: not pure, enough rows and weight) get one contiguous block of histograms
 *     built by one tb_op_hist_build_level call (smaller child built, sibling by subtraction, as one job) and
 *     searched by one tb_op_split_find call (in chunks of n_slots/2 when the level is wider; then the level's
 *     histograms are not kept and the next level builds its children directly). Children that cannot split get no
 *     histogram and no search.
 *   loss-guided (tree_grow_lossguide.c): the candidate leaf with the largest gain (ties: lowest node id) is split
 *     next, until max_leaves leaves or no candidate; children histograms are allocated in pairs from a pool, with a
 *     scratch pair when the pool is full (then the pair's histograms are used for the split search only and
 *     dropped).
 * Partitions read the column-major copy of the bins when the learner gives one (tb_grow_ws_set_bins_cols: GBDT, one
 * byte column per segment instead of a cache line per row), else the row-major bins (forest: its rows were just read
 * by the histogram). Node ids are given in creation order, which is deterministic, so per-node feature masks drawn from (seed, node id)
 * are reproducible. */
#include <stdlib.h>
#include <string.h>

#include "tb_error.h"
#include "tree_grow_impl.h"

int tb_grow_tree(tb_grow_ws *ws, const tb_grow_params *p, const int64_t *stats, size_t n_rows, tb_grown_tree *out) {
  int rc = TB_OK;
  tb_grown_tree_free(out);
  if (!ws || !p || !stats || n_rows < 1 || n_rows > ws->max_rows || p->n_stats != ws->n_stats || p->max_depth < 1 ||
      (p->policy == TB_GROW_LOSSGUIDE && p->max_leaves < 2))
    return tb_error_set(TB_ERR_INVALID, "tree grow: bad arguments (%zu rows of at most %zu, depth %d)", n_rows,
                        ws ? ws->max_rows : 0, p ? p->max_depth : 0);
  ws->n_nodes = 0;
  if (p->policy == TB_GROW_LOSSGUIDE) TB_TRY(tb_grow_lossguide(ws, p, stats, n_rows));
  else TB_TRY(tb_grow_depthwise(ws, p, stats, n_rows));

  const size_t ns = (size_t)ws->n_stats;
  int n_leaves = 0;
  for (int i = 0; i < ws->n_nodes; i++) n_leaves += ws->nodes[i].left < 0;
  out->nodes = malloc((size_t)ws->n_nodes * sizeof *out->nodes);
  out->leaf_stats = malloc((size_t)n_leaves * ns * sizeof *out->leaf_stats);
  out->leaf_begin = malloc((size_t)n_leaves * sizeof *out->leaf_begin);
  out->leaf_count = malloc((size_t)n_leaves * sizeof *out->leaf_count);
  if (!out->nodes || !out->leaf_stats || !out->leaf_begin || !out->leaf_count)
    TB_FAIL(TB_ERR_NOMEM, "tree grow: out of host memory (%d nodes)", ws->n_nodes);
  out->n_nodes = out->cap_nodes = ws->n_nodes;
  out->n_leaves = n_leaves;
  out->depth = 0;
  int leaf = 0;
  for (int i = 0; i < ws->n_nodes; i++) {
    const gnode *g = &ws->nodes[i];
    tb_tree_node *t = &out->nodes[i];
    if (g->left >= 0) {
      t->feature = g->split.feature;
      t->bin = g->split.bin;
      t->threshold = ws->bins->cuts_host[ws->bins->cut_ptr_host[g->split.feature] + (uint32_t)g->split.bin];
      t->left = g->left;
      t->right = g->right;
      t->leaf = -1;
    } else {
      *t = (tb_tree_node){.feature = -1, .bin = -1, .threshold = 0.0f, .left = -1, .right = -1, .leaf = leaf};
      memcpy(out->leaf_stats + (size_t)leaf * ns, ws->tot + (size_t)i * ns, ns * sizeof *out->leaf_stats);
      out->leaf_begin[leaf] = g->begin;
      out->leaf_count[leaf] = g->count;
      if (g->depth > out->depth) out->depth = g->depth;
      leaf++;
    }
  }
done:
  if (rc < 0) tb_grown_tree_free(out);
  return rc;
}
