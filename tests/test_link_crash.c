/* SPDX-License-Identifier: MIT */
/*
 * Reliability of yima link import: SIGKILL in the middle of a 100,000-event
 * stream, then a re-run. No event may be half applied, lost or applied
 * twice; the store must pass integrity_check and equal the store of an
 * uninterrupted run. A reader traces codes in another process meanwhile.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "test_link_fixture.h"

#define CASES 4000 /* 96,000 items: 100,066 events */

static char dir[] = "/tmp/yima-link-crash-XXXXXX";
static char key[600], day[600];
static const char *bin;

static pid_t spawn(const char *const *argv, const char *out)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static int finish(pid_t pid)
{
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int import(const char *store, pid_t *pid)
{
    const char *argv[] = {"yima", "link", "-s", store, "-k", key, "--pack", "24,60", "--bulk",
                          "--batch", "500", "-q", "import", day, NULL};
    *pid = spawn(argv, NULL);
    return 0;
}

static int64_t query(const char *store, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_open_v2(store, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_type(st, 0) == SQLITE_TEXT
                    ? !strcmp((const char *)sqlite3_column_text(st, 0), "ok")
                    : sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return v;
}

static void export_tsv(const char *store, const char *out)
{
    const char *argv[] = {"yima", "link", "-s", store, "export", "-o", out, "--force", NULL};
    assert_int_equal(finish(spawn(argv, NULL)), 0);
}

/* Compares two exports without their time column (the time of import). */
static void same_events(const char *a, const char *b)
{
    FILE *fa = fopen(a, "r"), *fb = fopen(b, "r");
    char la[8192], lb[8192];
    uint64_t n = 0;
    assert_non_null(fa);
    assert_non_null(fb);
    for (;; n++) {
        char *ra = fgets(la, sizeof la, fa), *rb = fgets(lb, sizeof lb, fb);
        if (!ra || !rb) {
            assert_true(!ra && !rb);
            break;
        }
        char *ta = strchr(la, '\t'), *tb = strchr(lb, '\t');
        assert_non_null(ta);
        assert_non_null(tb);
        *ta = *tb = '\0';
        assert_string_equal(la, lb);
        assert_string_equal(strchr(ta + 1, '\t'), strchr(tb + 1, '\t'));
    }
    assert_int_equal(n, 100066);
    fclose(fa);
    fclose(fb);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_kill_and_rerun(void **state)
{
    (void)state;
    char ref[700], crash[700], ea[700], eb[700], out[700];
    fixture fx;
    pid_t pid;
    snprintf(ref, sizeof ref, "%s/ref.db", dir);
    snprintf(crash, sizeof crash, "%s/crash.db", dir);
    fixture_init(&fx, 0x42, YIMA_AUTH_MAC);
    const char *code = fx_code(&fx, YIMA_LEVEL_ITEM, 50000);
    import(ref, &pid);
    assert_int_equal(finish(pid), 0);

    import(crash, &pid);
    /* Kill once a good part is committed, tracing meanwhile as a reader. */
    int64_t seen = 0;
    for (int i = 0; i < 3000 && seen < 30000; i++) {
        const char *argv[] = {"yima", "link", "-s", crash, "trace", code, NULL};
        sleep_ms(20);
        seen = query(crash, "SELECT count(*) FROM events");
        if (seen > 0) {
            int rc = finish(spawn(argv, NULL));
            assert_true(rc == 0 || rc == 1); /* found, or not imported yet */
        }
    }
    kill(pid, SIGKILL);
    assert_int_equal(finish(pid), 128 + SIGKILL);
    int64_t before = query(crash, "SELECT count(*) FROM events");
    print_message("killed after %lld committed events\n", (long long)before);
    assert_true(before > 0 && before < 100066);

    snprintf(out, sizeof out, "%s/rerun.txt", dir);
    const char *argv[] = {"yima", "link", "-s", crash, "-k", key, "--pack", "24,60", "--bulk",
                          "-q", "import", day, NULL};
    assert_int_equal(finish(spawn(argv, out)), 0);
    assert_int_equal(query(crash, "PRAGMA integrity_check"), 1);
    assert_int_equal(query(crash, "SELECT count(*) FROM events"), 100066);
    assert_int_equal(query(crash, "SELECT count(*) FROM codes WHERE parent IS NOT NULL"),
                     96000 + 3960); /* 66 full pallets */
    snprintf(ea, sizeof ea, "%s/a.tsv", dir);
    snprintf(eb, sizeof eb, "%s/b.tsv", dir);
    export_tsv(ref, ea);
    export_tsv(crash, eb);
    same_events(ea, eb);
    fixture_free(&fx);
}

int main(void)
{
    char cmd[700];
    bin = getenv("YIMA_BIN");
    if (!bin || !mkdtemp(dir))
        return fprintf(stderr, "YIMA_BIN not set\n"), 77;
    fixture fx;
    yima_err err;
    fixture_init(&fx, 0x42, YIMA_AUTH_MAC);
    snprintf(cmd, sizeof cmd, "%s/brand", dir);
    snprintf(key, sizeof key, "%s/brand.key", dir);
    snprintf(day, sizeof day, "%s/day.tsv", dir);
    FILE *f = fopen(day, "w");
    if (!f || yima_key_save(fx.key, cmd, 1, &err))
        return 3;
    fixture_stream(&fx, f, CASES, 24, 60);
    fclose(f);
    fixture_free(&fx);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_kill_and_rerun)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0 && !rc)
        rc = 1;
    return rc;
}
