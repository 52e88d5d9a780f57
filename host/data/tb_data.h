/* tb_data.h: the in-memory dataset, its sources (SPEC strings), splits and standardisation.
 *
 * A dataset is plain data (like liblinear's `struct problem`): float32 features row-major, and either class labels
 * (int32 in [0, n_classes)) or float targets. Every source is named by a SPEC string used everywhere (CLI, suites):
 *   fashion-mnist[?part=all|train|test&root=DIR&n=N]   the Debian dataset-fashion-mnist files (60000 train +
 *                                         10000 test rows; with part=all, the default, test rows are marked in
 *                                         `fixed_split`; n=N keeps the first N rows, with part=all N train + N/6 test)
 *   csv:PATH[?label=COL&header=1&task=]   COL is a column name (with header) or 0-based index; default: last column
 *   libsvm:PATH[?task=]                   sparse "label idx:val ..." lines, 1-based indices
 *   (task=classification|regression forces the task; by default integer labels mean classification)
 *   csv:PATH without header=: the first record is a header when some feature cell of it is not a number (its label
 *   cell may be anything), or when label=NAME names one of its cells; header=0 says there is none
 *   missing=error|nan|impute-mean (every file source): what a missing feature cell ("nan", NaN in HDF5) means:
 *     error (default): the load fails naming file:line:column (HDF5: row and column);
 *     nan: kept as NaN: the trees send it right at every split (with the values above the top cut), the dense
 *          learners (mlp, logreg) refuse the data;
 *     impute-mean: tb_data_prepare replaces it with the mean of the column over the training rows.
 *   An infinite cell ("inf", or a number too large for float such as 1e400) is always refused with file:line:column.
 *   idx:IMAGES,LABELS                     IDX files (optionally .gz), as MNIST
 *   hdf5:PATH?x=NAME&y=NAME[&task=]       2-d float/int dataset x, 1-d y
 *   gen:classification?n=&d=&informative=&redundant=&classes=&clusters=&class_sep=&flip=&seed=  (scikit-learn style)
 *   gen:friedman1?n=&d=&noise=&seed=      Friedman #1 regression
 *   gen:rectangles?n=&seed=               28x28 images, tall vs wide rectangle outline (Larochelle et al. 2007)
 *   gen:convex?n=&seed=                   28x28 images, convex vs non-convex white region
 * Loader failures return TB_ERR_IO / TB_ERR_FORMAT / TB_ERR_INVALID with a detail naming the file and line (or the
 * dataset and key); they never crash on bad files. Tested by tests/test_data_*.c.
 */
#ifndef TB_DATA_H
#define TB_DATA_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { TB_TASK_CLASSIFICATION = 0, TB_TASK_REGRESSION = 1 } tb_task;

/* What a missing (NaN) feature cell means: the SPEC's missing= key (see above). */
typedef enum { TB_MISSING_ERROR = 0, TB_MISSING_NAN = 1, TB_MISSING_IMPUTE_MEAN = 2 } tb_missing;

enum { TB_SPLIT_TRAIN = 0, TB_SPLIT_VALID = 1, TB_SPLIT_TEST = 2 };

typedef struct tb_dataset {
  char *name;            /* the SPEC it was loaded from (owned) */
  size_t n_rows;         /* number of examples */
  int n_cols;            /* number of features */
  float *X;              /* (n_rows, n_cols) row-major features (owned) */
  tb_task task;          /* classification (y_class) or regression (y_value) */
  int32_t *y_class;      /* classification: labels in [0, n_classes), else NULL (owned) */
  float *y_value;        /* regression: targets, else NULL (owned) */
  int n_classes;         /* classification: number of classes; 0 for regression */
  char **feature_names;  /* n_cols names (owned; may be NULL: then "f0", "f1", ...) */
  char **class_names;    /* n_classes names for labels that were strings or remapped numbers (may be NULL) */
  uint8_t *fixed_split;  /* per row TB_SPLIT_* when the source defines a split (fashion-mnist test rows), else NULL */
  tb_missing missing;    /* the SPEC's missing= policy; NaN cells can be present only when it is not ERROR */
} tb_dataset;

/* Loads the dataset named by spec. *out is owned by the caller (tb_dataset_free). */
int tb_data_load(const char *spec, tb_dataset **out);

/* Allocates an empty dataset with n_rows x n_cols features and the label/target array of the task (zeroed). */
int tb_dataset_alloc(size_t n_rows, int n_cols, tb_task task, int n_classes, const char *name, tb_dataset **out);
void tb_dataset_free(tb_dataset *ds); /* NULL is a no-op */

/* A new dataset with the rows idx[0..n) of ds, in that order (names copied). */
int tb_dataset_subset(const tb_dataset *ds, const uint32_t *idx, size_t n, tb_dataset **out);

/* CRC-32 (zlib) of the features, then the labels or targets, as stored in memory: equal data, equal checksum. */
uint32_t tb_dataset_checksum(const tb_dataset *ds);

/* Bytes held by the dataset's arrays. */
size_t tb_dataset_bytes(const tb_dataset *ds);

/* ---- splits -------------------------------------------------------------------------------------------------- */
typedef struct tb_split_spec {
  double valid_frac; /* fraction of rows (of those not fixed to test) for validation, in [0, 1) */
  double test_frac;  /* fraction for test when the source has no fixed test split, in [0, 1) */
  uint64_t seed;     /* shuffling seed */
  int stratify;      /* 1: keep class proportions in each part (classification only) */
} tb_split_spec;

typedef struct tb_splits {
  uint32_t *train, *valid, *test; /* row indices (owned; free with tb_splits_free) */
  size_t n_train, n_valid, n_test;
} tb_splits;

