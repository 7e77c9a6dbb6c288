"""Fixtures of the Python tests: a fresh PostgreSQL database with the december app (the server
named by the PG* variables, started by the test command), and a real `ferry gateway` on it."""
import os
import re
import subprocess
import time
import uuid

import pytest

CLI = os.environ.get("FERRY_CLI", "ferry")
SECRET = "python-tests-secret-of-the-ferry-gateway-0123456789"


@pytest.fixture
def database():
    name = "ferry_py_" + uuid.uuid4().hex[:12]
    subprocess.run(["createdb", name], check=True)
    try:
        subprocess.run([CLI, "server", "init", "--app", "december", "--database-url", "dbname=" + name],
                       check=True, capture_output=True)
        yield "dbname=" + name
    finally:
        subprocess.run(["dropdb", "--if-exists", "--force", name], check=False, capture_output=True)


@pytest.fixture
def gateway(database):
    env = dict(os.environ, DATABASE_URL=database, FERRY_JWT_SECRET=SECRET)
    proc = subprocess.Popen([CLI, "gateway", "--listen", "127.0.0.1:0"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    match = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
    assert match, "ferry gateway did not start: " + line
    yield "http://127.0.0.1:" + match.group(1)
    proc.terminate()
    proc.wait(timeout=15)


def token_for(user):
    out = subprocess.run([CLI, "token", "--sub", user], env=dict(os.environ, FERRY_JWT_SECRET=SECRET),
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def eventually(check, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()
