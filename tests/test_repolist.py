"""The repository list: line kinds, keys, and every kind of bad line."""
from __future__ import annotations

from pathlib import Path

import git
import pytest
from hypothesis import given, strategies as st

from miner.repolist import mark_duplicates, parse_line, read_repo_list


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """A list folder holding a work tree, a bare repository, a plain folder and a file."""
    git.Repo.init(tmp_path / "work")
    git.Repo.init(tmp_path / "bare.git", bare=True)
    (tmp_path / "plain").mkdir()
    (tmp_path / "owner" / "name").mkdir(parents=True)
    (tmp_path / "notes.txt").write_text("not a repository\n")
    return tmp_path


@pytest.mark.parametrize(
    ("line", "key", "location"),
    [
        ("https://github.com/Owner/Name", "Owner/Name", "https://github.com/Owner/Name"),
        ("https://github.com/owner/name.git", "owner/name", "https://github.com/owner/name.git"),
        ("https://github.com/owner/name/", "owner/name", "https://github.com/owner/name/"),
        ("http://www.github.com/owner/name.git/", "owner/name", "http://www.github.com/owner/name.git/"),
        ("git@github.com:owner/name.git", "owner/name", "git@github.com:owner/name.git"),
        ("git@github.com:owner/name", "owner/name", "git@github.com:owner/name"),
        ("ssh://git@github.com/owner/na.me.git", "owner/na.me", "ssh://git@github.com/owner/na.me.git"),
        ("owner/repo", "owner/repo", "https://github.com/owner/repo.git"),
        ("Owner/Repo.git", "Owner/Repo", "https://github.com/Owner/Repo.git"),
        ("owner/repo/", "owner/repo", "https://github.com/owner/repo.git"),
        ("https://gitlab.com/group/sub/project.git", "https://gitlab.com/group/sub/project.git",
         "https://gitlab.com/group/sub/project.git"),
        ("ssh://git@git.example.org:2222/x/y.git", "ssh://git@git.example.org:2222/x/y.git",
         "ssh://git@git.example.org:2222/x/y.git"),
        ("git@bitbucket.org:team/repo.git", "git@bitbucket.org:team/repo.git", "git@bitbucket.org:team/repo.git"),
        ("file:///srv/git/repo.git", "file:///srv/git/repo.git", "file:///srv/git/repo.git"),
    ],
)
def test_remote_lines(line: str, key: str, location: str, tmp_path: Path) -> None:
    spec = parse_line(f"  {line}  \n", base=tmp_path)
    assert spec is not None
    assert (spec.kind, spec.key, spec.location, spec.error) == ("remote", key, location, None)
    assert spec.source == line


@pytest.mark.parametrize("line", ["", "   ", "\n", "# a comment", "   # indented comment", "#owner/name"])
def test_blank_and_comment_lines_are_skipped(line: str, tmp_path: Path) -> None:
    assert parse_line(line, base=tmp_path) is None


def test_trailing_comment_is_stripped_but_kept_in_source(tmp_path: Path) -> None:
    spec = parse_line("owner/name   # the main one", base=tmp_path)
    assert spec is not None and spec.key == "owner/name"
    assert spec.source == "owner/name   # the main one"
    tabbed = parse_line("https://github.com/o/n\t# tab", base=tmp_path)
    assert tabbed is not None and tabbed.key == "o/n"


def test_hash_inside_a_url_is_not_a_comment(tmp_path: Path) -> None:
    spec = parse_line("https://example.org/x/y#frag", base=tmp_path)
    assert spec is not None and spec.key == "https://example.org/x/y#frag"


@pytest.mark.parametrize(
    ("line", "kind", "relative"),
    [
        ("work", "git", "work"),
        ("./work/", "git", "work"),
        ("bare.git", "bare", "bare.git"),
        ("plain", "folder", "plain"),
        ("plain/../work", "git", "work"),
        # An existing relative path wins over the owner/name shorthand it looks like.
        ("owner/name", "folder", "owner/name"),
    ],
)
def test_local_lines(line: str, kind: str, relative: str, base: Path) -> None:
    spec = parse_line(line, base=base)
    assert spec is not None
    assert spec.kind == kind
    assert spec.key == spec.location == str(base / relative)


