/* The process-wide HDF5 lock; see h5lock.h. */
#include "util/h5lock.h"

#include <pthread.h>

static pthread_mutex_t g_h5_mu = PTHREAD_MUTEX_INITIALIZER;

void c8_h5_lock(void) { pthread_mutex_lock(&g_h5_mu); }

void c8_h5_unlock(void) { pthread_mutex_unlock(&g_h5_mu); }
