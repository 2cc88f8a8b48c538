"""The README's Python snippets run as written (in order, in one namespace, like a session)."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_snippets_run(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 4
    monkeypatch.chdir(tmp_path)  # the save/load snippet writes ckpt.pt
    namespace: dict = {}
    for code in blocks:
        exec(compile(code, str(README), "exec"), namespace)
    acc = namespace["metrics"].accuracy(namespace["pred"], namespace["test"].targets)
    assert acc > 0.9  # the tour's small CNN really learns the digits
    assert (tmp_path / "ckpt.pt").exists()
