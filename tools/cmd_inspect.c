/* calib8 inspect: prints a model's graph: inputs, outputs, nodes, shapes, parameters, FLOPs;
 * with --plan, a built engine's placement (every node's device, precision, layout, kernel and
 * the reason for a host step; --json for tools, --strict to refuse host steps).
 * With --passes, runs the graph optimizer (engine/passes/passes.h) on a copy and prints what each
 * pass changed and the optimized graph; with --dot, writes the graph before and after the passes as
 * Graphviz DOT (and SVG when `dot` is installed). */
#include "calib8/engine.h"
#include "tools/cli.h"
#include "tools/cli_io.h"
#include "tools/commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static void usage(FILE *f) {
    fprintf(f,
            "usage: calib8 inspect --model M.onnx [--shape NAME:NxCxHxW] [--passes]\n"
            "                      [--no-pass NAME]... [--dot FILE]\n"
            "       calib8 inspect --plan P [--json] [--strict]\n\n"
            "Prints the graph: inputs and outputs, then every node with its op, output shape,\n"
            "parameter count and FLOPs (for the given or declared shapes), and totals.\n\n"
            "  --model FILE       ONNX model\n"
            "  --shape NAME:DIMS  input extents, each N, MIN..MAX or MIN..OPT..MAX (a range is an\n"
            "                     optimization profile; NAME: optional for one input)\n"
            "  --passes           run the graph optimizer: list every change each pass made, the\n"
            "                     changes per pass and the node counts before and after, then\n"
            "                     print the optimized graph instead of the imported one\n"
            "  --no-pass NAME     disable one pass (repeatable): dead_layers, fold_constants,\n"
            "                     fold_batchnorm, fuse_residual, fuse_activation,\n"
            "                     fuse_horizontal, inplace_concat\n"
            "  --dot FILE         write the graph before and after the passes as Graphviz DOT:\n"
            "                     FILE.before.dot and FILE.after.dot (a trailing .dot in FILE is\n"
            "                     dropped first), and FILE.before.svg / FILE.after.svg when\n"
            "                     Graphviz's `dot` is on PATH\n"
            "  --plan FILE        a plan (calib8 build --plan): print its placement, one line per\n"
            "                     node in execution order: op, precision, role (compute,\n"
            "                     reformat, copy), device (cpu, gpu, or host for a host step of\n"
            "                     a GPU plan), layout of its output, kernel, and the reason for\n"
            "                     a host step; tuned kernels list their candidates' timings\n"
            "  --json             with --plan: the placement as JSON on stdout\n"
            "  --strict           with --plan: fail (exit 1) when some node runs on the host,\n"
            "                     naming each such node and its reason\n"
            "  -h, --help         this help\n\n"
            "Fused layers are labelled with every ONNX node folded into them, e.g.\n"
            "CBR(conv1+bn1+relu1); see docs/passes.md.\n");
}

/* Renders dot_path to svg_path with `dot -Tsvg` (fork/exec, no shell), through a temporary file
 * renamed on success. A missing `dot` is not an error: a note goes to stderr. */
static void render_svg(const char *dot_path, const char *svg_path) {
    size_t len = strlen(svg_path) + 32;
    char *tmp = malloc(len);
    if (!tmp) return;
    snprintf(tmp, len, "%s.tmp.%ld", svg_path, (long)getpid());
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "calib8 inspect: warning: cannot run dot (%s); %s not written\n",
                strerror(errno), svg_path);
        free(tmp);
        return;
    }
    if (pid == 0) {
        execlp("dot", "dot", "-Tsvg", "-o", tmp, dot_path, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        if (rename(tmp, svg_path) == 0)
            fprintf(stderr, "wrote %s\n", svg_path);
        else
            fprintf(stderr, "calib8 inspect: warning: cannot rename %s to %s: %s\n", tmp, svg_path,
                    strerror(errno));
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        fprintf(stderr,
                "calib8 inspect: note: Graphviz 'dot' was not found; %s not written "
                "(the DOT file is there)\n",
                svg_path);
    } else {
        fprintf(stderr, "calib8 inspect: warning: dot failed on %s; %s not written\n", dot_path,
                svg_path);
    }
    remove(tmp);
    free(tmp);
}

/* Writes <base>.before.dot and <base>.after.dot (and .svg) with the passes in `disabled` off. */
static c8_status write_dots(const c8_model *m, const char *base, const char *const *disabled,
                            int n_disabled, c8_error *err) {
    size_t len = strlen(base) + 16;
    char *bd = malloc(len), *ad = malloc(len), *bs = malloc(len), *as = malloc(len);
    c8_status s = C8_OK;
    if (!bd || !ad || !bs || !as) {
        err->code = C8_ERR_NOMEM;
        snprintf(err->msg, sizeof err->msg, "out of memory");
        s = C8_ERR_NOMEM;
    } else {
        snprintf(bd, len, "%s.before.dot", base);
        snprintf(ad, len, "%s.after.dot", base);
        snprintf(bs, len, "%s.before.svg", base);
        snprintf(as, len, "%s.after.svg", base);
        s = c8_model_write_dot(m, disabled, n_disabled, bd, ad, err);
    }
    if (s == C8_OK) {
        fprintf(stderr, "wrote %s\n", bd);
        render_svg(bd, bs);
        fprintf(stderr, "wrote %s\n", ad);
        render_svg(ad, as);
    }
    free(bd);
    free(ad);
    free(bs);
    free(as);
    return s;
}

