/* Source tests: image folders (label order, nesting, hidden and foreign files, empty classes),
 * flat folders, list files (spaces, tabs, CRLF, comments, bad lines), HDF5 files (layouts,
 * labels, wrong shapes and types), class-name files, selection (golden shuffle orders computed
 * independently in Python from the algorithm in datasets/README.md, stratified balance) and the
 * manifest (exact text and a sha256 computed with Python's hashlib). */
#include "dtest.h"

#include "datasets/source.h"
#include "util/sha256.h"

/* A 2x2 gray PNG whose pixels all equal v: the tests identify images by it. */
static void put_png(const char *path, int v) {
    unsigned char px[4] = {(unsigned char)v, (unsigned char)v, (unsigned char)v, (unsigned char)v};
    size_t len;
    unsigned char *p = dt_png(2, 2, PNG_COLOR_TYPE_GRAY, 8, 0, px, 2, NULL, 0, NULL, 0, &len);
    CU_ASSERT_TRUE(dt_write(path, p, len));
    free(p);
}

static int item_value(const c8_dataset *ds, int64_t i) {
    c8_item_buf b = {0};
    c8_src_image src;
    c8_error err = {0};
    int v = -1;
    if (c8_dataset_read_item(ds, i, &b, &src, &err) == C8_OK && src.u8)
        v = src.u8[0];
    else
        printf("\n  read_item %lld: %s\n", (long long)i, err.msg);
    c8_item_buf_free(&b);
    return v;
}

static c8_status open_ds(const char *path, const char *list, const char *classes, bool shuffle,
                         c8_dataset **ds, c8_error *err) {
    c8_dataset_spec sp;
    c8_dataset_spec_init(&sp);
    sp.path = path;
    sp.labels_path = list;
    sp.classes_path = classes;
    sp.shuffle = shuffle;
    return c8_dataset_open(&sp, ds, err);
}

static const char *make_imagefolder(void) {
    const char *r = dt_scratch("src-if");
    dt_mkdir(r, "a");
    dt_mkdir(r, "a/sub");
    dt_mkdir(r, "a-b");
    dt_mkdir(r, "b");
    dt_mkdir(r, "c"); /* empty class: still label 3 */
    dt_mkdir(r, ".git");
    put_png(dt_path(r, "a/2.png"), 2);
    put_png(dt_path(r, "a/10.png"), 10);
    put_png(dt_path(r, "a/sub/x.png"), 30);
    put_png(dt_path(r, "a/.hidden.png"), 99);
    dt_write_text(dt_path(r, "a/notes.txt"), "not an image");
    put_png(dt_path(r, "a-b/q.JPG"), 40); /* the format comes from the bytes, not the name */
    put_png(dt_path(r, "b/z.png"), 51);
    put_png(dt_path(r, "b/a.png"), 50);
    put_png(dt_path(r, ".git/y.png"), 98);
    dt_write_text(dt_path(r, "README"), "top-level file");
    return r;
}

