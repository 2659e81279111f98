#!/usr/bin/env python3
# Checks that the source tree is the one-way tree HACKING.md describes:
# core includes no GTK and nothing above it; vendors and the command line
# build on core only; in src/ui/ only the application knows itself, no
# dialog or row knows the window, and no header includes another in a
# cycle. Prints TAP.
import os
import re
import sys

root = sys.argv[1]
src = os.path.join(root, 'src')
include_re = re.compile(r'^\s*#\s*include\s+[<"]([^">]+)[">]', re.M)

includes = {}  # 'ui/td-window.c' → ['td-window-private.h', 'gtk/gtk.h', …]
where = {}     # 'td-window.h' → 'ui'
for layer in ('core', 'vendors', 'cli', 'ui'):
    for name in sorted(os.listdir(os.path.join(src, layer))):
        if name.endswith(('.c', '.h')):
            with open(os.path.join(src, layer, name), encoding='utf-8') as f:
                includes[layer + '/' + name] = include_re.findall(f.read())
            where[name] = layer

failures = []
checks = []

def check(condition, message):
    checks.append((condition, message))

def offenders(layer, predicate):
    return ['%s includes %s' % (path, inc)
            for path, incs in includes.items() if path.startswith(layer + '/')
            for inc in incs if predicate(path, inc)]

allowed = {'core': {'core'}, 'vendors': {'core', 'vendors'}, 'cli': {'core', 'vendors', 'cli'},
           'ui': {'core', 'vendors', 'ui'}}
for layer, ok in allowed.items():
    bad = offenders(layer, lambda path, inc: where.get(inc, layer) not in ok)
    check(not bad, '%s includes only %s: %s' % (layer, ', '.join(sorted(ok)), '; '.join(bad)))

gtk = offenders('core', lambda p, inc: inc.split('/')[0] in ('gtk', 'gdk', 'adwaita.h')) + \
      offenders('cli', lambda p, inc: inc.split('/')[0] in ('gtk', 'gdk', 'adwaita.h'))
check(not gtk, 'core and the command line include no GTK: ' + '; '.join(gtk))

bad = offenders('ui', lambda p, inc: inc == 'td-application.h' and
                p not in ('ui/td-application.c', 'ui/td-application.h'))
check(not bad, 'only td-application.c includes td-application.h: ' + '; '.join(bad))

bad = offenders('ui', lambda p, inc: inc in ('td-window.h', 'td-window-private.h') and
                re.search(r'dialog|row|page', p))
check(not bad, 'no dialog, page or row includes the window: ' + '; '.join(bad))

# A cycle among the project's own headers, through .c files as well:
# a.c → b.h means a's class uses b's.
def unit(path):
    return path.rsplit('.', 1)[0].replace('-private', '')

graph = {}
for path, incs in includes.items():
    for inc in incs:
        if inc in where:
            target = unit(where[inc] + '/' + inc)
            if target != unit(path):
                graph.setdefault(unit(path), set()).add(target)

cycles = []
def visit(node, stack, done):
    if node in stack:
        cycles.append(' → '.join(stack[stack.index(node):] + [node]))
        return
    if node in done:
        return
    stack.append(node)
    for nxt in sorted(graph.get(node, ())):
        visit(nxt, stack, done)
    stack.pop()
    done.add(node)

done = set()
for node in sorted(graph):
    visit(node, [], done)
check(not cycles, 'no include cycle between classes: ' + '; '.join(cycles))

print('1..%d' % len(checks))
for condition, message in checks:
    print(('ok' if condition else 'not ok') + ' - ' + (message.split(':')[0] if condition else message))
sys.exit(1 if any(not c for c, _ in checks) else 0)
