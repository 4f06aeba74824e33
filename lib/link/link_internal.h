/* SPDX-License-Identifier: MIT */
/* Private declarations shared by the lib/link*.c files. */
#ifndef YIMA_LINK_INTERNAL_H
#define YIMA_LINK_INTERNAL_H

#include <stdint.h>
#include "yima/code.h"
#include "yima/link.h"
#include "rows.h"
#include "link_db.h"

/* Event types; the numbers are stored in events.type. */
enum { LK_COMMISSION = 1, LK_PACK = 2, LK_UNPACK = 3, LK_REPLACE = 4, LK_DECOMMISSION = 5,
       LK_SHIP = 6, LK_RECEIVE = 7, LK_RETURN = 8, LK__TYPES = 9 };
/* Code states; stored in codes.state. */
enum { LK_SEEN = 0, LK_ACTIVE = 1, LK_DECOMMISSIONED = 2, LK_REPLACED = 3 };

/* Prepared statements, compiled once per handle. */
enum {
    Q_CODE_GET, Q_CODE_ADD, Q_CODE_GCP, Q_CODE_PARENT, Q_CODE_COMMISSION, Q_CODE_STATE, Q_CHILD_COUNT,
    Q_CHILDREN, Q_REPARENT, Q_REPLACE_NEW, Q_EVENT_GET, Q_EVENT_ADD, Q_EVCODE_ADD,
    Q_REJECT_GET, Q_REJECT_ADD, Q_PAYLOAD, Q_EVCODE_CHILDREN, Q_SAVEPOINT, Q_ROLLBACK_TO,
    Q_RELEASE, Q_CODE_UP, Q_CODE_SHIPPED, Q_PLAN_GET, Q_PLAN_ADD, Q_CODE_ILMD, Q_CHAIN_EVENT,
    Q_CHAIN_CODES, Q_CHAIN_SET, Q_CHAIN_PREV, Q_INDEX_ADD, Q_STAGE_ADD, Q_STAGE_MERGE,
    Q_STAGE_DROP,
    /* PostgreSQL only (many writers; NULL on SQLite): an event id's lock,
     * the seal of the chain at commit (link_chain.c), and an event's codes
     * read, moved and recorded a statement for all (link_apply.c). */
    Q_ID_LOCK, Q_HEAD_LOCK, Q_SEAL_EVENTS, Q_SEAL_CODES, Q_SEAL_SET, Q_SEAL_ONE,
    Q_CODES_GET, Q_CODES_PARENT, Q_EVCODES_ADD, Q__COUNT
};
#define Q__MANY_WRITERS Q_ID_LOCK

/* The writer's lookup of a code (Q_CODE_GET). */
extern const char lk_code_get_sql[];
/* SQL: the codes row id (a column) is one of those filed under lookup key
 * h (an expression) in code_index or code_stage (UPGRADE_8, link_stage.c). */
#define LK_CODE_KEYED(id, h)                                                                \
    id " IN (SELECT id FROM code_index WHERE h = " h                                        \
    " UNION ALL SELECT id FROM code_stage WHERE h = " h ")"

/* The few SQL texts that differ between the engines (one per backend,
 * link_store.c); every other statement is one text for both. */
typedef struct lk_dialect {
    const char *const *upgrade;  /* upgrade[v] takes schema v to v + 1; [0] makes it */
    int upgrades;                /* how many upgrade[] has */
    const char *export_filtered; /* lk_export_filtered_sql */
    /* Run first in a read transaction whose rows are few and must be found
     * by index whatever the planner guesses (a filtered export, a trace),
     * or NULL (see link_store.c). */
    const char *by_index;
    const char *trace_down;      /* lk_trace_down_sql */
    /* Q_CODE_ADD and Q_EVENT_ADD with RETURNING their new id, or NULL:
     * the shared text, and the engine's last id (link_apply.c step_id). */
    const char *code_add, *event_add;
    /* Many writers at once (PostgreSQL), or NULL/0: one at a time. The
     * codes an event decides on are read and locked (code_get, code_up:
     * Q_CODE_GET, Q_CODE_UP), a new code is added unless another writer
     * added it first (code_add then gives no row), an event id is locked
     * before it is looked up (Q_ID_LOCK), and events take their seq and
     * chain hashes only at commit (seal), in commit order. */
    const char *code_get, *code_up;
    int seal;
} lk_dialect;
extern const lk_dialect lk_dialect_sqlite, lk_dialect_pg;
extern const char lk_trace_down_sql[], lk_trace_down_pg_sql[];

