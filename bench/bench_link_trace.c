/* SPDX-License-Identifier: MIT */
/*
 * yima_link_trace of one code, in-process (no process start), beside a raw
 * SQLite recursive query listing the same subtree in a bare link table.
 *
 *   bench_link_trace STORE CODE RAW.db RUNS
 *
 * The store is opened once; each run is one yima_link_trace call (text,
 * written to /dev/null). RAW.db holds link(parent TEXT, child TEXT UNIQUE)
 * with an index on parent. Prints, per side, the median and best run:
 *   yima|raw runs=N median_ms=.. min_ms=.. rows=..
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yima/yima.h"
#include "yima/link.h"
#include "bench_link_util.h"

#define MAX_RUNS 1000

static const char subtree_sql[] =
    "WITH RECURSIVE sub(c) AS (SELECT ?1 UNION ALL "
    "SELECT child FROM link JOIN sub ON parent = c) SELECT c FROM sub";

static void report(const char *side, double *ms, int n, long rows)
{
    sort_ms(ms, n);
    printf("%s runs=%d median_ms=%.3f min_ms=%.3f rows=%ld\n", side, n, ms[n / 2], ms[0], rows);
}

static int run_yima(const char *store, const char *code, int runs, double *ms)
{
    yima_err err;
    yima_link *s;
    FILE *null = fopen("/dev/null", "w");
    if (!null || yima_link_open(&s, store, YIMA_LINK_READ, &err)) {
        fprintf(stderr, "bench_link_trace: %s\n", null ? err.msg : "/dev/null");
        return -1;
    }
    for (int i = 0; i < runs; i++) {
        double t0 = now_ms();
        if (yima_link_trace(s, code, NULL, 0, null, &err)) {
            fprintf(stderr, "bench_link_trace: %s\n", err.msg);
            return -1;
        }
        ms[i] = now_ms() - t0;
    }
    yima_link_close(s);
    fclose(null);
    return 0;
}

/* Returns the rows of one run, or -1. */
static long run_raw(const char *path, const char *code, int runs, double *ms)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    long rows = 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, subtree_sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_link_trace: %s: %s\n", path, sqlite3_errmsg(db));
        return -1;
    }
    for (int i = 0; i < runs; i++) {
        double t0 = now_ms();
        sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
        for (rows = 0; sqlite3_step(st) == SQLITE_ROW; rows++)
            ;
        sqlite3_reset(st);
        ms[i] = now_ms() - t0;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rows;
}

int main(int argc, char **argv)
{
    int runs = argc == 5 ? atoi(argv[4]) : 0;
    if (runs < 1 || runs > MAX_RUNS) {
        fputs("usage: bench_link_trace STORE CODE RAW.db RUNS (1..1000)\n", stderr);
        return 2;
    }
    double ms[MAX_RUNS];
    if (run_yima(argv[1], argv[2], runs, ms))
        return 1;
    report("yima", ms, runs, 0);
    long rows = run_raw(argv[3], argv[2], runs, ms);
    if (rows < 0)
        return 1;
    report("raw", ms, runs, rows);
    return 0;
}
