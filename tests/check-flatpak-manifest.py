#!/usr/bin/env python3
# Checks the Flatpak manifest offline: it parses, names the app and its
# command, builds the meson project without its tests, and its sandbox
# keeps secrets behind the Secret portal (no direct keyring or home access).
import json
import sys

path, app_id = sys.argv[1], sys.argv[2]
failures = []

with open(path, encoding='utf-8') as f:
    manifest = json.load(f)

def check(condition, message):
    print(('ok' if condition else 'not ok') + ' - ' + message)
    if not condition:
        failures.append(message)

print('1..7')
check(manifest.get('id', manifest.get('app-id')) == app_id, 'the id is ' + app_id)
check(manifest.get('command') == 'tokendesk', 'the command is tokendesk')
check(manifest.get('runtime') == 'org.gnome.Platform', 'the runtime is GNOME')
args = manifest.get('finish-args', [])
check('--share=network' in args, 'the sandbox may reach the vendors')
check(not any(a.startswith('--talk-name=org.freedesktop.secrets') for a in args),
      'secrets go through the portal, not the host keyring')
check(not any(a.startswith('--filesystem=') for a in args), 'no filesystem access')
module = manifest['modules'][-1]
check(module.get('buildsystem') == 'meson' and '-Dtests=false' in module.get('config-opts', []),
      'the app module is built with meson, without the tests')
sys.exit(1 if failures else 0)
