#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cmake --install puts the binary, library, headers, man pages and yima.pc in
# place, and a program builds against the installed library via pkg-config.
source "$(dirname "$0")/testlib.bash"
build=$(dirname "$Y")
check "install" cmake --install "$build" --prefix "$T/prefix" >/dev/null
P=$T/prefix
check "binary installed" test -x "$P/bin/yima"
check "headers installed" test -f "$P/include/yima/yima.h"
check "static library" test -f "$(ls "$P"/lib*/libyima.a)"
check "shared library" test -n "$(ls "$P"/lib*/libyima.so* 2>/dev/null)"
for page in yima.1 yima-keygen.1 yima-gen.1 yima-verify.1; do
  check "man page $page" test -f "$P/share/man/man1/$page"
done
check "man page yima-codes.5" test -f "$P/share/man/man5/yima-codes.5"
# Every installed header compiles on its own (it includes what it uses),
# and none of the library's private plumbing is installed.
for h in "$P"/include/yima/*.h; do
  check "header $(basename "$h") stands alone" sh -c \
    "echo '#include <yima/$(basename "$h")>' | cc -std=c11 -Wall -Wextra -Werror -pedantic -fsyntax-only -I'$P/include' -x c -"
done
for h in io.h pipeline.h rows.h; do
  check "private header $h not installed" test ! -e "$P/include/yima/$h"
done
pc=$(dirname "$(ls "$P"/lib*/pkgconfig/yima.pc)")
cat > use.c <<'C'
#include <stdio.h>
#include <yima/yima.h>
int main(void)
{
    yima_key *key = NULL;
    yima_err err = {0};
    if (yima_key_generate(&key, 7, &err)) return 1;
    yima_codec *codec = yima_codec_create(key);
    char code[YIMA_CODE_MAX];
    if (!yima_codec_encode(codec, YIMA_LEVEL_ITEM, 1, 2, code, &err)) return 1;
    printf("%s %s\n", yima_version_string(), code);
    yima_codec_free(codec);
    yima_key_free(key);
    return 0;
}
C
lib=$(dirname "$pc")
CFLAGS=${YIMA_TEST_CFLAGS:-} # a sanitized library needs a sanitized program
check "builds against the shared library" cc $CFLAGS use.c -o use $(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs yima)
check "program runs" env LD_LIBRARY_PATH="$lib" ./use
check "version agrees" test "$(LD_LIBRARY_PATH="$lib" ./use | cut -d' ' -f1)" = "$($Y --version | cut -d' ' -f2)"
check "builds against the static library" cc $CFLAGS use.c -o use-static "$lib/libyima.a" \
  $(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs --static yima | sed 's/-lyima//')
check "static program runs" ./use-static
finish install
