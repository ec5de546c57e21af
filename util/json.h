/* Minimal JSON: a streaming writer (pretty-printed, escaped, round-trippable numbers) and a
 * small DOM parser for the files calib8 reads back (cache sidecars, tensors.json, reports). */
#ifndef C8_UTIL_JSON_H
#define C8_UTIL_JSON_H

#include "calib8/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- writer ---- */
#define C8_JSON_MAX_DEPTH 32
typedef struct c8_jw {
    FILE *fp;
    int depth;
    bool first[C8_JSON_MAX_DEPTH]; /* no element written yet at this depth */
    bool after_key;
} c8_jw;

void c8_jw_init(c8_jw *w, FILE *fp);
void c8_jw_obj_begin(c8_jw *w);
void c8_jw_obj_end(c8_jw *w);
void c8_jw_arr_begin(c8_jw *w);
void c8_jw_arr_end(c8_jw *w);
void c8_jw_key(c8_jw *w, const char *key);
void c8_jw_str(c8_jw *w, const char *s);
void c8_jw_int(c8_jw *w, int64_t v);
/* Doubles print with 17 significant digits (round-trippable); NaN/Inf print as null. */
void c8_jw_num(c8_jw *w, double v);
/* Float32 values print with 9 significant digits (round-trippable for float32). */
void c8_jw_f32(c8_jw *w, float v);
void c8_jw_bool(c8_jw *w, bool v);
void c8_jw_null(c8_jw *w);
/* Writes s JSON-escaped (with quotes) to fp; for code that writes JSON by hand. */
void c8_json_write_string(FILE *fp, const char *s);

/* ---- parser ---- */
typedef enum c8_json_type {
    C8_JSON_NULL = 0,
    C8_JSON_BOOL = 1,
    C8_JSON_NUM = 2,
    C8_JSON_STR = 3,
    C8_JSON_ARR = 4,
    C8_JSON_OBJ = 5
} c8_json_type;

typedef struct c8_json c8_json;
struct c8_json {
    c8_json_type type;
    bool b;
    double num;
    char *str;     /* STR: the decoded string */
    size_t n;      /* ARR/OBJ: number of children */
    char **keys;   /* OBJ: keys[i] names kids[i] */
    c8_json *kids; /* ARR/OBJ children */
};

/* Parses text (len bytes); `what` names the source in messages, which give line and column.
 * *out is malloc'd; free with c8_json_free. Depth is limited to 64. */
c8_status c8_json_parse(const char *text, size_t len, const char *what, c8_json **out,
                        c8_error *err);
c8_status c8_json_parse_file(const char *path, c8_json **out, c8_error *err);
void c8_json_free(c8_json *j);
/* Object member by key, or NULL (also when j is not an object). */
const c8_json *c8_json_get(const c8_json *j, const char *key);
/* Convenience: string member or NULL; number member or `dflt`. */
const char *c8_json_get_str(const c8_json *j, const char *key);
double c8_json_get_num(const c8_json *j, const char *key, double dflt);

#endif
