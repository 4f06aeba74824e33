/* SPDX-License-Identifier: MIT */
/* The issue ledger: reservations refused the second time, torn and glued
 * records refused, escaped output names, no symbolic links, format 1 files
 * still read, a failed append cut back off, and the verifiers' read API. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ledger.h"
#include "testutil.h"

static char dir[] = "/tmp/yima-ledger-test.XXXXXX";

static const char *path_of(const char *name)
{
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_text(const char *path)
{
    static char buf[8192];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static int count_lines(const char *path)
{
    int n = 0;
    for (const char *s = read_text(path); *s; s++)
        n += *s == '\n';
    return n;
}

static int reserve(const char *path, uint32_t batch, int level, uint64_t start, uint64_t count,
                   int force, yima_err *err)
{
    yima_ledger_range r = {batch, level, start, count};
    char id[17];
    return yima_ledger_reserve(path, &r, 1, "out.txt", force, id, err);
}

static void test_second_reservation_refused(void **state)
{
    (void)state;
    const char *p = path_of("twice.ledger");
    yima_err err = {0};
    assert_int_equal(reserve(p, 1, 0, 0, 100, 0, &err), YIMA_OK);
    assert_int_equal(reserve(p, 1, 0, 99, 5, 0, &err), YIMA_E_LEDGER);
    assert_non_null(strstr(err.msg, "indexes 0..99 were already issued"));
    assert_int_equal(reserve(p, 1, 0, 100, 5, 0, &err), YIMA_OK); /* next to it: fine */
    assert_int_equal(reserve(p, 1, 1, 0, 5, 0, &err), YIMA_OK);   /* another level */
    assert_int_equal(reserve(p, 2, 0, 0, 5, 0, &err), YIMA_OK);   /* another batch */
    assert_int_equal(reserve(p, 1, 0, 50, 5, 1, &err), YIMA_OK);  /* forced */
    assert_int_equal(strncmp(read_text(p), "yima-ledger 2\n", 14), 0);
    assert_int_equal(count_lines(p), 6);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

/* A record cut short (full disk, crash, hand edit) must not be appended to:
 * 0.1 glued the next reservation onto it and hid it. */
static void test_torn_tail_refused(void **state)
{
    (void)state;
    const char *v1 = path_of("torn1.ledger");
    const char *torn = "yima-ledger 1\nR 0123456789abcdef 1 0 0 10 1700000000 a.t";
    write_text(v1, torn);
    yima_err err = {0};
    assert_int_equal(reserve(v1, 1, 0, 0, 10, 0, &err), YIMA_E_DATA);
    assert_non_null(strstr(err.msg, "torn1.ledger:2: torn ledger"));
    assert_non_null(strstr(err.msg, "yima-gen(1)"));
    assert_int_equal(reserve(v1, 1, 0, 0, 10, 1, &err), YIMA_E_DATA); /* force or not */
    assert_string_equal(read_text(v1), torn);                      /* untouched */
    assert_int_equal(yima_ledger_complete(v1, "0123456789abcdef", &err), YIMA_E_DATA);
    yima_ledger_set *set = (yima_ledger_set *)1;
    assert_int_equal(yima_ledger_load(&set, v1, &err), YIMA_E_DATA);
    assert_null(set);

    /* Format 2: a torn tail, and a record whose checksum fails. */
    const char *v2 = path_of("torn2.ledger");
    assert_int_equal(reserve(v2, 3, 0, 0, 10, 0, &err), YIMA_OK);
    assert_int_equal(truncate(v2, (off_t)strlen(read_text(v2)) - 1), 0);
    assert_int_equal(reserve(v2, 3, 0, 0, 10, 0, &err), YIMA_E_DATA);
    assert_non_null(strstr(err.msg, ":2: torn ledger"));
    assert_non_null(strstr(err.msg, "a whole record that lost its newline"));
    char text[512];
    snprintf(text, sizeof text, "%s\n", read_text(v2));
    write_text(v2, text);
    assert_int_equal(reserve(v2, 3, 0, 0, 10, 0, &err), YIMA_E_LEDGER); /* repaired */
    assert_int_equal(truncate(v2, (off_t)strlen(text) - 5), 0);
    assert_int_equal(reserve(v2, 3, 0, 0, 10, 0, &err), YIMA_E_DATA);
    assert_non_null(strstr(err.msg, "cut short (a crash or a full disk): delete that line"));
    write_text(v2, text);
    char *digit = strstr(text, " 3 0 0 10 ") + 7; /* count 10 -> 90: checksum fails */
    *digit = '9';
    write_text(v2, text);
    assert_int_equal(yima_ledger_load(&set, v2, &err), YIMA_E_DATA);
    assert_non_null(strstr(err.msg, ":2: unparsable ledger line (checksum mismatch)"));
}

