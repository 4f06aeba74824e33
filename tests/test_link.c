/* SPDX-License-Identifier: MIT */
/*
 * yima link, in process: schema versions, validation and rejects, hand
 * events, re-runs, how refused events are reported. With "--fixture DIR N" it writes DIR/brand.key and an
 * event stream of N cases to DIR/day.tsv for the CLI tests instead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "test_link_fixture.h"
#include "link/link_internal.h"
#include "link/link_db_sqlite.h"

static fixture fx;
static char dir[] = "/tmp/yima-link-test-XXXXXX";

static void path(char *out, const char *name)
{
    snprintf(out, 512, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *text)
{
    char p[512];
    path(p, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_file(const char *name)
{
    char p[512];
    path(p, name);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static yima_link *open_store(const char *name, yima_link_mode mode)
{
    char p[512];
    yima_link *s = NULL;
    yima_err err;
    path(p, name);
    int rc = yima_link_open(&s, p, mode, &err);
    if (rc)
        fail_msg("open: %s", err.msg);
    return s;
}

static void options(yima_link_import_options *o)
{
    yima_link_import_options_init(o);
    o->ring = fx.ring;
    o->realtime = 0;
    o->threads = 2;
    o->rules.pack_case = 3;
    o->rules.pack_pallet = 2;
}

static yima_link_summary import_text(yima_link *s, yima_link_import_options *o, const char *text)
{
    char p[512];
    yima_link_summary sum;
    yima_err err;
    write_file("in.tsv", text);
    path(p, "in.tsv");
    const char *inputs[] = {p};
    if (yima_link_import(s, o, inputs, 1, &sum, &err))
        fail_msg("import: %s", err.msg);
    return sum;
}

static char *trace(yima_link *s, const char *code)
{
    static char *buf;
    size_t len;
    yima_err err;
    free(buf);
    FILE *m = open_memstream(&buf, &len);
    int rc = yima_link_trace(s, code, NULL, 1, m, &err);
    fclose(m);
    return rc ? NULL : buf;
}

/* The rows sql returns on db, one a line, columns from `from` on, split by
 * spaces (NULL as "NULL"). The caller frees the text. */
static char *query_rows(sqlite3 *db, const char *sql, int from)
{
    char *buf;
    size_t len;
    sqlite3_stmt *st;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    while (sqlite3_step(st) == SQLITE_ROW)
        for (int i = from, n = sqlite3_column_count(st); i < n; i++) {
            const unsigned char *v = sqlite3_column_text(st, i);
            fprintf(m, "%s%s", v ? (const char *)v : "NULL", i + 1 < n ? " " : "\n");
        }
    sqlite3_finalize(st);
    fclose(m);
    return buf;
}

/* query_rows on a connection of its own to the store's file. */
static char *store_rows(const char *store, const char *sql)
{
    char p[512];
    sqlite3 *db;
    path(p, store);
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    char *rows = query_rows(db, sql, 0);
    sqlite3_close(db);
    return rows;
}

/* Runs sql on the store's file behind yima's back: to take it back to an
 * older schema, or to lay out a database yima did not make. */
static void store_exec(const char *store, const char *sql)
{
    char p[512];
    sqlite3 *db;
    path(p, store);
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s: %s", store, sqlite3_errmsg(db));
    sqlite3_close(db);
}

/* The first column of the first row sql returns, a number; -1 for no row. */
static int64_t count_rows(const char *store, const char *sql)
{
    char *rows = store_rows(store, sql);
    int64_t n = *rows ? strtoll(rows, NULL, 10) : -1;
    free(rows);
    return n;
}

#define I(n) fx_code(&fx, YIMA_LEVEL_ITEM, n)
#define C(n) fx_code(&fx, YIMA_LEVEL_CASE, n)
#define P(n) fx_code(&fx, YIMA_LEVEL_PALLET, n)

/* Takes a new store back to schema 5 (no audit trail). */
#define SCHEMA6_UNDO                                                                        \
    "ALTER TABLE events DROP COLUMN hash; ALTER TABLE events DROP COLUMN chain;"           \
    "DELETE FROM meta WHERE key = 'chain_head';"
/* Takes a new store back to schema 4, so older schemas can be made from it. */
#define SCHEMA5_UNDO                                                                        \
    SCHEMA6_UNDO                                                                            \
    "ALTER TABLE codes DROP COLUMN shipped; ALTER TABLE events DROP COLUMN user_name;"      \
    "ALTER TABLE events DROP COLUMN station; ALTER TABLE events DROP COLUMN party;"         \
    "ALTER TABLE events DROP COLUMN ship_to; ALTER TABLE events DROP COLUMN shipment;"      \
    "DROP TABLE plan;"
/* Takes a new store back to schema 3. */
#define SCHEMA4_UNDO                                                                        \
    SCHEMA5_UNDO                                                                            \
    "ALTER TABLE codes DROP COLUMN gcp; ALTER TABLE events DROP COLUMN read_point;"         \
    "ALTER TABLE events DROP COLUMN location; DROP TABLE meta;"

static void test_schema(void **state)
{
    (void)state;
    char p[512];
    yima_link *s = open_store("schema.db", YIMA_LINK_WRITE);
    assert_int_equal(yima_link_schema_found(s), 0);
    yima_link_close(s);
    s = open_store("schema.db", YIMA_LINK_READ);
    assert_int_equal(yima_link_schema_found(s), YIMA_LINK_SCHEMA);
    yima_link_close(s);
    /* A schema 1 store (no events_other index): read needs the upgrade,
     * a writer makes it. */
    store_exec("schema.db", SCHEMA4_UNDO "DROP INDEX events_other; PRAGMA user_version=1");
    path(p, "schema.db");
    yima_err err;
    assert_int_equal(yima_link_open(&s, p, YIMA_LINK_READ, &err), YIMA_E_STORE);
    assert_non_null(strstr(err.msg, "needs an upgrade"));
    s = open_store("schema.db", YIMA_LINK_WRITE);
    assert_int_equal(yima_link_schema_found(s), 1);
    yima_link_close(s);
    assert_int_equal(count_rows("schema.db", "SELECT count(*) FROM sqlite_schema WHERE name = "
                                             "'events_other'"), 1);
    /* A store from a newer yima is refused with both versions named. */
    store_exec("schema.db", "PRAGMA user_version=99");
    assert_int_equal(yima_link_open(&s, p, YIMA_LINK_WRITE, &err), YIMA_E_STORE);
    assert_non_null(strstr(err.msg, "schema 99 is newer"));
    /* Some other SQLite database is not taken over. */
    store_exec("other.db", "CREATE TABLE t(x)");
    path(p, "other.db");
    assert_int_equal(yima_link_open(&s, p, YIMA_LINK_WRITE, &err), YIMA_E_STORE);
    assert_non_null(strstr(err.msg, "not a yima store"));
}

/* Schema 2 to 3: codes rebuilt without the UNIQUE text index, same ids,
 * and the codes already there are still found by their text. */
