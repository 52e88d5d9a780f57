/* cli_device.c: `tunebench device [--device D]`: what this build can compute on. With D it opens that device
 * (auto falls back to the CPU with a notice; cuda without a GPU or a CUDA build is exit code 2).
 * Tested by tests/test_cli.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tb_backend.h"
#include "tb_error.h"

int tb_cli_device(int argc, char **argv) {
  const char *want = "auto";
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--device") && i + 1 < argc)
      want = argv[++i];
    else if (!strncmp(argv[i], "--device=", 9))
      want = argv[i] + 9;
    else {
      return tb_cli_usage_error("device", "unknown argument '%s'", argv[i]);
    }
  }
  tb_device req, dev;
  char notice[256];
  int rc = tb_device_parse(want, &req);
  if (rc < 0) return tb_cli_fail(rc, "device");
  printf("CUDA backend  %s\n", tb_backend_cuda_built() ? "built" : "not built (CPU-only build)");
  printf("CUDA devices  %d\n", tb_backend_cuda_device_count());
  rc = tb_device_resolve(&req, &dev, notice, sizeof notice);
  if (rc < 0) return tb_cli_fail(rc, "device");
  if (notice[0]) fprintf(stderr, "tunebench device: %s\n", notice);
  tb_backend *be = NULL;
  rc = tb_backend_open(&dev, &be);
  if (rc < 0) return tb_cli_fail(rc, "device");
  printf("selected      %s\n", tb_backend_describe(be));
  tb_backend_free(be);
  return TB_EXIT_OK;
}
