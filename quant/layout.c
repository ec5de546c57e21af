/* Reference conversions between the NCHW int8 layout and the layouts fast INT8 kernels use
 * (NHWC_Cx, NC/xHWx, KRSC_Cx weights), all zero-padded; the layouts are documented in
 * include/calib8/quant.h. Tests: tests/quant/test_quant.c. */
#include "calib8/quant.h"

#include "util/err.h"

#include <stdint.h>

int64_t c8_quant_round_up(int64_t v, int64_t m) {
    C8_ASSERT(v >= 0 && m >= 1 && v <= INT64_MAX - (m - 1));
    return (v + m - 1) / m * m;
}

static c8_status check_dims(const char *what, int64_t a, int64_t b, int64_t c, int64_t d, int64_t x,
                            c8_error *err) {
    /* generous bound keeps every padded product far from int64 overflow */
    const int64_t lim = (int64_t)1 << 31;
    if (a < 1 || b < 1 || c < 1 || d < 1 || x < 1 || a > lim || b > lim || c > lim || d > lim ||
        x > 4096)
        return c8_err(err, C8_ERR_INVALID, "%s: invalid dims %lld x %lld x %lld x %lld (x=%lld)",
                      what, (long long)a, (long long)b, (long long)c, (long long)d, (long long)x);
    return C8_OK;
}

c8_status c8_quant_nchw_to_nhwc(int64_t n, int64_t c, int64_t h, int64_t w, int64_t x,
                                const int8_t *src, int8_t *dst, c8_error *err) {
    C8_TRY(check_dims("NCHW -> NHWC", n, c, h, w, x, err));
    int64_t cp = c8_quant_round_up(c, x);
    for (int64_t in = 0; in < n; in++)
        for (int64_t ih = 0; ih < h; ih++)
            for (int64_t iw = 0; iw < w; iw++) {
                int8_t *o = dst + ((in * h + ih) * w + iw) * cp;
                for (int64_t ic = 0; ic < cp; ic++)
                    o[ic] = ic < c ? src[((in * c + ic) * h + ih) * w + iw] : 0;
            }
    return C8_OK;
}

c8_status c8_quant_nhwc_to_nchw(int64_t n, int64_t c, int64_t h, int64_t w, int64_t x,
                                const int8_t *src, int8_t *dst, c8_error *err) {
    C8_TRY(check_dims("NHWC -> NCHW", n, c, h, w, x, err));
    int64_t cp = c8_quant_round_up(c, x);
    for (int64_t in = 0; in < n; in++)
        for (int64_t ic = 0; ic < c; ic++)
            for (int64_t ih = 0; ih < h; ih++)
                for (int64_t iw = 0; iw < w; iw++)
                    dst[((in * c + ic) * h + ih) * w + iw] =
                        src[((in * h + ih) * w + iw) * cp + ic];
    return C8_OK;
}

c8_status c8_quant_nchw_to_ncxhwx(int64_t n, int64_t c, int64_t h, int64_t w, int64_t x,
                                  const int8_t *src, int8_t *dst, c8_error *err) {
    C8_TRY(check_dims("NCHW -> NC/xHWx", n, c, h, w, x, err));
    int64_t cb = c8_quant_round_up(c, x) / x;
    for (int64_t in = 0; in < n; in++)
        for (int64_t b = 0; b < cb; b++)
            for (int64_t ih = 0; ih < h; ih++)
                for (int64_t iw = 0; iw < w; iw++)
                    for (int64_t v = 0; v < x; v++) {
                        int64_t ic = b * x + v;
                        dst[(((in * cb + b) * h + ih) * w + iw) * x + v] =
                            ic < c ? src[((in * c + ic) * h + ih) * w + iw] : 0;
                    }
    return C8_OK;
}

c8_status c8_quant_ncxhwx_to_nchw(int64_t n, int64_t c, int64_t h, int64_t w, int64_t x,
                                  const int8_t *src, int8_t *dst, c8_error *err) {
    C8_TRY(check_dims("NC/xHWx -> NCHW", n, c, h, w, x, err));
    int64_t cb = c8_quant_round_up(c, x) / x;
    for (int64_t in = 0; in < n; in++)
        for (int64_t ic = 0; ic < c; ic++)
            for (int64_t ih = 0; ih < h; ih++)
                for (int64_t iw = 0; iw < w; iw++)
                    dst[((in * c + ic) * h + ih) * w + iw] =
                        src[(((in * cb + ic / x) * h + ih) * w + iw) * x + ic % x];
    return C8_OK;
}

c8_status c8_quant_kcrs_to_krsc(int64_t k, int64_t cg, int64_t r, int64_t s, int64_t x,
                                const int8_t *src, int8_t *dst, c8_error *err) {
    C8_TRY(check_dims("KCRS -> KRSC", k, cg, r, s, x, err));
    int64_t cp = c8_quant_round_up(cg, x);
    for (int64_t ik = 0; ik < k; ik++)
        for (int64_t ir = 0; ir < r; ir++)
            for (int64_t is = 0; is < s; is++) {
                int8_t *o = dst + ((ik * r + ir) * s + is) * cp;
                for (int64_t ic = 0; ic < cp; ic++)
                    o[ic] = ic < cg ? src[((ik * cg + ic) * r + ir) * s + is] : 0;
            }
    return C8_OK;
}
