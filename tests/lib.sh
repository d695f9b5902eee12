# Shared helpers for shell-driven tests. Each test gets its own state root and
# removes it on exit, also on failure.
set -u
: "${DOME:?DOME must point at the dome binary (make check sets it)}"
TEST_ROOT=$(mktemp -d /tmp/dome-test-XXXXXX)
cleanup_root() { rm -rf "$TEST_ROOT"; }
trap cleanup_root EXIT
failures=0
passes=0
ok() { passes=$((passes + 1)); echo "ok - $*"; }
not_ok() { failures=$((failures + 1)); echo "not ok - $*"; }
# expect_status WANT DESCRIPTION -- CMD...
expect_status() {
	want=$1; desc=$2; shift 3
	"$@" >"$TEST_ROOT/out" 2>"$TEST_ROOT/err"; got=$?
	if [ "$got" = "$want" ]; then ok "$desc"; else
		not_ok "$desc (exit $got, wanted $want)"; sed 's/^/#   /' "$TEST_ROOT/err"; fi
}
expect_grep() {
	file=$1; pattern=$2; desc=$3
	if grep -q -- "$pattern" "$file"; then ok "$desc"; else
		not_ok "$desc (no '$pattern' in $(basename "$file"))"; sed 's/^/#   /' "$file"; fi
}
finish() {
	echo "# $passes passed, $failures failed"
	[ "$failures" -eq 0 ]
}
