/* calib8 inspect: prints a model's graph: inputs, outputs, nodes, shapes, parameters, FLOPs. */
#include "calib8/engine.h"
#include "tools/cli.h"
#include "tools/commands.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f, "usage: calib8 inspect --model M.onnx [--shape NAME:NxCxHxW]\n\n"
               "Prints the graph: inputs and outputs, then every node with its op, output shape,\n"
               "parameter count and FLOPs (for the given or declared shapes), and totals.\n\n"
               "  --model FILE       ONNX model\n"
               "  --shape NAME:DIMS  pin a dynamic input shape (NAME: optional for one input)\n"
               "  -h, --help         this help\n");
}

int c8_cmd_inspect(int argc, char **argv) {
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"shape", required_argument, 0, 's'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *model_path = NULL;
    c8_cli_shape shapes[C8_CLI_MAX_SHAPES];
    int n_shapes = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model_path = optarg; break;
        case 's':
            if (n_shapes == C8_CLI_MAX_SHAPES)
                return c8_cli_usage("inspect", "too many --shape options");
            if (!c8_cli_parse_shape(optarg, &shapes[n_shapes++]))
                return c8_cli_usage("inspect", "bad --shape '%s' (expected NAME:NxCxHxW)", optarg);
            break;
        case 'h': usage(stdout); return C8_EXIT_OK;
        default: return c8_cli_usage("inspect", "unknown option");
        }
    }
    if (optind < argc) return c8_cli_usage("inspect", "unexpected argument '%s'", argv[optind]);
    if (!model_path) return c8_cli_usage("inspect", "--model is required");
    c8_error err = {0};
    c8_model *m = NULL;
    c8_status s = c8_model_load(model_path, NULL, &m, &err);
    if (s == C8_OK) s = c8_cli_apply_shapes(m, shapes, n_shapes, &err);
    if (s != C8_OK) {
        c8_model_destroy(m);
        return c8_cli_fail(&err);
    }
    c8_model_print(m, stdout);
    c8_model_destroy(m);
    return C8_EXIT_OK;
}
