/* test_cli_usage.c: the command line as people expect it (issue 21): `tunebench CMD --help` for every command of
 * the usage table (host/cli/cli_usage.c) prints its usage on stdout with exit 0; the README's command list and the
 * top-level help show every command; errors read "tunebench CMD: ..." and name the wrong argument and value; I/O
 * errors exit 1 and name the path; `list --format json` parses and lists every sampler's and scheduler's options
 * as their registries declare them. Runs the built binary ($TB_BINARY). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tb_sampler.h"
#include "tb_scheduler.h"
#include "tb_test.h"

/* cli_usage.c is part of the command, not the library: the names are listed here and checked against --help. */
static const char *const commands[] = {"run", "report", "inspect", "export", "list", "train", "data info",
                                       "data dump", "device", "check", "bench samplers", "bench eval",
                                       "bench store", "bench fused", "bench latency", NULL};

static const char *src_dir(void) {
  const char *d = getenv("TB_SOURCE_DIR");
  return d ? d : "..";
}

/* Runs `tunebench ARGS` with stdout to out and stderr to err (each up to cap-1 bytes); returns the exit status. */
static int run2(const char *args, char *out, char *err, size_t cap) {
  const char *bin = getenv("TB_BINARY");
  CU_ASSERT_PTR_NOT_NULL_FATAL(bin);
  char cmd[4096], errf[] = "/tmp/tb_cli_usage_XXXXXX";
  int fd = mkstemp(errf);
  if (fd < 0) return -1;
  close(fd);
  snprintf(cmd, sizeof cmd, "'%s' %s 2>'%s'", bin, args, errf);
  FILE *p = popen(cmd, "r");
  if (!p) return -1;
  size_t n = fread(out, 1, cap - 1, p);
  out[n] = '\0';
  int st = pclose(p);
  FILE *e = fopen(errf, "r");
  n = e ? fread(err, 1, cap - 1, e) : 0;
  err[n] = '\0';
  if (e) fclose(e);
  remove(errf);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char out[1 << 17], err[1 << 17];

static void test_help_everywhere(void) {
  char args[256], want[256];
  for (int i = 0; commands[i]; i++)
    for (int form = 0; form < 2; form++) {
      snprintf(args, sizeof args, "%s %s", commands[i], form ? "-h" : "--help");
      int rc = run2(args, out, err, sizeof out);
      snprintf(want, sizeof want, "usage: tunebench %s", commands[i]);
      int ok = rc == 0 && strstr(out, want) == out && !err[0];
      if (!ok) fprintf(stderr, "\n`tunebench %s`: exit %d, stdout '%.80s', stderr '%.80s'\n", args, rc, out, err);
      CU_ASSERT(ok);
    }
  /* --help after other arguments, and on a command that would otherwise run */
  CU_ASSERT_EQUAL(run2("run quickstart --jobs 2 --help", out, err, sizeof out), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "usage: tunebench run SUITE"));
  CU_ASSERT_EQUAL(run2("device --help", out, err, sizeof out), 0);
  CU_ASSERT_PTR_NULL(strstr(out, "CUDA backend")); /* it printed help, it did not probe the devices */
}

/* The top-level help and the README's command list show each command's synopsis (its first line). */
static void test_help_and_readme_agree(void) {
  CU_ASSERT_EQUAL(run2("--help", out, err, sizeof out), 0);
  char top[sizeof out];
  memcpy(top, out, sizeof top);
  char path[4096];
  snprintf(path, sizeof path, "%s/README.md", src_dir());
  FILE *f = fopen(path, "r");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  static char readme[1 << 18];
  size_t n = fread(readme, 1, sizeof readme - 1, f);
  readme[n] = '\0';
  fclose(f);
  for (int i = 0; commands[i]; i++) {
    char args[256], first[512], want[600];
    snprintf(args, sizeof args, "%s --help", commands[i]);
    CU_ASSERT_EQUAL_FATAL(run2(args, out, err, sizeof out), 0);
    size_t len = strcspn(out + 17, "\n"); /* after "usage: tunebench " */
    snprintf(first, sizeof first, "%.*s", (int)len, out + 17);
    snprintf(want, sizeof want, "tunebench %s", first);
    if (!strstr(readme, want)) fprintf(stderr, "\nREADME.md lacks '%s'\n", want);
    CU_ASSERT_PTR_NOT_NULL(strstr(readme, want));
    if (!strstr(top, first)) fprintf(stderr, "\ntunebench --help lacks '%s'\n", first);
    CU_ASSERT_PTR_NOT_NULL(strstr(top, first));
  }
}

