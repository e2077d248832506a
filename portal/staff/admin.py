"""Administration routes: services, categories and staff accounts (admins only)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError

from portal.models import PrivacyTier, StaffRole
from portal.schemas import error_dict
from portal.schemas.staff import CategoryFormSchema, ServiceFormSchema, StaffFormSchema, load
from portal.services import admin
from portal.services.core import Forbidden, NotFound, ServiceError
from portal.services.permissions import ensure_can
from portal.staff import bp

KINDS = {
    "service": (ServiceFormSchema, admin.save_service),
    "category": (CategoryFormSchema, admin.save_category),
    "staff": (StaffFormSchema, admin.save_staff),
}


@bp.get("/admin/")
@login_required
def admin_index():
    return render_template(
        "staff/admin/index.html",
        services=admin.list_services(current_user),
        categories=admin.list_categories(current_user),
        staff=admin.list_staff(current_user),
    )


def _values(kind: str, row) -> dict:
    """Form values of an existing row."""
    if row is None:
        return {"active": True}
    if kind == "staff":
        return {
            "email": row.email, "name": row.private_name, "role": row.role.value,
            "service": row.service.code if row.service else "", "active": row.active,
        }  # fmt: skip
    values = {name: getattr(row, name) for name in ("name_ru", "name_ky", "name_en", "active")}
    if kind == "service":
        values["email"] = row.email or ""
    else:
        values.update(
            default_service=row.default_service.code,
            deadline_days=row.deadline_days or "",
            privacy_tier=row.privacy_tier.value,
        )
    return values


def _form(kind: str, row, values: dict, errors: dict, status: int = 200):
    return render_template(
        "staff/admin/form.html",
        kind=kind,
        row=row,
        values=values,
        errors=errors,
        cities=admin.list_cities(current_user),
        services=admin.list_services(current_user),
        tiers=[t.value for t in PrivacyTier],
        roles=[r.value for r in StaffRole],
    ), status


def _edit(kind: str, ident: int | None):
    ensure_can(current_user, "administer")  # before the input is even looked at
    row = admin.get_for_edit(current_user, kind, ident) if ident is not None else None
    if request.method == "GET":
        return _form(kind, row, _values(kind, row), {})
    schema, save = KINDS[kind]
    values = request.form.to_dict()
    try:
        data = load(schema(), request.form)
        save(current_user, data, ident)
    except ValidationError as exc:
        return _form(kind, row, values, error_dict(exc), 400)
    except (Forbidden, NotFound):
        raise
    except ServiceError as exc:
        return _form(kind, row, values, exc.errors or {"_schema": [exc.message]}, 400)
    flash(_("Saved."), "success")
    return redirect(url_for("staff.admin_index"))


@bp.route("/admin/services/new", methods=["GET", "POST"])
@login_required
def admin_new_service():
    return _edit("service", None)


@bp.route("/admin/services/<int:ident>", methods=["GET", "POST"])
@login_required
def admin_edit_service(ident: int):
    return _edit("service", ident)


@bp.route("/admin/categories/new", methods=["GET", "POST"])
@login_required
def admin_new_category():
    return _edit("category", None)


@bp.route("/admin/categories/<int:ident>", methods=["GET", "POST"])
@login_required
def admin_edit_category(ident: int):
    return _edit("category", ident)


@bp.route("/admin/staff/new", methods=["GET", "POST"])
@login_required
def admin_new_staff():
    return _edit("staff", None)


@bp.route("/admin/staff/<int:ident>", methods=["GET", "POST"])
@login_required
def admin_edit_staff(ident: int):
    return _edit("staff", ident)