tb_split_spec tb_split_spec_default(void); /* valid 0.2, test 0.2, seed 0, stratify 1 */
const char *tb_split_spec_check(const tb_split_spec *spec);

/* Splits ds into train / valid / test. Rows fixed to the test split by the source stay test rows and test_frac is
 * then ignored. Same dataset and spec: same split. */
int tb_data_split(const tb_dataset *ds, const tb_split_spec *spec, tb_splits *out);
void tb_splits_free(tb_splits *s);

/* k-fold assignment of the n rows idx[0..n) of ds: fold[i] in [0, k) for row idx[i]. Stratified for classification
 * when stratify is 1 (each fold's class counts differ by at most one from the ideal). */
int tb_data_kfold(const tb_dataset *ds, const uint32_t *idx, size_t n, int k, uint64_t seed, int stratify,
                  int *fold);

/* ---- data-fraction subsets (subset.c) ------------------------------------------------------------------------ */
/* A seeded order of the n rows idx[0..n) of ds (idx NULL: rows 0..n-1) into order (n entries, caller-owned) whose
 * prefixes are the data-fraction subsets: the subset at fraction f is order[0 .. tb_data_fraction_size(f)), so
 * smaller fractions are nested in larger ones and the rows depend only on ds, idx and seed. Stratified when
 * stratify is 1 and ds is classification: one row of each present class first, then each prefix keeps every
 * class's share within about one row. */
int tb_data_fraction_order(const tb_dataset *ds, const uint32_t *idx, size_t n, uint64_t seed, int stratify,
                           uint32_t *order);
/* Rows of the subset at fraction f in (0, 1] of n rows: ceil(f n), at least 1 and, for classification, at least
 * min(n_classes, n); n when f >= 1; 0 when f <= 0 or n is 0. */
size_t tb_data_fraction_size(const tb_dataset *ds, size_t n, double f);

/* ---- standardisation ------------------------------------------------------------------------------------------ */
typedef struct tb_standardizer {
  int n_cols;
  double *mean, *scale; /* per column; scale is the standard deviation, 1 for constant columns (owned) */
} tb_standardizer;

/* Fits mean and standard deviation on the rows idx[0..n) only (the training part), over the non-NaN cells of each
 * column (a column with no such cell gets mean 0, scale 1). */
int tb_standardizer_fit(const tb_dataset *ds, const uint32_t *idx, size_t n, tb_standardizer *out);
/* Applies (x - mean) / scale to every row of ds in place (NaN stays NaN). */
int tb_standardizer_apply(const tb_standardizer *st, tb_dataset *ds);
void tb_standardizer_free(tb_standardizer *st);

/* ---- the one data path of every learner (prepare.c) ----------------------------------------------------------- */
/* What `tunebench train`, `bench latency` and suite trials all do to a loaded dataset before a model sees it:
 * split it (tb_data_split(ds, spec) into *splits), fit the standardiser on the train rows (into *st), replace NaN
 * cells by the column's train mean when ds->missing is TB_MISSING_IMPUTE_MEAN, and standardise every row of ds in
 * place. Same dataset and spec: same rows, same values, so a suite trial and `train` see identical numbers.
 * Owned outputs: tb_splits_free, tb_standardizer_free (also on failure, when they are zeroed). */
int tb_data_prepare(tb_dataset *ds, const tb_split_spec *spec, tb_splits *splits, tb_standardizer *st);

/* Number of NaN feature cells in the rows idx[0..n) of ds (idx NULL: rows 0..n-1). */
size_t tb_data_count_missing(const tb_dataset *ds, const uint32_t *idx, size_t n);

/* A warning about the labels, as data (the library never prints; a CLI may): 1 and a message in buf when a
 * classification label column looks like an ID or a regression target (more than 50 classes and fewer than 5 rows
 * per class on average, e.g. 100,000 distinct values), else 0 and buf = "". */
int tb_data_label_warning(const tb_dataset *ds, char *buf, size_t len);

/* ---- SPEC strings (shared by every source) ----------------------------------------------------------------------- */
#define TB_SPEC_MAX_KEYS 16
typedef struct tb_spec {
  char *kind;                    /* "csv", "gen:classification", "fashion-mnist", ... (owned) */
  char *path;                    /* the part after "kind:" and before '?', or NULL (owned) */
  int n_keys;
  char *keys[TB_SPEC_MAX_KEYS];  /* query keys (owned) */
  char *vals[TB_SPEC_MAX_KEYS];  /* query values (owned) */
  int used[TB_SPEC_MAX_KEYS];    /* set by the getters; tb_spec_check_unused reports keys nobody read */
} tb_spec;

int tb_spec_parse(const char *text, tb_spec *out);
void tb_spec_free(tb_spec *s);
/* Typed getters: return TB_OK and set *out (or leave the default in *out when the key is absent); a malformed
 * value is TB_ERR_INVALID, one out of [lo, hi] TB_ERR_RANGE, naming the source kind and the key (tb_data_load
 * prefixes the whole SPEC). */
int tb_spec_get_long(tb_spec *s, const char *key, long lo, long hi, long *out);
int tb_spec_get_double(tb_spec *s, const char *key, double lo, double hi, double *out);
int tb_spec_get_str(tb_spec *s, const char *key, const char **out);
/* TB_ERR_INVALID naming the first key no getter read ("unknown key 'nn' in gen:classification; allowed: ..."). */
int tb_spec_check_unused(const tb_spec *s, const char *allowed);

#ifdef __cplusplus
}
#endif
#endif
