"""Failed sign-ins are throttled per username and per client address, on the API and the form.

After ``GUIDES_SIGNIN_FAILURE_LIMIT`` (10) failures the answer is 429 with Retry-After, and no
password is hashed for it. The count lives in the database, shared by every process and host.
"""

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client

from guides_processor import basic_auth

from .conftest import BASE, PASSWORD, basic

pytestmark = pytest.mark.django_db

LIMIT = 10
HISTORY = f"{BASE}/history"


class CountingHasher(MD5PasswordHasher):
    """A real (fast) hasher that counts how often a password is hashed."""

    calls = 0

    def encode(self, password, salt, *args, **kwargs):
        type(self).calls += 1
        return super().encode(password, salt, *args, **kwargs)


@pytest.fixture(autouse=True)
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    basic_auth.forget_all()
    CountingHasher.calls = 0
    yield CountingHasher
    basic_auth.forget_all()


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_superuser("admin", "admin@example.com", PASSWORD)


def api_get(username, password, address="10.0.0.1"):
    return Client(REMOTE_ADDR=address).get(
        HISTORY, headers={"Authorization": basic(username, password)}
    )


def assert_throttled_api(response):
    assert response.status_code == 429, response.content
    assert int(response["Retry-After"]) == 300
    assert response.json()["error"] == "TOO_MANY_REQUESTS"
    assert set(response.json()) == {"error", "message"}


def test_basic_failures_for_one_username_are_throttled_without_hashing(user, counting_hasher):
    for number in range(LIMIT - 1):
        assert api_get("admin", f"guess {number}", address=f"10.0.0.{number}").status_code == 401
    hashed = counting_hasher.calls

    api_get("admin", "guess 9", address="10.0.1.1")  # the tenth failure
    hashed = counting_hasher.calls
    throttled = api_get("admin", "guess 10", address="10.0.2.1")

    assert_throttled_api(throttled)
    assert counting_hasher.calls == hashed


def test_the_right_password_is_refused_too_once_throttled_even_if_remembered(user):
    assert api_get("admin", PASSWORD).status_code == 200  # verified and remembered
    for number in range(LIMIT):
        api_get("admin", f"guess {number}", address="10.9.9.9")

    assert_throttled_api(api_get("admin", PASSWORD))


def test_basic_failures_from_one_address_are_throttled_for_every_username(user, counting_hasher):
    for number in range(LIMIT):
        api_get(f"nobody{number}", "guess", address="192.0.2.7")
    hashed = counting_hasher.calls

    assert_throttled_api(api_get("admin", PASSWORD, address="192.0.2.7"))
    assert counting_hasher.calls == hashed
    assert api_get("admin", PASSWORD, address="192.0.2.8").status_code == 200


def test_nine_failures_do_not_throttle(user):
    for number in range(LIMIT - 1):
        api_get("admin", f"guess {number}")

    assert api_get("admin", PASSWORD).status_code == 200


def sign_in(username, password, address="10.0.0.1"):
    return Client(REMOTE_ADDR=address).post("/login/", {"username": username, "password": password})


def test_the_sign_in_form_is_throttled_with_a_message_and_without_hashing(user, counting_hasher):
    for number in range(LIMIT - 1):
        assert sign_in("admin", f"guess {number}", address=f"10.1.0.{number}").status_code == 200
    sign_in("admin", "guess 9", address="10.1.1.1")
    hashed = counting_hasher.calls

    throttled = sign_in("admin", PASSWORD, address="10.1.2.1")

    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) == 300
    page = throttled.content.decode()
    assert "Too many failed sign-ins" in page
    assert 'name="password"' in page
    assert counting_hasher.calls == hashed
    assert "_auth_user_id" not in throttled.wsgi_request.session


def test_form_and_api_failures_count_together(user):
    for number in range(LIMIT // 2):
        sign_in("admin", f"guess {number}")
        api_get("admin", f"other guess {number}")

    assert_throttled_api(api_get("admin", PASSWORD))
    assert sign_in("admin", PASSWORD).status_code == 429


def test_the_limits_are_settings(user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for number in range(3):
        api_get("admin", f"guess {number}")

    assert_throttled_api(api_get("admin", PASSWORD))


def test_behind_a_proxy_each_client_address_is_counted_apart(user, settings):
    settings.GUIDES_TRUSTED_PROXIES = 1

    def via_proxy(username, password, forwarded_for):
        return Client(REMOTE_ADDR="10.0.0.254").get(
            HISTORY,
            headers={"Authorization": basic(username, password), "X-Forwarded-For": forwarded_for},
        )

    for number in range(LIMIT):
        # What the client writes itself comes first; the proxy appends the real address.
        via_proxy(f"nobody{number}", "guess", f"198.51.100.{number}, 203.0.113.5")

    assert_throttled_api(via_proxy("admin", PASSWORD, "203.0.113.5"))
    assert via_proxy("admin", PASSWORD, "203.0.113.6").status_code == 200