/* One error style: "tunebench CMD: what", the wrong value named, the usage after it; exit 2. */
static void test_errors_name_the_argument(void) {
  static const struct { const char *args, *want; } cases[] = {
      {"export x.h5 --format csv --table bogus", "tunebench export: --table 'bogus': trials, rungs, curves"},
      {"export x.h5 --format xml", "tunebench export: --format 'xml': csv or json"},
      {"export x.h5", "tunebench export: --format is required"},
      {"inspect", "tunebench inspect: one results file"},
      {"run", "tunebench run: which suite?"},
      {"run quickstart --frobnicate", "tunebench run: unknown option '--frobnicate'"},
      {"train --learner", "tunebench train: bad argument '--learner' (missing value?)"},
      {"check --epochs 0", "tunebench check: bad argument '--epochs'"},
      {"device --gpu", "tunebench device: unknown argument '--gpu'"},
      {"data info", "tunebench data info: one SPEC"},
      {"data frob", "tunebench data: unknown or missing subcommand 'frob'"},
      {"list --format yaml", "tunebench list: --format 'yaml': text or json"},
      {"bench samplers --trials 0", "tunebench bench: --trials '0'"},
      {"bench store --mode x --bogus", "tunebench bench store: bad argument '--bogus'"},
      {"bench fused --k", "tunebench bench fused: --k needs a value"},
      {"bench latency", "tunebench bench latency: --learner and --data are required"},
      {"report", "tunebench report: which results file?"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    int rc = run2(cases[i].args, out, err, sizeof out);
    int ok = rc == 2 && strstr(err, cases[i].want) == err && strstr(err, "\nusage: tunebench ");
    if (!ok) fprintf(stderr, "\n`tunebench %s`: exit %d, stderr '%.300s'\n", cases[i].args, rc, err);
    CU_ASSERT(ok);
  }
}

/* Files that cannot be read or written are failures (exit 1), named by the path the user gave, without HDF5's
 * internal text. */
static void test_io_errors(void) {
  static const struct { const char *args, *want; } cases[] = {
      {"inspect /nonexistent/r.h5", "tunebench inspect: /nonexistent/r.h5: cannot open: No such file"},
      {"export /nonexistent/r.h5 --format csv", "tunebench export: /nonexistent/r.h5: cannot open"},
      {"report /nonexistent/r.h5", "tunebench report: /nonexistent/r.h5: cannot open: No such file"},
      {"data dump gen:classification?n=50 --out /nonexistent/d.h5",
       "tunebench data dump: /nonexistent/d.h5: cannot create HDF5 file: No such file or directory"},
      {"train --learner logreg --data csv:/nonexistent/x.csv --device cpu",
       "tunebench train: /nonexistent/x.csv: cannot open"},
      {"run ../tests/kill_resume/deterministic.yaml --out /nonexistent/x.h5", /* the file asked for, not x.h5.journal.new */
       "tunebench run: /nonexistent/x.h5: cannot create the results file: /nonexistent is not a writable folder"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    int rc = run2(cases[i].args, out, err, sizeof out);
    int ok = rc == 1 && strstr(err, cases[i].want) && !strstr(err, "errno =") && !strstr(err, "HDF5-DIAG");
    if (!ok) fprintf(stderr, "\n`tunebench %s`: exit %d, stderr '%.300s'\n", cases[i].args, rc, err);
    CU_ASSERT(ok);
  }
}

/* `list --format json`: valid JSON (Python's json module) holding every sampler and scheduler with each option
 * its registry declares, and the learners' hyperparameters. */
static void test_list_json(void) {
  const char *bin = getenv("TB_BINARY");
  char cmd[8192];
  int k = snprintf(cmd, sizeof cmd,
                   "'%s' list --format json | /usr/bin/python3 -c 'import json,sys\n"
                   "d=json.load(sys.stdin)\n"
                   "o={c[\"name\"]:[x[\"name\"] for x in c[\"options\"]] for c in d[\"samplers\"]+d[\"schedulers\"]}\n"
                   "assert any(h[\"name\"]==\"lr\" for l in d[\"learners\"] for h in l[\"hyperparameters\"])\n",
                   bin);
  for (int pass = 0; pass < 2; pass++) {
    const char *const *names = pass ? tb_scheduler_names() : tb_sampler_names();
    for (int i = 0; names[i]; i++) {
      const char *opts = pass ? tb_scheduler_options(names[i]) : tb_sampler_options(names[i]);
      CU_ASSERT_PTR_NOT_NULL_FATAL(opts);
      k += snprintf(cmd + k, sizeof cmd - (size_t)k, "assert \"%s\" in o\n", names[i]);
      for (const char *p = opts; *p;) { /* each option word: what precedes ' (' or ',' */
        while (*p == ' ' || *p == ',') p++;
        size_t n = strcspn(p, " ,(");
        if (n) k += snprintf(cmd + k, sizeof cmd - (size_t)k, "assert \"%.*s\" in o[\"%s\"]\n", (int)n, p, names[i]);
        p += n;
        if (*p == ' ') p++;
        if (*p == '(') p += strcspn(p, ")") + (strchr(p, ')') ? 1 : 0);
      }
    }
  }
  k += snprintf(cmd + k, sizeof cmd - (size_t)k, "print(\"ok\", len(o))' 2>&1");
  CU_ASSERT_FATAL(k < (int)sizeof cmd);
  FILE *p = popen(cmd, "r");
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  size_t n = fread(out, 1, sizeof out - 1, p);
  out[n] = '\0';
  int st = pclose(p);
  if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0 && !strncmp(out, "ok ", 3))) fprintf(stderr, "\n%s\n", out);
  CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0 && !strncmp(out, "ok ", 3));
}

static const tb_test_case cases[] = {{"help_everywhere", test_help_everywhere},
                                     {"help_and_readme_agree", test_help_and_readme_agree},
                                     {"errors_name_the_argument", test_errors_name_the_argument},
                                     {"io_errors", test_io_errors},
                                     {"list_json", test_list_json},
                                     {NULL, NULL}};
TB_TEST_MAIN("cli_usage", cases)
