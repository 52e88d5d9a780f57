/* test_kill_resume.c: issue 7's kill-and-resume test with the real executor and CLI ($TB_BINARY). Runs
 * `tunebench run kill_resume/deterministic.yaml --out X.h5` (a command objective of ~30 ms whose value is a checksum
 * of its configuration; grid and random samplers; 2 repetitions; 1 job), SIGKILLs it at >= 20 random moments (a
 * fixed seed draws them: some within the first 15 ms, where the study is being created), each followed by
 * `--resume` (or a plain start when the kill came before the journal existed; a results file without its journal is
 * an error: creation is atomic). After each kill the journal is read (a
 * copy, through tb_store_open_resume) and every finished trial in it is remembered. Asserts: each remembered trial
 * is in the final file with the same id, configuration and value (none lost); no trial id twice and exactly the
 * planned count of complete trials per (strategy, repetition) (none duplicated); `tunebench inspect` exits 0 and
 * says complete; and the complete trials, per (strategy, repetition) in id order, have the same configuration and
 * value columns as an uninterrupted run's, and the Pareto tables are equal (one snapshot per study, the same
 * hypervolumes and front configurations). The 2-job variant (kill_resume/parallel.yaml) checks no loss and no
 * duplicates only. Skipped (77) outside ctest (no TB_BINARY). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "cli_fixture.h"
#include "tb_store.h"

#define MAX_ROWS 4096
#define N_KILLS 20
#define TRIALS_PER_STUDY 30 /* the suites' budget */

typedef struct row { long long id; char strategy[32]; int rep; char status[16]; char key[512]; } row;
typedef struct table { int n; row r[MAX_ROWS]; } table;

static char dir[64], suite[1024], logpath[128];

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The binary with args, output appended to the log (cli_fixture.h). */
static pid_t start(const char *const *args) { return cli_spawn(logpath, 1, args); }
static int finish(pid_t pid) { return cli_wait(pid); }
static int run(const char *const *args) { return finish(start(args)); }

static int exists(const char *p) { return access(p, F_OK) == 0; }

/* `run SUITE --out OUT`, continuing whatever a kill left: --resume once the journal exists, else a plain start
 * (creation is atomic: a kill never leaves OUT without its journal, so --force is never needed). */
static pid_t start_study(const char *out) {
  char j[256];
  snprintf(j, sizeof j, "%s.journal", out);
  const char *mode = exists(j) ? "--resume" : NULL;
  const char *args[] = {"run", suite, "--out", out, mode, NULL};
  return start(args);
}

/* One CSV line split at commas outside quotes (quotes kept out of the fields). */
static int split(char *line, char **f, int max) {
  int n = 0, q = 0;
  f[n++] = line;
  for (char *p = line, *w = line; *p || (*w = 0, 0); p++) {
    if (*p == '"') q = !q;
    else if (*p == ',' && !q && n < max) *w++ = 0, f[n++] = w;
    else *w++ = *p;
  }
  return n;
}

/* The trial table of h5 (tunebench export): key = configuration and objective columns, as exported. */
static void export_trials(const char *h5, table *t) {
  char csv[256], line[8192];
  snprintf(csv, sizeof csv, "%s.trials.csv", h5);
  const char *args[] = {"export", h5, "--format", "csv", "--table", "trials", "--out", csv, NULL};
  CU_ASSERT_EQUAL_FATAL(run(args), 0);
  FILE *f = fopen(csv, "r");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  char *col[64];
  int nc = 0, ci = -1, cs = -1, cr = -1, cst = -1, is_key[64] = {0};
  t->n = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    char *v[64];
    int n = split(line, v, 64);
    if (!nc) {
      nc = n;
      for (int c = 0; c < n; c++) {
        col[c] = strdup(v[c]);
        if (!strcmp(v[c], "id")) ci = c;
        if (!strcmp(v[c], "strategy")) cs = c;
        if (!strcmp(v[c], "repetition")) cr = c;
        if (!strcmp(v[c], "status")) cst = c;
        is_key[c] = !strncmp(v[c], "param_", 6) || !strncmp(v[c], "obj_", 4);
      }
      CU_ASSERT_FATAL(ci >= 0 && cs >= 0 && cr >= 0 && cst >= 0);
      continue;
    }
    CU_ASSERT_EQUAL_FATAL(n, nc);
    CU_ASSERT_FATAL(t->n < MAX_ROWS);
    row *r = &t->r[t->n++];
    memset(r, 0, sizeof *r);
    r->id = atoll(v[ci]), r->rep = atoi(v[cr]);
    snprintf(r->strategy, sizeof r->strategy, "%s", v[cs]);
    snprintf(r->status, sizeof r->status, "%s", v[cst]);
    for (int c = 0; c < n; c++)
      if (is_key[c]) snprintf(r->key + strlen(r->key), sizeof r->key - strlen(r->key), "%s;", v[c]);
  }
  fclose(f);
  for (int c = 0; c < nc; c++) free(col[c]);
  unlink(csv);
}

