/* cli_bench.c: `tunebench bench samplers ...` (sampler quality and cost per suggestion on the test functions of
 * tb_testfn.h) and `tunebench bench eval --function NAME --x V,V,...` (one function value, so the Python peer in
 * scripts/bench/samplers.py can check its own definitions). It is not a test: it measures and prints; the
 * comparison with Optuna is scripts/bench/samplers.py. Exercised by `scripts/bench/samplers.py --quick`.
 *
 * Quality: for each function and sampler, K seeds x N trials, sequential ask(1) / evaluate / tell; regret = best
 * value - known minimum, reported as mean and standard error over seeds (hit problems: the hit rate, next to random
 * search's theory 1 - 0.99^N). Cost: for each count T of --timing, a separate run of T trials (seed 0) and the
 * median wall time of ask() over its last 10% of trials (JSON also gives the median process CPU time,
 * ask_cpu_ms, steadier on a shared machine); a run longer than --timing-budget seconds is cut and
 * larger counts are skipped (--seeds 0: cost only; --timing none: quality only). --timing-budget SAMPLER=S gives
 * one sampler its own budget (e.g. gp=900 to reach 500 trials, tpe=600 to reach 10,000) and --timing-max
 * SAMPLER=T skips that sampler's counts above T. --option SAMPLER:NAME=VALUE is checked before anything runs (an
 * unknown sampler, option or value is a usage error). A sampler whose creation fails on a function's space (the
 * space does not suit it) is reported as unavailable, one whose ask or evaluation fails mid-run as failed; neither
 * stops the benchmark.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "tb_error.h"
#include "tb_sampler.h"
#include "tb_space.h"
#include "tb_testfn.h"

#define MAX_LIST 64
#define MAX_TIMING 8
#define HIT_SEED_BASE 0x5eed0000u /* hit-problem instance of seed s: HIT_SEED_BASE + s (apart from the sampler's) */

typedef struct {
  const char *functions[MAX_LIST], *samplers[MAX_LIST];
  int n_functions, n_samplers;
  long trials, seeds;
  long timing[MAX_TIMING];
  int n_timing;
  double budget_s;
  int n_budget; /* --timing-budget SAMPLER=S: per-sampler budgets that replace budget_s */
  char budget_sampler[MAX_LIST][32];
  double budget_for[MAX_LIST];
  int n_tmax; /* --timing-max SAMPLER=T */
  char tmax_sampler[MAX_LIST][32];
  long tmax[MAX_LIST];
  int json;
  int n_opt; /* --option SAMPLER:NAME=VALUE, split into its three parts */
  char opt_sampler[MAX_LIST][32], opt_name[MAX_LIST][64], opt_value[MAX_LIST][64];
} bench_opts;

