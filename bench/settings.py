"""Strict settings: a key that no command, system or metric reads is refused in one line that names the
closest valid key, instead of being carried silently (``+device=cuda``) or failing later as a
constructor's ``TypeError`` (``+model.batch_size=8``).

Which keys are valid comes from the code and configs themselves: a primary config's own keys and
config groups, and for every node with a ``_target_`` the parameters its class accepts (walked up
the ``**options`` chain of ``__init__`` methods). Nothing is listed twice by hand.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Iterable
from typing import Any

from omegaconf import DictConfig, OmegaConf

from bench.errors import BenchError

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
    """Every key of a ``_target_`` node is a parameter of its target."""
    if not isinstance(node, DictConfig) or "_target_" not in node:
        return
    valid = accepted(str(node._target_))
    if valid is None:
        return
    valid |= set(extra)
    for key in node:
        if not str(key).startswith("_") and key not in valid:
            raise unknown(prefix, str(key), valid, owner)


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

    from bench.cli import CONFIG_DIR

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
