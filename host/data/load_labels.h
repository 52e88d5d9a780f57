/* load_labels.h: internal to the file loaders (load_csv.c, load_libsvm.c, load_hdf5.c): collects one label per row
 * as text or number, then decides the task the way every loader must (tb_data.h):
 *   every label an integer            -> classification, classes = the distinct values in sorted order (0..k-1);
 *   numbers, some not integers        -> regression;
 *   some labels not numbers           -> classification, classes = the distinct strings in sorted order.
 * task=classification|regression in the SPEC forces the choice (tb_labels_parse_task). Class names keep the text of
 * the first occurrence of each class. Not a public module; tested through tests/test_data_load.c. */
#ifndef TB_LOAD_LABELS_H
#define TB_LOAD_LABELS_H
#include <stddef.h>
#include <stdint.h>

#include "data_impl.h"

#define TB_LABELS_MAX_STRINGS 65536 /* distinct label texts remembered; more are only allowed for numbers */

typedef struct tb_labels {
  const char *file;             /* for messages (borrowed) */
  size_t n, cap;                /* rows added, capacity */
  double *val;                  /* per row: the number (NaN when the text is not a number) */
  int32_t *id;                  /* per row: index of its text in the dictionary, -1 when none */
  int all_numeric, all_integer; /* over the rows added so far */
  long first_text_line;         /* first line whose label is not a number (0: none) */
  /* dictionary of distinct texts, in first-occurrence order: arena + offsets + open-addressing table */
  char *arena;
  size_t arena_len, arena_cap;
  size_t *str_off;
  uint32_t *str_len;
  int32_t n_str, *table; /* table has table_cap slots of string ids (-1 = empty) */
  uint32_t table_cap;
  int dict_full;         /* more than TB_LABELS_MAX_STRINGS distinct texts were seen */
  /* set by tb_labels_finish */
  tb_task task;
  int n_classes;
  int32_t *cls;          /* per row class (classification) */
  char **class_names;    /* n_classes names */
} tb_labels;

/* -1 = decide from the labels; else TB_TASK_*. Reads the SPEC key "task". */
int tb_labels_parse_task(tb_spec *spec, int *force_task);

void tb_labels_init(tb_labels *lb, const char *file);
void tb_labels_free(tb_labels *lb); /* frees everything still owned (names moved out by store are not freed) */

/* Adds the label of one row from its text (text[0..len), need not be NUL-terminated). An empty text or a
 * non-finite number is TB_ERR_FORMAT naming file:line. */
int tb_labels_add_text(tb_labels *lb, const char *text, size_t len, long line);
/* Adds a numeric label (no text); non-finite is TB_ERR_FORMAT naming file:line. */
int tb_labels_add_value(tb_labels *lb, double v, long line);

/* Decides task / n_classes / cls as described above. */
int tb_labels_finish(tb_labels *lb, int force_task);

/* Writes the labels into ds (allocated with lb->task and lb->n_classes, lb->n rows) and moves class_names in. */
void tb_labels_store(tb_labels *lb, tb_dataset *ds);
#endif
