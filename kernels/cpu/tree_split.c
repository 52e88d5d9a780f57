/* tree_split.c: the CPU backend's split search over fixed-point histograms (tb_op_split_find). Not here: the gain
 * formulas and the child constraints, which live in ../tb_split_gain.h so that the CUDA backend computes identical
 * gains; histogram construction (tree.c). Tested by tests/test_ops_tree.c against a brute-force enumeration of every
 * (feature, bin) with independently written gain formulas, plus masks, min_child_weight, no-split and tie cases.
 *
 * For each node: totals = the sums over feature 0's bins; each allowed feature's bins are scanned left to right
 * accumulating int64 left sums (right = total - left, exact); the last bin is never a split (its right side would
 * be empty). Each (node, feature) pair keeps its first best bin under a strict ">" starting from min_gain; pairs run
 * in parallel and are reduced per node in feature order with the same strict ">", which gives exactly the result of
 * one sequential scan: ties go to the lowest feature, then the lowest bin. Without a split: feature -1, bin -1,
 * gain 0 and left_stats zero. The gradient criterion (the boosting hot path) has its own scan, scan_gradient. */
#include "cpu_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tb_split_gain.h"

typedef struct {
  double gain;
  int32_t bin; /* -1: nothing in this feature beats min_gain */
} pair_best;

/* The scan of one (node, feature) pair for the gradient criterion with (g, h) stats: tb_split_gain's arithmetic in
 * the same order (bit-identical gains), with the parent's score computed once per pair instead of once per bin, and
 * empty bins skipped: their left sums, hence their gain, equal the bin before's, which can never win under ">" (and
 * an empty first bin leaves the left child empty, which is never allowed). */
static pair_best scan_gradient(const tb_split_params *p, const int64_t *tot, const int64_t *h, int nb,
                               pair_best pb) {
  const double s = p->scale, mcw = p->min_child_weight, lambda = p->lambda, alpha = p->alpha;
  const double sp = tb_split_gradient_score((double)tot[0] / s, (double)tot[1] / s, lambda, alpha);
  int64_t l0 = 0, l1 = 0;
  for (int b = 0; b + 1 < nb; b++) {
    const int64_t a0 = h[2 * b], a1 = h[2 * b + 1];
    l0 += a0;
    l1 += a1;
    if ((a0 | a1) == 0) continue;
    const int64_t r0 = tot[0] - l0, r1 = tot[1] - l1;
    if (l1 <= 0 || r1 <= 0) continue;
    double HL = (double)l1 / s, HR = (double)r1 / s;
    if (HL < mcw || HR < mcw) continue;
    double GL = (double)l0 / s, GR = (double)r0 / s;
    double sl = tb_split_gradient_score(GL, HL, lambda, alpha), sr = tb_split_gradient_score(GR, HR, lambda, alpha);
    double g = 0.5 * (sl + sr - sp) - p->gamma;
    if (g > pb.gain) {
      pb.gain = g;
      pb.bin = b;
    }
  }
  return pb;
}

