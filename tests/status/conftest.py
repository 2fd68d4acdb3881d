"""The status page's tests run on the store tests' databases (SQLite, and a schema of its
own on the real PostgreSQL server), and start `papers-bot run` as the app tests do."""

from tests.app.test_run import bots, http  # noqa: F401  (the fixtures)
from tests.store.conftest import backend, pg_backend, store  # noqa: F401
