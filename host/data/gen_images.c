/* gen_images.c: seeded synthetic 28x28 image datasets after Larochelle et al. 2007 (see
 * /work/shared/references/protocols.md section 2): gen:rectangles and gen:convex. The tabular generators are in
 * gen.c; this is not the original Matlab generator, whose exact size rules are not published, so the rules below are
 * ours. Tested by tests/test_data_gen.c.
 *
 * Both: keys n (default 1000) and seed (0..2^32-2; GSL MT19937 seeded with seed + 1, as in gen.c). An image is
 * row-major, pixel (row r, column c) is feature r * 28 + c (named px0 .. px783), values 0.0 (black) or 1.0 (white).
 * Labels are exactly balanced: n/2 of each (the extra one of an odd n is class 0), in shuffled order.
 *
 * gen:rectangles   label 1 = tall (h > w), 0 = wide. The white pixels are exactly the 1-pixel outline of a w x h
 *   box (w columns, h rows). Sides are drawn uniformly in 3..28 (3: the smallest outline with a hole), redrawn while
 *   |w - h| < 3; the larger side is h for tall images, w for wide ones (so both classes have the same size
 *   distribution); the top-left corner is uniform among the positions that keep the box inside the image.
 * gen:convex       label 1 = convex. A pixel is white when its centre (c + 0.5, r + 0.5) lies in the region.
 *   Convex: the intersection of K half-planes, K uniform in {2, 3, 4}; each boundary line passes through a uniform
 *   point of [0, 28]^2 with a uniform angle. Non-convex: the union of M such sets, M uniform in {2, 3}, kept only if
 *   it fails the convexity test below. Area matching (Larochelle's classes have the same mean intensity): every
 *   image first draws an area bin [50 + 50 b, 100 + 50 b), b uniform in 0..10, and its shape is redrawn until its
 *   white area falls in that bin, so both classes have the same distribution of areas (50..599 white pixels).
 *   Convexity test (digital convexity): every pixel centre lying on the segment between two white pixel centres must
 *   be white; equivalently, along every lattice line of every primitive direction the white pixels are contiguous.
 *   Every digitised convex region passes it (a point of a segment between two points of a convex set is in the set).
 */
#include "data_impl.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMG 28
#define IMG_PIXELS (IMG * IMG)
#define IMG_MAX_ROWS (100000000L / IMG_PIXELS) /* n * 784 values guard, as in gen.c */
#define IMG_MAX_TRIES 1000000 /* shape redraws per image; the rarest bin is hit with probability ~1% */

/* Reads n and seed, checks the keys and allocates an n-image dataset with names px0.. and balanced shuffled
 * labels. */
static int img_begin(tb_spec *spec, gsl_rng **r, tb_dataset **out) {
  int rc = TB_OK;
  long n = 1000;
  char name[512];
  tb_dataset *ds = NULL;
  *out = NULL;
  TB_TRY(tb_spec_get_long(spec, "n", 1, IMG_MAX_ROWS, &n));
  TB_TRY(tb_gen_rng(spec, r));
  TB_TRY(tb_spec_check_unused(spec, "n, seed"));
  size_t len = (size_t)snprintf(name, sizeof name, "%s", spec->kind);
  for (int i = 0; i < spec->n_keys && len < sizeof name; i++)
    len += (size_t)snprintf(name + len, sizeof name - len, "%c%s=%s", i ? '&' : '?', spec->keys[i], spec->vals[i]);
  TB_TRY(tb_dataset_alloc((size_t)n, IMG_PIXELS, TB_TASK_CLASSIFICATION, 2, name, &ds));
  ds->feature_names = calloc(IMG_PIXELS + 1, sizeof(char *));
  if (!ds->feature_names) TB_FAIL(TB_ERR_NOMEM, "%s: out of host memory", spec->kind);
  for (int j = 0; j < IMG_PIXELS; j++) {
    char buf[16];
    snprintf(buf, sizeof buf, "px%d", j);
    if (!(ds->feature_names[j] = tb_data_strdup(buf))) TB_FAIL(TB_ERR_NOMEM, "%s: out of host memory", spec->kind);
  }
  for (size_t i = 0; i < (size_t)n; i++) ds->y_class[i] = (int32_t)(i & 1);
  gsl_ran_shuffle(*r, ds->y_class, (size_t)n, sizeof *ds->y_class);
  *out = ds;
  ds = NULL;
done:
  tb_dataset_free(ds);
  return rc;
}

