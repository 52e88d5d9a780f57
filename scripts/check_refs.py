#!/usr/bin/env python3
"""check_refs.py: finds references in comments and docs to files and functions that no longer exist.

What it reads: the comments of every C/CUDA source and header (kernels/, host/, models/, tests/), the comments of
CMakeLists.txt, the scripts in scripts/ (whole text), and the docs: docs/*.md, README.md, scripts/bench/README.md and results/*/README.md.

What it checks in them:
  - a path with a folder (`host/store/store.c`, `../tb_split_gain.h`, `cuda/cuda_tree.cu`) must exist, relative to
    the repository root or to the folder of the file that names it;
  - a pattern with a folder (`tests/test_sampler_*.c`) must match a file, and a folder (`results/bench/`) must exist;
  - a bare file name of the project's kinds (`store_mem.c`, `tb_error.h`, `report.py`) must exist somewhere in the
    tree;
  - an identifier with the project's prefixes (`tb_study_run`, `TB_TRIAL_COMPLETE`; a trailing `*` or `_` marks a
    family and is skipped) must appear in the code (comments stripped) of some source file;
  - in a C comment, a lower-case name whose first word is a module's (the first word of a source file's name:
    `study_worker_loop`, `store_flush(`, and `sx_`) must be an identifier of the code or the name of a file.
A line holding the words "check_refs: planted" is skipped (another checker's planted violation).
What it is not: a spell checker, nor a check of what the prose says about a thing that exists.

  check_refs.py [ROOT]         check the tree at ROOT (default: the repository); exit 1 listing each dangling reference
  check_refs.py --self-test    also plants dangling references in a copy of the tree and requires that each is caught

Run by CTest as test_refs (plain Python 3, no third-party modules). Tested by its own --self-test.
"""
import glob
import os
import re
import shutil
import sys
import tempfile

SOURCE_DIRS = ["kernels", "host", "models", "tests"]
C_EXT = (".c", ".h", ".cu", ".cuh")
FILE_EXT = r"(?:c|h|cu|cuh|py|md|yaml|yml|sh|cmake)"
SKIP_DIRS = {".git", "build", "__pycache__", ".ci"}
# A path or file name: letters, digits, '_', '-', '.', '/'; it ends in one of the project's file kinds.
PATH_RE = re.compile(r"(?<![\w/.*<-])((?:\.\./|\./)*(?:[\w-]+/)*[\w-]+(?:\.[\w-]+)*\." + FILE_EXT + r")(?![\w*/])")
GLOB_RE = re.compile(r"(?<![\w/.*<-])((?:\.\./)*(?:kernels|host|models|tests|scripts|docs|suites|results)/"
                     r"(?:[\w*-]+/)*[\w*-]*\*[\w*-]*(?:\.[\w*-]+)*)")
TOP_DIRS = "kernels|host|models|tests|scripts|docs|suites|results"
DIR_RE = re.compile(r"(?<![\w/.-])((?:" + TOP_DIRS + r")(?:/[\w.-]+)*/)(?![\w*])")
IDENT_RE = re.compile(r"(?<![\w.])((?:tb|TB)_[A-Za-z0-9_]*[A-Za-z0-9])(?![\w*])(?!_\*)(?!\.[A-Za-z])")
WORD_RE = re.compile(r"(?<![\w.>-])([a-z][a-z0-9]*_[a-z0-9_]*[a-z0-9])(?![\w.])")
URL_RE = re.compile(r"\w+://\S+")
# Names that look like project files but are not meant to exist in the tree: placeholders in examples, files of
# other projects (Optuna), system headers, and the project's shared references (shared/references/, outside the
# repository).
ALLOWED = {
    "FILE.h5", "my.yaml", "suites/x.yaml", "train.py", "example.c",
    "cuda_runtime.h", "cublas_v2.h", "curand.h", "curand_kernel.h", "curand_philox4x32_x.h", "hdf5.h", "lapacke.h",
    "cblas.h", "omp.h",
    "optuna/samplers/_tpe/sampler.py", "parzen_estimator.py", "_truncnorm.py",
    "protocols.md", "shared/references/protocols.md",
}
OUTPUT_DIRS = ("out/",)  # where commands write (generated, never committed)
SELF = "scripts/check_refs.py"  # its own examples and planted references are data
MARK = "check_refs: planted"  # a line of another checker's self-test data (a path that must not exist)


