/* tree_grow_nodes.c: the tree grower's parts that both growth policies use (tree_grow_impl.h): the workspace, node
 * records, histogram jobs with the subtraction trick, the split search over a block of nodes, partitions. It calls
 * no growth policy: tree_grow_depthwise.c and tree_grow_lossguide.c call it, and tree_grow.c calls them.
 * Tested through tests/test_model_gbdt.c and tests/test_model_forest.c. */
#include <stdlib.h>
#include <string.h>

#include "tb_error.h"
#include "tree_grow_impl.h"

void tb_grown_tree_free(tb_grown_tree *t) {
  if (!t) return;
  free(t->nodes);
  free(t->leaf_stats);
  free(t->leaf_begin);
  free(t->leaf_count);
  memset(t, 0, sizeof *t);
}

static int slots_for(size_t hist_bytes, size_t slot_bytes) {
  size_t s = hist_bytes / slot_bytes;
  if (s > (1u << 16)) s = 1u << 16;
  s &= ~(size_t)3; /* a multiple of 4: two halves of whole pairs */
  return s < 4 ? 4 : (int)s;
}

size_t tb_grow_ws_bytes(int n_cols, int total_bins, size_t max_rows, int n_stats, size_t hist_bytes) {
  (void)n_cols;
  size_t slot_bytes = (size_t)total_bins * (size_t)n_stats * sizeof(int64_t);
  return 2 * max_rows * sizeof(uint32_t) + (size_t)slots_for(hist_bytes, slot_bytes) * slot_bytes;
}

int tb_grow_ws_init(tb_backend *be, const tb_bins *bins, int n_cols, size_t max_rows, int n_stats, size_t hist_bytes,
                    tb_grow_ws **out) {
  int rc = TB_OK;
  tb_grow_ws *ws = NULL;
  *out = NULL;
  if (!be || !bins || n_cols < 1 || max_rows < 1 || n_stats < 1 || n_stats > TB_MAX_STATS)
    return tb_error_set(TB_ERR_INVALID, "tree grow: bad workspace sizes (%d columns, %zu rows, %d stats)", n_cols,
                        max_rows, n_stats);
  ws = calloc(1, sizeof *ws);
  if (!ws) return tb_error_set(TB_ERR_NOMEM, "tree grow: out of host memory");
  ws->be = be;
  ws->bins = bins;
  ws->n_cols = n_cols;
  ws->n_stats = n_stats;
  ws->max_rows = max_rows;
  ws->slot_len = (size_t)bins->total_bins * (size_t)n_stats;
  ws->n_slots = slots_for(hist_bytes, ws->slot_len * sizeof(int64_t));
  TB_TRY(tb_backend_alloc(be, max_rows * sizeof(uint32_t), &ws->rows));
  TB_TRY(tb_backend_alloc(be, max_rows * sizeof(uint32_t), &ws->scratch));
  TB_TRY(tb_backend_alloc(be, (size_t)ws->n_slots * ws->slot_len * sizeof(int64_t), &ws->hist));
  ws->mask = malloc((size_t)ws->n_slots * (size_t)n_cols);
  ws->res = malloc((size_t)ws->n_slots * sizeof *ws->res);
  ws->lbatch = malloc((size_t)ws->n_slots * (size_t)n_stats * sizeof *ws->lbatch);
  ws->pair_ref = calloc((size_t)ws->n_slots / 2, sizeof *ws->pair_ref);
  if (!ws->mask || !ws->res || !ws->lbatch || !ws->pair_ref) TB_FAIL(TB_ERR_NOMEM, "tree grow: out of host memory");
  *out = ws;
  ws = NULL;
done:
  tb_grow_ws_free(ws);
  return rc;
}

