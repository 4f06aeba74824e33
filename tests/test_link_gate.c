/* SPDX-License-Identifier: MIT */
/*
 * The writers' gate (lib/link/link_gate.c): writers of one store take
 * turns, a writer holding its turn sees that another waits, a killed
 * writer never leaves the gate shut, and an import holding a batch open
 * gives the store up as soon as another writer asks; a bulk import maps
 * the store only while it writes alone, beside others looks up no code
 * its filter knows the store lacks, and moves its code stage in small
 * steps that stop when a writer comes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "link/link_internal.h"
#include "link/link_db_sqlite.h"
#include "test_link_fixture.h"

static char dir[] = "/tmp/yima-gate.XXXXXX";
static char path[64];

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/s.db", dir);
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static yima_link *open_store(void)
{
    yima_link *s = NULL;
    yima_err err;
    assert_int_equal(yima_link_open(&s, path, YIMA_LINK_WRITE, &err), YIMA_OK);
    return s;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms)
{
    const struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&t, NULL);
}

typedef struct writer {
    yima_link *s;
    volatile int in; /* 1 once it has its turn */
    int rc;
} writer;

static void *second_writer(void *arg)
{
    writer *w = arg;
    yima_err err;
    w->rc = lk_begin(w->s, &err);
    w->in = 1;
    if (!w->rc)
        w->rc = lk_commit(w->s, &err);
    return NULL;
}

/* Two handles, as two stations: the second waits for the first's commit,
 * and the first can see it waiting. */
static void test_turns(void **state)
{
    (void)state;
    yima_link *a = open_store(), *b = open_store();
    yima_err err;
    writer w = {.s = b};
    pthread_t t;
    assert_int_equal(lk_begin(a, &err), YIMA_OK);
    assert_false(lk_gate_wanted(a));
    assert_int_equal(pthread_create(&t, NULL, second_writer, &w), 0);
    for (int i = 0; i < 500 && !lk_gate_wanted(a); i++)
        sleep_ms(2);
    assert_true(lk_gate_wanted(a));
    sleep_ms(50);
    assert_false(w.in); /* it waits for the turn, it does not fail */
    assert_int_equal(lk_commit(a, &err), YIMA_OK);
    double t0 = now_ms();
    lk_gate_let_pass(a, 1000);
    assert_false(lk_gate_wanted(a));
    assert_true(now_ms() - t0 < 1000);
    pthread_join(t, NULL);
    assert_true(w.in);
    assert_int_equal(w.rc, YIMA_OK);
    yima_link_close(a);
    yima_link_close(b);
}

/* A writer killed holding its turn: the kernel drops its lock, the next
 * writer goes in. */
