"""Queue host against Azure Storage queues (Azurite locally), with the Functions host's semantics that matter.

For every queueTrigger function: receive up to `batchSize` messages, base64-decode them (host.json
`messageEncoding`), build the concrete `azure.functions.queue.QueueMessage`, invoke the function (sync or async)
with its `func.Out` queue output bindings, send the outputs and delete the message on success. On failure the
message is made visible again after `visibilityTimeout`; once `dequeue_count` reaches `maxDequeueCount` it is
moved (original body) to `<queue>-poison` and deleted.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from azure.core.exceptions import DecodeError, ResourceExistsError, ResourceNotFoundError
from azure.functions.queue import QueueMessage as FunctionQueueMessage
from azure.storage.queue import QueueClient, TextBase64DecodePolicy, TextBase64EncodePolicy

from devtools.local_runner.index import FunctionIndex, IndexedFunction
from devtools.local_runner.invoke import FunctionInvoker, Out, build_kwargs
from devtools.local_runner.settings import QueueOptions, resolve_setting_refs

log = logging.getLogger("devtools.local_runner.queues")
LEASE_SECONDS = 300  # invisibility while a message is being processed (the host renews; we use one long lease)
DEV_STORAGE = "UseDevelopmentStorage=true"


class MissingConnection(KeyError):
    """The binding's connection setting is not defined."""


def resolve_connection(setting: str | None, env: Mapping[str, str] | None = None) -> str:
    """The connection string named by a binding's `connection` (default `AzureWebJobsStorage`)."""
    source = os.environ if env is None else env
    name = setting or "AzureWebJobsStorage"
    value = source.get(name) or source.get(f"{name}__connectionString")
    if not value:
        raise MissingConnection(name)
    return value


class QueueClients:
    """Cached queue clients per (connection, queue); creates queues on first use."""

    def __init__(self, encoding: str = "base64") -> None:
        self.encoding = encoding
        self._clients: dict[tuple[str, str, bool], QueueClient] = {}
        self._lock = threading.Lock()

    def get(self, connection: str, queue: str, *, raw: bool = False) -> QueueClient:
        """A client whose `send_message` applies the host's encoding (or none with `raw=True`)."""
        key = (connection, queue, raw)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                encode = TextBase64EncodePolicy() if self.encoding == "base64" and not raw else None
                client = QueueClient.from_connection_string(connection, queue, message_encode_policy=encode)
                with contextlib.suppress(ResourceExistsError):
                    client.create_queue()
                self._clients[key] = client
            return client

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()


def _as_messages(value: Any) -> list[str]:
    items = value if isinstance(value, list | tuple) else [value]
    messages = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, bytes | bytearray):
            messages.append(bytes(item).decode("utf-8"))
        elif isinstance(item, str):
            messages.append(item)
        else:
            messages.append(json.dumps(item))
    return messages


class QueueOutputs:
    """Implements `queue` output bindings (`func.Out`) for any function."""

    def __init__(self, clients: QueueClients, env: Mapping[str, str] | None = None) -> None:
        self.clients = clients
        self.env = env

    def prepare(self, function: IndexedFunction) -> dict[str, Out[Any]]:
        return {o.arg_name: Out() for o in function.outputs}

    def flush(self, function: IndexedFunction, outs: Mapping[str, Out[Any]]) -> int:
        sent = 0
        for binding in function.outputs:
            holder = outs.get(binding.arg_name)
            if holder is None or not holder.was_set:
                continue
            queue = resolve_setting_refs(str(binding.settings["queueName"]), self.env)
            client = self.clients.get(resolve_connection(binding.settings.get("connection"), self.env), queue)
            for text in _as_messages(holder.get()):
                client.send_message(text)
                sent += 1
        return sent


