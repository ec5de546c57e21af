/* The batch loader: one background thread reads, decodes and preprocesses images into a ring of
 * prefetch + 1 batch slots; the consumer holds at most one slot (the batch it was last handed).
 * Contract: include/calib8/dataset.h; tests: tests/datasets/test_loader.c.
 *
 * Ring invariants (all under mu): the consumer's slot, when `held`, is slots[tail]; the ready
 * slots follow it; the producer fills slots[(tail + held + nready) % nslots] and may start only
 * when held + nready < nslots, so it never touches a slot the consumer can see.
 *
 * Ranged loaders (dynamic H and W): every image keeps its own size after preprocessing; a batch
 * holds consecutive images of one size, so an image of another size ends the batch and stays
 * decoded (`pending`) to start the next one. Slots are sized for the largest image. */
#include "datasets/source.h"

#include "util/arith.h"
#include "util/err.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct slot {
    float *data;     /* (n, c, h, w) float32; room for (batch, c, h_max, w_max) */
    int64_t *labels; /* (batch) */
    int64_t *ids;    /* (batch) */
    int64_t n, h, w;
} slot;

struct c8_loader {
    const c8_dataset *ds;
    c8_preprocess pre;
    int64_t c, h, w; /* fixed loaders: the target; ranged: the largest */
    int ranged;      /* images keep their own size within the range below */
    int64_t h_min, h_max, w_min, w_max;
    int64_t batch, first, end; /* manifest range [first, end) */
    int skip_bad;

    int nslots;
    slot *slots;

    pthread_t thread;
    int thread_started;
    pthread_mutex_t mu;
    pthread_cond_t cv_ready; /* a slot became ready, or the producer finished / failed */
    pthread_cond_t cv_space; /* the consumer released a slot, or stop was requested */
    int tail, nready, held;
    int done, failed;
    atomic_int stop;
    c8_error perr; /* the producer's error (failed) */

    c8_batch view; /* what c8_loader_next hands out */

    int64_t nskip; /* skipped images (skip_bad): ids and messages */
    size_t skip_cap;
    int64_t *skip_ids;
    char **skip_msgs;

    double wait_s, work_s;
};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void c8_loader_opts_init(c8_loader_opts *o) {
    memset(o, 0, sizeof *o);
    o->batch = 32;
    o->prefetch = 3;
    o->skip_bad = false;
    o->first = 0;
    o->count = -1;
}

/* Errors that skip_bad may skip: problems of one image, not of the process. */
static int skippable(c8_status s) {
    return s != C8_ERR_NOMEM && s != C8_ERR_INTERNAL && s != C8_ERR_INTERRUPTED;
}

static int record_skip(c8_loader *l, int64_t id, const char *msg) {
    pthread_mutex_lock(&l->mu);
    int ok = 1;
    if ((size_t)l->nskip == l->skip_cap) {
        size_t cap = l->skip_cap ? l->skip_cap * 2 : 16;
        int64_t *ni = realloc(l->skip_ids, cap * sizeof *ni);
        if (ni) l->skip_ids = ni;
        char **nm = ni ? realloc(l->skip_msgs, cap * sizeof *nm) : NULL;
        if (nm) l->skip_msgs = nm;
        if (ni && nm)
            l->skip_cap = cap;
        else
            ok = 0;
    }
    if (ok) {
        char *m = strdup(msg);
        if (m) {
            l->skip_ids[l->nskip] = id;
            l->skip_msgs[l->nskip] = m;
            l->nskip++;
        } else {
            ok = 0;
        }
    }
    pthread_mutex_unlock(&l->mu);
    return ok;
}

static void fail(c8_loader *l, const c8_error *e) {
    pthread_mutex_lock(&l->mu);
    l->perr = *e;
    l->failed = 1;
    pthread_cond_broadcast(&l->cv_ready);
    pthread_mutex_unlock(&l->mu);
}

/* The size image `pos` (decoded in src) has in a batch: the target of a fixed loader (the
 * preprocessing then says why an image does not fit), else its own size, which must lie within
 * the range. */
