/* SHA-256 (FIPS 180-4), for model, manifest and plan fingerprints. */
#ifndef C8_UTIL_SHA256_H
#define C8_UTIL_SHA256_H

#include "calib8/status.h"

#include <stddef.h>
#include <stdint.h>

typedef struct c8_sha256 {
    uint32_t h[8];
    uint64_t nbytes;
    unsigned char buf[64];
    size_t nbuf;
} c8_sha256;

void c8_sha256_init(c8_sha256 *s);
void c8_sha256_update(c8_sha256 *s, const void *data, size_t len);
void c8_sha256_final(c8_sha256 *s, unsigned char out[32]);
/* out receives 64 lowercase hex digits and a NUL. */
void c8_sha256_hex(const unsigned char digest[32], char out[65]);
/* One-shot over a buffer, hex result. */
void c8_sha256_buf_hex(const void *data, size_t len, char out[65]);
/* Hashes a whole file (streamed), hex result. */
c8_status c8_sha256_file_hex(const char *path, char out[65], c8_error *err);

#endif
