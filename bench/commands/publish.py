"""``python -m bench publish``: the reference set as a Hugging Face dataset, written locally or uploaded.

The repository folder (card, one parquet file per pair, LICENSE.md for custom terms, the build report)
is always built locally first, from ``references/`` alone, so a dry run shows byte for byte what an
upload sends. An upload checks everything that can fail fast (offline mode, missing token, unreachable
Hub, rejected token) before building anything, and answers within seconds with one line instead of
the libraries' retries. The token is handed to ``HfApi`` and nowhere else: never printed, logged or
written.

A local export never leaves ``export_dir`` empty or half-written: the new export is built in a sibling
folder and swapped in only when complete (in one atomic exchange where the file system has one, so a
kill at any moment leaves the previous export or the new one), and everything that can be refused (a
file, a symbolic link, a folder holding other files, read-only places, the file-system root) is
refused before anything is touched. A full disk is one line, whether the export goes to
``export_dir`` or to the temporary folder an upload is built in.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from bench.core.console import first_line
from bench.core.errors import BenchError
from bench.refset import card
from bench.refset.hub import REPO_ID, SPLIT, hub_failure, hub_unreachable, write_pair
from bench.refset.store import LocalReferences
from bench.store.io import atomic_write_text, inside, read_text, sweep_stale_temp, temp_prefix

if TYPE_CHECKING:
    from huggingface_hub import HfApi

log = logging.getLogger("bench.publish")

CARD = "README.md"
# Files an export writes beside the parquet files; on upload, the ones this export lacks are deleted.
OPTIONAL_FILES = [card.LICENSE_FILE, card.REPORT_FILE]
# What an export folder may already hold; anything else means it is not ours to replace.
EXPORT_FILE = re.compile(
    rf"^(?:{'|'.join(re.escape(n) for n in [CARD, *OPTIONAL_FILES])}|[^/]+/{SPLIT}-[^/]+\.parquet)$"
)
LICENSE_ID = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


def card_options(cfg: DictConfig) -> card.CardOptions:
    if OmegaConf.is_missing(cfg, "repo_id"):
        raise BenchError("repo_id is required: python -m bench publish repo_id=ORG/NAME")
    repo_id = str(cfg.repo_id)
    if not REPO_ID.match(repo_id):
        raise BenchError(f"repo_id={repo_id} is not a Hub dataset id; write it as ORG/NAME")
    options = card.CardOptions(
        repo_id=repo_id, license=str(cfg.license), license_name=cfg.license_name,
        license_details=cfg.license_details, pretty_name=cfg.pretty_name, author=cfg.author,
    )
    if not LICENSE_ID.match(options.license):
        raise BenchError(
            f"license={options.license} is not a Hub license id (lowercase, e.g. cc-by-4.0 or other)"
        )
    if options.custom_license:
        if not (options.license_name and LICENSE_ID.match(options.license_name)):
            raise BenchError("license=other needs license_name=NAME (lowercase letters, digits, '.', '-')")
        if not (options.license_details or "").strip():
            raise BenchError("license=other needs license_details=TEXT explaining the terms")
    return options


def export(refs: LocalReferences, folder: Path, options: card.CardOptions) -> dict[str, int]:
    """Write the repository into the empty ``folder``; return rows per pair."""
    pairs = []
    for pair in refs.pairs():
        segments = refs.load(pair)
        if not segments:
            raise BenchError(f"{refs.path / pair}.jsonl: no rows; rebuild with `python -m bench build`")
        pairs.append(card.PairData(pair, segments, write_pair(segments, pair, folder)))
    if not pairs:
        raise BenchError(f"{refs.path}: the manifest lists no pairs; nothing to publish")
    report = inside(refs.path, card.REPORT_FILE)  # a link out would publish whatever it points to
    build = card.BuildRecord(refs.manifest().record, read_text(report) if report.is_file() else None)
    atomic_write_text(folder / CARD, card.render(options, pairs, build))
    if build.report is not None:
        atomic_write_text(folder / card.REPORT_FILE, build.report)
    if options.custom_license:
        atomic_write_text(folder / card.LICENSE_FILE, card.license_text(options))
    return {p.pair: len(p.segments) for p in pairs}


def check_replaceable(target: Path) -> None:
    """Refuse, before anything is written, every ``export_dir`` an export cannot safely replace."""
    if target.is_symlink():
        raise BenchError(f"export_dir={target} is a symbolic link; name the folder itself "
                         "(bench does not replace a link, nor write where it points)")
    if not target.absolute().parents:
        raise BenchError(f"export_dir={target} is the file-system root; choose a folder for the export")
    parent = next(p for p in target.absolute().parents if p.exists())
    if not parent.is_dir():
        raise BenchError(f"export_dir={target}: {parent} is a file, not a folder; choose another place")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise BenchError(f"export_dir={target}: {parent} is not writable; make it writable or choose "
                         "another place")
    if not target.exists():
        return
    if not target.is_dir():
        raise BenchError(f"export_dir={target} is a file; export_dir must be a folder")
    foreign = foreign_entries(target)
    if foreign:
        raise BenchError(
            f"export_dir={target} holds {foreign[0]}, which is not part of a dataset export; "
            "choose a new or empty folder for export_dir"
        )
    folders = [target, *(p for p in target.rglob("*") if p.is_dir() and not p.is_symlink())]
    locked = [p for p in folders if not os.access(p, os.W_OK | os.X_OK)]
    if locked:
        raise BenchError(f"export_dir={target}: {locked[0]} is read-only, so the previous export cannot "
                         "be replaced; make it writable or choose another folder")


def foreign_entries(target: Path) -> list[str]:
    """What in ``target`` an export never writes: other files, and symbolic links of any name."""
    found = []
    for path in sorted(target.rglob("*")):  # rglob does not descend into linked folders
        name = path.relative_to(target).as_posix()
        if path.is_symlink():
            found.append(f"{name} (a symbolic link)")
        elif not path.is_dir() and not EXPORT_FILE.match(name):
            found.append(name)
    return found


def export_to(refs: LocalReferences, target: Path, options: card.CardOptions) -> dict[str, int]:
    """Export into a fresh sibling folder, then swap it in: ``target`` never holds a mix of two exports,
    and holds the previous one whenever the new one fails. Folders made on the way to ``target`` are
    removed again when the export fails (``dist/hub/ORG`` for a dry run of a reference set that
    cannot be read)."""
    check_replaceable(target)
    made = [p for p in [target.parent, *target.parent.parents] if not p.exists()]
    try:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            sweep_stale_temp(target.parent)  # staging folders of a publish that was killed
            staged = Path(tempfile.mkdtemp(prefix=temp_prefix(target.name), suffix=".tmp", dir=target.parent))
        except OSError as exc:
            raise BenchError(f"export_dir={target}: cannot write in {target.parent} ({exc.strerror}); "
                             "choose another place") from None
        try:
            staged.chmod(0o755)
            rows = export_into(refs, staged, options, f"export_dir={target}")
            swap_in(staged, target)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
    except BaseException:
        for folder in made:  # innermost first; only while empty, so nothing of anyone's is removed
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    return rows


def export_into(refs: LocalReferences, folder: Path, options: card.CardOptions, where: str) -> dict[str, int]:
    """:func:`export`, with a disk that fills up (or any refusal to write) as one line naming ``where``;
    the caller removes the half-built ``folder``."""
    try:
        return export(refs, folder, options)
    except OSError as exc:
        why = exc.strerror or first_line(exc)
        hint = "free some space" if exc.errno == errno.ENOSPC else "check the folder"
        raise BenchError(f"{where}: cannot write the export in {folder.parent} ({why}); {hint} "
                         "and publish again (nothing was changed)") from None


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where the system or
    file system has no such call, so the caller falls back to two renames."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def swap_in(staged: Path, target: Path) -> None:
    """Put ``staged`` in place of ``target`` and remove the previous export after.

    Where the system can exchange two folders atomically, that is one step: a kill leaves the old
    export or the new one in ``target``, and the other under the staged name, which the next publish
    removes. Elsewhere there are two renames, and if the second fails the previous export is put back.
    """
    retired = staged.with_name(staged.name.removesuffix(".tmp") + "_old.tmp")
    try:
        if not target.exists():
            staged.rename(target)
            return
        if exchange(staged, target):
            retired = staged
        else:
            target.rename(retired)
            try:
                staged.rename(target)
            except OSError:
                retired.rename(target)
                raise
    except OSError as exc:
        raise BenchError(f"export_dir={target}: cannot move the new export into place ({exc.strerror}); "
                         "export_dir is as it was; make it writable or choose another folder") from None
    try:
        shutil.rmtree(retired)
    except OSError as exc:
        log.warning("exported to %s, but the previous export could not be removed from %s (%s); "
                    "remove it by hand", target, retired, exc.strerror)


def connect() -> HfApi:
    """An authenticated client, or one line saying why there cannot be one right now."""
    from huggingface_hub import HfApi, constants, get_token

    local = "or write the dataset locally with dry_run=true or export_dir=DIR"
    if constants.HF_HUB_OFFLINE:
        raise BenchError(f"HF_HUB_OFFLINE=1 is set, so nothing can be uploaded; unset it, {local}")
    token = get_token()
    if not token:
        raise BenchError(f"no Hugging Face token: set HF_TOKEN or run `hf auth login`, {local}")
    why = hub_unreachable()
    if why:
        raise BenchError(f"{why}; check the connection (and HF_ENDPOINT), {local}")
    api = HfApi(token=token)
    try:
        with hub_answers("checking the token"):
            user = api.whoami()
    except OSError as exc:  # requests' and huggingface_hub's HTTP errors are OSErrors
        raise BenchError(
            f"the Hub did not accept the token ({hub_failure(exc)}); set a valid HF_TOKEN or run "
            f"`hf auth login`, {local}"
        ) from None
    log.info("uploading as %s", user.get("name", "?") if isinstance(user, dict) else "?")
    return api


@contextlib.contextmanager
def hub_answers(doing: str) -> Iterator[None]:
    """An answer huggingface_hub cannot read (a JSON object without the ``url`` it expects, say: a
    server at HF_ENDPOINT that is not the Hub) as one line naming the endpoint, not a traceback."""
    from huggingface_hub import constants

    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, OSError):  # requests' JSON errors are both; they are HTTP failures
            raise
        raise BenchError(f"{doing}: {constants.ENDPOINT} answered in a form huggingface_hub cannot read "
                         f"({type(exc).__name__}: {first_line(exc)}); check HF_ENDPOINT") from None


def upload(api: HfApi, folder: Path, repo_id: str, private: bool, rows: dict[str, int]) -> tuple[str, str]:
    """Create the dataset repository if needed and commit ``folder`` to it; return (url, commit oid).

    Parquet files, LICENSE.md and the build report that the new export no longer has are deleted in
    the same commit, so the repository holds exactly one export.
    """
    message = f"bench publish: {describe(rows)}"
    try:
        with hub_answers(f"uploading to {repo_id}"):
            url = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
            if private:
                api.update_repo_settings(repo_id, private=True, repo_type="dataset")
            commit = api.upload_folder(
                repo_id=repo_id, folder_path=folder, repo_type="dataset", commit_message=message,
                delete_patterns=["*.parquet", *OPTIONAL_FILES],
            )
            oid = str(commit.oid)
    except OSError as exc:
        raise BenchError(f"uploading to {repo_id} failed ({hub_failure(exc)})") from None
    return str(url), oid


def describe(rows: dict[str, int]) -> str:
    return ", ".join(f"{pair} ({n} rows)" for pair, n in rows.items())


def main(cfg: DictConfig) -> None:
    options = card_options(cfg)
    refs = instantiate(cfg.dataset)
    if not isinstance(refs, LocalReferences):
        raise BenchError("publish exports a local reference set (dataset=local, dataset.path=DIR), "
                         "not one read from the Hub")
    target = cfg.export_dir or (cfg.dry_run_dir if cfg.dry_run else None)
    if target is not None:
        rows = export_to(refs, Path(target), options)
        print(f"wrote {target}: {describe(rows)}; nothing uploaded")
        return
    api = connect()
    sweep_stale_temp(tempfile.gettempdir())  # the upload folders of a publish that was killed
    with tempfile.TemporaryDirectory(prefix=temp_prefix("bench-publish"), suffix=".tmp") as folder:
        rows = export_into(refs, Path(folder), options, f"repo_id={options.repo_id}")
        url, oid = upload(api, Path(folder), options.repo_id, bool(cfg.private), rows)
    print(f"published {describe(rows)} to {url}")
    print(f"revision {oid}")