static void test_schema2_upgrade(void **state)
{
    (void)state;
    char text[1024];
    yima_link_import_options o;
    yima_link *s = open_store("v2.db", YIMA_LINK_WRITE);
    options(&o);
    snprintf(text, sizeof text, "PACK\t%s\t%s\t%s\t%s\n", C(0), I(0), I(1), I(2));
    assert_int_equal(import_text(s, &o, text).applied, 1);
    yima_link_close(s);
    store_exec("v2.db", SCHEMA4_UNDO
        "CREATE TABLE c2(id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE,"
        " level INTEGER NOT NULL, state INTEGER NOT NULL DEFAULT 0,"
        " parent INTEGER REFERENCES codes(id), product TEXT, lot TEXT, expiry TEXT,"
        " payload TEXT, replaced_by INTEGER REFERENCES codes(id));"
        "INSERT INTO c2 SELECT id, code, level, state, parent, product, lot, expiry, payload,"
        " replaced_by FROM codes;"
        "DROP TABLE codes; ALTER TABLE c2 RENAME TO codes;"
        "CREATE INDEX codes_parent ON codes(parent) WHERE parent IS NOT NULL;"
        "CREATE INDEX codes_lot ON codes(lot) WHERE lot IS NOT NULL;"
        "PRAGMA user_version=2");
    s = open_store("v2.db", YIMA_LINK_WRITE);
    assert_int_equal(yima_link_schema_found(s), 2);
    char *t = trace(s, C(0));
    assert_non_null(t);
    assert_non_null(strstr(t, I(2)));
    /* I(0) is known to be in C(0), so another case cannot take it. */
    snprintf(text, sizeof text, "PACK\t%s\t%s\t%s\t%s\n", C(1), I(0), I(3), I(4));
    assert_int_equal(import_text(s, &o, text).rejected, 1);
    yima_link_close(s);
    /* 4 codes, each with its hash, and no UNIQUE index left. */
    char *rows = store_rows("v2.db", "SELECT count(*), count(h), (SELECT count(*) FROM "
                                     "sqlite_schema WHERE tbl_name = 'codes' AND name LIKE "
                                     "'sqlite_autoindex%') FROM codes");
    assert_string_equal(rows, "4 4 0\n");
    free(rows);
}

/* Every bad line is refused with its reason; the good ones around it apply. */
static void test_rejects(void **state)
{
    (void)state;
    yima_link *s = open_store("rej.db", YIMA_LINK_WRITE);
    yima_link_import_options o;
    char text[8192], p[512], forged[YIMA_CODE_MAX];
    fixture other;
    fixture_init(&other, 0x43, YIMA_AUTH_MAC);
    snprintf(forged, sizeof forged, "%s", fx_code(&other, YIMA_LEVEL_ITEM, 5));
    fixture_free(&other);
    options(&o);
    path(p, "rej.txt");
    o.rejects = p;
    int n = snprintf(text, sizeof text,
        "COMMISSION\t%s\tP\tL1\t2030-01-01\n"          /* 1 ok */
        "PACK\t%s\t%s\t%s\t%s\n"                        /* 2 ok */
        "FROB\t%s\n"                                    /* 3 unknown type */
        "PACK\t%s\n"                                    /* 4 truncated */
        "PACK\t%s\t%s\t%s\t%s\n",                       /* 5 forged child */
        I(0), C(0), I(0), I(1), I(2), I(3), C(1), C(1), I(3), I(4), forged);
    n += snprintf(text + n, sizeof text - (size_t)n,
        "PACK\t%s\t%s\t%s\t%s\n"                        /* 6 wrong level */
        "PACK\t%s\t%s\t%s\t%s\n"                        /* 7 duplicate child */
        "PACK\t%s\t%s\t%s\t%s\n"                        /* 8 child in another case */
        "PACK\t%s\t%s\t%s\n",                           /* 9 capacity 2 != 3 */
        C(1), I(3), C(2), I(4), C(1), I(3), I(4), I(3), C(1), I(3), I(4), I(0), C(1), I(3), I(4));
    n += snprintf(text + n, sizeof text - (size_t)n,
        "{\"type\":\"PACK\",\"parent\":\"%s\",\"children\":[\"%s\",\"%s\",\"%s\"]}\n" /* 10 ok */
        "{\"type\":\"PACK\",\"parent\":\"%s\",\"kids\":[]}\n"   /* 11 unknown member */
        "# comment\n\n"
        "PACK\t%s\t%s\t%s\n",                            /* 14 ok pallet, 2 cases */
        C(1), I(3), I(4), I(5), C(2), P(0), C(0), C(1));
    yima_link_summary sum = import_text(s, &o, text);
    assert_int_equal(sum.lines, 14);
    assert_int_equal(sum.events, 12);
    assert_int_equal(sum.applied, 4);
    assert_int_equal(sum.rejected, 8);
    const char *r = read_file("rej.txt");
    static const char *const want[] = {
        "in.tsv:3\tunknown event type 'FROB'", "in.tsv:4\tPACK takes PACK parent child...",
        "in.tsv:5\tchild 3 '", "BAD_MAC", "in.tsv:6\tchild 2 '",
        "is a case code, but a case holds item codes", "in.tsv:7\tchild 3 '",
        "appears twice in the event (also as child 1)", "in.tsv:8\tchild 3 '",
        "is already in case", "UNPACK it first, or allow moves",
        "in.tsv:9\tcase '", "would hold 2 codes; the pack spec says exactly 3",
        "in.tsv:11\tunknown member \"kids\""};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(r, want[i]))
            fail_msg("rejects lack '%s':\n%s", want[i], r);
    /* Nothing of a rejected event was applied. */
    assert_null(trace(s, C(2)));
    char *t = trace(s, I(4));
    assert_non_null(strstr(t, C(1)));
    assert_non_null(strstr(t, P(0)));
    /* A re-run skips what was applied and refuses again what was refused,
     * with the same reasons: the 2 refused for the store's state with the
     * reason recorded (0.1 counted them as skipped, "already in the
     * store", and exited 0), the lines refused by parsing again. */
    static char first[sizeof text * 2];
    assert_true(strlen(r) < sizeof first);
    memcpy(first, r, strlen(r) + 1);
    path(p, "rej2.txt");
    sum = import_text(s, &o, text);
    assert_int_equal(sum.applied, 0);
    assert_int_equal(sum.skipped, 4);
    assert_int_equal(sum.rejected, 8);
    assert_string_equal(read_file("rej2.txt"), first);
    yima_link_close(s);
}

static void hand(yima_link *s, yima_link_import_options *o, int want, ...)
{
    const char *f[16];
    int n = 0;
    va_list ap;
    va_start(ap, want);
    while ((f[n] = va_arg(ap, const char *)))
        n++;
    va_end(ap);
    yima_err err;
    int rc = yima_link_apply(s, o, NULL, f, n, &err);
    if (rc != want)
        fail_msg("%s: got %d (%s), want %d", f[0], rc, rc ? err.msg : "ok", want);
}

