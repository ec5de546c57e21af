/* Tests for util/: SHA-256 against FIPS 180-4 vectors, .npy round trips, JSON, atomic writes. */
#include "c8test.h"

#include "util/arith.h"
#include "util/err.h"
#include "util/fileio.h"
#include "util/json.h"
#include "util/npy.h"
#include "util/sha256.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_sha256_vectors(void) {
    char hex[65];
    c8_sha256_buf_hex("abc", 3, hex);
    CU_ASSERT_STRING_EQUAL(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    c8_sha256_buf_hex("", 0, hex);
    CU_ASSERT_STRING_EQUAL(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    c8_sha256_buf_hex(m, strlen(m), hex);
    CU_ASSERT_STRING_EQUAL(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* one million 'a', fed in odd-sized pieces to exercise buffering */
    c8_sha256 s;
    c8_sha256_init(&s);
    char buf[997];
    memset(buf, 'a', sizeof buf);
    size_t left = 1000000;
    while (left) {
        size_t k = left < sizeof buf ? left : sizeof buf;
        c8_sha256_update(&s, buf, k);
        left -= k;
    }
    unsigned char d[32];
    c8_sha256_final(&s, d);
    c8_sha256_hex(d, hex);
    CU_ASSERT_STRING_EQUAL(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_arith(void) {
    size_t out;
    CU_ASSERT_TRUE(c8_mul_size(1u << 20, 1u << 20, &out));
    CU_ASSERT_FALSE(c8_mul_size(SIZE_MAX / 2, 3, &out));
    CU_ASSERT_FALSE(c8_add_size(SIZE_MAX, 1, &out));
    int64_t o;
    CU_ASSERT_FALSE(c8_mul_i64(-1, 5, &o));
    CU_ASSERT_FALSE(c8_mul_i64(INT64_MAX / 2, 3, &o));
    CU_ASSERT_TRUE(c8_mul_i64(3, 5, &o));
    CU_ASSERT_EQUAL(o, 15);
}

static void test_npy_roundtrip(void) {
    const char *path = C8_BINARY_DIR "/test_util_rt.npy";
    float v[6] = {1.5f, -2.f, 3.25f, 0.f, 1e-30f, -7.f};
    int64_t dims[2] = {2, 3};
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_npy_write(path, C8_NPY_F32, 2, dims, v, &err), C8_OK);
    c8_npy a;
    CU_ASSERT_EQUAL_FATAL(c8_npy_read(path, &a, &err), C8_OK);
    CU_ASSERT_EQUAL(a.type, C8_NPY_F32);
    CU_ASSERT_EQUAL(a.rank, 2);
    CU_ASSERT_EQUAL(a.dims[0], 2);
    CU_ASSERT_EQUAL(a.dims[1], 3);
    CU_ASSERT_EQUAL(memcmp(a.data, v, sizeof v), 0);
    c8_npy_free(&a);
    /* 1-D shape is written "(5,)" as NumPy does */
    int64_t d1 = 5;
    int64_t iv[5] = {1, 2, 3, 4, -5};
    CU_ASSERT_EQUAL_FATAL(c8_npy_write(path, C8_NPY_I64, 1, &d1, iv, &err), C8_OK);
    unsigned char *buf;
    size_t len;
    CU_ASSERT_EQUAL_FATAL(c8_read_file(path, 0, &buf, &len, &err), C8_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)buf + 10, "'shape': (5,)"));
    CU_ASSERT_EQUAL(len % 64, (5 * 8) % 64); /* header padded to 64 bytes */
    /* truncated data is an error naming the file */
    c8_npy b;
    CU_ASSERT_EQUAL(c8_npy_parse(buf, len - 3, "x.npy", &b, &err), C8_ERR_PARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "x.npy"));
    CU_ASSERT_EQUAL(c8_npy_parse(buf, 4, "x.npy", &b, &err), C8_ERR_PARSE);
    free(buf);
    unlink(path);
}

static void test_json(void) {
    const char *path = C8_BINARY_DIR "/test_util.json";
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    c8_jw w;
    c8_jw_init(&w, f);
    c8_jw_obj_begin(&w);
    c8_jw_key(&w, "name");
    c8_jw_str(&w, "a \"quoted\"\n\\name");
    c8_jw_key(&w, "x");
    c8_jw_num(&w, 0.1);
    c8_jw_key(&w, "f");
    c8_jw_f32(&w, 1.0f / 3.0f);
    c8_jw_key(&w, "arr");
    c8_jw_arr_begin(&w);
    c8_jw_int(&w, -3);
    c8_jw_bool(&w, true);
    c8_jw_null(&w);
    c8_jw_arr_end(&w);
    c8_jw_key(&w, "empty");
    c8_jw_obj_begin(&w);
    c8_jw_obj_end(&w);
    c8_jw_obj_end(&w);
    fclose(f);
    c8_json *j;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_json_parse_file(path, &j, &err), C8_OK);
    CU_ASSERT_STRING_EQUAL(c8_json_get_str(j, "name"), "a \"quoted\"\n\\name");
    CU_ASSERT_EQUAL(c8_json_get_num(j, "x", 0), 0.1); /* %.17g round-trips exactly */
    CU_ASSERT_EQUAL((float)c8_json_get_num(j, "f", 0), 1.0f / 3.0f);
    const c8_json *arr = c8_json_get(j, "arr");
    CU_ASSERT_EQUAL_FATAL(arr->n, 3);
    CU_ASSERT_EQUAL(arr->kids[0].num, -3);
    CU_ASSERT_EQUAL(arr->kids[1].type, C8_JSON_BOOL);
    CU_ASSERT_EQUAL(arr->kids[2].type, C8_JSON_NULL);
    CU_ASSERT_EQUAL(c8_json_get(j, "empty")->n, 0);
    c8_json_free(j);
    unlink(path);
    const char *bad = "{\"a\": 1,\n \"b\": }";
    CU_ASSERT_EQUAL(c8_json_parse(bad, strlen(bad), "bad.json", &j, &err), C8_ERR_PARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "bad.json"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "line 2"));
    const char *u = "[\"\\u00e9\\ud83d\\ude00\"]";
    CU_ASSERT_EQUAL_FATAL(c8_json_parse(u, strlen(u), "u", &j, &err), C8_OK);
    CU_ASSERT_STRING_EQUAL(j->kids[0].str, "\xc3\xa9\xf0\x9f\x98\x80");
    c8_json_free(j);
}