int tb_gen_rectangles(tb_spec *spec, tb_dataset **out) {
  int rc = TB_OK;
  gsl_rng *r = NULL;
  tb_dataset *ds = NULL;
  *out = NULL;
  TB_TRY(img_begin(spec, &r, &ds));
  for (size_t i = 0; i < ds->n_rows; i++) {
    int a, b;
    do {
      a = 3 + (int)gsl_rng_uniform_int(r, IMG - 2);
      b = 3 + (int)gsl_rng_uniform_int(r, IMG - 2);
    } while (abs(a - b) < 3);
    int big = a > b ? a : b, small = a > b ? b : a;
    int h = ds->y_class[i] ? big : small, w = ds->y_class[i] ? small : big;
    int r0 = (int)gsl_rng_uniform_int(r, (unsigned long)(IMG - h + 1));
    int c0 = (int)gsl_rng_uniform_int(r, (unsigned long)(IMG - w + 1));
    float *x = ds->X + i * IMG_PIXELS;
    for (int c = c0; c < c0 + w; c++) x[r0 * IMG + c] = x[(r0 + h - 1) * IMG + c] = 1.0f;
    for (int rr = r0; rr < r0 + h; rr++) x[rr * IMG + c0] = x[rr * IMG + c0 + w - 1] = 1.0f;
  }
  *out = ds;
  ds = NULL;
done:
  tb_dataset_free(ds);
  gsl_rng_free(r);
  return rc;
}

static int gcd(int a, int b) {
  while (b) {
    int t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* The digital convexity test of the file comment on a 0/1 image: 1 if convex. Only lines inside the bounding box of
 * the white pixels matter, and only directions shorter than the box. */
static int img_is_convex(const unsigned char *img) {
  int x0 = IMG, x1 = -1, y0 = IMG, y1 = -1;
  for (int y = 0; y < IMG; y++)
    for (int x = 0; x < IMG; x++)
      if (img[y * IMG + x]) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
  if (x1 < 0) return 1;
  int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  for (int dy = 0; dy < bh; dy++)
    for (int dx = -(bw - 1); dx < bw; dx++) {
      if ((dy == 0 && dx <= 0) || gcd(abs(dx), dy) != 1) continue;
      for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) {
          int px = x - dx, py = y - dy;
          if (px >= x0 && px <= x1 && py >= y0 && py <= y1) continue; /* not the first point of its line */
          int state = 0;                                               /* 0 before, 1 in, 2 after the white run */
          for (int cx = x, cy = y; cx >= x0 && cx <= x1 && cy <= y1; cx += dx, cy += dy) {
            int w = img[cy * IMG + cx];
            if (state == 0 && w) state = 1;
            else if (state == 1 && !w) state = 2;
            else if (state == 2 && w) return 0;
          }
        }
    }
  return 1;
}

/* Turns img (all ones on entry) into the intersection of K random half-planes, K uniform in {2, 3, 4}.
 * Returns the white area. */
static int draw_convex(gsl_rng *r, unsigned char *img) {
  int k = 2 + (int)gsl_rng_uniform_int(r, 3);
  for (int h = 0; h < k; h++) {
    double px = IMG * gsl_rng_uniform(r), py = IMG * gsl_rng_uniform(r), th = 2.0 * M_PI * gsl_rng_uniform(r);
    double nx = cos(th), ny = sin(th);
    for (int y = 0; y < IMG; y++)
      for (int x = 0; x < IMG; x++)
        if ((x + 0.5 - px) * nx + (y + 0.5 - py) * ny < 0.0) img[y * IMG + x] = 0;
  }
  int area = 0;
  for (int p = 0; p < IMG_PIXELS; p++) area += img[p];
  return area;
}

int tb_gen_convex(tb_spec *spec, tb_dataset **out) {
  int rc = TB_OK;
  gsl_rng *r = NULL;
  tb_dataset *ds = NULL;
  unsigned char img[IMG_PIXELS], part[IMG_PIXELS];
  *out = NULL;
  TB_TRY(img_begin(spec, &r, &ds));
  for (size_t i = 0; i < ds->n_rows; i++) {
    int lo = 50 + 50 * (int)gsl_rng_uniform_int(r, 11), hi = lo + 50, ok = 0;
    for (int t = 0; t < IMG_MAX_TRIES && !ok; t++) {
      int area = 0;
      if (ds->y_class[i]) {
        memset(img, 1, sizeof img);
        area = draw_convex(r, img);
        ok = area >= lo && area < hi;
      } else {
        int m = 2 + (int)gsl_rng_uniform_int(r, 2);
        memset(img, 0, sizeof img);
        for (int s = 0; s < m; s++) {
          memset(part, 1, sizeof part);
          draw_convex(r, part);
          for (int p = 0; p < IMG_PIXELS; p++) img[p] |= part[p];
        }
        for (int p = 0; p < IMG_PIXELS; p++) area += img[p];
        ok = area >= lo && area < hi && !img_is_convex(img);
      }
    }
    if (!ok) /* not expected: every bin has a probability of about 1% or more */
      TB_FAIL(TB_ERR_RANGE, "%s: image %zu: no shape in area bin [%d, %d) after %d tries", spec->kind, i, lo, hi,
              IMG_MAX_TRIES);
    float *x = ds->X + i * IMG_PIXELS;
    for (int p = 0; p < IMG_PIXELS; p++) x[p] = (float)img[p];
  }
  *out = ds;
  ds = NULL;
done:
  tb_dataset_free(ds);
  gsl_rng_free(r);
  return rc;
}
