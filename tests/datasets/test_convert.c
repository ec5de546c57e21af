/* IDX conversion tests: synthetic IDX files (plain and gzip, written here with zlib) to an image
 * folder and to HDF5, read back bit-exactly (our PNG reader, HDF5 directly, and a pure-Python
 * PNG decoder + PIL when /usr/bin/python3 exists); header and size validation; output-folder
 * safety (refuse / --force / temporary folder); and, when Debian's dataset-fashion-mnist is
 * installed, the real t10k files. */
#include "dtest.h"

#include <sys/wait.h>

#define NI 23
#define IH 5
#define IW 7

static unsigned char g_pix[NI * IH * IW], g_lab[NI];

static void make_idx(const char *dir, int gz, path_t img, path_t lab) {
    c8t_rng r = {31};
    for (int i = 0; i < NI * IH * IW; i++) g_pix[i] = (unsigned char)c8t_next(&r);
    for (int i = 0; i < NI; i++) g_lab[i] = (unsigned char)(c8t_next(&r) % 4);
    g_lab[0] = 3; /* every class present */
    g_lab[1] = 0;
    g_lab[2] = 1;
    g_lab[3] = 2;
    KEEP(img, dt_path(dir, gz ? "img.idx.gz" : "img.idx"));
    KEEP(lab, dt_path(dir, gz ? "lab.idx.gz" : "lab.idx"));
    uint32_t di[3] = {NI, IH, IW}, dl[1] = {NI};
    CU_ASSERT_TRUE(dt_idx(img, gz, 3, di, g_pix, sizeof g_pix));
    CU_ASSERT_TRUE(dt_idx(lab, gz, 1, dl, g_lab, sizeof g_lab));
}

static c8_status convert(const char *img, const char *lab, const char *out, const char *classes,
                         int force, int64_t limit, int64_t *n, c8_error *err) {
    c8_idx_convert_opts o;
    c8_idx_convert_opts_init(&o);
    o.images_path = img;
    o.labels_path = lab;
    o.out_path = out;
    o.classes_path = classes;
    o.force = force;
    o.limit = limit;
    return c8_idx_convert(&o, n, err);
}

static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Runs check_pngs.py on a converted folder; without /usr/bin/python3 the check is skipped (counted:
 * the suite then reports as skipped) and this returns 1. */
static int python_check(const char *img, const char *lab, const char *dir, int stride) {
    if (access("/usr/bin/python3", X_OK) != 0) {
        c8t_skip_line("python_check", "no /usr/bin/python3: check_pngs.py did not run");
        return 1;
    }
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/datasets/check_pngs.py '%s' '%s' '%s' %d",
             C8_SOURCE_DIR, img, lab, dir, stride);
    int rc = system(cmd);
    if (rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == C8T_SKIP_CODE) {
        (*c8t_skips())++; /* the script printed its SKIP line */
        return 1;
    }
    return rc == 0;
}

static void test_folder_roundtrip(void) {
    for (int gz = 0; gz < 2; gz++) {
        const char *dir = dt_scratch(gz ? "conv-gz" : "conv-plain");
        path_t img, lab, out;
        make_idx(dir, gz, img, lab);
        KEEP(out, dt_path(dir, "out"));
        c8_error err = {0};
        int64_t n;
        CU_ASSERT_EQUAL_FATAL(convert(img, lab, out, NULL, 0, -1, &n, &err), C8_OK);
        CU_ASSERT_EQUAL(n, NI);
        CU_ASSERT_EQUAL(count_entries(out), 5); /* 4 class folders + classes.txt */
        int per[4] = {0, 0, 0, 0};
        for (int i = 0; i < NI; i++) per[g_lab[i]]++;
        for (int k = 0; k < 4; k++) {
            char d[64];
            snprintf(d, sizeof d, "%d-class%d", k, k);
            CU_ASSERT_EQUAL(count_entries(dt_path(out, d)), per[k]);
        }
        /* every image, bit-exact through our reader */
        for (int i = 0; i < NI; i++) {
            char rel[64];
            snprintf(rel, sizeof rel, "%d-class%d/%02d.png", g_lab[i], g_lab[i], i);
            c8_image im;
            CU_ASSERT_EQUAL_FATAL(c8_image_read(dt_path(out, rel), &im, &err), C8_OK);
            CU_ASSERT_TRUE(im.h == IH && im.w == IW && im.c == 1);
            CU_ASSERT_EQUAL(memcmp(im.data, g_pix + i * IH * IW, IH * IW), 0);
            c8_image_free(&im);
        }
        unsigned char buf[256] = {0};
        FILE *f = fopen(dt_path(out, "classes.txt"), "rb");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        CU_ASSERT_EQUAL(fread(buf, 1, sizeof buf - 1, f), 28);
        fclose(f);
        CU_ASSERT_STRING_EQUAL((char *)buf, "class0\nclass1\nclass2\nclass3\n");
        /* as an ImageFolder: sorted folder names give the labels */
        c8_dataset_spec sp;
        c8_dataset_spec_init(&sp);
        sp.path = out;
        sp.shuffle = false;
        c8_dataset *ds;
        CU_ASSERT_EQUAL_FATAL(c8_dataset_open(&sp, &ds, &err), C8_OK);
        CU_ASSERT_EQUAL(c8_dataset_count(ds), NI);
        CU_ASSERT_EQUAL(c8_dataset_ignored(ds), 1); /* classes.txt */
        for (int64_t i = 0; i < NI; i++) {
            const char *nm = c8_dataset_name(ds, i);
            int idx = atoi(strchr(nm, '/') + 1);
            CU_ASSERT_EQUAL(c8_dataset_label(ds, i), g_lab[idx]);
        }
        c8_dataset_destroy(ds);
        CU_ASSERT_TRUE(python_check(img, lab, out, 1));
    }
}

