"""Administration: services, categories and staff accounts (admins only; 403 tests are in
test_permissions_staff.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from portal.extensions import db
from portal.models import Category, PrivacyTier, Service, StaffRole, StaffUser
from portal.services import staff_actions
from portal.services.core import ServiceError
from tests.factories import category_by_code, city_by_slug

NAMES = {"name_ru": "Служба", "name_ky": "Кызмат", "name_en": "Service"}


@pytest.fixture
def admin_user(make_staff, login_as):
    user = make_staff(role="admin")
    login_as(user)
    return user


def service(code: str) -> Service:
    db.session.expire_all()
    return db.session.scalars(select(Service).where(Service.code == code)).one()


def test_the_admin_page_lists_services_categories_and_staff(client, admin_user):
    page = client.get("/staff/admin/?lang=en").get_data(as_text=True)
    assert "bsk-roads" in page and "osh-vodokanal" in page
    assert "pothole" in page
    assert admin_user.email in page
    assert 'name="csrf_token"' in client.get("/staff/admin/services/new").get_data(as_text=True)


def test_create_a_service(client, admin_user):
    response = client.post(
        "/staff/admin/services/new",
        data={"code": "bsk-metro", "city": "bishkek", **NAMES,
              "email": "metro@bishkek.kg", "active": "1"},
    )  # fmt: skip
    assert response.status_code == 302
    created = service("bsk-metro")
    assert created.city.slug == "bishkek" and created.email == "metro@bishkek.kg" and created.active


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "bsk-roads", "city": "bishkek", **NAMES}, "This code is already taken."),
        ({"code": "Bad Code", "city": "bishkek", **NAMES}, "Use 1–40 lowercase letters"),
        ({"code": "bsk-x", "city": "bishkek", **NAMES, "email": "nope"}, "Not a valid e-mail"),
        ({"code": "bsk-x", "city": "atlantis", **NAMES}, "Choose a city."),
        ({"code": "bsk-x", "city": "bishkek", "name_ru": "Х"}, "This field is required."),
    ],
)
def test_service_form_errors(client, admin_user, data, message):
    response = client.post("/staff/admin/services/new?lang=en", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalars(select(Service).where(Service.code == "bsk-x")).first() is None


def test_deactivating_a_service_removes_it_from_rerouting(client, admin_user, make_appeal,
                                                          make_staff):  # fmt: skip
    svet = service("bsk-svet")
    response = client.post(f"/staff/admin/services/{svet.id}", data={**NAMES})  # no "active"
    assert response.status_code == 302
    svet = service("bsk-svet")
    assert svet.active is False and svet.name_en == "Service"
    assert svet.code == "bsk-svet"  # codes never change
    appeal = make_appeal()
    roads = make_staff(role="service", service="bsk-roads")
    with pytest.raises(ServiceError):
        staff_actions.reroute(roads, appeal.public_id, service_code="bsk-svet", reason="Свет")


def test_edit_a_category(client, admin_user, make_appeal):
    category = category_by_code(city_by_slug("bishkek"), "pothole")
    response = client.post(
        f"/staff/admin/categories/{category.id}",
        data={**NAMES, "default_service": "bsk-svet", "deadline_days": "10",
              "privacy_tier": "home", "active": "1"},
    )  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    category = db.session.get(Category, category.id)
    assert category.default_service.code == "bsk-svet"
    assert category.deadline_days == 10 and category.privacy_tier is PrivacyTier.HOME
    assert make_appeal(category="pothole").service.code == "bsk-svet"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"default_service": "osh-roads", "privacy_tier": "public"}, "same city"),
        ({"default_service": "bsk-roads", "privacy_tier": "secret"}, "Unknown tier."),
        ({"default_service": "bsk-roads", "privacy_tier": "public", "deadline_days": "0"},
         "Between 1 and 60 working days."),
    ],
)  # fmt: skip
def test_category_form_errors(client, admin_user, data, message):
    category = category_by_code(city_by_slug("bishkek"), "pothole")
    response = client.post(f"/staff/admin/categories/{category.id}?lang=en", data={**NAMES, **data})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Category, category.id).default_service.code == "bsk-roads"


def test_create_a_category(client, admin_user):
    response = client.post(
        "/staff/admin/categories/new",
        data={"code": "graffiti", "city": "osh", "group": "housing", **NAMES,
              "default_service": "osh-housing", "privacy_tier": "public", "active": "1"},
    )  # fmt: skip
    assert response.status_code == 302
    created = category_by_code(city_by_slug("osh"), "graffiti")
    assert created.default_service.code == "osh-housing" and created.deadline_days is None


def test_create_a_service_staff_account_that_can_log_in(client, admin_user):
    response = client.post(
        "/staff/admin/staff/new",
        data={"email": "Water@Bishkek.kg", "name": "Асель", "role": "service",
              "service": "bsk-vodokanal", "password": "long enough pw", "active": "1"},
    )  # fmt: skip
    assert response.status_code == 302
    user = db.session.scalars(select(StaffUser).where(StaffUser.email == "water@bishkek.kg")).one()
    assert user.role is StaffRole.SERVICE and user.service.code == "bsk-vodokanal"
    assert user.password_hash.startswith("scrypt:")
    client.post("/staff/logout")
    login = client.post(
        "/staff/login", data={"email": "water@bishkek.kg", "password": "long enough pw"}
    )
    assert login.status_code == 302


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"role": "service"}, "Service staff must belong to a service."),
        ({"role": "moderator", "service": "bsk-roads"}, "Only service staff belong to a service."),
        ({"role": "service", "service": "no-such"}, "Choose a service."),
        ({"role": "admin"}, "This field is required."),  # no password on creation
        ({"role": "admin", "password": "short"}, "Use between 10 and 200 characters."),
        ({"role": "chief", "password": "long enough pw"}, "Unknown role."),
    ],
)
def test_staff_form_errors(client, admin_user, data, message):
    response = client.post(
        "/staff/admin/staff/new?lang=en", data={"email": "new@city.kg", "name": "N", **data}
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert (
        db.session.scalars(select(StaffUser).where(StaffUser.email == "new@city.kg")).first()
        is None
    )


def test_an_existing_email_is_refused(client, admin_user):
    response = client.post(
        "/staff/admin/staff/new?lang=en",
        data={"email": admin_user.email.upper(), "name": "N", "role": "admin",
              "password": "long enough pw"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "already exists" in response.get_data(as_text=True)


def test_reset_a_password(client, admin_user, make_staff):
    user = make_staff(role="moderator")
    response = client.post(
        f"/staff/admin/staff/{user.id}",
        data={"email": user.email, "name": "Renamed", "role": "moderator",
              "password": "a brand new password", "active": "1"},
    )  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(StaffUser, user.id)
    assert user.private_name == "Renamed"
    assert check_password_hash(user.password_hash, "a brand new password")


def test_an_admin_cannot_lock_themselves_out(client, admin_user):
    for data in ({"role": "moderator", "active": "1"}, {"role": "admin"}):
        response = client.post(
            f"/staff/admin/staff/{admin_user.id}?lang=en",
            data={"email": admin_user.email, "name": "Me", **data},
        )
        assert response.status_code == 400
        assert "your own administrator access" in response.get_data(as_text=True)
    db.session.expire_all()
    me = db.session.get(StaffUser, admin_user.id)
    assert me.role is StaffRole.ADMIN and me.active


def test_unknown_rows_are_404(client, admin_user):
    assert client.get("/staff/admin/services/9999").status_code == 404
    assert client.post("/staff/admin/staff/9999", data={}).status_code == 404
