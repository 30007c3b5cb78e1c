"""Strict settings: a key that no command, system or metric reads is refused in one line that names the
closest valid key, instead of being carried silently (``+device=cuda``) or failing later as a
constructor's ``TypeError`` (``+model.batch_size=8``).

Which keys are valid comes from the code and configs themselves: a primary config's own keys and
config groups, and for every node with a ``_target_`` the parameters its class accepts (walked up
the ``**options`` chain of ``__init__`` methods). Nothing is listed twice by hand.

Values are checked here too (:func:`check_values`), for every command and plug-in at once: a yes/no
setting is any key whose shipped default is true or false, and takes only yes/no
(:func:`bench.core.checks.flag`, which also turns ``record_check=no`` into false for the code that
reads it); a path setting may not be empty; the choice settings that no constructor checks are in
:data:`CHOICES`.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from bench.core.checks import choice, flag, path_text
from bench.core.errors import BenchError

#: groups whose chosen node(s) are ``_target_`` nodes; ``metric`` holds one node per chosen metric
TARGET_GROUPS = ("model", "dataset")
#: keys of a group's node that ``run`` reads itself instead of passing them to the target
RUN_READS = {"model": ("baseline",)}
MANY = ("metric",)


def closest(key: str, valid: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(key, sorted(valid), n=1, cutoff=0.6)
    return found[0] if found else None


def unknown(prefix: str, key: str, valid: Iterable[str], owner: str) -> BenchError:
    """The one-line refusal: the key, what would have been meant, and where to see all of them."""
    valid = sorted(valid)
    near = closest(key, valid)
    hint = f"did you mean {prefix}{near}?" if near else f"valid: {', '.join(prefix + v for v in valid)}"
    return BenchError(f"{prefix}{key}: not a setting of {owner}; {hint}")


def accepted(target: str) -> set[str] | None:
    """Keyword parameters ``target``'s class (or function) accepts; None if it takes any (``**kw``
    that reaches a class which does not say what it reads)."""
    from hydra.utils import get_object

    obj = get_object(target)
    if not inspect.isclass(obj):
        return _parameters(obj)[0]
    names: set[str] = set()
    for klass in obj.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass is object:
            continue
        params, open_ended = _parameters(init)
        names |= params
        if not open_ended:
            return names
    return None


def _parameters(fn: Any) -> tuple[set[str], bool]:
    params = inspect.signature(fn).parameters.values()
    named = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)} - {"self"}
    return named, any(p.kind is p.VAR_KEYWORD for p in params)


def check_node(node: Any, prefix: str, owner: str, extra: Iterable[str] = ()) -> None:
    """Every key of a ``_target_`` node is a parameter of its target, and the values in
    :data:`PLUGIN_VALUES` are valid."""
    if not isinstance(node, DictConfig) or "_target_" not in node:
        return
    valid = accepted(str(node._target_))
    if valid is not None:
        valid |= set(extra)
        for key in node:
            if not str(key).startswith("_") and key not in valid:
                raise unknown(prefix, str(key), valid, owner)
    check_plugin_values(node, prefix)


def primary_keys(config_dir: Any, command: str) -> set[str]:
    """The keys ``configs/<command>.yaml`` defines, and the config groups of its defaults list."""
    raw = OmegaConf.load(config_dir / f"{command}.yaml")
    keys = {str(k) for k in raw if k != "defaults"}
    for item in raw.get("defaults", []):
        if isinstance(item, DictConfig):  # a group choice; ``override hydra/...`` is Hydra's own
            keys |= {str(k) for k in item if not str(k).startswith("override ")}
    return keys | {"hydra"}


def check_config(config_dir: Any, command: str, cfg: DictConfig) -> None:
    """Refuse any key of the composed ``cfg`` that nothing reads (see the module docstring)."""
    valid = primary_keys(config_dir, command)
    for key in cfg:
        if key not in valid:
            raise unknown("", str(key), valid - {"hydra"}, f"`bench {command}`")
    choices = _choices()
    for group in TARGET_GROUPS:
        if group in cfg:
            check_node(cfg[group], f"{group}.", f"{group}={choices.get(group, group)}",
                       extra=RUN_READS.get(group, ()))
    for group in MANY:
        for name, node in (cfg.get(group) or {}).items():
            check_node(node, f"{group}.{name}.", f"{group}={name}", extra={"name"})
    check_values(config_dir, command, cfg, choices)


def _choices() -> dict[str, str]:
    """The chosen option of each config group (``model=copy``), for messages."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return {}
    return {k: str(v) for k, v in HydraConfig.get().runtime.choices.items()}


