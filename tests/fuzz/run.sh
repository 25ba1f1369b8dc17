#!/bin/sh
# Runs libFuzzer targets, each over a scratch copy of its committed corpus (so
# a run never writes into the tree), JOBS at a time, and reports one line per
# target:  fuzz_config: 1234567 runs in 60 s, 0 findings
#
#   run.sh [-s SECONDS] [-j JOBS] FUZZ_SRCDIR FUZZ_BUILDDIR TARGET...
#
# A finding (crash, failed property, leak, timeout, out of memory) makes the
# exit status 1; its input is kept in FUZZ_BUILDDIR/artifacts/TARGET/ and the
# end of the fuzzer's log is printed. Extra libFuzzer flags: FUZZ_FLAGS.
set -u

seconds=60
jobs=2
while getopts s:j: opt; do
	case $opt in
	s) seconds=$OPTARG ;;
	j) jobs=$OPTARG ;;
	*) echo "usage: $0 [-s SECONDS] [-j JOBS] FUZZ_SRCDIR FUZZ_BUILDDIR TARGET..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 3 ] || { echo "usage: $0 [-s SECONDS] [-j JOBS] FUZZ_SRCDIR FUZZ_BUILDDIR TARGET..." >&2; exit 2; }
src=$(cd "$1" && pwd)
bin=$(cd "$2" && pwd)
shift 2

scratch=$(mktemp -d "${TMPDIR:-/tmp}/cognito-fuzz.XXXXXX") || exit 2
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

run_one() {
	t=$1
	dir=$scratch/$t
	mkdir -p "$dir/corpus" "$dir/artifacts"
	if [ -d "$src/corpus/$t" ]; then
		cp "$src/corpus/$t/"* "$dir/corpus/" 2>/dev/null
	fi
	dict=
	if [ -f "$src/dict/$t.dict" ]; then
		dict=-dict=$src/dict/$t.dict
	fi
	start=$(date +%s)
	# shellcheck disable=SC2086 # FUZZ_FLAGS and dict are lists of flags
	"$bin/$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$dir/artifacts/" $dict ${FUZZ_FLAGS:-} \
		"$dir/corpus" >"$dir/log" 2>&1
	rc=$?
	end=$(date +%s)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
	findings=$(find "$dir/artifacts" -type f | wc -l)
	# A fuzzer that dies without leaving an input behind still failed.
	if [ "$rc" -ne 0 ] && [ "$findings" -eq 0 ]; then
		findings=1
	fi
	echo "$t: ${runs:-0} runs in $((end - start)) s, $findings findings" >"$dir/summary"
}

running=0
for t in "$@"; do
	[ -x "$bin/$t" ] || { echo "$t: not built (make fuzz)" >&2; exit 2; }
	run_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait

status=0
for t in "$@"; do
	line=$(cat "$scratch/$t/summary" 2>/dev/null || echo "$t: did not report, 1 findings")
	echo "$line"
	case $line in
	*", 0 findings") ;;
	*)
		status=1
		keep=$bin/artifacts/$t
		mkdir -p "$keep"
		cp "$scratch/$t/artifacts/"* "$keep/" 2>/dev/null
		cp "$scratch/$t/log" "$keep/log"
		echo "--- $t: end of its log (whole log and inputs in $keep) ---"
		tail -n 40 "$scratch/$t/log"
		;;
	esac
done
exit $status
