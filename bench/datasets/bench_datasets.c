/* Benchmark (not a test): decode + preprocess throughput of the datasets module.
 *
 *   1. 28x28 gray PNGs: Fashion-MNIST t10k converted with c8_idx_convert (synthetic IDX when the
 *      Debian package is absent), preprocessed for a 1x28x28 model (scale, mean, std).
 *   2. 224x224 "imagenet" preset on JPEGs: a few hundred synthetic photo-like JPEGs (gradients,
 *      blobs and noise; 256x340 to 375x500, quality 90) written here with libjpeg.
 * Per-core numbers run on the calling thread with the production code (c8_dataset_read_item +
 * c8_preprocess_run), timed in thread CPU time; the loader rows (wall time) run the background
 * thread against a simulated engine that needs a fixed time per image, and report how long that
 * engine waited for data.
 *
 * usage: bench_datasets [WORKDIR]   (default /tmp/calib8-bench-datasets; rebuilt each run) */
#include "calib8/dataset.h"
#include "datasets/preprocess.h"
#include "datasets/source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jpeglib.h>
#include <zlib.h>

#define FM_IMAGES "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
#define FM_LABELS "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"
#define N_JPEG 300

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU time of the calling thread: "per core" numbers stay meaningful on a shared machine. */
static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(const c8_error *e) {
    fprintf(stderr, "bench_datasets: %s\n", e->msg);
    exit(1);
}

static uint64_t rng_next(uint64_t *s) { return c8_splitmix64(s); }

/* Synthetic IDX (only when Fashion-MNIST is not installed). */
static void write_fake_idx(const char *img, const char *lab) {
    uint64_t s = 1;
    gzFile f = gzopen(img, "wb1");
    unsigned char h[16] = {0, 0, 8, 3, 0, 0, 0x27, 0x10, 0, 0, 0, 28, 0, 0, 0, 28};
    gzwrite(f, h, 16);
    unsigned char px[784];
    for (int i = 0; i < 10000; i++) {
        for (int k = 0; k < 784; k++) px[k] = (unsigned char)(rng_next(&s) & 0xff);
        gzwrite(f, px, 784);
    }
    gzclose(f);
    f = gzopen(lab, "wb1");
    unsigned char hl[8] = {0, 0, 8, 1, 0, 0, 0x27, 0x10};
    gzwrite(f, hl, 8);
    for (int i = 0; i < 10000; i++) {
        unsigned char l = (unsigned char)(i % 10);
        gzwrite(f, &l, 1);
    }
    gzclose(f);
}

/* A photo-like RGB picture: smooth gradients, a few soft blobs, sensor-like noise. */
static void picture(unsigned char *px, int w, int h, uint64_t *s) {
    double cx[4], cy[4], r[4], col[4][3];
    for (int b = 0; b < 4; b++) {
        cx[b] = (double)(rng_next(s) % (uint64_t)w);
        cy[b] = (double)(rng_next(s) % (uint64_t)h);
        r[b] = 20 + (double)(rng_next(s) % 80);
        for (int k = 0; k < 3; k++) col[b][k] = (double)(rng_next(s) % 200) - 100;
    }
    double g0 = (double)(rng_next(s) % 100), g1 = (double)(rng_next(s) % 100);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int k = 0; k < 3; k++) {
                double v = g0 + (double)x * 120.0 / w + (double)y * g1 / h + 30 * k;
                for (int b = 0; b < 4; b++) {
                    double dx = x - cx[b], dy = y - cy[b], d2 = (dx * dx + dy * dy) / (r[b] * r[b]);
                    if (d2 < 4) v += col[b][k] * (1 - d2 / 4);
                }
                v += (double)(rng_next(s) % 13) - 6;
                px[((size_t)y * w + x) * 3 + k] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
}

static void write_jpeg(const char *path, const unsigned char *px, int w, int h) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "bench_datasets: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 90, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(px + (size_t)c.next_scanline * w * 3);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(f);
}

typedef struct result {
    double s_total, s_decode; /* seconds for all images; of which reading + decoding */
    int64_t n;
} result;

/* Single thread: read + decode every selected image, then preprocess it; `reps` passes. */
static result per_core(const c8_dataset *ds, const c8_preprocess *p, int64_t c, int64_t h,
                       int64_t w, int reps) {
    c8_item_buf ib = {0};
    c8_pre_scratch sc = {0};
    float *out = malloc(sizeof(float) * (size_t)(c * h * w));
    result r = {0, 0, 0};
    c8_error e = {0};
    for (int rep = 0; rep < reps; rep++)
        for (int64_t i = 0; i < c8_dataset_count(ds); i++) {
            c8_src_image src;
            double t0 = cpu_s();
            if (c8_dataset_read_item(ds, i, &ib, &src, &e) != C8_OK) die(&e);
            double t1 = cpu_s();
            if (c8_preprocess_run(p, &src, ib.path, c, h, w, out, &sc, &e) != C8_OK) die(&e);
            double t2 = cpu_s();
            r.s_decode += t1 - t0;
            r.s_total += t2 - t0;
            r.n++;
        }
    c8_item_buf_free(&ib);
    c8_pre_scratch_free(&sc);
    free(out);
    return r;
}