typedef struct {
  char status[16];   /* ok, unavailable, failed */
  char detail[256];
  double *regrets;   /* (seeds) */
  double ask_med_ms; /* median ask() time over all quality runs */
  double timing_ms[MAX_TIMING]; /* NAN: cut or not run */
  double timing_cpu_ms[MAX_TIMING]; /* the same window's median process CPU time */
  char timing_detail[MAX_TIMING][96];
} bench_result;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_s(void) { /* CPU time of the process (all threads): less sensitive to a loaded machine */
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, size_t n) {
  if (!n) return NAN;
  qsort(v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double dom(const tb_testfn *f, int j, int upper) {
  if (upper) return f->upper ? f->upper[j] : f->hi;
  return f->lower ? f->lower[j] : f->lo;
}

/* One sequential run of n trials of sampler `name` on f; *best the best value, ask wall times in ask_s[0..n) and
 * process CPU times in ask_cpu[0..n) (either may be NULL). Returns TB_OK, or the failing rc with *stage "create" or
 * "run". Stops at budget_s (0: none): *done is the number of trials run. A grid that is exhausted ends the run early
 * (not an error; *exhausted is set). */
static int one_run(const bench_opts *o, const tb_testfn *f, const tb_space *sp, const char *name, uint64_t seed,
                   long n, double budget_s, double *best, double *ask_s, double *ask_cpu, long *done, int *exhausted,
                   const char **stage) {
  tb_sampler *s = NULL;
  const char *names[MAX_LIST], *values[MAX_LIST];
  tb_sampler_config cfg = {.seed = seed, .n_objectives = 1, .option_names = names, .option_values = values};
  for (int i = 0; i < o->n_opt; i++)
    if (!strcmp(o->opt_sampler[i], name)) {
      names[cfg.n_options] = o->opt_name[i];
      values[cfg.n_options++] = o->opt_value[i];
    }
  double x[64], *xp = x, y; /* x: the suggestion, on the stack up to 64 dimensions */
  int rc = TB_OK;
  *best = INFINITY;
  *done = 0;
  *exhausted = 0;
  *stage = "create";
  if (f->dim > 64) xp = malloc((size_t)f->dim * sizeof *xp);
  if (!xp) return tb_error_set(TB_ERR_NOMEM, "out of host memory");
  rc = tb_sampler_create(name, sp, &cfg, &s);
  if (rc < 0) goto done;
  *stage = "run";
  double t_start = now_s();
  for (long t = 0; t < n; t++) {
    int64_t id;
    int got = 0;
    double c0 = cpu_s(), t0 = now_s();
    rc = tb_sampler_ask(s, 1, xp, &id, &got);
    double t1 = now_s(), c1 = cpu_s();
    if (rc == TB_ERR_EXHAUSTED || (rc >= 0 && got == 0)) {
      *exhausted = 1;
      rc = TB_OK;
      break;
    }
    if (rc < 0) {
      rc = tb_error_prefix(rc, "trial %ld: ask: ", t);
      goto done;
    }
    if (ask_s) ask_s[t] = t1 - t0;
    if (ask_cpu) ask_cpu[t] = c1 - c0;
    rc = tb_testfn_eval_seeded(f, HIT_SEED_BASE + seed, xp, &y);
    if (rc < 0) {
      rc = tb_error_prefix(rc, "trial %ld: the sampler's suggestion: ", t);
      goto done;
    }
    if (y < *best) *best = y;
    rc = tb_sampler_tell(s, id, &y, TB_TRIAL_COMPLETE);
    if (rc < 0) {
      rc = tb_error_prefix(rc, "trial %ld: tell: ", t);
      goto done;
    }
    *done = t + 1;
    if (budget_s > 0 && now_s() - t_start > budget_s) break;
  }
done:
  tb_sampler_free(s);
  if (xp != x) free(xp);
  return rc;
}

static void set_status(bench_result *r, const char *status, int rc) {
  snprintf(r->status, sizeof r->status, "%s", status);
  const char *d = tb_error_detail();
  snprintf(r->detail, sizeof r->detail, "%s", d[0] ? d : tb_strerror(rc));
}

static double budget_of(const bench_opts *o, const char *name) {
  double b = o->budget_s;
  for (int i = 0; i < o->n_budget; i++)
    if (!strcmp(o->budget_sampler[i], name)) b = o->budget_for[i];
  return b;
}

static void bench_one(const bench_opts *o, const tb_testfn *f, const tb_space *sp, const char *name,
                      bench_result *r) {
  double *ask_s = malloc((size_t)(o->trials * o->seeds + 1) * sizeof *ask_s), best;
  size_t n_ask = 0;
  long done;
  int exhausted;
  const char *stage;
  snprintf(r->status, sizeof r->status, "ok");
  for (int i = 0; i < o->n_timing; i++) r->timing_ms[i] = r->timing_cpu_ms[i] = NAN;
  r->ask_med_ms = NAN;
  if (!ask_s) {
    snprintf(r->status, sizeof r->status, "failed");
    snprintf(r->detail, sizeof r->detail, "out of host memory");
    return;
  }
  for (long sd = 0; sd < o->seeds; sd++) {
    tb_error_clear();
    int rc = one_run(o, f, sp, name, (uint64_t)sd, o->trials, 0, &best, ask_s + n_ask, NULL, &done, &exhausted,
                     &stage);
    if (rc < 0) {
      set_status(r, strcmp(stage, "create") ? "failed" : "unavailable", rc);
      free(ask_s);
      return;
    }
    n_ask += (size_t)done;
    if (exhausted && !r->detail[0])
      snprintf(r->detail, sizeof r->detail, "exhausted after %ld trials (seed %ld)", done, sd);
    r->regrets[sd] = best - f->optimum;
  }
  r->ask_med_ms = 1e3 * median(ask_s, n_ask);
  free(ask_s);
  long tmax = 0;
  for (int i = 0; i < o->n_tmax; i++)
    if (!strcmp(o->tmax_sampler[i], name)) tmax = o->tmax[i];
  for (int i = 0; i < o->n_timing; i++) {
    long T = o->timing[i], from = T - (T / 10 > 1 ? T / 10 : 1);
    if (tmax && T > tmax) {
      snprintf(r->timing_detail[i], sizeof r->timing_detail[i], "skipped (--timing-max %s=%ld)", name, tmax);
      continue;
    }
    double *ts = malloc(2 * (size_t)T * sizeof *ts), *tc = ts + T; /* wall, CPU */
    if (!ts) break;
    tb_error_clear();
    double budget = budget_of(o, name);
    int rc = one_run(o, f, sp, name, 0, T, budget, &best, ts, tc, &done, &exhausted, &stage);
    if (rc < 0 && !strcmp(stage, "create")) {
      set_status(r, "unavailable", rc);
      free(ts);
      return;
    } else if (rc < 0) {
      snprintf(r->timing_detail[i], sizeof r->timing_detail[i], "failed: %.80s", tb_error_detail());
    } else if (exhausted) {
      snprintf(r->timing_detail[i], sizeof r->timing_detail[i], "exhausted after %ld trials", done);
    } else if (done < T) {
      snprintf(r->timing_detail[i], sizeof r->timing_detail[i], "cut at trial %ld (budget %g s)", done, budget);
    } else {
      r->timing_ms[i] = 1e3 * median(ts + from, (size_t)(T - from));
      r->timing_cpu_ms[i] = 1e3 * median(tc + from, (size_t)(T - from));
    }
    free(ts);
    if (isnan(r->timing_ms[i])) { /* larger counts would take longer still */
      for (int j = i + 1; j < o->n_timing; j++)
        snprintf(r->timing_detail[j], sizeof r->timing_detail[j], "skipped (%ld was cut)", T);
      break;
    }
  }
}

/* ---- output --------------------------------------------------------------------------------------------------- */
static void json_str(const char *s) {
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      printf("\\%c", *s);
    else if ((unsigned char)*s < 0x20)
      printf("\\u%04x", *s);
    else
      putchar(*s);
  }
  putchar('"');
}

static void json_num(double v) {
  if (isfinite(v))
    printf("%.10g", v);
  else
    printf("null");
}

static void mean_se(const double *v, long n, double *m, double *se) {
  double s = 0, ss = 0;
  for (long i = 0; i < n; i++) s += v[i];
  *m = s / (double)n;
  for (long i = 0; i < n; i++) ss += (v[i] - *m) * (v[i] - *m);
  *se = n > 1 ? sqrt(ss / (double)(n - 1)) / sqrt((double)n) : NAN;
}

static void print_json(const bench_opts *o, const tb_testfn *f, const char *name, const bench_result *r) {
  printf("{\"function\": ");
  json_str(f->name);
  printf(", \"dim\": %d, \"optimum\": ", f->dim);
  json_num(f->optimum);
  for (int u = 0; u < 2; u++) {
    printf(u ? ", \"hi\": [" : ", \"lo\": [");
    for (int j = 0; j < f->dim; j++) printf("%s%.17g", j ? ", " : "", dom(f, j, u));
    printf("]");
  }
  printf(", \"sampler\": ");
  json_str(name);
  char opts[MAX_LIST * 130] = "";
  size_t len = 0;
  for (int i = 0; i < o->n_opt; i++)
    if (!strcmp(o->opt_sampler[i], name))
      len += (size_t)snprintf(opts + len, sizeof opts - len, "%s%s=%s", len ? "," : "", o->opt_name[i],
                              o->opt_value[i]);
  printf(", \"options\": ");
  json_str(opts);
  printf(", \"status\": ");
  json_str(r->status);
  printf(", \"detail\": ");
  json_str(r->detail);
  printf(", \"trials\": %ld, \"seeds\": %ld", o->trials, o->seeds);
  if (!strcmp(r->status, "ok")) {
    double m = NAN, se = NAN;
    if (o->seeds) mean_se(r->regrets, o->seeds, &m, &se);
    printf(", \"regret_mean\": ");
    json_num(m);
    printf(", \"regret_se\": ");
    json_num(se);
    printf(", \"regrets\": [");
    for (long i = 0; i < o->seeds; i++) printf("%s%.10g", i ? ", " : "", r->regrets[i]);
    printf("], \"ask_ms_median\": ");
    json_num(r->ask_med_ms);
    if (f->seeded && o->seeds) printf(", \"hit_rate\": %.10g, \"hit_rate_random_theory\": %.10g", 1.0 - m,
                          1.0 - pow(0.99, (double)o->trials));
    printf(", \"timing\": [");
    for (int i = 0; i < o->n_timing; i++) {
      printf("%s{\"trials\": %ld, \"ask_ms\": ", i ? ", " : "", o->timing[i]);
      json_num(r->timing_ms[i]);
      printf(", \"ask_cpu_ms\": ");
      json_num(r->timing_cpu_ms[i]);
      printf(", \"detail\": ");
      json_str(r->timing_detail[i]);
      printf("}");
    }
    printf("]");
  }
  printf("}\n");
}

static void print_header(const bench_opts *o) {
  printf("%-14s %-10s %-24s %-10s", "function", "sampler", "regret mean ± se", "ms/ask");
  for (int i = 0; i < o->n_timing; i++) printf(" ms@%-7ld", o->timing[i]);
  printf("\n");
}

static void print_row(const bench_opts *o, const tb_testfn *f, const char *name, const bench_result *r) {
  if (strcmp(r->status, "ok")) {
    printf("%-14s %-10s %s: %s\n", f->name, name, r->status, r->detail);
    return;
  }
  double m = NAN, se = NAN;
  char cell[64] = "-";
  if (o->seeds) {
    mean_se(r->regrets, o->seeds, &m, &se);
    snprintf(cell, sizeof cell, "%.4g ± %.2g", m, se);
  }
  printf("%-14s %-10s %-24s ", f->name, name, cell);
  if (isnan(r->ask_med_ms))
    printf("%-10s", "-");
  else
    printf("%-10.3g", r->ask_med_ms);
  for (int i = 0; i < o->n_timing; i++) {
    if (isnan(r->timing_ms[i]))
      printf(" %-10s", "-");
    else
      printf(" %-10.3g", r->timing_ms[i]);
  }
  if (r->detail[0]) printf("  (%s)", r->detail);
  if (f->seeded && o->seeds)
    printf("  hit rate %.3f ± %.3f (random search theory %.3f)", 1.0 - m, se, 1.0 - pow(0.99, (double)o->trials));
  printf("\n");
  for (int i = 0; i < o->n_timing; i++)
    if (r->timing_detail[i][0]) printf("%-14s %-10s   timing %ld: %s\n", "", "", o->timing[i], r->timing_detail[i]);
}

/* ---- arguments --------------------------------------------------------------------------------------------------- */
static int parse_long(const char *s, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

static int usage_err(const char *fmt, const char *arg);

/* Every --option names a known sampler, and that sampler accepts its options: each one is created once, with its
 * options, on a 2-d unit box (a space every sampler handles), so a typo in a name or a value is a usage error
 * before anything runs rather than rows reported as unavailable. */
static int check_options(const bench_opts *o) {
  const char *const *all = tb_sampler_names();
  tb_space *sp = NULL;
  int status = TB_EXIT_OK, rc = tb_space_init(&sp);
  if (rc >= 0) rc = tb_space_add_float(sp, "x0", 0.0, 1.0, 0);
  if (rc >= 0) rc = tb_space_add_float(sp, "x1", 0.0, 1.0, 0);
  if (rc >= 0) rc = tb_space_finalize(sp);
  if (rc < 0) {
    tb_space_free(sp);
    return tb_cli_fail(rc, "bench samplers");
  }
  for (int i = 0; i < o->n_opt && status == TB_EXIT_OK; i++) {
    int known = 0, seen = 0;
    for (int j = 0; all[j]; j++) known |= !strcmp(all[j], o->opt_sampler[i]);
    if (!known) {
      char arg[200];
      snprintf(arg, sizeof arg, "%s:%s=%s", o->opt_sampler[i], o->opt_name[i], o->opt_value[i]);
      status = usage_err("--option '%s': unknown sampler (see tunebench --help)", arg);
      break;
    }
    for (int k = 0; k < i; k++) seen |= !strcmp(o->opt_sampler[k], o->opt_sampler[i]);
    if (seen) continue; /* its options were checked together */
    const char *names[MAX_LIST], *values[MAX_LIST];
    tb_sampler_config cfg = {.seed = 0, .n_objectives = 1, .option_names = names, .option_values = values};
    for (int k = i; k < o->n_opt; k++)
      if (!strcmp(o->opt_sampler[k], o->opt_sampler[i])) {
        names[cfg.n_options] = o->opt_name[k];
        values[cfg.n_options++] = o->opt_value[k];
      }
    tb_sampler *s = NULL;
    if (tb_sampler_create(o->opt_sampler[i], sp, &cfg, &s) < 0)
      status = usage_err("--option: %s", tb_error_detail());
    tb_sampler_free(s);
  }
  tb_space_free(sp);
  return status;
}

static int usage_err(const char *fmt, const char *arg) {
  fprintf(stderr, "tunebench bench: ");
  fprintf(stderr, fmt, arg);
  fputc('\n', stderr);
  tb_cli_usage_print(stderr, "bench");
  return TB_EXIT_USAGE;
}

static int bench_samplers(int argc, char **argv) {
  bench_opts o = {.trials = 100, .seeds = 20, .timing = {100, 1000}, .n_timing = 2, .budget_s = 30.0};
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) return usage_err("'%s' needs a value", a);
    i++;
    if (!strcmp(a, "--function") || !strcmp(a, "--sampler")) {
      int is_f = a[2] == 'f';
      if ((is_f ? o.n_functions : o.n_samplers) >= MAX_LIST) return usage_err("too many %s", a);
      if (is_f)
        o.functions[o.n_functions++] = v;
      else
        o.samplers[o.n_samplers++] = v;
    } else if (!strcmp(a, "--trials")) {
      if (parse_long(v, 1, 1000000, &o.trials)) return usage_err("--trials '%s': need an integer in 1..1000000", v);
    } else if (!strcmp(a, "--seeds")) {
      if (parse_long(v, 0, 10000, &o.seeds)) return usage_err("--seeds '%s': need an integer in 0..10000", v);
    } else if (!strcmp(a, "--timing")) {
      o.n_timing = 0;
      if (!strcmp(v, "none")) continue;
      char buf[256];
      snprintf(buf, sizeof buf, "%s", v);
      for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (o.n_timing >= MAX_TIMING) return usage_err("--timing '%s': at most 8 counts", v);
        if (parse_long(tok, 10, 1000000, &o.timing[o.n_timing++]))
          return usage_err("--timing '%s': need trial counts in 10..1000000, comma-separated (or 'none')", v);
      }
    } else if (!strcmp(a, "--option")) {
      const char *colon = strchr(v, ':'), *eq = colon ? strchr(colon, '=') : NULL;
      if (!colon || !eq || colon == v || eq == colon + 1 || o.n_opt >= MAX_LIST || colon - v >= 32 ||
          eq - colon - 1 >= 64 || strlen(eq + 1) >= 64)
        return usage_err("--option '%s': need SAMPLER:NAME=VALUE (e.g. grid:n=5)", v);
      snprintf(o.opt_sampler[o.n_opt], 32, "%.*s", (int)(colon - v), v);
      snprintf(o.opt_name[o.n_opt], 64, "%.*s", (int)(eq - colon - 1), colon + 1);
      snprintf(o.opt_value[o.n_opt++], 64, "%s", eq + 1);
    } else if (!strcmp(a, "--timing-max")) {
      const char *eq = strchr(v, '=');
      if (!eq || eq == v || eq - v >= 32 || o.n_tmax >= MAX_LIST || parse_long(eq + 1, 1, 1000000, &o.tmax[o.n_tmax]))
        return usage_err("--timing-max '%s': need SAMPLER=TRIALS (e.g. gp=500)", v);
      snprintf(o.tmax_sampler[o.n_tmax++], 32, "%.*s", (int)(eq - v), v);
    } else if (!strcmp(a, "--timing-budget")) {
      const char *eq = strchr(v, '='), *num = eq ? eq + 1 : v;
      char *end;
      double b = strtod(num, &end);
      if (end == num || *end || !(b > 0) || (eq && (eq == v || eq - v >= 32 || o.n_budget >= MAX_LIST)))
        return usage_err("--timing-budget '%s': need seconds > 0, or SAMPLER=SECONDS (e.g. gp=900)", v);
      if (!eq) {
        o.budget_s = b;
        continue;
      }
      snprintf(o.budget_sampler[o.n_budget], 32, "%.*s", (int)(eq - v), v);
      o.budget_for[o.n_budget++] = b;
    } else if (!strcmp(a, "--format")) {
      if (strcmp(v, "table") && strcmp(v, "json")) return usage_err("--format '%s': table or json", v);
      o.json = !strcmp(v, "json");
    } else {
      return usage_err("unknown argument '%s'", a);
    }
  }
  if (!o.n_functions) {
    static const char *defaults[] = {"branin", "hartmann6", "hartmann6-20d"};
    for (int i = 0; i < 3; i++) o.functions[o.n_functions++] = defaults[i];
  }
  for (int i = 0; i < o.n_functions; i++) {
    const tb_testfn *f = tb_testfn_find(o.functions[i]);
    if (!f) return usage_err("unknown function '%s' (see tb_testfn.h: branin, hartmann6, hartmann6-20d, ...)",
                             o.functions[i]);
    if (f->n_obj != 1) return usage_err("function '%s' has several objectives; this benchmark is single-objective",
                                        o.functions[i]);
  }
  const char *const *all = tb_sampler_names();
  if (!o.n_samplers)
    for (int i = 0; all[i] && o.n_samplers < MAX_LIST; i++) o.samplers[o.n_samplers++] = all[i];
  for (int i = 0; i < o.n_samplers; i++) {
    int known = 0;
    for (int j = 0; all[j]; j++) known |= !strcmp(all[j], o.samplers[i]);
    if (!known) return usage_err("unknown sampler '%s' (see tunebench --help)", o.samplers[i]);
  }
  int checked = check_options(&o);
  if (checked != TB_EXIT_OK) return checked;
  if (!o.json) {
    printf("%ld trials x %ld seeds; regret = best - known minimum; ms/ask = median ask() time of those runs;\n"
           "ms@T = median ask() time over the last 10%% of a run to T trials (budget %g s a run",
           o.trials, o.seeds, o.budget_s);
    for (int i = 0; i < o.n_budget; i++) printf("; %s %g s", o.budget_sampler[i], o.budget_for[i]);
    for (int i = 0; i < o.n_tmax; i++) printf("; %s up to %ld trials", o.tmax_sampler[i], o.tmax[i]);
    printf(")\n\n");
    for (int i = 0; i < o.n_opt; i++) printf("option: %s %s=%s\n", o.opt_sampler[i], o.opt_name[i], o.opt_value[i]);
    if (o.n_opt) printf("\n");
    print_header(&o);
  }
  int status = TB_EXIT_OK;
  bench_result r;
  r.regrets = malloc((size_t)(o.seeds + 1) * sizeof *r.regrets);
  if (!r.regrets) return tb_cli_fail(tb_error_set(TB_ERR_NOMEM, "out of host memory"), "bench samplers");
  for (int i = 0; i < o.n_functions; i++) {
    const tb_testfn *f = tb_testfn_find(o.functions[i]);
    tb_space *sp = NULL;
    int rc = tb_testfn_space(f, &sp);
    if (rc < 0) {
      status = tb_cli_fail(rc, "bench samplers: function space");
      break;
    }
    for (int j = 0; j < o.n_samplers; j++) {
      double *keep = r.regrets;
      memset(&r, 0, sizeof r);
      r.regrets = keep;
      bench_one(&o, f, sp, o.samplers[j], &r);
      if (o.json)
        print_json(&o, f, o.samplers[j], &r);
      else
        print_row(&o, f, o.samplers[j], &r);
      fflush(stdout);
    }
    tb_space_free(sp);
  }
  free(r.regrets);
  return status;
}

