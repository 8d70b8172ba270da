# Real PostgreSQL and Redis servers for the tests (see tests/servers.py).
pytest_plugins = ["tests.servers"]
