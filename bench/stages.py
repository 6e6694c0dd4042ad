"""Where one alert's latency goes inside the bot: per-stage timings of the pipeline at one rate.

    .venv/bin/python bench/stages.py [--rate 10] [--events 300] [--homes 1000] [--database-url …]

The same world as `bench/alerts.py` (its stand-ins in child processes, pinned to the first CPU; the
pipeline seeded with `--homes` homes, each with a camera and its owner's private chat), but only the
pipeline, at one rate. A few of the bot's steps are wrapped to note the monotonic time when each event
reaches them, so the figures say which step an alert waits in — which `bench/alerts.py`, timing from
the simulator to the emulator, cannot. Stages, per event:

    emit → intake      the simulator emits the event until intake takes its webhook batch
    intake: reads      the homes and routing read (`intake_reads.read_batch`)
    intake: inserts    the write transaction's statements, before its commit
    intake: commit     the commit and the hand-over to the delivery worker
    → send             from the end of intake until the photo's upload starts
    emit → send        the whole path inside the bot, up to the Telegram request

The wrapping costs a few microseconds per event. It changes nothing the bot does.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from bench.alerts import Bench, Child, pin, start_pipeline
from bench.standins import home_of
from bot import eventloop
from bot.alerts import intake, sending, watcher

STAGES = [
    ("emit → intake", "emit", "intake_start"),
    ("intake: reads", "reads_start", "reads_end"),
    ("intake: inserts", "inserts_start", "inserts_end"),
    ("intake: commit", "inserts_end", "intake_end"),
    ("→ send", "intake_end", "upload"),
    ("emit → send", "emit", "upload"),
]

Marks = defaultdict[str, dict[str, float]]


def wrap_steps(marks: Marks) -> None:
    """Note, per home (one event per home and run), when its event reaches each step."""

    def note(homes: Sequence[str], step: str) -> None:
        now = time.monotonic()
        for home in homes:
            marks[home].setdefault(step, now)

    def around(
        owner: Any, name: str, homes_of: Callable[..., Sequence[str]], before: str, after: str
    ) -> None:
        original: Callable[..., Awaitable[Any]] = getattr(owner, name)

        async def wrapped(*args: Any, **kwargs: Any) -> Any:
            homes = homes_of(*args, **kwargs)
            note(homes, before)
            result = await original(*args, **kwargs)
            note(homes, after)
            return result

        setattr(owner, name, wrapped)

    around(
        watcher.IntakeWatcher,
        "handle",
        lambda _self, pushes: [p.payload.get("home_id") or "" for p in pushes],
        "intake_start",
        "intake_end",
    )
    around(intake, "read_batch", lambda _sessions, homes, *_: homes, "reads_start", "reads_end")
    around(
        intake, "_store_homes", lambda _session, batches, *_: list(batches), "inserts_start", "inserts_end"
    )
    around(sending.AlertSender, "_upload", lambda _self, row, *_: [row.event.home_id], "upload", "uploaded")


class RecordingBench(Bench):
    """`Bench` that keeps the emit times of its last run (per home index)."""

    emitted: list[list[float]] = []

    async def _emit(self, rate: float, count: int) -> tuple[list[list[float]], float]:
        emitted, seconds = await super()._emit(rate, count)
        self.emitted = emitted
        return emitted, seconds


def percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(len(values) * share))]


async def main(args: argparse.Namespace) -> None:
    marks: Marks = defaultdict(dict)
    wrap_steps(marks)
    simulator, emulator = Child("simulator", args.homes), Child("emulator", args.homes)
    try:
        pin(simulator.process.pid, emulator.process.pid)
        with tempfile.TemporaryDirectory() as tmp:
            runtime, hook = await start_pipeline(args, simulator.info["url"], emulator.info, Path(tmp))
            try:
                async with aiohttp.ClientSession() as http:
                    processes = {"pipeline": os.getpid()}
                    bench = RecordingBench(
                        http, simulator.info["url"], emulator.info["url"], args.homes, processes
                    )
                    await bench.point_webhooks(hook)
                    await bench.run(100, min(300, args.homes), 20)  # warm-up: connections, caches
                    marks.clear()
                    first_home = bench.next_home
                    await bench.run(args.rate, args.events, 20)  # emits, then waits for the photos
                    emitted = bench.emitted
            finally:
                await runtime.stop()
    finally:
        simulator.stop()
        emulator.stop()
    for index, at in emitted:
        marks[home_of(int(index))[0]]["emit"] = at
    print(f"pipeline at {args.rate:g}/s, {args.events} events (homes from #{first_home}), times in ms:")
    for label, start, end in STAGES:
        spans = sorted(1000 * (m[end] - m[start]) for m in marks.values() if start in m and end in m)
        if spans:
            print(
                f"  {label:<16} p50 {percentile(spans, 0.5):6.2f}  p90 {percentile(spans, 0.9):6.2f}  "
                f"p99 {percentile(spans, 0.99):6.2f}  max {spans[-1]:6.2f}  ({len(spans)} events)"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=10.0, help="events per second")
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--homes", type=int, default=1000)
    parser.add_argument("--database-url", default="", help="PostgreSQL, EMPTIED first (default: SQLite)")
    eventloop.run(main(parser.parse_args()))
