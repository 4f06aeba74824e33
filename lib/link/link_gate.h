/* SPDX-License-Identifier: MIT */
/* The writers' gate of an SQLite store (link_gate.c), used by its backend
 * (link_db_sqlite.c): yima writers take turns at the store in the order
 * they asked, and a writer holding its turn can see that another waits. */
#ifndef YIMA_LINK_GATE_H
#define YIMA_LINK_GATE_H

#include "yima/errors.h"

typedef struct lk_gate {
    int fd;   /* the lock file, or -1: no gate (a reader, or :memory:) */
    int held; /* this handle has the writers' turn */
} lk_gate;

/* Opens the lock file beside path ("PATH-lock"); messages lead with it. */
int lk_gate_open(lk_gate *g, const char *path, yima_err *err);
void lk_gate_close(lk_gate *g);
/* Waits for the turn (a no-op without a gate or when held). */
int lk_gate_enter(lk_gate *g, const char *path, yima_err *err);
void lk_gate_leave(lk_gate *g);
/* 1 if another writer waits for its turn. */
int lk_gate_waiting(const lk_gate *g);
/* Marks this handle a bulk import's until it closes (or its process dies). */
void lk_gate_mark_bulk(lk_gate *g);
/* 1 if another handle is a bulk import's. */
int lk_gate_bulk_elsewhere(const lk_gate *g);

#endif
