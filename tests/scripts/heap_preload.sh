#!/bin/sh
# Real programs nobody on the project wrote, run with glibc's malloc and
# again with the kernel heap as their malloc (LD_PRELOAD=libkmalloc.so):
# their output must be identical and the heap must report nothing.
# Usage: sh tests/scripts/heap_preload.sh BUILD   (prints TAP)
set -u

build=${1:-build}
lib=$(cd "$build/host" 2>/dev/null && pwd)/libkmalloc.so
dbg=$(cd "$build/host" 2>/dev/null && pwd)/libkmalloc-debug.so
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
failed=0

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	[ -n "${2:-}" ] && sed 's/^/# /' "$2" | head -20
}

skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

# compare NAME PRELOAD-LIB SETUP-FUNCTION COMMAND...: run COMMAND in two fresh
# directories prepared by SETUP-FUNCTION, once per allocator, and diff.
compare() {
	name=$1 preload=$2 prep=$3
	shift 3
	for who in glibc ours; do
		d=$work/$name-$who
		mkdir -p "$d"
		(cd "$d" && $prep)
		if [ $who = ours ]; then
			(cd "$d" && LD_PRELOAD=$preload "$@") > "$d.out" 2> "$d.err"
		else
			(cd "$d" && "$@") > "$d.out" 2> "$d.err"
		fi
		echo "exit $?" >> "$d.out"
	done
	if ! cmp -s "$work/$name-glibc.out" "$work/$name-ours.out"; then
		diff "$work/$name-glibc.out" "$work/$name-ours.out" > "$work/$name.diff"
		not_ok "$name: output differs from glibc's" "$work/$name.diff"
	elif grep -q 'kmalloc' "$work/$name-ours.err"; then
		not_ok "$name: the heap reported problems" "$work/$name-ours.err"
	elif [ "$(wc -l < "$work/$name-glibc.out")" -lt 2 ]; then
		not_ok "$name: no output" "$work/$name-glibc.err"
	else
		ok "$name: identical output with libkmalloc ($(wc -l < "$work/$name-ours.out") lines)"
	fi
}

nothing() { :; }

py_script() {
	cat > work.py <<'PY'
import collections, json, random
random.seed(7)
d = {}
for i in range(150000):
    d["k%d" % i] = [i] * (i % 9) + [str(i)] * (i % 3)
for i in range(0, 150000, 3):
    del d["k%d" % i]
lists = [[random.random() for _ in range(random.randrange(200))] for _ in range(3000)]
lists.sort(key=len)
words = collections.Counter(random.choice("abcdefghij") * random.randrange(1, 30)
                            for _ in range(100000))
s = "".join(str(x) for x in range(100000))
print(len(d), sum(len(v) for v in d.values()))
print(sum(len(l) for l in lists), round(sum(map(sum, lists)), 6))
print(sorted(words.items())[:5], len(s))
print(json.dumps({k: d[k][:3] for k in list(d)[:20]}, sort_keys=True))
PY
}

c_file() {
	cat > prog.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct node { struct node *l, *r; int key; };
static struct node *insert(struct node *t, int k)
{
	if (!t) { t = calloc(1, sizeof(*t)); t->key = k; return t; }
	if (k < t->key) t->l = insert(t->l, k); else t->r = insert(t->r, k);
	return t;
}
static int depth(const struct node *t)
{
	if (!t) return 0;
	int a = depth(t->l), b = depth(t->r);
	return 1 + (a > b ? a : b);
}
int main(void)
{
	struct node *t = NULL;
	unsigned x = 1;
	for (int i = 0; i < 100000; i++) { x = x * 1103515245 + 12345; t = insert(t, (int)(x >> 8)); }
	printf("depth %d\n", depth(t));
	return 0;
}
C
}

