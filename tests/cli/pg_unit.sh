#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs tests/test_link_db_pg.c (the PostgreSQL backend through lk_pg) against
# a throwaway cluster of pglib.bash, started here and stopped at exit, so
# ctest needs no server of its own. The test program is YIMA_PG_UNIT (ctest
# sets it); a cluster that cannot start, or a missing program, fails.
source "$(dirname "$0")/testlib.bash"
source "$(dirname "$0")/pglib.bash"

PROG=${YIMA_PG_UNIT:-}
if [[ -z $PROG || ! -x $PROG ]]; then
  bad "YIMA_PG_UNIT must name the test_link_db_pg program (got '$PROG')"
  finish pg_unit
  exit
fi
pg_start
pg_db UNIT_URL backend_unit || { finish pg_unit; exit; }
# The unit test's own output shows which case failed, if any.
check "test_link_db_pg" env YIMA_PG_URL="$UNIT_URL" "$PROG"
finish pg_unit