/* The loader against an engine that needs `engine_s_per_img` per image (busy-waits). */
static void loader_run(const c8_dataset *ds, const c8_preprocess *p, int64_t c, int64_t h,
                       int64_t w, int64_t batch, double engine_s_per_img, double *img_s,
                       double *wait_frac, double *wait_after_first) {
    c8_loader_opts o;
    c8_loader_opts_init(&o);
    o.batch = batch;
    c8_loader *l;
    c8_error e = {0};
    double t0 = now_s();
    if (c8_loader_create(ds, p, c, h, w, &o, &l, &e) != C8_OK) die(&e);
    const c8_batch *b;
    int64_t n = 0;
    volatile double sink = 0;
    double first_wait = -1;
    for (;;) {
        double tw = now_s();
        if (c8_loader_next(l, &b, &e) != C8_OK || !b) break;
        if (first_wait < 0) first_wait = now_s() - tw;
        double until = now_s() + engine_s_per_img * (double)b->n;
        sink += b->data[0];
        while (now_s() < until) {}
        n += b->n;
    }
    if (e.code) die(&e);
    double el = now_s() - t0;
    *img_s = (double)n / el;
    *wait_frac = c8_loader_wait_seconds(l) / el;
    double after = c8_loader_wait_seconds(l) - first_wait;
    *wait_after_first = (after > 0 ? after : 0) / el;
    c8_loader_destroy(l);
    (void)sink;
}

static void row(const char *what, int64_t n, const result *r) {
    double ips = (double)r->n / r->s_total;
    printf("| %-44s | %6lld | %9.0f | %8.3f | %6.0f%% |\n", what, (long long)n, ips,
           1e3 * r->s_total / (double)r->n, 100.0 * r->s_decode / r->s_total);
}

