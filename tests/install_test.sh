#!/usr/bin/env bash
# `cmake --install` into a DESTDIR: each file lands where the README says, and the installed
# unit starts the installed binary. Usage: install_test.sh BUILD_DIR PREFIX
set -euo pipefail
build=$1 prefix=$2
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
DESTDIR=$stage cmake --install "$build" >/dev/null
root=$stage$prefix
fail=0
for f in bin/juanie lib/systemd/system/juanie.service lib/sysusers.d/juanie.conf \
         lib/tmpfiles.d/juanie.conf share/doc/juanie/README.md share/doc/juanie/SECURITY.md \
         share/doc/juanie/examples/juanie.yaml share/doc/juanie/examples/projects.d/example.yaml \
         share/juanie/monitoring/juanie.rules.yml share/juanie/monitoring/juanie.rules.test.yml \
         share/juanie/monitoring/juanie-dashboard.json; do
  [[ -f $root/$f ]] || { echo "missing: $prefix/$f"; fail=1; }
done
[[ -x $root/bin/juanie ]] || { echo "not executable: $prefix/bin/juanie"; fail=1; }
grep -qx "ExecStart=$prefix/bin/juanie serve --config /etc/juanie/juanie.yaml" \
  "$root/lib/systemd/system/juanie.service" || {
  echo "the installed unit does not start $prefix/bin/juanie:"
  grep ExecStart "$root/lib/systemd/system/juanie.service"
  fail=1
}
exit $fail
