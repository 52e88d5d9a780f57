/* cuda_energy.cu: the device's energy counter through NVML, loaded at run time (dlopen of libnvidia-ml.so.1, which
 * the NVIDIA driver installs), so the build needs no NVML headers or library and a machine without the driver or
 * without the counter (cards before Volta) simply reports TB_ERR_UNSUPPORTED. The NVML device is found by the CUDA
 * device's PCI bus id (NVML and CUDA may number devices differently). Only the three NVML entry points used are
 * declared here, with NVML's documented C signatures (nvmlReturn_t is an int; 0 is success; nvmlDevice_t an opaque
 * pointer). Not tested here (no GPU): scripts/gpu-check exercises it through the learner runs. */
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>

#include "cuda_impl.cuh"

typedef int (*nvml_init_fn)(void);
typedef int (*nvml_by_pci_fn)(const char *pci_bus_id, void **device);
typedef int (*nvml_energy_fn)(void *device, unsigned long long *millijoules);

static pthread_once_t nvml_once = PTHREAD_ONCE_INIT;
static nvml_by_pci_fn nvml_by_pci;
static nvml_energy_fn nvml_energy;
static int nvml_ok;

static void nvml_load(void) {
  void *h = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!h) return;
  nvml_init_fn init = (nvml_init_fn)dlsym(h, "nvmlInit_v2");
  nvml_by_pci = (nvml_by_pci_fn)dlsym(h, "nvmlDeviceGetHandleByPciBusId_v2");
  nvml_energy = (nvml_energy_fn)dlsym(h, "nvmlDeviceGetTotalEnergyConsumption");
  nvml_ok = init && nvml_by_pci && nvml_energy && init() == 0;
}

extern "C" int tb_cuda_energy_mj(tb_backend *be, double *mj) {
  *mj = NAN;
  pthread_once(&nvml_once, nvml_load);
  if (!nvml_ok) return tb_error_set(TB_ERR_UNSUPPORTED, "energy: NVML (libnvidia-ml.so.1) is not available");
  char bus[64];
  if (cudaDeviceGetPCIBusId(bus, (int)sizeof bus, be->dev.index) != cudaSuccess) {
    cudaGetLastError();
    return tb_error_set(TB_ERR_UNSUPPORTED, "energy: no PCI bus id for cuda:%d", be->dev.index);
  }
  void *dev = NULL;
  unsigned long long e = 0;
  if (nvml_by_pci(bus, &dev) != 0 || nvml_energy(dev, &e) != 0)
    return tb_error_set(TB_ERR_UNSUPPORTED, "energy: cuda:%d (%s) does not report its energy through NVML",
                        be->dev.index, bus);
  *mj = (double)e;
  return TB_OK;
}
