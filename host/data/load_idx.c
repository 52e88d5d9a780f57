/* load_idx.c: IDX image/label files (the MNIST format) and the fashion-mnist source built on them.
 *   idx:IMAGES,LABELS       magic 0x00000803 (uint8 images, n x rows x cols) and 0x00000801 (uint8 labels, n);
 *                           gzip or plain (zlib's gzread reads both); features are pixel/255 in [0, 1];
 *                           classes are the label values, n_classes = largest label + 1.
 *   fashion-mnist[?root=DIR&part=all|train|test&n=N]   the Debian dataset-fashion-mnist files: 60000 train rows
 *                           then 10000 test rows, the test rows marked TB_SPLIT_TEST in fixed_split (part=all);
 *                           n=N keeps the first N rows of the part (part=all: N train rows and N/6 test rows).
 * Errors name the file: truncated payloads, bad magic, count mismatch, corrupt gzip streams. Not here: IDX element
 * types other than uint8. Tested by tests/test_data_load.c. */
#include "data_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define FASHION_ROOT "/usr/share/datasets/fashion-mnist"

static const char *const fashion_classes[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

/* Reads n bytes; *got = bytes read before end of data. A zlib error is TB_ERR_FORMAT. */
static int gz_read_all(gzFile gz, const char *path, void *buf, size_t n, size_t *got) {
  unsigned char *b = buf;
  *got = 0;
  while (*got < n) {
    size_t want = n - *got > (1u << 30) ? (1u << 30) : n - *got;
    int r = gzread(gz, b + *got, (unsigned)want);
    if (r < 0) {
      int zerr;
      const char *msg = gzerror(gz, &zerr);
      size_t pl = strlen(path); /* zlib prefixes its message with the path: keep it once */
      if (!strncmp(msg, path, pl) && !strncmp(msg + pl, ": ", 2)) msg += pl + 2;
      return tb_error_set(zerr == Z_ERRNO ? TB_ERR_IO : TB_ERR_FORMAT, "%s: corrupt or unreadable gzip data: %s",
                          path, zerr == Z_ERRNO ? strerror(errno) : msg);
    }
    if (r == 0) break;
    *got += (size_t)r;
  }
  return TB_OK;
}

/* Reads an IDX uint8 file with n_dims dimensions (3: images, 1: labels). *data (malloc'ed) holds the payload. */
static int read_idx(const char *path, int n_dims, uint8_t **data, uint32_t dims[3]) {
  int rc = TB_OK;
  uint8_t head[16];
  size_t got;
  const char *what = n_dims == 3 ? "pixels" : "labels";
  uint32_t want_magic = 0x800u | (uint32_t)n_dims;
  *data = NULL;
  errno = 0;
  gzFile gz = gzopen(path, "rb");
  if (!gz) TB_FAIL(TB_ERR_IO, "%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
  gzbuffer(gz, 1u << 18);
  size_t head_len = 4 + 4 * (size_t)n_dims;
  TB_TRY(gz_read_all(gz, path, head, head_len, &got));
  if (got >= 4) {
    uint32_t magic = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 | head[3];
    if (magic != want_magic)
      TB_FAIL(TB_ERR_FORMAT, "%s: bad magic 0x%08x (expected 0x%08x: IDX uint8 %s with %d dimension%s)", path,
              magic, want_magic, what, n_dims, n_dims > 1 ? "s" : "");
  }
  if (got < head_len)
    TB_FAIL(TB_ERR_FORMAT, "%s: truncated: expected a %zu-byte IDX header, got %zu bytes", path, head_len, got);
  size_t total = 1;
  for (int i = 0; i < n_dims; i++) {
    const uint8_t *p = head + 4 + 4 * i;
    dims[i] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    if (dims[i] > (1u << 31) || (dims[i] && total > SIZE_MAX / 4 / dims[i]))
      TB_FAIL(TB_ERR_FORMAT, "%s: implausible IDX dimension %u", path, dims[i]);
    total *= dims[i];
  }
  /* The buffer grows with the data that actually arrives: a 30-byte file whose header claims a terabyte is
   * "truncated", not a terabyte allocation (fuzz_idx found it; tests/fuzz/corpus/idx/regress-huge-dims). */
  size_t cap = total < ((size_t)1 << 20) ? total : (size_t)1 << 20, have = 0;
  if (!(*data = malloc(cap + 1))) TB_FAIL(TB_ERR_NOMEM, "%s: out of host memory for %zu bytes", path, cap);
  for (;;) {
    TB_TRY(gz_read_all(gz, path, *data + have, cap - have, &got));
    have += got;
    if (have < cap || cap == total) break;
    size_t next = cap > total / 2 ? total : cap * 2;
    uint8_t *grown = realloc(*data, next + 1);
    if (!grown) TB_FAIL(TB_ERR_NOMEM, "%s: out of host memory for %zu bytes", path, next);
    *data = grown, cap = next;
  }
  if (have < total) TB_FAIL(TB_ERR_FORMAT, "%s: truncated: expected %zu bytes of %s, got %zu", path, total, what, have);
  /* one more read reaches the gzip trailer, so a corrupt stream fails its CRC check here (extra bytes are ignored) */
  TB_TRY(gz_read_all(gz, path, head, 1, &got));
done:
  if (gz) gzclose(gz);
  if (rc < 0) {
    free(*data);
    *data = NULL;
  }
  return rc;
}

/* Images and labels of one IDX pair, checked against each other. */
static int read_pair(const char *images, const char *labels, uint8_t **pix, uint8_t **lab, size_t *n,
                     int *n_cols) {
  uint32_t di[3] = {0, 0, 0}, dl[3] = {0, 0, 0};
  *lab = NULL;
  int rc = read_idx(images, 3, pix, di);
  if (rc < 0) return rc;
  if ((rc = read_idx(labels, 1, lab, dl)) < 0) goto fail;
  if (di[0] != dl[0]) {
    rc = tb_error_set(TB_ERR_FORMAT, "count mismatch: %s has %u images but %s has %u labels", images, di[0], labels,
                      dl[0]);
    goto fail;
  }
  if ((size_t)di[1] * di[2] == 0 || (size_t)di[1] * di[2] > (1u << 30)) {
    rc = tb_error_set(TB_ERR_FORMAT, "%s: images of %u x %u pixels", images, di[1], di[2]);
    goto fail;
  }
  *n = di[0];
  *n_cols = (int)(di[1] * di[2]);
  return TB_OK;
fail:
  free(*pix);
  free(*lab);
  *pix = *lab = NULL;
  return rc;
}

/* Writes pixels/255 and labels of n rows at row offset `at` of ds. */
static void fill_rows(tb_dataset *ds, size_t at, const uint8_t *pix, const uint8_t *lab, size_t n) {
  float lut[256];
  for (int i = 0; i < 256; i++) lut[i] = (float)i / 255.0f;
  size_t d = (size_t)ds->n_cols;
  float *x = ds->X + at * d;
  for (size_t i = 0; i < n * d; i++) x[i] = lut[pix[i]];
  for (size_t i = 0; i < n; i++) ds->y_class[at + i] = lab[i];
}

int tb_load_idx(tb_spec *spec, tb_dataset **out) {
  int rc = TB_OK;
  char *images = NULL;
  uint8_t *pix = NULL, *lab = NULL;
  size_t n = 0;
  int n_cols = 0;
  *out = NULL;
  TB_TRY(tb_spec_check_unused(spec, ""));
  const char *comma = spec->path ? strchr(spec->path, ',') : NULL;
  if (!comma || comma == spec->path || !comma[1])
    TB_FAIL(TB_ERR_INVALID, "idx: expected idx:IMAGES,LABELS (two file names separated by a comma)");
  if (!(images = tb_data_strdup(spec->path))) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
  images[comma - spec->path] = '\0';
  const char *labels = comma + 1;
  TB_TRY(read_pair(images, labels, &pix, &lab, &n, &n_cols));
  int max_label = 0;
  for (size_t i = 0; i < n; i++)
    if (lab[i] > max_label) max_label = lab[i];
  TB_TRY(tb_dataset_alloc(n, n_cols, TB_TASK_CLASSIFICATION, max_label + 1, spec->path, out));
  fill_rows(*out, 0, pix, lab, n);
done:
  free(images);
  free(pix);
  free(lab);
  return rc;
}

int tb_load_fashion_mnist(tb_spec *spec, tb_dataset **out) {
  int rc = TB_OK;
  const char *root = FASHION_ROOT, *part = "all";
  const char *prefix[2] = {"train", "t10k"};
  char img[2][4096], lbl[2][4096];
  uint8_t *pix[2] = {NULL, NULL}, *lab[2] = {NULL, NULL};
  size_t n[2] = {0, 0};
  int n_cols[2] = {0, 0};
  tb_dataset *ds = NULL;
  *out = NULL;
  if (spec->path) TB_FAIL(TB_ERR_INVALID, "fashion-mnist takes no path (use fashion-mnist?root=DIR)");
  TB_TRY(tb_spec_get_str(spec, "root", &root));
  TB_TRY(tb_spec_get_str(spec, "part", &part));
  long n_max = 0; /* n=N: the first N rows of the part (with part=all: N train rows and N/6 test rows) */
  TB_TRY(tb_spec_get_long(spec, "n", 1, 70000, &n_max));
  TB_TRY(tb_spec_check_unused(spec, "root, part, n"));
  int first = 0, last = 1;
  if (!strcmp(part, "train")) last = 0;
  else if (!strcmp(part, "test")) first = 1;
  else if (strcmp(part, "all"))
    TB_FAIL(TB_ERR_INVALID, "fashion-mnist: part '%s' must be all, train or test", part);
  for (int p = first; p <= last; p++) {
    snprintf(img[p], sizeof img[p], "%s/%s-images-idx3-ubyte.gz", root, prefix[p]);
    snprintf(lbl[p], sizeof lbl[p], "%s/%s-labels-idx1-ubyte.gz", root, prefix[p]);
    for (int k = 0; k < 2; k++) {
      const char *file = k ? lbl[p] : img[p];
      if (access(file, R_OK))
        TB_FAIL(TB_ERR_IO, "fashion-mnist: %s: %s; install the data with scripts/setup (or apt-get install "
                "dataset-fashion-mnist), or point root=DIR at a copy", file, strerror(errno));
    }
    TB_TRY(read_pair(img[p], lbl[p], &pix[p], &lab[p], &n[p], &n_cols[p]));
    if (n_max > 0) {
      size_t cap = (size_t)(p == 1 && first == 0 ? (n_max / 6 > 0 ? n_max / 6 : 1) : n_max);
      if (n[p] > cap) n[p] = cap;
    }
    for (size_t i = 0; i < n[p]; i++)
      if (lab[p][i] >= 10) TB_FAIL(TB_ERR_FORMAT, "%s: label %d at item %zu is outside 0..9", lbl[p], lab[p][i], i);
  }
  if (first == 0 && last == 1 && n_cols[0] != n_cols[1])
    TB_FAIL(TB_ERR_FORMAT, "fashion-mnist: %s has %d pixels per image but %s has %d", img[0], n_cols[0], img[1],
            n_cols[1]);
  TB_TRY(tb_dataset_alloc(n[0] + n[1], n_cols[first], TB_TASK_CLASSIFICATION, 10, "fashion-mnist", &ds));
  if (!(ds->class_names = calloc(10, sizeof *ds->class_names))) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
  for (int c = 0; c < 10; c++)
    if (!(ds->class_names[c] = tb_data_strdup(fashion_classes[c]))) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
  for (int p = first; p <= last; p++) fill_rows(ds, p == 1 ? n[0] : 0, pix[p], lab[p], n[p]);
  if (first == 0 && last == 1) {
    if (!(ds->fixed_split = malloc(n[0] + n[1] + 1))) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
    memset(ds->fixed_split, TB_SPLIT_TRAIN, n[0]);
    memset(ds->fixed_split + n[0], TB_SPLIT_TEST, n[1]);
  }
  *out = ds;
  ds = NULL;
done:
  for (int p = 0; p < 2; p++) {
    free(pix[p]);
    free(lab[p]);
  }
  tb_dataset_free(ds);
  return rc;
}
