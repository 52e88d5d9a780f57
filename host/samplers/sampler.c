/* sampler.c: the sampler interface (tb_sampler.h): creation by name, options, the trial history, ask/tell, and
 * the seeded random stream the samplers draw from. The methods live in their own files (sampler_impl.h lists
 * them). Tested by tests/test_sampler_*.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "sampler_impl.h"
#include "tb_options.h"
#include "tb_rng.h"

static const tb_sampler_vt *const registry[] = {
    &tb_sampler_grid_vt, &tb_sampler_random_vt, &tb_sampler_sobol_vt,     &tb_sampler_halton_vt,
    &tb_sampler_lhs_vt,  &tb_sampler_tpe_vt,    &tb_sampler_gp_vt,        &tb_sampler_cmaes_vt,
    &tb_sampler_evolution_vt, &tb_sampler_nsga2_vt, NULL};

const char *const *tb_sampler_names(void) {
  static const char *names[sizeof registry / sizeof *registry];
  for (size_t i = 0; registry[i]; i++) names[i] = registry[i]->name;
  return names;
}

const char *tb_sampler_name(const tb_sampler *s) { return s->vt->name; }

const char *tb_sampler_options(const char *name) {
  for (size_t i = 0; name && registry[i]; i++)
    if (!strcmp(registry[i]->name, name)) return registry[i]->options;
  return NULL;
}
const tb_space *tb_sampler_space(const tb_sampler *s) { return s->sp; }
int tb_sampler_n_objectives(const tb_sampler *s) { return s->n_obj; }

double tb_sampler_uniform(tb_sampler *s) { return tb_rng_next_uniform(s->seed, &s->rng_pos); }
double tb_sampler_normal(tb_sampler *s) { return tb_rng_next_normal(s->seed, &s->rng_pos); }
long tb_sampler_randint(tb_sampler *s, long n) { return tb_rng_next_int(s->seed, &s->rng_pos, n); }

int tb_sampler_opt_double(tb_sampler *s, const char *name, double lo, double hi, double *out) {
  return tb_options_double(&s->opts, name, lo, hi, out);
}

int tb_sampler_opt_long(tb_sampler *s, const char *name, long lo, long hi, long *out) {
  return tb_options_long(&s->opts, name, lo, hi, out);
}

int tb_sampler_opt_enum(tb_sampler *s, const char *name, const char *allowed, int *out) {
  return tb_options_enum(&s->opts, name, allowed, out);
}

size_t tb_sampler_completed(const tb_sampler *s, int include_pruned, size_t *idx) {
  size_t n = 0;
  for (size_t t = 0; t < s->n_trials; t++) {
    if (s->pending[t]) continue;
    if (s->state[t] == TB_TRIAL_COMPLETE ||
        (include_pruned && s->state[t] == TB_TRIAL_PRUNED && isfinite(s->y[t * (size_t)s->n_obj])))
      idx[n++] = t;
  }
  return n;
}

void tb_sampler_free(tb_sampler *s) {
  if (!s) return;
  if (s->vt && s->vt->destroy) s->vt->destroy(s);
  tb_options_free(&s->opts);
  free(s->x);
  free(s->y);
  free(s->state);
  free(s->pending);
  free(s->queue);
  free(s);
}

int tb_sampler_create(const char *name, const tb_space *sp, const tb_sampler_config *cfg, tb_sampler **out) {
  int rc = TB_OK;
  tb_sampler *s = NULL;
  const tb_sampler_vt *vt = NULL;
  *out = NULL;
  for (size_t i = 0; registry[i]; i++)
    if (name && !strcmp(registry[i]->name, name)) vt = registry[i];
  if (!vt) {
    char list[256] = "";
    for (size_t i = 0; registry[i]; i++)
      snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", registry[i]->name);
    return tb_error_set(TB_ERR_NOT_FOUND, "unknown sampler '%s' (samplers: %s)", name ? name : "(null)", list);
  }
  if (!tb_space_finalized(sp))
    return tb_error_set(TB_ERR_INVALID, "sampler %s: the search space was not finalized (tb_space_finalize)", name);
  if (tb_space_dim(sp) < 1) return tb_error_set(TB_ERR_INVALID, "sampler %s: the search space is empty", name);
  if (cfg->n_objectives < 1 || cfg->n_objectives > vt->max_objectives)
    return tb_error_set(TB_ERR_INVALID, "sampler %s: %d objectives (it handles 1..%d)", name, cfg->n_objectives,
                        vt->max_objectives);
  s = calloc(1, sizeof *s);
  if (!s) return tb_error_set(TB_ERR_NOMEM, "out of host memory");
  s->vt = vt;
  s->sp = sp;
  s->dim = tb_space_dim(sp);
  s->n_obj = cfg->n_objectives;
  memcpy(s->maximize, cfg->maximize, sizeof s->maximize);
  s->seed = cfg->seed;
  TB_TRY(tb_options_init(&s->opts, "sampler", vt->name, cfg->n_options, cfg->option_names, cfg->option_values));
  TB_TRY(vt->create(s));
  TB_TRY(tb_options_check_unused(&s->opts, vt->options));
  *out = s;
  s = NULL;
done:
  tb_sampler_free(s);
  return rc;
}

static int grow(tb_sampler *s, size_t need) {
  if (need <= s->cap) return TB_OK;
  size_t cap = s->cap ? s->cap : 64;
  while (cap < need) cap *= 2;
  double *x = realloc(s->x, cap * (size_t)s->dim * sizeof *x);
  if (x) s->x = x;
  double *y = realloc(s->y, cap * (size_t)s->n_obj * sizeof *y);
  if (y) s->y = y;
  tb_trial_state *st = realloc(s->state, cap * sizeof *st);
  if (st) s->state = st;
  unsigned char *p = realloc(s->pending, cap);
  if (p) s->pending = p;
  if (!x || !y || !st || !p) return tb_error_set(TB_ERR_NOMEM, "sampler: out of host memory for %zu trials", cap);
  s->cap = cap;
  return TB_OK;
}

/* Appends one trial to the history; returns its index. */
static int append(tb_sampler *s, const double *x, size_t *t) {
  int rc = grow(s, s->n_trials + 1);
  if (rc < 0) return rc;
  *t = s->n_trials++;
  memcpy(s->x + *t * (size_t)s->dim, x, (size_t)s->dim * sizeof *x);
  for (int k = 0; k < s->n_obj; k++) s->y[*t * (size_t)s->n_obj + (size_t)k] = NAN;
  s->state[*t] = TB_TRIAL_FAILED;
  s->pending[*t] = 1;
  return TB_OK;
}

