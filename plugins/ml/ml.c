/*
 * ml.c - the adapter for karpathy/autoresearch-style ML repositories: a
 * train.py the experiment changes, a prepare.py holding the fixed
 * evaluation, and a summary block ending the log with `val_bpb: <n>` and
 * `peak_vram_mb: <n>`.
 *
 * Memory: the run's own `peak_vram_mb` line when it prints one; otherwise,
 * during the run, the GPU memory NVML reports for the run's processes.  NVML
 * is opened with dlopen() at run time (it is a driver library, present only
 * on machines with an NVIDIA GPU), so this adapter needs no CUDA headers and
 * loads everywhere; without it the host's process-tree RSS applies.
 */
#include <dlfcn.h>
#include <string.h>
#include "ar/adapter.h"
#include "../shared/adapter_util.h"

#define MB 1048576.0

static int has(struct ar_ctx *ctx, const char *path)
{
	return ctx->host->exists(ctx, path);
}

static int ml_detect(struct ar_ctx *ctx, int *score)
{
	const struct ar_host *h = ctx->host;

	if (has(ctx, "train.py") && has(ctx, "prepare.py")) {
		*score = 90;
		h->set_reason(ctx, "found train.py and prepare.py");
	} else if (has(ctx, "train.py")) {
		*score = 60;
		h->set_reason(ctx, "found train.py (no prepare.py)");
	} else {
		*score = 0;
		h->set_reason(ctx, "no train.py");
	}
	return AR_OK;
}

static int ml_targets(struct ar_ctx *ctx, struct ar_list *out)
{
	return ctx->host->push(ctx, out, "train.py");
}

static int ml_fixed(struct ar_ctx *ctx, struct ar_list *out)
{
	if (!has(ctx, "prepare.py"))
		return AR_OK;
	return ctx->host->push(ctx, out, "prepare.py");
}

static int ml_run_command(struct ar_ctx *ctx, struct ar_list *out)
{
	const struct ar_host *h = ctx->host;
	int uv_project = has(ctx, "pyproject.toml") || has(ctx, "uv.lock");

	if (uv_project && h->which(ctx, "uv"))
		return h->push(ctx, out, "uv run train.py");
	return h->push(ctx, out, "python3 train.py");
}

static int ml_measure(struct ar_ctx *ctx, const struct ar_run *run,
                      struct ar_metric *out)
{
	const struct ar_host *h = ctx->host;
	double v;
	int rc;

	if (ar_util_user_metric(ctx, "val_bpb"))
		return AR_PASS;
	rc = h->log_metric(ctx, run->log_path, "val_bpb", &v);
	if (rc == AR_ENOTFOUND) {
		h->set_error(ctx, "no 'val_bpb: <number>' line in %s (exit %d): "
		             "train.py crashed or did not print its summary",
		             run->log_path, run->exit_status);
		return AR_ERROR;
	}
	if (rc != AR_OK)
		return AR_ERROR; /* log_metric gave the reason */
	out->value = v;
	return AR_OK;
}

/*
 * NVML, declared here with just what we use (see NVIDIA's nvml.h).  The
 * process struct is the one nvmlDeviceGetComputeRunningProcesses_v3 and _v2
 * fill: pid, usedGpuMemory, gpuInstanceId, computeInstanceId.
 */
typedef void *nvml_device;
struct nvml_process {
	unsigned int pid;
	unsigned long long used_gpu_memory;
	unsigned int gpu_instance_id;
	unsigned int compute_instance_id;
};
#define NVML_SUCCESS 0
#define NVML_VALUE_NOT_AVAILABLE (~0ULL)
#define NVML_MAX_PROCS 256

struct nvml {
	int tried, ok;
	int (*init)(void);
	int (*count)(unsigned int *);
	int (*handle)(unsigned int, nvml_device *);
	int (*procs)(nvml_device, unsigned int *, struct nvml_process *);
};

