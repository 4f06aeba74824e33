/* SPDX-License-Identifier: MIT */
/*
 * Real-time latency of the link store: one PACK event at a time through
 * yima_link_apply (what a line station's importer does per event), each
 * committed with synchronous=NORMAL, the write-ahead log copied back aside
 * as a realtime import has it (yima_link_copy_aside), beside the same rows
 * inserted raw into SQLite (one transaction per event, no validation,
 * SQLite's own checkpoints).
 *
 *   bench_link_latency STORE KEY EVENTS.tsv RAW.db
 *
 * EVENTS.tsv holds "PACK parent child..." lines the store has not seen.
 * Prints one line per side:
 *   yima|raw events=N p50_ms=.. p99_ms=.. max_ms=..
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yima/yima.h"
#include "yima/link.h"
#include "bench_link_util.h"

#define MAX_EVENTS 100000
#define MAX_FIELDS 128

typedef struct event {
    char *line;
    const char *f[MAX_FIELDS];
    int n;
} event;

static void report(const char *side, double *ms, int n)
{
    sort_ms(ms, n);
    printf("%s events=%d p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n", side, n, ms[n / 2],
           ms[(int)((n - 1) * 0.99)], ms[n - 1]);
}

static int load(const char *path, event *ev, int max)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    int n = 0;
    if (!f)
        return -1;
    while (n < max && getline(&line, &cap, f) > 0) {
        event *e = &ev[n++];
        e->line = strdup(line);
        e->n = 0;
        for (char *save, *t = strtok_r(e->line, "\t\n", &save); t && e->n < MAX_FIELDS;
             t = strtok_r(NULL, "\t\n", &save))
            e->f[e->n++] = t;
    }
    free(line);
    fclose(f);
    return n;
}

static int run_yima(const char *store, const char *keyfile, event *ev, int n, double *ms)
{
    yima_err err;
    yima_key *key;
    yima_link *s;
    yima_keyring *ring = yima_keyring_create();
    if (yima_key_load_secret(&key, keyfile, &err) || yima_keyring_add(ring, key, &err) ||
        yima_link_open(&s, store, YIMA_LINK_WRITE, &err) || yima_link_copy_aside(s, &err)) {
        fprintf(stderr, "bench_link_latency: %s\n", err.msg);
        return -1;
    }
    yima_link_import_options opt;
    yima_link_import_options_init(&opt);
    opt.ring = ring;
    opt.sync = YIMA_LINK_SYNC_NORMAL;
    for (int i = 0; i < n; i++) {
        double t0 = now_ms();
        if (yima_link_apply(s, &opt, NULL, ev[i].f, ev[i].n, &err)) {
            fprintf(stderr, "bench_link_latency: event %d: %s\n", i + 1, err.msg);
            return -1;
        }
        ms[i] = now_ms() - t0;
    }
    yima_link_close(s);
    yima_keyring_free(ring);
    return 0;
}

static int run_raw(const char *path, event *ev, int n, double *ms)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                         "CREATE TABLE IF NOT EXISTS link(parent TEXT, child TEXT UNIQUE);"
                         "CREATE INDEX IF NOT EXISTS link_parent ON link(parent);",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO link VALUES(?1, ?2)", -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_link_latency: %s: %s\n", path, sqlite3_errmsg(db));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        double t0 = now_ms();
        int rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        for (int c = 2; !rc && c < ev[i].n; c++) {
            sqlite3_bind_text(st, 1, ev[i].f[1], -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, ev[i].f[c], -1, SQLITE_STATIC);
            rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
            sqlite3_reset(st);
        }
        if (rc || sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            fprintf(stderr, "bench_link_latency: raw: %s\n", sqlite3_errmsg(db));
            return -1;
        }
        ms[i] = now_ms() - t0;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fputs("usage: bench_link_latency STORE KEY EVENTS.tsv RAW.db\n", stderr);
        return 2;
    }
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    event *ev = calloc(MAX_EVENTS, sizeof *ev);
    double *ms = calloc(MAX_EVENTS, sizeof *ms);
    int n = ev && ms ? load(argv[3], ev, MAX_EVENTS) : -1;
    if (n <= 0) {
        fprintf(stderr, "bench_link_latency: %s: no events\n", argv[3]);
        return 2;
    }
    if (run_yima(argv[1], argv[2], ev, n, ms))
        return 1;
    report("yima", ms, n);
    if (run_raw(argv[4], ev, n, ms))
        return 1;
    report("raw", ms, n);
    for (int i = 0; i < n; i++)
        free(ev[i].line);
    free(ev);
    free(ms);
    return 0;
}
