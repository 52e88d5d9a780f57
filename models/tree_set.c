/* tree_set.c: a tree learner's trees (tb_treeset in tree_grow.h): host arrays in the layout of tb_forest_view, their
 * incremental device mirror for tb_op_forest_predict (through the growable device arrays, tb_devvec, also here),
 * truncation (early stopping) and serialisation (save/restore).
 * It is not a learner and grows nothing (tree_grow*.c). Tested through tests/test_model_gbdt.c and
 * tests/test_model_forest.c (save/restore/continue, early stopping, corrupted blobs). */
#include <stdlib.h>
#include <string.h>

#include "tb_error.h"
#include "tree_grow.h"

static int grow_array(void **p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return TB_OK;
  size_t c = *cap ? *cap : 64;
  while (c < need) c *= 2;
  void *n = realloc(*p, c * elem);
  if (!n) return tb_error_set(TB_ERR_NOMEM, "trees: out of host memory (%zu entries)", c);
  *p = n;
  *cap = c;
  return TB_OK;
}

static int reserve_trees(tb_treeset *s, int need) {
  if (need <= s->cap_trees) return TB_OK;
  int c = s->cap_trees ? 2 * s->cap_trees : 64;
  while (c < need) c *= 2;
  int32_t *a = realloc(s->roots, (size_t)c * sizeof *a);
  if (a) s->roots = a;
  int32_t *b = realloc(s->out_col, (size_t)c * sizeof *b);
  if (b) s->out_col = b;
  int32_t *d = realloc(s->leaf_first, (size_t)c * sizeof *d);
  if (d) s->leaf_first = d;
  if (!a || !b || !d) return tb_error_set(TB_ERR_NOMEM, "trees: out of host memory (%d trees)", c);
  s->cap_trees = c;
  return TB_OK;
}

int tb_treeset_add(tb_treeset *s, const tb_grown_tree *t, const float *values, int out_col) {
  int rc = TB_OK;
  const size_t w = (size_t)s->leaf_width;
  TB_TRY(reserve_trees(s, s->n_trees + 1));
  TB_TRY(grow_array((void **)&s->nodes, &s->cap_nodes, s->n_nodes + (size_t)t->n_nodes, sizeof *s->nodes));
  TB_TRY(grow_array((void **)&s->leaf, &s->cap_leaves, (s->n_leaves + (size_t)t->n_leaves) * w, sizeof(float) * 1));
  const int32_t nb = (int32_t)s->n_nodes, lb = (int32_t)s->n_leaves;
  for (int i = 0; i < t->n_nodes; i++) {
    tb_tree_node n = t->nodes[i];
    if (n.feature >= 0) {
      n.left += nb;
      n.right += nb;
    } else {
      n.leaf += lb;
    }
    s->nodes[s->n_nodes + (size_t)i] = n;
  }
  memcpy(s->leaf + s->n_leaves * w, values, (size_t)t->n_leaves * w * sizeof *values);
  s->roots[s->n_trees] = nb;
  s->out_col[s->n_trees] = out_col;
  s->leaf_first[s->n_trees] = lb;
  s->n_trees++;
  s->n_nodes += (size_t)t->n_nodes;
  s->n_leaves += (size_t)t->n_leaves;
done:
  return rc;
}

int tb_treeset_sync(tb_backend *be, tb_treeset *s) {
  int rc = TB_OK;
  if (s->n_dev == s->n_trees) return TB_OK;
  const size_t w = (size_t)s->leaf_width;
  size_t node0 = s->d_nodes.len / sizeof(tb_tree_node), leaf0 = s->d_leaf.len / (w * sizeof(float));
  TB_TRY(tb_devvec_append(be, &s->d_nodes, s->nodes + node0, (s->n_nodes - node0) * sizeof *s->nodes));
  TB_TRY(tb_devvec_append(be, &s->d_leaf, s->leaf + leaf0 * w, (s->n_leaves - leaf0) * w * sizeof(float)));
  TB_TRY(tb_devvec_append(be, &s->d_roots, s->roots + s->n_dev, (size_t)(s->n_trees - s->n_dev) * sizeof(int32_t)));
  TB_TRY(tb_devvec_append(be, &s->d_out_col, s->out_col + s->n_dev,
                          (size_t)(s->n_trees - s->n_dev) * sizeof(int32_t)));
  s->n_dev = s->n_trees;
done:
  if (rc < 0) tb_treeset_truncate(s, s->n_trees); /* resets the device lengths to a consistent prefix */
  return rc;
}