/* Bytes that are not valid UTF-8 are written as \udcXX (docs/cli.md, "JSON files"): the
 * file is ASCII there, well-formed sequences are kept, and the parser gives the bytes back. */
static void test_json_invalid_utf8(void) {
    /* 0xff; a truncated 3-byte sequence; an encoded surrogate; an overlong '/'; > U+10FFFF;
     * then valid 2-, 3- and 4-byte sequences */
    const char *name = "a\xff"
                       "b\xe2\x82"
                       "c\xed\xa0\x80"
                       "d\xc0\xaf"
                       "e\xf4\x90\x80\x80"
                       "f"
                       "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
    const char *want = "\"a\\udcff"
                       "b\\udce2\\udc82"
                       "c\\udced\\udca0\\udc80"
                       "d\\udcc0\\udcaf"
                       "e\\udcf4\\udc90\\udc80\\udc80"
                       "f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"";
    FILE *f = tmpfile();
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    c8_json_write_string(f, name);
    char buf[256] = {0};
    rewind(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (strcmp(buf, want)) printf("\n  wrote %s\n  want  %s\n", buf, want);
    CU_ASSERT_STRING_EQUAL(buf, want);
    c8_json *j;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_json_parse(buf, n, "u", &j, &err), C8_OK);
    CU_ASSERT_EQUAL(j->type, C8_JSON_STR);
    CU_ASSERT_STRING_EQUAL(j->str, name); /* the same bytes back */
    c8_json_free(j);
}

static void test_atomic_write(void) {
    const char *path = C8_BINARY_DIR "/test_util_atomic.txt";
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_write_file_atomic(path, "old", 3, &err), C8_OK);
    /* an aborted write leaves the old content and no temporary file */
    c8_atomic_file *f;
    CU_ASSERT_EQUAL_FATAL(c8_atomic_open(path, &f, &err), C8_OK);
    fputs("new content", c8_atomic_file_fp(f));
    c8_atomic_abort(f);
    unsigned char *buf;
    size_t len;
    CU_ASSERT_EQUAL_FATAL(c8_read_file(path, 0, &buf, &len, &err), C8_OK);
    CU_ASSERT_STRING_EQUAL((char *)buf, "old");
    free(buf);
    /* a full disk, simulated with RLIMIT_FSIZE in a child: the write fails with a message
     * and the existing file keeps its old content */
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {64, 64};
        setrlimit(RLIMIT_FSIZE, &rl);
        static char big[1 << 16];
        memset(big, 'x', sizeof big);
        c8_error e2 = {0};
        c8_status st = c8_write_file_atomic(path, big, sizeof big, &e2);
        _exit(st == C8_ERR_IO && strstr(e2.msg, "untouched") ? 0 : 1);
    }
    int wst = 0;
    waitpid(pid, &wst, 0);
    CU_ASSERT_TRUE(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
    CU_ASSERT_EQUAL_FATAL(c8_read_file(path, 0, &buf, &len, &err), C8_OK);
    CU_ASSERT_STRING_EQUAL((char *)buf, "old");
    free(buf);
    /* a folder that does not exist */
    CU_ASSERT_EQUAL(c8_write_file_atomic(C8_BINARY_DIR "/no/such/dir/x.txt", "x", 1, &err),
                    C8_ERR_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no/such/dir/x.txt"));
    /* a folder we cannot write into: clear error naming the path */
    const char *ro = C8_BINARY_DIR "/test_util_ro";
    mkdir(ro, 0755);
    chmod(ro, 0555);
    char p2[512];
    snprintf(p2, sizeof p2, "%s/out.txt", ro);
    c8_status s = c8_write_file_atomic(p2, "x", 1, &err);
    if (geteuid() != 0) { /* root ignores permissions */
        CU_ASSERT_EQUAL(s, C8_ERR_IO);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "out.txt"));
    }
    chmod(ro, 0755);
    unlink(p2);
    rmdir(ro);
    unlink(path);
}

static const c8_test_case cases[] = {
    {"sha256_vectors", test_sha256_vectors},       {"arith", test_arith},
    {"npy_roundtrip", test_npy_roundtrip},         {"json", test_json},
    {"json_invalid_utf8", test_json_invalid_utf8}, {"atomic_write", test_atomic_write},
};
C8T_MAIN("util", cases)
