#!/bin/bash
# t-layout.sh - the modules of the build call each other without cycles
# (issue 16).  Read from the objects, not from src/: a module A calls B when
# a symbol A's object leaves undefined is defined in B's object.
. tests/lib.sh

# The library as linked (src/main.c is only the front end): objects of
# files removed since are not in it, whatever build/src still holds.
LIB=${LIB:-$TOP/build/librounds.a}
if [ ! -f "$LIB" ]; then
	not_ok "library to check" "no $LIB: run make first"
	exit 1
fi
nm "$LIB" | sed 's/^\(.*\)\.o:$/== \1/' >"$T_TMP/nm"

# Strongly connected components (Tarjan); each one with more than one
# module is a cycle, printed as one path through it.
python3 - "$T_TMP/nm" >"$T_TMP/cycles" <<'PY'
import sys
defs, uses, mod = {}, {}, None
for line in open(sys.argv[1]):
    if line.startswith("== "):
        mod = line[3:].strip(); uses[mod] = set(); continue
    f = line.split()
    if len(f) == 2 and f[0] == "U":
        uses[mod].add(f[1])
    elif len(f) == 3 and f[1] in "TDBR":
        defs[f[2]] = mod
graph = {m: sorted({defs[s] for s in u if s in defs and defs[s] != m}) for m, u in uses.items()}
index, low, stack, on, sccs = {}, {}, [], set(), []
def visit(v):
    index[v] = low[v] = len(index); stack.append(v); on.add(v)
    for w in graph[v]:
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        c = []
        while True:
            w = stack.pop(); on.discard(w); c.append(w)
            if w == v: break
        if len(c) > 1: sccs.append(set(c))
sys.setrecursionlimit(10000)
for v in sorted(graph):
    if v not in index: visit(v)
def path(scc):
    # A shortest way back to the start, inside the component.
    start = min(scc); prev = {start: None}; queue = [start]
    while queue:
        v = queue.pop(0)
        for w in graph[v]:
            if w == start:
                p = [v]
                while prev[p[-1]] is not None: p.append(prev[p[-1]])
                return list(reversed(p)) + [start]
            if w in scc and w not in prev:
                prev[w] = v; queue.append(w)
for c in sccs:
    print("cycle: " + " -> ".join(path(c)) + "   (component: " + " ".join(sorted(c)) + ")")
PY
if [ -s "$T_TMP/cycles" ]; then
	mapfile -t lines <"$T_TMP/cycles"
	not_ok "no cycles between modules" "${lines[@]}"
else
	ok "no cycles between modules"
fi
[ "$T_FAILED" -eq 0 ]
