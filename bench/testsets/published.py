"""The files of a published test set: from a local folder in its Hub layout, or from the Hub itself.

Either way the reader gets a folder and the relative names of the files it needs, and the origin
records those files' hashes (plus the repository and the commit for the Hub), so an import says
exactly what it was made from. The Hub path goes through ``huggingface_hub``'s cache: offline, a
dataset already cached is used, and one that is not is one line naming what to download.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.core.errors import BenchError
from bench.store.io import inside, sha256_file
from bench.testsets.base import Request


@dataclass(frozen=True)
class Published:
    """A folder holding the files a reader asked for, and the origin to record."""

    folder: Path
    origin: dict

    def file(self, name: str) -> Path:
        return inside(self.folder, name)


def fetch(request: Request, names: list[str]) -> Published:
    """The folder of ``path=`` or of the Hub dataset ``repo_id=``, checked to hold ``names``."""
    if bool(request.path) == bool(request.repo_id):
        raise BenchError(f"format={request.format}: give exactly one of path=DIR (a local copy in the "
                         "published layout) and repo_id=ORG/NAME (the Hub dataset)")
    if request.path:
        folder, origin = Path(request.path), {}
        if not folder.is_dir():
            raise BenchError(f"path={folder}: no such folder")
    else:
        folder = _snapshot(request, names)
        origin = {"repo_id": request.repo_id, "revision": folder.name}
    for name in names:
        file = inside(folder, name)
        if not file.is_file():
            where = f"path={folder}" if request.path else f"dataset {request.repo_id}"
            raise BenchError(f"{where}: no {name}; format={request.format} reads the published layout "
                             "(see docs/testsets.md)")
    files = [{"path": name, "sha256": sha256_file(inside(folder, name))} for name in names]
    return Published(folder, {"format": request.format, **origin, "files": files})


def _snapshot(request: Request, names: list[str]) -> Path:
    """The dataset's files in the local Hugging Face cache, downloaded when the Hub answers."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

    from bench.refset.hub import REPO_ID, hub_failure, hub_unreachable

    repo = request.repo_id
    if not REPO_ID.match(repo):
        raise BenchError(f"repo_id={repo}: not a Hub dataset id (ORG/NAME); a local copy is path=DIR")
    why_offline = hub_unreachable()
    try:
        return Path(snapshot_download(repo, repo_type="dataset", revision=request.revision,
                                      allow_patterns=names, local_files_only=why_offline is not None))
    except LocalEntryNotFoundError:
        raise BenchError(
            f"{why_offline or 'the Hub did not answer'} and dataset {repo} ({', '.join(names)}) is not in "
            f"the local Hugging Face cache; on a connected machine run `hf download {repo} "
            f"{' '.join(names)} --repo-type dataset` and copy the cache, or pass path=DIR to a copy in the "
            "same layout") from None
    except RevisionNotFoundError:
        raise BenchError(f"dataset {repo} has no revision '{request.revision}'") from None
    except RepositoryNotFoundError:
        raise BenchError(f"repo_id={repo}: no such dataset on the Hub, or a gated one you have not been "
                         "granted (accept its terms on the Hub, then `hf auth login` or set HF_TOKEN)") \
            from None
    except OSError as exc:
        raise BenchError(f"dataset {repo}: download failed ({hub_failure(exc)})") from None