static void test_hand_station(void **state)
{
    (void)state;
    yima_link *s = open_store("hand.db", YIMA_LINK_WRITE);
    yima_link_import_options o;
    options(&o);
    o.rules.capacity_max = 1;
    o.rules.require_commissioned = 1;
    hand(s, &o, YIMA_E_DATA, "PACK", C(0), I(0), NULL); /* not commissioned */
    o.rules.require_commissioned = 0;
    hand(s, &o, 0, "COMMISSION", I(0), "P", "L7", NULL);
    hand(s, &o, YIMA_E_DATA, "COMMISSION", I(0), "P", "L7", NULL);
    hand(s, &o, 0, "COMMISSION", I(1), "P", "L7", "2031-02-03", NULL);
    hand(s, &o, 0, "PACK", C(0), I(0), I(1), NULL);
    hand(s, &o, 0, "PACK", P(0), C(0), NULL);
    /* A damaged label: the new one takes the old one's case. */
    hand(s, &o, 0, "REPLACE", I(1), I(9), NULL);
    hand(s, &o, YIMA_E_DATA, "REPLACE", I(1), I(8), NULL);
    char *t = trace(s, I(9));
    assert_non_null(strstr(t, "\"lot\":\"L7\""));
    assert_non_null(strstr(t, C(0)));
    t = trace(s, I(1));
    assert_non_null(strstr(t, "\"state\":\"replaced\""));
    /* The case is relabelled too; its children follow. */
    hand(s, &o, 0, "REPLACE", C(0), C(5), NULL);
    t = trace(s, I(0));
    assert_non_null(strstr(t, C(5)));
    assert_non_null(strstr(t, P(0)));
    hand(s, &o, YIMA_E_DATA, "DECOMMISSION", C(5), "damaged", NULL); /* not empty */
    hand(s, &o, 0, "UNPACK", C(5), I(0), NULL);
    hand(s, &o, 0, "DECOMMISSION", I(0), "damaged", NULL);
    hand(s, &o, YIMA_E_DATA, "PACK", C(5), I(0), NULL);
    hand(s, &o, 0, "UNPACK", C(5), NULL);
    hand(s, &o, YIMA_E_DATA, "UNPACK", C(5), NULL); /* nothing left */
    t = trace(s, P(0));
    assert_non_null(strstr(t, C(5)));
    assert_null(strstr(t, I(9)));
    /* With --move a child may change case directly. */
    hand(s, &o, 0, "PACK", C(6), I(9), NULL);
    hand(s, &o, YIMA_E_DATA, "PACK", C(7), I(9), NULL);
    o.rules.move = 1;
    hand(s, &o, 0, "PACK", C(7), I(9), NULL);
    o.rules.pack_case = 1;
    hand(s, &o, YIMA_E_DATA, "PACK", C(7), I(1), NULL); /* replaced, and over capacity */
    yima_link_close(s);
}

