"""Administration use cases: services, categories and staff accounts (admins only).

Every function asks ``ensure_can(user, "administer")`` first and is one transaction.
Codes (service code, category code) are stable public identifiers: set on creation,
never changed afterwards.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Category, City, PrivacyTier, Service, StaffRole, StaffUser
from portal.services.auth import end_sessions, set_password
from portal.services.core import NotFound, ServiceError, transaction
from portal.services.permissions import ensure_can


def _field_error(field: str, message: str) -> ServiceError:
    return ServiceError(message, {field: [message]})


def _city(slug: str | None) -> City:
    city = db.session.scalars(select(City).where(City.slug == slug)).first() if slug else None
    if city is None:
        raise _field_error("city", _("Choose a city."))
    return city


def _get(model, ident: int, message: str):
    row = db.session.get(model, ident)
    if row is None:
        raise NotFound(message)
    return row


# --- Services ---------------------------------------------------------------------------------


def save_service(user: StaffUser, data: dict, service_id: int | None = None) -> Service:
    """Create (service_id None) or update a service."""
    ensure_can(user, "administer")
    with transaction():
        if service_id is None:
            if not data.get("code"):
                raise _field_error("code", _("This field is required."))
            city = _city(data.get("city"))
            if db.session.scalars(select(Service).where(Service.code == data["code"])).first():
                raise _field_error("code", _("This code is already taken."))
            service = Service(code=data["code"], city_id=city.id)
            db.session.add(service)
        else:
            service = _get(Service, service_id, _("No such service."))
        for name in ("name_ru", "name_ky", "name_en", "email", "active"):
            setattr(service, name, data.get(name))
    return service


# --- Categories -------------------------------------------------------------------------------


def save_category(user: StaffUser, data: dict, category_id: int | None = None) -> Category:
    """Create or update a category (names, default service, deadline, privacy tier, active)."""
    ensure_can(user, "administer")
    with transaction():
        service = db.session.scalars(
            select(Service).where(Service.code == data["default_service"])
        ).first()
        if category_id is None:
            for name in ("code", "group"):
                if not data.get(name):
                    raise _field_error(name, _("This field is required."))
            city = _city(data.get("city"))
            exists = select(Category).where(
                Category.city_id == city.id, Category.code == data["code"]
            )
            if db.session.scalars(exists).first():
                raise _field_error("code", _("This code is already taken."))
            category = Category(code=data["code"], group=data["group"], city_id=city.id)
        else:
            category = _get(Category, category_id, _("No such category."))
        if service is None or service.city_id != category.city_id:
            raise _field_error("default_service", _("Choose a service of the same city."))
        db.session.add(category)
        category.default_service_id = service.id
        category.deadline_days = data.get("deadline_days")
        category.privacy_tier = PrivacyTier(data["privacy_tier"])
        for name in ("name_ru", "name_ky", "name_en", "active"):
            setattr(category, name, data.get(name))
    return category


# --- Staff accounts ---------------------------------------------------------------------------


def save_staff(user: StaffUser, data: dict, staff_id: int | None = None) -> StaffUser:
    """Create or update a staff account; service staff belong to exactly one service.

    An administrator cannot demote or deactivate their own account (no lock-out).
    """
    ensure_can(user, "administer")
    with transaction():
        email = data["email"].strip().lower()
        clash = select(StaffUser).where(func.lower(StaffUser.email) == email)
        if staff_id is not None:
            clash = clash.where(StaffUser.id != staff_id)
        if db.session.scalars(clash).first():
            raise _field_error("email", _("A staff account with this e-mail already exists."))
        role = StaffRole(data["role"])
        service = None
        if role is StaffRole.SERVICE:
            service = db.session.scalars(
                select(Service).where(Service.code == data.get("service"))
            ).first()
            if service is None:
                raise _field_error("service", _("Choose a service."))
        if staff_id is None:
            if not data.get("password"):
                raise _field_error("password", _("This field is required."))
            account = StaffUser(email=email, password_hash="", role=role)
            db.session.add(account)
        else:
            account = _get(StaffUser, staff_id, _("No such staff account."))
            if account.id == user.id and (role is not StaffRole.ADMIN or not data.get("active")):
                raise _field_error("role", _("You cannot remove your own administrator access."))
        account.email = email
        account.private_name = data["name"]
        account.role = role
        account.service_id = service.id if service else None
        account.active = bool(data.get("active"))
        if data.get("password"):
            set_password(account, data["password"])
        if not account.active:
            end_sessions(account)
    return account


# --- Lists --------------------------------------------------------------------------------------


def list_services(user: StaffUser) -> list[Service]:
    ensure_can(user, "administer")
    return list(db.session.scalars(select(Service).order_by(Service.city_id, Service.code)))


def list_categories(user: StaffUser) -> list[Category]:
    ensure_can(user, "administer")
    return list(db.session.scalars(select(Category).order_by(Category.city_id, Category.code)))


def list_staff(user: StaffUser) -> list[StaffUser]:
    ensure_can(user, "administer")
    return list(db.session.scalars(select(StaffUser).order_by(StaffUser.email)))


def list_cities(user: StaffUser) -> list[City]:
    ensure_can(user, "administer")
    return list(db.session.scalars(select(City).order_by(City.id)))


def get_for_edit(user: StaffUser, kind: str, ident: int):
    """One service, category or staff account to show in its edit form."""
    ensure_can(user, "administer")
    model = {"service": Service, "category": Category, "staff": StaffUser}[kind]
    return _get(model, ident, _("Nothing was found at this address."))