/* --plan: the placement of a built engine. */
static int inspect_plan(const char *path, bool json, bool strict) {
    c8_error err = {0};
    c8_engine *e = NULL;
    c8_status s = c8_engine_load_description(path, &e, &err); /* no device needed */
    if (s != C8_OK) return c8_cli_fail(&err);
    if (json)
        c8_engine_write_placement_json(e, stdout);
    else
        c8_engine_print_placement(e, stdout);
    fflush(stdout);
    if (strict) s = c8_engine_check_no_host(e, "--strict", &err);
    c8_engine_destroy(e);
    return s == C8_OK ? C8_EXIT_OK : c8_cli_fail(&err);
}

int c8_cmd_inspect(int argc, char **argv) {
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},   {"passes", no_argument, 0, 'p'},
        {"no-pass", required_argument, 0, 'n'}, {"dot", required_argument, 0, 'd'},
        {"plan", required_argument, 0, 'P'},    {"json", no_argument, 0, 'j'},
        {"strict", no_argument, 0, 'S'},        {"help", no_argument, 0, 'h'},
        C8_CLI_SHAPE_OPTIONS{0, 0, 0, 0}};
    const char *model_path = NULL, *dot_file = NULL, *plan_path = NULL;
    bool passes = false, json = false, strict = false;
    const char *disabled[32];
    int n_disabled = 0;
    c8_cli_shape shapes[C8_CLI_MAX_SHAPES];
    int n_shapes = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int shape_rc;
        if (c8_cli_shape_option("inspect", c, optarg, shapes, &n_shapes, &shape_rc)) {
            if (shape_rc) return shape_rc;
            continue;
        }
        switch (c) {
        case 'm': model_path = optarg; break;
        case 'p': passes = true; break;
        case 'n':
            if (!c8_model_pass_known(optarg))
                return c8_cli_usage("inspect", "unknown pass '%s' for --no-pass", optarg);
            if (n_disabled == (int)(sizeof disabled / sizeof disabled[0]))
                return c8_cli_usage("inspect", "too many --no-pass options");
            disabled[n_disabled++] = optarg;
            break;
        case 'd': dot_file = optarg; break;
        case 'P': plan_path = optarg; break;
        case 'j': json = true; break;
        case 'S': strict = true; break;
        case 'h': usage(stdout); return C8_EXIT_OK;
        default: return c8_cli_usage("inspect", "unknown option");
        }
    }
    if (optind < argc) return c8_cli_usage("inspect", "unexpected argument '%s'", argv[optind]);
    if (plan_path) {
        if (model_path || passes || dot_file || n_shapes)
            return c8_cli_usage("inspect", "--plan cannot be combined with --model, --shape, "
                                           "--passes or --dot");
        return inspect_plan(plan_path, json, strict);
    }
    if (json || strict) return c8_cli_usage("inspect", "--json and --strict need --plan");
    if (!model_path) return c8_cli_usage("inspect", "--model or --plan is required");
    if (dot_file && !*dot_file) return c8_cli_usage("inspect", "--dot needs a file name");
    if (dot_file) {
        /* <base>.before.dot/.svg and <base>.after.dot/.svg, base = FILE without ".dot" */
        size_t bl = strlen(dot_file);
        int keep = bl > 4 && !strcmp(dot_file + bl - 4, ".dot") ? (int)bl - 4 : (int)bl;
        static const char *const tags[] = {"before.dot", "before.svg", "after.dot", "after.svg"};
        c8_cli_io io;
        c8_cli_io_init(&io, "inspect");
        c8_cli_io_in(&io, "--model", model_path);
        for (int i = 0; i < 4; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%.*s.%s", keep, dot_file, tags[i]);
            c8_cli_io_out(&io, "--dot", path);
        }
        int rc = c8_cli_io_check(&io);
        c8_cli_io_free(&io);
        if (rc) return rc;
    }
    c8_error err = {0};
    c8_model *m = NULL;
    c8_status s = c8_model_load(model_path, NULL, &m, &err);
    if (s == C8_OK) s = c8_cli_apply_shapes(m, shapes, n_shapes, &err);
    if (s != C8_OK) {
        c8_model_destroy(m);
        return c8_cli_fail(&err);
    }
    if (!passes) c8_model_print(m, stdout);
    if (!passes && !dot_file) {
        c8_model_destroy(m);
        return C8_EXIT_OK;
    }
    char *base = NULL;
    if (dot_file) {
        base = strdup(dot_file);
        if (!base) {
            c8_model_destroy(m);
            fprintf(stderr, "calib8: error: out of memory\n");
            return C8_EXIT_FAIL;
        }
        size_t bl = strlen(base);
        if (bl > 4 && !strcmp(base + bl - 4, ".dot")) base[bl - 4] = '\0';
        s = write_dots(m, base, disabled, n_disabled, &err);
    }
    if (s == C8_OK && passes) s = c8_model_print_passes(m, disabled, n_disabled, stdout, &err);
    free(base);
    c8_model_destroy(m);
    if (s != C8_OK) return c8_cli_fail(&err);
    return C8_EXIT_OK;
}
