/* test_journal.c: the framed journal (host/store/journal.c): round trip of random records of every type and size,
 * a torn tail cut at every byte of the last record (dropped, counted), a flipped byte in the last record (torn),
 * a flipped byte in the middle (error naming the offset and record number), foreign and empty files, refusing to
 * overwrite, appending after a torn tail, the writer lock, and tb_journal_fsync running in another thread while
 * records are appended and flushed (as the store's group commit does): every record reads back, in order. */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "tb_journal.h"
#include "tb_test.h"

#define NREC 40
static uint8_t payload[NREC][300];
static size_t plen[NREC];
static uint64_t offs[NREC];
static char path[64];

typedef struct { int n; int bad; } seen;

static int check_cb(void *ctx, uint64_t index, uint64_t offset, uint32_t type, const uint8_t *p, size_t len) {
  seen *s = ctx;
  if (index != (uint64_t)s->n || type != (uint32_t)(index % 9 + 1) || len != plen[index] ||
      memcmp(p, payload[index], len) || (offs[index] && offs[index] != offset))
    s->bad++;
  offs[index] = offset;
  s->n++;
  return 0;
}

static void write_journal(int n) {
  uint64_t x = 12345;
  tb_journal *j;
  TB_CHECK_OK(tb_journal_create(path, 1, &j));
  for (int i = 0; i < n; i++) {
    plen[i] = (size_t)(i * 7) % 300;
    for (size_t k = 0; k < plen[i]; k++) x = x * 6364136223846793005ull + 1442695040888963407ull, payload[i][k] = (uint8_t)(x >> 56);
    TB_CHECK_OK(tb_journal_append(j, (uint32_t)(i % 9 + 1), payload[i], plen[i]));
    if (i % 5 == 0) TB_CHECK_OK(tb_journal_sync(j));
  }
  TB_CHECK_OK(tb_journal_close(j));
}

static void setup(void) {
  snprintf(path, sizeof path, "/tmp/tb_test_journal_%d", (int)getpid());
  memset(offs, 0, sizeof offs);
}

static void test_round_trip(void) {
  setup();
  write_journal(NREC);
  seen s = {0, 0};
  tb_journal_stats st;
  TB_CHECK_OK(tb_journal_read(path, check_cb, &s, &st));
  CU_ASSERT_EQUAL(s.n, NREC);
  CU_ASSERT_EQUAL(s.bad, 0);
  CU_ASSERT_EQUAL(st.n_records, NREC);
  CU_ASSERT_EQUAL(st.n_torn, 0);
  tb_journal *j;
  CU_ASSERT_EQUAL(tb_journal_create(path, 0, &j), TB_ERR_INVALID); /* never overwritten without force */
  CU_ASSERT_PTR_NULL(j);
  unlink(path);
}

static void test_torn_tail_every_byte(void) {
  setup();
  write_journal(NREC);
  seen s = {0, 0};
  tb_journal_stats st;
  TB_CHECK_OK(tb_journal_read(path, check_cb, &s, &st));
  uint64_t last = offs[NREC - 1], end = st.valid_end;
  for (uint64_t cut = last + 1; cut < end; cut++) {
    CU_ASSERT_EQUAL_FATAL(truncate(path, (off_t)cut), 0);
    seen t = {0, 0};
    TB_CHECK_OK(tb_journal_read(path, check_cb, &t, &st));
    CU_ASSERT_EQUAL(t.n, NREC - 1);
    CU_ASSERT_EQUAL(t.bad, 0);
    CU_ASSERT_EQUAL(st.n_torn, 1);
    CU_ASSERT_EQUAL(st.torn_bytes, cut - last);
    CU_ASSERT_EQUAL(st.valid_end, last);
  }
  /* append after the torn tail: the tail is cut, new records follow */
  tb_journal *j;
  TB_CHECK_OK(tb_journal_open_append(path, last, &j));
  TB_CHECK_OK(tb_journal_append(j, (uint32_t)((NREC - 1) % 9 + 1), payload[NREC - 1], plen[NREC - 1]));
  TB_CHECK_OK(tb_journal_close(j));
  seen t = {0, 0};
  TB_CHECK_OK(tb_journal_read(path, check_cb, &t, &st));
  CU_ASSERT_EQUAL(t.n, NREC);
  CU_ASSERT_EQUAL(t.bad, 0);
  CU_ASSERT_EQUAL(st.n_torn, 0);
  unlink(path);
}

static void flip(uint64_t at) {
  int fd = open(path, O_RDWR);
  uint8_t b;
  CU_ASSERT_EQUAL_FATAL(pread(fd, &b, 1, (off_t)at), 1);
  b ^= 0x5a;
  CU_ASSERT_EQUAL_FATAL(pwrite(fd, &b, 1, (off_t)at), 1);
  close(fd);
}

static void test_corruption(void) {
  setup();
  write_journal(NREC);
  seen s = {0, 0};
  tb_journal_stats st;
  TB_CHECK_OK(tb_journal_read(path, check_cb, &s, &st));
  flip(st.valid_end - 1); /* last record's payload: a torn tail */
  seen t = {0, 0};
  TB_CHECK_OK(tb_journal_read(path, check_cb, &t, &st));
  CU_ASSERT_EQUAL(t.n, NREC - 1);
  CU_ASSERT_EQUAL(st.n_torn, 1);
  write_journal(NREC);
  for (int rec = 3; rec < NREC - 1; rec += 11) { /* the middle: frame (length) and payload */
    for (int part = 0; part < 2; part++) {
      write_journal(NREC);
      uint64_t at = offs[rec] + (part ? 12 + plen[rec] / 2 : 1);
      if (part && !plen[rec]) continue;
      flip(at);
      seen u = {0, 0};
      int rc = tb_journal_read(path, check_cb, &u, &st);
      CU_ASSERT_EQUAL(rc, TB_ERR_FORMAT);
      char want[64];
      snprintf(want, sizeof want, "record %d at byte offset %llu", rec, (unsigned long long)offs[rec]);
      CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), want));
      CU_ASSERT_EQUAL(u.n, rec);
    }
  }
  unlink(path);
}

