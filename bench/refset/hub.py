"""The reference set as a Hugging Face dataset: the row schema both ways, and :class:`HubReferences`.

A pair is one dataset config (``zh-kk``) with one split, ``test``, stored as
``<pair>/test-00000-of-00001.parquet`` (the layout ``push_to_hub`` uses). The texts travel in the
conventional ``translation`` column (``{"zh": ..., "kk": ...}``) so generic MT tooling reads the set
as is; the other :class:`Segment` fields are plain columns. Converting a segment to a record and back
is lossless, so a set loaded from the Hub hashes exactly like the local file it was exported from,
and the leaderboard sees runs on either as runs on the same test set.

A downloaded dataset is someone else's files, and its config names become file names. So
:class:`HubReferences` reads only the layout ``publish`` writes: the card's ``configs`` must list valid
pairs, each with its one parquet file; the files must stay inside the dataset folder; every row is
checked field by field. Anything else is one line naming the file, never a traceback.

``datasets`` and ``pyarrow`` are imported inside functions: ``python -m bench run`` with the default
local test set never pays for them.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from bench.core.errors import BenchError
from bench.core.pair import Pair
from bench.refset.store import Segment, canonical_sha256
from bench.store.io import inside, read_text

if TYPE_CHECKING:
    from datasets import Dataset, DatasetInfo, Features
    from pyarrow import Array, RecordBatch
    from pyarrow.parquet import ParquetFile

log = logging.getLogger(__name__)

SPLIT = "test"
CARD = "README.md"
#: the YAML block at the top of a dataset card
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
# Columns after ``translation``, in Segment field order; src/ref/src_lang/tgt_lang live in translation.
PLAIN_COLUMNS = ("kind", "date", "source", "bead")
#: ORG/NAME as the Hub allows them: each starts with a letter or digit and ends with a word character,
#: no ".." or "--" (``a/..`` would make dry_run_dir a folder above dist/hub/)
REPO_ID = re.compile(r"^(?!.*(?:\.\.|--))[A-Za-z0-9](?:[\w.-]*\w)?/[A-Za-z0-9](?:[\w.-]*\w)?$")
# Seconds to wait for the Hub before declaring it unreachable; a user waiting on an error should not
# sit through the libraries' own retries (tens of seconds).
PROBE_TIMEOUT_S = 5.0


def data_file(pair: str) -> str:
    """Path of a pair's parquet file inside the dataset repository."""
    return f"{pair}/{SPLIT}-00000-of-00001.parquet"


def features(pair: str, several: bool = False) -> Features:
    """The columns of a pair; ``several``: a ``more_refs`` column holds the second and later references."""
    from datasets import Features, Sequence, Translation, Value

    src, tgt = Pair(pair).langs
    return Features({
        "id": Value("string"),
        "doc_id": Value("string"),
        "seg": Value("int32"),
        "translation": Translation(languages=[src, tgt]),
        **{name: Value("string") for name in PLAIN_COLUMNS},
        **({"more_refs": Sequence(Value("string"))} if several else {}),
    })


def to_record(segment: Segment, several: bool = False) -> dict:
    return {
        "id": segment.id,
        "doc_id": segment.doc_id,
        "seg": segment.seg,
        "translation": {segment.src_lang: segment.src, segment.tgt_lang: segment.ref},
        **{name: getattr(segment, name) for name in PLAIN_COLUMNS},
        **({"more_refs": list(segment.more_refs)} if several else {}),
    }


def to_segment(record: dict, pair: str, where: str = "record") -> Segment:
    """The segment of a record, checked field by field (records come from other people's files)."""
    src, tgt = Pair(pair).langs
    text = record.get("translation")
    if not isinstance(text, dict) or src not in text or tgt not in text:
        raise BenchError(f"{where}: no translation column with {src} and {tgt}; {REFETCH}")
    row = {name: record[name] for name in ("id", "doc_id", "seg", *PLAIN_COLUMNS) if name in record}
    if record.get("more_refs"):  # absent, or empty for a segment with one reference
        row["more_refs"] = record["more_refs"]
    return Segment.from_row({**row, "src_lang": src, "tgt_lang": tgt, "src": text[src], "ref": text[tgt]},
                            where)


