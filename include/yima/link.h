/* SPDX-License-Identifier: MIT */
/*
 * The aggregation store: which item went into which case, which case onto
 * which pallet, plus commissioning, label replacement and decommissioning.
 * Schema, event formats and durability are specified in yima-link(1).
 *
 * A store is one SQLite file in WAL mode: one writer (the line's importer)
 * and any number of readers in other processes, which never block each
 * other. Every event is all or nothing; events are applied strictly in
 * input order whatever the thread count.
 *
 * Thread safety: a yima_link handle belongs to one thread at a time.
 * yima_link_import uses worker threads internally (parsing and code
 * verification) but calls back and touches the database from one thread.
 * Separate handles on the same file may be used from separate threads or
 * processes.
 */
#ifndef YIMA_LINK_H
#define YIMA_LINK_H

#include <stdint.h>
#include <stdio.h>
#include "yima/errors.h"
#include "yima/common.h"
#include "yima/key.h"

#ifdef __cplusplus
extern "C" {
#endif

/* PRAGMA user_version of the stores this library writes. Older stores are
 * upgraded in place (in one transaction) when opened for writing; a newer
 * store is refused with YIMA_E_STORE naming both versions. */
#define YIMA_LINK_SCHEMA 10
/* PRAGMA application_id of a yima store ("YIMA"). */
#define YIMA_LINK_APP_ID 0x59494D41

typedef struct yima_link yima_link;

/* The longest event line import accepts, newline excluded (64 KiB). */
#define YIMA_LINK_LINE_MAX 65536

typedef enum {
    YIMA_LINK_READ = 0,   /* read only: trace, stats, export */
    YIMA_LINK_WRITE = 1,  /* read-write, created if missing */
} yima_link_mode;

/* Opens (and for YIMA_LINK_WRITE creates or upgrades) the store at path.
 * Errors: YIMA_E_IO (cannot open), YIMA_E_STORE (not a yima store, newer
 * schema, corrupt). *out is set only on success; free with yima_link_close. */
YIMA_API int yima_link_open(yima_link **out, const char *path, yima_link_mode mode,
                            yima_err *err);
/* Closes the store; NULL is accepted. Uncommitted work is rolled back. */
YIMA_API void yima_link_close(yima_link *store);

/* 1 if the store lets one writer in at a time (an SQLite file): a program
 * whose threads all write should then write through one handle, taking
 * turns, since each handle's cache is thrown away whenever another handle
 * has written. 0 for PostgreSQL, where each thread keeps its own. */
YIMA_API int yima_link_one_writer(const yima_link *store);
/* Copies the write-ahead log of an SQLite store back into it on a thread
 * of its own, with a handle of its own, whenever a commit on store makes a
 * copy due: the next transaction on store then never waits for that copy
 * (and its fsync). Until yima_link_close(store). YIMA_OK and nothing to do
 * on PostgreSQL, or when store already copies aside. */
YIMA_API int yima_link_copy_aside(yima_link *store, yima_err *err);
/* Copies the write-ahead log back into an SQLite store as far as no reader
 * still needs it, beside the writers; YIMA_OK at once on PostgreSQL. */
YIMA_API int yima_link_wal_checkpoint(yima_link *store, yima_err *err);
/* Schema version found in the file when it was opened (before any upgrade). */
YIMA_API int yima_link_schema_found(const yima_link *store);

/* Validation rules for applied events. */
typedef struct yima_link_rules {
    uint64_t pack_case;       /* items per case; 0 = any number */
    uint64_t pack_pallet;     /* cases per pallet; 0 = any number */
    int capacity_max;         /* 1: counts are maxima; 0: a packed parent holds exactly that */
    int move;                 /* 1: PACK may take a child from another parent */
    int require_commissioned; /* 1: children must be commissioned before PACK */
    int require_plan;         /* 1: PACK puts each child where the plan (yima_link_plan)
                               * says, or is refused */
} yima_link_rules;

typedef enum {
    YIMA_LINK_SYNC_NORMAL = 0, /* batched commits, synchronous=NORMAL */
    YIMA_LINK_SYNC_FULL = 1,   /* one commit per event, synchronous=FULL */
} yima_link_sync;

/* One refused event, as yima_link_import reports it to on_reject. */
typedef struct yima_link_reject {
    const char *source;  /* the input's source name: SOURCE of a SOURCE:LINE id */
    uint64_t line;       /* line number in that input, from 1 in every mode */
    const char *reason;  /* why, in words (no option names); NUL-terminated */
    const char *text;    /* the event line as read, without its newline; */
    size_t text_len;     /* not NUL-terminated */
} yima_link_reject;

/* Called once per refused event, in input order, one call at a time (from
 * whichever thread applies events). The pointers are valid during the call. */
typedef void (*yima_link_reject_fn)(void *ctx, const yima_link_reject *reject);

/* What became of an event line, as yima_link_import acknowledges it. */
typedef enum yima_link_outcome {
    YIMA_LINK_APPLIED = 0,  /* applied and committed */
    YIMA_LINK_SKIPPED = 1,  /* its id was in the store already (a re-run) */
    YIMA_LINK_REJECTED = 2  /* refused (on_reject had the reason) */
} yima_link_outcome;

/* Called for each event line once its outcome is committed to the store
 * (so it survives a crash of this process), in input order, one call at a
 * time; a station that waits for its acknowledgement knows its event is
 * kept. source as in yima_link_reject. */
typedef void (*yima_link_ack_fn)(void *ctx, const char *source, uint64_t line,
                                 yima_link_outcome outcome);

typedef struct yima_link_import_options {
    const yima_keyring *ring;  /* keys that authenticate codes (borrowed) */
    const char *template_text; /* payload template with {code}, or NULL to guess; the
                                * store keeps the first one it is given, and
                                * another is YIMA_E_USAGE naming both */
    yima_link_rules rules;
    yima_link_sync sync;
    const char *source;        /* event-id prefix for input without @id; NULL =
                                * each input's base name ("stdin" for -) */
    const char *rejects;       /* TSV log of refused events (SOURCE:LINE, reason,
                                * line), created if missing, else appended to,
                                * one whole line a write as each is refused, so a
                                * station's log is current; "-" is stdout; NULL = none */
    yima_link_reject_fn on_reject; /* each refused event, or NULL (the library
                                * never prints: the caller reports them) */
    void *reject_ctx;
    int force;                 /* start the rejects file afresh instead of appending */
    yima_link_ack_fn on_ack;   /* each event line once committed, or NULL */
    void *ack_ctx;
    int realtime;              /* -1 auto (stdin pipe or terminal), 0 bulk, 1 line by line */
    uint64_t batch;            /* events per commit in bulk mode [100000]; a bulk import
                                * commits sooner, and lets the writer in, as soon as
                                * another writer waits for the store, even while it
                                * waits for its threads, so it never keeps one waiting */
    int threads;               /* >= 1 */
    yima_progress_fn progress; /* lines done, from the writer thread; may be NULL */
    void *progress_ctx;
    /* GS1 (yima-link(1), GS1): the company prefix length (6 to 12) of GS1
     * codes whose authentication header names none, remembered with them
     * for EPC URIs; 0 = unknown. */
    int gcp_len;
    /* SGLN EPC URIs (urn:epc:id:sgln:...) recorded with every event as its
     * EPCIS readPoint and bizLocation; NULL = none. A malformed one makes
     * import and apply fail with YIMA_E_USAGE before any event. */
    const char *read_point, *location;
    /* Who and where: the user and the station (free text, no control
     * characters) recorded with every event whose line names none
     * ("user=NAME" and "station=NAME" before the type, or JSON members);
     * NULL = none. A line's read_point= and location= override the two
     * above the same way. A malformed one: YIMA_E_USAGE before any event. */
    const char *user, *station;
    /* The UTC offset ("+08:00", "Z"; see yima_link_parse_tz) of event times
     * that name none; NULL: such a time is refused. A malformed one makes
     * import and apply fail with YIMA_E_USAGE before any event. */
    const char *tz;
    /* 1: station names every event's station, whatever its line says
     * ("station=" or a JSON member), as a server records the token that
     * sent it [0: station only for lines that name none]. */
    int station_fixed;
} yima_link_import_options;

/* Fills the defaults shown in brackets above (1 thread, no rules). */
YIMA_API void yima_link_import_options_init(yima_link_import_options *opt);

typedef struct yima_link_summary {
    uint64_t lines;    /* input lines read, blank and comment lines included */
    uint64_t events;   /* event lines */
    uint64_t applied;  /* events applied now and committed: a run stopped by an
                        * error counts none of the batch it rolled back */
    uint64_t skipped;  /* events whose id the store already held (a re-run) */
    uint64_t rejected; /* events refused, each reported with its reason */
} yima_link_summary;

/*
 * Imports event lines from inputs (paths; "-" is stdin; gzip transparent)
 * in order. Each event line is TSV or one JSON object (see yima-link(1)):
 *   [@ID] [TIME] COMMISSION code product lot [expiry]
 *   [@ID] [TIME] PACK parent child...
 *   [@ID] [TIME] UNPACK parent [child...]
 *   [@ID] [TIME] REPLACE old new
 *   [@ID] [TIME] DECOMMISSION code [reason]
 *   [@ID] [TIME] SHIP code party ship-to shipment
 *   [@ID] [TIME] RECEIVE code
 *   [@ID] [TIME] RETURN code
 * with "user=", "station=", "read_point=", "location=" fields between TIME
 * and the type if the line names who and where (else opt's). A reason is a
 * CBV one (sampled, damaged, destroyed, recalled, stolen, expired); SHIP
 * names URIs (party, shipment) and an SGLN (ship-to) and seals the code and
 * all it holds against PACK, UNPACK, REPLACE and DECOMMISSION until RECEIVE
 * or RETURN.
 * A code may be given as its payload (URL). A GS1 code (Digital Link URI,
 * element string with parentheses, raw with GS separators) is stored as its
 * identity, "(01)GTIN(21)SERIAL" or "(00)SSCC", whatever the spelling; its
 * COMMISSION takes product, lot and expiry from the code where "-".
 * An event without @ID is named
 * SOURCE:LINE, lines counted from 1 in realtime and bulk mode alike, so a
 * realtime station's saved input re-imports in bulk as the same events.
 * An id already in the store is skipped, so a re-run after a crash applies
 * only what is missing; the same id with other content is rejected. An id
 * the store refused before (for the store's state) is refused again with
 * the reason recorded then, so a re-run reports what the first run did.
 * TIME needs a UTC offset (or opt->tz), and dates (TIME, expiry) must exist.
 * Fields must not hold control characters (a code may hold GS).
 * Rejected events are reported (on_reject, the rejects file) and processing
 * goes on; they count in summary->rejected, not as an error.
 * A line may hold at most YIMA_LINK_LINE_MAX bytes (newline excluded) in
 * either mode: a longer one stops the run with YIMA_E_DATA naming the input
 * and line ("(stdin)" for standard input), and realtime input refuses it as
 * soon as that many bytes arrive without a newline, so memory stays bounded.
 * Returns YIMA_OK when the whole input was processed; errors (YIMA_E_IO,
 * YIMA_E_DATA, YIMA_E_STORE, YIMA_E_NOMEM) stop the run after rolling back
 * the uncommitted batch: every event committed before stays committed.
 */
YIMA_API int yima_link_import(yima_link *store, const yima_link_import_options *opt,
                              const char *const *inputs, int ninputs,
                              yima_link_summary *summary, yima_err *err);

/* Applies one event given as its fields (TYPE args..., as in a TSV line
 * without @ID), for a hand station. id NULL gets a fresh random id; an id
 * holding a control character (TAB, newline...) is YIMA_E_USAGE, worded
 * "event id '...' holds ...". The event is committed before return. A
 * rejected event returns YIMA_E_DATA with the reason in err, also when id
 * names an event refused before. */
YIMA_API int yima_link_apply(yima_link *store, const yima_link_import_options *opt,
                             const char *id, const char *const *fields, int nfields,
                             yima_err *err);

/* An EPCIS capture's id: 32 lower-case hex digits and a NUL. */
#define YIMA_LINK_CAPTURE_ID 33

/* An EPCIS capture as the store keeps it (table captures). */
typedef struct yima_link_capture {
    char id[YIMA_LINK_CAPTURE_ID];
    char who[65];        /* the name it was sent under (a token's) */
    int64_t received_ms; /* ms since 1970 UTC */
    int success;         /* 1: every event applied or skipped, and committed;
                          * 0: refused, nothing of it applied */
    uint64_t events;     /* EPCIS events in its eventList */
    uint64_t applied, skipped, refused; /* yima events made of them */
    char *errors;        /* JSON array, one object per refused event:
                          * {"eventIndex": N (from 1), "eventID": ..., "reason": ...};
                          * malloc'd, freed by yima_link_capture_free */
} yima_link_capture;

/*
 * Captures an EPCIS 2.0 JSON-LD document (an EPCISDocument; yima-serve(1),
 * POST /capture): each event of its eventList back into a yima event, the
 * inverse of yima_link_export's EPCIS (the events one yima event exported
 * as, by their "yima:eventID", become that event again), each verified
 * with opt->ring and applied by opt->rules, ALL OR NOTHING: one refused
 * event and none is applied. The event id is "yima:eventID", else
 * "eventID", so a re-sent document is skipped. opt->station is every
 * event's station, whatever the document says. The outcome is kept in the
 * store under a new id, committed before return, in *out (free with
 * yima_link_capture_free). Returns YIMA_OK whether the events were applied
 * or refused (out->success says); YIMA_E_DATA, nothing kept, for a body
 * that is not JSON (its line and column) or not an EPCIS document (what is
 * wrong); YIMA_E_USAGE, YIMA_E_STORE, YIMA_E_NOMEM.
 */
YIMA_API int yima_link_capture_epcis(yima_link *store, const yima_link_import_options *opt,
                                     const char *who, const char *doc, size_t len,
                                     yima_link_capture *out, yima_err *err);

/* The capture of that id into *out: YIMA_OK, YIMA_E_DATA if the store
 * holds none, YIMA_E_STORE. */
YIMA_API int yima_link_capture_get(yima_link *store, const char *id, yima_link_capture *out,
                                   yima_err *err);

/* Frees what *c holds (not c); NULL is accepted. */
YIMA_API void yima_link_capture_free(yima_link_capture *c);

/* What yima_link_plan read and did. */
typedef struct yima_link_plan_summary {
    uint64_t rows;         /* code rows read (header rows not counted) */
    uint64_t links;        /* rows naming a container: a code planned into it */
    uint64_t added;        /* links new to the store's plan */
    uint64_t known;        /* links the plan already held (a re-run) */
    uint64_t commissioned; /* items commissioned now (commission = 1) */
} yima_link_plan_summary;

/*
 * Loads the packing plan from gen's pre-assigned hierarchy (gen --pack;
 * csv, tsv or jsonl, gzip transparent; "-" is stdin): each item row's case
 * column and each case row's pallet column say where the code belongs. Every
 * code is verified with opt->ring (opt->template_text cuts codes out of
 * payloads). With rules.require_plan a later PACK must follow the plan.
 * commission = 1 also commissions every planned item, with its row's product,
 * lot and expiry columns where the input has them (a GS1 code's own
 * otherwise), as the event "plan:NAME:LINE" (NAME the input's base name), so
 * a re-run skips what is done; user, station, read point and location come
 * from opt. All or nothing: any bad row (malformed, a code that does not
 * verify, a container not of the level above, a code planned into another
 * container before, an item that cannot be commissioned) is YIMA_E_DATA
 * "FILE:LINE: what" and nothing of the load stays. YIMA_E_IO, YIMA_E_STORE,
 * YIMA_E_NOMEM as import. sum may be NULL.
 */
YIMA_API int yima_link_plan(yima_link *store, const yima_link_import_options *opt, int commission,
                            const char *const *inputs, int ninputs,
                            yima_link_plan_summary *sum, yima_err *err);

/* Prints what the store knows about one code (or payload): state, product,
 * lot, the shipment sealing it, the chain up to its pallet, every code below it and the events that
 * touched it. json: one JSON object instead of text. YIMA_E_DATA if the
 * store has never seen the code. */
YIMA_API int yima_link_trace(yima_link *store, const char *code, const char *template_text,
                             int json, FILE *to, yima_err *err);

/* Counts by level and state, events by type, and the last event. */
YIMA_API int yima_link_stats(yima_link *store, int json, FILE *to, yima_err *err);

typedef enum { YIMA_LINK_EXPORT_TSV = 0, YIMA_LINK_EXPORT_EPCIS = 1 } yima_link_export_format;

typedef struct yima_link_export_options {
    yima_link_export_format format;
    const char *output;        /* path, "-" or NULL for stdout; written atomically */
    int force;                 /* replace an existing file */
    int64_t time_from, time_to;/* milliseconds since 1970 UTC, [from, to); 0 = open */
    const char *lot;           /* only events touching codes of this lot (or their
                                * containers); NULL = all */
    const char *subtree;       /* only events touching this code or codes now below it */
    const char *template_text; /* EPCIS identifiers: payload template; NULL = the one
                                * the store keeps (yima_link_import), else stored
                                * payloads, else "urn:yima:code:CODE" (compact codes);
                                * one other than the store's is YIMA_E_USAGE */
    int gcp_len;               /* GS1 codes whose company prefix length the store does
                                * not know: 6 to 12 gives EPC URIs, 0 GS1 Digital Link
                                * URIs (https://id.gs1.org/...) */
    int64_t after;             /* only events the store applied after this sequence
                                * number (events.seq; 0 = all): a feed's next part,
                                * however the events are dated */
    const char *seq_output;    /* path: sum->last_seq written there as one decimal
                                * line, atomically, once the export is complete (an
                                * existing file replaced); NULL = none */
} yima_link_export_options;

YIMA_API void yima_link_export_options_init(yima_link_export_options *opt);

typedef struct yima_link_export_summary {
    uint64_t events;  /* store events written */
    int64_t last_seq; /* the store's last sequence number in the exported snapshot
                       * (at least opt->after): every event up to it was
                       * considered, so the next part of a feed is after it */
} yima_link_export_summary;

/* Writes the event log: TSV in the import format (so an export re-imports),
 * or one EPCIS 2.0 JSON-LD document, from one snapshot of the store, in
 * sequence order. sum may be NULL. --lot and --subtree filters cost time in
 * proportion to the events they return. */
YIMA_API int yima_link_export(yima_link *store, const yima_link_export_options *opt,
                              yima_link_export_summary *sum, yima_err *err);

/* The most events a query page holds, and its default size. */
#define YIMA_LINK_PAGE_MAX 1000
#define YIMA_LINK_PAGE_DEFAULT 100
/* A page token's text and its NUL. */
#define YIMA_LINK_PAGE_TOKEN 64

/* An EPCIS 2.0 query (the REST binding's GET /events): each filter NULL
 * is no filter; lists are comma separated, any value matching. */
typedef struct yima_link_query_options {
    const char *event_types;  /* eventType: "ObjectEvent,AggregationEvent" */
    int64_t time_from;        /* GE_eventTime, ms since 1970 UTC (has_from) */
    int64_t time_to;          /* LT_eventTime (has_to) */
    int has_from, has_to;
    const char *epcs;         /* MATCH_epc: an event's epcList or childEPCs holds one;
                               * any spelling of a code the store knows (EPC URI, GS1
                               * Digital Link, payload, urn:yima:code:CODE) */
    const char *parents;      /* MATCH_parentID: the event's parentID is one */
    const char *biz_steps;    /* EQ_bizStep: CBV names, bare or as URIs */
    const char *dispositions; /* EQ_disposition: the same */
    uint64_t per_page;        /* events a page holds, 1 to YIMA_LINK_PAGE_MAX
                               * [YIMA_LINK_PAGE_DEFAULT] */
    const char *page_token;   /* a page's next token: the page after it; NULL: the first */
    const char *template_text;/* identifiers, as yima_link_export_options */
    int gcp_len;
} yima_link_query_options;

YIMA_API void yima_link_query_options_init(yima_link_query_options *opt);

typedef struct yima_link_query_page {
    uint64_t events;                  /* EPCIS events in the page */
    char next[YIMA_LINK_PAGE_TOKEN];  /* the next page's token; "" on the last page */
} yima_link_query_page;

/*
 * Writes one page of the EPCIS events that match opt to `to`, as an EPCIS
 * 2.0 EPCISQueryDocument (epcisBody.queryResults.resultsBody.eventList),
 * each event as yima_link_export writes it, in the store's order, from one
 * snapshot. The store narrows the events by sequence number, time and
 * code through its indexes; a page reads only the events it could hold.
 * A page token is opaque: it names where the next page starts, bound to
 * the store and to the query's filters. Errors: YIMA_E_USAGE (per_page out
 * of range; a token that is malformed, tampered with, of another store or
 * of another query), YIMA_E_STORE, YIMA_E_IO (writing), YIMA_E_NOMEM.
 */
YIMA_API int yima_link_query(yima_link *store, const yima_link_query_options *opt, FILE *to,
                             yima_link_query_page *page, yima_err *err);

/* What yima_link_audit found, the first break only. */
typedef enum {
    YIMA_LINK_AUDIT_INTACT = 0,     /* every event hashes and chains as stored */
    YIMA_LINK_AUDIT_CONTENT = 1,    /* an event's fields no longer give its stored hash */
    YIMA_LINK_AUDIT_LINK = 2,       /* an event's chain hash does not follow from the
                                     * event before it (one removed, inserted, re-hashed) */
    YIMA_LINK_AUDIT_HEAD = 3,       /* the head the writer recorded is not the chain's end
                                     * (events removed from the end) */
    YIMA_LINK_AUDIT_CHECKPOINT = 4, /* the checkpoint's signature does not verify, it names
                                     * another store, or its head is not in the chain */
} yima_link_audit_status;

typedef struct yima_link_audit_report {
    int status;              /* yima_link_audit_status */
    uint64_t events;         /* events checked */
    int64_t seq;             /* the first broken link's sequence number (status != 0) */
    char id[256];            /* its event id, "" when the break is no one event's */
    char detail[512];        /* what differs, in words (hashes in hex) */
    int64_t head_seq;        /* the chain's end: the last event that chains */
    unsigned char head[32];  /* its chain hash (zeros for an empty store) */
    int64_t checkpoint_seq;  /* the checkpoint's signed seq, when one was given */
} yima_link_audit_report;

/*
 * Recomputes the audit trail (yima-link(1), AUDIT TRAIL): each event's
 * content hash, each chain hash from the one before, and the recorded head.
 * With checkpoint (a file of yima_link_checkpoint; NULL: none) the chain
 * must also hold its signed head, the signature verifying under a key of
 * ring with the file's key id. Returns YIMA_OK with the verdict in *report,
 * or YIMA_E_IO / YIMA_E_DATA (the checkpoint unreadable or malformed),
 * YIMA_E_STORE.
 */
YIMA_API int yima_link_audit(yima_link *store, const char *checkpoint, const yima_keyring *ring,
                             yima_link_audit_report *report, yima_err *err);

/*
 * Audits the chain and signs its head (seq, chain hash, store id) with
 * key's Ed25519 secret into a checkpoint file at output ("-": stdout;
 * written atomically; an existing file is replaced only with force).
 * report gets the audit. A broken chain is not signed: YIMA_E_DATA naming
 * the break. YIMA_E_KEY_NEED if key cannot sign; YIMA_E_IO, YIMA_E_EXISTS,
 * YIMA_E_STORE.
 */
YIMA_API int yima_link_checkpoint(yima_link *store, const yima_key *key, const char *output,
                                  int force, yima_link_audit_report *report, yima_err *err);

/* What yima_link_migrate copied. */
typedef struct yima_link_migrate_summary {
    uint64_t tables;        /* tables copied */
    uint64_t rows;          /* rows copied, all tables together */
    uint64_t events, codes; /* of them, events and codes */
    int64_t head_seq;       /* the chain's head, the source's and the copy's (0: empty) */
    unsigned char head[32]; /* its chain hash */
} yima_link_migrate_summary;

/*
 * Copies the store source into dest (yima-link(1), MIGRATE), SQLite or
 * PostgreSQL either way: every table verbatim, ids, seqs and the audit
 * trail's hashes kept, the store id and template too, so the copy is the
 * same store (its EPCIS event ids and signed checkpoints stay valid); a
 * bulk import's staged codes join the code index. source (opened for
 * reading, at the current schema) is read in one snapshot; dest (opened
 * for writing) gets it in one transaction, committed only once its chain
 * audits intact up to the source's recorded head: on any failure, or a
 * killed process, dest keeps nothing of it. Errors: YIMA_E_USAGE (dest
 * holds events, codes, plan, tokens, rejects or captures already; the two
 * are one store), YIMA_E_DATA (the copy's audit fails: the source's chain
 * is broken, the first break named by seq), YIMA_E_STORE, YIMA_E_NOMEM.
 * sum is filled on success.
 */
YIMA_API int yima_link_migrate(yima_link *dest, yima_link *source,
                               yima_link_migrate_summary *sum, yima_err *err);

/* default_tz of yima_link_parse_time: a time without an offset is refused. */
#define YIMA_LINK_TZ_NONE (-100000)

/*
 * Parses an RFC 3339 time, "2024-05-01T08:00:00+08:00" ("Z" for UTC, a
 * fraction allowed), into milliseconds since 1970 UTC and its offset in
 * minutes east of UTC (tz may be NULL). A date alone ("2024-05-01", its
 * midnight) or a time without an offset takes default_tz (minutes), or is
 * refused when that is YIMA_LINK_TZ_NONE. The date must exist: 2026-02-30
 * is refused. Returns YIMA_OK, or YIMA_E_DATA with err (may be NULL) saying
 * what is wrong after the text quoted ("'2026-03-01' has no UTC offset
 * (Z or +08:00)"), so a caller leads it with what the text was for.
 */
YIMA_API int yima_link_parse_time(const char *text, size_t len, int default_tz, int64_t *ms,
                                  int *tz, yima_err *err);

/* Parses a UTC offset, "Z" or "+08:00" / "-05:30" (hours 0 to 14), into
 * minutes east of UTC. YIMA_OK, or YIMA_E_DATA (time zone names such as
 * "Asia/Shanghai" are not offsets: their offset changes with the date). */
YIMA_API int yima_link_parse_tz(const char *text, int *minutes);

#ifdef __cplusplus
}
#endif
#endif
