"""HTTP Basic is verified once, then remembered, without ever outliving a password change."""

import pytest
from django.contrib.auth import hashers

from guides_processor import basic_auth

from .conftest import BASE, PASSWORD, basic, basic_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    basic_auth.forget_all()
    yield
    basic_auth.forget_all()


@pytest.fixture
def counted_hashing(monkeypatch):
    """Count password checks (the slow part that the cache spares)."""
    calls = []
    original = hashers.check_password

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr("django.contrib.auth.base_user.check_password", counting)
    return calls


def test_repeated_requests_check_the_password_once(admin, counted_hashing):
    client = basic_client(admin)
    for _ in range(5):
        assert client.get(f"{BASE}/history").status_code == 200
    assert len(counted_hashing) == 1


def test_a_wrong_password_is_never_let_in_by_the_cache(admin, client):
    assert basic_client(admin).get(f"{BASE}/history").status_code == 200
    response = client.get(f"{BASE}/history", headers={"Authorization": basic("admin", "wrong")})
    assert response.status_code == 401


def test_a_password_change_takes_effect_at_once(admin):
    client = basic_client(admin)
    assert client.get(f"{BASE}/history").status_code == 200
    admin.set_password("something else entirely")
    admin.save()
    assert client.get(f"{BASE}/history").status_code == 401
    fresh = basic_client(admin)
    fresh.defaults["HTTP_AUTHORIZATION"] = basic("admin", "something else entirely")
    assert fresh.get(f"{BASE}/history").status_code == 200


def test_a_deactivated_user_is_refused_at_once(admin):
    client = basic_client(admin)
    assert client.get(f"{BASE}/history").status_code == 200
    admin.is_active = False
    admin.save()
    assert client.get(f"{BASE}/history").status_code == 401


def test_a_cross_site_browser_write_with_basic_credentials_is_refused(admin, write_tree):
    from tests.engine.trees import guide

    write_tree(guide())
    body = {"path": "/content/dam/guide", "type": "ASSET_PROCESSING"}
    forged = basic_client(admin).post(
        BASE, body, content_type="application/json", headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert forged.status_code == 403
    assert forged.json()["error"] == "FORBIDDEN"
    scripted = basic_client(admin).post(BASE, body, content_type="application/json")
    assert scripted.status_code == 200
    assert PASSWORD not in repr(basic_auth._verified)
