/* store_codec.c: the binary payloads of the results store's journal records (one per tb_store_event type, fields
 * in a fixed order, little-endian, strings as u32 length + bytes, NULL strings stored as ""). Not here: framing and
 * CRC (journal.c), the byte buffer, arena and id map it writes into (store_mem.c). Tested by tests/test_journal.c
 * and tests/test_store.c (every event type round-trips through the journal). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"
#include "tb_error.h"

static void put(tb_bytes *b, const void *src, size_t n) {
  if (b->oom) return;
  if (b->n + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n) cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
      b->oom = 1;
      return;
    }
    b->p = p, b->cap = cap;
  }
  memcpy(b->p + b->n, src, n);
  b->n += n;
}
/* The project's hosts are little-endian (x86-64, aarch64); the journal is defined as little-endian. */
static void put_u32(tb_bytes *b, uint32_t v) { put(b, &v, 4); }
static void put_i64(tb_bytes *b, int64_t v) { put(b, &v, 8); }
static void put_f64(tb_bytes *b, double v) { put(b, &v, 8); }
static void put_str(tb_bytes *b, const char *s) {
  size_t n = s ? strlen(s) : 0;
  put_u32(b, (uint32_t)n);
  put(b, s ? s : "", n);
}

void tb_store_encode(const tb_store_event *ev, int n_values, tb_bytes *b) {
  const tb_store_event *e = ev;
  switch (ev->type) {
  case TB_STORE_EV_STUDY: {
    const tb_store_study *s = &e->u.study;
    put_str(b, s->suite_name), put_str(b, s->suite_text), put_u32(b, (uint32_t)s->n_seeds);
    for (int i = 0; i < s->n_seeds; i++) put_i64(b, (int64_t)s->seeds[i]);
    put_str(b, s->version), put_str(b, s->device), put_str(b, s->card), put_str(b, s->host);
    put_f64(b, s->start_time);
    break;
  }
  case TB_STORE_EV_EXPERIMENT: {
    const tb_store_experiment *x = &e->u.experiment.exp;
    put_u32(b, (uint32_t)e->u.experiment.index), put_str(b, x->name), put_str(b, x->learner);
    put_str(b, x->dataset);
    int d = tb_space_dim(x->space);
    put_u32(b, (uint32_t)d);
    for (int i = 0; i < d; i++) {
      const tb_param *p = tb_space_param(x->space, i);
      put_str(b, p->name), put_u32(b, (uint32_t)p->type), put_f64(b, p->lo), put_f64(b, p->hi);
      put_u32(b, (uint32_t)p->log), put_f64(b, p->step), put_u32(b, (uint32_t)p->n_choices);
      for (int c = 0; c < p->n_choices; c++) put_str(b, p->choices[c]);
      put_f64(b, p->value), put_u32(b, (uint32_t)p->parent), put_u32(b, (uint32_t)p->n_cond);
      for (int c = 0; c < p->n_cond; c++) put_f64(b, p->cond_values[c]);
    }
    put_u32(b, (uint32_t)x->n_objectives);
    for (int i = 0; i < x->n_objectives; i++) put_str(b, x->objective_names[i]), put_u32(b, (uint32_t)x->maximize[i]);
    if (e->u.experiment.n_attrs > 0) { /* optional tail: records without attributes end before it */
      put_u32(b, (uint32_t)e->u.experiment.n_attrs);
      for (int i = 0; i < e->u.experiment.n_attrs; i++)
        put_str(b, e->u.experiment.attr_names[i]), put_f64(b, e->u.experiment.attr_values[i]);
    }
    break;
  }
  case TB_STORE_EV_TRIAL_BEGIN: {
    const tb_store_trial *t = &e->u.trial;
    put_i64(b, t->id), put_u32(b, (uint32_t)t->experiment), put_str(b, t->strategy);
    put_u32(b, (uint32_t)t->repetition), put_i64(b, (int64_t)t->seed), put_i64(b, t->parent_id);
    put_i64(b, t->retry_of), put_f64(b, t->start_time), put_u32(b, (uint32_t)n_values);
    for (int i = 0; i < n_values; i++) put_f64(b, t->config[i]);
    if (t->continues || t->fidelity_max > 0) /* optional tail: records without it end before it */
      put_u32(b, (uint32_t)t->continues), put_f64(b, t->fidelity_max);
    break;
  }
  case TB_STORE_EV_CURVE: {
    const tb_store_curve *c = &e->u.curve;
    put_i64(b, c->trial), put_i64(b, c->step), put_f64(b, c->fidelity), put_f64(b, c->train_loss);
    put_f64(b, c->val_metric), put_f64(b, c->elapsed);
    break;
  }
  case TB_STORE_EV_TRIAL_END: {
    const tb_store_result *r = &e->u.result;
    put_i64(b, r->id), put_u32(b, (uint32_t)r->status), put_f64(b, r->fidelity), put_f64(b, r->end_time);
    put_f64(b, r->train_time), put_i64(b, r->peak_memory);
    for (int i = 0; i < 2; i++) put_f64(b, r->latency_p50[i]), put_f64(b, r->latency_p99[i]);
    put_i64(b, r->n_params), put_str(b, r->reason), put_u32(b, (uint32_t)n_values);
    for (int i = 0; i < n_values; i++) put_f64(b, r->objectives[i]);
    break;
  }
  case TB_STORE_EV_LINEAGE: {
    const tb_store_lineage *l = &e->u.lineage;
    put_f64(b, l->time), put_i64(b, l->member), put_i64(b, l->from_trial), put_i64(b, l->to_trial);
    put_u32(b, (uint32_t)l->kind), put_str(b, l->old_params), put_str(b, l->new_params);
    break;
  }
  case TB_STORE_EV_PARETO: {
    const tb_store_pareto *p = &e->u.pareto;
    put_u32(b, (uint32_t)p->experiment), put_i64(b, p->snapshot), put_f64(b, p->time), put_f64(b, p->hypervolume);
    put_u32(b, (uint32_t)p->n_trials);
    for (int i = 0; i < p->n_trials; i++) put_i64(b, p->trial_ids[i]);
    break;
  }
  case TB_STORE_EV_MEMORY: {
    const tb_store_memory *m = &e->u.memory;
    put_f64(b, m->time), put_i64(b, m->trial), put_i64(b, m->bytes), put_str(b, m->device);
    break;
  }
  case TB_STORE_EV_STUDY_END:
    put_f64(b, e->u.study_end.end_time), put_u32(b, (uint32_t)e->u.study_end.complete);
    break;
  }
}

