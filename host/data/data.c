/* data.c: tb_data_load, the one entry point from a SPEC string to a dataset: parses the SPEC (spec.c), dispatches by
 * kind to the file loaders (load_*.c) or the generators (gen.c), applies the missing= policy (prepare.c) to every
 * source, and names the dataset after the SPEC. Not a loader
 * itself. Tested by tests/test_data_load.c (every kind of file source, unknown kinds and keys). */
#include "data_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *kind;
  int (*load)(tb_spec *spec, tb_dataset **out);
} source;

static const source sources[] = {
    {"csv", tb_load_csv},
    {"libsvm", tb_load_libsvm},
    {"idx", tb_load_idx},
    {"hdf5", tb_load_hdf5},
    {"fashion-mnist", tb_load_fashion_mnist},
    {"gen:classification", tb_gen_classification},
    {"gen:friedman1", tb_gen_friedman1},
    {"gen:rectangles", tb_gen_rectangles},
    {"gen:convex", tb_gen_convex},
};
#define N_SOURCES (sizeof sources / sizeof sources[0])

/* 1 when the error detail d already says which dataset failed: it holds the SPEC, one of the files of the path
 * (idx has two, comma-separated), or, for a source without a path, starts with the kind. */
static int names_source(const char *d, const tb_spec *spec, const char *spec_text) {
  if (strstr(d, spec_text)) return 1;
  if (!spec->path) return !strncmp(d, spec->kind, strlen(spec->kind));
  for (const char *p = spec->path; *p;) {
    size_t n = strcspn(p, ",");
    char part[1024];
    snprintf(part, sizeof part, "%.*s", (int)(n < sizeof part ? n : sizeof part - 1), p);
    if (n && strstr(d, part)) return 1;
    p += n + (p[n] == ',');
  }
  return 0;
}

int tb_data_load(const char *spec_text, tb_dataset **out) {
  int rc = TB_OK;
  tb_spec spec;
  *out = NULL;
  TB_TRY(tb_spec_parse(spec_text, &spec));
  const source *src = NULL;
  for (size_t i = 0; i < N_SOURCES; i++)
    if (!strcmp(spec.kind, sources[i].kind)) src = &sources[i];
  if (!src) {
    char known[256];
    size_t off = 0;
    for (size_t i = 0; i < N_SOURCES; i++)
      off += (size_t)snprintf(known + off, sizeof known - off, "%s%s", i ? ", " : "", sources[i].kind);
    TB_FAIL(TB_ERR_NOT_FOUND, "dataset '%s': unknown source kind '%s' (known: %s)", spec_text, spec.kind, known);
  }
  tb_missing missing;
  TB_TRY(tb_spec_get_missing(&spec, &missing)); /* every source takes missing=; file loaders check cells themselves */
  tb_error_clear();
  rc = src->load(&spec, out);
  if (rc < 0) {
    /* loaders name their file; add the SPEC when the detail does not already say which dataset it is */
    if (!names_source(tb_error_detail(), &spec, spec_text)) tb_error_prefix(rc, "dataset '%s': ", spec_text);
    goto done;
  }
  (*out)->missing = missing;
  TB_TRY(tb_data_check_cells(*out, spec_text)); /* infinite or (missing=error) NaN cells a source let through */
  char *name = tb_data_strdup(spec_text);
  if (!name) TB_FAIL(TB_ERR_NOMEM, "dataset '%s': out of host memory", spec_text);
  free((*out)->name);
  (*out)->name = name;
done:
  if (rc < 0 && *out) {
    tb_dataset_free(*out);
    *out = NULL;
  }
  tb_spec_free(&spec);
  return rc;
}
