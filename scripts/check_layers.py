#!/usr/bin/env python3
"""check_layers.py: the layer rule of docs/architecture.md, checked on every #include of the library's sources.

Each folder of the library (a module) sits on a layer; a file may include headers of its own module and of modules
on lower layers, never of a module on its own layer or above. A header whose name does not start with "tb_" is
private to its module (`*_impl.h`, `cli.h`, ...): only that module's files may include it. System headers (<...>)
and headers that are not the project's (cuda_runtime.h, ...) are not checked.

  check_layers.py [ROOT]        check the tree at ROOT (default: the repository); exit 1 naming each violation
  check_layers.py --self-test   also plants violations in a copy of the tree and requires that each is caught

Run by CTest as test_layers (plain Python 3, no third-party modules). Tested by its own --self-test.
"""
import os
import re
import shutil
import sys
import tempfile

# (module folder, layer). Lower layers may be included from higher ones; a module never includes a module of its
# own layer (no sideways includes), so the modules form a strict stack. Keep docs/architecture.md in step.
MODULES = [
    ("kernels", 0),
    ("host/data", 1),
    ("host/space", 1),
    ("models", 2),
    ("host/samplers", 3),
    ("host/objective", 3),
    ("host/store", 3),
    ("host/schedulers", 4),
    ("host/study", 5),
    ("host/suite", 6),
    ("host/cli", 7),
]
SOURCE_EXT = (".c", ".h", ".cu", ".cuh")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def module_of(rel):
    """The module a path (relative to the root, with /) belongs to, or None."""
    best = None
    for mod, _ in MODULES:
        if rel == mod or rel.startswith(mod + "/"):
            if best is None or len(mod) > len(best):
                best = mod
    return best


def scan(root):
    """Returns (files: list of rel paths, headers: basename -> rel path); two headers of one name are an error."""
    files, headers, errors = [], {}, []
    for mod, _ in MODULES:
        top = os.path.join(root, mod)
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
            # a nested module (host/data inside host) is walked on its own
            if rel_dir != mod and module_of(rel_dir) != mod:
                dirnames[:] = []
                continue
            for fn in sorted(filenames):
                if not fn.endswith(SOURCE_EXT):
                    continue
                rel = rel_dir + "/" + fn
                files.append(rel)
                if fn.endswith((".h", ".cuh")):
                    if fn in headers:
                        errors.append("%s: header name also used by %s (include by name must be unique)"
                                      % (rel, headers[fn]))
                    headers[fn] = rel
    # files directly in host/ belong to no module: the layout forbids them
    host = os.path.join(root, "host")
    if os.path.isdir(host):
        for fn in sorted(os.listdir(host)):
            if fn.endswith(SOURCE_EXT):
                errors.append("host/%s: a source file outside every module folder (docs/architecture.md)" % fn)
    return files, headers, errors


def check(root):
    layer = dict(MODULES)
    files, headers, errors = scan(root)
    for rel in files:
        mod = module_of(rel)
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            text = f.read()
        for m in INCLUDE_RE.finditer(text):
            name = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            target = headers.get(os.path.basename(name))
            if target is None:
                continue  # not one of ours
            tmod = module_of(target)
            where = "%s:%d: #include \"%s\"" % (rel, line, name)
            if tmod == mod:
                continue
            if not os.path.basename(target).startswith("tb_"):
                errors.append("%s: %s is private to %s/ (only its own files may include it)" % (where, target, tmod))
            elif layer[tmod] >= layer[mod]:
                how = "a layer above" if layer[tmod] > layer[mod] else "a module of the same layer"
                errors.append("%s: %s/ (layer %d) is %s %s/ (layer %d); include only lower layers"
                              % (where, tmod, layer[tmod], how, mod, layer[mod]))
    return errors


def self_test(root):
    """Plants one violation of each kind in a copy of the tree; each must be reported, and the clean tree not."""
    plants = [
        ("kernels/backend.c", '#include "tb_study.h"\n', "layer above"),
        ("host/data/spec.c", '#include "tb_space.h"\n', "same layer"),
        ("models/model.c", '#include "sampler_impl.h"\n', "private"),
        ("host/samplers/sampler.c", '#include "tb_store.h"\n', "same layer"),
        ("host/stray.c", "int x;\n", "outside every module"),  # check_refs: planted
    ]
    failures = 0
    for path, line, kind in plants:
        tmp = tempfile.mkdtemp(prefix="tb-layers-")
        try:
            for mod, _ in MODULES:
                top = mod.split("/")[0]
                if not os.path.exists(os.path.join(tmp, top)):
                    shutil.copytree(os.path.join(root, top), os.path.join(tmp, top))
            full = os.path.join(tmp, path)
            old = open(full).read() if os.path.exists(full) else ""
            with open(full, "w") as f:
                f.write(line + old)
            errs = check(tmp)
            hit = [e for e in errs if e.startswith(path)]
            if not hit:
                print("self-test FAILED: a planted include in %s (%s) was not reported" % (path, kind))
                failures += 1
            else:
                print("self-test: caught %s" % hit[0])
        finally:
            shutil.rmtree(tmp)
    return failures


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    root = os.path.abspath(args[0]) if args else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    errors = check(root)
    for e in errors:
        print(e)
    status = 1 if errors else 0
    if "--self-test" in argv:
        status |= 1 if self_test(root) else 0
    print("layers: %d violation(s) in %s" % (len(errors), root))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
