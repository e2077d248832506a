"""The staff area speaks Russian (default), Kyrgyz and English, field errors included."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("lang", "title", "error"),
    [
        ("ru", "Входящие", "От 1 до 30 рабочих дней."),
        ("ky", "Кирүүчүлөр", "1 иш күндөн 30 иш күнгө чейин."),
        ("en", "Inbox", "Between 1 and 30 working days."),
    ],
)
def test_staff_pages_and_field_errors_are_translated(
    client, make_staff, login_as, make_appeal, lang, title, error
):
    appeal = make_appeal()
    login_as(make_staff(role="service", service="bsk-roads"))
    assert title in client.get(f"/staff/inbox?lang={lang}").get_data(as_text=True)
    response = client.post(
        f"/staff/appeals/{appeal.public_id}/extend?lang={lang}",
        data={"days": "99", "reason": "Нужна экспертиза"},
    )
    assert response.status_code == 400
    assert error in response.get_data(as_text=True)


def test_the_login_page_is_russian_by_default(client):
    page = client.get("/staff/login").get_data(as_text=True)
    assert "Вход для сотрудников" in page and "Пароль" in page


def test_a_forbidden_action_says_so_in_kyrgyz(client, make_staff, login_as, make_appeal):
    appeal = make_appeal()
    login_as(make_staff(role="service", service="bsk-svet"))
    response = client.post(f"/staff/appeals/{appeal.public_id}/acknowledge?lang=ky")
    assert response.status_code == 403
    assert "Бул аракетти жасоого укугуңуз жок." in response.get_data(as_text=True)
