/* calib8 command-line tool: dispatches to the subcommands in tools/cmd_*.c. */
#include "calib8/config.h"
#include "tools/cli.h"
#include "tools/commands.h"

#include <stdio.h>
#include <string.h>

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

int main(int argc, char **argv) {
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
