"""The pseudonym construction in data-dictionary.md, run as written, gives the documented pseudonym."""

import re
from pathlib import Path

DICTIONARY = Path(__file__).resolve().parents[2] / "data-dictionary.md"


def test_python_snippet_reproduces_the_worked_example():
    text = DICTIONARY.read_text(encoding="utf-8")
    snippet = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    expected = re.search(r"\| pseudonym \| `([0-9a-f]{32})` \|", text).group(1)
    assert expected in snippet
    exec(compile(snippet, "data-dictionary.md", "exec"), {})  # the snippet asserts its own result
