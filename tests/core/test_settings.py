"""Settings load from strict environment variables; run in a subprocess for a clean import."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_settings(tmp_path, **env):
    script = ("import sao.settings as s; print(s.DATABASES['default']['ENGINE']); "
              "print(s.DEBUG); print(s.TIME_ZONE); print(s.LANGUAGE_CODE)")
    environment = {key: value for key, value in os.environ.items()
                   if key not in {"DATABASE_URL", "SECRET_KEY", "SAO_PRODUCTION", "ALLOWED_HOSTS"}}
    environment["SAO_VAR_DIR"] = str(tmp_path)
    environment.update(env)
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment,
                          capture_output=True, text=True, check=False)


def test_defaults_sqlite_wita_indonesian(tmp_path):
    result = load_settings(tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "False", "Asia/Makassar", "id"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_demo_secret_key_is_kept(tmp_path):
    load_settings(tmp_path)
    first = (tmp_path / "secret_key").read_text()

    load_settings(tmp_path)

    assert (tmp_path / "secret_key").read_text() == first


def test_production_requires_secret_key(tmp_path):
    result = load_settings(tmp_path, SAO_PRODUCTION="true", ALLOWED_HOSTS="sao.example")

    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_production_rejects_short_secret_key(tmp_path):
    result = load_settings(tmp_path, SAO_PRODUCTION="true", ALLOWED_HOSTS="sao.example",
                           SECRET_KEY="short")

    assert "at least 50 characters" in result.stderr


def test_production_requires_allowed_hosts(tmp_path):
    result = load_settings(tmp_path, SAO_PRODUCTION="true", SECRET_KEY="x" * 60)

    assert "ALLOWED_HOSTS is required" in result.stderr


def test_malformed_boolean_named(tmp_path):
    result = load_settings(tmp_path, SAO_PRODUCTION="maybe")

    assert "SAO_PRODUCTION='maybe' is not a boolean" in result.stderr


def test_database_url_selects_postgres(tmp_path):
    result = load_settings(tmp_path, DATABASE_URL="postgres://sao@127.0.0.1:5432/sao")

    assert result.stdout.split()[0] == "django.db.backends.postgresql"


def test_sqlite_file_runs_in_wal_mode(tmp_path):
    script = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'sao.settings'; "
              "django.setup(); from django.db import connection; c = connection.cursor(); "
              "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])")
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    environment["SAO_VAR_DIR"] = str(tmp_path)

    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment,
                            capture_output=True, text=True, check=False)

    assert result.stdout.strip() == "wal", result.stderr
    assert (tmp_path / "sao.sqlite3").exists()