static void test_imagefolder(void) {
    const char *r = make_imagefolder();
    c8_dataset *ds;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(open_ds(r, NULL, NULL, false, &ds, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_dataset_source_kind(ds), C8_DATASET_IMAGEFOLDER);
    CU_ASSERT_EQUAL(c8_dataset_count(ds), 6);
    CU_ASSERT_EQUAL(c8_dataset_total(ds), 6);
    CU_ASSERT_EQUAL(c8_dataset_ignored(ds), 2); /* notes.txt, README */
    CU_ASSERT_TRUE(c8_dataset_has_labels(ds));
    CU_ASSERT_EQUAL(c8_dataset_num_classes(ds), 4);
    const char *cls[4] = {"a", "a-b", "b", "c"}; /* strcmp order */
    for (int k = 0; k < 4; k++) CU_ASSERT_STRING_EQUAL(c8_dataset_class_name(ds, k), cls[k]);
    CU_ASSERT_PTR_NULL(c8_dataset_class_name(ds, 4));
    const char *names[6] = {"a/10.png",  "a/2.png", "a/sub/x.png",
                            "a-b/q.JPG", "b/a.png", "b/z.png"};
    const int64_t labels[6] = {0, 0, 0, 1, 2, 2};
    const int values[6] = {10, 2, 30, 40, 50, 51};
    for (int i = 0; i < 6; i++) {
        CU_ASSERT_STRING_EQUAL(c8_dataset_name(ds, i), names[i]);
        CU_ASSERT_EQUAL(c8_dataset_label(ds, i), labels[i]);
        CU_ASSERT_EQUAL(item_value(ds, i), values[i]);
    }
    CU_ASSERT_EQUAL(c8_dataset_label(ds, 6), -1);
    CU_ASSERT_PTR_NULL(c8_dataset_name(ds, -1));
    CU_ASSERT_STRING_EQUAL(c8_dataset_manifest(ds),
                           "calib8-manifest 1\nsource imagefolder\ncount 6\n0\ta/10.png\n"
                           "0\ta/2.png\n0\ta/sub/x.png\n1\ta-b/q.JPG\n2\tb/a.png\n2\tb/z.png\n");
    /* hashlib.sha256(manifest).hexdigest() */
    CU_ASSERT_STRING_EQUAL(c8_dataset_manifest_sha256(ds),
                           "1ce21805f4fa0d8fa3977835760b9a3eaee892b21c3d290a73a6ad3474d46c7d");
    CU_ASSERT_EQUAL(c8_dataset_write_manifest(ds, dt_path(r, "../dtest-src-if.manifest"), &err),
                    C8_OK);
    c8_dataset_destroy(ds);

    /* class names file: must name every folder */
    dt_write_text(dt_path(r, "../dtest-names.txt"), "Apple\nAvocado\nBanana\nCherry\n\n");
    CU_ASSERT_EQUAL_FATAL(open_ds(r, NULL, dt_path(r, "../dtest-names.txt"), false, &ds, &err),
                          C8_OK);
    CU_ASSERT_STRING_EQUAL(c8_dataset_class_name(ds, 2), "Banana");
    c8_dataset_destroy(ds);
    dt_write_text(dt_path(r, "../dtest-names.txt"), "Apple\nAvocado\nBanana\n");
    CU_ASSERT_EQUAL(open_ds(r, NULL, dt_path(r, "../dtest-names.txt"), false, &ds, &err),
                    C8_ERR_MISMATCH);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "3 class names"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "4 class"));
    dt_write_text(dt_path(r, "../dtest-names.txt"), "Apple\n\nBanana\nCherry\n");
    CU_ASSERT_EQUAL(open_ds(r, NULL, dt_path(r, "../dtest-names.txt"), false, &ds, &err),
                    C8_ERR_PARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "names.txt:2"));

    /* loose images beside class folders are an error */
    put_png(dt_path(r, "loose.png"), 1);
    CU_ASSERT_EQUAL(open_ds(r, NULL, NULL, false, &ds, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "loose.png"));
    /* ... unless the layout is named explicitly (then they are ignored) */
    c8_dataset_spec sp;
    c8_dataset_spec_init(&sp);
    sp.path = r;
    sp.kind = C8_DATASET_IMAGEFOLDER;
    CU_ASSERT_EQUAL_FATAL(c8_dataset_open(&sp, &ds, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_dataset_count(ds), 6);
    CU_ASSERT_EQUAL(c8_dataset_ignored(ds), 3);
    c8_dataset_destroy(ds);
}