static void test_killed_holder(void **state)
{
    (void)state;
    int ready[2];
    char c;
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        yima_err err;
        yima_link *s = NULL;
        if (yima_link_open(&s, path, YIMA_LINK_WRITE, &err) || lk_begin(s, &err))
            _exit(1);
        if (write(ready[1], "x", 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    assert_int_equal(read(ready[0], &c, 1), 1);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    yima_link *s = open_store();
    yima_err err;
    double t0 = now_ms();
    assert_int_equal(lk_begin(s, &err), YIMA_OK);
    assert_true(now_ms() - t0 < 2000);
    assert_int_equal(lk_commit(s, &err), YIMA_OK);
    yima_link_close(s);
    close(ready[0]);
    close(ready[1]);
}

/* A handle whose statement was left on a row reads an old snapshot; once
 * another handle commits, a write could not begin there (SQLite's
 * BUSY_SNAPSHOT, which waiting never ends). lk_begin resets the handle's
 * statements first. Run in a child under alarm(): the old code spun. */
static void test_stale_statement(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        yima_link *a = open_store(), *b = open_store();
        yima_err err;
        alarm(10);
        lk_st *st = lk_stmt(a, Q_CHILD_COUNT); /* count(*): one row, left unreset */
        lk_bind_int64(st, 1, 1);
        if (lk_step(st) != LK_ROW)
            _exit(2);
        if (lk_begin(b, &err) || lk_exec(b, "INSERT INTO meta VALUES('stale-test', 1)", &err) ||
            lk_commit(b, &err))
            _exit(3);
        int rc = lk_begin(a, &err) || lk_commit(a, &err);
        yima_link_close(a);
        yima_link_close(b);
        _exit(rc ? 4 : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status)); /* killed by SIGALRM: the write never began */
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* One transaction of one statement. */
static void commit_sql(yima_link *s, const char *sql)
{
    yima_err err;
    assert_int_equal(lk_begin(s, &err), YIMA_OK);
    assert_int_equal(lk_exec(s, sql, &err), YIMA_OK);
    assert_int_equal(lk_commit(s, &err), YIMA_OK);
}

#define ONE_ROW "INSERT OR REPLACE INTO meta VALUES('t', randomblob(8))"
/* About 1,500 WAL frames of new pages (over a writer's 1,000). */
#define MANY_PAGES                                                                          \
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500) "       \
    "INSERT OR REPLACE INTO meta SELECT 'p' || i, randomblob(3000) FROM n"

/* A writer that holds no transaction learns that another committed (a
 * station that found the store free beside a bulk import, which then
 * shares it); its own commits do not count. */
static void test_others_wrote(void **state)
{
    (void)state;
    yima_link *a = open_store(), *b = open_store();
    assert_false(lk_others_wrote(a)); /* the first call only looks */
    commit_sql(a, ONE_ROW);
    assert_false(lk_others_wrote(a));
    commit_sql(b, ONE_ROW);
    assert_true(lk_others_wrote(a));
    assert_false(lk_others_wrote(a));
    yima_link_close(a);
    yima_link_close(b);
}

/* A handle that is not a writer's (read-only) has no gate and never
 * blocks writers. */
static void test_reader_outside(void **state)
{
    (void)state;
    yima_link *w = open_store(), *r = NULL;
    yima_err err;
    assert_int_equal(yima_link_open(&r, path, YIMA_LINK_READ, &err), YIMA_OK);
    assert_int_equal(lk_sqlite_gate_fd(r->db), -1);
    assert_int_equal(lk_begin(w, &err), YIMA_OK);
    assert_false(lk_gate_wanted(w));
    assert_int_equal(lk_commit(w, &err), YIMA_OK);
    yima_link_close(r);
    yima_link_close(w);
}

static long long store_bytes(void)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (long long)st.st_size;
}

/* Beside a bulk import, another writer leaves copying the WAL back into
 * the store to the import (the import's pages were most of it); once the
 * import is gone it copies again. The store file grows only by a copy. */
static void test_bulk_checkpoints_alone(void **state)
{
    (void)state;
    yima_link *bulk = open_store(), *station = open_store();
    yima_err err;
    assert_int_equal(lk_tune_bulk(bulk, &err), YIMA_OK);
    long long before = store_bytes();
    commit_sql(station, MANY_PAGES);
    assert_int_equal(store_bytes(), before);
    yima_link_close(bulk);
    commit_sql(station, MANY_PAGES);
    assert_true(store_bytes() > before);
    yima_link_close(station);
}

