/* tb_options.h: name=value options of a component (a sampler, a scheduler), read with typed getters that check
 * ranges and remember which options were read, so an unknown option is an error listing the allowed ones.
 * Shared by host/samplers/sampler.c and host/schedulers/scheduler.c. Tested through tests/test_sampler_*.c and
 * test_scheduler_*.c (bad options of every kind). */
#ifndef TB_OPTIONS_H
#define TB_OPTIONS_H

typedef struct tb_options {
  const char *kind;      /* "sampler", "scheduler": the first word of messages */
  const char *owner;     /* the component's name ("tpe") */
  int n;
  char **names, **values; /* owned copies */
  unsigned char *used;
} tb_options;

/* Copies the n name/value pairs; kind and owner are borrowed (static strings). */
int tb_options_init(tb_options *o, const char *kind, const char *owner, int n, const char *const *names,
                    const char *const *values);
void tb_options_free(tb_options *o);

/* Leave *out unchanged when the option is absent; a malformed value or one outside [lo, hi] is TB_ERR_INVALID
 * naming the component and the option. */
int tb_options_double(tb_options *o, const char *name, double lo, double hi, double *out);
int tb_options_long(tb_options *o, const char *name, long lo, long hi, long *out);
/* One of the '|'-separated words of `allowed`; *out is its index. */
int tb_options_enum(tb_options *o, const char *name, const char *allowed, int *out);
/* TB_ERR_INVALID naming the first option no getter read, with the allowed list. */
int tb_options_check_unused(const tb_options *o, const char *allowed);
#endif