void tb_grow_ws_free(tb_grow_ws *ws) {
  if (!ws) return;
  tb_backend_release(ws->be, &ws->hist);
  tb_backend_release(ws->be, &ws->scratch);
  tb_backend_release(ws->be, &ws->rows);
  free(ws->nodes);
  free(ws->tot);
  free(ws->ltot);
  free(ws->mask);
  free(ws->res);
  free(ws->lbatch);
  free(ws->pair_ref);
  free(ws);
}

void tb_grow_ws_set_bins_cols(tb_grow_ws *ws, const uint8_t *bins_cols, size_t n_data_rows) {
  if (!ws) return;
  ws->bins_cols = n_data_rows ? bins_cols : NULL;
  ws->n_data_rows = n_data_rows;
}

/* Partitions the n_seg segments of the row list by (feature, bin), on whichever bins layout the workspace has. */
int tb_grow_partition_segments(tb_grow_ws *ws, size_t n_rows, int n_seg, const uint32_t *seg_begin,
                              const uint32_t *seg_count, const int32_t *feature, const int32_t *bin, uint32_t *n_left) {
  if (ws->bins_cols)
    return tb_op_partition_level_cols(ws->be, ws->n_cols, ws->n_data_rows, ws->bins_cols, ws->rows.data, n_rows,
                                      n_seg, seg_begin, seg_count, feature, bin, ws->scratch.data, n_left);
  return tb_op_partition_level(ws->be, ws->n_cols, ws->bins->bins, ws->rows.data, n_rows, n_seg, seg_begin,
                               seg_count, feature, bin, ws->scratch.data, n_left);
}

uint32_t *tb_grow_ws_rows(tb_grow_ws *ws) { return ws ? ws->rows.data : NULL; }

/* ---- node records ------------------------------------------------------------------------------------------------ */
static int new_node(tb_grow_ws *ws, uint32_t begin, uint32_t count, int depth, const int64_t *tot) {
  if (ws->n_nodes == ws->cap_nodes) {
    int cap = ws->cap_nodes ? 2 * ws->cap_nodes : 64;
    gnode *n = realloc(ws->nodes, (size_t)cap * sizeof *n);
    if (n) ws->nodes = n;
    int64_t *t = realloc(ws->tot, (size_t)cap * (size_t)ws->n_stats * sizeof *t);
    if (t) ws->tot = t;
    int64_t *l = realloc(ws->ltot, (size_t)cap * (size_t)ws->n_stats * sizeof *l);
    if (l) ws->ltot = l;
    if (!n || !t || !l) return tb_error_set(TB_ERR_NOMEM, "tree grow: out of host memory (%d nodes)", cap);
    ws->cap_nodes = cap;
  }
  int id = ws->n_nodes++;
  gnode *g = &ws->nodes[id];
  g->begin = begin;
  g->count = count;
  g->depth = depth;
  g->slot = -1;
  g->left = g->right = -1;
  g->split = (tb_split_result){-1, -1, 0.0};
  const size_t ns = (size_t)ws->n_stats;
  if (tot) memcpy(ws->tot + (size_t)id * ns, tot, ns * sizeof *tot);
  memset(ws->ltot + (size_t)id * ns, 0, ns * sizeof *ws->ltot);
  return id;
}

static int64_t *slot_ptr(tb_grow_ws *ws, int slot) { return (int64_t *)ws->hist.data + (size_t)slot * ws->slot_len; }

static int build_hist(tb_grow_ws *ws, const int64_t *stats, int node, int slot) {
  const gnode *g = &ws->nodes[node];
  return tb_op_hist_build(ws->be, ws->n_cols, ws->bins->bins, ws->bins->cut_ptr, ws->bins->total_bins,
                          (const uint32_t *)ws->rows.data + g->begin, g->count, stats, ws->n_stats, slot_ptr(ws, slot));
}

/* Histograms of the children L, R of a node into slots sL, sR: the smaller built, the other by subtraction from the
 * parent's slot pslot (when >= 0), else both built. */
