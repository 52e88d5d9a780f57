/* journal.c: the append-only framed journal of tb_journal.h (format described there). Writes go through a 256 KiB
 * buffer; tb_journal_sync adds fsync, and tb_journal_fsync alone may run beside appends (the store's group commit).
 * Reading maps the file and validates every frame; a bad frame is a torn tail when no valid frame follows it, else
 * corruption in the middle. Not here: record contents (store_codec.c).
 * Tested by tests/test_journal.c (round trip, torn tail at every byte, mid-file corruption, foreign files, fsync
 * beside appends). */
#include "tb_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "tb_error.h"

#define BUF_SIZE (256u << 10)
static const char MAGIC[8] = {'T', 'B', 'J', 'O', 'U', 'R', 'N', 'L'};

struct tb_journal {
  int fd;
  char *path;
  uint8_t *buf;
  size_t used;
};

static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}
static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t frame_crc(uint32_t type, const uint8_t *payload, size_t len) {
  uint8_t t[4];
  put_u32(t, type);
  uLong c = crc32(0L, t, 4);
  /* zlib's length is uInt: payloads are capped at TB_JOURNAL_MAX_PAYLOAD, far below it */
  return (uint32_t)crc32(c, payload, (uInt)len);
}

static int write_all(int fd, const uint8_t *p, size_t n, const char *path) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return tb_error_set(TB_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    p += w, n -= (size_t)w;
  }
  return TB_OK;
}

/* Wraps fd; takes the writer lock. Closes fd on failure. */
static int wrap(const char *path, int fd, tb_journal **out) {
  if (flock(fd, LOCK_EX | LOCK_NB)) {
    int e = errno;
    close(fd);
    if (e == EWOULDBLOCK)
      return tb_error_set(TB_ERR_INVALID, "%s: another process is writing this journal (its study is running)", path);
    return tb_error_set(TB_ERR_IO, "%s: cannot lock: %s", path, strerror(e));
  }
  tb_journal *j = calloc(1, sizeof *j);
  if (j) j->buf = malloc(BUF_SIZE), j->path = strdup(path);
  if (!j || !j->buf || !j->path) {
    if (j) free(j->buf), free(j->path);
    free(j);
    close(fd);
    return tb_error_set(TB_ERR_NOMEM, "%s: out of host memory", path);
  }
  j->fd = fd;
  *out = j;
  return TB_OK;
}

int tb_journal_create(const char *path, int force, tb_journal **out) {
  *out = NULL;
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (force ? 0 : O_EXCL), 0644);
  if (fd < 0 && errno == EEXIST)
    return tb_error_set(TB_ERR_INVALID, "%s: already exists (resume the study, or force to overwrite it)", path);
  if (fd < 0) return tb_error_set(TB_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
  int rc = wrap(path, fd, out); /* lock before truncating: never cut a journal another writer holds */
  if (rc < 0) return rc;
  tb_journal *j = *out;
  uint8_t hdr[TB_JOURNAL_HEADER_SIZE] = {0};
  memcpy(hdr, MAGIC, 8);
  put_u32(hdr + 8, TB_JOURNAL_VERSION);
  if (ftruncate(fd, 0)) rc = tb_error_set(TB_ERR_IO, "%s: cannot truncate: %s", path, strerror(errno));
  if (rc == TB_OK) rc = write_all(fd, hdr, sizeof hdr, path);
  if (rc == TB_OK && fsync(fd)) rc = tb_error_set(TB_ERR_IO, "%s: fsync failed: %s", path, strerror(errno));
  if (rc < 0) {
    tb_journal_close(j);
    *out = NULL;
  }
  return rc;
}

int tb_journal_open_append(const char *path, uint64_t valid_end, tb_journal **out) {
  *out = NULL;
  if (valid_end < TB_JOURNAL_HEADER_SIZE)
    return tb_error_set(TB_ERR_INVALID, "%s: append offset %llu is inside the header", path,
                        (unsigned long long)valid_end);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return tb_error_set(TB_ERR_IO, "%s: cannot open for appending: %s", path, strerror(errno));
  int rc = wrap(path, fd, out);
  if (rc < 0) return rc;
  if (ftruncate(fd, (off_t)valid_end) || lseek(fd, 0, SEEK_END) < 0 || fsync(fd)) {
    rc = tb_error_set(TB_ERR_IO, "%s: cannot cut the torn tail at %llu: %s", path, (unsigned long long)valid_end,
                      strerror(errno));
    tb_journal_close(*out);
    *out = NULL;
  }
  return rc;
}

int tb_journal_flush(tb_journal *j) {
  int rc = write_all(j->fd, j->buf, j->used, j->path);
  j->used = 0; /* on failure the buffered records are lost: the caller stops the study */
  return rc;
}