/* ---- decoding ------------------------------------------------------------------------------------------- */
typedef struct { const uint8_t *p; size_t n, off; int bad; tb_arena *a; } rd;

static void get(rd *r, void *dst, size_t n) {
  if (r->bad || n > r->n - r->off) {
    r->bad = 1;
    memset(dst, 0, n);
    return;
  }
  memcpy(dst, r->p + r->off, n);
  r->off += n;
}
static uint32_t get_u32(rd *r) { uint32_t v; get(r, &v, 4); return v; }
static int64_t get_i64(rd *r) { int64_t v; get(r, &v, 8); return v; }
static double get_f64(rd *r) { double v; get(r, &v, 8); return v; }
static const char *get_str(rd *r) {
  uint32_t n = get_u32(r);
  if (r->bad || n > r->n - r->off) return r->bad = 1, "";
  char *s = tb_arena_alloc(r->a, n + 1);
  if (!s) return r->bad = 2, "";
  memcpy(s, r->p + r->off, n);
  s[n] = 0;
  r->off += n;
  return s;
}
/* An array of n 8-byte values, bounds-checked before allocation. */
static void *get_arr(rd *r, uint32_t n) {
  if (r->bad || n > (r->n - r->off) / 8) return r->bad = 1, NULL;
  void *v = tb_arena_alloc(r->a, (size_t)n * 8 + 8);
  if (!v) return r->bad = 2, NULL;
  get(r, v, (size_t)n * 8);
  return v;
}

