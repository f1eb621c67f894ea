"""Helpers for the IaC tests: load the Terraform (python-hcl2) and Bicep (pycep) trees, evaluate the few
environment-dependent expressions they use, and read settings/secret names from the application source with `ast`.

No provider download happens here: everything is static parsing of the files in bicep/ and terraform/.
"""

from __future__ import annotations

import ast
import json
import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import hcl2
from pycep import BicepParser

_HCL: Any = hcl2  # the two hcl2 distributions type their exports differently
REPO = Path(__file__).resolve().parents[2]
TF_DIR = REPO / "terraform"
BICEP_DIR = REPO / "bicep"
ENVIRONMENTS = ("dev", "staging", "production")


# ---- Terraform -----------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _hcl_wraps_attributes() -> bool:
    """bc-python-hcl2 (checkov's fork) wraps every attribute value in a list; python-hcl2 >= 5 does not."""
    probe: Any = _HCL.loads('a = "x"\n')
    return bool(probe["a"] == ["x"])


def _strip(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def attr(block: dict[str, Any], key: str, default: Any = None) -> Any:
    """An attribute (or the single nested block) of an HCL block, unwrapped the same way for both parsers."""
    if key not in block:
        return default
    value = block[key]
    if (_hcl_wraps_attributes() and isinstance(value, list) and len(value) == 1) or (
        isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict)
    ):
        value = value[0]
    return _strip(value)


def blocks(block: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """Repeated nested blocks (e.g. several `security_rule`)."""
    value = block.get(key, [])
    return [v for v in value if isinstance(v, dict)]


@lru_cache(maxsize=1)
def terraform_files() -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted(TF_DIR.glob("*.tf")):
        with path.open() as fh:
            out[path.name] = _HCL.loads(fh.read())
    return out


def tf_resources(rtype: str | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    """{(type, name): body} for every resource block."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for doc in terraform_files().values():
        for entry in doc.get("resource", []):
            for type_, by_name in entry.items():
                for name, body in by_name.items():
                    if rtype is None or type_ == rtype:
                        found[(type_, name)] = body
    return found


def tf_resource(rtype: str, name: str = "main") -> dict[str, Any]:
    return tf_resources(rtype)[(rtype, name)]


def tf_locals() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for doc in terraform_files().values():
        for entry in doc.get("locals", []):
            for key in entry:
                if not key.startswith("__"):
                    merged[key] = attr(entry, key)
    return merged


def tf_variables() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for doc in terraform_files().values():
        for entry in doc.get("variable", []):
            out.update(entry)
    return out


def tfvars(env: str) -> dict[str, Any]:
    with (TF_DIR / "env" / f"{env}.tfvars").open() as fh:
        raw = _HCL.loads(fh.read())
    return {k: attr(raw, k) for k in raw if not k.startswith("__")}


_TERNARY = re.compile(r"^(?P<cond>[^?]+?)\s*\?\s*(?P<yes>[^:]+?)\s*:\s*(?P<no>.+)$")


def _tf_literal(text: str) -> Any:
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def tf_eval(value: Any, *, production: bool) -> Any:
    """Evaluate the environment switch used in the tree: `local.is_production`, `!local.is_production` and
    `local.is_production ? a : b` with literal branches. Anything else is returned unchanged."""
    if not (isinstance(value, str) and value.startswith("${") and value.endswith("}")):
        return value
    expr = value[2:-1].strip()
    if expr == "local.is_production":
        return production
    if expr == "!local.is_production":
        return not production
    match = _TERNARY.match(expr)
    if match and match["cond"].strip() == "local.is_production":
        return _tf_literal(match["yes"] if production else match["no"])
    return value


# ---- Bicep ---------------------------------------------------------------------------------------------------------


@cache
def bicep(relative: str) -> dict[str, Any]:
    parsed: Any = BicepParser().parse(file_path=BICEP_DIR / relative)
    return dict(parsed)


def bicep_files() -> list[str]:
    return [str(p.relative_to(BICEP_DIR)) for p in sorted(BICEP_DIR.rglob("*.bicep"))]


def bicep_resources(rtype: str | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    """{(file, symbol): resource} for every non-existing resource declaration."""
    found = {}
    for rel in bicep_files():
        for symbol, res in bicep(rel).get("resources", {}).items():
            if res.get("existing"):
                continue
            if rtype is None or res["type"] == rtype:
                found[(rel, symbol)] = res
    return found


def bicep_config(resource: dict[str, Any]) -> dict[str, Any]:
    """The body of a resource, looking through `[for ...]` loops."""
    config: dict[str, Any] = resource["config"]
    if "loop_type" in config:
        inner: dict[str, Any] = config["config"]
        return inner
    return config


def bicep_var(relative: str, name: str) -> Any:
    return bicep(relative)["variables"][name]["value"]


def bicep_eval(value: Any, *, production: bool) -> Any:
    """Resolve `isProduction ? a : b` conditionals (pycep JSON) for one environment."""
    if isinstance(value, dict) and "operator" in value:
        op = value["operator"]
        if op.get("type") == "conditional" and op["operands"]["condition"] in ("isProduction", "isProd"):
            branch = op["operands"]["true_value" if production else "false_value"]
            return bicep_eval(branch, production=production)
    if value in ("isProduction", "isProd"):
        return production
    return value


def bicep_params(env: str) -> dict[str, Any]:
    doc = json.loads((BICEP_DIR / "env" / f"{env}.parameters.json").read_text())
    return {k: v["value"] for k, v in doc["parameters"].items()}


# ---- Application source --------------------------------------------------------------------------------------------


def settings_fields() -> list[str]:
    """Annotated fields of `Settings` in shared/platform/config.py, read with ast (no import, no env)."""
    tree = ast.parse((REPO / "shared" / "platform" / "config.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Settings":
            return [
                stmt.target.id
                for stmt in node.body
                if isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.target.id != "model_config"
            ]
    raise AssertionError("class Settings not found in shared/platform/config.py")


def secret_inventory() -> list[str]:
    """Keys of SECRET_INVENTORY in shared/platform/secrets.py, read with ast."""
    tree = ast.parse((REPO / "shared" / "platform" / "secrets.py").read_text())
    target: ast.expr
    value: ast.expr | None
    for node in tree.body:
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == "SECRET_INVENTORY":
            assert isinstance(value, ast.Dict)
            return [ast.literal_eval(k) for k in value.keys if k is not None]
    raise AssertionError("SECRET_INVENTORY not found in shared/platform/secrets.py")