static void test_ids_and_times(void **state)
{
    (void)state;
    yima_link *s = open_store("ids.db", YIMA_LINK_WRITE);
    yima_link_import_options o;
    char text[2048];
    options(&o);
    snprintf(text, sizeof text,
             "@a1\t2024-05-01T08:00:00+08:00\tCOMMISSION\t%s\tP\tL1\t-\n"
             "@a1\tCOMMISSION\t%s\tP\tL2\t-\n"
             "@a2\t2024-05-01T08:00:01.5Z\tDECOMMISSION\t%s\turn:epcglobal:cbv:disp:stolen\n"
             "{\"id\":\"j1\",\"time\":\"2024-05-02T10:00:00-05:30\",\"type\":\"COMMISSION\","
             "\"code\":\"%s\",\"product\":\"P\",\"lot\":\"L1\"}\n"
             "@a3\t2024-13-01\tCOMMISSION\t%s\tP\tL1\n",
             I(20), I(21), I(20), I(22), I(23));
    yima_link_summary sum = import_text(s, &o, text);
    assert_int_equal(sum.applied, 3);
    assert_int_equal(sum.rejected, 2); /* id clash, bad time */
    char *t = trace(s, I(20));
    assert_non_null(strstr(t, "2024-05-01T08:00:00.000+08:00"));
    assert_non_null(strstr(t, "\"reason\":\"stolen\"")); /* the CBV name, bare */
    assert_non_null(strstr(trace(s, I(22)), "2024-05-02T10:00:00.000-05:30"));
    /* Lower-case input finds the canonical code. */
    char lower[YIMA_CODE_MAX];
    snprintf(lower, sizeof lower, "%s", I(22));
    for (char *c = lower; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    assert_non_null(trace(s, lower));
    yima_link_close(s);
}

/* Times are strict: an offset (or the default given), a date that exists.
 * 0.1 took a time without an offset as UTC and 2026-02-30 as 2 March. */
static void test_time_strict(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int default_tz, rc;
        int64_t ms; /* when rc is 0 */
        int tz;
        const char *why; /* when rc is not 0 */
    } rows[] = {
        {"2026-03-01T08:00:00Z", YIMA_LINK_TZ_NONE, 0, 1772352000000, 0, NULL},
        {"2026-03-01T08:00:00.25+08:00", YIMA_LINK_TZ_NONE, 0, 1772323200250, 480, NULL},
        {"2026-03-01T08:00:00-05:30", 480, 0, 1772371800000, -330, NULL},
        {"2026-03-01T08:00:00", 480, 0, 1772323200000, 480, NULL},
        {"2026-03-01", 480, 0, 1772294400000, 480, NULL},
        {"2024-02-29T00:00:00Z", YIMA_LINK_TZ_NONE, 0, 1709164800000, 0, NULL},
        {"2026-03-01T08:00:00", YIMA_LINK_TZ_NONE, YIMA_E_DATA, 0, 0,
         "'2026-03-01T08:00:00' has no UTC offset (Z or +08:00)"},
        {"2026-03-01", YIMA_LINK_TZ_NONE, YIMA_E_DATA, 0, 0, "'2026-03-01' has no UTC offset"},
        {"2026-02-30T08:00:00Z", 0, YIMA_E_DATA, 0, 0,
         "'2026-02-30T08:00:00Z': 2026-02-30 is not a calendar date"},
        {"2025-02-29", 0, YIMA_E_DATA, 0, 0, "2025-02-29 is not a calendar date"},
        {"1900-02-29", 0, YIMA_E_DATA, 0, 0, "1900-02-29 is not a calendar date"},
        {"2026-04-31", 0, YIMA_E_DATA, 0, 0, "2026-04-31 is not a calendar date"},
        {"2026-13-01", 0, YIMA_E_DATA, 0, 0, "2026-13-01 is not a calendar date"},
        {"2026-03-01T24:00:00Z", 0, YIMA_E_DATA, 0, 0, "is not RFC 3339"},
        {"2026-03-01T08:00:00+8", 0, YIMA_E_DATA, 0, 0, "is not RFC 3339"},
        {"2026-03-01T08:00:00+15:00", 0, YIMA_E_DATA, 0, 0, "is not RFC 3339"},
        {"2026-03-01T08:00:00Zjunk", 0, YIMA_E_DATA, 0, 0, "is not RFC 3339"},
        {"yesterday", 0, YIMA_E_DATA, 0, 0, "'yesterday' is not RFC 3339"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        int64_t ms = -1;
        int tz = -1;
        yima_err err = {0};
        int rc = yima_link_parse_time(rows[i].text, strlen(rows[i].text), rows[i].default_tz,
                                      &ms, &tz, &err);
        if (rc != rows[i].rc)
            fail_msg("%s: rc %d, want %d (%s)", rows[i].text, rc, rows[i].rc, err.msg);
        if (!rc && (ms != rows[i].ms || tz != rows[i].tz))
            fail_msg("%s: %lld %d, want %lld %d", rows[i].text, (long long)ms, tz,
                     (long long)rows[i].ms, rows[i].tz);
        if (rc && !strstr(err.msg, rows[i].why))
            fail_msg("%s: '%s' lacks '%s'", rows[i].text, err.msg, rows[i].why);
    }
    static const struct { const char *text; int rc, minutes; } tzs[] = {
        {"Z", 0, 0}, {"+08:00", 0, 480}, {"-05:30", 0, -330}, {"+14:00", 0, 840},
        {"+15:00", YIMA_E_DATA, 0}, {"+8", YIMA_E_DATA, 0}, {"08:00", YIMA_E_DATA, 0},
        {"Asia/Shanghai", YIMA_E_DATA, 0}, {"", YIMA_E_DATA, 0}, {"+08:00 ", YIMA_E_DATA, 0}};
    for (size_t i = 0; i < sizeof tzs / sizeof *tzs; i++) {
        int m = -1, rc = yima_link_parse_tz(tzs[i].text, &m);
        if (rc != tzs[i].rc || (!rc && m != tzs[i].minutes))
            fail_msg("tz '%s': rc %d, %d minutes", tzs[i].text, rc, m);
    }
}

/* What on_reject received, one line per refused event. */
typedef struct seen_rejects {
    char text[4096];
    int n;
} seen_rejects;

static void collect_reject(void *ctx, const yima_link_reject *r)
{
    seen_rejects *c = ctx;
    size_t at = strlen(c->text);
    snprintf(c->text + at, sizeof c->text - at, "%s:%llu|%s|%.*s\n", r->source,
             (unsigned long long)r->line, r->reason, (int)r->text_len, r->text);
    c->n++;
}

/* The reason stored in the store's rejects table for one event id. */
static char *stored_reason(const char *store, const char *id)
{
    static char *out;
    free(out);
    char *sql = sqlite3_mprintf("SELECT reason FROM rejects WHERE id = %Q", id);
    assert_non_null(sql);
    out = store_rows(store, sql);
    sqlite3_free(sql);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

/* A code then its payload in one bulk import: the second COMMISSION is
 * refused, and its reason names the code alone. 0.1 kept codes without their
 * NUL in the import's records and printed them with %s: the reason ran on
 * into the payload (ASan: heap-buffer-overflow in link_apply.c), in the
 * rejects file, the rejects table and on stderr alike. */
static void test_reject_names_code_alone(void **state)
{
    (void)state;
    yima_link *s = open_store("nul.db", YIMA_LINK_WRITE);
    yima_link_import_options o;
    char text[1024], p[512], want[256];
    const char *code = I(40);
    options(&o);
    path(p, "nul-rejects.tsv");
    o.rejects = p;
    snprintf(text, sizeof text, "COMMISSION\t%s\tP\tL1\nCOMMISSION\thttps://v.example.cn/%s\tP\tL1\n",
             code, code);
    yima_link_summary sum = import_text(s, &o, text);
    yima_link_close(s);
    assert_int_equal(sum.applied, 1);
    assert_int_equal(sum.rejected, 1);
    snprintf(want, sizeof want, "code '%s' is already commissioned", code);
    assert_string_equal(stored_reason("nul.db", "in.tsv:2"), want);
    char line[512];
    snprintf(line, sizeof line, "in.tsv:2\t%s\tCOMMISSION\thttps://v.example.cn/%s\tP\tL1\n", want,
             code);
    assert_string_equal(read_file("nul-rejects.tsv"), line);
}

/* Refused events reach the caller through on_reject, in input order, with
 * source, 1-based line, reason and the line itself. */
static void test_reject_callback(void **state)
{
    (void)state;
    yima_link *s = open_store("cb.db", YIMA_LINK_WRITE);
    yima_link_import_options o;
    seen_rejects got = {{0}, 0};
    char text[1024], want[2048];
    options(&o);
    o.on_reject = collect_reject;
    o.reject_ctx = &got;
    snprintf(text, sizeof text, "# a comment\nCOMMISSION\t%s\tP\tL1\nFROB\t%s\n"
             "COMMISSION\t%s\tP\tL1\n", I(41), I(41), I(41));
    yima_link_summary sum = import_text(s, &o, text);
    yima_link_close(s);
    assert_int_equal(sum.rejected, 2);
    assert_int_equal(got.n, 2);
    snprintf(want, sizeof want,
             "in.tsv:3|unknown event type 'FROB' (COMMISSION, PACK, UNPACK, REPLACE, "
             "DECOMMISSION, SHIP, RECEIVE, RETURN)|FROB\t%s\n"
             "in.tsv:4|code '%s' is already commissioned|COMMISSION\t%s\tP\tL1\n",
             I(41), I(41), I(41));
    assert_string_equal(got.text, want);
}

/* Runs fn with standard error going to a file; returns what was written. */
static char *stderr_of(void (*fn)(void))
{
    char p[512];
    path(p, "stderr.txt");
    fflush(stderr);
    int saved = dup(2), fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    return read_file("stderr.txt");
}

static void refuse_quietly(void)
{
    yima_link *s = open_store("quiet.db", YIMA_LINK_WRITE);
    yima_link_import_options o;
    char text[2048];
    options(&o);
    o.rules.require_commissioned = 1;
    snprintf(text, sizeof text,
             "FROB\t%s\n"                         /* 1 parse */
             "PACK\t%s\t%s\t%s\t%s\n"             /* 2 not commissioned */
             "COMMISSION\t%s\tP\tL\n"
             "COMMISSION\t%s\tP\tL\n"
             "COMMISSION\t%s\tP\tL\n"
             "COMMISSION\t%s\tP\tL\n"
             "PACK\t%s\t%s\t%s\t%s\n"             /* 7 ok */
             "PACK\t%s\t%s\t%s\t%s\n",            /* 8 in another case */
             I(50), C(50), I(50), I(51), I(52), I(50), I(51), I(52), I(53), C(50), I(50),
             I(51), I(52), C(51), I(53), I(51), I(52));
    yima_link_summary sum = import_text(s, &o, text);
    assert_int_equal(sum.applied, 5);
    assert_int_equal(sum.rejected, 3);
    yima_link_close(s);
}

/* The library reports, the tool speaks: refused events (no rejects file, no
 * callback) print nothing, and no message names a command-line option. */
static void test_library_never_prints(void **state)
{
    (void)state;
    assert_string_equal(stderr_of(refuse_quietly), "");
    char *r2 = stored_reason("quiet.db", "in.tsv:2"), *r8;
    assert_non_null(strstr(r2, "is not commissioned"));
    assert_null(strstr(r2, "--"));
    r8 = stored_reason("quiet.db", "in.tsv:8");
    assert_non_null(strstr(r8, "UNPACK it first"));
    assert_null(strstr(r8, "--"));
    yima_link *s = open_store("quiet.db", YIMA_LINK_READ);
    yima_link_export_options e;
    yima_err err;
    char out[512];
    yima_link_export_options_init(&e);
    path(out, "quiet-export.tsv");
    e.output = out;
    e.subtree = "NOT-A-CODE";
    assert_int_equal(yima_link_export(s, &e, NULL, &err), YIMA_E_USAGE);
    assert_null(strstr(err.msg, "--"));
    yima_link_close(s);
}

/* A schema step that fails shows SQLite's message, not the schema's text
 * (0.1 quoted the CREATE statements, cut at 512 bytes). */
static void test_schema_error_message(void **state)
{
    (void)state;
    char p[512], sql[128];
    yima_link *s;
    yima_err err;
    /* Claims to be a yima store at schema 0, but a table is in the way. */
    snprintf(sql, sizeof sql, "PRAGMA application_id=%d; CREATE TABLE codes(x)",
             YIMA_LINK_APP_ID);
    store_exec("clash.db", sql);
    path(p, "clash.db");
    assert_int_equal(yima_link_open(&s, p, YIMA_LINK_WRITE, &err), YIMA_E_STORE);
    assert_null(strstr(err.msg, "CREATE"));
    assert_non_null(strstr(err.msg, "table codes already exists"));
    assert_non_null(strstr(err.msg, p));
}

/* Schema 3 to 4: a store from before GS1 gains codes.gcp, the events' read
 * point and location, and a random store id that names its EPCIS events. */
static void test_schema3_upgrade(void **state)
{
    (void)state;
    char text[1024], out[512];
    yima_link_import_options o;
    yima_link_export_options e;
    yima_err err;
    yima_link *s = open_store("v3.db", YIMA_LINK_WRITE);
    options(&o);
    snprintf(text, sizeof text, "PACK\t%s\t%s\t%s\t%s\n", C(0), I(0), I(1), I(2));
    assert_int_equal(import_text(s, &o, text).applied, 1);
    yima_link_close(s);
    store_exec("v3.db", SCHEMA4_UNDO "PRAGMA user_version=3");
    s = open_store("v3.db", YIMA_LINK_WRITE);
    assert_int_equal(yima_link_schema_found(s), 3);
    yima_link_export_options_init(&e);
    e.format = YIMA_LINK_EXPORT_EPCIS;
    path(out, "v3.jsonld");
    e.output = out;
    assert_int_equal(yima_link_export(s, &e, NULL, &err), YIMA_OK);
    yima_link_close(s);
    assert_non_null(strstr(read_file("v3.jsonld"), "\"eventID\":\"urn:uuid:"));
    /* The new columns are there (or the query fails); the store id is new. */
    assert_int_equal(count_rows("v3.db", "SELECT length(value), (SELECT count(gcp) FROM codes), "
                                         "(SELECT count(read_point) FROM events) FROM meta "
                                         "WHERE key = 'store_id'"), 16);
}

/* Schema 4 to 5: a store from before the lifecycle events gains the who and
 * where of events, SHIP's fields, the seal and the plan table; what it held
 * is still there, and a SHIP seals the old store's pallet at once. */
static void test_schema4_upgrade(void **state)
{
    (void)state;
    char p[512], text[1024];
    yima_link_import_options o;
    yima_err err;
    yima_link *s = open_store("v4.db", YIMA_LINK_WRITE);
    options(&o);
    snprintf(text, sizeof text, "PACK\t%s\t%s\t%s\t%s\nPACK\t%s\t%s\t%s\t%s\n"
             "PACK\t%s\t%s\t%s\n", C(0), I(0), I(1), I(2), C(1), I(3), I(4), I(5), P(0), C(0),
             C(1));
    assert_int_equal(import_text(s, &o, text).applied, 3);
    yima_link_close(s);
    store_exec("v4.db", SCHEMA5_UNDO "PRAGMA user_version=4");
    path(p, "v4.db");
    assert_int_equal(yima_link_open(&s, p, YIMA_LINK_READ, &err), YIMA_E_STORE);
    assert_non_null(strstr(err.msg, "schema 4 needs an upgrade"));
    s = open_store("v4.db", YIMA_LINK_WRITE);
    assert_int_equal(yima_link_schema_found(s), 4);
    assert_non_null(strstr(trace(s, C(0)), I(2)));
    o.user = "dora";
    const char *ship[] = {"SHIP", P(0), "urn:epc:id:pgln:9506000.00001",
                          "urn:epc:id:sgln:9506000.20000.0", "urn:epcglobal:cbv:bt:x:1"};
    assert_int_equal(yima_link_apply(s, &o, "s1", ship, 5, &err), YIMA_OK);
    const char *unpack[] = {"UNPACK", C(0), I(0)};
    assert_int_equal(yima_link_apply(s, &o, "u1", unpack, 3, &err), YIMA_E_DATA);
    assert_non_null(strstr(err.msg, "is inside shipped"));
    const char *receive[] = {"RECEIVE", P(0)};
    assert_int_equal(yima_link_apply(s, &o, "r1", receive, 2, &err), YIMA_OK);
    assert_int_equal(yima_link_apply(s, &o, "u2", unpack, 3, &err), YIMA_OK);
    assert_non_null(strstr(trace(s, P(0)), "\"user\":\"dora\""));
    yima_link_close(s);
    assert_int_equal(count_rows("v4.db", "SELECT count(*) FROM plan"), 0);
    assert_int_equal(count_rows("v4.db", "PRAGMA user_version"), YIMA_LINK_SCHEMA);
    assert_int_equal(count_rows("v4.db", "SELECT count(*) FROM events WHERE shipment IS NOT NULL"),
                     1);
}

/* A GS1 item of the fixture's key in the given form. */
static void gs1_item(yima_codec *c, uint64_t index, yima_gs1_form form, char *out)
{
    yima_gs1 g;
    yima_err err;
    if (yima_codec_encode_gs1(c, YIMA_LEVEL_ITEM, 1, index, &g, &err))
        fail_msg("gs1: %s", err.msg);
    assert_true(yima_gs1_format(&g, form, out, YIMA_GS1_TEXT_MAX) > 0);
}

/* GS1 codes: one code whatever the spelling; product, lot and expiry from
 * the code; a station context that is not an SGLN is refused before any
 * event, without naming an option. */
static void test_gs1_spellings(void **state)
{
    (void)state;
    yima_gs1_params gp = {"09506000134352", "9506000", "L1", "270200"};
    char hri[YIMA_GS1_TEXT_MAX], raw[YIMA_GS1_TEXT_MAX], text[4096], p[512];
    yima_link_import_options o;
    yima_link_summary sum;
    yima_err err;
    yima_codec *c = yima_codec_create(fx.key);
    assert_non_null(c);
    assert_int_equal(yima_codec_set_gs1(c, &gp, &err), YIMA_OK);
    gs1_item(c, 0, YIMA_GS1_HRI, hri);
    gs1_item(c, 0, YIMA_GS1_RAW, raw);
    assert_non_null(strchr(raw, YIMA_GS1_GS));
    yima_link *s = open_store("gs1.db", YIMA_LINK_WRITE);
    options(&o);
    o.read_point = "urn:epc:id:sgln:9506000.13435";
    write_file("in.tsv", "");
    path(p, "in.tsv");
    const char *inputs[] = {p};
    assert_int_equal(yima_link_import(s, &o, inputs, 1, &sum, &err), YIMA_E_USAGE);
    assert_null(strstr(err.msg, "--"));
    o.read_point = "urn:epc:id:sgln:9506000.13435.0";
    o.gcp_len = 13;
    assert_int_equal(yima_link_import(s, &o, inputs, 1, &sum, &err), YIMA_E_USAGE);
    o.gcp_len = 0;
    snprintf(text, sizeof text, "COMMISSION\t%s\t-\t-\nCOMMISSION\t%s\t-\t-\n", raw, hri);
    sum = import_text(s, &o, text);
    assert_int_equal(sum.applied, 1);
    assert_int_equal(sum.rejected, 1);
    char *t = trace(s, hri);
    assert_non_null(t);
    assert_non_null(strstr(t, "\"lot\":\"L1\""));
    assert_non_null(strstr(t, "\"expiry\":\"2027-02-28\"")); /* day 00: the month's last */
    assert_non_null(strstr(t, "\"product\":\"09506000134352\""));
    yima_link_close(s);
    yima_codec_free(c);
}

static int fixture_main(const char *out_dir, const char *cases)
{
    char base[512], p[512];
    yima_err err;
    snprintf(base, sizeof base, "%s/brand", out_dir);
    snprintf(p, sizeof p, "%s/day.tsv", out_dir);
    FILE *f = fopen(p, "w");
    if (!f || yima_key_save(fx.key, base, 1, &err))
        return 3;
    fixture_stream(&fx, f, strtoull(cases, NULL, 10), 24, 60);
    return fclose(f) ? 3 : 0;
}

/* Imports three events, a line over the limit, then one more: the run stops
 * at the long line with YIMA_E_DATA. Returns the summary. */
static yima_link_summary stopped_import(const char *store, uint64_t batch)
{
    yima_link *s = open_store(store, YIMA_LINK_WRITE);
    yima_link_import_options o;
    yima_link_summary sum;
    yima_err err;
    char p[512];
    size_t long_len = YIMA_LINK_LINE_MAX + 10;
    char *text = malloc(long_len + 1024);
    assert_non_null(text);
    int n = snprintf(text, 1024, "COMMISSION\t%s\tP\tL1\nCOMMISSION\t%s\tP\tL1\nFROB\t%s\n",
                     I(60), I(61), I(62));
    memset(text + n, 'A', long_len);
    snprintf(text + n + long_len, 1024 - (size_t)n, "\nCOMMISSION\t%s\tP\tL1\n", I(63));
    options(&o);
    o.batch = batch;
    write_file("long.tsv", text);
    free(text);
    path(p, "long.tsv");
    const char *inputs[] = {p};
    assert_int_equal(yima_link_import(s, &o, inputs, 1, &sum, &err), YIMA_E_DATA);
    assert_non_null(strstr(err.msg, "long.tsv:4: line longer than"));
    yima_link_close(s);
    return sum;
}

/* A run stopped by an error rolls back its open batch: the summary counts as
 * applied only what the store kept. 0.1 counted the rolled-back events too
 * ("2 applied" with none stored). */
static void test_stopped_import_counts_what_stays(void **state)
{
    (void)state;
    yima_link_summary sum = stopped_import("stop1.db", 100000);
    assert_int_equal(count_rows("stop1.db", "SELECT count(*) FROM events"), 0);
    assert_int_equal(sum.applied, 0);
    assert_int_equal(sum.events, 3);
    assert_int_equal(sum.rejected, 1); /* FROB: reported, so counted */
    /* One event a commit: both COMMISSIONs were committed and stay. */
    sum = stopped_import("stop2.db", 1);
    assert_int_equal(count_rows("stop2.db", "SELECT count(*) FROM events"), 2);
    assert_int_equal(sum.applied, 2);
}

/* The chain hashes of a store, in order, hex: to compare two stores. */
static char *chain_of(const char *store)
{
    return store_rows(store, "SELECT hex(hash), hex(chain) FROM events ORDER BY seq");
}

/* Schema 5 to 6 (the audit trail): the events already there are hashed and
 * chained in the upgrade, exactly as the writer chains new ones, and the
 * chain goes on from them. */
static void test_schema5_upgrade(void **state)
{
    (void)state;
    char text[1024];
    yima_link_import_options o;
    yima_link_audit_report r;
    yima_err err;
    yima_link *s = open_store("v5.db", YIMA_LINK_WRITE);
    options(&o);
    snprintf(text, sizeof text, "COMMISSION\t%s\tP\tL1\t2030-01-01\nPACK\t%s\t%s\t%s\t%s\n"
             "PACK\t%s\t%s\t%s\t%s\nPACK\t%s\t%s\t%s\n", I(0), C(0), I(0), I(1), I(2), C(1),
             I(3), I(4), I(5), P(0), C(0), C(1));
    assert_int_equal(import_text(s, &o, text).applied, 4);
    assert_int_equal(yima_link_audit(s, NULL, NULL, &r, &err), YIMA_OK);
    assert_int_equal(r.status, YIMA_LINK_AUDIT_INTACT);
    assert_int_equal(r.head_seq, 4);
    yima_link_close(s);
    char *want = chain_of("v5.db");
    store_exec("v5.db", SCHEMA6_UNDO "PRAGMA user_version=5");
    s = open_store("v5.db", YIMA_LINK_WRITE);
    assert_int_equal(yima_link_schema_found(s), 5);
    assert_int_equal(yima_link_audit(s, NULL, NULL, &r, &err), YIMA_OK);
    assert_int_equal(r.status, YIMA_LINK_AUDIT_INTACT);
    assert_int_equal(r.events, 4);
    char *got = chain_of("v5.db");
    assert_string_equal(got, want);
    free(got);
    free(want);
    const char *decommission[] = {"DECOMMISSION", I(6), "damaged"};
    assert_int_equal(yima_link_apply(s, &o, "d1", decommission, 3, &err), YIMA_OK);
    assert_int_equal(yima_link_audit(s, NULL, NULL, &r, &err), YIMA_OK);
    assert_int_equal(r.status, YIMA_LINK_AUDIT_INTACT);
    assert_int_equal(r.head_seq, 5);
    yima_link_close(s);
    assert_int_equal(count_rows("v5.db", "SELECT count(*) FROM events WHERE length(chain) = 32"),
                     5);
}

/* A refused event leaves no trace in the chain, and the chain a bulk import
 * builds in batches is the one a hand station builds event by event. */
static void test_chain_batches(void **state)
{
    (void)state;
    char text[2048];
    yima_link_import_options o;
    yima_link_audit_report r;
    yima_err err;
    snprintf(text, sizeof text, "@a\t2026-01-01T08:00:00Z\tCOMMISSION\t%s\tP\tL1\n"
             "@b\t2026-01-01T08:00:01Z\tPACK\t%s\t%s\n"      /* refused: count */
             "@c\t2026-01-01T08:00:02Z\tPACK\t%s\t%s\t%s\t%s\n"
             "@d\t2026-01-01T08:00:03Z\tUNPACK\t%s\t%s\n", I(10), C(5), I(10), C(5), I(10),
             I(11), I(12), C(5), I(11));
    for (int batch = 1; batch <= 100; batch += 99) {
        yima_link *s = open_store(batch == 1 ? "chain1.db" : "chain100.db", YIMA_LINK_WRITE);
        options(&o);
        o.batch = (uint64_t)batch;
        yima_link_summary sum = import_text(s, &o, text);
        assert_int_equal(sum.applied, 3);
        assert_int_equal(sum.rejected, 1);
        assert_int_equal(yima_link_audit(s, NULL, NULL, &r, &err), YIMA_OK);
        assert_int_equal(r.status, YIMA_LINK_AUDIT_INTACT);
        assert_int_equal(r.events, 3);
        yima_link_close(s);
    }
    /* Same events, same content hashes: the store ids differ, the events
     * do not (the chain names no store; a checkpoint does). */
    char *one = chain_of("chain1.db"), *hundred = chain_of("chain100.db");
    assert_string_equal(one, hundred);
    free(one);
    free(hundred);
}

/* The query plan of sql on the store's own connection, one step a line. */
static char *query_plan(yima_link *s, const char *sql)
{
    char *text;
    assert_true(asprintf(&text, "EXPLAIN QUERY PLAN %s", sql) > 0);
    /* Its columns: id, parent, notused, detail. */
    char *plan = query_rows(lk_sqlite_handle(s->db), text, 3);
    free(text);
    return plan;
}

/* --lot and --subtree exports find their events through indexes: no step
 * scans events or event_codes (0.1 scanned every event for each, 22 s at
 * 24,000 events); an unfiltered export walks the rowid from --after on. */
static void test_export_plans(void **state)
{
    (void)state;
    yima_link *s = open_store("plan.db", YIMA_LINK_WRITE);
    char *plan = query_plan(s, lk_export_filtered_sql);
    static const char *const want[] = {"codes_lot (lot=?)", "events_subject (subject=?)",
                                       "SEARCH code_index USING PRIMARY KEY (h=?)",
                                       "SEARCH code_stage USING PRIMARY KEY (h=?)",
                                       "events_other (other=?)", "event_codes_code (code=?)",
                                       "SEARCH e USING INTEGER PRIMARY KEY (rowid=?)"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(plan, want[i]))
            fail_msg("filtered export: no '%s' in the plan:\n%s", want[i], plan);
    static const char *const scans[] = {"SCAN e\n", "SCAN x\n", "SCAN ec\n", "SCAN events",
                                        "SCAN event_codes", "SCAN codes"};
    for (size_t i = 0; i < sizeof scans / sizeof *scans; i++)
        if (strstr(plan, scans[i]))
            fail_msg("filtered export: '%s' in the plan:\n%s", scans[i], plan);
    free(plan);
    plan = query_plan(s, lk_export_all_sql);
    if (!strstr(plan, "SEARCH e USING INTEGER PRIMARY KEY (rowid>?)"))
        fail_msg("export --after: not a rowid range:\n%s", plan);
    free(plan);
    yima_link_close(s);
}

/* Moves key range part of 16 of the stage to the index, committed. */
static void merge_part(yima_link *s, unsigned part, unsigned parts)
{
    yima_err err;
    assert_int_equal(lk_begin(s, &err), YIMA_OK);
    if (lk_stage_merge(s, part, parts, &err) || lk_commit(s, &err))
        fail_msg("merge: %s", err.msg);
}

/* Codes a bulk import stages beside other writers (schema 8, link_stage.c)
 * are found as those in the index are: a hand station refuses them again,
 * trace and the subtree export reach them, and the stage moves to the
 * index one key range at a time, each key in exactly one range. */
static void test_code_stage(void **state)
{
    (void)state;
    yima_link *s = open_store("stage.db", YIMA_LINK_WRITE);
    yima_link_import_options o;
    options(&o);
    o.rules.capacity_max = 1;
    s->staging = 1;
    hand(s, &o, 0, "COMMISSION", I(100), "P", "L1", NULL);
    hand(s, &o, 0, "COMMISSION", I(101), "P", "L1", NULL);
    hand(s, &o, 0, "PACK", C(100), I(100), I(101), NULL);
    s->staging = 0;
    assert_int_equal(count_rows("stage.db", "SELECT count(*) FROM code_stage"), 3);
    assert_int_equal(count_rows("stage.db", "SELECT count(*) FROM code_index"), 0);
    hand(s, &o, YIMA_E_DATA, "COMMISSION", I(100), "P", "L1", NULL); /* found staged */
    hand(s, &o, YIMA_E_DATA, "PACK", C(101), I(100), NULL);          /* in C(100) */
    assert_int_equal(count_rows("stage.db", "SELECT count(*) FROM codes"), 3); /* none twice */
    char *t = trace(s, I(101));
    assert_non_null(t);
    assert_non_null(strstr(t, C(100)));
    /* Ranges 0, 7, 8 and 15 of 16 hold the smallest key, -1, 0 and the largest. */
    store_exec("stage.db", "INSERT INTO code_stage VALUES(-9223372036854775808, 1001),"
                           "(-1, 1002), (0, 1003), (9223372036854775807, 1004)");
    static const unsigned parts[] = {0, 7, 8, 15};
    for (int i = 0; i < 4; i++) {
        char sql[96];
        merge_part(s, parts[i], 16);
        snprintf(sql, sizeof sql, "SELECT count(*) FROM code_index WHERE id = %d", 1001 + i);
        assert_int_equal(count_rows("stage.db", sql), 1);
        snprintf(sql, sizeof sql, "SELECT count(*) FROM code_stage WHERE id > %d", 1001 + i);
        assert_int_equal(count_rows("stage.db", sql), 3 - i);
    }
    merge_part(s, 0, 1);
    assert_int_equal(count_rows("stage.db", "SELECT count(*) FROM code_stage"), 0);
    assert_int_equal(count_rows("stage.db", "SELECT count(*) FROM code_index"), 7);
    hand(s, &o, YIMA_E_DATA, "COMMISSION", I(101), "P", "L1", NULL); /* found indexed */
    /* A lookup probes both tables by key, then reads its codes row. */
    char *plan = query_plan(s, lk_code_get_sql);
    static const char *const want[] = {"SEARCH k USING PRIMARY KEY (h=?)",
                                       "SEARCH c USING INTEGER PRIMARY KEY (rowid=?)"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(plan, want[i]))
            fail_msg("code lookup: no '%s' in the plan:\n%s", want[i], plan);
    if (strstr(plan, "SCAN") || strstr(plan, "LIST SUBQUERY"))
        fail_msg("code lookup: a scan or a temporary list in the plan:\n%s", plan);
    free(plan);
    yima_link_close(s);
}

static off_t file_size(const char *name)
{
    char p[512];
    struct stat st;
    path(p, name);
    assert_int_equal(stat(p, &st), 0);
    return st.st_size;
}

/* COMMISSIONs of items first .. first + n - 1, one commit each. */
static void commission(yima_link *s, yima_link_import_options *o, uint64_t first, int n)
{
    for (int i = 0; i < n; i++)
        hand(s, o, 0, "COMMISSION", I(first + (uint64_t)i), "P", "L1", NULL);
}

/* Waits up to 5 s for the store file to grow past size; its size then. */
static off_t grown(const char *name, off_t size)
{
    for (int i = 0; i < 500 && file_size(name) <= size; i++)
        usleep(10000);
    return file_size(name);
}

/* A handle that copies aside leaves the store file as it was, however far
 * its commits grow the log, while its copier is held: the commit after
 * one that made a copy due does not wait for it. Released, the copier
 * copies the log back. A handle that does not copy aside copies the log
 * back itself. */
static void test_copy_aside(void **state)
{
    (void)state;
    yima_link_import_options o;
    options(&o);
    yima_err err;
    yima_link *s = open_store("aside.db", YIMA_LINK_WRITE);
    assert_int_equal(yima_link_copy_aside(s, &err), YIMA_OK);
    lk_copier_hold(s->copier, 1);
    off_t before = file_size("aside.db");
    commission(s, &o, 5000, 600);
    assert_int_equal(file_size("aside.db"), before);
    lk_copier_hold(s->copier, 0);
    assert_true(grown("aside.db", before) > before);
    yima_link_close(s);
    s = open_store("own.db", YIMA_LINK_WRITE);
    before = file_size("own.db");
    commission(s, &o, 6000, 600);
    assert_true(file_size("own.db") > before);
    yima_link_close(s);
}

typedef struct aside_seen {
    yima_link *s;
    int acks, aside;
} aside_seen;

static void note_aside(void *ctx, const char *source, uint64_t line, yima_link_outcome outcome)
{
    aside_seen *a = ctx;
    (void)source, (void)line, (void)outcome;
    a->acks++;
    a->aside += a->s->copier != NULL;
}

/* A realtime import (a line station) copies aside while it runs: the
 * event after a commit that made a copy due waited for the copy (p99 24
 * ms against a p50 of 0.6). */
static void test_realtime_copies_aside(void **state)
{
    (void)state;
    yima_link *s = open_store("rt.db", YIMA_LINK_WRITE);
    yima_link_import_options o;
    options(&o);
    aside_seen seen = {s, 0, 0};
    o.realtime = 1;
    o.on_ack = note_aside;
    o.ack_ctx = &seen;
    char text[512];
    snprintf(text, sizeof text, "COMMISSION\t%s\tP\tL1\t-\nCOMMISSION\t%s\tP\tL1\t-\n",
             I(7000), I(7001));
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], text, strlen(text)), (ssize_t)strlen(text));
    close(fds[1]);
    int saved = dup(0);
    dup2(fds[0], 0);
    close(fds[0]);
    yima_link_summary sum;
    yima_err err;
    int rc = yima_link_import(s, &o, NULL, 0, &sum, &err);
    dup2(saved, 0);
    close(saved);
    assert_int_equal(rc, YIMA_OK);
    assert_int_equal(seen.acks, 2);
    assert_int_equal(seen.aside, 2);
    assert_null(s->copier); /* stopped at the import's end */
    yima_link_close(s);
}

