/* Byte counts for people: formatting ("12.3 GiB"), parsing ("8G", "512MiB", "1.5g", "1000000")
 * and the machine's available memory (for --max-memory's default). */
#ifndef C8_UTIL_BYTES_H
#define C8_UTIL_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes n as "123 bytes", "4.0 KiB", "12.3 GiB" (binary units, one decimal) into buf; returns
 * buf. */
const char *c8_bytes_str(uint64_t n, char *buf, size_t len);

/* Parses a size: a non-negative number (decimal point allowed) with an optional unit K, M, G, T
 * (binary: KiB = 1024), written K/KB/KiB in any case, or no unit / B for bytes. False on
 * anything else or on overflow. */
bool c8_parse_bytes(const char *s, uint64_t *out);

/* MemAvailable from /proc/meminfo in bytes, or 0 when it cannot be read. */
uint64_t c8_mem_available(void);

#endif
