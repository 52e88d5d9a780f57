/* tree_grow_depthwise.c: depth-wise growth for the tree grower (tree_grow_impl.h), level by level, each level in
 * three backend calls (partition_level, hist_build_level, split_find; more only when the level is wider than half
 * the histogram slots). Not loss-guided growth (tree_grow_lossguide.c) nor the node primitives (tree_grow_nodes.c).
 * Tested through tests/test_model_gbdt.c and tests/test_model_forest.c. */
#include <stdlib.h>

#include "tb_error.h"
#include "tree_grow_impl.h"

/* Per-level host scratch of grow_depthwise: node lists and the partition_level arguments (cap entries each), the
 * histogram jobs of one chunk (half + 2). */
typedef struct {
  int cap;
  int *level, *next, *parent_pos, *level_need, *split_pos;
  uint32_t *seg_begin, *seg_count, *n_left;
  int32_t *feature, *bin;
  tb_hist_job *jobs;
} level_arrays;

static void level_arrays_free(level_arrays *a) {
  free(a->level);
  free(a->next);
  free(a->parent_pos);
  free(a->level_need);
  free(a->split_pos);
  free(a->seg_begin);
  free(a->seg_count);
  free(a->n_left);
  free(a->feature);
  free(a->bin);
  free(a->jobs);
}

/* Grows every per-node array to at least n entries (keeping contents). */
static int level_arrays_grow(level_arrays *a, int n) {
  if (n <= a->cap) return TB_OK;
  int nc = 2 * a->cap > n ? 2 * a->cap : n;
#define GROW(f)                                                  \
  do {                                                           \
    void *q = realloc(a->f, (size_t)nc * sizeof *a->f);          \
    if (!q) return tb_error_set(TB_ERR_NOMEM, "tree grow: out of host memory (%d nodes)", nc); \
    a->f = q;                                                    \
  } while (0)
  GROW(level);
  GROW(next);
  GROW(parent_pos);
  GROW(split_pos);
  GROW(seg_begin);
  GROW(seg_count);
  GROW(n_left);
  GROW(feature);
  GROW(bin);
#undef GROW
  a->cap = nc;
  return TB_OK;
}

/* Builds the chunk's pending histogram jobs, then searches the splits of its c nodes (slots from `first`). */
static int flush_chunk(tb_grow_ws *ws, const tb_grow_params *p, const int64_t *stats, size_t n_rows,
                       level_arrays *a, int *nj, int c, int first) {
  int rc = TB_OK;
  TB_TRY(tb_grow_build_jobs(ws, stats, n_rows, a->jobs, *nj));
  *nj = 0;
  if (c > 0) TB_TRY(tb_grow_find_splits(ws, p, a->level_need, c, first));
done:
  return rc;
}

/* Level by level; each level costs one partition_level call, one hist_build_level call and one split_find call
 * (more only when the level is wider than half the histogram slots). */
int tb_grow_depthwise(tb_grow_ws *ws, const tb_grow_params *p, const int64_t *stats, size_t n_rows) {
  int rc = TB_OK;
  const int half = ws->n_slots / 2;
  int base_p = 0, base_c = half; /* this level's histograms are in slots base_p.., the next level's in base_c.. */
  int n_level = 1;
  level_arrays a = {0};
  a.level_need = malloc((size_t)(half + 2) * sizeof *a.level_need);
  a.jobs = malloc((size_t)(half + 2) * sizeof *a.jobs);
  if (!a.level_need || !a.jobs) TB_FAIL(TB_ERR_NOMEM, "tree grow: out of host memory");
  TB_TRY(level_arrays_grow(&a, 64));
  a.level[0] = 0;
  TB_TRY(tb_grow_make_root(ws, stats, n_rows, 0));
  int root = 0;
  TB_TRY(tb_grow_find_splits(ws, p, &root, 1, 0));
  for (int depth = 0; depth < p->max_depth; depth++) {
    TB_TRY(level_arrays_grow(&a, 2 * n_level));
    int n_split = 0;
    for (int i = 0; i < n_level; i++) {
      const gnode *g = &ws->nodes[a.level[i]];
      if (g->split.feature < 0) continue;
      a.split_pos[n_split] = i;
      a.seg_begin[n_split] = g->begin;
      a.seg_count[n_split] = g->count;
      a.feature[n_split] = g->split.feature;
      a.bin[n_split] = g->split.bin;
      n_split++;
    }
    TB_TRY(tb_grow_partition_segments(ws, n_rows, n_split, a.seg_begin, a.seg_count, a.feature, a.bin, a.n_left));
    int n_child = 0;
    for (int k = 0; k < n_split; k++) {
      int L, R;
      TB_TRY(tb_grow_add_children(ws, a.level[a.split_pos[k]], a.n_left[k], &L, &R));
      a.parent_pos[n_child / 2] = a.split_pos[k];
      a.next[n_child++] = L;
      a.next[n_child++] = R;
    }
    if (n_child == 0 || depth + 1 >= p->max_depth) break;
    /* children that can split get consecutive slots from base_c, in chunks of `half` searched together */
    int n_need = 0;
    for (int k = 0; k < n_child; k++) n_need += tb_grow_can_split(ws, p, a.next[k]);
    int keep = n_need <= half, c = 0, nj = 0;
    for (int k = 0; k < n_child; k += 2) {
      int L = a.next[k], R = a.next[k + 1], nL = tb_grow_can_split(ws, p, L), nR = tb_grow_can_split(ws, p, R);
      if (!nL && !nR) continue;
      if (c + nL + nR > half) {
        TB_TRY(flush_chunk(ws, p, stats, n_rows, &a, &nj, c, base_c));
        c = 0;
      }
      int sL = -1, sR = -1;
      if (nL) { sL = base_c + c; a.level_need[c++] = L; }
      if (nR) { sR = base_c + c; a.level_need[c++] = R; }
      int parent = a.level[a.parent_pos[k / 2]];
      tb_grow_pair_jobs(ws, L, sL, R, sR, ws->nodes[parent].slot, a.jobs, &nj);
      ws->nodes[L].slot = keep ? sL : -1;
      ws->nodes[R].slot = keep ? sR : -1;
    }
    if (c > 0) TB_TRY(flush_chunk(ws, p, stats, n_rows, &a, &nj, c, base_c));
    int *t = a.level;
    a.level = a.next;
    a.next = t;
    n_level = n_child;
    if (keep) {
      int sw = base_p;
      base_p = base_c;
      base_c = sw;
    }
  }
done:
  level_arrays_free(&a);
  return rc;
}

