"""`python -m bot demo` starts the three servers on 127.0.0.1 and stops on Ctrl-C."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp


async def test_demo_serves_chat_page_simulator_and_bot(
    tmp_path: Path, cli_env: Any, free_port: Callable[[], int]
) -> None:
    chat, sim, bot = free_port(), free_port(), free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "demo",
        "--port", str(chat), "--simulator-port", str(sim), "--bot-port", str(bot), "--events-every", "0",
        cwd=tmp_path, env=cli_env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        async with aiohttp.ClientSession(trust_env=False) as http:
            health: dict[str, object] = {}
            for _ in range(100):
                try:
                    async with http.get(f"http://127.0.0.1:{bot}/healthz") as response:
                        health = await response.json()
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.2)
            assert health.get("status") == "ok", health
            async with http.get(f"http://127.0.0.1:{chat}/") as response:
                assert response.status == 200 and "<html" in await response.text()
            async with http.get(f"http://127.0.0.1:{sim}/_sim/accounts") as response:
                assert (await response.json())["total"] >= 1
        process.send_signal(signal.SIGINT)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=20)
        assert process.returncode == 0, output.decode()
        assert "The offline demo is running" in output.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
