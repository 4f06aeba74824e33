/* SPDX-License-Identifier: MIT */
/* The PostgreSQL backend's extras (link_db.h has the backend itself,
 * lk_pg): which targets it takes, how they are named in messages, and a
 * look inside a statement for tests. */
#ifndef YIMA_LINK_DB_PG_H
#define YIMA_LINK_DB_PG_H

#include "link_db.h"

/* 1 if target is for PostgreSQL rather than an SQLite file: a libpq URI
 * (postgresql://, postgres://) or a key=value connection string. */
int lk_pg_target(const char *target);
/* target fit to print: any password in it replaced by "***" (malloc'd;
 * NULL when out of memory). Messages of lk_pg lead with it. */
char *lk_pg_safe_name(const char *target);
/* How many rows statement st holds in memory now (a stream holds one
 * chunk at most); -1 if st is not a PostgreSQL statement. */
int lk_pg_rows_held(lk_st *st);

#endif
