"""The kit cache the workshop server hands its kernels (samverkan.content.cache)."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from samverkan.content import cache, loader


def participant_files(root: Path) -> list[Path]:
    """The files participant.prepare() asks for."""
    return (
        sorted(root.glob("exercises/*/ovningar.yaml"))
        + sorted(root.glob("exercises/*/lektion.yaml"))
        + [root / "data" / "kallor.yaml"]
    )


@pytest.fixture
def cached(kit_copy, tmp_path_factory, monkeypatch) -> tuple[Path, Path]:
    """(kit root, cache file) as ``samverkan serve`` writes them: a private folder, CACHE_ENV set."""
    folder = tmp_path_factory.mktemp("state")
    folder.chmod(0o700)
    path = folder / "kit.pickle"
    kit = loader.load_kit(kit_copy)
    assert not kit.problems
    cache.write(kit, kit_copy, path)
    monkeypatch.setenv(cache.CACHE_ENV, str(path))
    return kit_copy, path


def test_the_cached_kit_equals_the_yaml_one(cached, monkeypatch):
    root, path = cached
    from_yaml = loader.load_kit(root, participant_files(root))
    assert cache.read(root, path) == from_yaml
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)

    def no_yaml(*args, **kwargs):
        raise AssertionError("the cache was not used")

    monkeypatch.setattr(loader, "load_kit", no_yaml)
    assert cache.load_kit(root, participant_files(root)) == from_yaml


def test_a_changed_content_file_makes_the_cache_stale(cached):
    root, path = cached
    lesson = root / "exercises" / "03-principer" / "lektion.yaml"
    text = lesson.read_text(encoding="utf-8")
    lesson.write_text(text.replace("schema_version: 1", "schema_version: 1\n# ändrad", 1), encoding="utf-8")
    assert cache.read(root, path) is None
    assert cache.load_kit(root) == loader.load_kit(root)  # the YAML, with the change


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(b"inte en pickle"),
        lambda p: p.write_bytes(p.read_bytes()[:1000]),  # cut short, as by a full disk
        lambda p: p.write_bytes(b""),
        lambda p: p.write_bytes(pickle.dumps({"format": cache.FORMAT, "fingerprint": "x", "kit": None})),
        lambda p: p.write_bytes(pickle.dumps(["något", "annat"])),
        lambda p: p.unlink(),
        lambda p: p.chmod(0o622),  # others may write it
        lambda p: p.parent.chmod(0o777),  # others may replace it
    ],
)
def test_a_damaged_or_foreign_cache_falls_back_to_yaml(cached, damage):
    root, path = cached
    damage(path)
    assert cache.read(root, path) is None
    assert cache.load_kit(root, participant_files(root)) == loader.load_kit(root, participant_files(root))


def test_a_pickle_made_by_other_content_code_is_not_used(cached, monkeypatch):
    root, path = cached
    monkeypatch.setattr(cache, "FORMAT", cache.FORMAT + 1)
    assert cache.read(root, path) is None


def test_a_kit_with_problems_is_not_cached(kit_copy, tmp_path):
    (kit_copy / "data" / "kallor.yaml").write_text("schema_version: 1\nsources: [\n", encoding="utf-8")
    kit = loader.load_kit(kit_copy)
    assert kit.problems
    with pytest.raises(ValueError):
        cache.write(kit, kit_copy, tmp_path / "kit.pickle")
    assert not (tmp_path / "kit.pickle").exists()


def test_without_the_variable_the_kit_is_loaded_from_yaml(kit_copy, monkeypatch):
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    assert cache.load_kit(kit_copy) == loader.load_kit(kit_copy)


def test_a_participant_page_never_fails_because_of_the_cache(cached, monkeypatch):
    """prepare() with a damaged cache loads the YAML and the page is built as before."""
    from samverkan.workshop import participant

    root, path = cached
    path.write_bytes(b"\x80\x05trasig")
    monkeypatch.delenv("SAMVERKAN_DB", raising=False)
    monkeypatch.setattr(participant, "_STATE", {})
    participant.prepare()
    assert participant._STATE["kit"] == loader.load_kit(root, participant_files(root))
    assert os.environ[cache.CACHE_ENV] == str(path)
