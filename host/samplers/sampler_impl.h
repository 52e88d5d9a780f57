/* sampler_impl.h: internal to the samplers (host/samplers/). The common part of every sampler (history of
 * trials, seeded random stream, options) and the table each sampler fills. sampler.c owns the history: it records
 * every suggestion as pending, applies tells (negating maximised objectives), and calls the sampler's hooks. */
#ifndef TB_SAMPLER_IMPL_H
#define TB_SAMPLER_IMPL_H
#include "tb_error.h"
#include "tb_options.h"
#include "tb_sampler.h"

typedef struct tb_sampler_vt {
  const char *name;
  const char *options;  /* allowed option names, comma-separated ("gamma, n_startup, ..."), for messages */
  int max_objectives;   /* 1 for single-objective samplers */
  /* reads its options with tb_sampler_opt_*, checks the space, allocates s->impl */
  int (*create)(tb_sampler *s);
  /* writes up to n configurations into xs (n, dim); *n_out how many; history holds all earlier trials
   * (pending ones included). Must only produce configurations that pass tb_space_check. */
  int (*ask)(tb_sampler *s, int n, double *xs, int *n_out);
  /* optional: called after trial t of the history got its result (or was added as an observation) */
  int (*on_result)(tb_sampler *s, size_t t);
  void (*destroy)(tb_sampler *s); /* frees s->impl */
} tb_sampler_vt;

struct tb_sampler {
  const tb_sampler_vt *vt;
  const tb_space *sp;
  int dim, n_obj;
  int maximize[TB_MAX_OBJECTIVES];
  uint64_t seed;
  uint64_t rng_pos;        /* position in the Philox stream of `seed` (tb_sampler_uniform) */
  /* history, in the order trials were asked or added; trial id == index */
  size_t n_trials, cap;
  double *x;               /* (cap, dim) configurations */
  double *y;               /* (cap, n_obj) results, minimised (maximised objectives negated); NAN when unknown */
  tb_trial_state *state;   /* meaningful once !pending */
  unsigned char *pending;  /* 1 while asked and not told */
  /* options */
  tb_options opts;         /* name=value options, read with the *_opt_* getters */
  void *impl;              /* sampler-specific state */
  double *queue;           /* (n_queue, dim) enqueued configurations, given out by ask before the method's own */
  size_t n_queue, queue_head, queue_cap;
};

/* Uniform double in [0, 1) and standard normal from the sampler's own counter-based stream. */
double tb_sampler_uniform(tb_sampler *s);
double tb_sampler_normal(tb_sampler *s);
/* Uniform integer in [0, n). */
long tb_sampler_randint(tb_sampler *s, long n);

/* Options: leave *out unchanged when absent; malformed or out of [lo, hi] is TB_ERR_INVALID naming the sampler
 * and the option. */
int tb_sampler_opt_double(tb_sampler *s, const char *name, double lo, double hi, double *out);
int tb_sampler_opt_long(tb_sampler *s, const char *name, long lo, long hi, long *out);
/* One of the '|'-separated words of `allowed` ("ei|logei|ucb|pi"); *out is its index. */
int tb_sampler_opt_enum(tb_sampler *s, const char *name, const char *allowed, int *out);

/* Completed trials only: fills idx with the history indices of trials whose state is COMPLETE (and, if
 * include_pruned, PRUNED with a finite value); returns how many. idx has room for s->n_trials. */
size_t tb_sampler_completed(const tb_sampler *s, int include_pruned, size_t *idx);

/* The samplers' tables (one file each, or grouped: sampler_basic.c, sampler_qmc.c, tpe.c, gp.c, cmaes.c,
 * evolution.c, nsga2.c). */
extern const tb_sampler_vt tb_sampler_grid_vt, tb_sampler_random_vt, tb_sampler_sobol_vt, tb_sampler_halton_vt,
    tb_sampler_lhs_vt, tb_sampler_tpe_vt, tb_sampler_gp_vt, tb_sampler_cmaes_vt, tb_sampler_evolution_vt,
    tb_sampler_nsga2_vt;
#endif