int main(int argc, char **argv) {
    const char *work = argc > 1 ? argv[1] : "/tmp/calib8-bench-datasets";
    char p_fm[1024], p_h5[1024], p_jpg[1024], img[1100], lab[1100];
    snprintf(p_fm, sizeof p_fm, "%s/fmnist", work);
    snprintf(p_h5, sizeof p_h5, "%s/fmnist.h5", work);
    snprintf(p_jpg, sizeof p_jpg, "%s/jpeg", work);
    mkdir(work, 0777);
    c8_error e = {0};
    int real = access(FM_IMAGES, R_OK) == 0 && access(FM_LABELS, R_OK) == 0;
    if (real) {
        snprintf(img, sizeof img, "%s", FM_IMAGES);
        snprintf(lab, sizeof lab, "%s", FM_LABELS);
    } else {
        snprintf(img, sizeof img, "%s/fake-images.gz", work);
        snprintf(lab, sizeof lab, "%s/fake-labels.gz", work);
        write_fake_idx(img, lab);
    }
    c8_idx_convert_opts co;
    c8_idx_convert_opts_init(&co);
    co.images_path = img;
    co.labels_path = lab;
    co.force = true;
    co.out_path = p_fm;
    double t0 = now_s();
    int64_t nconv;
    if (c8_idx_convert(&co, &nconv, &e) != C8_OK) die(&e);
    double t_conv = now_s() - t0;
    co.out_path = p_h5;
    if (c8_idx_convert(&co, &nconv, &e) != C8_OK) die(&e);

    /* synthetic JPEGs, root/<class>/<i>.jpg */
    static const int sizes[4][2] = {{256, 340}, {300, 400}, {333, 500}, {375, 500}};
    uint64_t s = 42;
    mkdir(p_jpg, 0777);
    unsigned char *px = malloc(375 * 500 * 3);
    long jbytes = 0;
    for (int i = 0; i < N_JPEG; i++) {
        char dir[1200], path[1300];
        snprintf(dir, sizeof dir, "%s/c%d", p_jpg, i % 4);
        mkdir(dir, 0777);
        snprintf(path, sizeof path, "%s/%04d.jpg", dir, i);
        int h = sizes[i % 4][0], w = sizes[i % 4][1];
        if (i % 8 >= 4) { /* some portrait */
            int t = h;
            h = w;
            w = t;
        }
        picture(px, w, h, &s);
        write_jpeg(path, px, w, h);
        struct stat st;
        if (stat(path, &st) == 0) jbytes += (long)st.st_size;
    }
    free(px);

    c8_dataset_spec sp;
    c8_dataset_spec_init(&sp);
    c8_dataset *fm, *fm5, *jp;
    sp.path = p_fm;
    if (c8_dataset_open(&sp, &fm, &e) != C8_OK) die(&e);
    sp.path = p_h5;
    if (c8_dataset_open(&sp, &fm5, &e) != C8_OK) die(&e);
    sp.path = p_jpg;
    if (c8_dataset_open(&sp, &jp, &e) != C8_OK) die(&e);

    c8_preprocess pm, pin;
    c8_preprocess_init(&pm);
    c8_preprocess_set(&pm, "scale", "1/255", NULL, &e);
    c8_preprocess_set(&pm, "mean", "0.2860", NULL, &e);
    c8_preprocess_set(&pm, "std", "0.3530", NULL, &e);
    c8_preprocess_preset(&pin, "imagenet", &e);

    char desc[256];
    printf("calib8 datasets bench: %s Fashion-MNIST t10k, %d synthetic JPEGs (%.0f KiB avg, "
           "256x340..375x500, q90)\n",
           real ? "real" : "synthetic", N_JPEG, (double)jbytes / N_JPEG / 1024.0);
    printf("converted 10000 IDX images to PNG folder in %.2f s (%.0f img/s)\n\n", t_conv,
           10000 / t_conv);
    printf("per core (calling thread, no loader; thread CPU time, so other load on the machine "
           "does not count):\n");
    printf("| %-44s | %6s | %9s | %8s | %7s |\n", "workload", "images", "img/s", "ms/img",
           "decode");
    printf("|%.46s|%.8s|%.11s|%.10s|%.9s|\n", "----------------------------------------------",
           "--------", "-----------", "----------", "---------");
    per_core(fm, &pm, 1, 28, 28, 1); /* warm the page cache */
    result r = per_core(fm, &pm, 1, 28, 28, 2);
    row("28x28 gray PNG -> 1x28x28 (scale/mean/std)", c8_dataset_count(fm), &r);
    r = per_core(fm5, &pm, 1, 28, 28, 2);
    row("28x28 HDF5 uint8 -> 1x28x28", c8_dataset_count(fm5), &r);
    per_core(jp, &pin, 3, 224, 224, 1);
    r = per_core(jp, &pin, 3, 224, 224, 3);
    row("JPEG ~256x340..375x500 -> imagenet 3x224x224", c8_dataset_count(jp), &r);
    printf("  preprocess: %s\n", c8_preprocess_describe(&pin, desc, sizeof desc));

    printf("\nloader (background thread, wall time) feeding a simulated busy engine, batch 64 "
           "(JPEG: 32):\n");
    printf("| %-44s | %9s | %11s | %15s |\n", "workload / engine speed", "img/s", "engine wait",
           "after 1st batch");
    printf("|%.46s|%.11s|%.13s|%.17s|\n", "----------------------------------------------",
           "--------------", "-------------", "-----------------");
    const double eng_fm[] = {0, 1.0 / 20000, 1.0 / 5000, 1.0 / 1000};
    for (int k = 0; k < 4; k++) {
        double ips, wf, wa;
        loader_run(fm, &pm, 1, 28, 28, 64, eng_fm[k], &ips, &wf, &wa);
        char what[80];
        if (eng_fm[k] == 0)
            snprintf(what, sizeof what, "28x28 PNG, engine infinitely fast");
        else
            snprintf(what, sizeof what, "28x28 PNG, engine %.0f img/s", 1 / eng_fm[k]);
        printf("| %-44s | %9.0f | %10.1f%% | %14.1f%% |\n", what, ips, 100 * wf, 100 * wa);
    }
    const double eng_jp[] = {0, 1.0 / 200, 1.0 / 50};
    for (int k = 0; k < 3; k++) {
        double ips, wf, wa;
        loader_run(jp, &pin, 3, 224, 224, 32, eng_jp[k], &ips, &wf, &wa);
        char what[80];
        if (eng_jp[k] == 0)
            snprintf(what, sizeof what, "JPEG imagenet, engine infinitely fast");
        else
            snprintf(what, sizeof what, "JPEG imagenet, engine %.0f img/s", 1 / eng_jp[k]);
        printf("| %-44s | %9.0f | %10.1f%% | %14.1f%% |\n", what, ips, 100 * wf, 100 * wa);
    }
    printf("\n(engine wait = time c8_loader_next blocked / wall time; an engine slower than the\n"
           " loader thread waits only for the first batch)\n");
    c8_dataset_destroy(fm);
    c8_dataset_destroy(fm5);
    c8_dataset_destroy(jp);
    return 0;
}
