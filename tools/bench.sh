#!/bin/sh
# bench.sh REL_DIR - `make bench`: in one run on this machine, the year
# replay (wall time, rates, each node's peak memory and database size),
# the ticket workload against our node and against PostgreSQL at 1, 8 and
# 64 clients, and the raw limits (LMDB batched puts, fdatasync); then one
# table.  Every JSON line of the parts is kept in build/bench.jsonl.
# See docs/performance.md ("make bench").
set -u
rel=$1
out=build/bench.jsonl
: > "$out"
fail=0
run() {	# name, command...: its JSON lines into $out
	name=$1; shift
	echo "bench: $name ..." >&2
	"$@" --json >> "$out"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "bench: $name failed (exit status $rc)" >&2
		fail=1
	fi
}
run "the store and the raw limits (bench-store)" "$rel/bench-store"
run "our node, the ticket lifecycle (bench-node)" "$rel/bench-node" --workload lifecycle
run "PostgreSQL, the same lifecycle (bench-pg)" "$rel/bench-pg"
run "the year replay (liandong-replay)" "$rel/liandong-replay" --quiet

# v BENCH FIGURE: the value of that JSON line ("" if none)
v() {
	grep "\"bench\":\"$1\",\"figure\":\"$2\"," "$out" | head -1 |
	    sed 's/.*"value":\("[^"]*"\|[^,}]*\).*/\1/; s/"//g'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "—"; else printf "%.2f", a / b }'; }
num() { awk -v a="$1" 'BEGIN { if (a == "") print "—"; else if (a >= 100) printf "%.0f", a; else printf "%.2f", a }'; }
row() { printf '  %-46s %14s %14s %8s\n' "$1" "$(num "$2")" "$(num "$3")" "$4"; }

echo
echo "machine: $(v replay machine)"
echo
printf '  %-46s %14s %14s %8s\n' "figure" "ours" "beside" "ratio"
w=$(v replay wall_s)
row "year replay: wall time, s (target < 60)" "$w" 60 "$(ratio "$w" 60)"
row "year replay: requests/s (4 nodes)" "$(v replay requests_per_s)" "" ""
row "year replay: the city's events/s" "$(v replay city_events_per_s)" "" ""
for c in 1 8 64; do
	o=$(v node "lifecycle_req_per_s_clients_$c")
	p=$(v pg "requests_per_s_clients_$c")
	row "lifecycle req/s, $c clients (beside: PostgreSQL)" "$o" "$p" "$(ratio "$o" "$p")"
done
o=$(v store events_per_s_batch_1000)
r=$(v store raw_lmdb_events_per_s_batch_1000)
row "store events/s, batch 1000 (beside: raw LMDB)" "$o" "$r" "$(ratio "$o" "$r")"
l=$(v store layout_events_per_s_batch_1000)
row "  its LMDB calls alone, unflushed (beside: raw)" "$l" "$r" "$(ratio "$l" "$r")"
o=$(v store events_per_s_batch_1)
r=$(v store raw_lmdb_events_per_s_batch_1)
row "store events/s, batch 1 (beside: raw LMDB)" "$o" "$r" "$(ratio "$o" "$r")"
row "fdatasync/s (4 KiB)" "$(v store fdatasync_per_s)" "" ""
for n in LY XA YS MJ; do
	a=$(v replay "peak_anon_$n")
	row "$n peak anonymous MiB (target < 100)" "$a" 100 "$(ratio "$a" 100)"
	row "$n peak file-backed MiB (LMDB's map)" "$(v replay "peak_file_$n")" "" ""
	row "$n database MiB per million tickets" "$(v replay "db_per_million_tickets_$n")" "" ""
done
echo
echo "year replay: counts equal to the article: $(v replay counts_equal); counties agree: $(v replay agreed); requests given up: $(awk -v a="$(v replay failed)" 'BEGIN { printf "%d", a }')"
echo "all JSON lines: $out"
exit $fail
