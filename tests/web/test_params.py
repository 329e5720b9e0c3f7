"""Numbers typed into console forms (``web/params.form_int``) and a form that carries a number no row can have."""

from __future__ import annotations

import pytest
from console_kit import OFFICER, csrf_of, login
from fastapi.testclient import TestClient

from transport_credit.common.errors import InvalidInput
from transport_credit.web.params import form_int


@pytest.mark.parametrize(
    ("value", "high", "expected"),
    [
        ("", 100, None),
        ("  ", 100, None),
        ("12", 100, 12),
        (" 7 ", 100, 7),
        ("0", 100, 0),
        ("100", 100, 100),
        ("101", 100, "invalid"),
        ("²", 100, "invalid"),  # a digit to str.isdigit, not to int
        ("١٢", 100, "invalid"),  # Arabic-Indic digits
        ("１２", 100, "invalid"),  # full-width digits: refused rather than guessed
        ("-1", 100, "invalid"),
        ("1.5", 100, "invalid"),
        ("9" * 40, 2_147_483_647, "invalid"),
    ],
)
def test_form_int(value: str, high: int, expected: int | str | None) -> None:
    if expected == "invalid":
        with pytest.raises(InvalidInput) as caught:
            form_int(value, "数量", high=high)
        assert caught.value.code == "invalid_number"
    else:
        assert form_int(value, "数量", high=high) == expected


def test_a_form_number_no_row_can_have_is_a_422_page(client: TestClient) -> None:
    login(client, OFFICER)
    page = client.get("/console/quarantine")
    response = client.post(
        "/console/quarantine/dismiss",
        data={"csrf_token": csrf_of(page.text), "ids": ["99999999999", "²"], "reason": "测试"},
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert "不超过 2147483647 的整数" in response.text