/* The Pareto table of h5 as "experiment snapshot hypervolume key-of-the-trial" lines, in file order (the trials'
 * keys from t, the same file's trial table: ids differ between runs, configurations and values do not). */
static int export_pareto(const char *h5, const table *t, char lines[][600], int max) {
  char csv[256], line[1024];
  snprintf(csv, sizeof csv, "%s.pareto.csv", h5);
  const char *args[] = {"export", h5, "--format", "csv", "--table", "pareto", "--out", csv, NULL};
  CU_ASSERT_EQUAL_FATAL(run(args), 0);
  FILE *f = fopen(csv, "r");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  int n = 0, ce = -1, cs = -1, ct = -1, ch = -1, header = 1;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    char *v[16];
    int nf = split(line, v, 16);
    if (header) {
      for (int c = 0; c < nf; c++) {
        if (!strcmp(v[c], "experiment")) ce = c;
        if (!strcmp(v[c], "snapshot")) cs = c;
        if (!strcmp(v[c], "trial")) ct = c;
        if (!strcmp(v[c], "hypervolume")) ch = c;
      }
      CU_ASSERT_FATAL(ce >= 0 && cs >= 0 && ct >= 0 && ch >= 0);
      header = 0;
      continue;
    }
    CU_ASSERT_FATAL(n < max && nf > ch && nf > ct);
    long long id = atoll(v[ct]);
    const row *r = NULL;
    for (int i = 0; i < t->n && !r; i++)
      if (t->r[i].id == id) r = &t->r[i];
    CU_ASSERT_PTR_NOT_NULL(r);
    snprintf(lines[n++], 600, "%s %s %s %s", v[ce], v[cs], v[ch], r ? r->key : "?");
  }
  fclose(f);
  unlink(csv);
  return n;
}

/* Finished trials in the journal of out right now (read from a copy, so the study's own files are untouched). */
static void journal_finished(const char *out, table *t) {
  char src[256], copy[128], cj[256], cmd[1024];
  snprintf(src, sizeof src, "%s.journal", out);
  snprintf(copy, sizeof copy, "%s/snap.h5", dir), snprintf(cj, sizeof cj, "%s.journal", copy);
  t->n = 0;
  if (!exists(src)) return;
  snprintf(cmd, sizeof cmd, "cp '%s' '%s'", src, cj);
  CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
  tb_store *st;
  tb_store_history *h;
  TB_CHECK_OK(tb_store_open_resume(copy, NULL, &st, &h));
  int dim = 0, n_obj = 1;
  const tb_space *sp = NULL;
  for (size_t i = 0; i < h->n_events; i++) {
    const tb_store_event *e = &h->events[i];
    if (e->type == TB_STORE_EV_EXPERIMENT)
      sp = e->u.experiment.exp.space, dim = tb_space_dim(sp), n_obj = e->u.experiment.exp.n_objectives;
    if (e->type != TB_STORE_EV_TRIAL_END || e->u.result.status == TB_TRIAL_INTERRUPTED) continue;
    const tb_store_trial *b = NULL;
    for (size_t k = 0; k < i && !b; k++)
      if (h->events[k].type == TB_STORE_EV_TRIAL_BEGIN && h->events[k].u.trial.id == e->u.result.id) b = &h->events[k].u.trial;
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_FATAL(t->n < MAX_ROWS);
    row *r = &t->r[t->n++];
    memset(r, 0, sizeof *r);
    r->id = b->id, r->rep = b->repetition;
    snprintf(r->strategy, sizeof r->strategy, "%s", b->strategy);
    snprintf(r->status, sizeof r->status, "%s", tb_trial_status_name(e->u.result.status));
    for (int k = 0; k < dim; k++) { /* as the export writes them: categoricals by their label */
      const tb_param *p = tb_space_param(sp, k);
      double v = b->config[k];
      if (p->type == TB_PARAM_CATEGORICAL && v >= 0 && v < p->n_choices)
        snprintf(r->key + strlen(r->key), sizeof r->key - strlen(r->key), "%s;", p->choices[(int)v]);
      else
        snprintf(r->key + strlen(r->key), sizeof r->key - strlen(r->key), "%.17g;", v);
    }
    for (int k = 0; k < n_obj; k++)
      snprintf(r->key + strlen(r->key), sizeof r->key - strlen(r->key), "%.17g;", e->u.result.objectives[k]);
  }
  tb_store_close(st);
  tb_store_history_free(h);
  unlink(copy), unlink(cj);
}

