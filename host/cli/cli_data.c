/* cli_data.c: `tunebench data info SPEC`: loads a dataset and prints its shape, classes and balance, the memory it
 * takes and a checksum of the loaded data (equal data, equal checksum). Tested by tests/test_cli.c. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "tb_data.h"
#include "tb_error.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int data_info(const char *spec) {
  tb_dataset *ds = NULL;
  double t0 = now_s();
  int rc = tb_data_load(spec, &ds);
  if (rc < 0) return tb_cli_fail(rc, "data info");
  double load_s = now_s() - t0;
  size_t parts[3] = {0, 0, 0};
  if (ds->fixed_split)
    for (size_t i = 0; i < ds->n_rows; i++) parts[ds->fixed_split[i] < 3 ? ds->fixed_split[i] : 0]++;
  printf("dataset   %s\n", spec);
  if (ds->fixed_split)
    printf("rows      %zu (train %zu, valid %zu, test %zu: split fixed by the source)\n", ds->n_rows,
           parts[TB_SPLIT_TRAIN], parts[TB_SPLIT_VALID], parts[TB_SPLIT_TEST]);
  else
    printf("rows      %zu (no fixed split: train/valid/test are drawn by the study's seed)\n", ds->n_rows);
  printf("features  %d\n", ds->n_cols);
  if (ds->task == TB_TASK_CLASSIFICATION) {
    printf("task      classification, %d classes\n", ds->n_classes);
    printf("balance  ");
    for (int c = 0; c < ds->n_classes; c++) {
      size_t count = 0;
      for (size_t i = 0; i < ds->n_rows; i++) count += ds->y_class[i] == c;
      const char *name = ds->class_names && ds->class_names[c] ? ds->class_names[c] : NULL;
      if (name)
        printf(" %d:%s=%zu (%.1f%%)%s", c, name, count, ds->n_rows ? 100.0 * (double)count / (double)ds->n_rows : 0.0,
               c + 1 < ds->n_classes ? "," : "");
      else
        printf(" %d=%zu (%.1f%%)%s", c, count, ds->n_rows ? 100.0 * (double)count / (double)ds->n_rows : 0.0,
               c + 1 < ds->n_classes ? "," : "");
    }
    printf("\n");
  } else {
    double mean = 0, lo = 0, hi = 0;
    for (size_t i = 0; i < ds->n_rows; i++) {
      double y = ds->y_value[i];
      mean += y;
      if (i == 0 || y < lo) lo = y;
      if (i == 0 || y > hi) hi = y;
    }
    printf("task      regression, target mean %.6g, range [%.6g, %.6g]\n", ds->n_rows ? mean / (double)ds->n_rows : 0.0,
           lo, hi);
  }
  size_t bytes = tb_dataset_bytes(ds);
  printf("memory    %zu bytes (%.1f MiB)\n", bytes, (double)bytes / 1048576.0);
  printf("checksum  crc32:%08x\n", tb_dataset_checksum(ds));
  printf("loaded in %.3f s\n", load_s);
  tb_dataset_free(ds);
  return TB_EXIT_OK;
}

int tb_cli_data(int argc, char **argv) {
  if (argc >= 1 && !strcmp(argv[0], "info")) {
    if (argc != 2) {
      fprintf(stderr, "tunebench: usage: tunebench data info SPEC (one SPEC; see tunebench --help)\n");
      return TB_EXIT_USAGE;
    }
    return data_info(argv[1]);
  }
  fprintf(stderr, "tunebench: usage: tunebench data info SPEC\n");
  return TB_EXIT_USAGE;
}