static long long mmap_size(yima_link *s)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(lk_sqlite_handle(s->db), "PRAGMA mmap_size", -1, &st,
                                        NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* A bulk import maps the store into memory while it writes alone, but
 * from the first transaction after another handle's commit on it reads
 * pages instead, until no other has committed for a second: each such
 * commit would unmap the store from it. */
static void test_bulk_maps_alone(void **state)
{
    (void)state;
    yima_link *bulk = open_store(), *station = open_store();
    yima_err err;
    assert_int_equal(lk_tune_bulk(bulk, &err), YIMA_OK);
    assert_true(mmap_size(bulk) > 0);
    commit_sql(bulk, ONE_ROW);
    assert_true(mmap_size(bulk) > 0);
    commit_sql(station, ONE_ROW);
    assert_int_equal(lk_begin(bulk, &err), YIMA_OK);
    long long in_turn = mmap_size(bulk); /* asserted out of the turn */
    assert_int_equal(lk_commit(bulk, &err), YIMA_OK);
    assert_int_equal(in_turn, 0);
    commit_sql(bulk, ONE_ROW);
    assert_int_equal(mmap_size(bulk), 0);
    sleep_ms(1100);
    commit_sql(bulk, ONE_ROW);
    assert_true(mmap_size(bulk) > 0);
    yima_link_close(bulk);
    yima_link_close(station);
}

/* Codes prefix1..prefixN (level item), filed in code_index: keys only,
 * no codes a parser would take. */
static void add_codes(yima_link *s, const char *prefix, int n)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
             "INSERT INTO codes(code, level, h) SELECT '%s' || i, 0, yima_code_hash('%s' || i) "
             "FROM n; INSERT INTO code_index SELECT h, id FROM codes WHERE code LIKE '%s%%'",
             n, prefix, prefix, prefix);
    commit_sql(s, sql);
}

/* How many of codes prefix1..prefixN the filter may hold. */
static int held(yima_link *s, const char *prefix, int n)
{
    int count = 0;
    for (int i = 1; i <= n; i++) {
        char code[32];
        int len = snprintf(code, sizeof code, "%s%d", prefix, i);
        count += lk_filter_may_hold(s, lk_code_hash(code, (size_t)len));
    }
    return count;
}

/* The filter holds every code in the store as of each transaction: those
 * there when it was built, those another writer added since, and the
 * handle's own as it files them; it lacks most others. */
static void test_filter_holds_every_code(void **state)
{
    (void)state;
    yima_link *bulk = open_store(), *station = open_store();
    yima_err err;
    add_codes(station, "F", 1000);
    lk_filter_want(bulk);
    /* Counted in the transactions, asserted after them: a failure inside
     * one would leave the writers' turn taken for the next test. */
    assert_int_equal(lk_begin(bulk, &err), YIMA_OK);
    int built = held(bulk, "F", 1000), strangers = held(bulk, "X", 1000);
    int filed = lk_code_file(bulk, lk_code_hash("B1", 2), 999999, &err);
    int own = held(bulk, "B", 1);
    assert_int_equal(lk_commit(bulk, &err), YIMA_OK);
    add_codes(station, "S", 100);
    assert_int_equal(lk_begin(bulk, &err), YIMA_OK);
    int theirs = held(bulk, "S", 100);
    assert_int_equal(lk_commit(bulk, &err), YIMA_OK);
    assert_int_equal(built, 1000);
    assert_true(strangers < 100);
    assert_int_equal(filed, YIMA_OK);
    assert_int_equal(own, 1);
    assert_int_equal(theirs, 100);
    yima_link_close(bulk);
    yima_link_close(station);
}

/* Runs of the writer's code lookup on s so far. */
static int lookups(yima_link *s)
{
    sqlite3 *db = lk_sqlite_handle(s->db);
    for (sqlite3_stmt *st = sqlite3_next_stmt(db, NULL); st; st = sqlite3_next_stmt(db, st))
        if (strcmp(sqlite3_sql(st), lk_code_get_sql) == 0)
            return sqlite3_stmt_status(st, SQLITE_STMTSTATUS_RUN, 0);
    return 0;
}

static int commission(yima_link *s, const yima_link_import_options *o, const char *code)
{
    const char *f[] = {"COMMISSION", code, "WINE-750", "L1", "2030-12-31"};
    yima_err err;
    return yima_link_apply(s, o, NULL, f, 5, &err);
}

/* Beside other writers a bulk import looks up no new code, whose key its
 * filter lacks (each lookup read a random index page again after each of
 * their commits), and still finds a code another writer added meanwhile. */
