/* calibrate_build_eval: the calib8 workflow through the public API alone (include/calib8/):
 * calibrate a model on images, build an INT8 engine from the cache, evaluate its top-1/top-5.
 *
 *   calibrate_build_eval MODEL.onnx IMAGES WORKDIR [CALIB_IMAGES]
 *
 * IMAGES is any data set calib8's readers open (an HDF5 file such as `calib8 dataset convert`
 * writes, an image folder, a list file); the preprocessing is Fashion-MNIST's (pixels / 255,
 * mean 0.2860, std 0.3530). The first CALIB_IMAGES (default 500) images, in file order,
 * calibrate; every image is evaluated. The steps are those of
 *
 *   calib8 calibrate --model MODEL --data IMAGES --no-shuffle --images 500 --cache C ...
 *   calib8 build --model MODEL --precision int8 --calib C --plan P
 *   calib8 eval --plan P --data IMAGES ...
 *
 * and give the same numbers (tests/examples checks it). The calibration data comes through a
 * data-source callback (c8_calibrate_source): here it hands on the batches of a calib8 loader,
 * but any code that produces float tensors can stand in its place. Built in CI with the public
 * headers only. */
#include "calib8/calib8.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- the calibration data source: the caller's batches of float tensors ---- */

typedef struct {
    c8_loader *loader; /* (n, 1, 28, 28) float32 batches, preprocessed */
} my_source;

static c8_status next_batch(void *user, c8_host_tensor *inputs, int n_inputs, bool *done,
                            c8_error *err) {
    my_source *src = user;
    const c8_batch *b;
    c8_status s = c8_loader_next(src->loader, &b, err);
    if (s != C8_OK) return s;
    if (!b) {
        *done = true;
        return C8_OK;
    }
    if (n_inputs != 1)
        return c8_error_set(err, C8_ERR_UNSUPPORTED, "this example feeds one image input, not %d",
                            n_inputs);
    inputs[0].dtype = C8_DT_FLOAT; /* inputs[0].name is preset to the model's input name */
    inputs[0].shape = (c8_shape){4, {b->n, b->c, b->h, b->w}};
    inputs[0].data = (void *)b->data; /* borrowed until the next call */
    return C8_OK;
}

static c8_status fashion_mnist_preprocessing(c8_preprocess *pre, c8_error *err) {
    c8_preprocess_init(pre);
    c8_status s = c8_preprocess_set(pre, "scale", "0.00392156862745098", NULL, err);
    if (s == C8_OK) s = c8_preprocess_set(pre, "mean", "0.2860", NULL, err);
    if (s == C8_OK) s = c8_preprocess_set(pre, "std", "0.3530", NULL, err);
    return s;
}

static c8_status open_images(const char *path, int64_t images, c8_dataset **ds, c8_error *err) {
    c8_dataset_spec spec;
    c8_dataset_spec_init(&spec);
    spec.path = path;
    spec.shuffle = false; /* file order: the first `images` calibrate */
    spec.images = images;
    return c8_dataset_open(&spec, ds, err);
}

int main(int argc, char **argv) {
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: %s MODEL.onnx IMAGES WORKDIR [CALIB_IMAGES]\n", argv[0]);
        return 2;
    }
    const char *model_path = argv[1], *images = argv[2], *work = argv[3];
    int64_t calib_images = argc == 5 ? strtoll(argv[4], NULL, 10) : 500;
    char cache_path[4096];
    snprintf(cache_path, sizeof cache_path, "%s/example.cache", work);

    c8_error err = {0};
    c8_model *model = NULL;
    c8_dataset *calib_ds = NULL, *eval_ds = NULL;
    c8_loader *loader = NULL;
    c8_calib_cache *cache = NULL;
    c8_engine *engine = NULL;
    c8_preprocess pre;
    c8_loader_opts lo;
    c8_loader_opts_init(&lo); /* batches of 32 */

    c8_status s = fashion_mnist_preprocessing(&pre, &err);
    if (s == C8_OK) s = c8_model_load(model_path, NULL, &model, &err);
    if (s == C8_OK) s = c8_make_dirs(work, &err);

    /* 1. calibrate: the FP32 model over the calibration images, a cache + sidecar out */
    if (s == C8_OK) s = open_images(images, calib_images, &calib_ds, &err);
    if (s == C8_OK) s = c8_loader_create(calib_ds, &pre, 1, 28, 28, &lo, &loader, &err);
    if (s == C8_OK) {
        my_source mine = {loader};
        c8_calib_source src = {0};
        src.next = next_batch;
        src.user = &mine;
        src.total = c8_dataset_count(calib_ds);
        src.batch_size = lo.batch;
        c8_calibrate_opts co;
        c8_calibrate_opts_init(&co); /* entropy; inputs minmax; 2048 bins; CPU */
        co.progress = C8_PROGRESS_QUIET;
        c8_calibrate_result res;
        s = c8_calibrate_source(model, &src, &co, cache_path, &res, &err);
        if (s == C8_OK)
            printf("calibrated %lld tensors on %lld images: %s\n", (long long)res.tensors,
                   (long long)res.images, cache_path);
    }
    c8_loader_destroy(loader);

    /* 2. build INT8: the cache (checked against the model) is the builder's scale source */
    if (s == C8_OK) s = c8_calib_cache_load_checked(cache_path, model_path, &cache, &err);
    if (s == C8_OK) {
        c8_scale_source scales = c8_calib_cache_scales(cache);
        c8_build_options bo;
        c8_build_options_init(&bo);
        bo.precision = C8_PREC_INT8;
        bo.scales = &scales;
        s = c8_engine_build(model, &bo, &engine, &err);
    }
    if (s == C8_OK) {
        int int8 = 0;
        for (int i = 0; i < c8_engine_num_layers(engine); i++) {
            c8_precision p;
            c8_engine_layer(engine, i, NULL, NULL, &p, NULL);
            int8 += p == C8_PREC_INT8;
        }
        printf("built: %d of %d layers in int8, cache sha256 %s\n", int8,
               c8_engine_num_layers(engine), c8_engine_cache_sha256(engine));
    }

    /* 3. evaluate: top-1 / top-5 over every image */
    if (s == C8_OK) s = open_images(images, -1, &eval_ds, &err);
    if (s == C8_OK) {
        c8_eval_options eo;
        c8_eval_options_init(&eo);
        eo.progress = C8_PROGRESS_QUIET;
        c8_eval_result r;
        s = c8_report_evaluate(engine, eval_ds, &pre, &lo, &eo, &r, &err);
        if (s == C8_OK)
            printf("top-1 %.2f%% (%lld/%lld)  top-5 %.2f%% (%lld/%lld)\n", r.top1,
                   (long long)r.correct_top1, (long long)r.images, r.top5,
                   (long long)r.correct_top5, (long long)r.images);
    }

    c8_engine_destroy(engine);
    c8_calib_cache_destroy(cache);
    c8_dataset_destroy(eval_ds);
    c8_dataset_destroy(calib_ds);
    c8_model_destroy(model);
    if (s != C8_OK) {
        fprintf(stderr, "calibrate_build_eval: error: %s\n", err.msg);
        return 1;
    }
    return 0;
}
