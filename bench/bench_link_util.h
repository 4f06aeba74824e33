/* SPDX-License-Identifier: MIT */
/* Timing helpers shared by the bench_link_* programs. */
#ifndef BENCH_LINK_UTIL_H
#define BENCH_LINK_UTIL_H

#include <stdlib.h>
#include <time.h>

static inline double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts ms[0..n) in place. */
static inline void sort_ms(double *ms, int n)
{
    qsort(ms, (size_t)n, sizeof *ms, cmp_double);
}

#endif
