/* tree_grow_lossguide.c: loss-guided growth for the tree grower (tree_grow_impl.h): the candidate leaf with the
 * largest gain (ties: lowest node id) is split next, until max_leaves leaves or no candidate; children histograms
 * are allocated in pairs from a pool, with a scratch pair when the pool is full (then the pair's histograms serve
 * the split search only and are dropped). Not depth-wise growth (tree_grow_depthwise.c).
 * Tested through tests/test_model_gbdt.c (grow_policy = lossguide). */
#include <stdlib.h>
#include <string.h>

#include "tb_error.h"
#include "tree_grow_impl.h"

/* Loss-guided pool: pair q holds slots 2q and 2q+1; pair 0 is the scratch pair, never kept. */
static int take_pair(tb_grow_ws *ws) {
  for (int q = 1; q < ws->n_slots / 2; q++)
    if (ws->pair_ref[q] == 0) return q;
  return 0;
}

static void drop_slot(tb_grow_ws *ws, int slot) {
  if (slot >= 2) ws->pair_ref[slot / 2]--;
}

int tb_grow_lossguide(tb_grow_ws *ws, const tb_grow_params *p, const int64_t *stats, size_t n_rows) {
  int rc = TB_OK;
  int *cand = NULL, n_cand = 0, n_leaves = 1;
  memset(ws->pair_ref, 0, (size_t)(ws->n_slots / 2) * sizeof *ws->pair_ref);
  cand = malloc((size_t)(p->max_leaves + 1) * sizeof *cand);
  if (!cand) return tb_error_set(TB_ERR_NOMEM, "tree grow: out of host memory");
  ws->pair_ref[1] = 1;
  TB_TRY(tb_grow_make_root(ws, stats, n_rows, 2));
  int root = 0;
  TB_TRY(tb_grow_find_splits(ws, p, &root, 1, 2));
  if (ws->nodes[0].split.feature >= 0 && p->max_depth >= 1) cand[n_cand++] = 0;
  else drop_slot(ws, 2);
  while (n_cand > 0 && n_leaves < p->max_leaves) {
    int bi = 0;
    for (int i = 1; i < n_cand; i++) {
      const tb_split_result *a = &ws->nodes[cand[i]].split, *b = &ws->nodes[cand[bi]].split;
      if (a->gain > b->gain || (a->gain == b->gain && cand[i] < cand[bi])) bi = i;
    }
    int id = cand[bi], L, R;
    cand[bi] = cand[--n_cand];
    TB_TRY(tb_grow_split_node(ws, id, &L, &R));
    n_leaves++;
    int pslot = ws->nodes[id].slot;
    if (ws->nodes[L].depth < p->max_depth && n_leaves < p->max_leaves) {
      int q = take_pair(ws), ids[2] = {L, R};
      TB_TRY(tb_grow_child_hists(ws, stats, L, 2 * q, R, 2 * q + 1, pslot));
      TB_TRY(tb_grow_find_splits(ws, p, ids, 2, 2 * q));
      for (int c = 0; c < 2; c++) {
        if (ws->nodes[ids[c]].split.feature < 0) continue;
        cand[n_cand++] = ids[c];
        if (q > 0) {
          ws->nodes[ids[c]].slot = 2 * q + c;
          ws->pair_ref[q]++;
        }
      }
    }
    drop_slot(ws, pslot);
    ws->nodes[id].slot = -1;
  }
done:
  free(cand);
  return rc;
}
