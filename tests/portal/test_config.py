"""Settings: defaults, PORTAL_* environment overrides and the production safety check."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from portal.config import ConfigError, Settings, check_production_safety, load_settings


def test_environment_overrides_are_converted_to_the_default_type():
    settings = load_settings(
        environ={
            "PORTAL_DEFAULT_DEADLINE_DAYS": "10",
            "PORTAL_AUTO_PUBLISH": "yes",
            "PORTAL_EXTRA_HOLIDAYS": "2026-12-30, 2026-12-31",
            "PORTAL_DATABASE_URL": "postgresql+psycopg://db/portal",
        }
    )
    assert settings.DEFAULT_DEADLINE_DAYS == 10
    assert settings.AUTO_PUBLISH is True
    assert settings.EXTRA_HOLIDAYS == ("2026-12-30", "2026-12-31")
    assert settings.DATABASE_URL == "postgresql+psycopg://db/portal"


def test_explicit_config_wins_over_the_environment():
    settings = load_settings({"PAGE_SIZE": 7}, environ={"PORTAL_PAGE_SIZE": "50"})
    assert settings.PAGE_SIZE == 7


@pytest.mark.parametrize(
    ("name", "value"), [("PORTAL_AUTO_PUBLISH", "maybe"), ("PORTAL_PAGE_SIZE", "many")]
)
def test_malformed_values_give_a_clear_error(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings(environ={name: value})


def test_default_secret_is_refused_outside_debug_and_testing():
    with pytest.raises(ConfigError, match="PORTAL_SECRET_KEY"):
        check_production_safety(Settings())
    check_production_safety(Settings(DEBUG=True))
    check_production_safety(Settings(SECRET_KEY="a-long-random-production-secret"))


def test_every_setting_is_documented_in_the_readme():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`PORTAL_([A-Z0-9_]+)`", readme))
    missing = {f.name for f in fields(Settings) if f.name != "extra"} - documented
    assert not missing, f"settings missing from README: {sorted(missing)}"