/* 0.1 ledgers where a record was already glued onto a torn line. */
static void test_glued_records_refused(void **state)
{
    (void)state;
    static const char *glued[] = {
        "yima-ledger 1\nR 0123456789abcdef 1 0 0 10 1700000000 a.tR 1123456789abcdef 1 0 10 "
        "10 1700000001 b.txt\n",
        "yima-ledger 1\nR 0123456789abcdef 1 0 0 10 1700000000 a.txtD 0123456789abcdef\n",
        "yima-ledger 1\nD 0123R 1123456789abcdef 1 0 10 10 1700000001 b.txt\n",
        "yima-ledger 1\nR 0123456789abcdef 1 0 0 1R 1123456789abcdef 1 0 10 10 1 b.txt\n",
        "yima-ledger 2\nR 0123456789abcdef 1 0 0 10 1700000000 a.tR 1123456789abcdef 1 0 10 "
        "10 1700000001 b.txt *00000000\n",
        "yima-ledger 1\nR 0123456789abcdef 1 3 0 10 1700000000 a.txt\n",   /* level 3 */
        "yima-ledger 1\nR 0123456789abcdef -1 0 0 10 1700000000 a.txt\n",  /* batch -1 */
        "yima-ledger 1\nR 0123456789abcdef 4294967296 0 0 1 1 a.txt\n",    /* batch 2^32 */
        "yima-ledger 1\nR 0123456789abcdef 1 0 0 0 1700000000 a.txt\n",    /* empty */
        "yima-ledger 1\nR 0123456789abcdef 1 0 18446744073709551615 2 1 a\n", /* wraps */
        "yima-ledger 1\nX something\n",
        "yima-ledger 9\n",
        "not a ledger\n",
    };
    for (size_t i = 0; i < sizeof glued / sizeof *glued; i++) {
        const char *p = path_of("glued.ledger");
        write_text(p, glued[i]);
        yima_err err = {0};
        yima_ledger_set *set;
        if (yima_ledger_load(&set, p, &err) != YIMA_E_DATA || !strstr(err.msg, "glued.ledger:"))
            fail_msg("case %zu loaded: %s", i, err.msg);
        if (reserve(p, 1, 0, 10, 10, 0, &err) != YIMA_E_DATA)
            fail_msg("case %zu appended to", i);
    }
}

/* An output name cannot forge, split or hide records. */
static void test_output_name_escaped(void **state)
{
    (void)state;
    const char *p = path_of("escape.ledger");
    yima_ledger_range r = {1, 0, 0, 10};
    char id[17];
    yima_err err = {0};
    const char *evil = "a\nR 0123456789abcdef 9 0 0 5 1700000000 x\\y\r\x1b[2J";
    assert_int_equal(yima_ledger_reserve(p, &r, 1, evil, 0, id, &err), YIMA_OK);
    assert_int_equal(yima_ledger_complete(p, id, &err), YIMA_OK);
    assert_int_equal(count_lines(p), 3);
    assert_non_null(strstr(read_text(p), " a\\x0aR 0123456789abcdef 9 0 0 5 1700000000 "
                                         "x\\x5cy\\x0d\\x1b[2J *"));
    yima_ledger_set *set;
    assert_int_equal(yima_ledger_load(&set, p, &err), YIMA_OK);
    assert_int_equal(yima_ledger_set_size(set), 1);
    assert_int_equal(yima_ledger_contains(set, 9, 0, 0), 0);
    yima_ledger_set_free(set);
    assert_int_equal(reserve(p, 9, 0, 0, 5, 0, &err), YIMA_OK);
    assert_int_equal(reserve(p, 1, 0, 5, 1, 0, &err), YIMA_E_LEDGER);
    assert_null(strpbrk(err.msg, "\n\r\x1b"));
}

