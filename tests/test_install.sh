#!/usr/bin/env bash
# test_install.sh BUILD_DIR SOURCE_DIR: the installed tree as a user gets it (CTest test_install). Installs the build
# into a temporary prefix with `cmake --install`, then checks that
#  - the CLI, the shared and static libraries, the public headers, tunebench.pc and the CMake package are there;
#  - the shared library exports exactly the functions the installed headers mark TB_API (nothing else);
#  - docs/c-api.md's example, built with the doc's own link line (`cc example.c $(pkg-config ...)`, taken verbatim
#    from the doc), runs and succeeds; the same with the README's "From C" example;
#  - the static library links with `pkg-config --static` (Libs.private is complete) and the example runs;
#  - a CMake project using find_package(tunebench) builds and runs the example.
# Not here: the library's behaviour (the other tests). Exit 0 when all hold, else 1 with what failed.
set -euo pipefail
build="$1"
src="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
fail() { echo "test_install: FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >/dev/null
libdir="$prefix/lib"
[ -d "$libdir/pkgconfig" ] || libdir="$(dirname "$(find "$prefix" -name tunebench.pc | head -1)")/.."
for f in "$prefix/bin/tunebench" "$libdir/libtunebench.so" "$libdir/libtunebench.a" \
         "$prefix/include/tunebench/tb_study.h" "$prefix/include/tunebench/tb_api.h" \
         "$libdir/pkgconfig/tunebench.pc" "$libdir/cmake/tunebench/tunebenchConfig.cmake" \
         "$libdir/cmake/tunebench/tunebenchConfigVersion.cmake"; do
  [ -e "$f" ] || fail "not installed: ${f#$prefix/}"
done
ls "$libdir"/libtunebench.so.0 >/dev/null || fail "no SOVERSION link libtunebench.so.0"
"$prefix/bin/tunebench" list >/dev/null || fail "the installed CLI does not run"

# Exported symbols == the TB_API declarations of the installed headers.
grep -ho 'TB_API [^(]*(' "$prefix"/include/tunebench/*.h | grep -o 'tb_[a-z0-9_]*($' | tr -d '(' | sort -u \
  > "$tmp/declared"
nm -D --defined-only "$libdir/libtunebench.so" | awk '{print $3}' | sort -u > "$tmp/exported"
if ! diff "$tmp/declared" "$tmp/exported" >"$tmp/symdiff"; then
  cat "$tmp/symdiff" >&2
  fail "libtunebench.so exports differ from the TB_API declarations (<: declared only, >: exported only)"
fi
echo "test_install: $(wc -l <"$tmp/exported") exported functions, all TB_API"

# A fenced block of a Markdown file: the first \`\`\`LANG block after the heading line matching HEADING.
block() { # FILE HEADING LANG
  awk -v h="$2" -v lang="$3" '$0 ~ h {seen=1} seen && !inb && $0 == "```" lang {inb=1; next}
       inb && $0 == "```" {exit} inb {print}' "$1"
}
export PKG_CONFIG_PATH="$libdir/pkgconfig"
unset CPATH LIBRARY_PATH LD_LIBRARY_PATH || true
mkdir -p "$tmp/doc" "$tmp/readme" "$tmp/static" "$tmp/cmake"

# docs/c-api.md: its example and its link line, verbatim.
block "$src/docs/c-api.md" '^## Example' c >"$tmp/doc/example.c"
[ -s "$tmp/doc/example.c" ] || fail "docs/c-api.md: no C example under '## Example'"
line="$(block "$src/docs/c-api.md" '^## Building against an installed libtunebench' sh | grep '^cc ' | head -1)"
[ "$line" = 'cc example.c $(pkg-config --cflags --libs tunebench)' ] || fail "docs/c-api.md: link line is '$line'"
(cd "$tmp/doc" && eval "$line" && ./a.out) || fail "docs/c-api.md example: '$line' or its run failed"

# README.md "From C": same line.
block "$src/README.md" '^## From C' c >"$tmp/readme/example.c"
[ -s "$tmp/readme/example.c" ] || fail "README.md: no C example under '## From C'"
rline="$(block "$src/README.md" '^## From C' sh | grep '^cc ' | head -1)"
[ -n "$rline" ] || fail "README.md: no cc line under '## From C'"
(cd "$tmp/readme" && eval "$rline" && ./a.out) || fail "README.md example: '$rline' or its run failed"

# Static: libtunebench.a with Libs.private.
slibs="$(pkg-config --static --libs tunebench | sed 's/-ltunebench\b/-l:libtunebench.a/')"
(cd "$tmp/static" && cp "$tmp/doc/example.c" . && eval "cc example.c $(pkg-config --cflags tunebench) $slibs" &&
  ./a.out) || fail "static link with pkg-config --static: $slibs"
if readelf -d "$tmp/static/a.out" | grep -q 'libtunebench'; then fail "static build still needs libtunebench.so"; fi

# CMake package.
cp "$tmp/doc/example.c" "$tmp/cmake/"
cat >"$tmp/cmake/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.22)
project(tb_consumer C)
find_package(tunebench 0.1 REQUIRED)
add_executable(example example.c)
target_link_libraries(example PRIVATE tunebench::tunebench)
CM
cmake -S "$tmp/cmake" -B "$tmp/cmake/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null ||
  fail "find_package(tunebench) failed"
cmake --build "$tmp/cmake/build" >/dev/null || fail "CMake consumer build failed"
"$tmp/cmake/build/example" >/dev/null || fail "CMake consumer's example failed"

# The Python package installed by pip into the same prefix (no compiler, no build isolation: Debian's setuptools)
# finds the installed library by itself.
# (from a copy: setuptools leaves build/ and *.egg-info in the directory it builds)
cp -r "$src/host/python" "$tmp/pysrc"
rm -rf "$tmp/pysrc/build" "$tmp/pysrc/tunebench.egg-info"
/usr/bin/python3 -m pip install --quiet --no-deps --no-build-isolation --no-warn-script-location \
  --prefix "$prefix" "$tmp/pysrc" >"$tmp/pip.log" 2>&1 || { cat "$tmp/pip.log" >&2; fail "pip install"; }
pkg="$(dirname "$(find "$prefix" -path '*/tunebench/__init__.py' | head -1)")"
[ -n "$pkg" ] && [ "$pkg" != . ] || fail "pip put no tunebench package under the prefix"
got="$(cd "$tmp" && env -u TUNEBENCH_LIBRARY PYTHONPATH="$(dirname "$pkg")" /usr/bin/python3 -c \
  'import tunebench; s = tunebench.Space().add_float("x", 0, 1); print(tunebench.library_path)')" ||
  fail "the pip-installed package does not import"
case "$got" in "$prefix"/*) ;; *) fail "the pip-installed package loaded $got, not the prefix's library" ;; esac
echo "test_install: ok (doc line, README line, static link, find_package, pip install)"