/* Schema 8 to 9: the index codes_h gives way to code_index, filled with
 * every code, so a store of schema 8 finds its codes as before. */
static void test_schema8_upgrade(void **state)
{
    (void)state;
    yima_link *s = open_store("v8.db", YIMA_LINK_WRITE);
    yima_link_import_options o;
    options(&o);
    o.rules.capacity_max = 1;
    hand(s, &o, 0, "COMMISSION", I(200), "P", "L1", NULL);
    hand(s, &o, 0, "PACK", C(200), I(200), NULL);
    yima_link_close(s);
    store_exec("v8.db", "DROP TABLE code_index; DROP TABLE code_stage;"
                        "CREATE INDEX codes_h ON codes(h); PRAGMA user_version=8");
    s = open_store("v8.db", YIMA_LINK_WRITE);
    assert_int_equal(yima_link_schema_found(s), 8);
    assert_int_equal(count_rows("v8.db", "SELECT count(*) FROM code_index i JOIN codes c "
                                         "ON c.id = i.id AND c.h = i.h"), 2);
    assert_int_equal(count_rows("v8.db", "SELECT count(*) FROM sqlite_schema "
                                         "WHERE name = 'codes_h'"), 0);
    hand(s, &o, YIMA_E_DATA, "COMMISSION", I(200), "P", "L1", NULL);
    yima_link_close(s);
}

