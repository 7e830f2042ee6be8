"""Test overlay: the real services, a separate Neo4j database name is not available in Community, so tests
clean the graph themselves; fast password hashing."""

from investigations.settings.base import *  # noqa: F403
from investigations.settings.env import env_bool

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The Celery worker started by the test fixtures is a separate process: it must open the same database
# file as the test run, and must not keep connections to a file the next test run recreates.
TEST_DB_PATH = VAR_DIR / "test" / "test-db.sqlite3"  # noqa: F405
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(TEST_DB_PATH)}  # noqa: F405
    if env_bool("USE_TEST_DATABASE", False):
        DATABASES["default"]["NAME"] = str(TEST_DB_PATH)  # noqa: F405
elif DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    # The PostgreSQL pass of the test command: pytest-django creates test_<NAME>; the worker opens that one.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
    if env_bool("USE_TEST_DATABASE", False):
        DATABASES["default"]["NAME"] = "test_" + DATABASES["default"]["NAME"]  # noqa: F405