REFETCH = "download the dataset again, or re-export it with `python -m bench publish ... export_dir=DIR`"


def card_pairs(folder: Path) -> list[Pair]:
    """The pairs a dataset card lists, refused unless each is a valid pair stored where ``publish``
    stores it (so no config name or data path from the card can point anywhere else)."""
    file = inside(folder, CARD)
    if not file.is_file():
        raise BenchError(f"{file}: no dataset card; {REFETCH}")
    match = FRONT_MATTER.match(read_text(file))
    try:
        meta = yaml.safe_load(match.group(1)) if match else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 2}" if mark else ""
        raise BenchError(f"{file}: the card's metadata is not valid YAML{at}; {REFETCH}") from None
    configs = meta.get("configs") if isinstance(meta, dict) else None
    if not isinstance(configs, list) or not configs:
        raise BenchError(f"{file}: the card lists no configs (one per language pair); {REFETCH}")
    pairs = []
    for config in configs:
        name = config.get("config_name") if isinstance(config, dict) else None
        pair = Pair(name, f"{file}: config_name")
        if config.get("data_files") != [{"split": SPLIT, "path": data_file(pair)}]:
            raise BenchError(f"{file}: config {pair} must have one {SPLIT} split at {data_file(pair)}; "
                             f"{REFETCH}")
        pairs.append(pair)
    return sorted(pairs)


def read_records(file: Path, columns: Collection[str] | None = None) -> list[dict]:
    """The rows of a parquet file from someone else (only ``columns``, when given), or one line saying
    it is not one to read.

    Parquet compresses well enough to be a bomb: one long string stored once in a column's
    dictionary decodes into every row that points at it (a 20 KB file held 3 GB). So the footer's
    row count, column types and uncompressed sizes are checked first, strings stay
    dictionary-encoded while they are read, and the text they decode to is counted batch by batch
    against :data:`MAX_DECODED_BYTES` before it is decoded."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not file.is_file():
        raise BenchError(f"{file}: listed in the dataset card but missing; {REFETCH}")
    try:
        chosen, strings = _checked_columns(pq.ParquetFile(file), columns, file)
        rows, decoded = [], 0
        for batch in pq.ParquetFile(file, read_dictionary=strings).iter_batches(BATCH_ROWS, columns=chosen):
            decoded += _decoded_bytes(batch)
            if decoded > MAX_DECODED_BYTES:
                raise BenchError(f"{file}: its text decodes to more than {MAX_DECODED_BYTES} bytes (a long "
                                 f"value repeated in many rows?); {REFETCH}")
            rows.extend(batch.to_pylist())
        return rows
    except MemoryError:
        raise BenchError(f"{file}: not enough memory to read it; {REFETCH}") from None
    except (OSError, ValueError, pa.ArrowException) as exc:  # ArrowInvalid is a ValueError
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BenchError(f"{file}: not a readable parquet file ({reason}); {REFETCH}") from None


MAX_ROWS = 1_000_000  # rows of one file; a test set has thousands
MAX_DECODED_BYTES = 512 << 20  # its text once decoded (a million rows of 500 bytes)
BATCH_ROWS = 4096  # rows decoded at a time
# What a test set's columns hold: strings and numbers, in a struct (translation) or a list (more_refs).
LEAF_TYPES = {"BYTE_ARRAY", "INT32", "INT64", "FLOAT", "DOUBLE", "BOOLEAN"}
MAX_DEPTH = 3  # more_refs.list.element


def _checked_columns(parquet: ParquetFile, columns: Collection[str] | None, file: Path
                     ) -> tuple[list[str], list[str]]:
    """The columns to read (``columns`` present in the file, or all) and the string leaves to keep
    dictionary-encoded, once the footer shows a row count, leaf types and uncompressed sizes (of every
    column, read or not) a test set can have; the values are checked by whoever reads the rows."""
    meta = parquet.metadata
    if meta.num_rows > MAX_ROWS:
        raise BenchError(f"{file}: {meta.num_rows} rows, more than the {MAX_ROWS} of a test set; {REFETCH}")
    chunks = [meta.row_group(group).column(k) for group in range(meta.num_row_groups)
              for k in range(meta.num_columns)]
    for chunk in chunks:
        if chunk.physical_type not in LEAF_TYPES or chunk.path_in_schema.count(".") >= MAX_DEPTH:
            raise BenchError(f"{file}: column {chunk.path_in_schema} holds {chunk.physical_type}, not "
                             f"strings or numbers at most {MAX_DEPTH} levels deep; {REFETCH}")
    size = sum(chunk.total_uncompressed_size for chunk in chunks)
    if size > MAX_DECODED_BYTES:
        raise BenchError(f"{file}: {size} bytes uncompressed, more than {MAX_DECODED_BYTES}; {REFETCH}")
    chosen = [name for name in parquet.schema_arrow.names if columns is None or name in columns]
    return chosen, sorted({chunk.path_in_schema for chunk in chunks if chunk.physical_type == "BYTE_ARRAY"})


def _decoded_bytes(data: RecordBatch | Array) -> int:
    """Bytes of text ``data`` holds once its dictionary-encoded strings are decoded."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(data, pa.RecordBatch):
        return sum(_decoded_bytes(column) for column in data.columns)
    if pa.types.is_dictionary(data.type):
        return int(pc.sum(pc.take(pc.binary_length(data.dictionary), data.indices)).as_py() or 0)
    if pa.types.is_struct(data.type):
        return sum(_decoded_bytes(child) for child in data.flatten())
    if pa.types.is_map(data.type):
        return _decoded_bytes(data.keys) + _decoded_bytes(data.items)
    if any(is_list(data.type) for is_list in (pa.types.is_list, pa.types.is_large_list,
                                              pa.types.is_fixed_size_list)):
        return _decoded_bytes(data.flatten())
    return data.nbytes


