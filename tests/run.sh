#!/bin/sh
# run.sh BUILD_DIR TEST... - run every test binary, then the fuzz corpus
# replay; print one closing line "N passed, N failed" (test binaries).
dir=$1; shift
pass=0; fail=0; failed=""
export LD_NODE_BIN="$dir/city-node"
export LD_TOPOLOGY_BIN="$dir/topology"
export LD_COUNTY_BIN="$dir/county-node"
export LD_LINKCTL_BIN="$dir/linkctl"
export LD_REPLAY_BIN="$dir/liandong-replay"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
for t in "$@"; do
	echo "=== $t"
	if "$dir/$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed="$failed $t"; fi
done
for f in ${FUZZERS:-codec}; do
	echo "=== fuzz_replay_$f (corpus tests/corpus/$f + random mutations)"
	if "$dir/fuzz_replay_$f" "tests/corpus/$f"; then pass=$((pass + 1)); else
		fail=$((fail + 1)); failed="$failed fuzz_replay_$f"; fi
done
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
