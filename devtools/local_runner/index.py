"""Function index: classifies the functions registered on an app object by trigger type.

`FunctionApp.get_functions()` may be called only once per app object (a second call raises "does not have a unique
function name"), so the index is built once and cached on the app (`app._local_runner_index`).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

HTTP, TIMER, QUEUE = "httpTrigger", "timerTrigger", "queueTrigger"
ORCHESTRATION, ACTIVITY, ENTITY = "orchestrationTrigger", "activityTrigger", "entityTrigger"
_CACHE_ATTR = "_local_runner_index"
_lock = threading.Lock()


class UnknownFunction(KeyError):
    """No function with that name (and trigger type) is registered on the app."""


@dataclass(frozen=True)
class OutputBinding:
    """An output binding the runner implements (`queue` today); `arg_name` is the parameter name."""

    arg_name: str
    type: str
    settings: dict[str, Any]


@dataclass(frozen=True)
class IndexedFunction:
    """One registered function, with what the runner needs to invoke it."""

    name: str
    trigger_type: str
    trigger_arg: str
    trigger: dict[str, Any]
    user_function: Callable[..., Any]
    durable_client_arg: str | None = None
    outputs: tuple[OutputBinding, ...] = ()
    unsupported_bindings: tuple[str, ...] = ()
    raw: Any = field(default=None, repr=False, compare=False)


def _plain(value: Any) -> Any:
    """Enum values (direction, methods, auth level) as plain strings."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return getattr(value, "value", value)


def _classify(function: Any) -> IndexedFunction:
    trigger = function.get_trigger()
    trig = {k: _plain(v) for k, v in trigger.get_dict_repr().items()}
    client_arg = None
    outputs: list[OutputBinding] = []
    unsupported: list[str] = []
    for binding in function.get_bindings():
        rep = {k: _plain(v) for k, v in binding.get_dict_repr().items()}
        btype, name = rep.get("type"), rep.get("name")
        if binding is trigger or (btype == trig["type"] and name == trig["name"]):
            continue
        if btype == "durableClient":
            client_arg = name
        elif btype == "queue" and rep.get("direction") in (1, "OUT"):
            outputs.append(OutputBinding(arg_name=str(name), type="queue", settings=rep))
        elif btype == "http" and name == "$return":
            continue
        else:
            unsupported.append(f"{btype}:{name}")
    return IndexedFunction(
        name=function.get_function_name(),
        trigger_type=str(trig["type"]),
        trigger_arg=str(trig["name"]),
        trigger=trig,
        user_function=function.get_user_function(),
        durable_client_arg=client_arg,
        outputs=tuple(outputs),
        unsupported_bindings=tuple(unsupported),
        raw=function,
    )


class FunctionIndex:
    """Lookups over an app's functions by name and trigger type."""

    def __init__(self, functions: list[Any]):
        self.functions: dict[str, IndexedFunction] = {}
        self.aliases: dict[str, str] = {}
        for f in functions:
            item = _classify(f)
            self.functions[item.name] = item
            # `activity=`/`orchestration=` on the decorator also name the function for the Durable extension.
            for key in ("activity", "orchestration", "entityName"):
                alias = item.trigger.get(key)
                if alias and alias != item.name:
                    self.aliases[str(alias)] = item.name

    @classmethod
    def of(cls, app: Any) -> FunctionIndex:
        """The index of `app`, built on first use and cached on the app object."""
        with _lock:
            cached = getattr(app, _CACHE_ATTR, None)
            if cached is None:
                cached = cls(app.get_functions())
                setattr(app, _CACHE_ATTR, cached)
            return cached

    def get(self, name: str, trigger_type: str | None = None) -> IndexedFunction:
        item = self.functions.get(name) or self.functions.get(self.aliases.get(name, ""))
        if item is None or (trigger_type is not None and item.trigger_type != trigger_type):
            kind = f" {trigger_type}" if trigger_type else ""
            raise UnknownFunction(f"no{kind} function named {name!r}")
        return item

    def by_trigger(self, trigger_type: str) -> list[IndexedFunction]:
        return [f for f in self.functions.values() if f.trigger_type == trigger_type]

    def has(self, name: str, trigger_type: str | None = None) -> bool:
        try:
            self.get(name, trigger_type)
        except UnknownFunction:
            return False
        return True

    @property
    def http(self) -> list[IndexedFunction]:
        return self.by_trigger(HTTP)

    @property
    def timers(self) -> list[IndexedFunction]:
        return self.by_trigger(TIMER)

    @property
    def queues(self) -> list[IndexedFunction]:
        return self.by_trigger(QUEUE)

    @property
    def orchestrators(self) -> list[IndexedFunction]:
        return self.by_trigger(ORCHESTRATION)

    @property
    def activities(self) -> list[IndexedFunction]:
        return self.by_trigger(ACTIVITY)


def load_app(ref: str) -> Any:
    """Import an app object from `module` or `module:attribute` (default attribute `app`)."""
    module_name, _, attr = ref.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr or "app")