static void test_bulk_skips_lookups(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f, 0x42, YIMA_AUTH_MAC);
    yima_link_import_options o;
    yima_link_import_options_init(&o);
    o.ring = f.ring;
    yima_link *bulk = open_store(), *station = open_store();
    yima_err err;
    assert_int_equal(lk_tune_bulk(bulk, &err), YIMA_OK);
    lk_filter_want(bulk); /* as an import does once it sees another writer */
    for (int i = 0; i < 20; i++)
        assert_int_equal(commission(bulk, &o, fx_code(&f, YIMA_LEVEL_ITEM, 5000 + i)), YIMA_OK);
    assert_true(lookups(bulk) <= 2); /* a false hit looks up */
    const char *theirs = fx_code(&f, YIMA_LEVEL_ITEM, 6000);
    assert_int_equal(commission(station, &o, theirs), YIMA_OK);
    assert_int_equal(commission(bulk, &o, theirs), YIMA_E_DATA); /* already commissioned */
    yima_link_close(bulk);
    yima_link_close(station);
    fixture_free(&f);
}

/* Files n keys, spread over the key space, in the code stage. */
static void stage_codes(yima_link *s, int n)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
             "INSERT INTO code_stage SELECT yima_code_hash('s' || i), i FROM n", n);
    commit_sql(s, sql);
}

typedef struct comer {
    yima_link *bulk;
    writer w;
    pthread_t t;
    int came;
} comer;

/* SQLite's progress handler on the bulk handle, mid-merge: a station
 * comes, and waits for the turn. */
static int station_comes(void *arg)
{
    comer *c = arg;
    if (!c->came && pthread_create(&c->t, NULL, second_writer, &c->w) == 0) {
        c->came = 1;
        for (int i = 0; i < 2000 && !lk_gate_wanted(c->bulk); i++)
            sleep_ms(1);
    }
    return 0;
}

/* A bulk commit moves 1/16 of the code stage, 1/64 at a time, and stops
 * when a writer comes: a station that came mid-merge waited for the whole
 * 1/16 (10 ms at 100,000 staged codes). */
static void test_merge_gives_way(void **state)
{
    (void)state;
    yima_link *bulk = open_store(), *station = open_store();
    yima_err err;
    stage_codes(bulk, 6400);
    unsigned last = 0;
    int64_t staged = 0;
    comer c = {.bulk = bulk, .w = {.s = station}};
    sqlite3 *db = lk_sqlite_handle(bulk->db);
    int rc = lk_begin(bulk, &err);
    rc = rc ? rc : lk_stage_count(bulk, &staged, &err);
    int alone = rc ? rc : lk_stage_merge_some(bulk, &last, &err);
    int64_t moved_alone = staged - bulk->staged;
    unsigned last_alone = last;
    sqlite3_progress_handler(db, 100, station_comes, &c);
    int beside = alone ? alone : lk_stage_merge_some(bulk, &last, &err);
    sqlite3_progress_handler(db, 0, NULL, NULL);
    int64_t moved_beside = staged - moved_alone - bulk->staged;
    int committed = lk_commit(bulk, &err);
    if (c.came)
        pthread_join(c.t, NULL);
    assert_int_equal(staged, 6400);
    assert_int_equal(alone, YIMA_OK);
    assert_int_equal(beside, YIMA_OK);
    assert_int_equal(committed, YIMA_OK);
    assert_true(c.came);
    assert_int_equal(c.w.rc, YIMA_OK);
    assert_in_range(moved_beside, 50, 200); /* the station came during one range of 1/64 */
    assert_int_equal(last, last_alone + 1);
    assert_int_equal(last_alone, 4); /* alone, four ranges: 1/16 of the keys */
    assert_in_range(moved_alone, 250, 550);
    yima_link_close(bulk);
    yima_link_close(station);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_turns),
        cmocka_unit_test(test_killed_holder),
        cmocka_unit_test(test_reader_outside),
        cmocka_unit_test(test_stale_statement),
        cmocka_unit_test(test_others_wrote),
        cmocka_unit_test(test_bulk_checkpoints_alone),
        cmocka_unit_test(test_bulk_maps_alone),
        cmocka_unit_test(test_filter_holds_every_code),
        cmocka_unit_test(test_bulk_skips_lookups),
        cmocka_unit_test(test_merge_gives_way),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
