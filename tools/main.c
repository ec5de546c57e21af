/* calib8 command-line tool: dispatches to the subcommands in tools/cmd_*.c. */
#include "calib8/config.h"
#include "tools/cli.h"
#include "tools/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__) && defined(_OPENMP)
#include <unistd.h>
#endif

static const struct {
    const char *name;
    c8_cmd_fn fn;
    const char *summary;
} k_cmds[] = {
#define C8_COMMAND(name, fn, summary) {name, fn, summary},
#include "tools/commands.def"
#undef C8_COMMAND
};

static void usage(FILE *f) {
    fprintf(f, "calib8 %s: INT8 calibration and quantization toolkit\n\n", C8_VERSION_STRING);
    fprintf(f, "usage: calib8 <command> [options]   (calib8 <command> --help for details)\n\n");
    fprintf(f, "commands:\n");
    for (size_t i = 0; i < sizeof k_cmds / sizeof k_cmds[0]; i++)
        fprintf(f, "  %-12s %s\n", k_cmds[i].name, k_cmds[i].summary);
    fprintf(f, "\nexit codes: 0 success, 1 runtime or input error, 2 usage error\n");
}

/* OpenMP threads (oneDNN's, the histogram binning's) that wait for work spin by default (libgomp:
 * ~300,000 iterations before sleeping). On a machine whose cores other processes keep busy, a
 * spinning thread takes the core the thread it waits for needs, and `calib8 compare` of the demo
 * ran 2-3x longer in wall time, and used 2-3x the CPU time, than with OMP_WAIT_POLICY=passive
 * (bench/results/cpu-user-time-2026-12-07.md). libgomp reads the policy once, when it is loaded
 * (before main), so the CLI sets it and runs itself again; nothing changes where the user set
 * OMP_WAIT_POLICY (any value), and nothing runs again under valgrind (whose LD_PRELOAD names its
 * vgpreload library: the new image would run outside valgrind). If exec fails, calib8 goes on
 * with the spinning runtime. `bench` keeps OpenMP's default: it measures inference as an
 * application linking libcalib8 gets it (the library leaves the policy to the process), and as
 * ONNX Runtime, whose thread pool spins, is measured beside it; its JSON records the policy. */
static void passive_openmp(int argc, char **argv) {
#if defined(__linux__) && defined(_OPENMP)
    if (getenv("OMP_WAIT_POLICY")) return;
    if (argc >= 2 && !strcmp(argv[1], "bench")) return;
    const char *pre = getenv("LD_PRELOAD");
    if (pre && strstr(pre, "vgpreload")) return;
    if (setenv("OMP_WAIT_POLICY", "passive", 1) != 0) return;
    execv("/proc/self/exe", argv);
#else
    (void)argc;
    (void)argv;
#endif
}

int main(int argc, char **argv) {
    passive_openmp(argc, argv);
    if (argc < 2) {
        usage(stderr);
        return C8_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return C8_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("calib8 %s\n", C8_VERSION_STRING);
        return C8_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof k_cmds / sizeof k_cmds[0]; i++)
        if (!strcmp(argv[1], k_cmds[i].name)) return k_cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "calib8: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return C8_EXIT_USAGE;
}
