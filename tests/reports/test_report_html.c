/* report.html opened in headless Chromium (Debian's `chromium`; skipped when it is absent): the
 * DOM after the inline script ran (the script marks <body data-sortable="ready">, the layer table
 * has its rows and sorts when asked through the #sort= fragment, the SVG plots have their bars),
 * and a screenshot decoded with calib8's own PNG reader: its size, non-blank pixels, and the
 * colours of the plots' bars and threshold lines. The report is a real one: c8_report_compare on
 * the tiny model (tiny_setup.h). */
#include "c8test.h"
#include "tiny_setup.h"

#include "calib8/dataset.h"
#include "calib8/report.h"
#include "util/fileio.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUT C8_BINARY_DIR "/test_report_html_"
#define SHOT_W 1280
#define SHOT_H 2400
#define CHROMIUM_TIMEOUT_S 120
/* Colours of report.html (write_html.c): bars #4878d0, the chosen threshold #c62828. A pixel
 * "has" a colour within this distance per channel (anti-aliased edges are not counted). */
#define COLOUR_TOL 10

static char g_chromium[512];

/* Finds the browser: $C8_CHROMIUM, else chromium or chromium-browser on PATH. */
static bool find_chromium(void) {
    const char *env = getenv("C8_CHROMIUM");
    if (env && *env) {
        snprintf(g_chromium, sizeof g_chromium, "%s", env);
        return access(env, X_OK) == 0;
    }
    static const char *const names[] = {"chromium", "chromium-browser", NULL};
    const char *path = getenv("PATH");
    for (const char *const *n = names; *n; n++) {
        const char *p = path ? path : "/usr/bin";
        while (*p) {
            size_t len = strcspn(p, ":");
            snprintf(g_chromium, sizeof g_chromium, "%.*s/%s", (int)len, p, *n);
            if (access(g_chromium, X_OK) == 0) return true;
            p += len;
            if (*p == ':') p++;
        }
    }
    return false;
}

static int run_chromium(const char *args, const char *url, const char *stdout_path) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "timeout %d '%s' --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
             "--no-first-run --hide-scrollbars --user-data-dir='%schrome-profile' %s '%s' > '%s' "
             "2> '%schromium.log'",
             CHROMIUM_TIMEOUT_S, g_chromium, OUT, args, url, stdout_path, OUT);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

static bool g_report_ready;

