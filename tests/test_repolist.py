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


# -- the key of a local clone: written after the path, or its GitHub origin ------


def clone_with_origin(path: Path, url: str | None) -> Path:
    """A real git work tree with one commit and, if given, an `origin` remote."""
    repo = git.Repo.init(path)
    with repo.config_writer() as cw:
        cw.set_value("user", "name", "t").set_value("user", "email", "t@example.com")
    (path / "f.txt").write_text("x\n")
    repo.index.add(["f.txt"])
    repo.index.commit("c")
    if url is not None:
        repo.create_remote("origin", url)
    return path


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://github.com/Acme/App.git", "Acme/App"),
        ("git@github.com:acme/app.git", "acme/app"),
        ("ssh://git@github.com/acme/app", "acme/app"),
    ],
)
def test_a_clone_of_github_is_keyed_by_its_origin(url: str, key: str, tmp_path: Path) -> None:
    clone_with_origin(tmp_path / "clone", url)
    spec = parse_line("clone", base=tmp_path)
    assert spec is not None
    assert (spec.kind, spec.key, spec.location) == ("git", key, str(tmp_path / "clone"))


@pytest.mark.parametrize("url", [None, "https://gitlab.com/acme/app.git", "/srv/mirror/app.git", "not a url"])
def test_a_clone_without_a_github_origin_keeps_its_path(url: str | None, tmp_path: Path) -> None:
    clone_with_origin(tmp_path / "clone", url)
    spec = parse_line("clone", base=tmp_path)
    assert spec is not None and (spec.kind, spec.key) == ("git", str(tmp_path / "clone"))


def test_bare_mirror_and_linked_work_tree_are_keyed_by_origin(tmp_path: Path) -> None:
    work = clone_with_origin(tmp_path / "work", "https://github.com/acme/app")
    git.Repo(work).git.worktree("add", str(tmp_path / "linked"))
    mirror = git.Repo.clone_from(str(work), tmp_path / "mirror.git", mirror=True)
    mirror.git.remote("set-url", "origin", "https://github.com/acme/mirrored.git")
    assert parse_line("linked", base=tmp_path).key == "acme/app"  # type: ignore[union-attr]
    assert parse_line("mirror.git", base=tmp_path).key == "acme/mirrored"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("clone  acme/real-name", "acme/real-name"),
        ("./clone   https://github.com/acme/real-name.git", "acme/real-name"),
        ("clone git@github.com:acme/real-name.git", "acme/real-name"),
        ("clone  https://gitlab.com/group/app.git", "https://gitlab.com/group/app.git"),
        ("clone  acme/real-name   # named by hand", "acme/real-name"),
    ],
)
def test_a_key_written_after_the_path_wins(line: str, key: str, tmp_path: Path) -> None:
    clone_with_origin(tmp_path / "clone", "https://github.com/acme/origin-name")
    spec = parse_line(line, base=tmp_path)
    assert spec is not None
    assert (spec.kind, spec.key, spec.location, spec.source) == ("git", key, str(tmp_path / "clone"), line)


def test_a_plain_folder_can_be_given_a_key(tmp_path: Path) -> None:
    (tmp_path / "snapshot dir").mkdir()
    spec = parse_line("snapshot dir  acme/app", base=tmp_path)
    assert spec is not None and (spec.kind, spec.key) == ("folder", "acme/app")
    alone = parse_line("snapshot dir", base=tmp_path)  # an existing path with a space is a path
    assert alone is not None and (alone.kind, alone.key) == ("folder", str(tmp_path / "snapshot dir"))


def test_path_and_key_lines_that_are_wrong(tmp_path: Path) -> None:
    missing = parse_line("./gone  acme/app", base=tmp_path)
    assert missing is not None and missing.kind == "invalid" and missing.error == f"not found: {tmp_path / 'gone'}"
    (tmp_path / "clone").mkdir()
    not_a_key = parse_line("clone  not-a-key", base=tmp_path)
    assert not_a_key is not None and not_a_key.kind == "invalid"


def test_two_lines_with_the_same_key_are_duplicates(tmp_path: Path) -> None:
    clone_with_origin(tmp_path / "clone", "https://github.com/acme/app")
    (tmp_path / "listing.txt").write_text("acme/app\nclone\n")
    marked = mark_duplicates(read_repo_list(tmp_path / "listing.txt"))
    assert [(s.key, s.kind, dup) for s, dup in marked] == [("acme/app", "remote", False), ("acme/app", "git", True)]


def test_a_broken_config_means_no_key(tmp_path: Path) -> None:
    clone_with_origin(tmp_path / "clone", "https://github.com/acme/app")
    (tmp_path / "clone" / ".git" / "config").write_bytes(b"[remote \"origin\"\n\x00\xff garbage")
    spec = parse_line("clone", base=tmp_path)
    assert spec is not None and spec.key == str(tmp_path / "clone")
