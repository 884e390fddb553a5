#!/usr/bin/env bash
# Installs ember into a temporary prefix and builds a consumer against it
# twice: through pkg-config and through CMake's find_package(ember).
set -euo pipefail
build_dir=$1 src_dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build_dir" --prefix "$tmp/prefix" >/dev/null
cat > "$tmp/consumer.c" <<'C'
#include <ember/ember.h>
#include <stdio.h>
int main(int argc, char **argv)
{
	struct ember_module *m = NULL;

	printf("ember %s\n", ember_version());
	/* the installed library finds its compiler beside itself */
	if (argc > 1 && ember_module_compile(argv[1], NULL, &m)) {
		printf("compile: %s\n", ember_errmsg());
		return 1;
	}
	ember_module_free(m);
	return 0;
}
C
export PKG_CONFIG_PATH=$tmp/prefix/lib/pkgconfig
cc "$tmp/consumer.c" $(pkg-config --cflags --libs ember) -Wl,-rpath,"$tmp/prefix/lib" -o "$tmp/pc"
unset EMBER_COMPILER
EMBER_CACHE_DIR=$tmp/cache "$tmp/pc" 'int kprobe__nothing(void *ctx) { return 0; }'
test -x "$tmp/prefix/lib/ember/ember-compiler"
test -x "$tmp/prefix/lib/ember/ember-object-check"
# The library itself does not link libclang or LLVM.
if readelf -d "$tmp/prefix/lib/libember.so" | grep -i 'NEEDED.*\(llvm\|clang\)'; then
  echo "libember.so links LLVM" >&2; exit 1
fi
mkdir "$tmp/cm"
cat > "$tmp/cm/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.18)
project(consumer C)
find_package(ember REQUIRED)
add_executable(consumer $tmp/consumer.c)
target_link_libraries(consumer ember::ember)
CM
cmake -S "$tmp/cm" -B "$tmp/cm/b" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cm/b" >/dev/null
"$tmp/cm/b/consumer"
# Only the public API is exported.
if nm -D --defined-only "$tmp/prefix/lib/libember.so" | awk '{print $3}' | grep -v '^EMBER_' | grep -v '^ember_[a-z]' ; then
  echo "non-public symbols exported" >&2; exit 1
fi
readelf -d "$tmp/prefix/lib/libember.so" | grep -q 'SONAME.*libember.so.0'
echo install-ok
