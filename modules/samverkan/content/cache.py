"""The loaded kit, handed from the workshop server to its kernels in a fast form.

Every participant kernel needs the whole kit, and loading it from YAML costs each of them about
0.13 s of CPU (a room of 150 on 2 cores: 10 s of the preparation). ``samverkan serve`` has loaded
the kit already; it writes it once as a pickle in its private state folder (:func:`write`) and
names the file in :data:`CACHE_ENV`. A kernel then reads it back in about 0.01 s (:func:`load_kit`).

The pickle is only a shortcut. It is used when it is ours and current: the file belongs to this
user and no one else may write it or its folder, and its fingerprint matches the kit's files and
this package's content code now. Anything else (no variable, a missing, stale or damaged file, a
pickle made by other code) gives the YAML load, as before; a participant's page never fails
because of the cache.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import stat
import sys
from collections.abc import Iterable
from pathlib import Path

from samverkan.content import loader, paths
from samverkan.content.kit import Kit

CACHE_ENV = "SAMVERKAN_KIT_CACHE"
FORMAT = 1
log = logging.getLogger("samverkan.content.cache")


def fingerprint(root: Path) -> str:
    """What the kit loaded from ``root`` depends on: its content files (name, size, time of the last change),
    this package's content code, the Python version and :data:`FORMAT`."""
    h = hashlib.sha256(f"{FORMAT} {sys.version_info[:3]} {root.resolve()}".encode())
    code = Path(__file__).parent
    for kind, folder, files in (
        ("content", root, loader.content_files(root)),
        ("code", code, sorted(code.glob("*.py"))),
    ):
        for f in files:
            try:
                st = f.stat()
                h.update(f"{kind} {f.relative_to(folder)} {st.st_size} {st.st_mtime_ns}\n".encode())
            except OSError:  # removed meanwhile: a fingerprint no cache has
                h.update(f"{kind} {f.relative_to(folder)} borta\n".encode())
    return h.hexdigest()


def write(kit: Kit, root: Path, path: Path, stamp: str | None = None) -> None:
    """Write ``kit`` (loaded from ``root``, without problems) to ``path`` for the kernels, readable by this user only.

    ``stamp`` is :func:`fingerprint` taken before the kit was loaded (so a file changed meanwhile makes the
    cache stale, not wrong); by default it is taken now. A kit with problems is not written: without
    problems the kit is the same whichever files' problems a caller asks for
    (:func:`samverkan.content.loader.load_kit`'s ``files``), so one file serves them all.
    """
    if kit.problems:
        raise ValueError("a kit with problems is not cached")
    stamp = stamp if stamp is not None else fingerprint(root)
    data = pickle.dumps({"format": FORMAT, "fingerprint": stamp, "kit": kit}, protocol=pickle.HIGHEST_PROTOCOL)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, path)


def _trusted(path: Path) -> bool:
    """Only this user can have written the file: it is a regular file of ours, and neither it nor its
    folder is writable by anyone else (unpickling runs code, so a file someone else could write is never read)."""
    uid = os.getuid()
    for p, regular in ((path, True), (path.parent, False)):
        st = os.lstat(p)
        if st.st_uid != uid or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return False
        if regular and not stat.S_ISREG(st.st_mode):
            return False
    return True


def read(root: Path, path: Path) -> Kit | None:
    """The kit in ``path`` when it is trusted and current for ``root``; None otherwise (never raises)."""
    try:
        if not _trusted(path):
            log.warning("kitets cache %s används inte: andra än servern kan skriva den", path)
            return None
        with open(path, "rb") as f:
            data = pickle.load(f)
        if (
            not isinstance(data, dict)
            or data.get("format") != FORMAT
            or not isinstance(data.get("kit"), Kit)
            or data.get("fingerprint") != fingerprint(root)
        ):
            return None
        return data["kit"]
    except Exception:  # missing, damaged, or made by other code: the YAML load follows
        log.debug("kitets cache %s kunde inte läsas", path, exc_info=True)
        return None


def load_kit(root: Path | None = None, files: Iterable[Path] | None = None) -> Kit:
    """The kit from the server's cache (:data:`CACHE_ENV`) when it is usable, else loaded from YAML
    (:func:`samverkan.content.loader.load_kit` with ``root`` and ``files``)."""
    root = Path(root) if root is not None else paths.kit_root()
    where = os.environ.get(CACHE_ENV, "")
    if where:
        kit = read(root, Path(where))
        if kit is not None:
            return kit
    return loader.load_kit(root, files)
