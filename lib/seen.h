/* SPDX-License-Identifier: MIT */
/* A growing set of 64-bit code fingerprints with the line each was first
 * seen on: clone detection for verify. 16 bytes a code at half load. */
#ifndef YIMA_SEEN_H
#define YIMA_SEEN_H

#include <stddef.h>
#include <stdint.h>

typedef struct yima_seen yima_seen;

yima_seen *yima_seen_create(void);
void yima_seen_free(yima_seen *seen);
/* Fingerprint of a code, case-folded so that typed variants collide. */
uint64_t yima_seen_fingerprint(const char *code, size_t len);
/* Hints that fp will be added soon, so its slot is in cache by then. */
void yima_seen_prefetch(const yima_seen *seen, uint64_t fp);
/* Returns 0 and remembers line if fp is new; else the first line (>= 1).
 * Returns UINT64_MAX if memory ran out. */
uint64_t yima_seen_add(yima_seen *seen, uint64_t fp, uint64_t line);

#endif
