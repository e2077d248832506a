"""Installing reference data and staff accounts."""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from portal.demo.reference import CATEGORIES, CITIES, SERVICES, service_code_for
from portal.extensions import db
from portal.models import Category, City, District, Service, StaffRole, StaffUser
from portal.services.core import ServiceError, transaction


def install_reference_data() -> bool:
    """Create the pilot cities, districts, services and categories once.

    Returns False (and changes nothing) when they already exist.
    """
    if db.session.scalars(select(City).limit(1)).first() is not None:
        return False
    with transaction():
        cities = {}
        for ref in CITIES:
            city = City(
                code=ref.code, slug=ref.slug,
                name_ru=ref.names[0], name_ky=ref.names[1], name_en=ref.names[2],
                min_lat=ref.lat[0], max_lat=ref.lat[1], min_lon=ref.lon[0], max_lon=ref.lon[1],
            )  # fmt: skip
            city.districts = [
                District(
                    slug=slug, name_ru=ru, name_ky=ky, name_en=en, center_lat=lat, center_lon=lon
                )  # fmt: skip
                for slug, (ru, ky, en), lat, lon in ref.districts
            ]
            db.session.add(city)
            cities[ref.code] = city
        services = {}
        for ref in SERVICES:
            service = Service(
                code=ref.code, city=cities[ref.city],
                name_ru=ref.names[0], name_ky=ref.names[1], name_en=ref.names[2],
                email=f"{ref.code}@services.achyk-shaar.kg",
            )  # fmt: skip
            db.session.add(service)
            services[ref.code] = service
        for city_ref in CITIES:
            for ref in CATEGORIES:
                db.session.add(
                    Category(
                        city=cities[city_ref.code],
                        code=ref.code,
                        group=ref.group,
                        name_ru=ref.names[0],
                        name_ky=ref.names[1],
                        name_en=ref.names[2],
                        default_service=services[service_code_for(city_ref.code, ref.kind)],
                        deadline_days=ref.deadline_days,
                        privacy_tier=ref.tier,
                    )  # fmt: skip
                )
    return True


def staff_service(role: str, service_code: str | None) -> Service | None:
    """The service a new account of ``role`` is bound to (checked before a password is asked).

    Service staff need an existing service; an unknown code is refused with the valid ones.
    """
    if role != StaffRole.SERVICE.value:
        if service_code:
            raise ServiceError("only service staff are bound to a service")
        return None
    codes = db.session.scalars(select(Service.code).order_by(Service.code)).all()
    if not service_code:
        raise ServiceError(f"service staff need --service CODE; valid codes: {', '.join(codes)}")
    service = db.session.scalars(select(Service).where(Service.code == service_code)).first()
    if service is None:
        raise ServiceError(
            f"no service with code {service_code!r}; valid codes: {', '.join(codes)}"
        )
    return service


def create_staff(
    *, email: str, name: str, password: str, role: str, service_code: str | None = None
) -> StaffUser:
    """Create a staff account; service staff must be bound to exactly one service."""
    try:
        role_value = StaffRole(role)
    except ValueError:
        raise ServiceError(f"unknown role {role!r}; use admin, moderator or service") from None
    service = staff_service(role_value.value, service_code)
    if len(password) < 10:
        raise ServiceError("the password must have at least 10 characters")
    email = email.strip().lower()
    if db.session.scalars(select(StaffUser).where(StaffUser.email == email)).first():
        raise ServiceError(f"a staff account {email} already exists")
    with transaction():
        user = StaffUser(
            email=email,
            private_name=name,
            password_hash=generate_password_hash(password),
            role=role_value,
            service=service,
        )
        db.session.add(user)
    return user
