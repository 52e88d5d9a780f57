/* main.c: the `tunebench` command: global options and the dispatch to the subcommands (the other files here).
 * Exit codes: 0 success, 1 a failure while running, 2 bad usage or input (unknown command, bad SPEC, a device
 * that is not available). Tested by tests/test_cli.c. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "cli.h"
#include "tb_backend.h"
#include "tb_error.h"

static void usage(FILE *f) {
  fputs("usage: tunebench [--version] [--help] <command> [<args>]\n"
        "\n"
        "commands:\n"
        "  data info SPEC             load a dataset and print rows, features, classes and class balance,\n"
        "                             memory and a checksum of the loaded data\n"
        "  device [--device D]        show the compute devices this build can use (D: auto, cpu, cuda, cuda:N)\n"
        "  check [--data SPEC] [--device D] [--epochs N] [--batch N] [--seed N]\n"
        "                             end-to-end check: trains a softmax regression through the backend ops\n"
        "                             (default: fashion-mnist, 3 epochs, batch 128, Adam 1e-3)\n"
        "  train --learner NAME --data SPEC [--set key=value ...] [--device D] [--seed N] [--units N]\n"
        "        [--valid-frac F] [--test-frac F]\n"
        "                             train one model (mlp, logreg, gbdt, forest), printing validation metrics\n"
        "                             per epoch/round/tree, then test metrics, time, peak memory, parameters\n"
        "  bench samplers|eval ...    sampler regret and cost per suggestion on test functions (scripts/bench/)\n"
        "  inspect FILE.h5            a results file: experiments, trials by status, best per strategy, complete?\n"
        "  export FILE.h5 --format csv|json [--table trials|curves|lineage|pareto|memory] [--out PATH]\n"
        "  run SUITE [--out FILE.h5] [--device D] [--jobs N] [--seed N] [--resume] [--force] [--dry-run]\n"
        "                             run a suite (a file, or a built-in name: tunebench list); docs/suites.md\n"
        "  list                       learners and their hyperparameters, samplers, schedulers, datasets,\n"
        "                             test functions, objectives, built-in suites\n"
        "  report FILE.h5 [--out DIR]\n"
        "                             Markdown summary and PNG figures of a study (docs/report.md)\n"
        "\n"
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
        "exit status: 0 success, 1 failure, 2 bad usage or input.\n",
        f);
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
  fprintf(stderr, "tunebench: unknown command '%s' (commands: data, device, check, train, run, list, report, inspect, export, bench; see tunebench --help)\n", cmd);
  return TB_EXIT_USAGE;
}