static void test_names_and_limit(void) {
    const char *dir = dt_scratch("conv-names");
    path_t img, lab, names, out;
    make_idx(dir, 1, img, lab);
    KEEP(names, dt_path(dir, "names.txt"));
    dt_write_text(names, "T-shirt/top\r\nAnkle boot\nx.y\nz\n\n");
    KEEP(out, dt_path(dir, "out"));
    c8_error err = {0};
    int64_t n;
    CU_ASSERT_EQUAL_FATAL(convert(img, lab, out, names, 0, 10, &n, &err), C8_OK);
    CU_ASSERT_EQUAL(n, 10);
    CU_ASSERT_EQUAL(count_entries(dt_path(out, "0-T-shirt_top")) +
                        count_entries(dt_path(out, "1-Ankle_boot")) +
                        count_entries(dt_path(out, "2-x.y")) + count_entries(dt_path(out, "3-z")),
                    10);
    c8_dataset_spec sp;
    c8_dataset_spec_init(&sp);
    sp.path = out;
    sp.classes_path = dt_path(out, "classes.txt"); /* the original names */
    c8_dataset *ds;
    CU_ASSERT_EQUAL_FATAL(c8_dataset_open(&sp, &ds, &err), C8_OK);
    CU_ASSERT_STRING_EQUAL(c8_dataset_class_name(ds, 0), "T-shirt/top");
    CU_ASSERT_STRING_EQUAL(c8_dataset_class_name(ds, 1), "Ankle boot");
    c8_dataset_destroy(ds);
    /* too few names for the labels */
    dt_write_text(names, "a\nb\n");
    CU_ASSERT_EQUAL(convert(img, lab, dt_path(dir, "out2"), names, 0, -1, &n, &err),
                    C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "out of range"));
    CU_ASSERT_EQUAL(access(dt_path(dir, "out2"), F_OK), -1); /* nothing left behind */
    /* built-in names */
    int64_t k;
    const char *const *fm = c8_idx_builtin_classes("fashion-mnist", &k);
    CU_ASSERT_EQUAL(k, 10);
    CU_ASSERT_STRING_EQUAL(fm[9], "Ankle boot");
    CU_ASSERT_PTR_NULL(c8_idx_builtin_classes("cifar", &k));
}

