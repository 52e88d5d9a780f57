/* fuzz_common.h: what the libFuzzer harnesses of tests/fuzz/ share: the fuzz input written to a private temporary
 * file (the loaders read paths, not buffers), and the input split at its first newline into a head (options)
 * and a body (file contents). Not a test by itself: tests/fuzz/CMakeLists.txt builds one program per harness and
 * scripts/fuzz runs them (CTest: fuzz_* tests). */
#ifndef TB_FUZZ_COMMON_H
#define TB_FUZZ_COMMON_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_paths[2][64];

static void fuzz_cleanup(void) {
  for (int i = 0; i < 2; i++)
    if (fuzz_paths[i][0]) remove(fuzz_paths[i]);
}

/* Writes data to the file named by slot (0, 1: two files per process, removed at exit) and returns its path; NULL
 * on failure. */
static const char *fuzz_file(int slot, const uint8_t *data, size_t size) {
  char (*paths)[64] = fuzz_paths;
  if (!paths[0][0] && !paths[1][0]) atexit(fuzz_cleanup);
  if (!paths[slot][0]) snprintf(paths[slot], sizeof paths[slot], "/tmp/tb_fuzz_%d_%d", (int)getpid(), slot);
  FILE *f = fopen(paths[slot], "wb");
  if (!f) return NULL;
  if (size && fwrite(data, 1, size, f) != size) {
    fclose(f);
    return NULL;
  }
  fclose(f);
  return paths[slot];
}

/* The bytes before the first '\n' (at most cap - 1, NUL-free: cut at a NUL) into head; *body after it. */
static void fuzz_split(const uint8_t *data, size_t size, char *head, size_t cap, const uint8_t **body,
                       size_t *body_size) {
  size_t k = 0;
  while (k < size && data[k] != '\n') k++;
  size_t n = k < cap - 1 ? k : cap - 1;
  memcpy(head, data, n);
  head[n] = '\0';
  *body = k < size ? data + k + 1 : data + size;
  *body_size = k < size ? size - k - 1 : 0;
}
#endif
