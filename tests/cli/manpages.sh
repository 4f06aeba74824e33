#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The man pages and --help never drift apart (as git checks): each page's
# SYNOPSIS is the command's usage line, every long option of --help is in the
# page, every page has an EXIT STATUS section and renders without warnings.
source "$(dirname "$0")/testlib.bash"
MAN=$TESTS/../man
render() { MANWIDTH=250 man -E ascii -l "$1" 2>/dev/null | col -b; }
for cmd in keygen gen verify render link serve; do
  page=$MAN/yima-$cmd.1
  check "$cmd has a man page" test -f "$page" || continue
  usage=$($Y "$cmd" --help | sed -n '1s/^Usage: //p')
  render "$page" > "$cmd.txt"
  synopsis=$(sed -n '/^SYNOPSIS/,/^[A-Z]/p' "$cmd.txt" | sed '1d;$d' | sed 's/^ *//' | grep -m1 "^yima $cmd")
  if [ "$usage" = "$synopsis" ]; then ok; else bad "$cmd SYNOPSIS '$synopsis' is not usage '$usage'"; fi
  for opt in $($Y "$cmd" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
    if grep -q -- "$opt" "$cmd.txt"; then ok; else bad "$cmd: $opt missing from $page"; fi
  done
done
for page in "$MAN"/*.[15]; do
  render "$page" > page.txt
  if grep -q '^EXIT STATUS' page.txt; then ok; else bad "$(basename "$page") has no EXIT STATUS"; fi
  warnings=$(groff -man -ww -z "$page" 2>&1)
  if [ -z "$warnings" ]; then ok; else bad "$(basename "$page"): $warnings"; fi
done
finish manpages
