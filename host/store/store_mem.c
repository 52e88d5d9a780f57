/* store_mem.c: the results store's containers (store_impl.h): a growable byte buffer for encoded payloads, the arena
 * that owns decoded events, and an open-addressing map from trial id to pointer. They call nothing else of the
 * store. Tested through tests/test_store.c and tests/test_journal.c. */
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"
#include "tb_error.h"

void tb_bytes_free(tb_bytes *b) { free(b->p), b->p = NULL, b->n = b->cap = 0; }

/* ---- arena ---- */
struct tb_arena {
  struct blk { struct blk *next; } *blocks;
  tb_space **spaces;
  size_t n_spaces;
};

tb_arena *tb_arena_new(void) { return calloc(1, sizeof(tb_arena)); }

void *tb_arena_alloc(tb_arena *a, size_t n) {
  struct blk *b = malloc(sizeof *b + n + 16);
  if (!b) return NULL;
  b->next = a->blocks, a->blocks = b;
  return (char *)b + sizeof *b + (16 - sizeof *b % 16) % 16;
}

int tb_arena_own_space(tb_arena *a, tb_space *sp) {
  tb_space **l = realloc(a->spaces, (a->n_spaces + 1) * sizeof *l);
  if (!l) {
    tb_space_free(sp);
    return tb_error_set(TB_ERR_NOMEM, "out of host memory");
  }
  a->spaces = l, l[a->n_spaces++] = sp;
  return TB_OK;
}

void tb_arena_free(tb_arena *a) {
  if (!a) return;
  while (a->blocks) {
    struct blk *n = a->blocks->next;
    free(a->blocks);
    a->blocks = n;
  }
  for (size_t i = 0; i < a->n_spaces; i++) tb_space_free(a->spaces[i]);
  free(a->spaces);
  free(a);
}

/* ---- id map ---- */
/* ---- id map --------------------------------------------------------------------------------------------- */
static size_t slot(const tb_idmap *m, int64_t id) {
  uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull;
  size_t i = (size_t)(h >> 17) & (m->cap - 1);
  while (m->keys[i] != -1 && m->keys[i] != id) i = (i + 1) & (m->cap - 1);
  return i;
}

void *tb_idmap_get(const tb_idmap *m, int64_t id) {
  if (!m->cap || id < 0) return NULL;
  size_t i = slot(m, id);
  return m->keys[i] == id ? m->vals[i] : NULL;
}

int tb_idmap_put(tb_idmap *m, int64_t id, void *val) {
  if (2 * (m->n + 1) > m->cap) {
    tb_idmap g = {NULL, NULL, m->cap ? 2 * m->cap : 64, 0};
    g.keys = malloc(g.cap * sizeof *g.keys), g.vals = malloc(g.cap * sizeof *g.vals);
    if (!g.keys || !g.vals) {
      free(g.keys), free(g.vals);
      return tb_error_set(TB_ERR_NOMEM, "out of host memory (trial map)");
    }
    memset(g.keys, 0xff, g.cap * sizeof *g.keys); /* -1 = empty */
    for (size_t i = 0; i < m->cap; i++)
      if (m->keys[i] >= 0) tb_idmap_put(&g, m->keys[i], m->vals[i]);
    tb_idmap_free(m);
    *m = g;
  }
  size_t i = slot(m, id);
  if (m->keys[i] != id) m->keys[i] = id, m->n++;
  m->vals[i] = val;
  return TB_OK;
}

void tb_idmap_del(tb_idmap *m, int64_t id) { /* backward-shift deletion keeps probe chains intact */
  if (!m->cap || id < 0) return;
  size_t i = slot(m, id);
  if (m->keys[i] != id) return;
  m->n--;
  for (size_t j = i;;) {
    m->keys[i] = -1;
    for (;;) {
      j = (j + 1) & (m->cap - 1);
      if (m->keys[j] == -1) return;
      size_t k = (size_t)(((uint64_t)m->keys[j] * 0x9E3779B97F4A7C15ull) >> 17) & (m->cap - 1);
      if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) break;
    }
    m->keys[i] = m->keys[j], m->vals[i] = m->vals[j];
    i = j;
  }
}

void tb_idmap_free(tb_idmap *m) {
  free(m->keys), free(m->vals);
  m->keys = NULL, m->vals = NULL, m->cap = m->n = 0;
}