int tb_grow_child_hists(tb_grow_ws *ws, const int64_t *stats, int L, int sL, int R, int sR, int pslot) {
  int rc = TB_OK;
  if (pslot < 0) {
    TB_TRY(build_hist(ws, stats, L, sL));
    TB_TRY(build_hist(ws, stats, R, sR));
  } else {
    int small = ws->nodes[L].count <= ws->nodes[R].count;
    int cs = small ? L : R, ss = small ? sL : sR, so = small ? sR : sL;
    TB_TRY(build_hist(ws, stats, cs, ss));
    TB_TRY(tb_op_hist_subtract(ws->be, ws->slot_len, slot_ptr(ws, pslot), slot_ptr(ws, ss), slot_ptr(ws, so)));
  }
done:
  return rc;
}

/* 0 when no split of node id can pass the constraints, judged from its totals alone (fewer than 2 rows, a pure
 * class node, or too little weight for two children): such nodes need no histogram and no split search. Skipping
 * them never changes the tree: tb_op_split_find would find no split for them. */
int tb_grow_can_split(const tb_grow_ws *ws, const tb_grow_params *p, int id) {
  const int64_t *t = ws->tot + (size_t)id * (size_t)ws->n_stats;
  const double need = 2.0 * p->split.min_child_weight * (1.0 - 1e-12), s = p->split.scale;
  if (ws->nodes[id].count < 2) return 0;
  switch (p->split.criterion) {
  case TB_SPLIT_GRADIENT: return t[1] > 0 && (double)t[1] / s >= need;
  case TB_SPLIT_VARIANCE: return (double)t[0] / s >= need;
  default: {
    int64_t w = 0;
    int nz = 0;
    for (int k = 0; k < ws->n_stats; k++) {
      w += t[k];
      nz += t[k] > 0;
    }
    return nz >= 2 && (double)w / s >= need;
  }
  }
}

/* Histogram jobs (appended to jobs[*nj]) for the children L, R of a node, for the ones that need one (slot >= 0):
 * both needed: as child_hists; one needed: built directly when it is the smaller or there is no parent histogram,
 * else parent - sibling (the sibling built but not kept). */
void tb_grow_pair_jobs(const tb_grow_ws *ws, int L, int sL, int R, int sR, int pslot, tb_hist_job *jobs, int *nj) {
  const gnode *g = ws->nodes;
#define JOB(n, d, p, s) (jobs[(*nj)++] = (tb_hist_job){g[n].begin, g[n].count, (d), (p), (s)})
  if (sL >= 0 && sR >= 0) {
    if (pslot < 0) {
      JOB(L, sL, -1, -1);
      JOB(R, sR, -1, -1);
    } else if (g[L].count <= g[R].count) JOB(L, sL, pslot, sR);
    else JOB(R, sR, pslot, sL);
    return;
  }
  int x = sL >= 0 ? L : R, sx = sL >= 0 ? sL : sR, y = sL >= 0 ? R : L;
  if (sx < 0) return;
  if (pslot < 0 || g[x].count <= g[y].count) JOB(x, sx, -1, -1);
  else JOB(y, -1, pslot, sx);
#undef JOB
}

int tb_grow_build_jobs(tb_grow_ws *ws, const int64_t *stats, size_t n_rows, const tb_hist_job *jobs, int nj) {
  return tb_op_hist_build_level(ws->be, ws->n_cols, ws->bins->bins, ws->bins->cut_ptr, ws->bins->total_bins,
                                ws->rows.data, n_rows, stats, ws->n_stats, nj, jobs, ws->n_slots, ws->hist.data);
}

