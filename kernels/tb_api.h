/* tb_api.h: TB_API marks the functions of libtunebench's public, stable API (docs/c-api.md "The public API").
 * The library is compiled with -fvisibility=hidden, so the shared library (libtunebench.so) exports only the
 * functions declared with TB_API; everything else stays internal (the static library and the in-tree tests still
 * link against all of it). Not here: the functions themselves. Checked by test_install (nm on the installed .so
 * against the headers) and used by the Python package (host/python/), which loads only these. */
#ifndef TB_API_H
#define TB_API_H

#if defined(__GNUC__) || defined(__clang__)
#define TB_API __attribute__((visibility("default")))
#else
#define TB_API
#endif

#endif
