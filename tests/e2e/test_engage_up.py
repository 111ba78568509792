"""A newcomer's first run: `engage up` on embedded defaults, driven through the edge, stopped, restarted."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import uuid

import psycopg
import pytest

from edge_client import Http, free_port

pytestmark = pytest.mark.e2e
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Up:
    """`engage up` as a child process, its output collected line by line."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli.main", "up"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for(self, pattern: str, seconds: float = 90) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            self.seen.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"never saw {pattern!r}; output:\n{''.join(self.seen[-60:])}")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(45)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            raise


def test_engage_up_runs_everything_on_embedded_defaults(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "BROKER_URL", "ENGAGE_HOME"}}
    ports = {name: str(free_port()) for name in ("GRPC_PORT", "EDGE_PORT", "EDGE_ADMIN_PORT", "METRICS_PORT")}
    env.update(ports, ENGAGE_HOME=str(tmp_path / "home"), LOG_LEVEL="INFO")
    up = Up(env)
    try:
        up.wait_for(r"Engage is up")
        database = up.wait_for(r"^\s+database\s").split()[1]
        edge = Http(f"http://127.0.0.1:{ports['EDGE_PORT']}")
        token = subprocess.run(
            [sys.executable, "-m", "services.cli.main", "token", "--user", "newcomer"],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        ).stdout.strip()
        eid = str(uuid.uuid4())
        r = edge("POST", "/api/activity/record", {"event_type": "DICE_PLAY", "event_id": eid}, token=token)
        assert r.status == 200, r.body
        assert edge("GET", "/api/activity/me", token=token).json()["activity"]["dice_plays"] == "1"
        # The scheduler fires the relay through the embedded broker and a worker drains the outbox.
        with psycopg.connect(database) as conn:
            deadline = time.monotonic() + 20
            while conn.execute("SELECT count(*) FROM activity.outbox").fetchone()[0] and time.monotonic() < deadline:
                conn.commit()
                time.sleep(0.5)
            assert conn.execute("SELECT count(*) FROM activity.outbox").fetchone()[0] == 0
    finally:
        code = up.stop()
    assert code == 0

    again = Up(env)
    try:
        again.wait_for(r"Engage is up")
        edge = Http(f"http://127.0.0.1:{ports['EDGE_PORT']}")
        r = edge("POST", "/api/activity/record", {"event_type": "DICE_PLAY", "event_id": eid}, token=token)
        assert r.json()["duplicate"] is True  # the data survived the restart
        assert edge("GET", "/api/activity/me", token=token).json()["activity"]["dice_plays"] == "1"
    finally:
        assert again.stop() == 0