tb_forest_view tb_treeset_view(const tb_treeset *s, int first, int n) {
  tb_forest_view v = {.n_trees = n,
                      .nodes = s->d_nodes.buf.data,
                      .roots = (const int32_t *)s->d_roots.buf.data + first,
                      .out_col = (const int32_t *)s->d_out_col.buf.data + first,
                      .leaf_values = s->d_leaf.buf.data,
                      .leaf_width = s->leaf_width};
  return v;
}

void tb_treeset_truncate(tb_treeset *s, int n) {
  if (n < s->n_trees) {
    s->n_nodes = (size_t)s->roots[n];
    s->n_leaves = (size_t)s->leaf_first[n];
    s->n_trees = n;
  }
  /* the device copy keeps the common prefix; a sync re-uploads the rest */
  int nd = s->n_dev < s->n_trees ? s->n_dev : s->n_trees;
  if (s->d_roots.len / sizeof(int32_t) < (size_t)nd) nd = (int)(s->d_roots.len / sizeof(int32_t));
  s->n_dev = nd;
  size_t nodes = nd < s->n_trees ? (size_t)s->roots[nd] : s->n_nodes;
  size_t leaves = nd < s->n_trees ? (size_t)s->leaf_first[nd] : s->n_leaves;
  s->d_nodes.len = nodes * sizeof(tb_tree_node);
  s->d_leaf.len = leaves * (size_t)s->leaf_width * sizeof(float);
  s->d_roots.len = s->d_out_col.len = (size_t)nd * sizeof(int32_t);
}

void tb_treeset_free(tb_backend *be, tb_treeset *s) {
  if (!s) return;
  free(s->roots);
  free(s->out_col);
  free(s->leaf_first);
  free(s->nodes);
  free(s->leaf);
  tb_devvec_free(be, &s->d_nodes);
  tb_devvec_free(be, &s->d_leaf);
  tb_devvec_free(be, &s->d_roots);
  tb_devvec_free(be, &s->d_out_col);
  int w = s->leaf_width;
  memset(s, 0, sizeof *s);
  s->leaf_width = w;
}

/* Blob: int64 n_trees, leaf_width, n_nodes, n_leaves; then roots, out_col, leaf_first (int32 each), nodes, leaf. */
size_t tb_treeset_blob_size(const tb_treeset *s) {
  return 4 * sizeof(int64_t) + 3 * (size_t)s->n_trees * sizeof(int32_t) + s->n_nodes * sizeof(tb_tree_node) +
         s->n_leaves * (size_t)s->leaf_width * sizeof(float);
}

void tb_treeset_write(const tb_treeset *s, unsigned char *dst) {
  int64_t h[4] = {s->n_trees, s->leaf_width, (int64_t)s->n_nodes, (int64_t)s->n_leaves};
  size_t nt = (size_t)s->n_trees * sizeof(int32_t);
  memcpy(dst, h, sizeof h);
  dst += sizeof h;
  memcpy(dst, s->roots, nt);
  memcpy(dst + nt, s->out_col, nt);
  memcpy(dst + 2 * nt, s->leaf_first, nt);
  dst += 3 * nt;
  memcpy(dst, s->nodes, s->n_nodes * sizeof *s->nodes);
  dst += s->n_nodes * sizeof *s->nodes;
  memcpy(dst, s->leaf, s->n_leaves * (size_t)s->leaf_width * sizeof *s->leaf);
}

