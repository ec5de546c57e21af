/* Backend registry: the one place that knows which backends this build has. */
#define _GNU_SOURCE /* dladdr */
#include "engine/engine_internal.h"
#include "kernels/backend.h"

#include "calib8/config.h"
#include "util/err.h"

#include <string.h>

#if C8_HAVE_CUDA
#include "kernels/cuda/module.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Linked in by programs that also test the CUDA backend's internals (calib8_cuda_static); NULL
 * everywhere else, where the backend comes from the module. */
extern const c8_backend_vt c8_backend_cuda __attribute__((weak));

/* dlopen()s one candidate path and checks what it finds; 1 loaded (*vt set), 0 no file there,
 * -1 a module that is there but cannot be used (err says why). */
static int cuda_module_try(const char *path, const c8_backend_vt **vt, c8_error *err) {
    if (strchr(path, '/') && access(path, F_OK) != 0) return 0;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        /* a bare name the loader did not find is an absent candidate; anything else (a CUDA
         * library the module needs is missing, a broken file) is the answer the user needs */
        if (!strchr(path, '/') && why && !strncmp(why, path, strlen(path)) &&
            strstr(why, "No such file"))
            return 0;
        c8_err(err, C8_ERR_UNSUPPORTED, "the CUDA backend module %s cannot be loaded: %s", path,
               why ? why : "unknown error");
        return -1;
    }
    c8_cuda_module_info_fn info;
    void *sym = dlsym(h, C8_CUDA_MODULE_SYMBOL);
    memcpy(&info, &sym, sizeof info); /* POSIX: dlsym's object pointer is the function */
    c8_cuda_module_desc d = {0};
    if (info) info(&d);
    if (!info || !d.vt || !d.version || strcmp(d.version, C8_VERSION_STRING) ||
        d.vt_size != sizeof(c8_backend_vt)) {
        c8_err(err, C8_ERR_UNSUPPORTED,
               "%s is not the CUDA backend module of this calib8 %s (it says version %s); "
               "rebuild and install both together",
               path, C8_VERSION_STRING, d.version ? d.version : "none");
        dlclose(h);
        return -1;
    }
    /* never closed: engines and plans keep pointers into it for the rest of the process */
    *vt = d.vt;
    return 1;
}

/* Looks for the module in dir, its parent (a build tree's tests/) and ../lib (an installed bin/):
 * as cuda_module_try. */
static int cuda_module_try_dir(const char *dir, const c8_backend_vt **vt, c8_error *err) {
    static const char *const rel[] = {"/", "/../", "/../lib/"};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s%s" C8_CUDA_MODULE_FILE, dir, rel[i]);
        int r = cuda_module_try(path, vt, err);
        if (r) return r;
    }
    return 0;
}

/* The folder part of path into dir (false when path has none). */
static bool dir_of(const char *path, char *dir, size_t cap) {
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (!slash || (size_t)(slash - path) + 1 > cap) return false;
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    if (!dir[0]) strcpy(dir, "/");
    return true;
}

/* The CUDA backend from libcalib8_cuda.so, looked for in this order: $C8_CUDA_MODULE (a path);
 * beside the binary that holds this code (libcalib8.so, or the program as it was started), and
 * beside the running executable (/proc/self/exe), each with its parent and ../lib; then the
 * system loader's path (LD_LIBRARY_PATH, ldconfig). dlopen() of a loaded module only counts it
 * again, so later calls are cheap and no state is kept here. */
static const c8_backend_vt *cuda_module(c8_error *err) {
    const c8_backend_vt *vt = NULL;
    const char *env = getenv("C8_CUDA_MODULE");
    if (env && *env) {
        int r = cuda_module_try(env, &vt, err);
        if (r == 0)
            c8_err(err, C8_ERR_UNSUPPORTED,
                   "C8_CUDA_MODULE names %s, which does not exist (it should be the CUDA backend "
                   "module, " C8_CUDA_MODULE_FILE ")",
                   env);
        return r == 1 ? vt : NULL;
    }
    static const char anchor = 0; /* an address inside this binary, for dladdr */
    Dl_info self;
    char dir[4096], exe[4096];
    if (dladdr(&anchor, &self) && dir_of(self.dli_fname, dir, sizeof dir)) {
        int r = cuda_module_try_dir(dir, &vt, err);
        if (r) return r == 1 ? vt : NULL;
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        if (dir_of(exe, dir, sizeof dir)) {
            int r = cuda_module_try_dir(dir, &vt, err);
            if (r) return r == 1 ? vt : NULL;
        }
    }
    int r = cuda_module_try(C8_CUDA_MODULE_FILE, &vt, err);
    if (r == 0)
        c8_err(err, C8_ERR_UNSUPPORTED,
               "this calib8 was built with CUDA, but its CUDA backend module " C8_CUDA_MODULE_FILE
               " is not beside the program or libcalib8.so (nor in their parent or ../lib) nor on "
               "the library path; set C8_CUDA_MODULE to its path");
    return r == 1 ? vt : NULL;
}
#endif
#if C8_HAVE_DNNL
extern const c8_backend_vt c8_backend_cpu_dnnl; /* kernels/cpu/dnnl_backend.c */
#endif

const c8_backend_vt *c8_backend_get(c8_device device, c8_error *err) {
    switch (device) {
    case C8_DEVICE_CPU:
#if C8_HAVE_DNNL
        return &c8_backend_cpu_dnnl;
#else
        return &c8_backend_cpu;
#endif
    case C8_DEVICE_CPU_REF: return &c8_backend_cpu;
    case C8_DEVICE_CUDA:
#if C8_HAVE_CUDA
        return &c8_backend_cuda ? &c8_backend_cuda : cuda_module(err);
#else
        c8_err(err, C8_ERR_UNSUPPORTED,
               "this calib8 was built without CUDA (configure with -DC8_CUDA=ON on a machine with "
               "the CUDA toolkit and cuDNN)");
        return NULL;
#endif
    }
    c8_err(err, C8_ERR_INVALID, "unknown device %d", (int)device);
    return NULL;
}

bool c8_device_cpu_fast(void) { return C8_HAVE_DNNL != 0; }

c8_status c8_device_check(c8_device d, const char **where, c8_error *err) {
    if (where) *where = NULL;
    const c8_backend_vt *vt = c8_backend_get(d, err);
    if (!vt) return err && err->code ? err->code : C8_ERR_UNSUPPORTED;
#if C8_HAVE_CUDA
    if (d == C8_DEVICE_CUDA && where) {
        Dl_info info;
        /* the module that holds the table (never unloaded, so the loader's name stays valid) */
        if (&c8_backend_cuda && vt == &c8_backend_cuda)
            *where = "linked in";
        else if (dladdr(vt, &info) && info.dli_fname)
            *where = info.dli_fname;
    }
#endif
    return C8_OK;
}

const char *c8_device_name(c8_device d) {
    switch (d) {
    case C8_DEVICE_CPU: return "cpu";
    case C8_DEVICE_CUDA: return "cuda";
    case C8_DEVICE_CPU_REF: return "cpu-ref";
    }
    return "?";
}

bool c8_device_parse(const char *s, c8_device *d) {
    static const c8_device all[] = {C8_DEVICE_CPU, C8_DEVICE_CUDA, C8_DEVICE_CPU_REF};
    for (size_t i = 0; s && i < sizeof all / sizeof all[0]; i++)
        if (!strcmp(s, c8_device_name(all[i]))) {
            *d = all[i];
            return true;
        }
    return false;
}