@contextlib.contextmanager
def quiet_progress() -> Iterator[None]:
    """Silence ``datasets``' progress bars for a few tiny files, restoring the caller's setting."""
    from datasets.utils.tqdm import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

    was_disabled = are_progress_bars_disabled()
    disable_progress_bars()
    try:
        yield
    finally:
        if not was_disabled:
            enable_progress_bars()


def to_dataset(segments: list[Segment], pair: str) -> Dataset:
    from datasets import Dataset

    mismatched = [s.id for s in segments if s.pair != pair]
    if mismatched:
        raise BenchError(
            f"{pair}: rows {', '.join(mismatched[:3])} belong to another pair; rebuild the references"
        )
    several = any(s.more_refs for s in segments)
    return Dataset.from_list([to_record(s, several) for s in segments], features=features(pair, several),
                             split=SPLIT)


def write_pair(segments: list[Segment], pair: str, folder: Path) -> DatasetInfo:
    """Write one pair's parquet file under ``folder``; return its info for the card's ``dataset_info``.

    The sizes are computed as ``push_to_hub`` computes them, so the card reads as if it had made it.
    """
    from datasets import DatasetInfo, SplitDict, SplitInfo

    dataset = to_dataset(segments, pair)
    path = inside(folder, data_file(Pair(pair)))
    path.parent.mkdir(parents=True, exist_ok=True)
    with quiet_progress():
        dataset.to_parquet(str(path))
    nbytes = dataset.data.nbytes
    splits = SplitDict()
    splits.add(SplitInfo(name=SPLIT, num_bytes=nbytes, num_examples=len(dataset)))
    download_size = path.stat().st_size
    return DatasetInfo(
        config_name=pair, features=dataset.features, splits=splits, download_size=download_size,
        dataset_size=nbytes, size_in_bytes=download_size + nbytes,
    )