static void test_hdf5_output(void) {
    const char *dir = dt_scratch("conv-h5");
    path_t img, lab, out;
    make_idx(dir, 0, img, lab);
    KEEP(out, dt_path(dir, "fm.h5"));
    c8_error err = {0};
    int64_t n;
    CU_ASSERT_EQUAL_FATAL(convert(img, lab, out, NULL, 0, -1, &n, &err), C8_OK);
    /* HDF5 directly */
    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    CU_ASSERT_TRUE_FATAL(f >= 0);
    hid_t d = H5Dopen2(f, "/images", H5P_DEFAULT);
    hid_t s = H5Dget_space(d);
    hsize_t dims[4];
    CU_ASSERT_EQUAL(H5Sget_simple_extent_ndims(s), 4);
    H5Sget_simple_extent_dims(s, dims, NULL);
    CU_ASSERT_TRUE(dims[0] == NI && dims[1] == IH && dims[2] == IW && dims[3] == 1);
    unsigned char back[NI * IH * IW];
    H5Dread(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, back);
    CU_ASSERT_EQUAL(memcmp(back, g_pix, sizeof back), 0);
    H5Sclose(s);
    H5Dclose(d);
    d = H5Dopen2(f, "/labels", H5P_DEFAULT);
    hid_t t = H5Dget_type(d);
    CU_ASSERT_EQUAL(H5Tget_size(t), 8);
    CU_ASSERT_EQUAL(H5Tget_class(t), H5T_INTEGER);
    int64_t lb[NI];
    H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, lb);
    for (int i = 0; i < NI; i++) CU_ASSERT_EQUAL(lb[i], g_lab[i]);
    H5Tclose(t);
    H5Dclose(d);
    H5Fclose(f);
    /* through the dataset + loader with no preprocessing: the bytes as floats */
    c8_dataset_spec sp;
    c8_dataset_spec_init(&sp);
    sp.path = out;
    sp.shuffle = false;
    c8_dataset *ds;
    CU_ASSERT_EQUAL_FATAL(c8_dataset_open(&sp, &ds, &err), C8_OK);
    c8_preprocess p;
    c8_preprocess_init(&p);
    c8_loader *l;
    CU_ASSERT_EQUAL_FATAL(c8_loader_create(ds, &p, 1, IH, IW, NULL, &l, &err), C8_OK);
    const c8_batch *b;
    CU_ASSERT_EQUAL_FATAL(c8_loader_next(l, &b, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(b->n, NI);
    int bad = 0;
    for (int i = 0; i < NI * IH * IW; i++) bad += b->data[i] != (float)g_pix[i];
    CU_ASSERT_EQUAL(bad, 0);
    for (int i = 0; i < NI; i++) CU_ASSERT_EQUAL(b->labels[i], g_lab[i]);
    c8_loader_destroy(l);
    c8_dataset_destroy(ds);
    /* existing file: refused, then replaced with force */
    CU_ASSERT_EQUAL(convert(img, lab, out, NULL, 0, 5, &n, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "--force"));
    CU_ASSERT_EQUAL(convert(img, lab, out, NULL, 1, 5, &n, &err), C8_OK);
    CU_ASSERT_EQUAL(n, 5);
}

static void test_bad_idx(void) {
    const char *dir = dt_scratch("conv-bad");
    path_t img, lab, out, bad, gz;
    make_idx(dir, 0, img, lab);
    c8_error err = {0};
    int64_t n;
    KEEP(out, dt_path(dir, "out"));
    KEEP(bad, dt_path(dir, "bad.idx"));
    uint32_t di[3] = {NI, IH, IW}, dl[1] = {NI};
    struct {
        int ndims;
        const uint32_t *dims;
        size_t drop;      /* bytes cut from the end (SIZE_MAX: append 3) */
        unsigned char b2; /* element type byte */
        int is_images;
        c8_status code;
        const char *needle;
    } cases[] = {
        {3, di, 10, 0x08, 1, C8_ERR_PARSE, "truncated"},
        {3, di, SIZE_MAX, 0x08, 1, C8_ERR_PARSE, "trailing"},
        {3, di, 0, 0x0D, 1, C8_ERR_UNSUPPORTED, "element type 0x0d"},
        {1, dl, 0, 0x08, 1, C8_ERR_PARSE, "expected 3"},
        {3, di, 0, 0x08, 0, C8_ERR_PARSE, "expected 1"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        size_t len = (cases[k].ndims == 3 ? sizeof g_pix : sizeof g_lab);
        unsigned char *data = calloc(len + 3, 1);
        memcpy(data, cases[k].ndims == 3 ? g_pix : g_lab, len);
        if (cases[k].drop == SIZE_MAX)
            len += 3;
        else
            len -= cases[k].drop;
        CU_ASSERT_TRUE(dt_idx(bad, 0, cases[k].ndims, cases[k].dims, data, len));
        if (cases[k].b2 != 0x08) { /* patch the type byte */
            FILE *f = fopen(bad, "r+b");
            fseek(f, 2, SEEK_SET);
            fputc(cases[k].b2, f);
            fclose(f);
        }
        c8_status s = cases[k].is_images ? convert(bad, lab, out, NULL, 0, -1, &n, &err)
                                         : convert(img, bad, out, NULL, 0, -1, &n, &err);
        CU_ASSERT_EQUAL(s, cases[k].code);
        if (!strstr(err.msg, cases[k].needle)) printf("\n  case %zu: %s\n", k, err.msg);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, cases[k].needle));
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "bad.idx"));
        free(data);
    }
    /* not IDX at all, count mismatch, a cut gzip stream, a missing file */
    dt_write_text(bad, "PK\x03\x04 zip file");
    CU_ASSERT_EQUAL(convert(bad, lab, out, NULL, 0, -1, &n, &err), C8_ERR_PARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not an IDX file"));
    uint32_t d22[1] = {NI - 1};
    CU_ASSERT_TRUE(dt_idx(bad, 0, 1, d22, g_lab, NI - 1));
    CU_ASSERT_EQUAL(convert(img, bad, out, NULL, 0, -1, &n, &err), C8_ERR_MISMATCH);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "22 labels"));
    KEEP(gz, dt_path(dir, "cut.gz"));
    CU_ASSERT_TRUE(dt_idx(gz, 1, 3, di, g_pix, sizeof g_pix));
    FILE *f = fopen(gz, "rb");
    unsigned char whole[8192];
    size_t glen = fread(whole, 1, sizeof whole, f);
    fclose(f);
    dt_write(gz, whole, glen * 2 / 3);
    CU_ASSERT_NOT_EQUAL(convert(gz, lab, out, NULL, 0, -1, &n, &err), C8_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "cut.gz"));
    CU_ASSERT_EQUAL(convert(dt_path(dir, "none.gz"), lab, out, NULL, 0, -1, &n, &err), C8_ERR_IO);
    CU_ASSERT_EQUAL(access(out, F_OK), -1); /* no output from any failure */
}