def test_absolute_and_home_paths(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    absolute = parse_line(str(base / "work"), base=Path("/somewhere/else"))
    assert absolute is not None and (absolute.kind, absolute.key) == ("git", str(base / "work"))
    monkeypatch.setenv("HOME", str(base))
    home = parse_line("~/plain", base=Path("/somewhere/else"))
    assert home is not None and (home.kind, home.key) == ("folder", str(base / "plain"))


def test_git_worktree_with_a_git_file_is_a_work_tree(base: Path) -> None:
    repo = git.Repo(base / "work")
    (base / "work" / "f.txt").write_text("x")
    repo.index.add(["f.txt"])
    repo.index.commit("c")
    repo.git.worktree("add", str(base / "linked"))
    assert (base / "linked" / ".git").is_file()
    spec = parse_line("linked", base=base)
    assert spec is not None and spec.kind == "git"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("http://", "host"),
        ("https:///owner/name", "host"),
        ("https://github.com", "repository path"),
        ("https://github.com/", "repository path"),
        ("https://github.com/owner", "GitHub"),
        ("https://github.com/owner/name/tree/main", "GitHub"),
        ("https://host:notaport/x", "malformed"),
        ("ftp://example.org/x.git", "scheme"),
        ("file://", "path"),
        ("git@github.com:", "repository path"),
        ("git@github.com:owner", "GitHub"),
        ("::::", "not a git URL"),
        ("nonsense", "not a git URL"),
        ("a/b/c/d", "not found"),
        ("./nope", "not found"),
        ("../nope/deeper", "not found"),
        ("/definitely/not/here", "not found"),
        ("notes.txt", "not a folder"),
        ("-o/name", "not found"),
        ("owner/na me", "not found"),
        ("owner/\x00name", "control characters"),
        ("https://example.org/" + "b" * (140 * 1024), "characters long"),  # longer than an exec argument
        ("/" + "d/" * 5000, "characters long"),
    ],
)
def test_bad_lines_are_invalid_with_a_readable_error(line: str, message: str, base: Path) -> None:
    spec = parse_line(line, base=base)
    assert spec is not None
    assert spec.kind == "invalid"
    assert spec.error is not None and message in spec.error
    assert spec.source == line.strip()


def test_missing_path_key_is_absolute(base: Path) -> None:
    spec = parse_line("./nope", base=base)
    assert spec is not None and spec.key == str(base / "nope")
    assert spec.error == f"not found: {base / 'nope'}"


def test_read_repo_list_resolves_relative_to_the_list_folder(
    base: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    listing = base / "repos.txt"
    listing.write_text(
        "\ufeff# my repositories\n"
        "\n"
        "owner/name\n"
        "work   # local clone\r\n"
        "https://github.com/a/b.git\n"
        "a/b\n"
        "::::\n"
    )
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    specs = read_repo_list(listing)
    assert [(s.kind, s.key) for s in specs] == [
        ("folder", str(base / "owner" / "name")),
        ("git", str(base / "work")),
        ("remote", "a/b"),
        ("remote", "a/b"),
        ("invalid", "::::"),
    ]
    assert specs[1].source == "work   # local clone"


def test_read_repo_list_with_a_relative_list_path(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (base / "sub").mkdir()
    (base / "sub" / "list.txt").write_text("../work\n")
    monkeypatch.chdir(base)
    [spec] = read_repo_list(Path("sub/list.txt"))
    assert (spec.kind, spec.key) == ("git", str(base / "work"))


def test_mark_duplicates_keeps_every_line(base: Path) -> None:
    lines = ["a/b", "https://github.com/a/b", "git@github.com:a/b.git", "A/B", "::::", "::::", "work", "./work/"]
    specs = [parse_line(line, base=base) for line in lines]
    marked = mark_duplicates([s for s in specs if s is not None])
    assert [dup for _, dup in marked] == [False, True, True, False, False, False, False, True]
    assert [spec.source for spec, _ in marked] == lines


@given(st.text(max_size=60))
def test_parse_line_never_raises(line: str) -> None:
    spec = parse_line(line, base=Path("/nonexistent-list-folder"))
    if spec is not None:
        assert spec.kind in {"remote", "git", "bare", "folder", "invalid"}
        assert (spec.error is None) == (spec.kind != "invalid")
        assert spec.key