def hub_unreachable(timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """Why the Hub cannot be used right now (offline mode, no connection), or None if it answers."""
    from huggingface_hub import constants
    from huggingface_hub.utils import get_session

    if constants.HF_HUB_OFFLINE:
        return "HF_HUB_OFFLINE=1 is set"
    try:
        get_session().head(constants.ENDPOINT, timeout=timeout, allow_redirects=False)
    except OSError as exc:  # requests' exceptions are OSErrors
        return f"cannot reach {constants.ENDPOINT} ({type(exc).__name__})"
    return None


def hub_failure(exc: OSError) -> str:
    """What went wrong talking to the Hub, for a one-line error. Only the status and the server's
    own message are shown: the request, which carries the token, never is."""
    response = getattr(exc, "response", None)
    if response is None:
        return f"no answer: {type(exc).__name__}"
    message = getattr(exc, "server_message", None)
    return f"HTTP {response.status_code}" + (f": {message}" if message else "")


class HubReferences:
    """A published reference set: a Hub dataset ``ORG/NAME`` (at ``revision``) or a local export folder.

    The repository is fetched whole (a few small files) with ``snapshot_download`` and then read from
    that folder, so the Hub, the Hub cache and an export folder all go through one code path, and the
    offline case is decided up front (cache or one clear error) instead of after the libraries'
    retries. The parquet files are read with ``pyarrow`` directly, not ``datasets.load_dataset``: what
    is read is exactly the file :func:`card_pairs` checked, with no data path from the card and no
    stale copy from the ``datasets`` cache.
    """

    def __init__(self, repo_id: str, revision: str | None = None) -> None:
        self.repo_id = repo_id
        self.revision = revision
        self.name = f"hub:{repo_id}" + (f"@{revision}" if revision else "")
        self._folder: Path | None = None
        self._segments: dict[str, list[Segment]] = {}

    def folder(self) -> Path:
        if self._folder is None:
            self._folder = self._resolve()
        return self._folder

    def _resolve(self) -> Path:
        local = Path(self.repo_id).expanduser()
        if local.is_dir():
            if self.revision:
                raise BenchError(
                    f"dataset.revision={self.revision} applies to Hub datasets; {local} is a local folder"
                )
            return local
        if not REPO_ID.match(self.repo_id):
            raise BenchError(
                f"dataset.repo_id={self.repo_id} is neither a folder nor a Hub dataset id (ORG/NAME)"
            )
        return self._snapshot()

    def _snapshot(self) -> Path:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import (
            LocalEntryNotFoundError,
            RepositoryNotFoundError,
            RevisionNotFoundError,
        )

        why_offline = hub_unreachable()
        try:
            path = snapshot_download(
                self.repo_id, repo_type="dataset", revision=self.revision,
                allow_patterns=["README.md", "*.parquet"], local_files_only=why_offline is not None,
            )
        except LocalEntryNotFoundError:
            raise BenchError(
                f"{why_offline or 'the Hub did not answer'} and dataset {self.repo_id}"
                f"{'@' + self.revision if self.revision else ''} is not in the local Hugging Face cache; "
                "go online once to cache it, or export it with `python -m bench publish repo_id=... "
                "export_dir=DIR` and use dataset.repo_id=DIR"
            ) from None
        except RevisionNotFoundError:
            raise BenchError(f"dataset {self.repo_id} has no revision '{self.revision}'") from None
        except RepositoryNotFoundError:
            raise BenchError(
                f"dataset.repo_id={self.repo_id} is no local folder and no dataset on the Hub (if it is "
                "private, log in with `hf auth login` or set HF_TOKEN)"
            ) from None
        except OSError as exc:  # other HTTP errors, a connection lost half-way
            raise BenchError(f"dataset {self.repo_id}: download failed ({hub_failure(exc)})") from None
        log.info("reference set %s: %s", self.name, path)
        return Path(path)

    def pairs(self) -> list[Pair]:
        return card_pairs(self.folder())

    def load(self, pair: str) -> list[Segment]:
        if pair not in self._segments:
            self._segments[pair] = self._read(pair)
        return self._segments[pair]

    def _read(self, pair: str) -> list[Segment]:
        known = self.pairs()
        if pair not in known:
            raise BenchError(f"{self.name}: no pair '{pair}'; available: {', '.join(known)}")
        file = inside(self.folder(), data_file(Pair(pair)))
        records = read_records(file, features(pair, several=True))
        return [to_segment(record, pair, f"{file} row {i}") for i, record in enumerate(records)]

    def sha256(self, pair: str) -> str:
        """Hash of the rows in the builder's JSONL form: equal to the local file's when the data is."""
        return canonical_sha256(self.load(pair))
