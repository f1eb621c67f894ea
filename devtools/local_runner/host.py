"""LocalHost: the whole app on this machine — HTTP server, Durable engine, queue host and timers."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import uvicorn
from azure.durable_functions.models.utils.df_serialization import df_dumps

from devtools.local_runner.azurite import free_port
from devtools.local_runner.durable.activities import ActivityRunner, InProcessActivityRunner, ProcessPoolActivityRunner
from devtools.local_runner.durable.api import DurableHttpApi, client_binding
from devtools.local_runner.durable.engine import DurableEngine
from devtools.local_runner.durable.store import InstanceRecord
from devtools.local_runner.http import FunctionsAsgiApp
from devtools.local_runner.index import FunctionIndex, load_app
from devtools.local_runner.invoke import FunctionInvoker
from devtools.local_runner.queues import QueueClients, QueueHost, QueueOutputs, QueueStats
from devtools.local_runner.settings import HostConfig, QueueOptions
from devtools.local_runner.timers import TimerHost

log = logging.getLogger("local_runner")


def read_local_settings(path: str | Path) -> dict[str, str]:
    """`Values` of a local.settings.json file (missing file -> {})."""
    p = Path(path)
    if not p.exists():
        return {}
    values = json.loads(p.read_text(encoding="utf-8")).get("Values", {})
    return {str(k): str(v) for k, v in values.items()}


class LocalHost:
    """Runs a Functions app module locally.

    `app_module` is "module" or "module:attribute" (default attribute `app`), importable from `app_dir`
    (default: the current directory). `env` values are put in `os.environ` while the host runs (the app and the
    activity worker processes read settings from there) and restored by `stop()`.
    """

    def __init__(
        self,
        app_module: str = "function_app",
        host_json: str | Path | None = "host.json",
        env: Mapping[str, str] | None = None,
        *,
        app_dir: str | Path | None = None,
        http_host: str = "127.0.0.1",
        http_port: int | None = None,
        activity_workers: int = 2,
        in_process_activities: bool = False,
        orchestrator_threads: int = 4,
        function_threads: int = 8,
        replay_schema: int = 2,
        duplicate_start: str = "idempotent",
        queue_options: QueueOptions | None = None,
    ) -> None:
        self.app_ref = app_module if ":" in app_module else f"{app_module}:app"
        self.app_dir = str(Path(app_dir or os.getcwd()).resolve())
        self.host_json = Path(host_json) if host_json else None
        if self.host_json is not None and not self.host_json.is_absolute():
            self.host_json = Path(self.app_dir) / self.host_json
        self.env = dict(env or {})
        self.http_host = http_host
        self.http_port = http_port
        self.activity_workers = activity_workers
        self.in_process_activities = in_process_activities
        self.orchestrator_threads = orchestrator_threads
        self.function_threads = function_threads
        self.replay_schema = replay_schema
        self.duplicate_start = duplicate_start
        self.queue_options_override = queue_options
        self._saved_env: dict[str, str | None] = {}
        self._server: uvicorn.Server | None = None
        self._server_thread: threading.Thread | None = None
        self._started = False
        self.app: Any = None
        self.index: FunctionIndex
        self.config: HostConfig
        self.invoker: FunctionInvoker
        self.engine: DurableEngine
        self.queues: QueueHost
        self.timers: TimerHost
        self.outputs: QueueOutputs

    # ---- lifecycle ---------------------------------------------------------------------------------------------

    def start(self) -> LocalHost:
        """Import and index the app, start the Durable engine and the HTTP server (queues/timers: see serve)."""
        if self._started:
            return self
        for key, value in self.env.items():
            self._saved_env[key] = os.environ.get(key)
            os.environ[key] = value
        if self.app_dir not in sys.path:
            sys.path.insert(0, self.app_dir)
        self._started = True  # from here on stop() cleans up whatever did start
        try:
            self._start_components()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_components(self) -> None:
        self.config = HostConfig.load(self.host_json)
        self.app = load_app(self.app_ref)
        self.index = FunctionIndex.of(self.app)
        self.invoker = FunctionInvoker(self.function_threads)
        activities: ActivityRunner
        if self.in_process_activities:
            activities = InProcessActivityRunner(self.index, self.invoker)
        else:
            activities = ProcessPoolActivityRunner(self.app_ref, self.activity_workers)
        self.engine = DurableEngine(
            self.index,
            activities,
            orchestrator_threads=self.orchestrator_threads,
            replay_schema=self.replay_schema,
            hub_name=self.config.durable.hub_name,
            default_version=self.config.durable.default_version,
            duplicate_start=self.duplicate_start,
        )
        queue_options = self.queue_options_override or self.config.queues
        clients = QueueClients(queue_options.message_encoding)
        self.outputs = QueueOutputs(clients)
        self.queues = QueueHost(self.index, self.invoker, queue_options, clients=clients)
        self.timers = TimerHost(self.index, self.invoker, client_binding=self.client_binding, outputs=self.outputs)
        asgi = FunctionsAsgiApp(
            self.index,
            self.invoker,
            route_prefix=self.config.route_prefix,
            durable_api=DurableHttpApi(self.engine, lambda: self.base_url),
            client_binding=self.client_binding,
            outputs=self.outputs,
        )
        port = self.http_port or free_port(self.http_host)
        self.http_port = port
        config = uvicorn.Config(
            asgi, host=self.http_host, port=port, log_level="warning", lifespan="off", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._server_thread = threading.Thread(target=self._server.run, name="local-http", daemon=True)
        self._server_thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._server_thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"HTTP server did not start on {self.http_host}:{port}")
            time.sleep(0.02)

    def start_background_triggers(self) -> None:
        """Serve mode: poll the queues and run timers on their schedules in background threads."""
        self.queues.start()
        self.timers.start()

    def serve(self) -> None:
        """Start everything and block until Ctrl-C."""
        self.start()
        self.start_background_triggers()
        log.info("serving %s on %s (Ctrl-C to stop)", self.app_ref, self.base_url)
        for f in sorted(self.index.http, key=lambda f: f.name):
            log.info(
                "  %-30s %s/%s/%s", f.name, self.base_url, self.config.route_prefix, f.trigger.get("route") or f.name
            )
        try:
            while True:
                time.sleep(0.5)
        except KeyboardInterrupt:
            log.info("stopping")
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop timers, queues, HTTP server, engine (and its worker processes), invoker; restore the env.
        Stopping a host that is not running does nothing."""
        if not self._started:
            return
        for name in ("timers", "queues"):
            component = getattr(self, name, None)
            if component is not None:
                component.stop()
        if self._server is not None:
            self._server.should_exit = True
            if self._server_thread is not None:
                self._server_thread.join(timeout=10)
            self._server = None
        if getattr(self, "engine", None) is not None:
            self.engine.close()
        if getattr(self, "queues", None) is not None:
            self.queues.close()
        if getattr(self, "invoker", None) is not None:
            self.invoker.close()
        for key, old in self._saved_env.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
        self._saved_env.clear()
        self._started = False

    def __enter__(self) -> LocalHost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- conveniences ------------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.http_host}:{self.http_port}"

    def client_binding(self) -> str:
        """The durable client binding JSON, pointing at this host's Durable HTTP API."""
        return client_binding(self.base_url, self.engine.hub_name)

    def fire_timer(self, name: str, past_due: bool = False) -> Any:
        return self.timers.fire(name, past_due=past_due)

    def run_queues_until_idle(self, timeout: float = 30.0) -> QueueStats:
        return self.queues.run_until_idle(timeout)

    def start_orchestration(
        self,
        name: str,
        input: Any = None,
        instance_id: str | None = None,
        version: str | None = None,
    ) -> str:
        instance_id, _ = self.engine.start_new(
            name, df_dumps(input) if input is not None else None, instance_id, version
        )
        return instance_id

    def wait_for(self, instance_id: str, timeout: float = 30.0) -> InstanceRecord:
        return self.engine.wait_for(instance_id, timeout)

    def raise_event(self, instance_id: str, event_name: str, data: Any = None) -> None:
        self.engine.raise_event(instance_id, event_name, json.dumps(data))

    def get_status(self, instance_id: str) -> InstanceRecord | None:
        return self.engine.get(instance_id)
