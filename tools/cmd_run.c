/* calib8 run: runs a model (or plan) on input files (.npy, .pb tensors, or PNG / JPEG images
 * preprocessed as the plan records or the flags say) and writes its outputs as .npy. */
#include "calib8/dataset.h"
#include "calib8/engine.h"
#include "calib8/util.h"
#include "tools/cli.h"
#include "tools/cli_finite.h"
#include "tools/cli_io.h"
#include "tools/commands.h"
#include "tools/dataset_opts.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_INPUTS 32

static void usage(FILE *f) {
    fprintf(
        f,
        "usage: calib8 run --model M.onnx | --plan P --input [NAME=]FILE [--input ...]\n"
        "                  --output-dir DIR [--shape NAME:NxCxHxW] [--dump-all] [--no-passes]\n\n"
        "Runs the model with the FP32 reference engine (or a built plan, no ONNX file needed)\n"
        "and writes every graph output as DIR/<output name>.npy (C order; names made\n"
        "file-safe).\n\n"
        "  --model FILE       ONNX model (built here: FP32 on the CPU)\n"
        "  --plan FILE        a plan from calib8 build (its device and precisions)\n"
        "  --no-passes        build the model without the graph optimizer\n"
        "  --input NAME=FILE  input tensor from a .npy or ONNX TensorProto .pb file, or an\n"
        "                     image (.png, .jpg, .jpeg: a batch of one, preprocessed to the\n"
        "                     input's C x H x W as the plan records or the flags below\n"
        "                     say); a single-input model may omit NAME=\n"
        "  --output-dir DIR   where outputs go (created if missing)\n"
        "  --shape NAME:DIMS  input extents, each N, MIN..MAX or MIN..OPT..MAX (a range is an\n"
        "                     optimization profile; NAME: optional for one input)\n"
        "  --dump-all         also write every intermediate tensor, with DIR/tensors.json\n"
        "                     mapping tensor names to files (with --model, the graph passes\n"
        "                     are off so every tensor the ONNX file names is written)\n"
        "  --allow-nonfinite  write outputs holding NaN or Inf with a warning (default:\n"
        "                     an error after writing nothing)\n"
        "  --max-memory SIZE  refuse inputs whose activation memory would exceed SIZE (8G,\n"
        "                     512M; 0 or none: no limit; default: MemAvailable)\n"
        "  --threads N        CPU threads (default: all cores, or OMP_NUM_THREADS); the\n"
        "                     outputs do not depend on N (docs/cli.md, \"Threads\")\n"
        "  -h, --help         this help\n");
    c8_preprocess_opts_help(f);
}

