"""`python -m devtools.local_runner serve`: run the Functions app locally (HTTP + Durable + queues + timers) until
Ctrl-C.

`python -m devtools.local_runner functions` lists the indexed functions. Settings come from local.settings.json `Values`
(then the environment wins). Without a usable `AzureWebJobsStorage`, Azurite is started on free ports.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from devtools.devstack.watchdog import start_watchdog
from devtools.local_runner.azurite import Azurite, start_azurite
from devtools.local_runner.host import LocalHost, read_local_settings
from devtools.local_runner.index import FunctionIndex, load_app

DEV_STORAGE = "UseDevelopmentStorage=true"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m devtools.local_runner", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve HTTP, Durable, queues and timers until Ctrl-C")
    serve.add_argument("--app", default="function_app:app", help="module[:attribute] of the app (function_app:app)")
    serve.add_argument("--host-json", default="host.json")
    serve.add_argument("--settings", default="local.settings.json", help="local.settings.json to read Values from")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=7071)
    serve.add_argument("--workers", type=int, default=2, help="activity worker processes")
    serve.add_argument(
        "--azurite",
        choices=["auto", "yes", "no"],
        default="auto",
        help="start Azurite (auto: when AzureWebJobsStorage is unset or UseDevelopmentStorage=true)",
    )
    serve.add_argument("--azurite-location", default=None, help="persist Azurite data in this directory")
    listing = sub.add_parser("functions", help="list the app's functions by trigger")
    listing.add_argument("--app", default="function_app:app")
    return parser


def serve(args: argparse.Namespace) -> int:
    watchdog = start_watchdog()  # a kill -9 of this process still stops Azurite and the activity workers
    try:
        return _serve(args)
    finally:
        watchdog.terminate()
        watchdog.wait(timeout=10)


def _serve(args: argparse.Namespace) -> int:
    env = read_local_settings(args.settings)
    env.update({k: v for k, v in os.environ.items() if k in env})
    storage = os.environ.get("AzureWebJobsStorage") or env.get("AzureWebJobsStorage")  # noqa: SIM112 - Azure's name
    azurite: Azurite | None = None
    if args.azurite == "yes" or (args.azurite == "auto" and (not storage or storage == DEV_STORAGE)):
        azurite = start_azurite(location=args.azurite_location)
        env["AzureWebJobsStorage"] = azurite.connection_string
        logging.getLogger("local_runner").info("Azurite pid %s: %s", azurite.pid, azurite.connection_string)
    host = LocalHost(
        args.app,
        host_json=args.host_json,
        env=env,
        http_host=args.host,
        http_port=args.port,
        activity_workers=args.workers,
    )
    try:
        host.serve()
    finally:
        if azurite is not None:
            azurite.stop()
    return 0


def list_functions(args: argparse.Namespace) -> int:
    sys.path.insert(0, os.getcwd())
    index = FunctionIndex.of(load_app(args.app if ":" in args.app else f"{args.app}:app"))
    for f in sorted(index.functions.values(), key=lambda f: (f.trigger_type, f.name)):
        detail = f.trigger.get("route") or f.trigger.get("queueName") or f.trigger.get("schedule") or ""
        client = " +durableClient" if f.durable_client_arg else ""
        outs = "".join(f" ->{o.settings.get('queueName')}" for o in f.outputs)
        print(f"{f.trigger_type:22} {f.name:32} {detail}{client}{outs}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("azure").setLevel(logging.WARNING)  # the storage SDK logs every request at INFO
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return list_functions(args)


if __name__ == "__main__":
    raise SystemExit(main())
