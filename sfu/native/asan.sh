#!/usr/bin/env bash
# The ASan job for the native fan-out: build sfu/native/_fanout.c with
# AddressSanitizer (and UBSan) in a scratch copy of this checkout, then run the
# fuzz harness and the equivalence tests with libasan preloaded into the
# (uninstrumented) Python. PYTHONMALLOC=malloc makes Python's own small
# allocations (PyMem_Malloc, bytes objects) visible to ASan. Leak checking is
# off: CPython keeps interned objects until exit.
#
#   sfu/native/asan.sh                       # ~1 min; longer with:
#   IMR_NATIVE_FUZZ_RUNS=20000 sfu/native/asan.sh
#
# A crash prints ASan's report and the fuzz seed (IMR_NATIVE_FUZZ_SEED replays
# it); keep the input as a case in tests/sfu/test_native_fuzz.py (KEPT).
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
python="${PYTHON:-$here/.venv/bin/python}"
[ -x "$python" ] || { echo "no Python at $python (make setup, or set PYTHON)" >&2; exit 1; }
scratch="$(mktemp -d /tmp/imr-asan.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT
cd "$here"
cp -r setup.py pyproject.toml README.md imr_live sfu tests "$scratch"/
find "$scratch" -name '*.so' -delete
cd "$scratch"
CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
LDFLAGS="-fsanitize=address,undefined" \
  "$python" setup.py -q build_ext --inplace
ldd sfu/native/_fanout*.so | grep libasan >/dev/null || { echo "not an ASan build" >&2; exit 1; }
LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)" \
ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
PYTHONMALLOC=malloc PYTHONPATH="$scratch" \
  "$python" -c 'import sfu.native._fanout as f, sys; print("testing", f.__file__); sys.exit(not f.__file__.startswith(sys.argv[1]))' "$scratch"
LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)" \
ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
PYTHONMALLOC=malloc PYTHONPATH="$scratch" \
  "$python" -m pytest -q -x -p no:cacheprovider --capture=sys \
    tests/sfu/test_native_fuzz.py tests/sfu/test_native.py -k "not live_forwarding" "$@"
echo "ASan/UBSan run clean"