/* BLAKE2b-256: events.hash and events.chain. */
#define LK_HASH_BYTES 32

typedef struct lk_filter lk_filter;
typedef struct lk_copier lk_copier;

struct yima_link {
    const lk_backend *be;
    const lk_dialect *dialect;
    lk_db *db;
    char *path;          /* as opened, to lead messages */
    yima_link_mode mode;
    int schema_found;
    int in_txn;
    lk_copier *copier;   /* yima_link_copy_aside, or NULL */
    struct {
        int known;       /* head valid: this handle holds the write lock */
        int dirty;       /* head moved since the last commit: record it */
        int64_t seq;     /* the last chained event */
        unsigned char head[LK_HASH_BYTES];
        /* Many writers: the open transaction's provisional seqs lie in
         * [prov_lo, prov_hi] (0, 0: none noted), so the seal reads its own
         * events by key, not every negative seq a past seal left dead. */
        int64_t prov_lo, prov_hi;
    } chain;
    int conflict;        /* the transaction lost a race to another writer:
                          * roll back and run it again (lk_retry_wait) */
    int staging;         /* new codes go to code_stage (link_stage.c) */
    lk_filter *filter;   /* which codes the store has (link_filter.c), or NULL */
    int64_t staged;      /* codes in code_stage, as far as this handle knows */
    lk_st *q[Q__COUNT];
};

/* The audit trail (link_chain.c); the statements the writer prepares. */
extern const char lk_chain_event_sql[], lk_chain_codes_sql[], lk_chain_set_sql[];
/* Hashes event seq (applied, with its codes) and chains it to the event
 * before it, inside the open transaction. */
int lk_chain_append(yima_link *s, int64_t seq, yima_err *err);
/* The content fields of an event as the writer holds them, in the order of
 * yima-link(1), AUDIT TRAIL: seq, id, digest, type, time, tz, subject,
 * other, info, read_point, location, user_name, station, party, ship_to,
 * shipment, product, lot, expiry. Integers (seq, digest, type, time, tz) in
 * value; text in text/len, text NULL for NULL. */
#define LK_CHAIN_FIELDS 19
typedef struct lk_chain_field {
    const char *text;
    size_t len;
    int64_t value;
} lk_chain_field;
/* lk_chain_append from the writer's own copy of the fields, for an event
 * that wrote no event_codes rows (COMMISSION): no read-back, the same hash. */
int lk_chain_append_fields(yima_link *s, int64_t seq, const lk_chain_field f[LK_CHAIN_FIELDS],
                           yima_err *err);
/* On a store whose dialect seals (PostgreSQL) lk_chain_append and
 * lk_chain_append_fields only note that the transaction added events:
 * they hold provisional seqs (negative, from events_provisional), and
 * lk_chain_commit gives them their seqs, hashes and chain links, in order,
 * holding the chain head's row lock until COMMIT. The sealer's statements: */
extern const char lk_head_lock_sql[], lk_seal_events_sql[], lk_seal_codes_sql[],
    lk_seal_set_sql[], lk_seal_one_sql[];