def not_in_struct(command: str, key: str, overrides: list[str]) -> str | None:
    """The line for Hydra's "Could not override 'model.batch_size'": the valid keys of that node come
    from composing the same command without the offending override."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from bench.core.configs import CONFIG_DIR

    rest = [o for o in overrides if "=" in o and o.split("=", 1)[0].lstrip("+~") != key]
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
            cfg = compose(command, overrides=rest)
    except Exception:  # the original error is reported instead
        return None
    finally:
        GlobalHydra.instance().clear()
    parent, _, leaf = key.rpartition(".")
    node = OmegaConf.select(cfg, parent) if parent else cfg
    if not isinstance(node, DictConfig):
        return None
    valid = {str(k) for k in node if not str(k).startswith("_")} - {"hydra"}
    if "_target_" in node:
        valid |= accepted(str(node._target_)) or set()
    owner = parent or f"`bench {command}`"
    return str(unknown(f"{parent}." if parent else "", leaf, valid, owner))


# --- values ---------------------------------------------------------------------------------------

def _languages() -> list[str]:
    from bench.core.languages import LANGUAGES

    return list(LANGUAGES)


def _embeddings() -> tuple[Any, ...]:
    return ("auto", True, False)


def off_target_metrics() -> list[str]:
    """The shipped metrics that measure off-target output: a share that flags a system must be one."""
    from hydra.utils import get_object

    from bench.core.configs import CONFIG_DIR, shipped
    from bench.metrics.offtarget import OffTarget

    return [name for name in shipped("metric")
            if issubclass(get_object(str(OmegaConf.load(CONFIG_DIR / "metric" / f"{name}.yaml")._target_)),
                          OffTarget)]


def _significance_methods() -> tuple[str, ...]:
    from bench.metrics.significance import METHODS

    return tuple(METHODS)


def _corrections() -> tuple[str, ...]:
    from bench.board.ranking import CORRECTIONS

    return tuple(CORRECTIONS)


#: the Hub's license ids for a card's ``license:`` (https://huggingface.co/docs/hub/repositories-licenses);
#: the Hub shows any other id as no license at all. Terms of one's own are ``other`` with a license_name.
HUB_LICENSES = (
    "apache-2.0", "mit", "openrail", "bigscience-openrail-m", "creativeml-openrail-m",
    "bigscience-bloom-rail-1.0", "bigcode-openrail-m", "afl-3.0", "artistic-2.0", "bsl-1.0", "bsd",
    "bsd-2-clause", "bsd-3-clause", "bsd-3-clause-clear", "c-uda", "cc", "cc0-1.0", "cc-by-2.0", "cc-by-2.5",
    "cc-by-3.0", "cc-by-4.0", "cc-by-sa-3.0", "cc-by-sa-4.0", "cc-by-nc-2.0", "cc-by-nc-3.0", "cc-by-nc-4.0",
    "cc-by-nd-4.0", "cc-by-nc-nd-3.0", "cc-by-nc-nd-4.0", "cc-by-nc-sa-2.0", "cc-by-nc-sa-3.0",
    "cc-by-nc-sa-4.0", "cdla-sharing-1.0", "cdla-permissive-1.0", "cdla-permissive-2.0", "wtfpl", "ecl-2.0",
    "epl-1.0", "epl-2.0", "etalab-2.0", "eupl-1.1", "eupl-1.2", "agpl-3.0", "gfdl", "gpl", "gpl-2.0",
    "gpl-3.0", "lgpl", "lgpl-2.1", "lgpl-3.0", "isc", "h-research", "intel-research", "lppl-1.3c", "ms-pl",
    "apple-ascl", "apple-amlr", "mpl-2.0", "odc-by", "odbl", "openmdw-1.0", "openmdw-1.1", "openrail++",
    "osl-3.0", "postgresql", "ofl-1.1", "ncsa", "unlicense", "zlib", "pddl", "lgpl-lr",
    "deepfloyd-if-license", "fair-noncommercial-research-license", "llama2", "llama3", "llama3.1",
    "llama3.2", "llama3.3", "llama4", "grok2-community", "gemma", "unknown", "other",
)


def _hub_licenses() -> tuple[str, ...]:
    return HUB_LICENSES


#: choice settings of the primary configs that no constructor checks: ``command -> key -> choices``
#: (functions, so that each list comes from where it is defined and is read only when needed)
CHOICES: dict[str, dict[str, Callable[[], Iterable[Any]]]] = {
    "align": {"src_lang": _languages, "tgt_lang": _languages, "embeddings": _embeddings},
    "build": {"embeddings": _embeddings},
    "publish": {"license": _hub_licenses},
    "leaderboard": {"off_target_metric": off_target_metrics, "significance.method": _significance_methods,
                    "significance.correction": _corrections},
}
def _device(value: Any, key: str) -> Any:
    """auto, cpu, cuda, cuda:N or mps; whether that device is here is asked as the model loads."""
    from bench.core.devices import parse_device

    if value != "auto":
        parse_device(str(value), key)
    return value


def _one_of(options: Callable[[], Iterable[Any]]) -> Callable[[Any, str], Any]:
    return lambda value, key: choice(value, key, options())


def _hf_dtypes() -> tuple[str, ...]:
    from bench.systems.hf import DTYPES

    return ("auto", *DTYPES)


def _compute_types() -> tuple[str, ...]:
    from bench.systems.ct2 import COMPUTE_TYPES

    return COMPUTE_TYPES


#: plug-in settings that their classes check only as the model loads, after its files are found (and
#: ``model.compute_type`` only with ``model.backend=ctranslate2``): checked here with every other
#: setting, before anything is looked up. ``class -> key -> check(value, key)``, subclasses included.
PLUGIN_VALUES: dict[str, dict[str, Callable[[Any, str], Any]]] = {
    "bench.systems.hf.HFSystem": {"dtype": _one_of(_hf_dtypes), "device": _device},
    "bench.systems.seq2seq.Seq2Seq": {"compute_type": _one_of(_compute_types)},
    "bench.metrics.comet.Comet": {"device": _device},
    "bench.metrics.metricx.MetricX": {"device": _device},
}


def check_plugin_values(node: DictConfig, prefix: str) -> None:
    """The :data:`PLUGIN_VALUES` of ``node``'s target class and the classes it derives from (known by
    name, so that checking ``model=copy`` imports no model code)."""
    from hydra.utils import get_object

    target = get_object(str(node._target_))
    classes = {f"{k.__module__}.{k.__qualname__}" for k in getattr(target, "__mro__", ())}
    raw = OmegaConf.to_container(node, resolve=False)
    for owner, checks in PLUGIN_VALUES.items():
        if owner in classes:
            for key, check in checks.items():
                if key in raw and not _interpolated(raw[key]):
                    check(raw[key], prefix + key)


#: leaf names of the settings that hold a file or folder (besides every ``*_dir``)
PATH_KEYS = frozenset({"path", "src", "tgt", "out", "encoder", "checkpoint", "tokenizer", "cache",
                       "embedding_cache"})


def check_launcher(cfg: DictConfig) -> None:
    """A sweep's launcher settings, which Hydra's launcher plug-ins take on trust and fail on, as a
    traceback, only once the sweep has started: joblib's ``n_jobs`` (its type is checked by Hydra) may
    be any whole number but 0 (-1: every core)."""
    if OmegaConf.select(cfg, "hydra.launcher.n_jobs", default=None) == 0:
        raise BenchError("hydra.launcher.n_jobs=0: no job would run; give how many jobs run at once, "
                         "e.g. hydra.launcher.n_jobs=4 (-1: one per core)")


def check_values(config_dir: Path, command: str, cfg: DictConfig, chosen: dict[str, str]) -> None:
    """Yes/no, path and choice settings of the composed ``cfg`` (see the module docstring). A yes/no
    word is written back as a boolean, so the code that reads the setting sees true or false."""
    raw = OmegaConf.to_container(cfg, resolve=False)
    for key, default in shipped_defaults(config_dir, command, cfg, chosen):
        value = _lookup(raw, key)
        if isinstance(default, bool) and not _interpolated(value):
            checked = flag(value, key)
            if checked is not value:
                OmegaConf.update(cfg, key, checked, merge=False)
    for key, value in leaves(raw):
        if key.rpartition(".")[2] in PATH_KEYS or key.endswith("_dir"):
            path_text(value, key)
    for key, options in CHOICES.get(command, {}).items():
        value = _lookup(raw, key)
        if not _interpolated(value):
            checked = choice(value, key, options())
            if checked is not value:
                OmegaConf.update(cfg, key, checked, merge=False)


def _lookup(raw: dict[str, Any], key: str) -> Any:
    """The value at a dotted ``key`` of a plain config, or None."""
    node: Any = raw
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _interpolated(value: Any) -> bool:
    """``${...}``: resolved later, and checked where it is read."""
    return isinstance(value, str) and "${" in value


def leaves(raw: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(dotted key, value)`` of every setting (Hydra's own and ``_target_``-style keys left out; an
    empty mapping such as ``extra_body: {}`` is a setting of its own)."""
    for key, value in raw.items():
        if key == "hydra" and not prefix or str(key).startswith("_"):
            continue
        if isinstance(value, dict) and value:
            yield from leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def shipped_defaults(config_dir: Path, command: str, cfg: DictConfig,
                     chosen: dict[str, str]) -> Iterator[tuple[str, Any]]:
    """``(dotted key, shipped default)`` of the command's own settings and of each chosen option of
    its config groups, as the files say before any override."""
    own = OmegaConf.to_container(OmegaConf.load(config_dir / f"{command}.yaml"), resolve=False)
    yield from leaves({k: v for k, v in own.items() if k != "defaults"})
    options = [(group, chosen[group], f"{group}.") for group in chosen if "/" not in group and group in cfg]
    options += [("metric", name, f"metric.{name}.") for name in (cfg.get("metric") or {})]
    for group, name, prefix in options:
        for key, value in leaves(option_defaults(config_dir, group, name)):
            yield prefix + key, value


def option_files(config_dir: Path, group: str, name: str) -> list[Path]:
    """The files one option of a config group is composed from, in Hydra's merge order: its defaults
    list (``/family/seq2seq@_here_``, or a name in the same group) with ``_self_`` where it stands."""
    file = config_dir / group / f"{name}.yaml"
    if not file.is_file():
        return []
    defaults = list(OmegaConf.load(file).get("defaults") or [])
    if "_self_" not in defaults:
        defaults.append("_self_")
    files: list[Path] = []
    for item in defaults:
        if item == "_self_":
            files.append(file)
        elif isinstance(item, str):
            where = item.partition("@")[0]
            parent, _, option = (where[1:] if where.startswith("/") else f"{group}/{where}").rpartition("/")
            files += option_files(config_dir, parent, option)
    return files


def option_defaults(config_dir: Path, group: str, name: str) -> dict[str, Any]:
    """One option's settings as shipped (its defaults list merged), interpolations unresolved."""
    merged = OmegaConf.merge(*[OmegaConf.load(f) for f in option_files(config_dir, group, name)] or [{}])
    return {k: v for k, v in OmegaConf.to_container(merged, resolve=False).items() if k != "defaults"}
