/* SPDX-License-Identifier: MIT */
/*
 * The writers' gate (lib/link/link_gate.c): writers of one store take
 * turns, a writer holding its turn sees that another waits, a killed
 * writer never leaves the gate shut, and an import holding a batch open
 * gives the store up as soon as another writer asks; a bulk import maps
 * the store only while it writes alone.
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
    assert_int_equal(mmap_size(bulk), 0);
    assert_int_equal(lk_commit(bulk, &err), YIMA_OK);
    commit_sql(bulk, ONE_ROW);
    assert_int_equal(mmap_size(bulk), 0);
    sleep_ms(1100);
    commit_sql(bulk, ONE_ROW);
    assert_true(mmap_size(bulk) > 0);
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
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