static void test_output_folder_safety(void) {
    const char *dir = dt_scratch("conv-safe");
    path_t img, lab, out, mine;
    make_idx(dir, 0, img, lab);
    c8_error err = {0};
    int64_t n;
    /* an empty folder is replaced */
    KEEP(out, dt_path(dir, "out"));
    mkdir(out, 0777);
    CU_ASSERT_EQUAL(convert(img, lab, out, NULL, 0, 4, &n, &err), C8_OK);
    /* a previous conversion: refused without force, replaced with it */
    CU_ASSERT_EQUAL(convert(img, lab, out, NULL, 0, -1, &n, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "--force"));
    dt_write_text(dt_path(out, "stale.txt"), "old");
    CU_ASSERT_EQUAL(convert(img, lab, out, NULL, 1, -1, &n, &err), C8_OK);
    CU_ASSERT_EQUAL(access(dt_path(out, "stale.txt"), F_OK), -1);
    CU_ASSERT_EQUAL(count_entries(out), 5);
    /* a foreign non-empty folder is never replaced */
    KEEP(mine, dt_path(dir, "mine"));
    mkdir(mine, 0777);
    dt_write_text(dt_path(mine, "thesis.tex"), "precious");
    CU_ASSERT_EQUAL(convert(img, lab, mine, NULL, 1, -1, &n, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not a calib8 conversion"));
    CU_ASSERT_EQUAL(access(dt_path(mine, "thesis.tex"), F_OK), 0);
    /* a file where the folder should go */
    CU_ASSERT_EQUAL(convert(img, lab, dt_path(mine, "thesis.tex"), NULL, 1, -1, &n, &err),
                    C8_ERR_INVALID);
    /* no temporary folders left beside the outputs */
    CU_ASSERT_EQUAL(count_entries(dir), 4); /* img.idx, lab.idx, out, mine */
}

/* The real Fashion-MNIST test set from Debian's dataset-fashion-mnist, when installed. */
#define FM_DIR "/usr/share/datasets/fashion-mnist"

static unsigned char *gunzip_all(const char *path, size_t *len) {
    gzFile f = gzopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 24, n = 0;
    unsigned char *b = malloc(cap);
    int r;
    while ((r = gzread(f, b + n, (unsigned)(cap - n))) > 0) n += (size_t)r;
    gzclose(f);
    *len = n;
    return b;
}

static void test_fashion_mnist(void) {
    const char *img = FM_DIR "/t10k-images-idx3-ubyte.gz",
               *lab = FM_DIR "/t10k-labels-idx1-ubyte.gz";
    if (!c8t_exists(img) || !c8t_exists(lab))
        C8_SKIP("%s not installed (package dataset-fashion-mnist)", FM_DIR);
    size_t il, ll;
    unsigned char *pix = gunzip_all(img, &il), *lb = gunzip_all(lab, &ll);
    CU_ASSERT_TRUE_FATAL(pix && lb && il == 16 + 10000 * 784 && ll == 8 + 10000);
    const char *dir = dt_scratch("conv-fmnist");
    path_t out, h5;
    KEEP(out, dt_path(dir, "t10k"));
    KEEP(h5, dt_path(dir, "t10k.h5"));
    c8_idx_convert_opts o;
    c8_idx_convert_opts_init(&o);
    o.images_path = img;
    o.labels_path = lab;
    o.out_path = out;
    o.class_names = c8_idx_builtin_classes("fashion-mnist", &o.num_class_names);
    c8_error err = {0};
    int64_t n;
    CU_ASSERT_EQUAL_FATAL(c8_idx_convert(&o, &n, &err), C8_OK);
    CU_ASSERT_EQUAL(n, 10000);
    o.out_path = h5;
    CU_ASSERT_EQUAL_FATAL(c8_idx_convert(&o, &n, &err), C8_OK);
    const char *folders[10] = {"0-T-shirt_top", "1-Trouser",   "2-Pullover", "3-Dress",
                               "4-Coat",        "5-Sandal",    "6-Shirt",    "7-Sneaker",
                               "8-Bag",         "9-Ankle_boot"};
    for (int k = 0; k < 10; k++) CU_ASSERT_EQUAL(count_entries(dt_path(out, folders[k])), 1000);
    for (int i = 0; i < 10000; i += 7) {
        char rel[64];
        snprintf(rel, sizeof rel, "%s/%04d.png", folders[lb[8 + i]], i);
        c8_image im;
        CU_ASSERT_EQUAL_FATAL(c8_image_read(dt_path(out, rel), &im, &err), C8_OK);
        CU_ASSERT_EQUAL(memcmp(im.data, pix + 16 + (size_t)i * 784, 784), 0);
        c8_image_free(&im);
    }
    /* the HDF5 file: every pixel and label */
    hid_t f = H5Fopen(h5, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/images", H5P_DEFAULT);
    unsigned char *back = malloc(10000 * 784);
    CU_ASSERT_TRUE(H5Dread(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, back) >= 0);
    CU_ASSERT_EQUAL(memcmp(back, pix + 16, 10000 * 784), 0);
    H5Dclose(d);
    d = H5Dopen2(f, "/labels", H5P_DEFAULT);
    int64_t *l64 = malloc(sizeof(int64_t) * 10000);
    CU_ASSERT_TRUE(H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, l64) >= 0);
    int bad = 0;
    for (int i = 0; i < 10000; i++) bad += l64[i] != lb[8 + i];
    CU_ASSERT_EQUAL(bad, 0);
    H5Dclose(d);
    H5Fclose(f);
    /* both as datasets: same counts and class balance */
    c8_dataset_spec sp;
    c8_dataset_spec_init(&sp);
    sp.path = out;
    c8_dataset *a, *b;
    CU_ASSERT_EQUAL_FATAL(c8_dataset_open(&sp, &a, &err), C8_OK);
    sp.path = h5;
    CU_ASSERT_EQUAL_FATAL(c8_dataset_open(&sp, &b, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_dataset_count(a), 10000);
    CU_ASSERT_EQUAL(c8_dataset_count(b), 10000);
    CU_ASSERT_EQUAL(c8_dataset_num_classes(a), 10);
    CU_ASSERT_EQUAL(c8_dataset_num_classes(b), 10);
    c8_dataset_destroy(a);
    c8_dataset_destroy(b);
    CU_ASSERT_TRUE(python_check(img, lab, out, 37));
    free(back);
    free(l64);
    free(pix);
    free(lb);
}

static const c8_test_case k_cases[] = {
    {"folder_roundtrip", test_folder_roundtrip},
    {"names_and_limit", test_names_and_limit},
    {"hdf5_output", test_hdf5_output},
    {"bad_idx", test_bad_idx},
    {"output_folder_safety", test_output_folder_safety},
    {"fashion_mnist", test_fashion_mnist},
};

C8T_MAIN("datasets_convert", k_cases)
