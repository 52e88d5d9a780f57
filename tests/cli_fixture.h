/* cli_fixture.h: runs the built `tunebench` binary the way every CLI test does, written once (test_cli.c,
 * test_cli_bench_latency.c, test_cli_data_dump.c, test_cli_results.c, test_model_core.c, test_report.c,
 * test_suite.c, test_kill_resume.c). The binary's path comes from $TB_BINARY, which CTest sets (CMakeLists.txt,
 * tb_add_test); outside CTest the test is skipped (exit 77), not failed. It is test code, not a library API; it is
 * exercised by the tests that include it (each checks exit codes and output it captures here). */
#ifndef TB_CLI_FIXTURE_H
#define TB_CLI_FIXTURE_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tb_test.h"

/* The path of the built binary ($TB_BINARY); skips the test program when it is not set. */
static inline const char *cli_binary(void) {
  const char *bin = getenv("TB_BINARY");
  if (!bin || !*bin) tb_test_skip("TB_BINARY not set (run through ctest)");
  return bin;
}

/* Runs `cd DIR && ENV 'tunebench' ARGS 2>&1` through /bin/sh (dir and env may be NULL; args is shell text, quote
 * what needs quoting), captures the first cap-1 bytes of stdout and stderr together into out (NUL-terminated; the
 * rest is read and dropped, so a long output cannot block the child) and returns the exit status: 0..255, or -1
 * when the command could not be started or ended by a signal. */
static inline int cli_run_in(const char *dir, const char *env, const char *args, char *out, size_t cap) {
  const char *bin = cli_binary();
  size_t len = strlen(bin) + strlen(args) + (dir ? strlen(dir) : 0) + (env ? strlen(env) : 0) + 32;
  char *cmd = malloc(len);
  snprintf(cmd, len, "%s%s%s%s%s'%s' %s 2>&1", dir ? "cd '" : "", dir ? dir : "", dir ? "' && " : "",
           env ? env : "", env ? " " : "", bin, args);
  FILE *p = popen(cmd, "r");
  free(cmd);
  out[0] = '\0';
  if (!p) return -1;
  size_t n = fread(out, 1, cap - 1, p);
  out[n] = '\0';
  char rest[4096];
  while (fread(rest, 1, sizeof rest, p) > 0) {
  }
  int st = pclose(p);
  return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Starts the binary with args (NULL-terminated, without argv[0]; at most 14) without a shell, stdout and stderr to
 * the file log (appended to when append, else truncated); returns the child's pid (tests that signal it) or -1. */
static inline pid_t cli_spawn(const char *log, int append, const char *const *args) {
  const char *bin = cli_binary();
  const char *argv[16] = {bin};
  for (int i = 0; args[i] && i < 14; i++) argv[i + 1] = args[i];
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0644);
    if (fd >= 0) dup2(fd, 1), dup2(fd, 2);
    execv(bin, (char *const *)argv);
    _exit(127);
  }
  return pid;
}

/* Waits for a cli_spawn child: its exit status, 128 + the signal that ended it, or -1. */
static inline int cli_wait(pid_t pid) {
  int st;
  if (pid < 0 || waitpid(pid, &st, 0) != pid) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* cli_run_in from the current directory with the test's environment. */
static inline int cli_run(const char *args, char *out, size_t cap) { return cli_run_in(NULL, NULL, args, out, cap); }
#endif
