/* cli_common.c: what every subcommand shares: turning a library error into a message and an exit code, and where
 * the built-in suites and the report scripts are (the source tree the build names, else an installed prefix). Not main()
 * (main.c dispatches to the subcommands; they call here, never main.c). Tested by tests/test_cli.c. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static int is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *tb_cli_share_dir(const char *built, const char *sub) {
  static char buf[2][PATH_MAX];
  if (is_dir(built)) return built;
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return built;
  exe[n] = 0;
  char *slash = strrchr(exe, '/');
  if (!slash) return built;
  *slash = 0; /* PREFIX/bin */
  char *b = buf[sub[0] == 's' && sub[1] == 'u'];
  if ((size_t)snprintf(b, PATH_MAX, "%s/../share/tunebench/%s", exe, sub) >= PATH_MAX || !is_dir(b)) return built;
  return b;
}