static const row *find_id(const table *t, long long id) {
  for (int i = 0; i < t->n; i++)
    if (t->r[i].id == id) return &t->r[i];
  return NULL;
}

static table seen, final_t, ref_t, snap;
static char ref_pareto[256][600], final_pareto[256][600];

/* Kills the study >= N_KILLS times, resumes it to the end; fills final_t; returns the seconds it took. */
static void kill_and_resume(const char *out, double study_s, uint64_t seed) {
  int kills = 0, finished = 0, starts = 0;
  seen.n = 0;
  while (kills < N_KILLS && !finished) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    double u = (double)(seed >> 11) / 9007199254740992.0;
    /* a fifth of the kills land in the first 15 ms (creation, resume's replay), the rest anywhere in a slice of
     * the study short enough that N_KILLS lives do not finish it (on average 0.4 of it, also when the machine is
     * faster during the kills than during the timed run) */
    double delay = u < 0.2 ? u / 0.2 * 0.015 : 0.015 + (u - 0.2) / 0.8 * study_s / 20;
    pid_t pid = start_study(out);
    starts++;
    double t0 = now_s();
    int st, done = 0;
    while (!done && now_s() - t0 < delay) {
      done = waitpid(pid, &st, WNOHANG) == pid;
      if (!done) usleep(1000);
    }
    if (done) {
      CU_ASSERT_FATAL(WIFEXITED(st) && WEXITSTATUS(st) == 0);
      finished = 1;
      break;
    }
    kill(pid, SIGKILL);
    int code = finish(pid);
    if (code == 0) { /* it ended on its own between the last look and the kill */
      finished = 1;
      break;
    }
    CU_ASSERT_EQUAL(code, 128 + SIGKILL);
    kills++;
    char j[256];
    snprintf(j, sizeof j, "%s.journal", out);
    CU_ASSERT(!exists(out) || exists(j)); /* never a results file that cannot be resumed */
    journal_finished(out, &snap); /* what is durable after this kill */
    for (int i = 0; i < snap.n; i++)
      if (!find_id(&seen, snap.r[i].id)) seen.r[seen.n++] = snap.r[i];
      else CU_ASSERT_STRING_EQUAL(find_id(&seen, snap.r[i].id)->key, snap.r[i].key);
  }
  printf("\n  %s: %d kills in %d starts, %d finished trials seen after kills\n", out, kills, starts, seen.n);
  CU_ASSERT(kills >= N_KILLS);
  if (!finished) /* --resume, or a plain start when the last kill came before the journal existed */
    CU_ASSERT_EQUAL_FATAL(finish(start_study(out)), 0);
  char buf[4096] = "", args[512];
  snprintf(args, sizeof args, "inspect '%s'", out);
  CU_ASSERT_EQUAL(cli_run(args, buf, sizeof buf), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(buf, ": complete"));
  export_trials(out, &final_t);
  /* none duplicated: each id once, the planned count of complete trials per study */
  int n_complete[2][2] = {{0}};
  for (int i = 0; i < final_t.n; i++) {
    const row *r = &final_t.r[i];
    CU_ASSERT_PTR_EQUAL(find_id(&final_t, r->id), r);
    int s = !strcmp(r->strategy, "random");
    CU_ASSERT_FATAL(r->rep >= 0 && r->rep < 2);
    if (!strcmp(r->status, "complete")) n_complete[s][r->rep]++;
    else CU_ASSERT_STRING_EQUAL(r->status, "interrupted");
  }
  for (int s = 0; s < 2; s++)
    for (int r = 0; r < 2; r++) CU_ASSERT_EQUAL(n_complete[s][r], TRIALS_PER_STUDY);
  /* none lost: every trial durable after a kill is in the final file, unchanged */
  int lost = 0;
  for (int i = 0; i < seen.n; i++) {
    const row *f = find_id(&final_t, seen.r[i].id);
    if (!f || strcmp(f->key, seen.r[i].key) || strcmp(f->status, seen.r[i].status)) {
      if (lost++ < 5) printf("  lost or changed: trial %lld (%s)\n", seen.r[i].id, seen.r[i].key);
    }
  }
  CU_ASSERT_EQUAL(lost, 0);
}