/* Samplers do their linear algebra on small matrices, one call after another (GP-BO's Cholesky factors and
 * triangular solves, CMA-ES's eigendecomposition). Spread over OpenBLAS's OpenMP threads, every call wakes the team:
 * under the passive wait policy that main.c sets, a futex round trip per call, so a 100-trial GP-BO run on Branin
 * took 12.5 s (7.4 s of it in the kernel) instead of 0.6 s on one thread. OpenBLAS's OpenMP build follows the
 * calling thread's omp_get_max_threads(), and that setting belongs to the calling thread only, so the sampler's
 * methods run single-threaded while the learners' threads keep theirs. */
static int serial_begin(void) {
#ifdef _OPENMP
  int prev = omp_get_max_threads();
  omp_set_num_threads(1);
  return prev;
#else
  return 0;
#endif
}

static void serial_end(int prev) {
#ifdef _OPENMP
  omp_set_num_threads(prev);
#else
  (void)prev;
#endif
}

int tb_sampler_ask(tb_sampler *s, int n, double *xs, int64_t *ids, int *n_out) {
  *n_out = 0;
  if (n < 1) return tb_error_set(TB_ERR_INVALID, "sampler %s: ask(%d): n must be >= 1", s->vt->name, n);
  int rc = grow(s, s->n_trials + (size_t)n);
  if (rc < 0) return rc;
  int got = 0;
  for (; got < n && s->queue_head < s->n_queue; got++, s->queue_head++) /* enqueued ones first */
    memcpy(xs + (size_t)got * (size_t)s->dim, s->queue + s->queue_head * (size_t)s->dim, (size_t)s->dim * sizeof *xs);
  if (got < n) {
    int more = 0, threads = serial_begin();
    rc = s->vt->ask(s, n - got, xs + (size_t)got * (size_t)s->dim, &more);
    serial_end(threads);
    if (rc < 0) return rc;
    got += more;
  }
  char msg[256];
  for (int i = 0; i < got; i++) {
    const double *x = xs + (size_t)i * (size_t)s->dim;
    if (tb_space_check(s->sp, x, msg, sizeof msg))
      return tb_error_set(TB_ERR_INVALID, "sampler %s suggested an invalid configuration: %s", s->vt->name, msg);
    size_t t;
    if ((rc = append(s, x, &t)) < 0) return rc;
    ids[i] = (int64_t)t;
  }
  *n_out = got;
  return got == 0 ? tb_error_set(TB_ERR_EXHAUSTED, "sampler %s: no configurations left", s->vt->name) : TB_OK;
}

