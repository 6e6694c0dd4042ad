"""`python -m bot run` as a real child process, for the crash and replica tests (SIGKILL needs a process)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.fernet import Fernet

from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]


@dataclass
class BotProcess:
    process: subprocess.Popen[bytes]
    log_path: Path
    port: int
    _log: IO[bytes]

    def kill(self) -> None:
        """SIGKILL: no clean stop, no lease released, whatever was in flight is cut."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self._log.close()

    async def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            for _ in range(100):
                if self.process.poll() is not None:
                    break
                await asyncio.sleep(0.1)
            else:
                self.process.kill()
                self.process.wait(10)
        if not self._log.closed:
            self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def bot_env(emulator: Any, database_url: str, data_dir: Path, key: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NETATMO_", "DATABASE_"))}
    env.update(
        PYTHONPATH=str(REPO),
        PTB_TIMEDELTA="true",
        TELEGRAM_BOT_TOKEN=emulator.token,
        TELEGRAM_API_URL=emulator.base_url,
        NETATMO_API_URL="http://127.0.0.1:9",  # nothing listens: these tests feed the outbox directly
        NETATMO_CLIENT_ID="test-client",
        NETATMO_CLIENT_SECRET="test-secret",
        DATABASE_URL=database_url,
        DATA_DIR=str(data_dir),
        TOKEN_ENCRYPTION_KEY=key,
        WEBRTC_ICE_SERVERS="",
        LOG_LEVEL="INFO",
        NO_PROXY="127.0.0.1,localhost",
    )
    env.update(extra)
    return env


def new_key() -> str:
    return Fernet.generate_key().decode()


def start_bot_process(
    emulator: Any, database_url: str, workdir: Path, key: str, name: str, **extra: str
) -> BotProcess:
    workdir.mkdir(parents=True, exist_ok=True)
    port = int(extra.pop("WEB_PORT", "0") or 0) or free_port()
    env = bot_env(emulator, database_url, workdir / "data", key, WEB_PORT=str(port), **extra)
    log_path = workdir / f"{name}.log"
    log = log_path.open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    return BotProcess(process, log_path, port, log)


async def wait_started(bot: BotProcess, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    """Until the log says the delivery worker runs (or the process died)."""
    async with asyncio.timeout(timeout):
        while "delivery_started" not in bot.log():
            if bot.process.poll() is not None:
                raise AssertionError(f"bot exited with {bot.process.returncode}:\n{bot.log()[-3000:]}")
            await asyncio.sleep(0.1)


async def wait_for_messages(emulator: Any, chats: list[int], count: int, timeout: float) -> None:  # noqa: ASYNC109
    """Until the bot's messages in `chats` number at least `count` in all."""

    def enough() -> bool | None:
        return sum(len(emulator.messages(c)) for c in chats) >= count or None

    await emulator.wait_for(enough, timeout=timeout, what=f"{count} bot messages")
