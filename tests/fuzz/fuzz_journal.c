/* fuzz_journal.c: libFuzzer harness of the journal reader (tb_journal_read): any bytes are a journal file; the
 * reader returns its valid records (offsets inside the file, increasing) and stops at the first bad frame, or
 * refuses the file with a detail. Seeds: tests/fuzz/corpus/journal/. Run by scripts/fuzz. */
#include <stdint.h>

#include "fuzz_common.h"
#include "tb_error.h"
#include "tb_journal.h"

typedef struct {
  uint64_t size, last;
  int any;
} seen;

static int on_record(void *ctx, uint64_t index, uint64_t offset, uint32_t type, const uint8_t *payload, size_t len) {
  seen *s = ctx;
  (void)index, (void)type;
  if (offset + len > s->size || (s->any && offset <= s->last)) __builtin_trap();
  volatile uint8_t sum = 0;
  for (size_t i = 0; i < len; i++) sum += payload[i]; /* every payload byte readable */
  s->last = offset, s->any = 1;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file(0, data, size);
  if (!path) return 0;
  seen s = {size, 0, 0};
  tb_journal_stats st;
  if (tb_journal_read(path, on_record, &s, &st) < 0 && !tb_error_detail()[0]) __builtin_trap();
  return 0;
}
