/* calib8 version: version and build configuration. */
#include "calib8/config.h"
#include "tools/cli.h"
#include "tools/commands.h"

#include <stdio.h>
#include <string.h>

int c8_cmd_version(int argc, char **argv) {
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: calib8 version\n\nPrints the calib8 version and whether the CUDA backend "
               "was built.\n");
        return C8_EXIT_OK;
    }
    if (argc > 1) return c8_cli_usage("version", "unexpected argument '%s'", argv[1]);
    printf("calib8 %s (CUDA backend: %s)\n", C8_VERSION_STRING, C8_HAVE_CUDA ? "yes" : "no");
    return C8_EXIT_OK;
}
