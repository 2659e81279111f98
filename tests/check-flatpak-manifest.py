#!/usr/bin/env python3
# Checks the Flatpak manifest offline: it parses, names the app and its
# command, runs on a current GNOME runtime, builds the meson project without
# its tests, asks for exactly the finish-args the app uses (each explained in
# the README), keeps secrets behind the Secret portal (no host keyring, no
# portal talk-names, no filesystem access) and fetches nothing: every module
# comes from the runtime or from this tree.
import json
import os
import re
import sys

path, app_id = sys.argv[1], sys.argv[2]
failures = []

with open(path, encoding='utf-8') as f:
    manifest = json.load(f)

readme_path = os.path.join(os.path.dirname(os.path.abspath(path)), '..', 'README.md')
try:
    with open(readme_path, encoding='utf-8') as f:
        readme = f.read()
except OSError:
    readme = ''

# What the app uses, and nothing else. Keep in step with the README's
# "Flatpak permissions" list.
EXPECTED_ARGS = [
    '--share=network',                            # the vendors' APIs
    '--share=ipc',                                # X11's shared memory
    '--socket=wayland',
    '--socket=fallback-x11',
    '--device=dri',                               # GTK's GL renderer
    '--talk-name=org.kde.StatusNotifierWatcher',  # the tray icon
    '--system-talk-name=org.freedesktop.login1',  # PrepareForSleep: renew after resume
]


def check(condition, message):
    print(('ok' if condition else 'not ok') + ' - ' + message)
    if not condition:
        failures.append(message)


args = manifest.get('finish-args', [])
modules = manifest.get('modules', [])
app_module = modules[-1] if modules and isinstance(modules[-1], dict) else {}

print('1..13')
check(manifest.get('id', manifest.get('app-id')) == app_id, 'the id is ' + app_id)
check(manifest.get('command') == 'tokendesk', 'the command is tokendesk')
check(manifest.get('runtime') == 'org.gnome.Platform' and manifest.get('sdk') == 'org.gnome.Sdk',
      'the runtime is GNOME, with its SDK')
version = str(manifest.get('runtime-version', ''))
check(re.fullmatch(r'\d+', version) is not None and int(version) >= 50,
      'the runtime is GNOME 50 or newer (is ' + repr(version) + ')')
check(sorted(args) == sorted(EXPECTED_ARGS) and len(set(args)) == len(args),
      'the finish-args are exactly what the app uses (extra: %s, missing: %s)'
      % (sorted(set(args) - set(EXPECTED_ARGS)), sorted(set(EXPECTED_ARGS) - set(args))))
check(not any('org.freedesktop.secrets' in a for a in args),
      'secrets go through the Secret portal, not the host keyring')
check(not any(re.match(r'--(own|talk|system-talk)-name=org\.freedesktop\.portal\.', a)
              for a in args),
      'no portal talk-names: portals are always reachable')
check(not any(a.startswith(('--filesystem=', '--persist=')) for a in args),
      'no filesystem access')
unexplained = [a for a in EXPECTED_ARGS if '`' + a + '`' not in readme]
check(not unexplained, 'the README gives a reason for each finish-arg (missing: %s)' % unexplained)
check(app_module.get('name') == 'tokendesk' and app_module.get('buildsystem') == 'meson',
      'the last module is the app, built with meson')
check('-Dtests=false' in app_module.get('config-opts', []), 'the app is built without its tests')
check(not any(isinstance(m, dict) and m.get('name') == 'libportal' for m in modules),
      'libportal comes from the runtime (GNOME ships it), not a module of our own')
remote = [s.get('url') for m in modules if isinstance(m, dict)
          for s in m.get('sources', []) if isinstance(s, dict) and 'url' in s]
check(not remote, 'nothing is downloaded at build time (%s)' % remote)
sys.exit(1 if failures else 0)
