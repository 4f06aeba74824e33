#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The issue ledger and gen's output files: ranges refused the second time,
# torn ledgers refused and repaired as yima-gen(1) says, escaped output names,
# no symbolic links, no manifest beside devices, no --inner above items,
# exact file modes whatever the umask, and nothing written over the key or
# ledger in use.
source "$(dirname "$0")/testlib.bash"

umask 022
$Y keygen -o brand >/dev/null 2>&1
gen() { $Y gen -k brand.key -a mac -q "$@"; }
lines() { wc -l < "$1" | tr -d ' '; }

# --- a range is refused the second time, also after a torn last line
expect_status "first run" 0 gen -b 1 -n 100 -o a.txt
check "new ledgers are format 2" test "$(head -1 brand.ledger)" = "yima-ledger 2"
check "ledger is 0600" test "$(stat -c %a brand.ledger)" = 600
expect_status "same range refused" 3 gen -b 1 --range 50:100 -o b.txt
contains "refusal names the first issue" "$T/err" "brand.ledger:2, to a.txt"
check "refused run wrote nothing" test ! -e b.txt
# A hand edit or a full disk leaves the last line without its newline.
# 0.1 glued the next reservation onto it, where nobody saw it again.
printf %s "$(cat brand.ledger)" > torn && cat torn > brand.ledger
expect_status "torn ledger refused" 3 gen -b 2 -n 100 -o c.txt
contains "torn message names file and line" "$T/err" "brand.ledger:3: torn ledger"
contains "torn message says what to do" "$T/err" "add the newline"
contains "torn message points at the repair" "$T/err" "see 'Repairing the ledger' in yima-gen(1)"
check "torn ledger left alone" cmp -s torn brand.ledger
expect_status "torn ledger: the range is not issued twice" 3 gen -b 2 -n 100 -o c2.txt
expect_status "torn ledger refused with --force" 3 gen -b 2 -n 100 -o c.txt --force
echo >> brand.ledger # the repair for a whole record
expect_status "repaired ledger accepted" 0 gen -b 2 -n 100 -o c.txt
expect_status "range after repair refused" 3 gen -b 2 -n 100 -o d.txt
contains "range after repair message" "$T/err" "already issued"
# A record cut short mid-write: delete it.
head -c -7 brand.ledger > cut && cat cut > brand.ledger
expect_status "cut record refused" 3 gen -b 3 -n 10 -o e.txt
contains "cut record message" "$T/err" "cut short (a crash or a full disk): delete that line"
sed -i '$d' brand.ledger
expect_status "cut record deleted" 0 gen -b 3 -n 10 -o e.txt

# --- a 0.1 ledger (format 1) is read and extended in its own format
printf 'yima-ledger 1\nR 0123456789abcdef 4 0 0 100 1700000000 old run.txt\nD 0123456789abcdef\n' > old.ledger
expect_status "format 1 range refused" 3 gen --ledger old.ledger -b 4 --range 99:1 -o f.txt
contains "format 1 refusal" "$T/err" "old.ledger:2, to old run.txt"
expect_status "format 1 extended" 0 gen --ledger old.ledger -b 4 --range 100:1 -o f.txt
check "format 1 kept" test "$(head -1 old.ledger)" = "yima-ledger 1"
check "format 1 records have no checksum" test "$(grep -c '\*' old.ledger)" -eq 0
printf 'yima-ledger 1\nR 0123456789abcdef 4 0 0 100 1700000000 old.tR 1123456789abcdef 4 0 100 100 1700000001 x\n' > glued.ledger
expect_status "0.1's glued records refused" 3 gen --ledger glued.ledger -b 4 --range 150:1 -o g.txt
contains "glued message" "$T/err" "glued.ledger:2: unparsable ledger line (two records run together"

# --- an output name cannot add lines to the ledger
name=$'n\nR 0123456789abcdef 9 0 0 100 1700000000 forged'
expect_status "newline in the output name" 0 gen --ledger n.ledger -b 8 -n 10 -o "$name"
check "one record per run" test "$(lines n.ledger)" -eq 3
contains "name escaped" n.ledger 'n\x0aR 0123456789abcdef 9'
expect_status "no forged reservation" 0 gen --ledger n.ledger -b 9 -n 10 -o h.txt