static void test_symlink_refused(void **state)
{
    (void)state;
    const char *real = path_of("real.ledger"), *link = path_of("link.ledger");
    const char *dangling = path_of("dangling.ledger");
    yima_err err = {0};
    assert_int_equal(reserve(real, 1, 0, 0, 10, 0, &err), YIMA_OK);
    char *before = strdup(read_text(real));
    assert_int_equal(symlink(real, link), 0);
    assert_int_equal(reserve(link, 1, 0, 10, 10, 0, &err), YIMA_E_IO);
    assert_non_null(strstr(err.msg, "symbolic link"));
    assert_string_equal(read_text(real), before);
    yima_ledger_set *set;
    assert_int_equal(yima_ledger_load(&set, link, &err), YIMA_E_IO);
    assert_non_null(strstr(err.msg, "symbolic link"));
    /* A dangling link must not create its target either. */
    assert_int_equal(symlink(path_of("target.ledger"), dangling), 0);
    assert_int_equal(reserve(dangling, 1, 0, 0, 10, 0, &err), YIMA_E_IO);
    assert_int_equal(access(path_of("target.ledger"), F_OK), -1);
    /* Nor is a FIFO waited on. */
    assert_int_equal(mkfifo(path_of("fifo.ledger"), 0600), 0);
    assert_int_equal(reserve(path_of("fifo.ledger"), 1, 0, 0, 10, 0, &err), YIMA_E_IO);
    assert_int_equal(yima_ledger_load(&set, path_of("fifo.ledger"), &err), YIMA_E_IO);
    assert_non_null(strstr(err.msg, "not a regular file"));
    free(before);
}

/* 0.1's ledgers stay readable and are appended to in their own format. */
static void test_format1_kept(void **state)
{
    (void)state;
    const char *p = path_of("v1.ledger");
    write_text(p, "yima-ledger 1\n"
                  "R 0123456789abcdef 1 0 0 100 1700000000 /srv/a b.txt\n"
                  "D 0123456789abcdef\n"
                  "\n"
                  "R 1123456789abcdef 1 1 0 4 1700000001 -\n");
    yima_err err = {0};
    yima_ledger_set *set;
    assert_int_equal(yima_ledger_load(&set, p, &err), YIMA_OK);
    assert_int_equal(yima_ledger_contains(set, 1, 0, 99), 1);
    assert_int_equal(yima_ledger_contains(set, 1, 0, 100), 0);
    assert_int_equal(yima_ledger_contains(set, 1, 1, 3), 1); /* reserved, never completed */
    yima_ledger_set_free(set);
    assert_int_equal(reserve(p, 1, 0, 50, 1, 0, &err), YIMA_E_LEDGER);
    assert_non_null(strstr(err.msg, "v1.ledger:2, to /srv/a b.txt"));
    assert_int_equal(reserve(p, 1, 0, 100, 1, 0, &err), YIMA_OK);
    const char *text = read_text(p);
    const char *prev = "R 1123456789abcdef 1 1 0 4 1700000001 -\n";
    const char *last = strstr(text, prev) + strlen(prev);
    assert_int_equal(strncmp(last, "R ", 2), 0);
    assert_null(strchr(last, '*'));
    assert_int_equal(yima_ledger_load(&set, p, &err), YIMA_OK);
    assert_int_equal(yima_ledger_contains(set, 1, 0, 100), 1);
    yima_ledger_set_free(set);
}

/* A 0.1 ledger stays readable whatever the next output is called: a name
 * that holds "R <id> " must not read as a glued record (found by fuzzing). */
static void test_format1_name_like_record(void **state)
{
    (void)state;
    const char *p = path_of("v1-name.ledger");
    write_text(p, "yima-ledger 1\nR 0123456789abcdef 1 0 0 100 1700000000 a.txt\n");
    yima_err err = {0};
    yima_ledger_set *set;
    static const yima_ledger_range r = {2, 0, 0, 10};
    char id[17];
    assert_int_equal(yima_ledger_reserve(p, &r, 1, "x R 0123456789abcdef y.txt", 0, id, &err),
                     YIMA_OK);
    assert_int_equal(yima_ledger_load(&set, p, &err), YIMA_OK);
    assert_int_equal(yima_ledger_contains(set, 2, 0, 9), 1);
    yima_ledger_set_free(set);
    assert_int_equal(yima_ledger_reserve(p, &r, 1, "z.txt", 0, id, &err), YIMA_E_LEDGER);
}

/* A write cut short (here by RLIMIT_FSIZE, as a full disk would) is removed
 * again, so the ledger stays whole and the range stays free. */
static void test_failed_append_cut_back(void **state)
{
    (void)state;
    const char *p = path_of("full.ledger");
    yima_err err = {0};
    assert_int_equal(reserve(p, 1, 0, 0, 10, 0, &err), YIMA_OK);
    char *before = strdup(read_text(p));
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = strlen(before) + 20;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = reserve(p, 1, 0, 10, 10, 0, &err);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, YIMA_E_IO);
    assert_string_equal(read_text(p), before);
    assert_int_equal(reserve(p, 1, 0, 10, 10, 0, &err), YIMA_OK);
    free(before);
}

