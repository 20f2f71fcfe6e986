"""Locust users holding idle python-socketio connections, for bench/naive-compare.sh
(the server's cost of an idle client).

    IDLE_HOLD=20 locust -f bench/locust/idle_locustfile.py --headless \
        -u 1000 -r 100 -t 35s --host http://127.0.0.1:PORT

Each user connects with python-socketio's default transports (HTTP long-polling,
then the upgrade to websocket), or those in IDLE_TRANSPORTS (comma-separated),
emits "ping" once with an acknowledgement, stays connected IDLE_HOLD seconds
answering heartbeats, disconnects, and then does nothing until the run ends.
Each connection is reported as one request ("sio connect+ping"), so a failed one
makes Locust exit 1.
"""
import os
import time

import gevent
import socketio
from locust import User, constant, events, task

HOLD = float(os.environ.get("IDLE_HOLD", "20"))
TRANSPORTS = [t for t in os.environ.get("IDLE_TRANSPORTS", "").split(",") if t] or None


class IdleUser(User):
    wait_time = constant(3600)

    @task
    def hold_idle(self):
        start = time.monotonic()
        sio = socketio.Client(reconnection=False)
        error = None
        try:
            sio.connect(self.host, transports=TRANSPORTS, wait_timeout=30)
            answer = sio.call("ping", timeout=30)
            if answer != "pong":
                error = ValueError(f"ack {answer!r}, want 'pong'")
        except Exception as e:  # reported to Locust, which counts the failure
            error = e
        events.request.fire(
            request_type="sio",
            name="connect+ping",
            response_time=(time.monotonic() - start) * 1000,
            response_length=0,
            exception=error,
            context={},
        )
        if error is None:
            gevent.sleep(HOLD)
            if not sio.connected:
                events.request.fire(request_type="sio", name="idle", response_time=0,
                                    response_length=0, exception=RuntimeError("disconnected while idle"), context={})
        sio.disconnect()
