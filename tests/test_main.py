"""The command line (`python -m bot run|migrate`), run as a real process."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest


async def _run(cwd: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args,
        cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    return int(process.returncode or 0), output.decode()


async def test_run_without_a_token_explains_what_to_configure(tmp_path: Path, cli_env: Any) -> None:
    code, output = await _run(tmp_path, cli_env(), "run")
    assert code == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in output and "@BotFather" in output


async def test_migrate_creates_the_database(tmp_path: Path, cli_env: Any) -> None:
    code, output = await _run(tmp_path, cli_env(), "migrate")
    assert code == 0, output
    assert "up to date" in output
    assert (tmp_path / "data" / "bot.db").exists()


async def test_run_serves_and_stops_cleanly_on_sigterm(
    tmp_path: Path, emulator: Any, cli_env: Any, free_port: Callable[[], int]
) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        cwd=tmp_path,
        env=cli_env(
            TELEGRAM_BOT_TOKEN=emulator.token, TELEGRAM_API_URL=emulator.base_url,
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


@pytest.mark.parametrize("command", ["demo", "simulator"])
def test_an_installation_without_the_standins_says_so(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The production image ships the bot alone: asking it for a stand-in explains instead of a traceback."""
    from bot.__main__ import main

    for name in [name for name in sys.modules if name.startswith("standins")]:
        monkeypatch.delitem(sys.modules, name)
    for name in ("standins", "standins.demo", "standins.netatmo_sim", "standins.netatmo_sim.cli"):
        monkeypatch.setitem(sys.modules, name, None)  # what an import of a missing package does
    assert main([command]) == 3
    assert "stand-ins" in capsys.readouterr().err
