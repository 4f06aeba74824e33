/* SPDX-License-Identifier: MIT */
/* The SQLite backend's own handles, for code that is SQLite's only: tests
 * that ask SQLite itself (query plans, integrity_check). */
#ifndef YIMA_LINK_DB_SQLITE_H
#define YIMA_LINK_DB_SQLITE_H

#include <sqlite3.h>
#include "link_db.h"

/* The connection of an SQLite store; NULL for any other backend. */
sqlite3 *lk_sqlite_handle(lk_db *db);
/* The writers' gate's lock file, or -1 (no gate, or not SQLite). */
int lk_sqlite_gate_fd(lk_db *db);

#endif