int tb_cpu_split_find(tb_backend *be, const tb_split_params *params, int n_nodes, int n_cols, const uint32_t *cut_ptr,
                      int total_bins, const int64_t *hist, int n_stats, const uint8_t *feature_mask,
                      tb_split_result *out, int64_t *left_stats) {
  if (cut_ptr[0] != 0 || cut_ptr[n_cols] != (uint32_t)total_bins)
    return tb_error_set(TB_ERR_INVALID, "split_find: cut_ptr runs %u..%u but total_bins is %d", cut_ptr[0],
                        cut_ptr[n_cols], total_bins);
  for (int j = 0; j < n_cols; j++)
    if (cut_ptr[j + 1] <= cut_ptr[j] || cut_ptr[j + 1] - cut_ptr[j] > TB_MAX_BINS)
      return tb_error_set(TB_ERR_INVALID, "split_find: feature %d has %lld bins (need 1..%d)", j,
                          (long long)cut_ptr[j + 1] - (long long)cut_ptr[j], TB_MAX_BINS);
  if (params->criterion == TB_SPLIT_VARIANCE && !(params->scale_y > 0))
    return tb_error_set(TB_ERR_INVALID, "split_find: variance criterion needs scale_y > 0");

  const size_t node_len = (size_t)total_bins * (size_t)n_stats;
  const size_t n_pairs = (size_t)n_nodes * (size_t)n_cols;
  int64_t *totals = malloc((size_t)n_nodes * (size_t)n_stats * sizeof *totals);
  pair_best *best = malloc(n_pairs * sizeof *best);
  if (!totals || !best) {
    free(totals);
    free(best);
    return tb_error_set(TB_ERR_NOMEM, "split_find: out of host memory (%d nodes x %d features)", n_nodes, n_cols);
  }
  for (int n = 0; n < n_nodes; n++) {
    int64_t *tot = totals + (size_t)n * (size_t)n_stats;
    memset(tot, 0, (size_t)n_stats * sizeof *tot);
    const int64_t *h = hist + (size_t)n * node_len;
    for (uint32_t b = 0; b < cut_ptr[1]; b++)
      for (int k = 0; k < n_stats; k++) tot[k] += h[(size_t)b * (size_t)n_stats + (size_t)k];
  }

  long long np = (long long)n_pairs;
#pragma omp parallel for if (n_pairs * (size_t)total_bins >= 8192) num_threads(tb_cpu_threads(be)) \
    schedule(dynamic, 4)
  for (long long pi = 0; pi < np; pi++) {
    int n = (int)(pi / n_cols), j = (int)(pi % n_cols);
    pair_best pb = {params->min_gain, -1};
    if ((!feature_mask || feature_mask[pi]) && params->criterion == TB_SPLIT_GRADIENT && n_stats == 2) {
      pb = scan_gradient(params, totals + (size_t)n * 2, hist + (size_t)n * node_len + (size_t)cut_ptr[j] * 2,
                         (int)(cut_ptr[j + 1] - cut_ptr[j]), pb);
    } else if (!feature_mask || feature_mask[pi]) {
      const int64_t *tot = totals + (size_t)n * (size_t)n_stats;
      const int64_t *h = hist + (size_t)n * node_len + (size_t)cut_ptr[j] * (size_t)n_stats;
      int nb = (int)(cut_ptr[j + 1] - cut_ptr[j]);
      int64_t left[TB_MAX_STATS], right[TB_MAX_STATS];
      memset(left, 0, (size_t)n_stats * sizeof *left);
      for (int b = 0; b + 1 < nb; b++) {
        for (int k = 0; k < n_stats; k++) {
          left[k] += h[(size_t)b * (size_t)n_stats + (size_t)k];
          right[k] = tot[k] - left[k];
        }
        double g = tb_split_gain(params, tot, left, right, n_stats);
        if (g > pb.gain) {
          pb.gain = g;
          pb.bin = b;
        }
      }
    }
    best[pi] = pb;
  }

  for (int n = 0; n < n_nodes; n++) {
    tb_split_result r = {-1, -1, params->min_gain};
    for (int j = 0; j < n_cols; j++) {
      const pair_best *pb = &best[(size_t)n * (size_t)n_cols + (size_t)j];
      if (pb->bin >= 0 && pb->gain > r.gain) {
        r.feature = j;
        r.bin = pb->bin;
        r.gain = pb->gain;
      }
    }
    if (r.feature < 0) r.gain = 0.0;
    out[n] = r;
    if (left_stats) {
      int64_t *ls = left_stats + (size_t)n * (size_t)n_stats;
      memset(ls, 0, (size_t)n_stats * sizeof *ls);
      if (r.feature >= 0) {
        const int64_t *h = hist + (size_t)n * node_len + (size_t)cut_ptr[r.feature] * (size_t)n_stats;
        for (int b = 0; b <= r.bin; b++)
          for (int k = 0; k < n_stats; k++) ls[k] += h[(size_t)b * (size_t)n_stats + (size_t)k];
      }
    }
  }
  free(best);
  free(totals);
  return TB_OK;
}
