/* cli.h: the `tunebench` command's subcommands (host/cli/). Only this directory prints and chooses exit codes;
 * it calls libtunebench for everything else. Tested by tests/test_cli.c, which runs the built binary. */
#ifndef TB_CLI_H
#define TB_CLI_H
#include <stdio.h>

#include "tb_backend.h"
#include "tb_data.h"
#include "tb_model.h"

/* Exit codes of the command. */
enum { TB_EXIT_OK = 0, TB_EXIT_FAILURE = 1, TB_EXIT_USAGE = 2 };

/* Prints "tunebench <what>: <detail of the last library error>" to stderr and returns the exit code that fits
 * the error code (bad input or unsupported device: 2; I/O errors and other failures: 1). */
int tb_cli_fail(int rc, const char *what);

/* The folder of the built-in suites (sub "suites") or the report scripts (sub "scripts"): `built` (the source tree's,
 * compiled in) when it exists, else PREFIX/share/tunebench/SUB beside an installed binary (PREFIX/bin/tunebench),
 * else `built` (messages then name it). The result lives until the next call with the same sub. */
const char *tb_cli_share_dir(const char *built, const char *sub);

/* cli_usage.c: the one table of usage lines (name as typed: "run", "data info", "bench samplers"). */
typedef struct tb_cli_command {
  const char *name, *synopsis, *summary; /* synopsis: without "tunebench "; may span lines */
} tb_cli_command;
const tb_cli_command *tb_cli_commands(void); /* NULL-name terminated */
const tb_cli_command *tb_cli_command_find(const char *name);
/* "usage: tunebench <synopsis>" of name (every "bench ..." for "bench") on f. */
void tb_cli_usage_print(FILE *f, const char *name);
/* 1 when an argument is --help or -h. */
int tb_cli_help_wanted(int argc, char **argv);
/* "tunebench <name>: <message>" and the usage of name on stderr; returns TB_EXIT_USAGE. */
int tb_cli_usage_error(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Each subcommand gets argv after its name ("data info X" -> argc 2, {"info", "X"}). */
int tb_cli_data(int argc, char **argv);
int tb_cli_device(int argc, char **argv);
int tb_cli_check(int argc, char **argv);
int tb_cli_train(int argc, char **argv);
int tb_cli_bench(int argc, char **argv);
/* cli_results.c: cmd is "inspect" or "export"; tb_cli_bench_store is `bench store` (hidden). */
int tb_cli_results(const char *cmd, int argc, char **argv);
/* cli_export.c: table `table` of the experiments exps (or /memory) to o as one CSV or one JSON array. */
struct tb_h5_file;
int tb_cli_export_tables(struct tb_h5_file *f, const char *table, char **exps, size_t ne, int json, FILE *o);
int tb_cli_bench_store(int argc, char **argv);
int tb_cli_report(int argc, char **argv); /* cli_report.c: `report FILE.h5 [--out DIR]` (scripts/report.py) */
/* cli_bench_latency.c: `bench latency` (a learner's predict latency; used by scripts/bench/learners.py). */
int tb_cli_bench_latency(int argc, char **argv);
int tb_cli_bench_fused(int argc, char **argv); /* cli_bench_fused.c: `bench fused` (hidden) */
/* cli_run.c: `run SUITE [--out FILE.h5] [--device D] [--jobs N] [--seed N] [--resume] [--force] [--dry-run]` */
int tb_cli_run(int argc, char **argv);
/* cli_list.c: `list` (learners and their hyperparameters, samplers, schedulers, datasets, functions, suites) */
int tb_cli_list(int argc, char **argv);
/* cli_list_json.c: `list --format json` (the built-in suites from suites_dir). */
int tb_cli_list_json(const char *suites_dir);

/* cli_learner.c: the set-up `train` and `bench latency` share. Step 1 (config): the learner, its declared space and
 * the configuration (defaults, then the --set values parents first, then checked). Step 2 (data): the device
 * resolved (a fallback notice on stderr), the dataset loaded and split with `seed` (valid_frac / test_frac < 0: the
 * split's defaults), the features standardised on the training rows, the backend opened and the data uploaded.
 * tb_cli_learner_free releases whatever was made (also after a failed step). */
#define TB_CLI_MAX_SETS 64
typedef struct {
  const char *what;              /* the command, for messages ("train", "bench latency") */
  const char *learner, *data, *device;
  const char *const *sets;       /* "key=value" strings */
  int n_sets;
  unsigned long long seed;        /* the model's seed (a study trial's `seed` column reproduces that trial) */
  double valid_frac, test_frac;  /* < 0: tb_split_spec_default's */
  int split_seed_given;          /* 1: split with split_seed; 0: split with seed (train's historical default) */
  unsigned long long split_seed; /* a suite dataset's split_seed */
  int no_stratify;               /* 1: plain split (a suite dataset with stratify: false) */
} tb_cli_learner_opts;
typedef struct {
  const tb_learner *L;
  tb_space *sp;
  double *x;                     /* the configuration in sp's encoding */
  tb_dataset *ds;
  tb_splits splits;
  tb_standardizer st;
  tb_backend *be;
  tb_devdata *dd;
} tb_cli_learner;
int tb_cli_learner_config(const tb_cli_learner_opts *o, tb_cli_learner *c);
int tb_cli_learner_data(const tb_cli_learner_opts *o, tb_cli_learner *c);
void tb_cli_learner_free(tb_cli_learner *c);
#endif
