/* fuzz_idx.c: libFuzzer harness of the IDX loader (tb_data_load "idx:IMAGES,LABELS"): the first input byte b
 * splits the rest into the images file (the first b * 4 bytes) and the labels file (what follows). The loader
 * loads or refuses with a detail; labels of a loaded set are in range. Seeds: tests/fuzz/corpus/idx/. Run by
 * scripts/fuzz. */
#include <stdint.h>
#include <stdio.h>

#include "fuzz_common.h"
#include "tb_data.h"
#include "tb_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t cut = (size_t)data[0] * 4;
  if (cut > size - 1) cut = size - 1;
  const char *images = fuzz_file(0, data + 1, cut), *labels = fuzz_file(1, data + 1 + cut, size - 1 - cut);
  if (!images || !labels) return 0;
  char spec[256];
  snprintf(spec, sizeof spec, "idx:%s,%s", images, labels);
  tb_dataset *ds = NULL;
  if (tb_data_load(spec, &ds) == TB_OK) {
    for (size_t i = 0; i < ds->n_rows; i++)
      if (ds->y_class[i] < 0 || ds->y_class[i] >= ds->n_classes) __builtin_trap();
    tb_dataset_free(ds);
  } else if (!tb_error_detail()[0]) {
    __builtin_trap();
  }
  return 0;
}
