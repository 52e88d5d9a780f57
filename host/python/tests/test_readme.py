"""The README's "From Python" example, run as written (the first ```python block under '## From Python'), and
docs/python.md's examples the same way: a doc whose example fails fails CI."""
import os
import re

import pytest

REPO = os.environ.get("TB_SOURCE_DIR") or os.path.abspath(os.path.join(os.path.dirname(__file__), "../../.."))


def blocks(path, heading):
    text = open(os.path.join(REPO, path)).read()
    start = text.index(heading)
    return re.findall(r"^```python\n(.*?)^```", text[start:], re.S | re.M)


def test_readme_from_python():
    (code, *_) = blocks("README.md", "## From Python")
    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})


@pytest.mark.parametrize("i", range(len(blocks("docs/python.md", "# "))))
def test_docs_python_examples(i, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = blocks("docs/python.md", "# ")[i]
    exec(compile(code, f"docs/python.md block {i}", "exec"), {"__name__": "doc"})
