/* fuzz_suite.c: libFuzzer harness of the suite parser (tb_suite_parse): any bytes are a suite text; the parser
 * must accept or refuse them with a detail, never crash, leak or read out of bounds (ASan, UBSan). A suite that
 * loads also builds every experiment's space. Seeds: tests/fuzz/corpus/suite/. Run by scripts/fuzz. */
#include <stdint.h>
#include <string.h>

#include "tb_error.h"
#include "tb_suite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tb_suite *s = NULL;
  int rc = tb_suite_parse("fuzz.yaml", (const char *)data, size, &s);
  if (rc < 0) {
    if (!tb_error_detail()[0]) __builtin_trap(); /* every refusal says why */
    return 0;
  }
  for (int e = 0; e < tb_suite_n_experiments(s); e++) {
    tb_suite_experiment ex;
    tb_space *sp = NULL;
    if (tb_suite_experiment_get(s, e, &ex) == TB_OK && tb_suite_space(s, &ex, &sp) == TB_OK) tb_space_free(sp);
  }
  tb_suite_free(s);
  return 0;
}
