/* Tests for calib/cache.c: the five real TensorRT caches (read, spot scales, written back byte
 * for byte), round trips of awkward names and scales, the malformed-cache policy (each case's
 * error names the file and line), lenient hex, set/get/find and diff. */
#include "c8test.h"

#include "calib/cache.h"
#include "calib8/calib.h"
#include "util/fileio.h"

#include <math.h>

#define FIXTURES C8_SHARED_DIR "/fixtures/trt-caches"

static uint32_t bits_of(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

static c8_calib_cache *parse_ok(const char *text) {
    c8_error err = {0};
    c8_calib_cache *c = NULL;
    c8_status st = c8_calib_cache_parse(text, strlen(text), "t.cache", &c, &err);
    if (st != C8_OK) printf("\n  unexpected error: %s\n", err.msg);
    CU_ASSERT_EQUAL(st, C8_OK);
    return c;
}

static char *format(const c8_calib_cache *c) {
    c8_error err = {0};
    char *t;
    size_t n;
    CU_ASSERT_EQUAL_FATAL(c8_calib_cache_format(c, &t, &n, &err), C8_OK);
    CU_ASSERT_EQUAL(strlen(t), n);
    return t;
}

static const struct {
    const char *file, *version, *algo;
    int64_t tensors;
    const char *name; /* a spot value */
    uint32_t bits;
} k_fixtures[] = {
    {"mnist-sampleint8-trt7000-entropy2.cache", "7000", "EntropyCalibration2", 8, "data",
     0x3c008912u},
    {"torchtrt-sample-trt8003-entropy2.cache", "8003", "EntropyCalibration2", 197, "input.1",
     0x3dd27429u},
    {"vgg16-trt8400-minmax.cache", "8400", "MinMaxCalibration", 67,
     "(Unnamed Layer* 46) [Constant]_output", 0x398b1d4bu},
    {"retinaplate-trt8501-entropy2.cache", "8501", "EntropyCalibration2", 126, "input",
     0x3f9234fau},
    {"yolov8-trt100300-entropy2.cache", "100300", "EntropyCalibration2", 343,
     "/model.0/act/Sigmoid_output_0", 0x3c010a14u},
};

static void test_trt_fixtures(void) {
    if (!c8t_exists(FIXTURES "/SOURCES.md")) C8_SKIP("%s is absent", FIXTURES);
    for (size_t f = 0; f < sizeof k_fixtures / sizeof k_fixtures[0]; f++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", FIXTURES, k_fixtures[f].file);
        c8_error err = {0};
        c8_calib_cache *c;
        CU_ASSERT_EQUAL_FATAL(c8_calib_cache_read(path, &c, &err), C8_OK);
        CU_ASSERT_STRING_EQUAL(c8_calib_cache_trt_version(c), k_fixtures[f].version);
        CU_ASSERT_STRING_EQUAL(c8_calib_cache_trt_algorithm(c), k_fixtures[f].algo);
        CU_ASSERT_EQUAL(c8_calib_cache_count(c), k_fixtures[f].tensors);
        CU_ASSERT_TRUE(c8_calib_cache_final_newline(c));
        CU_ASSERT_EQUAL(c8_calib_cache_noncanonical(c), 0);
        int64_t i = c8_calib_cache_find(c, k_fixtures[f].name);
        CU_ASSERT_FATAL(i >= 0);
        CU_ASSERT_EQUAL(c8_calib_cache_bits(c, i), k_fixtures[f].bits);
        CU_ASSERT_EQUAL(c8_calib_cache_line(c, i), i + 2);
        /* written back: the same bytes */
        unsigned char *orig;
        size_t olen;
        CU_ASSERT_EQUAL_FATAL(c8_read_file(path, 0, &orig, &olen, &err), C8_OK);
        char *t = format(c);
        CU_ASSERT_EQUAL(strlen(t), olen);
        CU_ASSERT_EQUAL(memcmp(t, orig, olen), 0);
        char out[1024];
        snprintf(out, sizeof out, "%s/test_calib_cache_%zu.cache", C8_BINARY_DIR, f);
        CU_ASSERT_EQUAL(c8_calib_cache_write(c, out, &err), C8_OK);
        unsigned char *back;
        size_t blen;
        CU_ASSERT_EQUAL_FATAL(c8_read_file(out, 0, &back, &blen, &err), C8_OK);
        CU_ASSERT_TRUE(blen == olen && !memcmp(back, orig, olen));
        free(back);
        free(t);
        free(orig);
        c8_calib_cache_destroy(c);
    }
    /* exact decimal values of two spot scales (IEEE float32 from the hex) */
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", FIXTURES, k_fixtures[0].file);
    c8_error err = {0};
    c8_calib_cache *c;
    CU_ASSERT_EQUAL_FATAL(c8_calib_cache_read(path, &c, &err), C8_OK);
    float s;
    CU_ASSERT_EQUAL(c8_calib_cache_get(c, "data", &s, &err), C8_OK);
    CU_ASSERT_EQUAL(s, 0x1.011224p-7f); /* 0.00784518010914325714111328125 */
    CU_ASSERT_EQUAL(c8_calib_cache_get(c, "prob", &s, &err), C8_OK);
    CU_ASSERT_EQUAL(s, 0x1.021428p-7f); /* 0.007875937968492507934570312 */
    CU_ASSERT_EQUAL(c8_calib_cache_get(c, "nope", &s, &err), C8_ERR_NOT_FOUND);
    CU_ASSERT_STRING_EQUAL(err.msg, "tensor 'nope' has no scale in the cache");
    c8_calib_cache_destroy(c);
}

static void test_roundtrip_names_and_scales(void) {
    c8_error err = {0};
    c8_calib_cache *c;
    CU_ASSERT_EQUAL_FATAL(c8_calib_cache_create(NULL, "EntropyCalibration2", &c, &err), C8_OK);
    CU_ASSERT_STRING_EQUAL(c8_calib_cache_trt_version(c), C8_CALIB_TRT_VERSION_DEFAULT);
    const char *names[] = {"input",
                           "onnx::Add_123",
                           "a: b",
                           "/model.0/conv/Conv_output_0",
                           "(Unnamed Layer* 46) [Constant]_output",
                           " leading space",
                           "x:",
                           "trailing: ",
                           "7"};
    const float scales[] = {0x1.011224p-7f, 1.0f, 0.0f,   INFINITY, 0x1p-149f,
                            3.0e38f,        0.5f, 1e-30f, 2.0f};
    for (int i = 0; i < 9; i++)
        CU_ASSERT_EQUAL(c8_calib_cache_set(c, names[i], scales[i], &err), C8_OK);
    char *t = format(c);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "TRT-100300-EntropyCalibration2\ninput: 3c008912\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "\na: b: 0\n"));  /* zero is "0" */
    CU_ASSERT_PTR_NOT_NULL(strstr(t, ": 7f800000\n")); /* +inf */
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "\n(Unnamed Layer* 46) [Constant]_output: 1\n")); /* 2^-149 */
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "\ntrailing: : "));
    c8_calib_cache *b = parse_ok(t);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(c8_calib_cache_count(b), 9);
    for (int i = 0; i < 9; i++) {
        CU_ASSERT_STRING_EQUAL(c8_calib_cache_name(b, i), names[i]);
        CU_ASSERT_EQUAL(c8_calib_cache_bits(b, i), bits_of(scales[i]));
    }
    char *t2 = format(b);
    CU_ASSERT_STRING_EQUAL(t, t2);
    /* set on an existing name replaces in place */
    CU_ASSERT_EQUAL(c8_calib_cache_set(b, "a: b", 2.0f, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_calib_cache_count(b), 9);
    CU_ASSERT_EQUAL(c8_calib_cache_find(b, "a: b"), 2);
    CU_ASSERT_EQUAL(c8_calib_cache_scale(b, 2), 2.0f);
    /* refused: NaN, negative, -0, empty names and line breaks */
    CU_ASSERT_EQUAL(c8_calib_cache_set(b, "n", NAN, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_calib_cache_set(b, "n", -1.0f, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_calib_cache_set(b, "n", -0.0f, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_calib_cache_set(b, "", 1.0f, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_calib_cache_set(b, "a\nb", 1.0f, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_calib_cache_set(b, "a\rb", 1.0f, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_calib_cache_count(b), 9);
    free(t);
    free(t2);
    c8_calib_cache_destroy(b);
    c8_calib_cache_destroy(c);
    /* header parts are validated */
    CU_ASSERT_EQUAL(c8_calib_cache_create("10.3", "X", &c, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_calib_cache_create("100300", "Entropy-2", &c, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_calib_cache_create("", "X", &c, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_calib_cache_create("1", NULL, &c, &err), C8_ERR_INVALID);
    c8_calib_cache_destroy(NULL);
}

static void test_final_newline_and_empty(void) {
    const char *no_nl = "TRT-7000-EntropyCalibration2\na: 3c008912";
    c8_calib_cache *c = parse_ok(no_nl);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_FALSE(c8_calib_cache_final_newline(c));
    char *t = format(c);
    CU_ASSERT_STRING_EQUAL(t, no_nl);
    free(t);
    c8_calib_cache_set_final_newline(c, true);
    t = format(c);
    CU_ASSERT_STRING_EQUAL(t, "TRT-7000-EntropyCalibration2\na: 3c008912\n");
    free(t);
    c8_calib_cache_destroy(c);
    /* a header alone is a cache with no tensors */
    const char *hdr[] = {"TRT-8501-MinMaxCalibration\n", "TRT-8501-MinMaxCalibration"};
    for (int i = 0; i < 2; i++) {
        c = parse_ok(hdr[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(c);
        CU_ASSERT_EQUAL(c8_calib_cache_count(c), 0);
        t = format(c);
        CU_ASSERT_STRING_EQUAL(t, hdr[i]);
        free(t);
        c8_calib_cache_destroy(c);
    }
}

static void test_lenient_hex(void) {
    /* uppercase digits and leading zeros are read (counted as non-canonical) and written back
     * the way TensorRT writes them */
    c8_calib_cache *c = parse_ok("TRT-7000-EntropyCalibration2\na: 3C008912\nb: 0003c00\nc: 0\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c8_calib_cache_noncanonical(c), 2);
    char *t = format(c);
    CU_ASSERT_STRING_EQUAL(t, "TRT-7000-EntropyCalibration2\na: 3c008912\nb: 3c00\nc: 0\n");
    free(t);
    c8_calib_cache_destroy(c);
}

static void test_malformed(void) {
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"", "t.cache: empty file"},
        {"TRT-7000EntropyCalibration2\n", "t.cache:1: bad header 'TRT-7000EntropyCalibration2'"},
        {"TRX-7000-EntropyCalibration2\n", "t.cache:1: bad header"},
        {"TRT--EntropyCalibration2\n", "t.cache:1: bad header"},
        {"TRT-7000-\n", "t.cache:1: bad header"},
        {"TRT-7a00-EntropyCalibration2\n", "t.cache:1: bad header"},
        {"TRT-7000-Entropy Calibration2\n", "t.cache:1: bad header"},
        {"data: 3c008912\n", "t.cache:1: bad header 'data: 3c008912'"},
        {"TRT-7000-EntropyCalibration2\na: 3c00891g\n",
         "t.cache:2: bad hex scale '3c00891g' for tensor 'a'"},
        {"TRT-7000-EntropyCalibration2\na: 3c008912 \n", "t.cache:2: bad hex scale '3c008912 '"},
        {"TRT-7000-EntropyCalibration2\na: 0x3c00\n", "t.cache:2: bad hex scale '0x3c00'"},
        {"TRT-7000-EntropyCalibration2\na: -3c00\n", "t.cache:2: bad hex scale '-3c00'"},
        {"TRT-7000-EntropyCalibration2\na: 13c008912\n",
         "t.cache:2: scale '13c008912' of tensor 'a' has 9 hex digits"},
        {"TRT-7000-EntropyCalibration2\na: 1\nb: 2\na: 3\n",
         "t.cache:4: duplicate tensor 'a' (first on line 2)"},
        {"TRT-7000-EntropyCalibration2\na: 1\n\nb: 2\n", "t.cache:3: empty line"},
        {"TRT-7000-EntropyCalibration2\na: 1\n\n", "t.cache:3: empty line"},
        {"TRT-7000-EntropyCalibration2\n\n", "t.cache:2: empty line"},
        {"TRT-7000-EntropyCalibration2\r\na: 1\r\n", "t.cache:1: line ends with CR (CRLF"},
        {"TRT-7000-EntropyCalibration2\na: 1\r\n", "t.cache:2: line ends with CR (CRLF"},
        {"TRT-7000-EntropyCalibration2\na:3c008912\n",
         "t.cache:2: no ': ' in 'a:3c008912' (expected '<tensor name>: <hex scale>')"},
        {"TRT-7000-EntropyCalibration2\na 3c008912\n", "t.cache:2: no ': '"},
        {"TRT-7000-EntropyCalibration2\n: 3c008912\n", "t.cache:2: empty tensor name"},
        {"TRT-7000-EntropyCalibration2\na: \n", "t.cache:2: tensor 'a' has an empty scale"},
        {"TRT-7000-EntropyCalibration2\na: 7fc00000\n", "t.cache:2: tensor 'a' has a NaN scale"},
        {"TRT-7000-EntropyCalibration2\na: bf800000\n",
         "t.cache:2: tensor 'a' has a negative scale"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c8_error err = {0};
        c8_calib_cache *c = (c8_calib_cache *)1;
        c8_status st = c8_calib_cache_parse(bad[i].text, strlen(bad[i].text), "t.cache", &c, &err);
        bool ok =
            st == C8_ERR_PARSE && c == NULL && !strncmp(err.msg, bad[i].msg, strlen(bad[i].msg));
        if (!ok)
            printf("\n  case %zu: status %d, message '%s', expected '%s'\n", i, st, err.msg,
                   bad[i].msg);
        CU_ASSERT_TRUE(ok);
    }
    /* a NUL byte: not a text cache */
    const char nul[] = "TRT-7000-EntropyCalibration2\na\0: 1\n";
    c8_error err = {0};
    c8_calib_cache *c;
    CU_ASSERT_EQUAL(c8_calib_cache_parse(nul, sizeof nul - 1, "t.cache", &c, &err), C8_ERR_PARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "t.cache:2: NUL byte"));
    /* a missing file names it */
    CU_ASSERT_EQUAL(c8_calib_cache_read(C8_BINARY_DIR "/no/such.cache", &c, &err), C8_ERR_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no/such.cache"));
}

static void test_diff(void) {
    c8_calib_cache *a = parse_ok("TRT-8501-EntropyCalibration2\nx: 3f800000\ny: 40000000\n"
                                 "onlya: 1\nz: 7f800000\nw: 0\n");
    c8_calib_cache *b = parse_ok("TRT-100300-MinMaxCalibration\nonlyb: 2\nw: 0\nz: 40000000\n"
                                 "y: 40000001\nx: 3f800000\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    c8_error err = {0};
    c8_calib_diff *d;
    int64_t n;
    CU_ASSERT_EQUAL_FATAL(c8_calib_cache_diff(a, b, 0.0, &d, &n, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(n, 4);
    CU_ASSERT_EQUAL(d[0].kind, C8_CALIB_DIFF_SCALE);
    CU_ASSERT_STRING_EQUAL(d[0].name, "y");
    CU_ASSERT_DOUBLE_EQUAL(d[0].rel, 0x1p-22 / (2 + 0x1p-22), 1e-20); /* one ulp at 2 */
    CU_ASSERT_EQUAL(d[1].kind, C8_CALIB_DIFF_ONLY_A);
    CU_ASSERT_STRING_EQUAL(d[1].name, "onlya");
    CU_ASSERT_EQUAL(d[2].kind, C8_CALIB_DIFF_SCALE);
    CU_ASSERT_STRING_EQUAL(d[2].name, "z");
    CU_ASSERT_TRUE(isinf(d[2].rel));
    CU_ASSERT_EQUAL(d[3].kind, C8_CALIB_DIFF_ONLY_B);
    CU_ASSERT_STRING_EQUAL(d[3].name, "onlyb");
    free(d);
    /* a tolerance hides the one-ulp difference */
    CU_ASSERT_EQUAL_FATAL(c8_calib_cache_diff(a, b, 1e-6, &d, &n, &err), C8_OK);
    CU_ASSERT_EQUAL(n, 3);
    free(d);
    CU_ASSERT_EQUAL_FATAL(c8_calib_cache_diff(a, a, 0.0, &d, &n, &err), C8_OK);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_PTR_NULL(d);
    c8_calib_cache_destroy(a);
    c8_calib_cache_destroy(b);
}

static const c8_test_case cases[] = {
    {"trt_fixtures", test_trt_fixtures},
    {"roundtrip_names_and_scales", test_roundtrip_names_and_scales},
    {"final_newline_and_empty", test_final_newline_and_empty},
    {"lenient_hex", test_lenient_hex},
    {"malformed", test_malformed},
    {"diff", test_diff},
};
C8T_MAIN("calib_cache", cases)
