/* cli_report.c: `tunebench report FILE.h5 [--out DIR] [--format png,pdf,svg]`: runs /usr/bin/python3
 * <scripts>/report.py on the file, which writes DIR/report.md and its figures (docs/report.md). <scripts> is the
 * environment variable TB_SCRIPTS_DIR when set, else the source tree's scripts/ directory (TB_SCRIPTS_DIR, set by the
 * build), else share/tunebench/scripts of an installed prefix (tb_cli_share_dir). The exit status is the
 * script's (0 written, 1 a section failed, 2 bad usage, a file that is not a results file, or missing Python
 * packages). Not here: anything about the report's content (scripts/report*.py). Tested by tests/test_report.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "tb_h5.h"

#ifndef TB_SCRIPTS_DIR
#define TB_SCRIPTS_DIR "scripts"
#endif

#define TB_REPORT_PYTHON "/usr/bin/python3"

int tb_cli_report(int argc, char **argv) {
  const char *file = NULL, *out = NULL, *format = NULL;
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--out")) {
      if (i + 1 >= argc) return tb_cli_usage_error("report", "--out needs a directory");
      out = argv[++i];
    } else if (!strcmp(argv[i], "--format")) {
      if (i + 1 >= argc) return tb_cli_usage_error("report", "--format needs a list such as png,pdf,svg");
      format = argv[++i];
    } else if (argv[i][0] == '-' && argv[i][1]) {
      return tb_cli_usage_error("report", "unknown option '%s'", argv[i]);
    } else if (file) {
      return tb_cli_usage_error("report", "one results file only ('%s' and '%s')", file, argv[i]);
    } else {
      file = argv[i];
    }
  }
  if (!file) return tb_cli_usage_error("report", "which results file? (FILE.h5)");
  /* h5py retries a damaged metadata block for minutes: the file is read whole here first, in bounded time */
  int rc = tb_h5_check(file);
  if (rc < 0) return tb_cli_fail(rc, "report");
  if (access(TB_REPORT_PYTHON, X_OK) != 0) {
    fprintf(stderr, "tunebench report: %s not found: the report needs Debian's python3 with python3-h5py and "
                    "python3-matplotlib (run scripts/setup)\n", TB_REPORT_PYTHON);
    return TB_EXIT_USAGE;
  }
  const char *dir = getenv("TB_SCRIPTS_DIR");
  if (!dir || !dir[0]) dir = tb_cli_share_dir(TB_SCRIPTS_DIR, "scripts");
  char script[4096];
  if ((size_t)snprintf(script, sizeof script, "%s/report.py", dir) >= sizeof script || access(script, R_OK) != 0) {
    fprintf(stderr, "tunebench report: cannot read %s/report.py (the source tree's scripts/ directory; set "
                    "TB_SCRIPTS_DIR to where it is)\n", dir);
    return TB_EXIT_USAGE;
  }
  char *args[8] = {TB_REPORT_PYTHON, script, (char *)file, NULL, NULL, NULL, NULL, NULL};
  int na = 3;
  if (out) args[na++] = "--out", args[na++] = (char *)out;
  if (format) args[na++] = "--format", args[na++] = (char *)format;
  fflush(stdout), fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "tunebench report: fork: %s\n", strerror(errno));
    return TB_EXIT_FAILURE;
  }
  if (pid == 0) {
    execv(TB_REPORT_PYTHON, args);
    fprintf(stderr, "tunebench report: cannot run %s: %s\n", TB_REPORT_PYTHON, strerror(errno));
    _exit(TB_EXIT_FAILURE);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      fprintf(stderr, "tunebench report: waitpid: %s\n", strerror(errno));
      return TB_EXIT_FAILURE;
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status) <= TB_EXIT_USAGE ? WEXITSTATUS(status) : TB_EXIT_FAILURE;
  fprintf(stderr, "tunebench report: %s ended by signal %d\n", script, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return TB_EXIT_FAILURE;
}
