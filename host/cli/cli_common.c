/* cli_common.c: what every subcommand shares: turning a library error into a message and an exit code. Not main()
 * (main.c dispatches to the subcommands; they call here, never main.c). Tested by tests/test_cli.c. */
#include <stdio.h>

#include "cli.h"
#include "tb_error.h"

int tb_cli_fail(int rc, const char *what) {
  const char *detail = tb_error_detail();
  fprintf(stderr, "tunebench %s: %s\n", what, detail[0] ? detail : tb_strerror(rc));
  switch (rc) {
  case TB_ERR_INVALID:
  case TB_ERR_FORMAT:
  case TB_ERR_NOT_FOUND:
  case TB_ERR_RANGE:
  case TB_ERR_UNSUPPORTED:
    return TB_EXIT_USAGE;
  default:
    return TB_EXIT_FAILURE;
  }
}