static c8_status image_size(const c8_loader *l, const c8_src_image *src, const char *name,
                            int64_t *h, int64_t *w, c8_error *e) {
    if (!l->ranged) {
        *h = l->h;
        *w = l->w;
        return C8_OK;
    }
    C8_TRY(c8_preprocess_output_size(&l->pre, src->h, src->w, name, h, w, e));
    if (*h < l->h_min || *h > l->h_max || *w < l->w_min || *w > l->w_max)
        return c8_err(e, C8_ERR_SHAPE,
                      "%s: image is %lldx%lld after preprocessing (decoded %lldx%lld), outside the "
                      "profile's H %lld..%lld, W %lld..%lld",
                      name, (long long)*h, (long long)*w, (long long)src->h, (long long)src->w,
                      (long long)l->h_min, (long long)l->h_max, (long long)l->w_min,
                      (long long)l->w_max);
    return C8_OK;
}

static void *producer(void *arg) {
    c8_loader *l = arg;
    c8_item_buf ib = {0};
    c8_pre_scratch sc = {0};
    c8_src_image src;
    int pending = 0;        /* image `pos` is decoded in ib / src and fits: it starts a batch */
    int64_t ih = 0, iw = 0; /* its size */
    int64_t pos = l->first;
    while (pos < l->end) {
        pthread_mutex_lock(&l->mu);
        while (!atomic_load(&l->stop) && l->held + l->nready >= l->nslots)
            pthread_cond_wait(&l->cv_space, &l->mu);
        int si = (l->tail + l->held + l->nready) % l->nslots;
        pthread_mutex_unlock(&l->mu);
        if (atomic_load(&l->stop)) break;

        slot *s = &l->slots[si];
        s->n = 0;
        double t0 = now_s();
        int failed = 0;
        while (s->n < l->batch && pos < l->end && !atomic_load(&l->stop)) {
            c8_error e = {0};
            c8_status st = C8_OK;
            if (!pending) {
                st = c8_dataset_read_item(l->ds, pos, &ib, &src, &e);
                if (st == C8_OK)
                    st = image_size(l, &src, ib.path ? ib.path : "<image>", &ih, &iw, &e);
                pending = st == C8_OK;
            }
            if (st == C8_OK && s->n > 0 && (ih != s->h || iw != s->w))
                break; /* another size: it starts the next batch */
            if (st == C8_OK) {
                s->h = ih;
                s->w = iw;
                pending = 0;
                st = c8_preprocess_run(&l->pre, &src, ib.path ? ib.path : "<image>", l->c, ih, iw,
                                       s->data + (size_t)(s->n * l->c * ih * iw), &sc, &e);
            }
            if (st != C8_OK) {
                if (l->skip_bad && skippable(st)) {
                    if (!record_skip(l, pos, e.msg)) {
                        c8_err(&e, C8_ERR_NOMEM, "out of memory recording skipped images");
                        fail(l, &e);
                        failed = 1;
                        break;
                    }
                    pos++;
                    continue;
                }
                if (!e.msg[0]) c8_err(&e, st, "image %lld: %s", (long long)pos, c8_status_name(st));
                fail(l, &e);
                failed = 1;
                break;
            }
            s->labels[s->n] = c8_dataset_label(l->ds, pos);
            s->ids[s->n] = pos;
            s->n++;
            pos++;
        }
        double dt = now_s() - t0;
        if (failed) break;
        pthread_mutex_lock(&l->mu);
        l->work_s += dt;
        if (s->n > 0 && !atomic_load(&l->stop)) {
            l->nready++;
            pthread_cond_broadcast(&l->cv_ready);
        }
        pthread_mutex_unlock(&l->mu);
    }
    pthread_mutex_lock(&l->mu);
    l->done = 1;
    pthread_cond_broadcast(&l->cv_ready);
    pthread_mutex_unlock(&l->mu);
    c8_item_buf_free(&ib);
    c8_pre_scratch_free(&sc);
    return NULL;
}