/* Records the chain's head in meta if it moved (or seals); lk_commit calls it. */
int lk_chain_commit(yima_link *s, yima_err *err);
/* Hashes and chains every event (the upgrade to schema 6). */
int lk_chain_rebuild(yima_link *s, yima_err *err);
/* chain(prev, content): out may be prev. */
void lk_chain_link(const unsigned char prev[LK_HASH_BYTES],
                   const unsigned char content[LK_HASH_BYTES], unsigned char out[LK_HASH_BYTES]);
/* Recomputes the chain into r (zeroed by the caller); head gets its end. */
int lk_chain_audit(yima_link *s, yima_link_audit_report *r, unsigned char head[LK_HASH_BYTES],
                   yima_err *err);
/* The stored chain hash of event seq (seq 0: the empty chain, zeros). */
int lk_chain_at(yima_link *s, int64_t seq, unsigned char chain[LK_HASH_BYTES], int *found,
                yima_err *err);

/* Runs statement q (no bindings) to completion: YIMA_OK, or YIMA_E_STORE
 * with err naming what (err may be NULL when the caller ignores a failure). */
int lk_run(yima_link *s, int q, const char *what, yima_err *err);
/* The lookup key of a canonical code text (codes.h; yima_code_hash() in SQL). */
int64_t lk_code_hash(const char *text, size_t len);
/* Sets err from the database's last error: YIMA_E_STORE "PATH: what: msg",
 * msg being the engine's own (errmsg). */
int lk_db_error(yima_link *s, const char *what, yima_err *err);
/* Runs sql; on failure the message names the statement. */
int lk_exec(yima_link *s, const char *sql, yima_err *err);
/* Same, naming what instead: for statements too long to quote (schema). */
int lk_exec_as(yima_link *s, const char *sql, const char *what, yima_err *err);
/* Statement q, reset and with bindings cleared. */
lk_st *lk_stmt(yima_link *s, int q);
/* A statement of its own (lk_finalize it): LK_OK, or LK_ERROR with the
 * reason for lk_db_error. */
int lk_prepare(yima_link *s, const char *sql, lk_st **st);
/* Same, for a statement that may walk millions of rows (LK_PREPARE_STREAM). */
int lk_prepare_stream(yima_link *s, const char *sql, lk_st **st);
/* 1 if another writer waits for the store (SQLite's writers' gate,
 * link_gate.c): a bulk import then commits and stands back. */
int lk_gate_wanted(yima_link *s);
/* 1 if another writer committed since the last call: one that found the
 * store free while this handle held no transaction. */
int lk_others_wrote(yima_link *s);
/* Waits, out of turn, until no writer waits, or for at most max_ms. */
void lk_gate_let_pass(yima_link *s, int max_ms);

/* The code filter (link_filter.c), a bulk import's beside other writers
 * on SQLite. lk_filter_want starts one; lk_begin builds it when due
 * (lk_filter_ready, before the writers' turn) and adds the codes others
 * added (lk_filter_refresh, in the transaction); lk_filter_add files a new
 * code's key; lk_filter_may_hold is 0 only for a key no code in the store
 * has (1 without a filter). Each drops the filter on an error. */
void lk_filter_want(yima_link *s);
void lk_filter_ready(yima_link *s);
void lk_filter_refresh(yima_link *s);
void lk_filter_add(yima_link *s, int64_t h);
int lk_filter_may_hold(const yima_link *s, int64_t h);
void lk_filter_drop(yima_link *s);

/* The code index and its stage (link_stage.c). Files new code id under
 * lookup key h: in code_stage while s->staging, else in code_index. */
int lk_code_file(yima_link *s, int64_t h, int64_t id, yima_err *err);
/* Moves the staged codes of key range part of parts (a power of two; 0 of 1
 * is all) to code_index, inside the open transaction. */
int lk_stage_merge(yima_link *s, unsigned part, unsigned parts, yima_err *err);
/* Moves a bulk commit's share of the stage: the ranges of LK_STAGE_PARTS
 * after *last, updating it, one at a time until LK_STAGE_RUN have moved or
 * another writer waits. */
