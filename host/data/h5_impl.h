/* h5_impl.h: what the HDF5 module's files (h5.c, h5_check.c) share: the open file and HDF5's error text.
 * Included only by host/data/h5*.c. Tested through tb_h5.h (tests/test_data_load.c, test_bad_input.c). */
#ifndef TB_H5_IMPL_H
#define TB_H5_IMPL_H
#include <hdf5.h>

struct tb_h5_file {
  hid_t id;
  char *path;
};

/* HDF5's innermost error description of the failed call ("" if none; a system error cut to its message), then
 * clears HDF5's error stack. */
const char *tb_h5_errmsg(char buf[160]);
#endif
