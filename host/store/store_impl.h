/* store_impl.h: internals of the results store (not public). Its files call downwards only: store.c (the store:
 * journal, writer thread, resume) -> store_h5.c (the HDF5 writer), store_codec.c (journal payloads), store_commit.c
 * (group commit) -> store_mem.c (byte buffer, arena for decoded events, id -> pointer map). Tested through tests/test_store.c. */
#ifndef TB_STORE_IMPL_H
#define TB_STORE_IMPL_H
#include <stddef.h>
#include <stdint.h>

#include "tb_store.h"

/* Journal record type of an event = its tb_store_event_type + 1. */
#define TB_STORE_REC_TYPE(ev) ((uint32_t)(ev) + 1u)

typedef struct tb_bytes { uint8_t *p; size_t n, cap; int oom; } tb_bytes;
void tb_bytes_free(tb_bytes *b);

/* Arena: every allocation of decoded events (strings, arrays, spaces) lives until tb_arena_free. */
typedef struct tb_arena tb_arena;
tb_arena *tb_arena_new(void);
void *tb_arena_alloc(tb_arena *a, size_t n);
int tb_arena_own_space(tb_arena *a, tb_space *sp); /* sp freed with the arena (now, on TB_ERR_NOMEM) */
void tb_arena_free(tb_arena *a);

/* Appends ev's payload to b (b->oom on allocation failure). n_values: the config's dimension (TRIAL_BEGIN) or the
 * number of objectives (TRIAL_END); unused otherwise. */
void tb_store_encode(const tb_store_event *ev, int n_values, tb_bytes *b);
/* Decodes a record into ev; allocations in a. TB_ERR_FORMAT on a malformed payload. */
int tb_store_decode(uint32_t type, const uint8_t *p, size_t n, tb_store_event *ev, tb_arena *a);

/* Open-addressing map from int64 id >= 0 to a pointer. */
typedef struct tb_idmap { int64_t *keys; void **vals; size_t cap, n; } tb_idmap;
void *tb_idmap_get(const tb_idmap *m, int64_t id);
int tb_idmap_put(tb_idmap *m, int64_t id, void *val); /* replaces; TB_ERR_NOMEM */
void tb_idmap_del(tb_idmap *m, int64_t id);
void tb_idmap_free(tb_idmap *m); /* frees the table, not the values */

/* The HDF5 side: applies events in journal order to FILE.h5. Single-threaded (the writer thread). */
typedef struct tb_store_h5 tb_store_h5;
int tb_store_h5_create(const char *path, tb_store_h5 **out); /* replaces any file at path */
int tb_store_h5_apply(tb_store_h5 *w, const tb_store_event *ev);
int tb_store_h5_flush(tb_store_h5 *w); /* appends buffered rows, H5Fflush */
/* Flushes, then renames the file (open) to path; later reopenings use the new name. */
int tb_store_h5_rename(tb_store_h5 *w, const char *path);
int tb_store_h5_close(tb_store_h5 *w); /* flush and close; NULL is a no-op */
#endif
