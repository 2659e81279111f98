#!/bin/sh
# Fails unless every language of po/LINGUAS is complete and current:
# `msgfmt --check` passes (formats, plural forms, header), every message is
# translated and none is fuzzy, and its messages are exactly those of a
# template extracted from the sources now, with the xgettext arguments of
# `ninja tokendesk-pot` (po/meson.build passes them after the source root).
#
# To bring a language up to date: ninja -C _build tokendesk-pot tokendesk-update-po,
# then translate what is new or fuzzy in po/LANG.po.
set -eu
srcroot=$1
shift
cd "$srcroot"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

xgettext --package-name=tokendesk --directory=. --files-from=po/POTFILES.in \
         --output="$tmp/tokendesk.pot" "$@"

count=$(LC_ALL=C msgfmt --statistics -o /dev/null "$tmp/tokendesk.pot" 2>&1 |
        sed -n 's/.* \([0-9][0-9]*\) untranslated messages*\.$/\1/p')
[ -n "$count" ] || { echo "could not count the messages of the sources"; exit 1; }
expected="$count translated message"
[ "$count" -eq 1 ] || expected="${expected}s"
expected="$expected."

status=0
for lang in $(sed 's/#.*//' po/LINGUAS); do
  po=po/$lang.po
  if [ ! -f "$po" ]; then
    echo "$lang: po/LINGUAS lists it, but $po does not exist"
    status=1
    continue
  fi

  if ! stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$po" 2>&1); then
    printf '%s: msgfmt --check fails:\n%s\n' "$lang" "$stats"
    status=1
    continue
  fi
  if [ "$stats" != "$expected" ]; then
    echo "$lang: $stats (the sources have $count messages: want \"$expected\")"
    status=1
    continue
  fi

  # Messages changed in the sources come out untranslated or fuzzy here.
  msgmerge --quiet --output-file="$tmp/$lang.po" "$po" "$tmp/tokendesk.pot"
  merged=$(LC_ALL=C msgfmt --statistics -o /dev/null "$tmp/$lang.po" 2>&1)
  if [ "$merged" != "$expected" ]; then
    echo "$lang: out of date with the sources; merged with them it has: $merged"
    { msgattrib --only-fuzzy "$tmp/$lang.po"; msgattrib --untranslated "$tmp/$lang.po"; } |
      grep '^msgid "..*"' | head -10
    status=1
    continue
  fi

  echo "$lang: $stats"
done

exit $status