static void free_loader(c8_loader *l) {
    if (l->slots)
        for (int i = 0; i < l->nslots; i++) {
            free(l->slots[i].data);
            free(l->slots[i].labels);
            free(l->slots[i].ids);
        }
    free(l->slots);
    for (int64_t i = 0; i < l->nskip; i++) free(l->skip_msgs[i]);
    free(l->skip_msgs);
    free(l->skip_ids);
    free(l);
}

uint64_t c8_loader_memory(int64_t batch, int prefetch, int64_t c, int64_t h, int64_t w) {
    /* the slots c8_loader_create allocates: per image c*h*w floats, a label and an id */
    int64_t img, per_batch, n;
    if (!c8_mul_i64(c, h, &img) || !c8_mul_i64(img, w, &img) || !c8_mul_i64(img, 4, &img) ||
        !c8_mul_i64(img + 16, batch, &per_batch) ||
        !c8_mul_i64(per_batch, (int64_t)prefetch + 1, &n))
        return UINT64_MAX;
    return (uint64_t)n;
}

static c8_status create(const c8_dataset *ds, const c8_preprocess *p, int64_t c, int ranged,
                        int64_t h_min, int64_t h, int64_t w_min, int64_t w,
                        const c8_loader_opts *opts, c8_loader **out, c8_error *err) {
    *out = NULL;
    c8_loader_opts o;
    if (opts)
        o = *opts;
    else
        c8_loader_opts_init(&o);
    if (ranged)
        C8_TRY(c8_preprocess_check_range(p, c, h_min, h, w_min, w, err));
    else
        C8_TRY(c8_preprocess_check(p, c, h, w, err));
    if (o.batch < 1)
        return c8_err(err, C8_ERR_INVALID, "batch size %lld: must be at least 1",
                      (long long)o.batch);
    if (o.prefetch < 1 || o.prefetch > 16)
        return c8_err(err, C8_ERR_INVALID, "prefetch %d: must be 1 to 16", o.prefetch);
    int64_t n = c8_dataset_count(ds);
    if (o.first < 0 || o.first > n || o.count < -1 || (o.count >= 0 && o.count > n - o.first))
        return c8_err(err, C8_ERR_INVALID,
                      "loader range [%lld, +%lld) is outside the %lld "
                      "selected images",
                      (long long)o.first, (long long)o.count, (long long)n);
    int64_t hw, chw;
    size_t bytes;
    if (!c8_mul_i64(h, w, &hw) || !c8_mul_i64(hw, c, &chw) ||
        !c8_mul_size((size_t)chw, (size_t)o.batch, &bytes) ||
        !c8_mul_size(bytes, sizeof(float), &bytes))
        return c8_err(err, C8_ERR_LIMIT, "a batch of %lld x %lldx%lldx%lld floats is too large",
                      (long long)o.batch, (long long)c, (long long)h, (long long)w);
    c8_loader *l = calloc(1, sizeof *l);
    if (!l) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    l->ds = ds;
    l->pre = *p;
    l->c = c;
    l->h = h;
    l->w = w;
    l->ranged = ranged;
    l->h_min = h_min;
    l->h_max = h;
    l->w_min = w_min;
    l->w_max = w;
    l->batch = o.batch;
    l->first = o.first;
    l->end = o.count < 0 ? n : o.first + o.count;
    l->skip_bad = o.skip_bad;
    l->nslots = o.prefetch + 1;
    atomic_init(&l->stop, 0);
    l->slots = calloc((size_t)l->nslots, sizeof *l->slots);
    if (!l->slots) {
        free_loader(l);
        return c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < l->nslots; i++) {
        l->slots[i].data = malloc(bytes);
        l->slots[i].labels = malloc(sizeof(int64_t) * (size_t)o.batch);
        l->slots[i].ids = malloc(sizeof(int64_t) * (size_t)o.batch);
        if (!l->slots[i].data || !l->slots[i].labels || !l->slots[i].ids) {
            free_loader(l);
            return c8_err(err, C8_ERR_NOMEM, "out of memory for %d batches of %zu bytes",
                          o.prefetch + 1, bytes);
        }
    }
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv_ready, NULL);
    pthread_cond_init(&l->cv_space, NULL);
    int rc = pthread_create(&l->thread, NULL, producer, l);
    if (rc != 0) {
        pthread_cond_destroy(&l->cv_space);
        pthread_cond_destroy(&l->cv_ready);
        pthread_mutex_destroy(&l->mu);
        free_loader(l);
        return c8_err(err, C8_ERR_INTERNAL, "cannot start the loader thread: %s", strerror(rc));
    }
    l->thread_started = 1;
    *out = l;
    return C8_OK;
}