#define LK_STAGE_PARTS 64
#define LK_STAGE_RUN 4
int lk_stage_merge_some(yima_link *s, unsigned *last, yima_err *err);
/* How many codes the stage holds. */
int lk_stage_count(yima_link *s, int64_t *n, yima_err *err);

/* A write transaction (SQLite: the writers' turn, then its write lock). */
int lk_begin(yima_link *s, yima_err *err);
int lk_commit(yima_link *s, yima_err *err);
/* lk_commit in two: the commit, then the work it leaves due (a WAL
 * checkpoint), so a station's acknowledgement need not wait for the
 * copy of what a bulk import wrote meanwhile. */
int lk_commit_only(yima_link *s, yima_err *err);
void lk_checkpoint(yima_link *s);
/* The thread of yima_link_copy_aside (link_copier.c): a copy is due; stop
 * s's copier, if any, and close its handle; hold (1) its copies until
 * released (0), for tests. */
void lk_copier_kick(lk_copier *c);
void lk_copier_stop(yima_link *s);
void lk_copier_hold(lk_copier *c, int hold);
void lk_rollback(yima_link *s);
/* After a failed write: 1 if it failed only because another writer got in
 * its way (PostgreSQL's 40001 or 40P01, or a code added at once), the
 * transaction rolled back, fewer than LK_RETRIES tries made (*tries counts
 * them) and a short random pause taken: then run it again. */
#define LK_RETRIES 8
int lk_retry_wait(yima_link *s, int *tries);
/* A read-only transaction seeing one state of the store; its end never
 * fails (it wrote nothing). */
int lk_snapshot_begin(yima_link *s, yima_err *err);
void lk_snapshot_end(yima_link *s);
/* The payload template the store keeps (meta.template), into *out
 * (malloc'd; NULL if it keeps none). */
int lk_template_get(yima_link *s, char **out, yima_err *err);
/* A writer given template_text (NULL: nothing to do): the store keeps it
 * if it keeps none yet, else it must be the one kept (YIMA_E_USAGE naming
 * both), so its exports' identifiers never change. */
int lk_template_bind(yima_link *s, const char *template_text, yima_err *err);
/* Two templates differ: YIMA_E_USAGE naming both. */
int lk_template_conflict(yima_link *s, const char *kept, const char *given, yima_err *err);
/* The export's statements (link_export.c), for tests of their plans. */
extern const char lk_export_all_sql[], lk_export_filtered_sql[], lk_export_filtered_pg_sql[];
/* A query's pass over the events as EPCIS (link_export.c, link_query.c).
 * lk_export_columns: "SELECT" and the columns of an event statement, before
 * its "FROM events e JOIN codes s ON s.id = e.subject LEFT JOIN codes
 * o ON o.id = e.other", in seq order. */
extern const char lk_export_columns[];
typedef struct exporter lk_exporter;
struct json_t;
/* A callback's answer: enough, stop the pass (not an error). */
#define LK_SCAN_STOP (-1)
typedef struct lk_export_scan {
    const char *sql;           /* the events, lk_export_columns first */
    const char *template_text; /* as yima_link_export_options */
    int gcp_len;
    /* Inside the snapshot, before the first row: binds sql's parameters
     * (the exporter can tell code URIs with lk_export_uri). */
    int (*begin)(void *ctx, lk_exporter *x, lk_st *events, const unsigned char store_id[16]);
    /* Each EPCIS event (the sink takes it), the store event's seq and its
     * place among the EPCIS events made from it: YIMA_OK, LK_SCAN_STOP or
     * an error. */
    int (*sink)(void *ctx, struct json_t *ev, int64_t seq, uint32_t sub);
    void *ctx;
} lk_export_scan;
/* Runs the pass in one snapshot of the store. */
int lk_export_scan_run(yima_link *s, const lk_export_scan *scan, yima_err *err);
/* The identifier the export writes for a code (its row's code, payload, gcp). */
struct json_t *lk_export_uri(lk_exporter *x, const char *code, const char *payload, int gcp);
/* "sync" is yima_link_sync. */
int lk_set_sync(yima_link *s, int sync, yima_err *err);
/* A monotonic clock in milliseconds, coarse (a few ms): for time limits. */
int64_t lk_now_ms(void);
/* Before a bulk import: the engine's room for its working set. */
int lk_tune_bulk(yima_link *s, yima_err *err);