static void test_empty_and_missing(void) {
    const char *r = dt_scratch("src-empty");
    c8_dataset *ds;
    c8_error err = {0};
    CU_ASSERT_EQUAL(open_ds(r, NULL, NULL, true, &ds, &err), C8_ERR_NOT_FOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "empty folder"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "src-empty"));
    dt_mkdir(r, "cls");
    dt_write_text(dt_path(r, "cls/a.txt"), "x");
    CU_ASSERT_EQUAL(open_ds(r, NULL, NULL, true, &ds, &err), C8_ERR_NOT_FOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no .png/.jpg/.jpeg images"));
    CU_ASSERT_EQUAL(open_ds(dt_path(r, "nope"), NULL, NULL, true, &ds, &err), C8_ERR_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "nope"));
    c8_dataset_spec sp;
    c8_dataset_spec_init(&sp);
    CU_ASSERT_EQUAL(c8_dataset_open(&sp, &ds, &err), C8_ERR_USAGE);
    sp.path = r;
    sp.images = 0;
    CU_ASSERT_EQUAL(c8_dataset_open(&sp, &ds, &err), C8_ERR_INVALID);
}

static void test_flat_folder(void) {
    const char *r = dt_scratch("src-flat");
    put_png(dt_path(r, "plain.png"), 1);
    put_png(dt_path(r, "back\\slash.png"), 2);
    put_png(dt_path(r, "t\ttab.png"), 3);
    dt_write_text(dt_path(r, "list.csv"), "x");
    c8_dataset *ds;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(open_ds(r, NULL, NULL, false, &ds, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_dataset_source_kind(ds), C8_DATASET_FOLDER);
    CU_ASSERT_FALSE(c8_dataset_has_labels(ds));
    CU_ASSERT_EQUAL(c8_dataset_num_classes(ds), 0);
    CU_ASSERT_EQUAL(c8_dataset_count(ds), 3);
    CU_ASSERT_EQUAL(c8_dataset_ignored(ds), 1);
    CU_ASSERT_EQUAL(c8_dataset_label(ds, 0), -1);
    CU_ASSERT_STRING_EQUAL(c8_dataset_name(ds, 2), "t\ttab.png");
    CU_ASSERT_EQUAL(item_value(ds, 2), 3);
    CU_ASSERT_STRING_EQUAL(c8_dataset_manifest(ds),
                           "calib8-manifest 1\nsource folder\ncount 3\n-1\tback\\\\slash.png\n"
                           "-1\tplain.png\n-1\tt\\ttab.png\n");
    CU_ASSERT_STRING_EQUAL(c8_dataset_manifest_sha256(ds),
                           "5ba82816a53ff29c9ae8d9abd07407236796c3b92990c44a92a3bb4040cb35a1");
    c8_dataset_destroy(ds);
    c8_dataset_spec sp;
    c8_dataset_spec_init(&sp);
    sp.path = r;
    sp.stratified = true;
    CU_ASSERT_EQUAL(c8_dataset_open(&sp, &ds, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "needs labels"));
}

static void test_list(void) {
    const char *r = dt_scratch("src-list");
    dt_mkdir(r, "img");
    dt_mkdir(r, "img/sub");
    put_png(dt_path(r, "img/my cat.png"), 7);
    put_png(dt_path(r, "img/dog.png"), 8);
    put_png(dt_path(r, "img/sub/x y  z.png"), 9);
    path_t list, img, l2;
    KEEP(list, dt_path(r, "val.txt"));
    KEEP(img, dt_path(r, "img"));
    dt_write_text(list, "# path label\n"
                        "my cat.png 3\n"
                        "dog.png\t1\n"
                        "\n"
                        "  sub/x y  z.png   0  \r\n"
                        "ghost.png 2\n");
    c8_dataset *ds;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(open_ds(img, list, NULL, false, &ds, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_dataset_source_kind(ds), C8_DATASET_LIST);
    CU_ASSERT_EQUAL(c8_dataset_count(ds), 4);
    CU_ASSERT_EQUAL(c8_dataset_num_classes(ds), 4); /* max label + 1 */
    CU_ASSERT_STRING_EQUAL(c8_dataset_class_name(ds, 3), "3");
    const char *names[4] = {"my cat.png", "dog.png", "sub/x y  z.png", "ghost.png"};
    const int64_t labels[4] = {3, 1, 0, 2};
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_STRING_EQUAL(c8_dataset_name(ds, i), names[i]);
        CU_ASSERT_EQUAL(c8_dataset_label(ds, i), labels[i]);
    }
    CU_ASSERT_EQUAL(item_value(ds, 0), 7);
    CU_ASSERT_EQUAL(item_value(ds, 2), 9);
    /* a listed file that does not exist: the error names it and the list line */
    c8_item_buf b = {0};
    c8_src_image src;
    CU_ASSERT_EQUAL(c8_dataset_read_item(ds, 3, &b, &src, &err), C8_ERR_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "ghost.png"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "val.txt:6"));
    c8_item_buf_free(&b);
    c8_dataset_destroy(ds);

    /* without --data the root is the list's folder */
    KEEP(l2, dt_path(r, "img/local.txt"));
    dt_write_text(l2, "dog.png 0\n");
    CU_ASSERT_EQUAL_FATAL(open_ds(NULL, l2, NULL, true, &ds, &err), C8_OK);
    CU_ASSERT_EQUAL(item_value(ds, 0), 8);
    c8_dataset_destroy(ds);

    /* bad lines */
    const struct {
        const char *text;
        c8_status code;
        const char *needle;
    } bad[] = {
        {"dog.png 1\nnolabel.png\n", C8_ERR_PARSE, "val.txt:2"},
        {"dog.png one\n", C8_ERR_PARSE, "not an integer"},
        {"dog.png -1\n", C8_ERR_INVALID, "negative label"},
        {"# only a comment\n\n", C8_ERR_NOT_FOUND, "no entries"},
        {"dog.png 99999999999\n", C8_ERR_LIMIT, "val.txt:1"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        dt_write_text(list, bad[k].text);
        c8_status s = open_ds(img, list, NULL, true, &ds, &err);
        CU_ASSERT_EQUAL(s, bad[k].code);
        if (s == C8_OK) c8_dataset_destroy(ds);
        if (!strstr(err.msg, bad[k].needle)) printf("\n  case %zu: %s\n", k, err.msg);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, bad[k].needle));
    }
    /* labels beyond the class names */
    dt_write_text(list, "dog.png 1\nmy cat.png 2\n");
    dt_write_text(dt_path(r, "names.txt"), "cat\ndog\n");
    CU_ASSERT_EQUAL(open_ds(img, list, dt_path(r, "names.txt"), true, &ds, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "val.txt:2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "out of range"));
    dt_write_text(list, "dog.png 1\nmy cat.png 0\n");
    CU_ASSERT_EQUAL_FATAL(open_ds(img, list, dt_path(r, "names.txt"), true, &ds, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_dataset_num_classes(ds), 2);
    CU_ASSERT_STRING_EQUAL(c8_dataset_class_name(ds, 1), "dog");
    c8_dataset_destroy(ds);
}

/* ---- HDF5 ---- */

static void test_hdf5(void) {
    const char *r = dt_scratch("src-h5");
    c8_dataset *ds;
    c8_error err = {0};
    /* (N,H,W,C) uint8 with int32 labels */
    uint8_t u8[6 * 3 * 2 * 3];
    for (int i = 0; i < (int)sizeof u8; i++) u8[i] = (uint8_t)(i * 7);
    int32_t lab32[6] = {0, 1, 2, 0, 1, 4};
    path_t f1, f2, f3, f4, f5, f6, f7;
    KEEP(f1, dt_path(r, "a.h5"));
    hsize_t d4[4] = {6, 3, 2, 3}, d1[1] = {6};
    CU_ASSERT_TRUE(dt_h5_put(f1, "/images", H5T_NATIVE_UINT8, H5T_STD_U8LE, 4, d4, u8));
    CU_ASSERT_TRUE(dt_h5_put(f1, "/labels", H5T_NATIVE_INT32, H5T_STD_I32BE, 1, d1, lab32));
    CU_ASSERT_EQUAL_FATAL(open_ds(f1, NULL, NULL, false, &ds, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_dataset_source_kind(ds), C8_DATASET_HDF5);
    CU_ASSERT_EQUAL(c8_dataset_count(ds), 6);
    CU_ASSERT_EQUAL(c8_dataset_num_classes(ds), 5);
    CU_ASSERT_EQUAL(c8_dataset_label(ds, 5), 4);
    CU_ASSERT_STRING_EQUAL(c8_dataset_name(ds, 4), "/images[4]");
    c8_item_buf b = {0};
    c8_src_image src;
    CU_ASSERT_EQUAL_FATAL(c8_dataset_read_item(ds, 4, &b, &src, &err), C8_OK);
    CU_ASSERT_TRUE(src.h == 3 && src.w == 2 && src.c == 3 && src.u8 && !src.f32);
    CU_ASSERT_EQUAL(memcmp(src.u8, u8 + 4 * 18, 18), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(b.path, "a.h5:/images[4]"));
    c8_item_buf_free(&b);
    c8_dataset_destroy(ds);

    /* (N,C,H,W) float with (N,1) int64 labels under other names */
    float f32[4 * 1 * 2 * 2];
    for (int i = 0; i < 16; i++) f32[i] = 0.25f * (float)i;
    int64_t lab64[4] = {1, 1, 0, 1};
    KEEP(f2, dt_path(r, "b.h5"));
    hsize_t e4[4] = {4, 1, 2, 2}, e2[2] = {4, 1};
    CU_ASSERT_TRUE(dt_h5_put(f2, "/x", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 4, e4, f32));
    CU_ASSERT_TRUE(dt_h5_put(f2, "/y", H5T_NATIVE_INT64, H5T_STD_I64LE, 2, e2, lab64));
    c8_dataset_spec sp;
    c8_dataset_spec_init(&sp);
    sp.path = f2;
    sp.shuffle = false;
    sp.hdf5_images = "/x";
    sp.hdf5_labels = "/y";
    CU_ASSERT_EQUAL_FATAL(c8_dataset_open(&sp, &ds, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_dataset_num_classes(ds), 2);
    CU_ASSERT_EQUAL_FATAL(c8_dataset_read_item(ds, 2, &b, &src, &err), C8_OK);
    CU_ASSERT_TRUE(src.c == 1 && src.h == 2 && src.w == 2 && src.f32 && !src.u8);
    CU_ASSERT_EQUAL(memcmp(src.f32, f32 + 8, 16), 0);
    c8_item_buf_free(&b);
    c8_dataset_destroy(ds);
    /* explicitly named labels that are missing */
    sp.hdf5_labels = "/nolabels";
    CU_ASSERT_EQUAL(c8_dataset_open(&sp, &ds, &err), C8_ERR_NOT_FOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "/nolabels"));
    /* default names absent: the message lists what the file has */
    CU_ASSERT_EQUAL(open_ds(f2, NULL, NULL, true, &ds, &err), C8_ERR_NOT_FOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "/images"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "/x, /y"));

    /* (N,H,W) uint8 without labels */
    KEEP(f3, dt_path(r, "c.h5"));
    hsize_t g3[3] = {3, 2, 2};
    CU_ASSERT_TRUE(dt_h5_put(f3, "/images", H5T_NATIVE_UINT8, H5T_STD_U8LE, 3, g3, u8));
    CU_ASSERT_EQUAL_FATAL(open_ds(f3, NULL, NULL, true, &ds, &err), C8_OK);
    CU_ASSERT_FALSE(c8_dataset_has_labels(ds));
    CU_ASSERT_EQUAL(c8_dataset_label(ds, 0), -1);
    c8_dataset_destroy(ds);

    /* wrong types and shapes */
    struct {
        const char *file;
        hid_t mtype, ftype;
        int rank;
        hsize_t dims[4];
        c8_status code;
        const char *needle;
    } bad[] = {
        {"int16.h5",
         H5T_NATIVE_INT16,
         H5T_STD_I16LE,
         4,
         {2, 2, 2, 1},
         C8_ERR_UNSUPPORTED,
         "2-byte"},
        {"rank2.h5", H5T_NATIVE_UINT8, H5T_STD_U8LE, 2, {4, 4, 0, 0}, C8_ERR_SHAPE, "(4,4)"},
        {"c5.h5", H5T_NATIVE_UINT8, H5T_STD_U8LE, 4, {2, 2, 2, 5}, C8_ERR_SHAPE, "C (axis 3"},
        {"n0.h5", H5T_NATIVE_UINT8, H5T_STD_U8LE, 4, {0, 2, 2, 1}, C8_ERR_SHAPE, "no images"},
    };
    static uint8_t zeros[64];
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        const char *f = dt_path(r, bad[k].file);
        CU_ASSERT_TRUE(
            dt_h5_put(f, "/images", bad[k].mtype, bad[k].ftype, bad[k].rank, bad[k].dims, zeros));
        CU_ASSERT_EQUAL(open_ds(f, NULL, NULL, true, &ds, &err), bad[k].code);
        if (!strstr(err.msg, bad[k].needle)) printf("\n  %s: %s\n", bad[k].file, err.msg);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, bad[k].needle));
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, bad[k].file));
    }
    /* labels: wrong count, float, negative */
    KEEP(f4, dt_path(r, "lab.h5"));
    CU_ASSERT_TRUE(dt_h5_put(f4, "/images", H5T_NATIVE_UINT8, H5T_STD_U8LE, 4, d4, u8));
    hsize_t five[1] = {5};
    CU_ASSERT_TRUE(dt_h5_put(f4, "/labels", H5T_NATIVE_INT32, H5T_STD_I32LE, 1, five, lab32));
    CU_ASSERT_EQUAL(open_ds(f4, NULL, NULL, true, &ds, &err), C8_ERR_SHAPE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "(5)"));
    KEEP(f5, dt_path(r, "flab.h5"));
    CU_ASSERT_TRUE(dt_h5_put(f5, "/images", H5T_NATIVE_UINT8, H5T_STD_U8LE, 4, d4, u8));
    CU_ASSERT_TRUE(dt_h5_put(f5, "/labels", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 1, d1, f32));
    CU_ASSERT_EQUAL(open_ds(f5, NULL, NULL, true, &ds, &err), C8_ERR_UNSUPPORTED);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "integers"));
    KEEP(f6, dt_path(r, "neg.h5"));
    int32_t neg[6] = {0, 1, -3, 0, 0, 0};
    CU_ASSERT_TRUE(dt_h5_put(f6, "/images", H5T_NATIVE_UINT8, H5T_STD_U8LE, 4, d4, u8));
    CU_ASSERT_TRUE(dt_h5_put(f6, "/labels", H5T_NATIVE_INT32, H5T_STD_I32LE, 1, d1, neg));
    CU_ASSERT_EQUAL(open_ds(f6, NULL, NULL, true, &ds, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "/labels[2]"));
    /* labels beyond the names file */
    dt_write_text(dt_path(r, "names.txt"), "a\nb\nc\n");
    CU_ASSERT_EQUAL(open_ds(f1, NULL, dt_path(r, "names.txt"), true, &ds, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "out of range"));
    /* not an HDF5 file */
    KEEP(f7, dt_path(r, "fake.h5"));
    dt_write_text(f7, "hello");
    CU_ASSERT_EQUAL(open_ds(f7, NULL, NULL, true, &ds, &err), C8_ERR_PARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not an HDF5 file"));
}

