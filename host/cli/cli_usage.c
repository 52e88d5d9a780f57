/* cli_usage.c: the one table of the command's usage lines: `tunebench --help` prints all of them, `tunebench CMD
 * --help` (any subcommand, any position of --help or -h) prints its own on stdout with exit 0, and every usage
 * error prints the same line, so the help, the errors and the README cannot drift apart (tests/test_cli_usage.c
 * checks the README against this table). Also the shared error style: "tunebench CMD: what was wrong". Not here:
 * parsing each command's options (its own file). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const tb_cli_command commands[] = {
    {"run", "run SUITE [--out FILE.h5] [--device D] [--jobs N] [--seed N] [--resume] [--force] [--dry-run]\n"
            "    [--no-report] [--report-dir DIR]",
     "run a suite (a file, or a built-in name: tunebench list); docs/suites.md"},
    {"report", "report FILE.h5 [--out DIR] [--format png,pdf,svg]",
     "Markdown summary and figures of a study, in each format given (docs/report.md)"},
    {"inspect", "inspect FILE.h5", "a results file: experiments, trials by status, best per strategy, complete?"},
    {"export", "export FILE.h5 --format csv|json [--table trials|rungs|curves|lineage|pareto|memory] [--out PATH]",
     "a table of a results file as CSV or JSON"},
    {"list", "list [--format text|json]",
     "learners and their hyperparameters, samplers and schedulers with their options, dataset kinds, test\n"
     "functions, objectives, built-in suites"},
    {"train", "train --learner NAME --data SPEC [--set key=value ...] [--device D] [--seed N] [--split-seed N]\n"
              "    [--no-stratify] [--units N] [--valid-frac F] [--test-frac F]",
     "train one model (mlp, logreg, gbdt, forest), printing validation metrics per epoch/round/tree, then test\n"
     "metrics, time, peak memory, parameters"},
    {"data info", "data info SPEC", "load a dataset: rows, features, classes and balance, memory, checksum"},
    {"data dump", "data dump SPEC --out FILE.h5 [--seed N] [--valid-frac F] [--test-frac F] [--raw]",
     "write a dataset and its split as the learners see it (standardised unless --raw) to HDF5"},
    {"device", "device [--device D]", "the compute devices this build can use (D: auto, cpu, cuda, cuda:N)"},
    {"check", "check [--data SPEC] [--device D] [--epochs N] [--batch N] [--seed N]",
     "end-to-end check: a softmax regression through the backend ops (default: fashion-mnist, 3 epochs)"},
    {"bench samplers", "bench samplers [--function NAME ...] [--sampler NAME ...] [--trials N] [--seeds K]\n"
                       "    [--timing T1,T2,...] [--timing-budget [SAMPLER=]S ...] [--timing-max SAMPLER=T ...]\n"
                       "    [--format table|json] [--option SAMPLER:NAME=VALUE ...]",
     "sampler regret and cost per suggestion on test functions (scripts/bench/)"},
    {"bench eval", "bench eval --function NAME --x V1,V2,... [--seed S]", "one value of a test function"},
    {"bench store", "bench store [--trials N] [--curve-points M] [--threads W,W,...] [--dir D]\n"
                    "    [--mode all|fsync|group|nosync] | bench store --replay FILE.h5 [--dir D]",
     "results-store throughput: journal and HDF5 writes per second"},
    {"bench fused", "bench fused [--k 8,32,128] [--epochs N] [--data SPEC] [--device D] [--rows N] [--valid N]\n"
                    "    [--repeats N] [--threads N]",
     "K MLP trials trained as one fused model against K separate ones"},
    {"bench latency", "bench latency --learner NAME --data SPEC [--set key=value ...] [--units N] [--batch N]\n"
                      "    [--runs N] [--warmup N] [--device D] [--seed N]",
     "a learner's prediction latency (used by scripts/bench/learners.py)"},
    {NULL, NULL, NULL}};

const tb_cli_command *tb_cli_commands(void) { return commands; }

const tb_cli_command *tb_cli_command_find(const char *name) {
  for (const tb_cli_command *c = commands; c->name; c++)
    if (!strcmp(c->name, name)) return c;
  return NULL;
}

void tb_cli_usage_print(FILE *f, const char *name) {
  int any = 0;
  size_t len = strlen(name);
  for (const tb_cli_command *c = commands; c->name; c++) /* "bench" prints every bench command */
    if (!strcmp(c->name, name) || (!strncmp(c->name, name, len) && c->name[len] == ' ')) {
      fprintf(f, "%s tunebench ", any ? "      " : "usage:");
      for (const char *p = c->synopsis; *p; p++) {
        fputc(*p, f);
        if (*p == '\n') fputs("             ", f);
      }
      fputc('\n', f);
      any = 1;
    }
}

int tb_cli_help_wanted(int argc, char **argv) {
  for (int i = 0; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
  return 0;
}

int tb_cli_usage_error(const char *name, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "tunebench %s: ", name);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  tb_cli_usage_print(stderr, name);
  return TB_EXIT_USAGE;
}