@dataclass
class QueueStats:
    received: int = 0
    succeeded: int = 0
    failed: int = 0
    poisoned: int = 0
    by_function: dict[str, dict[str, int]] = field(default_factory=dict)

    def count(self, function: str, what: str) -> None:
        with _stats_lock:  # messages of every queue are handled concurrently
            setattr(self, what, getattr(self, what) + 1)
            per = self.by_function.setdefault(function, {"received": 0, "succeeded": 0, "failed": 0, "poisoned": 0})
            per[what] += 1


_stats_lock = threading.Lock()


class QueueHost:
    """Polls the trigger queue of every queueTrigger function and dispatches messages."""

    def __init__(
        self,
        index: FunctionIndex,
        invoker: FunctionInvoker,
        options: QueueOptions,
        *,
        env: Mapping[str, str] | None = None,
        clients: QueueClients | None = None,
    ) -> None:
        self.functions = index.queues
        self.invoker = invoker
        self.options = options
        self.env = env
        self.clients = clients or QueueClients(options.message_encoding)
        self.outputs = QueueOutputs(self.clients, env)
        self.stats = QueueStats()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # ---- one polling pass ------------------------------------------------------------------------------------

    def _trigger_client(self, function: IndexedFunction) -> QueueClient:
        queue = resolve_setting_refs(str(function.trigger["queueName"]), self.env)
        return self.clients.get(resolve_connection(function.trigger.get("connection"), self.env), queue)

    def _poison_client(self, function: IndexedFunction, *, raw: bool) -> QueueClient:
        source = self._trigger_client(function)
        return self.clients.get(
            resolve_connection(function.trigger.get("connection"), self.env), f"{source.queue_name}-poison", raw=raw
        )

    def _decode(self, text: str) -> str:
        if self.options.message_encoding == "base64":
            return TextBase64DecodePolicy().decode(text, None)  # type: ignore[arg-type]
        return text

    def _poison(self, function: IndexedFunction, client: QueueClient, message: Any, text: str | None) -> None:
        """Copy the message to `<queue>-poison` exactly as it was on the wire, then delete it."""
        if text is None:  # undecodable: copy the raw wire content
            self._poison_client(function, raw=True).send_message(message.content)
        else:  # re-encoding the decoded text reproduces the original wire content
            self._poison_client(function, raw=False).send_message(text)
        client.delete_message(message)
        self.stats.count(function.name, "poisoned")
        log.warning("message %s of %s moved to %s-poison", message.id, client.queue_name, client.queue_name)

    def _handle(self, function: IndexedFunction, client: QueueClient, message: Any) -> None:
        try:
            text = self._decode(message.content or "")
        except DecodeError:
            log.error("message %s on %s is not valid base64", message.id, client.queue_name)
            self._poison(function, client, message, None)
            return
        if message.dequeue_count > self.options.max_dequeue_count:
            self._poison(function, client, message, text)
            return
        trigger_value = FunctionQueueMessage(
            id=message.id,
            body=text.encode("utf-8"),
            dequeue_count=message.dequeue_count,
            expiration_time=message.expires_on,
            insertion_time=message.inserted_on,
            time_next_visible=message.next_visible_on,
            pop_receipt=message.pop_receipt,
        )
        outs = self.outputs.prepare(function)
        values: dict[str, Any] = {function.trigger_arg: trigger_value, **outs}
        try:
            self.invoker.call(function.user_function, build_kwargs(function.user_function, function.name, values))
            self.outputs.flush(function, outs)
        except Exception as exc:  # the function failed: retry later, or poison after maxDequeueCount
            self.stats.count(function.name, "failed")
            log.warning(
                "queue function %s failed on message %s (try %d): %s",
                function.name,
                message.id,
                message.dequeue_count,
                exc,
            )
            if message.dequeue_count >= self.options.max_dequeue_count:
                self._poison(function, client, message, text)
            else:
                # Pass the id (not the message object): with an object and no content the SDK re-sends the
                # (already encoded) content through the encode policy, double-encoding it.
                client.update_message(
                    message.id,
                    message.pop_receipt,
                    visibility_timeout=int(self.options.visibility_timeout.total_seconds()),
                )
            return
        client.delete_message(message)
        self.stats.count(function.name, "succeeded")

    def poll_once(self) -> int:
        """Receive one batch per function and process it (messages of a batch run concurrently)."""
        work: list[tuple[IndexedFunction, QueueClient, Any]] = []
        for function in self.functions:
            client = self._trigger_client(function)
            batch = client.receive_messages(
                messages_per_page=self.options.batch_size,
                max_messages=self.options.batch_size,
                visibility_timeout=LEASE_SECONDS,
            )
            for message in batch:
                self.stats.count(function.name, "received")
                work.append((function, client, message))
        if work:
            with concurrent.futures.ThreadPoolExecutor(max_workers=min(len(work), 16)) as pool:
                for future in [pool.submit(self._handle, f, c, m) for f, c, m in work]:
                    future.result()
        return len(work)

    def pending(self) -> int:
        """Messages still in the trigger queues (visible or not)."""
        total = 0
        for function in self.functions:
            try:
                total += self._trigger_client(function).get_queue_properties().approximate_message_count or 0
            except ResourceNotFoundError:
                continue
        return total

    def run_until_idle(self, timeout: float = 30.0, poll_interval: float = 0.05) -> QueueStats:
        """Process until every trigger queue is empty (including messages waiting to be retried)."""
        deadline = time.monotonic() + timeout
        while True:
            handled = self.poll_once()
            if not handled and self.pending() == 0:
                return self.stats
            if time.monotonic() > deadline:
                raise TimeoutError(f"queues not idle after {timeout}s ({self.pending()} messages left)")
            if not handled:
                time.sleep(poll_interval)

    # ---- serve mode --------------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._threads or not self.functions:
            return
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._serve, args=(function,), name=f"queue-{function.name}", daemon=True)
            for function in self.functions
        ]
        for thread in self._threads:
            thread.start()

    def _serve(self, function: IndexedFunction) -> None:
        """Serve one trigger queue as the Functions host does: its own poller (a slow message of another queue never
        holds it up), up to `batchSize` messages received at a time, a new batch fetched as soon as the messages in
        flight fall to `newBatchThreshold` (default batchSize / 2), backoff up to `maxPollingInterval` when empty."""
        batch_size = self.options.batch_size
        threshold = self.options.new_batch_threshold
        threshold = batch_size // 2 if threshold is None else threshold
        delay, max_delay = 0.1, max(self.options.max_polling_interval.total_seconds(), 0.1)
        in_flight = 0
        changed = threading.Condition()

        def run(client: QueueClient, message: Any) -> None:
            nonlocal in_flight
            try:
                self._handle(function, client, message)
            except Exception:
                log.exception("queue message %s of %s could not be handled", message.id, function.name)
            finally:
                with changed:
                    in_flight -= 1
                    changed.notify_all()

        with concurrent.futures.ThreadPoolExecutor(batch_size + threshold, thread_name_prefix=function.name) as pool:
            while not self._stop.is_set():
                with changed:
                    while in_flight > threshold and not self._stop.is_set():
                        changed.wait(0.1)
                try:
                    client = self._trigger_client(function)
                    batch = list(
                        client.receive_messages(
                            messages_per_page=batch_size, max_messages=batch_size, visibility_timeout=LEASE_SECONDS
                        )
                    )
                except Exception:  # storage hiccup: log, back off, keep serving
                    log.exception("queue polling failed for %s", function.name)
                    batch = []
                for message in batch:
                    self.stats.count(function.name, "received")
                    with changed:
                        in_flight += 1
                    pool.submit(run, client, message)
                delay = 0.1 if batch else min(delay * 2, max_delay)
                if not batch:
                    self._stop.wait(delay)
            with changed:
                while in_flight > 0:
                    changed.wait(0.1)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads = []

    def close(self) -> None:
        self.stop()
        self.clients.close()
