/* fuzz_spec.c: libFuzzer harness of the dataset SPEC parser (tb_spec_parse and the typed getters): any text is a
 * SPEC; it is parsed or refused with a detail, never a crash or an out-of-bounds read. Seeds:
 * tests/fuzz/corpus/spec/. Run by scripts/fuzz. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tb_data.h"
#include "tb_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  tb_spec sp;
  if (tb_spec_parse(text, &sp) == TB_OK) {
    long l;
    double d;
    const char *str;
    (void)tb_spec_get_long(&sp, "n", 1, 1000000, &l);
    (void)tb_spec_get_double(&sp, "noise", 0, 10, &d);
    (void)tb_spec_get_str(&sp, "label", &str);
    (void)tb_spec_check_unused(&sp, "n,noise,label");
    tb_spec_free(&sp);
  } else if (!tb_error_detail()[0]) {
    __builtin_trap();
  }
  free(text);
  return 0;
}