static void setup(const char *name) {
  cli_binary(); /* skips the test outside ctest */
  const char *src = getenv("TB_SOURCE_DIR");
  if (!src) tb_test_skip("TB_SOURCE_DIR not set (run through ctest)");
  snprintf(suite, sizeof suite, "%s/tests/kill_resume/%s", src, name);
  snprintf(dir, sizeof dir, "/tmp/tb_test_kill_resume_XXXXXX");
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  snprintf(logpath, sizeof logpath, "%s/runs.log", dir);
}
static void teardown(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd)) fprintf(stderr, "cannot remove %s\n", dir);
}

/* Complete rows of t, per (strategy, repetition) in id order, as "strategy rep k: key" lines. */
static int cmp_row(const void *a, const void *b) {
  const row *x = a, *y = b;
  int c = strcmp(x->strategy, y->strategy);
  if (c) return c;
  if (x->rep != y->rep) return x->rep - y->rep;
  return (x->id > y->id) - (x->id < y->id);
}
static int complete_rows(table *t) {
  int n = 0;
  for (int i = 0; i < t->n; i++)
    if (!strcmp(t->r[i].status, "complete")) t->r[n++] = t->r[i];
  t->n = n;
  qsort(t->r, (size_t)n, sizeof *t->r, cmp_row);
  return n;
}

static void test_deterministic(void) {
  setup("deterministic.yaml");
  char ref[128], out[128];
  snprintf(ref, sizeof ref, "%s/ref.h5", dir), snprintf(out, sizeof out, "%s/x.h5", dir);
  const char *args[] = {"run", suite, "--out", ref, NULL};
  double t0 = now_s();
  CU_ASSERT_EQUAL_FATAL(run(args), 0);
  double study_s = now_s() - t0;
  export_trials(ref, &ref_t);
  int n_ref_pareto = export_pareto(ref, &ref_t, ref_pareto, 256);
  kill_and_resume(out, study_s, 20261126);
  /* the Pareto tables are equal too: one snapshot per study, the same fronts (issue 21: resumes appended them again) */
  int n_pareto = export_pareto(out, &final_t, final_pareto, 256);
  CU_ASSERT_EQUAL(n_pareto, n_ref_pareto);
  for (int i = 0; i < n_pareto && i < n_ref_pareto; i++)
    if (strcmp(ref_pareto[i], final_pareto[i])) {
      CU_ASSERT_STRING_EQUAL(ref_pareto[i], final_pareto[i]);
      break;
    }
  int n_ref = complete_rows(&ref_t), n_out = complete_rows(&final_t), bad = 0;
  CU_ASSERT_EQUAL(n_ref, 4 * TRIALS_PER_STUDY);
  CU_ASSERT_EQUAL_FATAL(n_out, n_ref);
  for (int i = 0; i < n_ref; i++) {
    const row *a = &ref_t.r[i], *b = &final_t.r[i];
    if (strcmp(a->strategy, b->strategy) || a->rep != b->rep || strcmp(a->key, b->key))
      if (bad++ < 5)
        printf("  row %d: uninterrupted %s rep %d %s, resumed %s rep %d %s\n", i, a->strategy, a->rep, a->key,
               b->strategy, b->rep, b->key);
  }
  CU_ASSERT_EQUAL(bad, 0);
  if (bad) printf("  runs' output: %s\n", logpath);
  else teardown();
}

static void test_parallel(void) {
  setup("parallel.yaml");
  char out[128];
  snprintf(out, sizeof out, "%s/x.h5", dir);
  kill_and_resume(out, 2.5, 777); /* ~ its uninterrupted time on 2 cores: only the kill moments depend on it */
  teardown();
}

static const tb_test_case cases[] = {{"deterministic", test_deterministic}, {"parallel", test_parallel}, {NULL, NULL}};
TB_TEST_MAIN("kill_resume", cases)
