#!/bin/sh
# The bad-input corpus: every NAME.c here must fail with exactly the first
# error line in NAME.expect (warnings and notes before it aside; a kernel
# that differs by design has its own, NAME.TAG.expect, below), and leave
# nothing behind: the kernel's program, map and link ids, the probe event
# lists and bpffs are the same after as before. Some inputs are generated
# here (empty text, 10 MB of text, 10,000 functions, a FIFO and a 20 MB
# include). EMBER_UPDATE_GOLDEN=1 rewrites the .expect files in use.
# EMBER_BAD_INPUT_KERNEL_ONLY=1 runs only the inputs the kernel refuses
# (expected "ember: ...": the verifier, table creation, attaching): the
# compiler's errors are the same on every kernel, and each compile takes
# seconds under emulation.
# usage: run.sh EMBER PROG_IDS SRCDIR (absolute paths)
ember=$1 prog_ids=$2 src=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# the caller's cache if it names one (each VM keeps its kernel's precompiled
# headers there: building them again costs minutes under emulation)
export EMBER_CACHE_DIR="${EMBER_CACHE_DIR:-$work/cache}"

state() {
	"$prog_ids"
	cat /sys/kernel/tracing/kprobe_events /sys/kernel/tracing/uprobe_events 2>/dev/null
	ls -R /sys/fs/bpf 2>/dev/null
}

# first line that is not a warning or a note
first_error() {
	"$ember" run --duration 0 "$1" 2>&1 >/dev/null |
		grep -v ': warning: \|: note: \|^ *|\|^ *\^\|^ember: [0-9]* attachment' | head -n 1
}

# generated inputs, with their expectations
cd "$work" || exit 1
: >empty.c
echo "ember: empty.c: nothing to attach (no TRACEPOINT_PROBE, RAW_TRACEPOINT_PROBE or probe-named function)" >empty.expect
echo "ten_thousand_functions.c: error: 10000 functions would be BPF programs, more than the 4096 a module may have" >ten_thousand_functions.expect
awk 'BEGIN { for (i = 0; i < 190000; i++) printf "/* padding line %06d of ten megabytes of text ... */\n", i }' >ten_mb.c
echo "ten_mb.c: error: the program text is $(wc -c <ten_mb.c) bytes, more than the 4 MiB ember compiles" >ten_mb.expect
awk 'BEGIN { for (i = 0; i < 10000; i++) printf "int f%d(void *ctx)\n{\n\treturn %d;\n}\n", i, i }' >ten_thousand_functions.c
mkfifo fifo
printf '#include "%s/fifo"\nint x;\n' "$work" >include_fifo.c
echo "include_fifo.c:1:10: error: '$work/fifo' is a FIFO: only regular files can be included" >include_fifo.expect
truncate -s 20M big.h
printf '#include "%s/big.h"\nint x;\n' "$work" >include_20mb.c
echo "include_20mb.c:1:10: error: '$work/big.h' is 20971520 bytes, more than the 16 MiB an included file may have" >include_20mb.expect

# Where kernels differ by design, NAME.TAG.expect: TAG is the running
# kernel's version (the verifiers of 5.10 and 6.1 give up at the loop's
# condition, not its body; 5.10's memlock charge refuses a 32 GB table with
# E2BIG), then "kprobes" where it has them (a kprobe program fails later,
# with another message).
kernel_tags=$(uname -r | cut -d. -f1,2)
[ -e /sys/bus/event_source/devices/kprobe/type ] && kernel_tags="$kernel_tags kprobes"

before=$(state)
fail=0 total=0 located=0
for dir in "$src" "$work"; do
	cd "$dir" || exit 1
	for prog in *.c; do
		[ "$prog" = prog_ids.c ] && continue
		name=${prog%.c}
		expect=$name.expect
		for tag in $kernel_tags; do
			[ -f "$name.$tag.expect" ] && expect=$name.$tag.expect && break
		done
		if [ -n "$EMBER_BAD_INPUT_KERNEL_ONLY" ]; then
			case "$(cat "$expect")" in "ember: "*) ;; *) continue ;; esac
		fi
		got=$(first_error "$prog")
		total=$((total + 1))
		case "$got" in "$prog":[0-9]*:[0-9]*:*) located=$((located + 1)) ;; esac
		if [ -n "$EMBER_UPDATE_GOLDEN" ] && [ "$dir" = "$src" ]; then
			printf '%s\n' "$got" >"$expect"
			continue
		fi
		want=$(cat "$expect" 2>/dev/null)
		if [ -z "$got" ] || [ "$got" != "$want" ]; then
			echo "FAIL $prog"
			echo "  want: $want"
			echo "  got:  $got"
			fail=$((fail + 1))
		fi
	done
done

# programs and maps are freed a moment after their last fd closes
for i in 1 2 3 4 5 6 7 8 9 10; do
	after=$(state)
	[ "$after" = "$before" ] && break
	sleep 0.5
done
if [ "$after" != "$before" ]; then
	echo "FAIL: something was left behind"
	echo "before: $before"
	echo "after:  $after"
	fail=$((fail + 1))
fi
echo "bad inputs${EMBER_BAD_INPUT_KERNEL_ONLY:+ the kernel refuses}: $total, with line:col in the user's text: $located, failures: $fail"
[ "$fail" -eq 0 ] && echo "bad-input-ok"