/* Resolve one symbol into a function pointer without a pedantic warning. */
static int nvml_sym(void *lib, const char *name, void *fnptr)
{
	void *p = dlsym(lib, name);

	if (!p)
		return -1;
	memcpy(fnptr, &p, sizeof(p));
	return 0;
}

/* Open NVML once per process; it stays loaded, like the adapter itself. */
static struct nvml *nvml_get(void)
{
	static struct nvml n;
	void *lib;

	if (n.tried)
		return n.ok ? &n : NULL;
	n.tried = 1;
	lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return NULL;
	if (nvml_sym(lib, "nvmlInit_v2", &n.init) ||
	    nvml_sym(lib, "nvmlDeviceGetCount_v2", &n.count) ||
	    nvml_sym(lib, "nvmlDeviceGetHandleByIndex_v2", &n.handle) ||
	    (nvml_sym(lib, "nvmlDeviceGetComputeRunningProcesses_v3", &n.procs) &&
	     nvml_sym(lib, "nvmlDeviceGetComputeRunningProcesses_v2", &n.procs)) ||
	    n.init() != NVML_SUCCESS) {
		dlclose(lib);
		return NULL;
	}
	n.ok = 1;
	return &n;
}

static int pid_in(unsigned int pid, const int *pids, size_t npids)
{
	size_t i;

	for (i = 0; i < npids; i++)
		if (pids[i] >= 0 && (unsigned int)pids[i] == pid)
			return 1;
	return 0;
}

/* GPU memory the run's processes hold on one device. */
static uint64_t nvml_device_bytes(struct nvml *n, unsigned int dev,
                                  const int *pids, size_t npids)
{
	struct nvml_process procs[NVML_MAX_PROCS];
	unsigned int count = NVML_MAX_PROCS, i;
	nvml_device handle;
	uint64_t sum = 0;

	if (n->handle(dev, &handle) != NVML_SUCCESS ||
	    n->procs(handle, &count, procs) != NVML_SUCCESS)
		return 0;
	for (i = 0; i < count && i < NVML_MAX_PROCS; i++)
		if (procs[i].used_gpu_memory != NVML_VALUE_NOT_AVAILABLE &&
		    pid_in(procs[i].pid, pids, npids))
			sum += procs[i].used_gpu_memory;
	return sum;
}

static int ml_sample_memory(struct ar_ctx *ctx, const int *pids, size_t npids,
                            uint64_t *bytes)
{
	struct nvml *n = nvml_get();
	unsigned int ndev, d;
	uint64_t sum = 0;

	(void)ctx;
	if (!n || !pids || npids == 0 || n->count(&ndev) != NVML_SUCCESS)
		return AR_PASS;
	for (d = 0; d < ndev; d++)
		sum += nvml_device_bytes(n, d, pids, npids);
	if (sum == 0)
		return AR_PASS;
	*bytes = sum;
	return AR_OK;
}

static int ml_probe_memory(struct ar_ctx *ctx, const struct ar_run *run,
                           uint64_t *bytes)
{
	double mb;

	/* A CPU run prints 0.0: then the sampled or RSS figure is the truth. */
	if (ctx->host->log_metric(ctx, run->log_path, "peak_vram_mb", &mb) != AR_OK ||
	    !(mb > 0.0) || mb > 1e12)
		return AR_PASS;
	*bytes = (uint64_t)(mb * MB + 0.5);
	return AR_OK;
}

static const struct ar_adapter ml_adapter = {
	AR_ADAPTER_HEAD,
	"ml",
	"1.0.0",
	"ML training repos (karpathy/autoresearch): train.py, val_bpb from the log",
	50,
	"val_bpb",
	AR_LOWER_IS_BETTER,
	ml_detect,
	ml_targets,
	ml_fixed,
	ml_run_command,
	ml_measure,
	ml_sample_memory,
	ml_probe_memory,
};

AR_ADAPTER_DECLARE(ml_adapter)