int main(int argc, char **argv)
{
    fixture_init(&fx, 0x42, YIMA_AUTH_MAC);
    if (argc == 4 && !strcmp(argv[1], "--fixture"))
        return fixture_main(argv[2], argv[3]);
    if (!mkdtemp(dir))
        return 3;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema),
        cmocka_unit_test(test_schema2_upgrade),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_hand_station),
        cmocka_unit_test(test_ids_and_times),
        cmocka_unit_test(test_time_strict),
        cmocka_unit_test(test_reject_names_code_alone),
        cmocka_unit_test(test_reject_callback),
        cmocka_unit_test(test_library_never_prints),
        cmocka_unit_test(test_schema_error_message),
        cmocka_unit_test(test_stopped_import_counts_what_stays),
        cmocka_unit_test(test_schema3_upgrade),
        cmocka_unit_test(test_schema4_upgrade),
        cmocka_unit_test(test_schema5_upgrade),
        cmocka_unit_test(test_chain_batches),
        cmocka_unit_test(test_export_plans),
        cmocka_unit_test(test_code_stage),
        cmocka_unit_test(test_copy_aside),
        cmocka_unit_test(test_realtime_copies_aside),
        cmocka_unit_test(test_schema8_upgrade),
        cmocka_unit_test(test_gs1_spellings),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    fixture_free(&fx);
    return rc;
}
