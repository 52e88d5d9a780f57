/* main.c: the `tunebench` command: global options and the dispatch to the subcommands (the other files here).
 * Exit codes: 0 success, 1 a failure while running or an unreadable / unwritable file, 2 bad usage or input
 * (unknown command, bad SPEC, a device that is not available). `CMD --help` prints CMD's usage (cli_usage.c). Tested by tests/test_cli.c. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "cli.h"
#include "tb_backend.h"
#include "tb_error.h"

static void usage(FILE *f) {
  fputs("usage: tunebench [--version] [--help] <command> [<args>]      (tunebench <command> --help: its usage)\n"
        "\n"
        "commands:\n",
        f);
  for (const tb_cli_command *c = tb_cli_commands(); c->name; c++) {
    fputs("  ", f);
    for (const char *p = c->synopsis; *p; p++) fputc(*p, f);
    fputs("\n        ", f);
    for (const char *p = c->summary; *p; p++) fputs(*p == '\n' ? "\n        " : (char[2]){*p, 0}, f);
    fputc('\n', f);
  }
  fputs("\n"
        "dataset SPECs:\n"
        "  fashion-mnist[?part=train|test&n=N]      the Debian dataset-fashion-mnist package (n: first N rows)\n"
        "  csv:PATH[?label=COL&header=1]            COL: column name or 0-based index (default: last)\n"
        "  libsvm:PATH                              sparse 'label idx:val ...' lines\n"
        "  idx:IMAGES,LABELS                        IDX files, plain or gzipped\n"
        "  hdf5:PATH?x=NAME&y=NAME                  2-d features x, 1-d labels or targets y\n"
        "  gen:classification?n=&d=&informative=&redundant=&classes=&class_sep=&flip=&seed=\n"
        "  gen:friedman1?n=&d=&noise=&seed=\n"
        "  gen:rectangles?n=&seed=     gen:convex?n=&seed=\n"
        "\n"
        "exit status: 0 success, 1 failure (including unreadable or unwritable files), 2 bad usage or input.\n",
        f);
}

/* `tunebench CMD ... --help`: CMD's usage and summary on stdout. "data" and "bench" take their subcommand when
 * it is known (else every data / bench command). */
static int command_help(int argc, char **argv) {
  char name[64];
  snprintf(name, sizeof name, "%s", argv[1]);
  if (argc > 2 && argv[2][0] != '-') {
    char two[64];
    snprintf(two, sizeof two, "%s %s", argv[1], argv[2]);
    if (tb_cli_command_find(two)) snprintf(name, sizeof name, "%s", two);
  }
  tb_cli_usage_print(stdout, name);
  const tb_cli_command *c = tb_cli_command_find(name);
  if (c) printf("\n%s\n", c->summary);
  return TB_EXIT_OK;
}

/* OpenMP worker threads that spin while idle starve concurrent trials (several workers, OpenBLAS, other
 * processes) on small machines: an MLP epoch ran 14x slower. libgomp reads OMP_WAIT_POLICY only when it loads, so
 * when the user has not chosen a policy the command re-executes itself once with OMP_WAIT_POLICY=passive. */
static void prefer_passive_openmp(char **argv) {
  if (getenv("OMP_WAIT_POLICY") || getenv("TB_NO_REEXEC")) return;
  setenv("OMP_WAIT_POLICY", "passive", 1);
  setenv("TB_NO_REEXEC", "1", 1);
  execv("/proc/self/exe", argv); /* on failure, go on with the default policy */
}

int main(int argc, char **argv) {
  prefer_passive_openmp(argv);
  if (argc < 2) {
    usage(stderr);
    return TB_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
    printf("tunebench %s (%s backend%s)\n", TB_VERSION, tb_backend_cuda_built() ? "CPU + CUDA" : "CPU",
           tb_backend_cuda_built() ? "s" : "; CUDA not built");
    return TB_EXIT_OK;
  }
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    usage(stdout);
    return TB_EXIT_OK;
  }
  int known = 0;
  for (const tb_cli_command *c = tb_cli_commands(); c->name; c++)
    known |= !strncmp(c->name, cmd, strlen(cmd)) && (c->name[strlen(cmd)] == ' ' || !c->name[strlen(cmd)]);
  if (known && tb_cli_help_wanted(argc - 2, argv + 2)) return command_help(argc, argv);
  if (!strcmp(cmd, "data")) return tb_cli_data(argc - 2, argv + 2);
  if (!strcmp(cmd, "device")) return tb_cli_device(argc - 2, argv + 2);
  if (!strcmp(cmd, "check")) return tb_cli_check(argc - 2, argv + 2);
  if (!strcmp(cmd, "train")) return tb_cli_train(argc - 2, argv + 2);
  if (!strcmp(cmd, "bench") && argc > 2 && !strcmp(argv[2], "store")) return tb_cli_bench_store(argc - 3, argv + 3);
  if (!strcmp(cmd, "bench") && argc > 2 && !strcmp(argv[2], "latency")) return tb_cli_bench_latency(argc - 3, argv + 3);
  if (!strcmp(cmd, "bench") && argc > 2 && !strcmp(argv[2], "fused")) return tb_cli_bench_fused(argc - 3, argv + 3);
  if (!strcmp(cmd, "bench")) return tb_cli_bench(argc - 2, argv + 2);
  if (!strcmp(cmd, "inspect") || !strcmp(cmd, "export")) return tb_cli_results(cmd, argc - 2, argv + 2);
  if (!strcmp(cmd, "report")) return tb_cli_report(argc - 2, argv + 2);
  if (!strcmp(cmd, "run")) return tb_cli_run(argc - 2, argv + 2);
  if (!strcmp(cmd, "list")) return tb_cli_list(argc - 2, argv + 2);
  fprintf(stderr, "tunebench: unknown command '%s' (commands: run, report, inspect, export, list, train, data, device, "
          "check, bench; see tunebench --help)\n", cmd);
  return TB_EXIT_USAGE;
}