static int record(tb_sampler *s, size_t t, const double *values, tb_trial_state state) {
  if (state < TB_TRIAL_COMPLETE || state > TB_TRIAL_FAILED)
    return tb_error_set(TB_ERR_INVALID, "sampler %s: unknown trial state %d", s->vt->name, (int)state);
  for (int k = 0; k < s->n_obj; k++) {
    double v = values ? values[k] : NAN;
    if (state == TB_TRIAL_COMPLETE && !isfinite(v))
      return tb_error_set(TB_ERR_INVALID, "sampler %s: trial %zu is complete but objective %d is %g", s->vt->name,
                          t, k, v);
    s->y[t * (size_t)s->n_obj + (size_t)k] = state == TB_TRIAL_FAILED ? NAN : (s->maximize[k] ? -v : v);
  }
  s->state[t] = state;
  s->pending[t] = 0;
  if (!s->vt->on_result) return TB_OK;
  int threads = serial_begin();
  int rc = s->vt->on_result(s, t);
  serial_end(threads);
  return rc;
}

int tb_sampler_tell(tb_sampler *s, int64_t id, const double *values, tb_trial_state state) {
  if (id < 0 || (size_t)id >= s->n_trials)
    return tb_error_set(TB_ERR_INVALID, "sampler %s: tell for unknown trial %lld", s->vt->name, (long long)id);
  if (!s->pending[id])
    return tb_error_set(TB_ERR_INVALID, "sampler %s: trial %lld was already told", s->vt->name, (long long)id);
  return record(s, (size_t)id, values, state);
}

int tb_sampler_add_observation(tb_sampler *s, const double *x, const double *values, tb_trial_state state) {
  char msg[256];
  if (tb_space_check(s->sp, x, msg, sizeof msg))
    return tb_error_set(TB_ERR_INVALID, "sampler %s: observation is not a valid configuration: %s", s->vt->name, msg);
  size_t t;
  int rc = append(s, x, &t);
  if (rc < 0) return rc;
  return record(s, t, values, state);
}

int tb_sampler_enqueue(tb_sampler *s, const double *x) {
  char msg[256];
  if (tb_space_check(s->sp, x, msg, sizeof msg))
    return tb_error_set(TB_ERR_INVALID, "sampler %s: enqueued configuration %zu is not valid: %s", s->vt->name,
                        s->n_queue - s->queue_head + 1, msg);
  if (s->n_queue == s->queue_cap) {
    size_t cap = s->queue_cap ? 2 * s->queue_cap : 8;
    double *q = realloc(s->queue, cap * (size_t)(s->dim ? s->dim : 1) * sizeof *q);
    if (!q) return tb_error_set(TB_ERR_NOMEM, "sampler %s: out of host memory", s->vt->name);
    s->queue = q, s->queue_cap = cap;
  }
  memcpy(s->queue + s->n_queue++ * (size_t)s->dim, x, (size_t)s->dim * sizeof *x);
  return TB_OK;
}