/* Best splits of the n nodes ids[0..n) whose histograms are contiguous from slot `first`. */
int tb_grow_find_splits(tb_grow_ws *ws, const tb_grow_params *p, const int *ids, int n, int first) {
  int rc = TB_OK;
  const size_t nc = (size_t)ws->n_cols, ns = (size_t)ws->n_stats;
  if (p->mask)
    for (int i = 0; i < n; i++) p->mask(p->mask_ctx, ids[i], ws->n_cols, ws->mask + (size_t)i * nc);
  TB_TRY(tb_op_split_find(ws->be, &p->split, n, ws->n_cols, ws->bins->cut_ptr_host, ws->bins->total_bins,
                          slot_ptr(ws, first), ws->n_stats, p->mask ? ws->mask : NULL, ws->res, ws->lbatch));
  for (int i = 0; i < n; i++) {
    ws->nodes[ids[i]].split = ws->res[i];
    memcpy(ws->ltot + (size_t)ids[i] * ns, ws->lbatch + (size_t)i * ns, ns * sizeof *ws->lbatch);
  }
done:
  return rc;
}

/* Creates the two children of node id, whose rows are partitioned with nl on the left; *L, *R receive their ids. */
int tb_grow_add_children(tb_grow_ws *ws, int id, size_t nl, int *L, int *R) {
  int rc = TB_OK;
  const size_t ns = (size_t)ws->n_stats;
  int64_t rt[TB_MAX_STATS];
  gnode g = ws->nodes[id];
  if (nl == 0 || nl == g.count)
    TB_FAIL(TB_ERR_DEVICE, "tree grow: split of node %d (feature %d, bin %d) left %zu of %u rows on one side", id,
            g.split.feature, g.split.bin, nl, g.count);
  for (size_t k = 0; k < ns; k++) rt[k] = ws->tot[(size_t)id * ns + k] - ws->ltot[(size_t)id * ns + k];
  int64_t lt[TB_MAX_STATS];
  memcpy(lt, ws->ltot + (size_t)id * ns, ns * sizeof *lt);
  rc = new_node(ws, g.begin, (uint32_t)nl, g.depth + 1, lt);
  if (rc < 0) goto done;
  *L = rc;
  rc = new_node(ws, g.begin + (uint32_t)nl, g.count - (uint32_t)nl, g.depth + 1, rt);
  if (rc < 0) goto done;
  *R = rc;
  rc = TB_OK;
  ws->nodes[id].left = *L;
  ws->nodes[id].right = *R;
done:
  return rc;
}

/* Partitions node id's rows by its split and creates its two children; *L, *R receive their ids. */
int tb_grow_split_node(tb_grow_ws *ws, int id, int *L, int *R) {
  int rc = TB_OK;
  const gnode *g = &ws->nodes[id];
  uint32_t nl = 0, begin = g->begin, count = g->count;
  int32_t f = g->split.feature, b = g->split.bin;
  TB_TRY(tb_grow_partition_segments(ws, ws->max_rows, 1, &begin, &count, &f, &b, &nl));
  TB_TRY(tb_grow_add_children(ws, id, nl, L, R));
done:
  return rc;
}

/* Root: histogram into `slot`, totals from its feature-0 bins. */
int tb_grow_make_root(tb_grow_ws *ws, const int64_t *stats, size_t n_rows, int slot) {
  int rc = TB_OK;
  const size_t ns = (size_t)ws->n_stats, nb0 = ws->bins->cut_ptr_host[1];
  int64_t *h0 = malloc(nb0 * ns * sizeof *h0), tot[TB_MAX_STATS] = {0};
  if (!h0) return tb_error_set(TB_ERR_NOMEM, "tree grow: out of host memory");
  TB_TRY(new_node(ws, 0, (uint32_t)n_rows, 0, NULL));
  ws->nodes[0].slot = slot;
  TB_TRY(build_hist(ws, stats, 0, slot));
  TB_TRY(tb_backend_download(ws->be, h0, slot_ptr(ws, slot), nb0 * ns * sizeof *h0));
  for (size_t b = 0; b < nb0; b++)
    for (size_t k = 0; k < ns; k++) tot[k] += h0[b * ns + k];
  memcpy(ws->tot, tot, ns * sizeof *tot);
done:
  free(h0);
  return rc;
}

