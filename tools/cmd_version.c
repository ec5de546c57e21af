/* calib8 version: version and build configuration. */
#include "calib8/config.h"
#include "calib8/engine.h"
#include "tools/cli.h"
#include "tools/commands.h"

#include <stdio.h>
#include <string.h>

int c8_cmd_version(int argc, char **argv) {
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: calib8 version\n\nPrints the calib8 version, whether the CUDA backend "
               "was built,\nand where its module was loaded from (or why it cannot be).\n");
        return C8_EXIT_OK;
    }
    if (argc > 1) return c8_cli_usage("version", "unexpected argument '%s'", argv[1]);
    printf("calib8 %s (CUDA backend: %s)\n", C8_VERSION_STRING, C8_HAVE_CUDA ? "yes" : "no");
    if (C8_HAVE_CUDA) {
        /* where the backend comes from, or why it cannot be used (docs/cuda.md) */
        const char *where = NULL;
        c8_error err = {0};
        if (c8_device_check(C8_DEVICE_CUDA, &where, &err) == C8_OK)
            printf("CUDA backend module: %s\n", where ? where : "loaded");
        else
            printf("CUDA backend module: not usable: %s\n", err.msg);
    }
    return C8_EXIT_OK;
}