# --- never through a symbolic link
gen --ledger real.ledger -b 1 -n 10 -o i.txt
cp real.ledger real.before
ln -s real.ledger link.ledger
expect_status "symlinked ledger refused" 3 gen --ledger link.ledger -b 1 --range 10:10 -o j.txt
contains "symlink message" "$T/err" "link.ledger: the ledger is a symbolic link"
check "link target untouched" cmp -s real.ledger real.before
ln -s nowhere.ledger dangling.ledger
expect_status "dangling symlink refused" 3 gen --ledger dangling.ledger -b 1 -n 10 -o k.txt
check "dangling target not created" test ! -e nowhere.ledger

# --- a device or FIFO output gets no manifest unless one is named
mkfifo out.fifo
cat out.fifo > /dev/null & reader=$!
expect_status "gen into a fifo" 0 gen --no-ledger -b 1 -n 100 -o out.fifo
wait $reader
check "no manifest beside the fifo" test ! -e out.fifo.manifest
cat out.fifo > /dev/null & reader=$!
expect_status "gen into a fifo, manifest named" 0 gen --no-ledger -b 1 -n 100 -o out.fifo --manifest fifo.manifest
wait $reader
check "named manifest written" test -s fifo.manifest
expect_status "regular files keep their manifest" 0 gen --no-ledger -b 1 -n 100 -o l.txt
check "default manifest" test -s l.txt.manifest

# --- inner codes are for items only
for level in case pallet; do
  expect_status "--inner at $level level refused" 2 gen --no-ledger -l $level --inner -b 1 -n 10 -o inner-$level.txt
  contains "--inner at $level message" "$T/err" "inner codes belong to items"
  check "--inner at $level wrote nothing" test ! -e inner-$level.txt
done
expect_status "--inner at item level" 0 gen --no-ledger -l item --inner -b 1 -n 10 -o inner-item.txt

# --- exact modes whatever the umask
mkdir modes && cd modes
(umask 000 && $Y keygen -o b >/dev/null 2>&1 && $Y gen -k b.key -a mac -q -n 10 -o o.txt)
same "umask 000: secret key" "$(stat -c %a b.key)" 600
same "umask 000: public key" "$(stat -c %a b.pub)" 644
same "umask 000: codes" "$(stat -c %a o.txt)" 644
same "umask 000: manifest" "$(stat -c %a o.txt.manifest)" 644
same "umask 000: ledger" "$(stat -c %a b.ledger)" 600
(umask 077 && $Y keygen -o c >/dev/null 2>&1 && $Y gen -k c.key -a mac -q -n 10 -o p.txt)
same "umask 077: secret key" "$(stat -c %a c.key)" 600
same "umask 077: public key narrowed" "$(stat -c %a c.pub)" 600
same "umask 077: codes narrowed" "$(stat -c %a p.txt)" 600
cd ..
# Worker threads used to flip the process umask to 0 and back (render
# --dir): racing, they left it at 0 and files at 0666.
$Y gen -k brand.key -a mac -q --no-ledger -b 1 -n 20000 -o many.txt
mkdir dir
expect_status "render --dir in threads" 0 $Y render --dir dir -f pbm -j 8 -q many.txt
same "render --dir: every file 0644" "$(find dir -type f ! -perm 644 | wc -l)" 0
same "render --dir: all files written" "$(ls dir | wc -l)" 20000

# --- nothing is written over the key or the ledger in use
gen -b 20 -n 10 -o z.txt # a fresh ledger line, so the ledger has content to lose
sha256sum brand.key brand.ledger > sums
ln -s brand.key key.link
ln brand.key key.hard
for target in brand.key ./brand.key key.link key.hard; do
  expect_status "-o $target refused" 2 gen -b 21 -n 10 -o $target --force
  contains "-o $target message" "$T/err" "write over the key"
  expect_status "--manifest $target refused" 2 gen -b 21 -n 10 -o m.txt --manifest $target --force
done
expect_status "--ledger KEY refused" 2 gen -b 21 -n 10 -o m.txt --ledger brand.key
expect_status "-o LEDGER refused" 2 gen -b 21 -n 10 -o brand.ledger --force
contains "-o LEDGER message" "$T/err" "would replace the ledger this run records in"
expect_status "--manifest LEDGER refused" 2 gen -b 21 -n 10 -o m.txt --manifest brand.ledger --force
expect_status "-o LEDGER (not yet made) refused" 2 gen --ledger new.ledger -b 21 -n 10 -o ./new.ledger
check "key and ledger intact" sha256sum -c --quiet sums
check "no range spent on refusals" test "$(grep -c ' 21 0 ' brand.ledger)" -eq 0

finish ledger
