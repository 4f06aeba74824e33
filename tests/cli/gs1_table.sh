#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The committed AI table (lib/gs1/gs1_ai_table.h) is exactly what
# tests/gs1/make-ai-table.py makes of GS1's Barcode Syntax Dictionary in
# $YIMA_SHARED/reference/gs1/: a hand edit or a new dictionary without a
# regenerated table fails here. A missing dictionary fails too (it is the
# table's source, not an optional extra).
source "$(dirname "$0")/testlib.bash"
dict=${YIMA_SHARED:?YIMA_SHARED must point at the shared directory}/reference/gs1/gs1-syntax-dictionary.txt
table=$TESTS/../lib/gs1/gs1_ai_table.h
if [ ! -f "$dict" ]; then
  bad "GS1 dictionary missing: $dict"
  finish gs1_table
  exit 1
fi
expect_status "make-ai-table.py runs" 0 python3 "$TESTS/gs1/make-ai-table.py" "$dict"
cp "$T/out" fresh.h
if diff -u "$table" fresh.h > table.diff; then ok; else
  bad "lib/gs1/gs1_ai_table.h differs from the dictionary's table; regenerate with: python3 tests/gs1/make-ai-table.py > lib/gs1/gs1_ai_table.h"
  head -20 table.diff >&2
fi
# The table is not trivially empty on both sides: the AIs yima uses are in it.
for ai in '"00", 1' '"01", 1' '"10", 0' '"17", 1' '"21", 0' '"8030", 0' '"92", 0'; do
  contains "AI row {$ai" fresh.h "{$ai"
done
contains "source commit named" fresh.h "commit ff2eb4bfc8f647aa3244626bdb875165d067a3e6"
contains "licence named" fresh.h "Apache License 2.0"
finish gs1_table