# memalign as glibc takes it: any alignment (0, 24, 48...), rounded up to a
# power of two; what is printed is what glibc guarantees, not its layout.
align_file() {
	cat > align.c <<'C'
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void)
{
	static const size_t al[] = { 0, 1, 3, 8, 12, 16, 24, 48, 100, 4096, 5000, 65536, 1 << 20 };
	static const size_t sz[] = { 1, 24, 100, 5000, 70000, 300000 };
	for (unsigned i = 0; i < sizeof(al) / sizeof(al[0]); i++)
		for (unsigned j = 0; j < sizeof(sz) / sizeof(sz[0]); j++) {
			size_t p2 = 1;
			while (p2 < al[i])
				p2 <<= 1;
			errno = 0;
			char *p = memalign(al[i], sz[j]);
			printf("memalign(%zu, %zu): %s", al[i], sz[j], p ? "block" : "NULL");
			if (p) {
				memset(p, 0x5a, sz[j]);
				printf(", aligned to %zu: %s, usable >= size: %s", p2,
				       (uintptr_t)p % p2 ? "no" : "yes",
				       malloc_usable_size(p) >= sz[j] ? "yes" : "no");
				free(p);
			}
			printf("\n");
		}
	errno = 0;
	void *p = memalign(SIZE_MAX / 2 + 2, 16);
	printf("memalign(2^63 + 1, 16): %s errno %d\n", p ? "block" : "NULL", errno);
	int r = posix_memalign(&p, 24, 16);
	printf("posix_memalign(24): %d\n", r);
	r = posix_memalign(&p, 0, 16);
	printf("posix_memalign(0): %d\n", r);
	return 0;
}
C
	gcc -O1 -o align align.c
}

gcc_run() {
	gcc -O2 -Wall -S -o prog.s prog.c && gcc -O2 -o prog prog.c && ./prog && \
		grep -c . prog.s && cat prog.s
}

git_repo() {
	export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@e GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@e
	export GIT_AUTHOR_DATE='2024-01-01T00:00:00Z' GIT_COMMITTER_DATE='2024-01-01T00:00:00Z'
	git init -q -b main repo
	cd repo || return
	for i in 1 2 3 4 5 6; do
		seq 1 $((i * 500)) > "file$i.txt"
		sed -n "1,${i}00p" /usr/include/stdio.h > "hdr$i.h"
		git add . && git commit -q -m "commit $i"
	done
}

git_run() {
	export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@e GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@e
	export GIT_AUTHOR_DATE='2024-01-01T00:00:00Z' GIT_COMMITTER_DATE='2024-01-01T00:00:00Z'
	cd repo && git log --stat --format='%H %s' && git diff HEAD~5 --stat && \
		git gc -q && git fsck --no-progress 2>&1 && git count-objects -v | grep -v size && \
		git blame -s hdr6.h | tail -20
}

sql_run() {
	{
		echo "create table t(id integer primary key, name text, v real);"
		echo "create index t_name on t(name);"
		echo "begin;"
		i=0
		while [ $i -lt 3000 ]; do
			echo "insert into t(name, v) values ('name$((i * 7919 % 3001))', $i.5);"
			i=$((i + 1))
		done
		echo "commit;"
		echo "select count(*), sum(v), min(name), max(name) from t;"
		echo "select name, count(*) from t group by substr(name, 1, 6) order by 1 limit 20;"
		echo "update t set v = v * 2 where id % 3 = 0;"
		echo "delete from t where id % 5 = 0;"
		echo "select count(*), round(avg(v), 3) from t;"
		echo "select a.id, b.id from t a join t b on a.name = b.name and a.id < b.id order by 1 limit 10;"
	} > ins.sql
	sqlite3 test.db < ins.sql
}

if [ ! -f "$lib" ]; then
	echo "1..1"
	not_ok "libkmalloc.so built (missing: make $build/host/libkmalloc.so)"
	exit 1
fi
echo "1..7"
if [ "$(LD_PRELOAD=$lib cat /proc/self/maps | grep -c libkmalloc)" -gt 0 ]; then
	ok "libkmalloc.so loads under LD_PRELOAD"
else
	not_ok "libkmalloc.so loads under LD_PRELOAD"
fi
compare python3 "$lib" py_script python3 work.py
compare gcc "$lib" c_file gcc_run
compare memalign "$lib" align_file ./align
if command -v git > /dev/null; then
	compare git "$lib" git_repo git_run
else
	skip "git" "git not installed"
fi
if command -v sqlite3 > /dev/null; then
	compare sqlite3 "$lib" nothing sql_run
else
	skip "sqlite3" "sqlite3 not installed"
fi
if [ -f "$dbg" ]; then
	compare python3-debug-heap "$dbg" py_script python3 work.py
else
	skip "python3 with the debug heap" "libkmalloc-debug.so not built"
fi
[ $failed = 0 ]