const char *lk_type_name(int type);
/* The LK_ type named (any case), or -1 if name is none. */
int lk_type_parse(const char *name, size_t len);
const char *lk_state_name(int state);
/* Formats ms/tz as RFC 3339 with milliseconds ("2024-05-01T08:00:00.000+08:00"). */
void lk_format_time(int64_t ms, int tz, char out[96]);
/* A DECOMMISSION reason of the CBV ("damaged", or its URN
 * "urn:epcglobal:cbv:disp:damaged"): its bare name, or NULL if it is none. */
const char *lk_reason_parse(const char *text, size_t len);
/* The EPCIS bizStep and disposition of a DECOMMISSION with reason (NULL:
 * none, or a free-text reason stored by an older yima). */
void lk_reason_cbv(const char *reason, const char **biz_step, const char **disposition);
/* 1 if text is an absolute URI: a scheme ("urn:", "https:") and more, no
 * spaces or control characters. */
int lk_is_uri(const char *text, size_t len);
/* "+08:00" */
void lk_format_tz(int tz, char out[8]);
/* 1 if text is a date that exists, "YYYY-MM-DD" (2026-02-30 is not). */
int lk_is_date(const char *text, size_t len);
/* The name of control character c for messages ("a TAB", "a newline"),
 * into out[24]; NULL if c is none (GS counts as one). */
const char *lk_control_name(unsigned char c, char out[24]);
/* Rewrites err's message with its control characters escaped (\t, \n,
 * \r, \xNN), so a reason quoting a field stays one line of one TSV field. */
void lk_escape_controls(yima_err *err);

/* One code of an event, after extraction, canonicalisation and verification.
 * text and payload are NUL-terminated as well as counted, wherever they
 * live (parser arena or the importer's records), so messages may use %s. */
typedef struct lk_code {
    const char *text;
    size_t len;
    const char *payload; /* NULL when given as a bare code */
    size_t payload_len;
    int level;
    int gs1;             /* 1: a GS1 code, text its key "(01)GTIN(21)SERIAL" or "(00)SSCC" */
    int gcp;             /* its company prefix length, 0 if unknown */
} lk_code;

/* An event ready to apply (work stage output). Strings are borrowed. */
typedef struct lk_event {
    int type;
    const char *id;       /* NULL: positional */
    size_t id_len;
    int has_time;
    int64_t time_ms;
    int tz;
    lk_code *codes;       /* subject first (code, parent or old), then the others */
    int ncodes;
    const char *arg[3];   /* COMMISSION product lot expiry; DECOMMISSION reason (a CBV
                           * name); SHIP party, ship-to location, shipment; REPLACE
                           * with a GS1 new code: the product (GTIN), lot and expiry
                           * it carries (not in the digest) */
    size_t arg_len[3];
    uint64_t digest;      /* of the content, to tell a re-run from an id clash */
    /* Who and where (lk_ctx order): user, station, read point and business
     * location (SGLN URIs), each from the event line or else the station's
     * options; NULL: none. Not part of the digest. */
    const char *ctx[4];
    size_t ctx_len[4];
} lk_event;

/* The who-and-where fields of an event, in lk_event.ctx order; on a TSV
 * line "user=NAME" fields before the type, in JSON members of these names. */
enum { LK_CTX_USER, LK_CTX_STATION, LK_CTX_READ_POINT, LK_CTX_LOCATION, LK_CTX__COUNT };
extern const char *const lk_ctx_names[LK_CTX__COUNT];