/* ---- selection ---- */

/* An HDF5 source of n images with the given labels: image k is named "/images[k]". */
static const char *h5_with_labels(const char *name, int n, const int64_t *labels) {
    const char *r = dt_scratch(name);
    const char *f = dt_path(r, "s.h5");
    uint8_t *px = calloc((size_t)n, 1);
    hsize_t d[3] = {(hsize_t)n, 1, 1}, dl[1] = {(hsize_t)n};
    CU_ASSERT_TRUE(dt_h5_put(f, "/images", H5T_NATIVE_UINT8, H5T_STD_U8LE, 3, d, px));
    if (labels)
        CU_ASSERT_TRUE(dt_h5_put(f, "/labels", H5T_NATIVE_INT64, H5T_STD_I64LE, 1, dl, labels));
    free(px);
    return f;
}

static void order_of(const c8_dataset *ds, int64_t *out) {
    for (int64_t i = 0; i < c8_dataset_count(ds); i++)
        out[i] = strtoll(c8_dataset_name(ds, i) + strlen("/images["), NULL, 10);
}

static void test_selection_golden(void) {
    const char *f = h5_with_labels("sel-golden", 10, NULL);
    /* Python, from the README's algorithm: splitmix64 + Fisher-Yates with rejection. */
    const struct {
        uint64_t seed;
        int64_t order[10];
    } golden[] = {
        {0, {6, 3, 2, 9, 8, 1, 4, 7, 0, 5}},
        {1, {4, 2, 8, 1, 9, 3, 0, 6, 7, 5}},
        {12345678901234567890ULL, {7, 4, 2, 1, 0, 3, 5, 8, 9, 6}},
    };
    c8_dataset_spec sp;
    c8_error err = {0};
    c8_dataset *ds;
    int64_t got[10];
    for (size_t k = 0; k < 3; k++) {
        c8_dataset_spec_init(&sp);
        sp.path = f;
        sp.seed = golden[k].seed;
        CU_ASSERT_EQUAL_FATAL(c8_dataset_open(&sp, &ds, &err), C8_OK);
        order_of(ds, got);
        CU_ASSERT_EQUAL(memcmp(got, golden[k].order, sizeof got), 0);
        c8_dataset_destroy(ds);
    }
    /* --images N: the first N of the same order */
    c8_dataset_spec_init(&sp);
    sp.path = f;
    sp.images = 4;
    CU_ASSERT_EQUAL_FATAL(c8_dataset_open(&sp, &ds, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_dataset_count(ds), 4);
    CU_ASSERT_EQUAL(c8_dataset_total(ds), 10);
    order_of(ds, got);
    CU_ASSERT_EQUAL(memcmp(got, golden[0].order, 4 * sizeof(int64_t)), 0);
    c8_dataset_destroy(ds);
    /* more than there are: all of them */
    sp.images = 50;
    CU_ASSERT_EQUAL_FATAL(c8_dataset_open(&sp, &ds, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_dataset_count(ds), 10);
    c8_dataset_destroy(ds);
    /* no shuffle: source order */
    sp.images = -1;
    sp.shuffle = false;
    CU_ASSERT_EQUAL_FATAL(c8_dataset_open(&sp, &ds, &err), C8_OK);
    order_of(ds, got);
    for (int i = 0; i < 10; i++) CU_ASSERT_EQUAL(got[i], i);
    c8_dataset_destroy(ds);
}

static void test_selection_determinism(void) {
    int64_t labels[1000];
    for (int i = 0; i < 1000; i++) labels[i] = i % 7;
    const char *f = h5_with_labels("sel-det", 1000, labels);
    c8_dataset_spec sp;
    c8_dataset_spec_init(&sp);
    sp.path = f;
    sp.images = 100;
    c8_error err = {0};
    c8_dataset *a, *b, *c;
    CU_ASSERT_EQUAL_FATAL(c8_dataset_open(&sp, &a, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_dataset_open(&sp, &b, &err), C8_OK);
    sp.seed = 1;
    CU_ASSERT_EQUAL_FATAL(c8_dataset_open(&sp, &c, &err), C8_OK);
    CU_ASSERT_STRING_EQUAL(c8_dataset_manifest(a), c8_dataset_manifest(b));
    CU_ASSERT_STRING_EQUAL(c8_dataset_manifest_sha256(a), c8_dataset_manifest_sha256(b));
    CU_ASSERT_STRING_NOT_EQUAL(c8_dataset_manifest_sha256(a), c8_dataset_manifest_sha256(c));
    /* the sha256 is that of the manifest text */
    char hex[65];
    const char *m = c8_dataset_manifest(a);
    c8_sha256_buf_hex(m, strlen(m), hex);
    CU_ASSERT_STRING_EQUAL(hex, c8_dataset_manifest_sha256(a));
    CU_ASSERT_EQUAL(strncmp(m, "calib8-manifest 1\nsource hdf5\ncount 100\n", 40), 0);
    c8_dataset_destroy(a);
    c8_dataset_destroy(b);
    c8_dataset_destroy(c);
}

static void test_stratified(void) {
    /* 15 of class 0, 10 of class 1, 5 of class 2, interleaved */
    int64_t labels[30];
    int n0 = 0, n1 = 0, n2 = 0;
    for (int i = 0; i < 30; i++) {
        labels[i] = (n2 < 5 && i % 6 == 5) ? 2 : (n1 < 10 && i % 3 == 1) ? 1 : 0;
        n0 += labels[i] == 0;
        n1 += labels[i] == 1;
        n2 += labels[i] == 2;
    }
    CU_ASSERT_TRUE_FATAL(n0 == 15 && n1 == 10 && n2 == 5);
    const char *f = h5_with_labels("sel-strat", 30, labels);
    c8_dataset_spec sp;
    c8_dataset_spec_init(&sp);
    sp.path = f;
    sp.stratified = true;
    c8_error err = {0};
    c8_dataset *ds;
    const int64_t wants[][4] = {{12, 4, 4, 4}, {25, 10, 10, 5}, {30, 15, 10, 5}, {2, -1, -1, -1}};
    for (size_t k = 0; k < 4; k++) {
        sp.images = wants[k][0];
        CU_ASSERT_EQUAL_FATAL(c8_dataset_open(&sp, &ds, &err), C8_OK);
        int64_t cnt[3] = {0, 0, 0};
        for (int64_t i = 0; i < c8_dataset_count(ds); i++) {
            cnt[c8_dataset_label(ds, i)]++;
            /* while every class has images left, each prefix is balanced within one */
            if (i < 15) {
                int64_t mx = cnt[0] > cnt[1] ? cnt[0] : cnt[1],
                        mn = cnt[0] < cnt[1] ? cnt[0] : cnt[1];
                mx = mx > cnt[2] ? mx : cnt[2];
                mn = mn < cnt[2] ? mn : cnt[2];
                CU_ASSERT_TRUE(mx - mn <= 1);
            }
        }
        if (wants[k][1] >= 0) {
            CU_ASSERT_EQUAL(cnt[0], wants[k][1]);
            CU_ASSERT_EQUAL(cnt[1], wants[k][2]);
            CU_ASSERT_EQUAL(cnt[2], wants[k][3]);
        } else {
            CU_ASSERT_NOT_EQUAL(c8_dataset_label(ds, 0), c8_dataset_label(ds, 1));
        }
        c8_dataset_destroy(ds);
    }
    /* stratified selection is deterministic too */
    sp.images = 12;
    c8_dataset *a, *b;
    CU_ASSERT_EQUAL_FATAL(c8_dataset_open(&sp, &a, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_dataset_open(&sp, &b, &err), C8_OK);
    CU_ASSERT_STRING_EQUAL(c8_dataset_manifest_sha256(a), c8_dataset_manifest_sha256(b));
    c8_dataset_destroy(a);
    c8_dataset_destroy(b);
}

static const c8_test_case k_cases[] = {
    {"imagefolder", test_imagefolder},
    {"empty_and_missing", test_empty_and_missing},
    {"flat_folder", test_flat_folder},
    {"list", test_list},
    {"hdf5", test_hdf5},
    {"selection_golden", test_selection_golden},
    {"selection_determinism", test_selection_determinism},
    {"stratified", test_stratified},
};

C8T_MAIN("datasets_sources", k_cases)
