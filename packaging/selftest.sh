#!/usr/bin/env bash
# Check a frozen build: its own self-test, then the window started offscreen for a while.
#   packaging/selftest.sh [dist/berichtenbox-console]
# Exit code 0 only when both pass. Neither touches the user's data or OS keyring.
set -uo pipefail

bundle="${1:-dist/berichtenbox-console}"
exe="$bundle/berichtenbox-console"
gui_seconds="${GUI_SECONDS:-15}"

if [[ ! -x "$exe" ]]; then
    echo "FOUT: $exe bestaat niet; bouw eerst met 'make package'." >&2
    exit 1
fi

echo "== self-test van $exe"
"$exe" self-test
selftest=$?

echo "== venster offscreen, $gui_seconds seconden"
data_dir="$(mktemp -d)"
log="$data_dir/venster-uitvoer.txt"
# The fail backend keeps the demo's test key out of the OS keyring.
QT_QPA_PLATFORM=offscreen PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring \
    timeout "$gui_seconds" "$exe" --data-dir "$data_dir" >"$log" 2>&1
gui=$?
cat "$log"
if [[ $gui -ne 124 ]]; then
    echo "FOUT: het venster stopte binnen $gui_seconds seconden (exitcode $gui)."
    gui_ok=1
elif grep -q -E "Traceback|Error:|fatal" "$log"; then
    echo "FOUT: het venster schreef een fout (zie hierboven)."
    gui_ok=1
else
    echo "OK   Venster: gestart en $gui_seconds seconden open gebleven, zonder fouten."
    gui_ok=0
fi
if grep -q -E "Traceback|ERROR" "$data_dir/logs/console.log" 2>/dev/null; then
    echo "FOUT: het logbestand van het venster bevat fouten:"
    grep -E -A3 "Traceback|ERROR" "$data_dir/logs/console.log"
    gui_ok=1
fi
rm -rf "$data_dir"

if [[ $selftest -ne 0 || $gui_ok -ne 0 ]]; then
    exit 1
fi