int tb_journal_append(tb_journal *j, uint32_t type, const void *payload, size_t len) {
  if (type == 0 || type > 0xFFFF) return tb_error_set(TB_ERR_INVALID, "journal record type %u outside 1..65535", type);
  if (len > TB_JOURNAL_MAX_PAYLOAD)
    return tb_error_set(TB_ERR_INVALID, "%s: record of %zu bytes is over the %u-byte limit", j->path, len,
                        TB_JOURNAL_MAX_PAYLOAD);
  uint8_t frame[TB_JOURNAL_FRAME_SIZE];
  put_u32(frame, (uint32_t)len);
  put_u32(frame + 4, type);
  put_u32(frame + 8, frame_crc(type, payload, len));
  int rc = TB_OK;
  if (j->used + sizeof frame + len > BUF_SIZE && (rc = tb_journal_flush(j)) < 0) return rc;
  if (sizeof frame + len > BUF_SIZE) { /* large record: straight to the file */
    if ((rc = write_all(j->fd, frame, sizeof frame, j->path)) < 0) return rc;
    return write_all(j->fd, payload, len, j->path);
  }
  memcpy(j->buf + j->used, frame, sizeof frame);
  if (len) memcpy(j->buf + j->used + sizeof frame, payload, len);
  j->used += sizeof frame + len;
  return TB_OK;
}

int tb_journal_fsync(tb_journal *j) {
  return fsync(j->fd) ? tb_error_set(TB_ERR_IO, "%s: fsync failed: %s", j->path, strerror(errno)) : TB_OK;
}

int tb_journal_sync(tb_journal *j) {
  int rc = tb_journal_flush(j);
  return rc < 0 ? rc : tb_journal_fsync(j);
}

int tb_journal_close(tb_journal *j) {
  if (!j) return TB_OK;
  int rc = tb_journal_sync(j);
  close(j->fd); /* releases the lock */
  free(j->buf);
  free(j->path);
  free(j);
  return rc;
}

/* 1 when a valid frame starts at p (of the n bytes left). */
static int frame_ok(const uint8_t *p, size_t n) {
  if (n < TB_JOURNAL_FRAME_SIZE) return 0;
  uint32_t len = get_u32(p), type = get_u32(p + 4);
  if (type == 0 || type > 0xFFFF || len > TB_JOURNAL_MAX_PAYLOAD || len > n - TB_JOURNAL_FRAME_SIZE) return 0;
  return frame_crc(type, p + TB_JOURNAL_FRAME_SIZE, len) == get_u32(p + 8);
}

int tb_journal_read(const char *path, tb_journal_fn fn, void *ctx, tb_journal_stats *stats) {
  tb_journal_stats st = {0, TB_JOURNAL_HEADER_SIZE, 0, 0};
  int rc = TB_OK;
  uint8_t *map = NULL;
  size_t size = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return tb_error_set(errno == ENOENT ? TB_ERR_NOT_FOUND : TB_ERR_IO, "%s: cannot open: %s", path,
                                  strerror(errno));
  struct stat sb;
  if (fstat(fd, &sb)) TB_FAIL(TB_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
  if (!S_ISREG(sb.st_mode)) TB_FAIL(TB_ERR_FORMAT, "%s: not a regular file", path);
  size = (size_t)sb.st_size;
  if (size < TB_JOURNAL_HEADER_SIZE)
    TB_FAIL(TB_ERR_FORMAT, "%s: not a tunebench journal (%zu bytes, shorter than the header)", path, size);
  map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED) {
    map = NULL;
    TB_FAIL(TB_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
  }
  if (memcmp(map, MAGIC, 8)) TB_FAIL(TB_ERR_FORMAT, "%s: not a tunebench journal (bad magic header)", path);
  uint32_t version = get_u32(map + 8);
  if (version != TB_JOURNAL_VERSION)
    TB_FAIL(TB_ERR_FORMAT, "%s: journal format version %u, this build reads version %u", path, version,
            TB_JOURNAL_VERSION);
  size_t off = TB_JOURNAL_HEADER_SIZE;
  while (off < size) {
    if (!frame_ok(map + off, size - off)) {
      for (size_t q = off + 1; q + TB_JOURNAL_FRAME_SIZE <= size; q++)
        if (frame_ok(map + q, size - q))
          TB_FAIL(TB_ERR_FORMAT,
                  "%s: corrupt record %llu at byte offset %zu (valid records follow at offset %zu): the journal "
                  "is damaged in the middle; restore it from a copy",
                  path, (unsigned long long)st.n_records, off, q);
      st.n_torn = 1, st.torn_bytes = size - off;
      break;
    }
    uint32_t len = get_u32(map + off);
    if (fn && (rc = fn(ctx, st.n_records, off, get_u32(map + off + 4), map + off + TB_JOURNAL_FRAME_SIZE, len)))
      goto done;
    off += TB_JOURNAL_FRAME_SIZE + len;
    st.n_records++;
    st.valid_end = off;
  }
done:
  if (map) munmap(map, size);
  close(fd);
  if (stats) *stats = st;
  return rc;
}
