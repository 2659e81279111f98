#!/bin/sh
# Fails when a source file has a translatable string but is missing from
# po/POTFILES.in, or when POTFILES.in names a file that does not exist.
set -eu
cd "${1:-$(dirname "$0")/..}"

listed=$(grep -v '^#' po/POTFILES.in | sed '/^$/d' | sort)
status=0

for file in $listed; do
  if [ ! -f "$file" ]; then
    echo "po/POTFILES.in lists $file, which does not exist"
    status=1
  fi
done

found=$( { grep -lE '(^|[^A-Za-z0-9_])(N?_|C_|g_dngettext|ngettext)[[:space:]]*\(' \
             src/*.c src/*/*.c 2>/dev/null || true
           grep -l 'translatable="yes"' src/*/*.ui src/*/*/*.ui 2>/dev/null || true; } | sort -u)

for file in $found; do
  if ! printf '%s\n' "$listed" | grep -qx "$file"; then
    echo "$file has translatable strings but is not in po/POTFILES.in"
    status=1
  fi
done

[ $status -eq 0 ] && echo "po/POTFILES.in lists all $(printf '%s\n' "$listed" | wc -l) files"
exit $status