int tb_treeset_read(tb_backend *be, tb_treeset *s, const unsigned char *src, size_t len, int n_cols, int n_out,
                    size_t *used) {
  int64_t h[4];
  if (len < sizeof h) return tb_error_set(TB_ERR_FORMAT, "trees: saved state too short");
  memcpy(h, src, sizeof h);
  if (h[0] < 0 || h[0] > (1 << 24) || h[1] != s->leaf_width || h[2] < h[0] || h[2] > (1ll << 32) || h[3] < h[0] ||
      h[3] > h[2])
    return tb_error_set(TB_ERR_FORMAT, "trees: saved state has a bad header (%lld trees, width %lld, %lld nodes)",
                        (long long)h[0], (long long)h[1], (long long)h[2]);
  const size_t nt = (size_t)h[0], nn = (size_t)h[2], nl = (size_t)h[3], w = (size_t)s->leaf_width;
  size_t need = sizeof h + 3 * nt * sizeof(int32_t) + nn * sizeof(tb_tree_node) + nl * w * sizeof(float);
  if (len != need)
    return tb_error_set(TB_ERR_FORMAT, "trees: saved state is %zu bytes, %zu expected (truncated or padded)", len, need);
  const unsigned char *p = src + sizeof h;
  tb_treeset t = {.leaf_width = s->leaf_width};
  int rc = TB_OK;
  TB_TRY(reserve_trees(&t, (int)nt + 1));
  TB_TRY(grow_array((void **)&t.nodes, &t.cap_nodes, nn + 1, sizeof *t.nodes));
  TB_TRY(grow_array((void **)&t.leaf, &t.cap_leaves, nl * w + 1, sizeof *t.leaf));
  memcpy(t.roots, p, nt * sizeof(int32_t));
  memcpy(t.out_col, p + nt * sizeof(int32_t), nt * sizeof(int32_t));
  memcpy(t.leaf_first, p + 2 * nt * sizeof(int32_t), nt * sizeof(int32_t));
  p += 3 * nt * sizeof(int32_t);
  memcpy(t.nodes, p, nn * sizeof *t.nodes);
  p += nn * sizeof *t.nodes;
  memcpy(t.leaf, p, nl * w * sizeof *t.leaf);
  t.n_trees = (int)nt;
  t.n_nodes = nn;
  t.n_leaves = nl;
  for (size_t i = 0; i < nt; i++) {
    size_t end = i + 1 < nt ? (size_t)t.roots[i + 1] : nn, lend = i + 1 < nt ? (size_t)t.leaf_first[i + 1] : nl;
    if (t.roots[i] < 0 || (size_t)t.roots[i] >= end || end > nn || t.leaf_first[i] < 0 ||
        (size_t)t.leaf_first[i] >= lend || lend > nl || t.out_col[i] < 0 || t.out_col[i] + (int)w > n_out)
      TB_FAIL(TB_ERR_FORMAT, "trees: saved tree %zu has bad extents", i);
    for (size_t k = (size_t)t.roots[i]; k < end; k++) {
      const tb_tree_node *n = &t.nodes[k];
      int ok = n->feature < 0 ? n->leaf >= t.leaf_first[i] && (size_t)n->leaf < lend
                              : n->feature < n_cols && n->left > (int32_t)k && n->right > (int32_t)k &&
                                    (size_t)n->left < end && (size_t)n->right < end;
      if (!ok) TB_FAIL(TB_ERR_FORMAT, "trees: saved tree %zu has a bad node %zu", i, k);
    }
  }
  tb_treeset_free(be, s);
  *s = t;
  memset(&t, 0, sizeof t);
  *used = need;
done:
  tb_treeset_free(be, &t);
  return rc;
}

/* ---- growable device arrays ----------------------------------------------------------------------------------- */
int tb_devvec_append(tb_backend *be, tb_devvec *v, const void *src, size_t bytes) {
  int rc = TB_OK;
  if (!bytes) return TB_OK;
  if (v->len + bytes > v->buf.bytes) {
    size_t cap = v->buf.bytes ? 2 * v->buf.bytes : 4096;
    while (cap < v->len + bytes) cap *= 2;
    tb_buf nb = {0};
    TB_TRY(tb_backend_alloc(be, cap, &nb));
    if (v->len) rc = tb_backend_copy(be, nb.data, v->buf.data, v->len);
    if (rc < 0) {
      tb_backend_release(be, &nb);
      goto done;
    }
    tb_backend_release(be, &v->buf);
    v->buf = nb;
  }
  TB_TRY(tb_backend_upload(be, (char *)v->buf.data + v->len, src, bytes));
  v->len += bytes;
done:
  return rc;
}

void tb_devvec_free(tb_backend *be, tb_devvec *v) {
  if (!v) return;
  tb_backend_release(be, &v->buf);
  v->len = 0;
}