static void make_report(void) {
    if (g_report_ready) return;
    tiny_setup(OUT);
    c8_error err = {0};
    c8_model *m = NULL;
    c8_dataset *ds = NULL;
    c8_report *r = NULL;
    c8_preprocess pre;
    c8_loader_opts lo;
    c8_loader_opts_init(&lo);
    CU_ASSERT_EQUAL_FATAL(make_pre(&pre, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_model_load(TINY, NULL, &m, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(open_ds(OUT "tiny.h5", &ds, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_report_create(&r, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_report_set(r, "model", "tiny <cls> & co", &err), C8_OK);
    c8_compare_options o;
    c8_compare_options_init(&o);
    o.calib_cache = OUT "tiny.cache";
    o.layer_images = 32;
    o.progress = C8_PROGRESS_QUIET;
    c8_status s = c8_report_compare(r, m, ds, &pre, &lo, &o, &err);
    if (s) printf("\n  compare: %s", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_report_write(r, OUT "report", &err), C8_OK);
    c8_report_destroy(r);
    c8_dataset_destroy(ds);
    c8_model_destroy(m);
    g_report_ready = true;
}

static void test_html_self_contained(void) {
    make_report();
    unsigned char *html = NULL;
    size_t len;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_read_file(OUT "report/report.html", 0, &html, &len, &err), C8_OK);
    const char *h = (const char *)html;
    /* nothing fetched: no external scripts, styles, images or fonts */
    CU_ASSERT_PTR_NULL(strstr(h, "<script src"));
    CU_ASSERT_PTR_NULL(strstr(h, "<link"));
    /* the only URL is the SVG namespace (an identifier, never fetched) */
    CU_ASSERT_EQUAL(count(h, "http://"), count(h, "xmlns=\"http://www.w3.org/2000/svg\""));
    CU_ASSERT_PTR_NULL(strstr(h, "https://"));
    CU_ASSERT_PTR_NULL(strstr(h, "url("));
    /* the setting's text is escaped */
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "tiny &lt;cls&gt; &amp; co"));
    CU_ASSERT_PTR_NULL(strstr(h, "tiny <cls>"));
    free(html);
}

static void test_html_dom(void) {
    if (!find_chromium()) C8_SKIP("chromium not installed (apt-get install chromium)");
    make_report();
    CU_ASSERT_EQUAL_FATAL(
        run_chromium("--dump-dom", "file://" OUT "report/report.html", OUT "dom.html"), 0);
    unsigned char *dom = NULL;
    size_t len;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_read_file(OUT "dom.html", 0, &dom, &len, &err), C8_OK);
    const char *d = (const char *)dom;
    /* the inline script ran to its end */
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "data-sortable=\"ready\""));
    /* the layer table: one row per compared tensor (6 in the tiny model) */
    const char *t = strstr(d, "id=\"layer-table\"");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    const char *end = strstr(t, "</table>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(end);
    char *table = strndup(t, (size_t)(end - t));
    CU_ASSERT_EQUAL(count(table, "<tr class="), 6);
    /* the calibration algorithm per tensor, from the sidecar: the tiny cache is minmax's, so
     * every tensor (all six have a scale in it) says minmax */
    CU_ASSERT_PTR_NOT_NULL(strstr(table, "<th>calib algo</th>"));
    CU_ASSERT_EQUAL(count(table, "<td>minmax</td>"), 6);
    free(table);
    /* the table scrolls inside its own box */
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "<div class=\"scroll\" id=\"layer-table-box\"><table"));
    /* plots: top-1 chart, SQNR bars, sensitivity bars, histograms */
    CU_ASSERT(count(d, "<svg") >= 4);
    CU_ASSERT(count(d, "class=\"bar\"") >= 3 + 6);
    CU_ASSERT(count(d, "class=\"hbar\"") > 0);
    CU_ASSERT(count(d, "class=\"thr\"") > 0);
    free(dom);

    /* laid out in a 1400 x 900 window, the page is no wider than the window */
    CU_ASSERT_EQUAL_FATAL(run_chromium("--window-size=1400,900 --dump-dom",
                                       "file://" OUT "report/report.html", OUT "dom_1400.html"),
                          0);
    CU_ASSERT_EQUAL_FATAL(c8_read_file(OUT "dom_1400.html", 0, &dom, &len, &err), C8_OK);
    const char *pw = strstr((const char *)dom, "data-page-width=\"");
    CU_ASSERT_PTR_NOT_NULL_FATAL(pw);
    long width = strtol(pw + strlen("data-page-width=\""), NULL, 10);
    printf("\n  page width at 1400 px: %ld", width);
    CU_ASSERT(width > 0 && width <= 1400);
    free(dom);

    /* sorted by the SQNR column (7, after "calib algo"), ascending: the broken Gemm's logits
     * come first */
    CU_ASSERT_EQUAL_FATAL(run_chromium("--dump-dom",
                                       "file://" OUT "report/report.html#sort=layer-table:7",
                                       OUT "dom_sorted.html"),
                          0);
    CU_ASSERT_EQUAL_FATAL(c8_read_file(OUT "dom_sorted.html", 0, &dom, &len, &err), C8_OK);
    d = (const char *)dom;
    t = strstr(d, "id=\"layer-table\"");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "aria-sort=\"ascending\""));
    const char *first = strstr(t, "<tbody>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(first);
    const char *row_end = strstr(first, "</tr>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(row_end);
    char *row = strndup(first, (size_t)(row_end - first));
    if (!strstr(row, ">logits<")) printf("\n  first row after sorting: %s", row);
    CU_ASSERT_PTR_NOT_NULL(strstr(row, ">logits<"));
    free(row);
    free(dom);
}

static bool near(const uint8_t *p, int r, int g, int b) {
    return abs(p[0] - r) <= COLOUR_TOL && abs(p[1] - g) <= COLOUR_TOL &&
           abs(p[2] - b) <= COLOUR_TOL;
}

static void test_html_screenshot(void) {
    if (!find_chromium()) C8_SKIP("chromium not installed (apt-get install chromium)");
    make_report();
    char args[256];
    snprintf(args, sizeof args, "--window-size=%d,%d --screenshot='%sshot.png'", SHOT_W, SHOT_H,
             OUT);
    unlink(OUT "shot.png");
    CU_ASSERT_EQUAL_FATAL(run_chromium(args, "file://" OUT "report/report.html", OUT "shot.log"),
                          0);
    c8_image img;
    c8_error err = {0};
    c8_status s = c8_image_read(OUT "shot.png", &img, &err);
    if (s) printf("\n  %s", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    CU_ASSERT_EQUAL(img.w, SHOT_W);
    CU_ASSERT_EQUAL(img.h, SHOT_H);
    CU_ASSERT_EQUAL_FATAL(img.c, 3);
    int64_t dark = 0, blue = 0, red = 0, n = img.w * img.h;
    for (int64_t i = 0; i < n; i++) {
        const uint8_t *p = img.data + 3 * i;
        dark += p[0] < 200 || p[1] < 200 || p[2] < 200;
        blue += near(p, 0x48, 0x78, 0xd0);
        red += near(p, 0xc6, 0x28, 0x28);
    }
    printf("\n  screenshot %lldx%lld: %.1f%% non-blank, %lld bar pixels, %lld threshold pixels",
           (long long)img.w, (long long)img.h, 100.0 * (double)dark / (double)n, (long long)blue,
           (long long)red);
    CU_ASSERT(dark > n / 50); /* text, tables and plots: far more than 2% of the page */
    CU_ASSERT(blue > 5000);   /* the bars of the top-1, SQNR and histogram plots */
    CU_ASSERT(red > 50);      /* the chosen-threshold lines of the histograms */
    c8_image_free(&img);
}

static const c8_test_case k_cases[] = {
    {"report.html is self-contained and escaped", test_html_self_contained},
    {"report.html DOM in headless Chromium", test_html_dom},
    {"report.html screenshot in headless Chromium", test_html_screenshot},
};

C8T_MAIN("reports_html", k_cases)
