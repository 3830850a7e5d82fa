#!/usr/bin/env bash
# `systemd-analyze verify` on systemd/juanie.service, with ExecStart pointing at the binary
# this build made (verify checks that the command exists). Any warning fails the test: verify
# exits 0 on an unknown key and only says so. Usage: systemd_unit_test.sh UNIT BINARY
set -euo pipefail
unit=$1 binary=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|^ExecStart=/usr/bin/juanie |ExecStart=$binary |" "$unit" >"$dir/juanie.service"
grep -q "^ExecStart=$binary " "$dir/juanie.service" || { echo "no ExecStart=/usr/bin/juanie"; exit 1; }
out=$(systemd-analyze verify "$dir/juanie.service" 2>&1) || { echo "$out"; exit 1; }
[[ -z $out ]] || { echo "$out"; exit 1; }