static int ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static int is_image(const char *path) {
    const char *dot = strrchr(path, '.');
    return dot &&
           (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg"));
}

/* An image FILE for input `name` (NULL: the only one) of the model or engine: decoded and
 * preprocessed by pre into a (1, C, H, W) float32 tensor (t->data malloc'd). Where the input
 * leaves H or W dynamic, the image keeps its own size after preprocessing (inside the profile,
 * when there is one; the engine then checks the batch). */
static c8_status load_image(const c8_model *m, const c8_engine *e, const char *name,
                            const char *file, const c8_preprocess *pre, c8_host_tensor *t,
                            c8_error *err) {
    int n = m ? c8_model_num_inputs(m) : c8_engine_num_inputs(e);
    const char *in_name = NULL;
    c8_dtype dt = C8_DT_FLOAT;
    c8_shape sh = {0}, lo, hi;
    bool prof = false;
    for (int i = 0; i < n && !in_name; i++) {
        const char *nm;
        if (m)
            c8_model_input(m, i, &nm, &dt, &sh);
        else
            c8_engine_input(e, i, &nm, &dt, &sh);
        if (name ? !strcmp(nm, name) : n == 1) {
            in_name = nm;
            prof = m ? c8_model_input_profile(m, i, &lo, NULL, &hi)
                     : c8_engine_input_profile(e, i, &lo, NULL, &hi);
        }
    }
    if (!in_name) return c8_err(err, C8_ERR_INVALID, "%s: no input called '%s'", file, name);
    char sb[96];
    const bool own_size = sh.rank == 4 && (sh.d[2] < 0 || sh.d[3] < 0);
    if (dt != C8_DT_FLOAT || sh.rank != 4 || sh.d[1] <= 0 || (sh.d[0] >= 0 && sh.d[0] != 1))
        return c8_err(err, C8_ERR_INVALID,
                      "%s: input '%s' is %s %s; an image feeds a float32 1 x C x H x W input "
                      "whose C, H and W are known (give them with --shape)",
                      file, in_name, c8_dtype_name(dt), c8_shape_str(&sh, sb, sizeof sb));
    int64_t c = sh.d[1], h = sh.d[2], w = sh.d[3];
    if (!own_size) C8_TRY(c8_preprocess_check(pre, c, h, w, err));
    c8_image img;
    C8_TRY(c8_image_read(file, &img, err));
    c8_status s = C8_OK;
    if (own_size) {
        s = c8_preprocess_output_size(pre, img.h, img.w, file, &h, &w, err);
        if (s == C8_OK && prof && lo.rank == 4 &&
            (h < lo.d[2] || h > hi.d[2] || w < lo.d[3] || w > hi.d[3]))
            s = c8_err(err, C8_ERR_SHAPE,
                       "%s: image is %lldx%lld after preprocessing (decoded %lldx%lld), outside "
                       "the profile's H %lld..%lld, W %lld..%lld of input '%s'",
                       file, (long long)h, (long long)w, (long long)img.h, (long long)img.w,
                       (long long)lo.d[2], (long long)hi.d[2], (long long)lo.d[3],
                       (long long)hi.d[3], in_name);
        if (s != C8_OK) {
            c8_image_free(&img);
            return s;
        }
    }
    float *data = malloc((size_t)(c * h * w) * sizeof *data);
    s = data ? c8_preprocess_apply(pre, &img, file, c, h, w, data, err)
             : c8_err(err, C8_ERR_NOMEM, "out of memory");
    c8_image_free(&img);
    if (s != C8_OK) {
        free(data);
        return s;
    }
    t->dtype = C8_DT_FLOAT;
    t->shape = (c8_shape){4, {1, c, h, w}};
    t->data = data;
    return C8_OK;
}

/* Loads FILE (.npy or .pb) into t (t->data malloc'd). */
static c8_status load_input(const char *path, c8_host_tensor *t, c8_error *err) {
    if (ends_with(path, ".pb")) return c8_tensor_read_onnx(path, t, err);
    return c8_tensor_read_npy(path, t, err);
}

static c8_status write_tensor(const char *dir, const char *file, const c8_host_tensor *t,
                              c8_error *err) {
    char *path = c8_path_in_folder(dir, file);
    if (!path) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    c8_status s = c8_tensor_write_npy(path, t, err);
    free(path);
    return s;
}

/* --dump-all: every observed tensor goes to a file as it is produced. */
typedef struct dump_state {
    const c8_cli_io *io; /* the command's inputs: never written over */
    const char *dir;
    char **names; /* tensor names */
    char **files; /* file names */
    int n, cap;
} dump_state;

static int file_taken(const dump_state *d, const char *f) {
    for (int i = 0; i < d->n; i++)
        if (!strcmp(d->files[i], f)) return 1;
    return 0;
}

static c8_status dump_observer(void *user, const char *name, const c8_host_tensor *t,
                               c8_error *err) {
    dump_state *d = user;
    if (d->n == d->cap) {
        int nc = d->cap ? d->cap * 2 : 64;
        char **nn = realloc(d->names, (size_t)nc * sizeof *nn);
        if (!nn) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        d->names = nn;
        char **nf = realloc(d->files, (size_t)nc * sizeof *nf);
        if (!nf) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        d->files = nf;
        d->cap = nc;
    }
    char *safe = c8_cli_safe_name(name);
    if (!safe) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    size_t len = strlen(safe) + 32;
    char *file = malloc(len);
    if (!file) {
        free(safe);
        return c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    snprintf(file, len, "%s.npy", safe);
    for (int k = 1; file_taken(d, file); k++) snprintf(file, len, "%s_%d.npy", safe, k);
    free(safe);
    char *full = c8_path_in_folder(d->dir, file);
    c8_status s = full ? c8_cli_io_check_late(d->io, "--dump-all", full, err)
                       : c8_err(err, C8_ERR_NOMEM, "out of memory");
    free(full);
    if (s == C8_OK) s = write_tensor(d->dir, file, t, err);
    if (s != C8_OK) {
        free(file);
        return s;
    }
    d->names[d->n] = strdup(name);
    d->files[d->n] = file;
    if (!d->names[d->n]) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    d->n++;
    return C8_OK;
}

/* tensors.json: {"tensor name": "file.npy", ...}, one entry a line. */
static c8_status write_tensor_map(const dump_state *d, c8_error *err) {
    char *path = c8_path_in_folder(d->dir, "tensors.json");
    if (!path) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    c8_output *f;
    c8_status s = c8_output_open(path, &f, err);
    if (s == C8_OK) {
        FILE *fp = c8_output_fp(f);
        fputc('{', fp);
        for (int i = 0; i < d->n; i++) {
            fputs(i ? ",\n  " : "\n  ", fp);
            c8_output_json_string(fp, d->names[i]);
            fputs(": ", fp);
            c8_output_json_string(fp, d->files[i]);
        }
        fputs(d->n ? "\n}\n" : "}\n", fp);
        s = c8_output_commit(f, err);
    }
    free(path);
    return s;
}

int c8_cmd_run(int argc, char **argv) {
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},
        {"input", required_argument, 0, 'i'},
        {"output-dir", required_argument, 0, 'o'},
        {"dump-all", no_argument, 0, 'd'},
        {"plan", required_argument, 0, 'p'},
        {"no-passes", no_argument, 0, 'n'},
        {"max-memory", required_argument, 0, 'M'},
        {"allow-nonfinite", no_argument, 0, 'F'},
        {"threads", required_argument, 0, 'T'},
        {"help", no_argument, 0, 'h'},
        C8_CLI_SHAPE_OPTIONS C8_PREPROCESS_LONG_OPTIONS{0, 0, 0, 0}};
    c8_dataset_opts dso;
    c8_dataset_opts_init(&dso);
    const char *model_path = NULL, *out_dir = NULL, *plan_path = NULL;
    int no_passes = 0, allow_nonfinite = 0, threads = 0;
    const char *inputs[MAX_INPUTS];
    int n_inputs = 0, dump_all = 0, n_shapes = 0;
    uint64_t max_memory = c8_cli_default_max_memory();
    c8_cli_shape shapes[C8_CLI_MAX_SHAPES];
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int shape_rc;
        if (c8_cli_shape_option("run", c, optarg, shapes, &n_shapes, &shape_rc)) {
            if (shape_rc) return shape_rc;
            continue;
        }
        c8_error pe = {0};
        if (c8_dataset_opts_handle(&dso, c, optarg, &pe)) {
            if (pe.code) return c8_cli_fail(&pe);
            continue;
        }
        switch (c) {
        case 'm': model_path = optarg; break;
        case 'i':
            if (n_inputs == MAX_INPUTS) return c8_cli_usage("run", "too many --input options");
            inputs[n_inputs++] = optarg;
            break;
        case 'o': out_dir = optarg; break;
        case 'd': dump_all = 1; break;
        case 'p': plan_path = optarg; break;
        case 'n': no_passes = 1; break;
        case 'F': allow_nonfinite = 1; break;
        case 'M':
            if (!c8_cli_parse_max_memory(optarg, &max_memory))
                return c8_cli_usage("run", "bad --max-memory '%s'", optarg);
            break;
        case 'T':
            if (!c8_cli_parse_threads(optarg, &threads))
                return c8_cli_usage("run", "bad --threads '%s' (1 to 4096)", optarg);
            break;
        case 'h': usage(stdout); return C8_EXIT_OK;
        default: return c8_cli_usage("run", "unknown option");
        }
    }
    if (optind < argc) return c8_cli_usage("run", "unexpected argument '%s'", argv[optind]);
    if (!model_path == !plan_path)
        return c8_cli_usage("run", "give exactly one of --model, --plan");
    if (!out_dir) return c8_cli_usage("run", "--output-dir is required");
    if (n_inputs == 0) return c8_cli_usage("run", "at least one --input is required");
    /* options without an effect here are errors (docs/cli.md) */
    if (plan_path && (no_passes || n_shapes))
        return c8_cli_usage("run",
                            "%s has no effect with --plan: the plan was built with its "
                            "passes and shapes (rebuild it, or use --model)",
                            no_passes ? "--no-passes" : "--shape");
    int n_images = 0;
    for (int i = 0; i < n_inputs; i++) {
        const char *eq = strchr(inputs[i], '=');
        n_images += is_image(eq ? eq + 1 : inputs[i]);
    }
    if (c8_dataset_opts_pre_given(&dso) && n_images == 0)
        return c8_cli_usage("run", "the preprocessing flags have no effect: no --input is an "
                                   "image (.png, .jpg, .jpeg)");
    if (no_passes && dump_all)
        return c8_cli_usage("run", "--no-passes has no effect with --dump-all (which always "
                                   "builds without the graph passes)");
    c8_cli_io io;
    c8_cli_io_init(&io, "run");
    c8_cli_io_in(&io, "--model", model_path);
    c8_cli_io_in(&io, "--plan", plan_path);
    for (int i = 0; i < n_inputs; i++) {
        const char *eq = strchr(inputs[i], '=');
        c8_cli_io_in(&io, "--input", eq ? eq + 1 : inputs[i]);
    }
    c8_cli_io_out_dir(&io, "--output-dir", out_dir);
    c8_cli_io_out_in_dir(&io, "--output-dir", out_dir, "tensors.json");
    {
        int rc0 = c8_cli_io_check(&io);
        if (rc0) {
            c8_cli_io_free(&io);
            return rc0;
        }
    }

    c8_error err = {0};
    c8_model *model = NULL;
    c8_engine *eng = NULL;
    c8_context *ctx = NULL;
    c8_host_tensor in[MAX_INPUTS];
    char *names[MAX_INPUTS] = {0};
    memset(in, 0, sizeof in);
    dump_state dump = {&io, out_dir, NULL, NULL, 0, 0};
    c8_cli_nonfinite nf;
    c8_cli_nonfinite_init(&nf);
    int rc = C8_EXIT_OK;
    c8_status s = C8_OK;
    if (plan_path)
        s = c8_engine_load(plan_path, &eng, &err);
    else
        s = c8_model_load(model_path, NULL, &model, &err);
    if (s == C8_OK && model) s = c8_cli_apply_shapes(model, shapes, n_shapes, &err);
    if (s == C8_OK && n_images) s = c8_dataset_opts_finish(&dso, &err);
    /* images: the plan's recorded preprocessing unless the flags say otherwise */
    if (s == C8_OK && n_images && eng)
        c8_dataset_opts_adopt(&dso, c8_engine_preprocessing(eng), plan_path);
    if (s != C8_OK) goto fail;
    int n_model_inputs = model ? c8_model_num_inputs(model) : c8_engine_num_inputs(eng);
    for (int i = 0; i < n_inputs; i++) {
        const char *spec = inputs[i], *file = spec;
        const char *eq = strchr(spec, '=');
        if (eq) {
            names[i] = strndup(spec, (size_t)(eq - spec));
            file = eq + 1;
        } else if (n_model_inputs != 1 || n_inputs != 1) {
            rc = c8_cli_usage("run", "--input '%s' needs NAME= (the model has %d inputs)", spec,
                              n_model_inputs);
            goto out;
        }
        if (is_image(file))
            s = load_image(model, eng, names[i], file, &dso.pre, &in[i], &err);
        else
            s = load_input(file, &in[i], &err);
        if (s != C8_OK) goto fail;
        in[i].name = names[i];
        /* a shape given by file pins the model's dynamic extents, unless a profile (--shape
         * with a range) keeps them: then the engine checks the file's shape against it */
        int at = model ? (names[i] ? c8_model_find_input(model, names[i]) : 0) : -1;
        if (model && !c8_model_input_profile(model, at, NULL, NULL, NULL))
            s = c8_model_set_input_shape(model, names[i], &in[i].shape, &err);
        if (s != C8_OK) {
            c8_err_prefix(&err, "%s", file);
            goto fail;
        }
    }
    s = c8_make_dirs(out_dir, &err);
    if (s == C8_OK && model) {
        c8_build_options bo;
        c8_build_options_init(&bo);
        bo.passes = !no_passes && !dump_all;
        s = c8_engine_build(model, &bo, &eng, &err);
    }
    if (s == C8_OK) s = c8_context_create(eng, &ctx, &err);
    if (s == C8_OK) c8_context_set_max_memory(ctx, max_memory);
    if (s == C8_OK && threads) c8_context_set_threads(ctx, threads);
    if (s == C8_OK && dump_all)
        s = c8_context_set_observer(ctx, dump_observer, &dump, NULL, 0, &err);
    /* the output files are known now: none may be an input (before anything is run) */
    for (int i = 0; s == C8_OK && i < c8_engine_num_outputs(eng); i++) {
        const char *oname;
        c8_dtype odt;
        c8_shape osh;
        c8_engine_output(eng, i, &oname, &odt, &osh);
        char *safe = c8_cli_safe_name(oname);
        size_t len = safe ? strlen(safe) + 8 : 0;
        char *file = safe ? malloc(len) : NULL, *full = NULL;
        if (file) snprintf(file, len, "%s.npy", safe);
        full = file ? c8_path_in_folder(out_dir, file) : NULL;
        s = full ? c8_cli_io_check_late(&io, "--output-dir", full, &err)
                 : c8_err(&err, C8_ERR_NOMEM, "out of memory");
        free(safe);
        free(file);
        free(full);
    }
    if (s == C8_OK) s = c8_context_run(ctx, in, n_inputs, &err);
    for (int i = 0; s == C8_OK && i < c8_engine_num_outputs(eng); i++) {
        c8_host_tensor t;
        s = c8_context_output(ctx, i, &t, &err);
        if (s == C8_OK && t.dtype == C8_DT_FLOAT)
            c8_cli_nonfinite_scan(&nf, t.data, c8_shape_numel(&t.shape), inputs[0], 0);
    }
    if (s == C8_OK)
        s = c8_cli_nonfinite_finish(&nf, plan_path ? plan_path : model_path, allow_nonfinite, &err);
    if (s != C8_OK) goto fail;
    for (int i = 0; i < c8_engine_num_outputs(eng); i++) {
        c8_host_tensor t;
        s = c8_context_output(ctx, i, &t, &err);
        if (s != C8_OK) goto fail;
        char *safe = c8_cli_safe_name(t.name);
        size_t len = strlen(safe) + 8;
        char *file = malloc(len);
        snprintf(file, len, "%s.npy", safe);
        s = write_tensor(out_dir, file, &t, &err);
        printf("%s -> %s/%s\n", t.name, out_dir, file);
        free(safe);
        free(file);
        if (s != C8_OK) goto fail;
    }
    if (dump_all) {
        s = write_tensor_map(&dump, &err);
        if (s != C8_OK) goto fail;
        printf("%d tensors dumped; map in %s/tensors.json\n", dump.n, out_dir);
    }
    goto out;
fail:
    rc = c8_cli_fail(&err);
out:
    c8_cli_io_free(&io);
    for (int i = 0; i < dump.n; i++) {
        free(dump.names[i]);
        free(dump.files[i]);
    }
    free(dump.names);
    free(dump.files);
    for (int i = 0; i < n_inputs; i++) {
        c8_host_tensor_free(&in[i]);
        free(names[i]);
    }
    c8_context_destroy(ctx);
    c8_engine_destroy(eng);
    c8_model_destroy(model);
    return rc;
}