c8_status c8_loader_create(const c8_dataset *ds, const c8_preprocess *p, int64_t c, int64_t h,
                           int64_t w, const c8_loader_opts *opts, c8_loader **out, c8_error *err) {
    return create(ds, p, c, 0, h, h, w, w, opts, out, err);
}

c8_status c8_loader_create_ranged(const c8_dataset *ds, const c8_preprocess *p, int64_t c,
                                  int64_t h_min, int64_t h_max, int64_t w_min, int64_t w_max,
                                  const c8_loader_opts *opts, c8_loader **out, c8_error *err) {
    return create(ds, p, c, 1, h_min, h_max, w_min, w_max, opts, out, err);
}

c8_status c8_loader_next(c8_loader *l, const c8_batch **out, c8_error *err) {
    *out = NULL;
    pthread_mutex_lock(&l->mu);
    if (l->held) {
        l->held = 0;
        l->tail = (l->tail + 1) % l->nslots;
        pthread_cond_signal(&l->cv_space);
    }
    double t0 = now_s();
    while (l->nready == 0 && !l->done && !l->failed) pthread_cond_wait(&l->cv_ready, &l->mu);
    l->wait_s += now_s() - t0;
    if (l->nready > 0) {
        slot *s = &l->slots[l->tail];
        l->nready--;
        l->held = 1;
        l->view.n = s->n;
        l->view.c = l->c;
        l->view.h = s->h;
        l->view.w = s->w;
        l->view.data = s->data;
        l->view.labels = s->labels;
        l->view.ids = s->ids;
        pthread_mutex_unlock(&l->mu);
        *out = &l->view;
        return C8_OK;
    }
    c8_status st = C8_OK;
    if (l->failed) {
        st = l->perr.code;
        if (err) *err = l->perr;
    }
    pthread_mutex_unlock(&l->mu);
    return st;
}

int64_t c8_loader_num_skipped(c8_loader *l) {
    pthread_mutex_lock(&l->mu);
    int64_t n = l->nskip;
    pthread_mutex_unlock(&l->mu);
    return n;
}

const char *c8_loader_skipped(c8_loader *l, int64_t k, int64_t *id) {
    const char *m = NULL;
    pthread_mutex_lock(&l->mu);
    if (k >= 0 && k < l->nskip) {
        m = l->skip_msgs[k];
        if (id) *id = l->skip_ids[k];
    }
    pthread_mutex_unlock(&l->mu);
    return m;
}

double c8_loader_wait_seconds(const c8_loader *l) {
    c8_loader *m = (c8_loader *)l; /* the mutex is not part of the loader's logical state */
    pthread_mutex_lock(&m->mu);
    double v = m->wait_s;
    pthread_mutex_unlock(&m->mu);
    return v;
}

double c8_loader_work_seconds(const c8_loader *l) {
    c8_loader *m = (c8_loader *)l;
    pthread_mutex_lock(&m->mu);
    double v = m->work_s;
    pthread_mutex_unlock(&m->mu);
    return v;
}

void c8_loader_destroy(c8_loader *l) {
    if (!l) return;
    if (l->thread_started) {
        pthread_mutex_lock(&l->mu);
        atomic_store(&l->stop, 1);
        pthread_cond_broadcast(&l->cv_space);
        pthread_mutex_unlock(&l->mu);
        pthread_join(l->thread, NULL);
        pthread_cond_destroy(&l->cv_space);
        pthread_cond_destroy(&l->cv_ready);
        pthread_mutex_destroy(&l->mu);
    }
    free_loader(l);
}