static int bench_eval(int argc, char **argv) {
  const char *fname = NULL, *xs = NULL;
  long seed = 0;
  for (int i = 0; i < argc; i += 2) {
    if (i + 1 >= argc) return usage_err("'%s' needs a value", argv[i]);
    if (!strcmp(argv[i], "--function"))
      fname = argv[i + 1];
    else if (!strcmp(argv[i], "--x"))
      xs = argv[i + 1];
    else if (!strcmp(argv[i], "--seed")) {
      if (parse_long(argv[i + 1], 0, 1L << 40, &seed))
        return usage_err("--seed '%s': need an integer >= 0", argv[i + 1]);
    } else
      return usage_err("unknown argument '%s'", argv[i]);
  }
  if (!fname || !xs) return usage_err("%s", "eval needs --function NAME and --x V1,V2,...");
  const tb_testfn *f = tb_testfn_find(fname);
  if (!f) return usage_err("unknown function '%s'", fname);
  double *x = calloc((size_t)f->dim, sizeof *x), v[TB_MAX_OBJECTIVES];
  if (!x) return tb_cli_fail(tb_error_set(TB_ERR_NOMEM, "out of host memory"), "bench eval");
  int n = 0;
  const char *p = xs;
  while (*p) {
    char *end;
    double d = strtod(p, &end);
    if (end == p || n >= f->dim) {
      free(x);
      return usage_err(n >= f->dim ? "--x '%s': more values than the function's dimensions"
                                   : "--x '%s': not a comma-separated list of numbers", xs);
    }
    x[n++] = d;
    p = *end == ',' ? end + 1 : end;
    if (*end && *end != ',') {
      free(x);
      return usage_err("--x '%s': not a comma-separated list of numbers", xs);
    }
  }
  if (n != f->dim) {
    free(x);
    fprintf(stderr, "tunebench bench eval: %s takes %d values, --x has %d\n", f->name, f->dim, n);
    return TB_EXIT_USAGE;
  }
  int rc = tb_testfn_eval_seeded(f, (uint64_t)seed, x, v);
  free(x);
  if (rc < 0) return tb_cli_fail(rc, "bench eval");
  for (int i = 0; i < f->n_obj; i++) printf("%s%.17g", i ? " " : "", v[i]);
  printf("\n");
  return TB_EXIT_OK;
}

int tb_cli_bench(int argc, char **argv) {
  if (argc >= 1 && !strcmp(argv[0], "samplers")) return bench_samplers(argc - 1, argv + 1);
  if (argc >= 1 && !strcmp(argv[0], "eval")) return bench_eval(argc - 1, argv + 1);
  return usage_err("unknown or missing subcommand '%s' (samplers, eval, store, fused, latency)",
                   argc >= 1 ? argv[0] : "");
}