static void test_foreign(void) {
  setup();
  FILE *f = fopen(path, "w");
  fputs("this is not a journal at all, just some text\n", f);
  fclose(f);
  CU_ASSERT_EQUAL(tb_journal_read(path, NULL, NULL, NULL), TB_ERR_FORMAT);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "not a tunebench journal"));
  f = fopen(path, "w");
  fclose(f);
  CU_ASSERT_EQUAL(tb_journal_read(path, NULL, NULL, NULL), TB_ERR_FORMAT);
  f = fopen(path, "w");
  fwrite("TBJOURNL\x09\0\0\0\0\0\0\0", 1, 16, f); /* a future version */
  fclose(f);
  CU_ASSERT_EQUAL(tb_journal_read(path, NULL, NULL, NULL), TB_ERR_FORMAT);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "version 9"));
  unlink(path);
  CU_ASSERT_EQUAL(tb_journal_read(path, NULL, NULL, NULL), TB_ERR_NOT_FOUND);
  /* two writers on one journal: the second is refused */
  tb_journal *a, *b;
  TB_CHECK_OK(tb_journal_create(path, 0, &a));
  CU_ASSERT_EQUAL(tb_journal_open_append(path, 16, &b), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_journal_append(a, 0, "x", 1), TB_ERR_INVALID); /* type 0 is reserved */
  TB_CHECK_OK(tb_journal_close(a));
  unlink(path);
}

/* Record i holds payload[i % NREC] with type i % NREC % 9 + 1. */
static int cycle_cb(void *ctx, uint64_t index, uint64_t offset, uint32_t type, const uint8_t *p, size_t len) {
  seen *s = ctx;
  size_t k = (size_t)(index % NREC);
  (void)offset;
  if (index != (uint64_t)s->n || type != (uint32_t)(k % 9 + 1) || len != plen[k] || memcmp(p, payload[k], len)) s->bad++;
  s->n++;
  return 0;
}

/* One thread fsyncs in a loop while the main thread appends and flushes under a lock (the store's pattern). */
typedef struct { tb_journal *j; pthread_mutex_t mu; int stop, n_fsync, bad; } fsync_ctx;
static void *fsync_loop(void *arg) {
  fsync_ctx *c = arg;
  for (;;) {
    pthread_mutex_lock(&c->mu);
    int stop = c->stop;
    pthread_mutex_unlock(&c->mu);
    if (stop) break;
    int rc = tb_journal_fsync(c->j);
    pthread_mutex_lock(&c->mu);
    c->bad += rc != TB_OK;
    c->n_fsync++;
    pthread_mutex_unlock(&c->mu);
  }
  return NULL;
}

static void test_fsync_beside_appends(void) {
  setup();
  fsync_ctx c = {.stop = 0};
  pthread_mutex_init(&c.mu, NULL);
  TB_CHECK_OK(tb_journal_create(path, 1, &c.j));
  pthread_t th;
  CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, fsync_loop, &c), 0);
  uint64_t x = 99;
  for (int i = 0; i < NREC * 50; i++) {
    int k = i % NREC;
    if (i < NREC) {
      plen[k] = (size_t)(i * 13 + 1) % 300;
      for (size_t b = 0; b < plen[k]; b++) x = x * 6364136223846793005ull + 1442695040888963407ull, payload[k][b] = (uint8_t)(x >> 56);
    }
    pthread_mutex_lock(&c.mu);
    for (int want = c.n_fsync + 1; i % 200 == 0 && c.n_fsync < want;) { /* every 200 records, >= 1 fsync between */
      pthread_mutex_unlock(&c.mu);
      usleep(100);
      pthread_mutex_lock(&c.mu);
    }
    TB_CHECK_OK(tb_journal_append(c.j, (uint32_t)(k % 9 + 1), payload[k], plen[k]));
    if (i % 3 == 0) TB_CHECK_OK(tb_journal_flush(c.j));
    pthread_mutex_unlock(&c.mu);
  }
  pthread_mutex_lock(&c.mu);
  c.stop = 1;
  pthread_mutex_unlock(&c.mu);
  pthread_join(th, NULL);
  TB_CHECK_OK(tb_journal_close(c.j));
  CU_ASSERT_EQUAL(c.bad, 0);
  CU_ASSERT(c.n_fsync >= NREC * 50 / 200);
  seen s = {0, 0};
  tb_journal_stats st;
  TB_CHECK_OK(tb_journal_read(path, cycle_cb, &s, &st));
  CU_ASSERT_EQUAL(s.n, NREC * 50);
  CU_ASSERT_EQUAL(s.bad, 0);
  CU_ASSERT_EQUAL(st.n_records, (uint64_t)NREC * 50);
  CU_ASSERT_EQUAL(st.n_torn, 0);
  pthread_mutex_destroy(&c.mu);
  unlink(path);
}

static const tb_test_case cases[] = {{"round_trip", test_round_trip},
                                     {"fsync_beside_appends", test_fsync_beside_appends},
                                     {"torn_tail_every_byte", test_torn_tail_every_byte},
                                     {"corruption", test_corruption},
                                     {"foreign", test_foreign},
                                     {NULL, NULL}};
TB_TEST_MAIN("journal", cases)
