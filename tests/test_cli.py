"""The command line of CONTRACT.md, run as a real process."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp

from tests.conftest import CONTRACT_VARIABLES, free_port


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in CONTRACT_VARIABLES}
    env.update({"DATA_DIR": str(tmp_path / "data"), "PTB_TIMEDELTA": "true"}, **values)
    return env


async def _run(tmp_path: Path, *args: str, **env: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args,
        cwd=tmp_path, env=_env(tmp_path, **env),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    return int(process.returncode or 0), output.decode()


async def test_run_without_a_token_explains_what_to_configure(tmp_path: Path) -> None:
    code, output = await _run(tmp_path, "run")
    assert code == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in output and "@BotFather" in output


async def test_migrate_creates_the_database(tmp_path: Path) -> None:
    code, output = await _run(tmp_path, "migrate")
    assert code == 0, output
    assert "up to date" in output
    assert (tmp_path / "data" / "bot.db").exists()


async def test_run_serves_and_stops_cleanly_on_sigterm(tmp_path: Path, emulator: Any) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        cwd=tmp_path,
        env=_env(
            tmp_path, TELEGRAM_BOT_TOKEN=emulator.token, TELEGRAM_API_URL=emulator.base_url,
            WEB_PORT=str(port), WEBRTC_ICE_SERVERS="",
        ),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        anna = emulator.add_user("Anna")
        await emulator.send_message(anna, None, "/start")
        reply = await emulator.wait_for_message(emulator.private_chat(anna), timeout=30)
        assert "Hi Anna" in reply.text
        async with aiohttp.ClientSession(trust_env=False) as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 200
        process.send_signal(signal.SIGTERM)
        loop = asyncio.get_running_loop()
        started = loop.time()
        output, _ = await asyncio.wait_for(process.communicate(), timeout=15)
        assert process.returncode == 0, output.decode()
        assert loop.time() - started < 10
        assert "bot_stopped" in output.decode()
        assert emulator.token.split(":")[1] not in output.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