static int decode_space(rd *r, tb_store_experiment *x) {
  tb_space *sp = NULL;
  int rc = tb_space_init(&sp);
  if (rc < 0) return rc;
  if ((rc = tb_arena_own_space(r->a, sp)) < 0) return rc;
  uint32_t d = get_u32(r);
  if (d > (r->n - r->off) / 8) return tb_error_set(TB_ERR_FORMAT, "experiment record: %u parameters", d);
  tb_param *ps = tb_arena_alloc(r->a, (d + 1) * sizeof *ps); /* parsed first: conditions need every name */
  if (!ps) return tb_error_set(TB_ERR_NOMEM, "out of host memory");
  memset(ps, 0, (d + 1) * sizeof *ps);
  for (uint32_t i = 0; i < d && !r->bad; i++) {
    tb_param *p = &ps[i];
    snprintf(p->name, sizeof p->name, "%s", get_str(r));
    p->type = (tb_param_type)get_u32(r);
    p->lo = get_f64(r), p->hi = get_f64(r), p->log = (int)get_u32(r), p->step = get_f64(r);
    p->n_choices = (int)get_u32(r);
    if (p->n_choices < 0 || p->n_choices > TB_PARAM_MAX_CHOICES)
      return tb_error_set(TB_ERR_FORMAT, "parameter '%s': %d choices", p->name, p->n_choices);
    for (int c = 0; c < p->n_choices; c++) p->choices[c] = get_str(r);
    p->value = get_f64(r), p->parent = (int)get_u32(r), p->n_cond = (int)get_u32(r);
    p->def = NAN; /* not recorded */
    if (p->n_cond < 0 || p->n_cond > TB_PARAM_MAX_COND_VALUES || p->parent >= (int)d || p->parent < -1 ||
        (p->parent >= 0) != (p->n_cond > 0))
      return tb_error_set(TB_ERR_FORMAT, "parameter '%s': bad condition", p->name);
    if ((unsigned)p->type > (unsigned)TB_PARAM_FIXED)
      return tb_error_set(TB_ERR_FORMAT, "parameter '%s': unknown type %d", p->name, (int)p->type);
    for (int c = 0; c < p->n_cond; c++) p->cond_values[c] = get_f64(r);
  }
  if (!r->bad) rc = tb_space_add_params(sp, (int)d, ps); /* conditions after every name (parents may come later) */
  if (rc == TB_OK && !r->bad) rc = tb_space_finalize(sp);
  if (rc < 0) return rc;
  x->space = sp;
  return TB_OK;
}

