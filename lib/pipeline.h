/* SPDX-License-Identifier: MIT */
/*
 * The ordered parallel engine (pigz / zstdmt style).
 *
 * Jobs are numbered in the order read() fills them. work() runs on any
 * thread; write() is called once per job, strictly in job order, by
 * whichever thread completes the next job due. So output is byte-identical
 * for any thread count. At most 2 * threads jobs are in flight, so memory is
 * constant however long the stream.
 *
 * read() and write() are never called concurrently with themselves; work()
 * is called concurrently with everything.
 */
#ifndef YIMA_PIPELINE_H
#define YIMA_PIPELINE_H

#include <stddef.h>
#include <stdint.h>
#include "yima/common.h"


#define YIMA_JOB_STATS 8

typedef struct yima_job {
    uint64_t seq;         /* 0, 1, 2, ... in read order */
    uint64_t start;       /* producer-defined: first index or first line number */
    uint64_t count;       /* producer-defined: items or lines in the job */
    yima_buf in;          /* input bytes (filled by read, reused between jobs) */
    yima_buf out;         /* output bytes (filled by work, reused between jobs) */
    yima_buf aux;         /* second output, e.g. per-line results */
    uint64_t stat[YIMA_JOB_STATS]; /* counters work() reports to write() */
} yima_job;

typedef struct yima_pipeline_ops {
    /* Fill job (seq is set, buffers cleared, count 0) and return YIMA_OK, or
     * an error code after setting err. A job left with count 0 marks the end
     * of the input. */
    int (*read)(void *ctx, yima_job *job, yima_err *err);
    /* Process job in place. worker is the worker's state from worker_init. */
    int (*work)(void *ctx, void *worker, yima_job *job, yima_err *err);
    /* Consume job's results, in order. */
    int (*write)(void *ctx, yima_job *job, yima_err *err);
    /* Optional per-thread state. */
    void *(*worker_init)(void *ctx);
    void (*worker_free)(void *ctx, void *worker);
} yima_pipeline_ops;

/* Runs the pipeline on threads threads (>= 1). Stops at the first error,
 * which it returns (from any stage) with err set. */
int yima_pipeline_run(const yima_pipeline_ops *ops, void *ctx, int threads,
                               yima_err *err);

#endif
