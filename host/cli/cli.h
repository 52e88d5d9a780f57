/* cli.h: the `tunebench` command's subcommands (host/cli/). Only this directory prints and chooses exit codes;
 * it calls libtunebench for everything else. Tested by tests/test_cli.c, which runs the built binary. */
#ifndef TB_CLI_H
#define TB_CLI_H

/* Exit codes of the command. */
enum { TB_EXIT_OK = 0, TB_EXIT_FAILURE = 1, TB_EXIT_USAGE = 2 };

/* Prints "tunebench: <what>: <detail of the last library error>" to stderr and returns the exit code that fits
 * the error code (bad input or unsupported device: 2, other failures: 1). */
int tb_cli_fail(int rc, const char *what);

/* Each subcommand gets argv after its name ("data info X" -> argc 2, {"info", "X"}). */
int tb_cli_data(int argc, char **argv);
int tb_cli_device(int argc, char **argv);
int tb_cli_check(int argc, char **argv);
int tb_cli_train(int argc, char **argv);
int tb_cli_bench(int argc, char **argv);
/* cli_results.c: cmd is "inspect" or "export"; tb_cli_bench_store is `bench store` (hidden). */
int tb_cli_results(const char *cmd, int argc, char **argv);
int tb_cli_bench_store(int argc, char **argv);
int tb_cli_report(int argc, char **argv); /* cli_report.c: `report FILE.h5 [--out DIR]` (scripts/report.py) */
/* cli_bench_latency.c: `bench latency` (a learner's predict latency; used by scripts/bench/learners.py). */
int tb_cli_bench_latency(int argc, char **argv);
int tb_cli_bench_fused(int argc, char **argv); /* cli_bench_fused.c: `bench fused` (hidden) */
/* cli_run.c: `run SUITE [--out FILE.h5] [--device D] [--jobs N] [--seed N] [--resume] [--force] [--dry-run]` */
int tb_cli_run(int argc, char **argv);
/* cli_list.c: `list` (learners and their hyperparameters, samplers, schedulers, datasets, functions, suites) */
int tb_cli_list(int argc, char **argv);
#endif
