/* SPDX-License-Identifier: MIT */
/*
 * Shared body of fuzz_link_tsv and fuzz_link_json: the input's lines of one
 * kind (JSON objects, or the TSV lines) are imported into an empty in-memory
 * store with the test key, under rules picked from the input's hash; the
 * other kind's lines are blanked, which keeps line numbers. Oracles:
 *  - PRAGMA integrity_check is ok and foreign_key_check finds nothing;
 *  - every code's parent is one level above it, and no code is stored twice;
 *  - importing the same input again applies nothing (a re-run after a crash
 *    applies only what is missing) and adds no event, also when one run was
 *    realtime (the input as standard input) and the other bulk (a file):
 *    both number lines alike, so positional event ids match.
 */
#ifndef YIMA_FUZZ_LINK_H
#define YIMA_FUZZ_LINK_H

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "io.h"
#include "link/link_internal.h"
#include "link/link_db_sqlite.h"
#include "fuzz_common.h"

static int64_t fz_sql_int(yima_link *s, const char *sql)
{
    sqlite3 *db = lk_sqlite_handle(s->db);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    FZ_ASSERT(rc == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    rc = sqlite3_step(st);
    FZ_ASSERT(rc == SQLITE_ROW || rc == SQLITE_DONE, "%s: %s", sql, sqlite3_errmsg(db));
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return v;
}

static void fz_check_store(yima_link *s)
{
    sqlite3 *db = lk_sqlite_handle(s->db);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL);
    FZ_ASSERT(rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW, "integrity_check: %s",
              sqlite3_errmsg(db));
    const char *res = (const char *)sqlite3_column_text(st, 0);
    FZ_ASSERT(res && strcmp(res, "ok") == 0, "integrity_check: %s", res ? res : "(null)");
    sqlite3_finalize(st);
    FZ_ASSERT(fz_sql_int(s, "SELECT count(*) FROM pragma_foreign_key_check") == 0,
              "a reference to a missing row");
    FZ_ASSERT(fz_sql_int(s, "SELECT count(*) FROM codes c JOIN codes p ON p.id = c.parent "
                            "WHERE p.level != c.level + 1") == 0,
              "a code whose parent is not one level above it");
    FZ_ASSERT(fz_sql_int(s, "SELECT count(*) FROM (SELECT code FROM codes GROUP BY code "
                            "HAVING count(*) > 1)") == 0,
              "a code stored twice");
    FZ_ASSERT(fz_sql_int(s, "SELECT count(*) FROM codes c WHERE (SELECT count(*) FROM "
                            "(SELECT id FROM code_index WHERE h = c.h AND id = c.id UNION ALL "
                            "SELECT id FROM code_stage WHERE h = c.h AND id = c.id)) != 1") == 0,
              "a code not filed exactly once in the code index or its stage");
    FZ_ASSERT(fz_sql_int(s, "SELECT (SELECT count(*) FROM code_index) + "
                            "(SELECT count(*) FROM code_stage) - (SELECT count(*) FROM codes)")
                  == 0,
              "an index or stage entry of no code");
}

/* One in-memory store a process, emptied before each input: as fresh as a
 * new one (rowids restart at 1) at a fraction of the cost of creating the
 * schema anew. */
static yima_link *fz_store(void)
{
    static yima_link *store;
    yima_err err = {0};
    if (!store) {
        int rc = yima_link_open(&store, ":memory:", YIMA_LINK_WRITE, &err);
        FZ_ASSERT(rc == 0, "cannot open a store: %s", err.msg);
    }
    int rc = lk_exec(store, "DELETE FROM event_codes; DELETE FROM events; DELETE FROM codes;"
                            "DELETE FROM rejects; DELETE FROM code_index;"
                            "DELETE FROM code_stage;", &err);
    FZ_ASSERT(rc == 0, "cannot empty the store: %s", err.msg);
    FZ_ASSERT(fz_sql_int(store, "SELECT (SELECT count(*) FROM codes) + (SELECT count(*) FROM "
                                "events) + (SELECT count(*) FROM rejects)") == 0,
              "the store is not empty");
    return store;
}

/* Imports input in bulk (from the file) or in realtime (the file as
 * standard input, as a station's pipe would be). */
static int fz_import(yima_link *s, const char *input, int realtime, int long_line,
                      uint64_t h, yima_link_summary *sum)
{
    yima_link_import_options opt;
    yima_err err = {0};
    const char *stdin_input = "-";
    yima_link_import_options_init(&opt);
    if (realtime) {
        int fd = open(input, O_RDONLY | O_CLOEXEC);
        FZ_ASSERT(fd >= 0 && dup2(fd, STDIN_FILENO) == STDIN_FILENO, "%s: cannot reopen", input);
        close(fd);
        input = stdin_input;
    }
    opt.ring = fz_ring();
    opt.realtime = realtime;
    opt.threads = 1;
    opt.source = "fz";
    opt.rejects = fz_path(2, "rejects");
    opt.force = 1;
    opt.rules.move = h & 1;
    opt.rules.require_commissioned = (h >> 1) & 1;
    opt.rules.capacity_max = (h >> 2) & 1;
    opt.rules.pack_case = (h >> 3) & 1 ? 2 : 0;
    opt.rules.pack_pallet = (h >> 4) & 1 ? 2 : 0;
    opt.batch = (h >> 5) & 1 ? 1 : 100000;
    int rc = yima_link_import(s, &opt, &input, 1, sum, &err);
    /* A line over the limit stops an import with a data error, nothing else. */
    FZ_ASSERT(rc == 0 || (long_line && rc == YIMA_E_DATA), "import failed: %d %s", rc, err.msg);
    return rc;
}

static int fz_wanted(const char *line, size_t len, int json)
{
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    return (i < len && line[i] == '{') == json;
}

static int fz_link_run(const uint8_t *data, size_t size, int json)
{
    const char *s = (const char *)data, *end = s + size;
    char *text = fz_dup(data, size);
    size_t n = 0;
    int long_line = 0;
    yima_link_summary first, second;
    if (size > 128 * 1024) {
        free(text);
        return 0;
    }
    for (const char *p = s; p < end;) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((e ? e : end) - p);
        if (fz_wanted(p, len, json)) {
            memcpy(text + n, p, len);
            n += len;
            long_line |= len + 2 > YIMA_LINE_MAX; /* give or take its CR LF */
        }
        if (e)
            text[n++] = '\n';
        p = e ? e + 1 : end;
    }
    const char *input = fz_path(1, json ? "events.jsonl" : "events.tsv");
    fz_write(input, text, n, 0600);
    free(text);
    yima_link *store = fz_store();
    uint64_t h = fz_hash(data, size);
    int realtime = (h >> 6) & 1;
    int rc = fz_import(store, input, realtime, long_line, h, &first);
    fz_check_store(store);
    if (rc)
        return 0; /* stopped at an overlong line */
    int64_t events = fz_sql_int(store, "SELECT count(*) FROM events");
    FZ_ASSERT((uint64_t)events == first.applied, "%lld events stored, %llu applied",
              (long long)events, (unsigned long long)first.applied);
    fz_import(store, input, !realtime, long_line, h, &second);
    FZ_ASSERT(second.applied == 0, "a %s re-run of a %s import applied %llu events again",
              realtime ? "bulk" : "realtime", realtime ? "realtime" : "bulk",
              (unsigned long long)second.applied);
    FZ_ASSERT(fz_sql_int(store, "SELECT count(*) FROM events") == events,
              "a re-run added events");
    fz_check_store(store);
    return 0;
}

#endif