/*
 * Applies ev (already verified) as event id, all or nothing, inside the
 * open transaction. Returns
 *   YIMA_OK      applied, or *skipped = 1: the store already holds id with
 *                the same content (a re-run);
 *   YIMA_E_DATA  refused, the reason (no option names) in err; the refusal
 *                is recorded under id, unless id is taken by a different
 *                event, and a re-run is refused again with the reason
 *                recorded (the store's state may have changed since);
 *   any other    a store error: the caller rolls the transaction back.
 */
int lk_apply(yima_link *s, const yima_link_rules *rules, const lk_event *ev, const char *id,
             size_t id_len, int *skipped, yima_err *err);

/* The rejects file (link_rejects.c): a TSV log of SOURCE:LINE, reason and
 * the event line, created if missing and appended to, or started afresh. */
typedef struct lk_rejects lk_rejects;
int lk_rejects_open(lk_rejects **out, const char *path, int fresh, yima_err *err);
/* Writes one refused event as one line, in one write. */
int lk_rejects_write(lk_rejects *r, const char *source, uint64_t line, const char *reason,
                     const char *raw, size_t raw_len, yima_err *err);
/* Syncs and closes; NULL is accepted, err may be NULL. */
int lk_rejects_close(lk_rejects *r, yima_err *err);

/* The station's context of an import (GS1, time zone, who and where),
 * checked as yima_link_import checks it: YIMA_OK or YIMA_E_USAGE. */
int lk_import_check_context(const yima_link_import_options *opt, yima_err *err);

/* Per-thread event parser (link_event.c). */
typedef struct lk_parser lk_parser;
int lk_parser_create(lk_parser **out, const yima_keyring *ring, const char *template_text,
                     yima_err *err);
void lk_parser_free(lk_parser *p);
/* What the station knows that the codes may not say: a GS1 company prefix
 * length for codes that name none (0: unknown), and who and where (user,
 * station, read point, business location, in lk_ctx order; SGLN URIs
 * checked by the caller; NULL: none) for every event that names none. The
 * strings are borrowed. */
void lk_parser_context(lk_parser *p, int gcp_len, const char *const ctx[LK_CTX__COUNT]);
/* The UTC offset (minutes) of event times that name none; YIMA_LINK_TZ_NONE
 * (the default) refuses them. */
void lk_parser_tz(lk_parser *p, int tz);
/* "YYYY-MM-DD" of an AI 17 date YYMMDD (century 20, day 00: the month's
 * last day) into out[11]. */
void lk_gs1_date(const char *yymmdd, char out[11]);
/*
 * Parses and verifies one event line (modified in place). Returns YIMA_OK
 * with the event in *ev (ev->type 0 for a blank or comment line), or
 * YIMA_E_DATA for a refused line with the reason (no option names) in err,
 * or YIMA_E_NOMEM. ev's strings point into line or into the parser, valid
 * until the next call.
 */
int lk_parse_line(lk_parser *p, char *line, size_t len, lk_event *ev, yima_err *err);
/* Same from fields (hand station); fields are not modified. */
int lk_parse_fields(lk_parser *p, const char *const *fields, int n, lk_event *ev, yima_err *err);
/* Verifies n codes (fields, n <= 3) of a plan row into codes[], named by
 * roles[] in messages: YIMA_OK, YIMA_E_DATA with the reason, or
 * YIMA_E_NOMEM. The codes' strings live until the next call. */
int lk_verify_codes(lk_parser *p, const yima_field *fields, int n, const char *const *roles,
                    lk_code *codes, yima_err *err);
/* Extracts and canonicalises one code or payload without verifying it
 * (trace): YIMA_OK, or YIMA_E_DATA with the reason in err. */
int lk_code_lookup_text(lk_parser *p, const char *text, size_t len, lk_code *code, yima_err *err);

#endif
