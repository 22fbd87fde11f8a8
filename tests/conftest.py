"""Fixtures of the whole suite."""
from __future__ import annotations

from pathlib import Path

import pytest

# Mined, never run: a fixture repository's own tests (`test_*.py`) are inputs.
collect_ignore_glob = ["fixtures/*"]


@pytest.fixture(autouse=True)
def hermetic_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test sees the user's git configuration (and every commit has an
    author): returns the global config file."""
    config = tmp_path_factory.mktemp("home") / "gitconfig"
    config.write_text(
        "[user]\n\tname = Test\n\temail = test@example.org\n"
        "[init]\n\tdefaultBranch = main\n"
        "[commit]\n\tgpgsign = false\n"
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"):
        monkeypatch.delenv(name, raising=False)
    return config