int tb_store_decode(uint32_t type, const uint8_t *p, size_t n, tb_store_event *ev, tb_arena *a) {
  rd r = {p, n, 0, 0, a};
  int rc = TB_OK;
  memset(ev, 0, sizeof *ev);
  if (type < 1 || type > TB_STORE_REC_TYPE(TB_STORE_EV_STUDY_END))
    return tb_error_set(TB_ERR_FORMAT, "unknown record type %u (written by a newer tunebench?)", type);
  ev->type = (tb_store_event_type)(type - 1);
  switch (ev->type) {
  case TB_STORE_EV_STUDY: {
    tb_store_study *s = &ev->u.study;
    s->suite_name = get_str(&r), s->suite_text = get_str(&r), s->n_seeds = (int)get_u32(&r);
    s->seeds = get_arr(&r, (uint32_t)s->n_seeds);
    s->version = get_str(&r), s->device = get_str(&r), s->card = get_str(&r), s->host = get_str(&r);
    s->start_time = get_f64(&r);
    break;
  }
  case TB_STORE_EV_EXPERIMENT: {
    tb_store_experiment *x = &ev->u.experiment.exp;
    ev->u.experiment.index = (int)get_u32(&r);
    x->name = get_str(&r), x->learner = get_str(&r), x->dataset = get_str(&r);
    if ((rc = decode_space(&r, x)) < 0) return tb_error_prefix(rc, "experiment '%s': ", x->name);
    x->n_objectives = (int)get_u32(&r);
    if (x->n_objectives < 0 || x->n_objectives > TB_STORE_MAX_OBJECTIVES) return r.bad = 1, TB_ERR_FORMAT;
    const char **names = tb_arena_alloc(a, sizeof *names * 9);
    int *mx = tb_arena_alloc(a, sizeof *mx * 9);
    if (!names || !mx) return tb_error_set(TB_ERR_NOMEM, "out of host memory");
    for (int i = 0; i < x->n_objectives; i++) names[i] = get_str(&r), mx[i] = (int)get_u32(&r);
    x->objective_names = names, x->maximize = mx;
    if (!r.bad && r.off < n) {
      int na = ev->u.experiment.n_attrs = (int)get_u32(&r);
      if (na < 0 || na > TB_STORE_MAX_ATTRS) return r.bad = 1, TB_ERR_FORMAT;
      const char **an = tb_arena_alloc(a, sizeof *an * (TB_STORE_MAX_ATTRS + 1));
      double *av = tb_arena_alloc(a, sizeof *av * (TB_STORE_MAX_ATTRS + 1));
      if (!an || !av) return tb_error_set(TB_ERR_NOMEM, "out of host memory");
      for (int i = 0; i < na; i++) an[i] = get_str(&r), av[i] = get_f64(&r);
      ev->u.experiment.attr_names = an, ev->u.experiment.attr_values = av;
    }
    break;
  }
  case TB_STORE_EV_TRIAL_BEGIN: {
    tb_store_trial *t = &ev->u.trial;
    t->id = get_i64(&r), t->experiment = (int)get_u32(&r), t->strategy = get_str(&r);
    t->repetition = (int)get_u32(&r), t->seed = (uint64_t)get_i64(&r), t->parent_id = get_i64(&r);
    t->retry_of = get_i64(&r), t->start_time = get_f64(&r);
    t->config = get_arr(&r, get_u32(&r));
    if (!r.bad && r.off < r.n) t->continues = (int)get_u32(&r), t->fidelity_max = get_f64(&r);
    break;
  }
  case TB_STORE_EV_CURVE: {
    tb_store_curve *c = &ev->u.curve;
    c->trial = get_i64(&r), c->step = get_i64(&r), c->fidelity = get_f64(&r), c->train_loss = get_f64(&r);
    c->val_metric = get_f64(&r), c->elapsed = get_f64(&r);
    break;
  }
  case TB_STORE_EV_TRIAL_END: {
    tb_store_result *t = &ev->u.result;
    t->id = get_i64(&r), t->status = (tb_trial_status)get_u32(&r), t->fidelity = get_f64(&r);
    t->end_time = get_f64(&r), t->train_time = get_f64(&r), t->peak_memory = get_i64(&r);
    for (int i = 0; i < 2; i++) t->latency_p50[i] = get_f64(&r), t->latency_p99[i] = get_f64(&r);
    t->n_params = get_i64(&r), t->reason = get_str(&r);
    t->objectives = get_arr(&r, get_u32(&r));
    break;
  }
  case TB_STORE_EV_LINEAGE: {
    tb_store_lineage *l = &ev->u.lineage;
    l->time = get_f64(&r), l->member = get_i64(&r), l->from_trial = get_i64(&r), l->to_trial = get_i64(&r);
    l->kind = (tb_lineage_kind)get_u32(&r), l->old_params = get_str(&r), l->new_params = get_str(&r);
    break;
  }
  case TB_STORE_EV_PARETO: {
    tb_store_pareto *q = &ev->u.pareto;
    q->experiment = (int)get_u32(&r), q->snapshot = get_i64(&r), q->time = get_f64(&r);
    q->hypervolume = get_f64(&r), q->n_trials = (int)get_u32(&r);
    q->trial_ids = get_arr(&r, (uint32_t)q->n_trials);
    break;
  }
  case TB_STORE_EV_MEMORY: {
    tb_store_memory *m = &ev->u.memory;
    m->time = get_f64(&r), m->trial = get_i64(&r), m->bytes = get_i64(&r), m->device = get_str(&r);
    break;
  }
  case TB_STORE_EV_STUDY_END:
    ev->u.study_end.end_time = get_f64(&r), ev->u.study_end.complete = (int)get_u32(&r);
    break;
  }
  if (r.bad == 2) return tb_error_set(TB_ERR_NOMEM, "out of host memory decoding a journal record");
  if (r.bad || r.off != n)
    return tb_error_set(TB_ERR_FORMAT, "malformed record of type %u (%zu bytes, %s)", type, n,
                        r.bad ? "too short" : "trailing bytes");
  return TB_OK;
}