def rel(root, path):
    return os.path.relpath(path, root).replace(os.sep, "/")


def walk(root):
    """Every file of the tree (relative paths), build outputs and VCS folders left out."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("build"))
        for f in sorted(filenames):
            out.append(rel(root, os.path.join(dirpath, f)))
    return out


def c_comments(text):
    """[(line, comment text)] of /* */ and // comments, string literals skipped."""
    out, i, n, line = [], 0, len(text), 1
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
        if c == '"' or c == "'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            line += text.count("\n", i, j)
            i = j + 1
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j
            out.append((line, text[i + 2:j]))
            line += text.count("\n", i, j)
            i = j + 2
            continue
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append((line, text[i + 2:j]))
            i = j
            continue
        i += 1
    return out


def strip_c(text):
    """The code of a C source: comments blanked (string literals kept)."""
    parts, last = [], 0
    for m in re.finditer(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|/\*.*?\*/|//[^\n]*', text, re.S):
        if m.group(0)[0] == "/":
            parts.append(text[last:m.start()])
            parts.append(" ")
            last = m.end()
    parts.append(text[last:])
    return "".join(parts)


def is_text(path):
    try:
        with open(path, "rb") as f:
            return b"\0" not in f.read(4096)
    except OSError:
        return False


def collect(root):
    """(texts to check: [(rel path, line, text, kind)], file names, known identifiers)."""
    files = walk(root)
    names = {os.path.basename(f) for f in files}
    checked, code, prefixes = [], [], {"sx"}
    for f in files:
        full = os.path.join(root, f)
        top = f.split("/")[0]
        if f.endswith(C_EXT) and top in SOURCE_DIRS:
            text = open(full, encoding="utf-8", errors="replace").read()
            code.append(strip_c(text))
            checked += [(f, line, t, "c") for line, t in c_comments(text)]
            prefixes.add(os.path.basename(f).split("_")[0].split(".")[0])
        elif f == "CMakeLists.txt" or f.endswith(".cmake"):
            text = open(full, encoding="utf-8", errors="replace").read()
            code.append(re.sub(r"#[^\n]*", " ", text))
            checked += [(f, i + 1, l[l.index("#") + 1:], "cmake") for i, l in enumerate(text.split("\n")) if "#" in l]
        elif top == "scripts" and not f.endswith(".md") and is_text(full):
            if f == SELF:
                continue
            text = open(full, encoding="utf-8", errors="replace").read()
            code.append(text)
            checked += [(f, i + 1, l, "script") for i, l in enumerate(text.split("\n"))]
        elif f.endswith(".md") and (
                (top == "docs" and f.count("/") == 1) or f == "README.md"
                or f == "scripts/bench/README.md" or re.fullmatch(r"results/[^/]+/README\.md", f)):
            text = open(full, encoding="utf-8", errors="replace").read()
            checked += [(f, i + 1, l, "doc") for i, l in enumerate(text.split("\n"))]
    idents = set()
    for t in code:
        idents.update(re.findall(r"[A-Za-z_]\w*", t))
    return checked, names, idents, prefixes


def path_exists(root, where, ref):
    stems = [c.split(".")[0] for c in ref.split("/")]
    if ref in ALLOWED or ref.startswith(OUTPUT_DIRS) or any(c.isupper() and c != "README" for c in stems):
        return True  # ALLOWED, generated, or a placeholder (DIR/report.md, tests/NAME.c, suites/NAME.yaml)
    if "/" not in ref:
        return None  # a bare name: checked against the file names
    for base in (root, os.path.join(root, os.path.dirname(where))):
        if os.path.exists(os.path.normpath(os.path.join(base, ref))):
            return True
    return False


def check(root):
    checked, names, idents, prefixes = collect(root)
    stems = {n.split(".")[0] for n in names}
    problems = []
    for where, line0, text, kind in checked:
        if MARK in text:
            continue
        text = URL_RE.sub(" ", text)

        def at(m):
            return "%s:%d:" % (where, line0 + text.count("\n", 0, m.start()))
        for m in GLOB_RE.finditer(text):
            ref = m.group(1)
            hits = [g for base in (root, os.path.join(root, os.path.dirname(where)))
                    for g in glob.glob(os.path.join(base, ref))]
            if not hits:
                problems.append("%s no file matches: %s" % (at(m), ref))
        for m in DIR_RE.finditer(text):
            if not os.path.isdir(os.path.join(root, m.group(1))):
                problems.append("%s no such folder: %s" % (at(m), m.group(1)))
        for m in PATH_RE.finditer(text):
            ref = m.group(1)
            if kind == "script" and "/" not in ref:
                continue  # a script's bare names are often its own variables (self.md)
            ok = path_exists(root, where, ref)
            if ok is None:
                ok = ref in names or ref in ALLOWED
            if not ok:
                problems.append("%s no such file: %s" % (at(m), ref))
        if kind == "script":
            continue  # a script's own identifiers are its code
        for m in IDENT_RE.finditer(text):
            if m.group(1) not in idents:
                problems.append("%s no such identifier: %s" % (at(m), m.group(1)))
        if kind == "c":
            for m in WORD_RE.finditer(text):
                name = m.group(1)
                first = name.split("_")[0]
                if first in prefixes and first != "tb" and name not in idents and name not in stems:
                    problems.append("%s no such name: %s" % (at(m), name))
    return problems


def self_test(root):
    """Plants one dangling reference of each kind (each in its own file, as its first line) in a copy of the tree;
    each must be reported once, at that line, and nothing else may change."""
    def strip_line(p):
        return re.sub(r":\d+:", ":", p, count=1)
    planted = [
        ("host/data/validate.c", "/* see host/data/no_such_file.c */\n", "no such file: host/data/no_such_file.c"),
        ("kernels/backend.c", "/* as tb_gone_helper.h says */\n", "no such file: tb_gone_helper.h"),
        ("models/model.c", "/* calls tb_model_gone() first */\n", "no such identifier: tb_model_gone"),
        ("host/study/study.c", "/* TB_RUN_COMPLETE ends it */\n", "no such identifier: TB_RUN_COMPLETE"),
        ("host/suite/suite.c", "/* sx_fail_old(c, n) reports */\n", "no such name: sx_fail_old"),
        ("host/study/study_worker.c", "/* see study_worker_gone */\n", "no such name: study_worker_gone"),
        ("docs/suites.md", "See `host/store.c`.\n", "no such file: host/store.c"),
        ("tests/test_store.c", "/* host/sampler*.c */\n", "no file matches: host/sampler*.c"),
        ("README.md", "Tables in `results/gpu/`.\n", "no such folder: results/gpu/"),
    ]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "tree")
        shutil.copytree(root, copy, ignore=lambda d, names: [
            n for n in names if n in SKIP_DIRS or n.endswith((".h5", ".png")) or
            (os.path.samefile(d, root) and n.startswith("build"))])
        base = {strip_line(p) for p in check(copy)}
        for f, line, _ in planted:
            path = os.path.join(copy, f)
            with open(path, encoding="utf-8") as fh:
                old = fh.read()
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(line + old)
        got = [p for p in check(copy) if strip_line(p) not in base]
        for f, line, want in planted:
            mine = [p for p in got if p.startswith(f + ":")]
            if len(mine) != 1 or not mine[0].startswith(f + ":1:") or want not in mine[0]:
                failures.append("planted %r in %s: expected one report '%s' at line 1, got %s" %
                                (line.strip(), f, want, mine))
        other = [p for p in got if not any(p.startswith(f + ":") for f, _, _ in planted)]
        if other:
            failures.append("reports the plants should not cause: %s" % other)
    return failures


def main(argv):
    args = [a for a in argv[1:] if a != "--self-test"]
    root = os.path.abspath(args[0] if args else os.path.join(os.path.dirname(__file__), ".."))
    problems = check(root)
    for p in problems:
        print(p)
    rc = 1 if problems else 0
    if "--self-test" in argv:
        failures = self_test(root)
        for f in failures:
            print("self-test: " + f)
        rc = rc or (1 if failures else 0)
    if not rc:
        print("check_refs: every path, file name and identifier named in comments and docs exists")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
