"""Flask extensions, created unbound and initialised in ``create_app``."""

from flask_babel import Babel
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base of every model."""


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Flask-Migrate is not here: it imports Alembic, which a web worker never needs
# (portal.schema_upgrade.migrate binds it to an application on first use).
# Storage (memory or Redis) is chosen in create_app from PORTAL_REDIS_URL.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# Backend (Redis or this process) chosen in create_app; a Redis outage is a cache miss.
cache = Cache()
