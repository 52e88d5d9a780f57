/* tb_journal.h: an append-only file of framed records, the results store's source of truth (host/store/store.c).
 * Not here: what the records mean (store_codec.c), HDF5 (h5.c).
 *
 * File = 16-byte header ("TBJOURNL", u32 version, u32 zero) then records, all integers little-endian:
 *   u32 length of payload | u32 type (1..65535) | u32 CRC-32 (zlib) of type + payload | payload
 * Reading drops a torn tail silently (counted in tb_journal_stats): a bad record (short, bad length, bad CRC) after
 * which no valid record follows. A bad record followed by a valid one is corruption in the middle: TB_ERR_FORMAT
 * naming the byte offset and the record number. A file without the header is TB_ERR_FORMAT ("not a journal").
 * Writers hold an exclusive flock on the file, so two processes cannot append to one journal.
 * Tested by tests/test_journal.c. */
#ifndef TB_JOURNAL_H
#define TB_JOURNAL_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TB_JOURNAL_VERSION 1u
#define TB_JOURNAL_HEADER_SIZE 16u
#define TB_JOURNAL_FRAME_SIZE 12u              /* length + type + CRC before each payload */
#define TB_JOURNAL_MAX_PAYLOAD (64u << 20)     /* larger records are refused (and read as corrupt) */

typedef struct tb_journal tb_journal; /* an open journal for appending (opaque) */

typedef struct tb_journal_stats {
  uint64_t n_records;    /* valid records read */
  uint64_t valid_end;    /* byte offset after the last valid record (where appending resumes) */
  uint64_t n_torn;       /* 1 when a torn tail was dropped, else 0 */
  uint64_t torn_bytes;   /* bytes dropped with it */
} tb_journal_stats;

/* Creates path with a fresh header. An existing file is TB_ERR_INVALID unless force (then it is truncated).
 * *out is owned by the caller (tb_journal_close). */
int tb_journal_create(const char *path, int force, tb_journal **out);
/* Opens an existing journal for appending at valid_end (from tb_journal_read), cutting off a torn tail. */
int tb_journal_open_append(const char *path, uint64_t valid_end, tb_journal **out);
/* Appends one record to the in-memory buffer (written out when full, on flush or sync). */
int tb_journal_append(tb_journal *j, uint32_t type, const void *payload, size_t len);
/* Writes the buffer to the file (survives a kill of this process, not a power loss). */
int tb_journal_flush(tb_journal *j);
/* Flush, then fsync: survives a power loss. */
int tb_journal_sync(tb_journal *j);
/* Fsyncs what tb_journal_flush has written, without touching the buffer: one thread may run it while others
 * append and flush under the caller's lock (the store's group commit fsyncs outside its lock this way). */
int tb_journal_fsync(tb_journal *j);
/* Syncs and closes; NULL is a no-op. Returns the first error of the sync. */
int tb_journal_close(tb_journal *j);

/* Called for each valid record in order; index counts from 0, offset is the record's first byte. A non-zero
 * return stops the reading, and tb_journal_read returns it. */
typedef int (*tb_journal_fn)(void *ctx, uint64_t index, uint64_t offset, uint32_t type, const uint8_t *payload,
                             size_t len);
/* Reads path from start to end. stats may be NULL. */
int tb_journal_read(const char *path, tb_journal_fn fn, void *ctx, tb_journal_stats *stats);

#ifdef __cplusplus
}
#endif
#endif