static void test_set_lookups(void **state)
{
    (void)state;
    const char *p = path_of("set.ledger");
    yima_err err = {0};
    static const yima_ledger_range r[] = {
        {5, 0, 1000, 10}, {5, 0, 0, 10}, {5, 0, 10, 5},     /* touching: one range */
        {5, 0, 3, 2},     {5, 1, 0, 1},  {4, 0, 500, 100}, /* inside; other level, batch */
        {5, 0, 2000, 1},  {UINT32_MAX, 2, UINT64_MAX - 1, 2},
    };
    int n = (int)(sizeof r / sizeof *r);
    for (int i = 0; i < n; i++)
        assert_int_equal(reserve(p, r[i].batch, r[i].level, r[i].start, r[i].count, 1, &err),
                         YIMA_OK);
    yima_ledger_set *set;
    assert_int_equal(yima_ledger_load(&set, p, &err), YIMA_OK);
    assert_int_equal(yima_ledger_set_size(set), 6);
    static const struct { uint32_t b; int l; uint64_t i; int want; } q[] = {
        {5, 0, 0, 1},     {5, 0, 14, 1},   {5, 0, 15, 0},   {5, 0, 999, 0},  {5, 0, 1000, 1},
        {5, 0, 1009, 1},  {5, 0, 1010, 0}, {5, 0, 2000, 1}, {5, 0, 2001, 0}, {5, 1, 0, 1},
        {5, 1, 1, 0},     {5, 2, 0, 0},    {4, 0, 499, 0},  {4, 0, 599, 1},  {4, 0, 600, 0},
        {3, 0, 500, 0},   {6, 0, 0, 0},    {UINT32_MAX, 2, UINT64_MAX, 1},
        {UINT32_MAX, 2, UINT64_MAX - 2, 0}, {0, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof q / sizeof *q; i++)
        assert_int_equal(yima_ledger_contains(set, q[i].b, q[i].l, q[i].i), q[i].want);
    yima_ledger_set_free(set);
    yima_ledger_set_free(NULL);
    /* An empty (header only) ledger holds nothing; a missing one is an error. */
    write_text(path_of("empty.ledger"), "yima-ledger 2\n");
    assert_int_equal(yima_ledger_load(&set, path_of("empty.ledger"), &err), YIMA_OK);
    assert_int_equal(yima_ledger_contains(set, 0, 0, 0), 0);
    yima_ledger_set_free(set);
    assert_int_equal(yima_ledger_load(&set, path_of("missing.ledger"), &err), YIMA_E_IO);
}

/* Many ranges: each lookup is a binary search, not a scan. */
static void test_set_many(void **state)
{
    (void)state;
    const char *p = path_of("many.ledger");
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("yima-ledger 1\n", f);
    for (unsigned i = 0; i < 200000; i++)
        fprintf(f, "R %016x %u 0 %u 10 1700000000 out\n", i, i % 7, i * 20);
    fclose(f);
    yima_err err = {0};
    yima_ledger_set *set;
    assert_int_equal(yima_ledger_load(&set, p, &err), YIMA_OK);
    assert_int_equal(yima_ledger_set_size(set), 200000);
    unsigned hits = 0;
    for (unsigned i = 0; i < 4000000; i++)
        hits += (unsigned)yima_ledger_contains(set, (i / 2) % 7, 0, (uint64_t)i);
    assert_true(hits > 0);
    for (unsigned i = 0; i < 200000; i += 997) {
        assert_int_equal(yima_ledger_contains(set, i % 7, 0, (uint64_t)i * 20 + 9), 1);
        assert_int_equal(yima_ledger_contains(set, i % 7, 0, (uint64_t)i * 20 + 10), 0);
    }
    yima_ledger_set_free(set);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_reservation_refused),
        cmocka_unit_test(test_torn_tail_refused),
        cmocka_unit_test(test_glued_records_refused),
        cmocka_unit_test(test_output_name_escaped),
        cmocka_unit_test(test_symlink_refused),
        cmocka_unit_test(test_format1_kept),
        cmocka_unit_test(test_format1_name_like_record),
        cmocka_unit_test(test_failed_append_cut_back),
        cmocka_unit_test(test_set_lookups),
        cmocka_unit_test(test_set_many),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
