/* fuzz_csv.c: libFuzzer harness of the CSV loader (tb_data_load "csv:PATH?OPTIONS"): the input's first line is
 * the SPEC's options (e.g. label=0&header=1), the rest the file. The loader loads or refuses with a detail;
 * a loaded dataset is consistent (labels in range). Seeds: tests/fuzz/corpus/csv/. Run by scripts/fuzz. */
#include <stdint.h>
#include <stdio.h>

#include "fuzz_common.h"
#include "tb_data.h"
#include "tb_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char opts[256], spec[512];
  const uint8_t *body;
  size_t n;
  fuzz_split(data, size, opts, sizeof opts, &body, &n);
  const char *path = fuzz_file(0, body, n);
  if (!path) return 0;
  snprintf(spec, sizeof spec, "csv:%s%s%s", path, opts[0] ? "?" : "", opts);
  tb_dataset *ds = NULL;
  if (tb_data_load(spec, &ds) == TB_OK) {
    if (ds->task == TB_TASK_CLASSIFICATION)
      for (size_t i = 0; i < ds->n_rows; i++)
        if (ds->y_class[i] < 0 || ds->y_class[i] >= ds->n_classes) __builtin_trap();
    tb_dataset_free(ds);
  } else if (!tb_error_detail()[0]) {
    __builtin_trap();
  }
  return 0;
}
