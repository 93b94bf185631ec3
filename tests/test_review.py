"""The review app's server without a browser: who may talk to it, and what a share is."""
import json
import urllib.error
import urllib.request

import pytest

from grader.review.model import in_share, parse_share

from review_server import ReviewServer
from written_kit import make_out


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    out = make_out(tmp_path_factory.mktemp("review") / "out")
    app = ReviewServer(out, "--marker", "tester")
    yield app
    app.stop()


def request(url, *, data=None, headers=None, method=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(
                url, data=data, headers=headers or {}, method=method), timeout=10) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_every_request_needs_the_token(server):
    for path in ("/", "/api/state", "/static/review.js", "/api/answers?question=answer_1_1"):
        status, _, body = request(server.base + path)
        assert status == 403, path
    status, _, _ = request(server.base + "/?token=wrong")
    assert status == 403


def test_the_token_url_sets_a_strict_cookie_and_leaves_the_address_bar(server):
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as caught:
        opener.open(server.url, timeout=10)
    assert caught.value.code == 302 and caught.value.headers["Location"] == "/"
    cookie = caught.value.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    jar = cookie.split(";")[0]
    status, headers, body = request(server.base + "/", headers={"Cookie": jar})
    assert status == 200 and b"review.js" in body
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_changes_need_the_token_header_and_a_post(server):
    jar = f"nncourse_review_{server.port}={server.token}"
    change = json.dumps({"id": "x", "question": "answer_1_1", "points": 1,
                         "version": 0}).encode()
    json_type = {"Content-Type": "application/json", "Cookie": jar}
    status, _, _ = request(server.base + "/api/mark", data=change, headers=json_type)
    assert status == 403                                  # the cookie alone is not enough
    status, _, body = request(server.base + "/api/mark", data=change,
                              headers={**json_type, "X-Review-Token": server.token})
    assert status == 400 and b"unknown answer" in body     # allowed, but names no answer
    status, _, _ = request(server.base + "/api/mark", headers={"Cookie": jar})
    assert status == 405                                   # no change through GET


def test_a_foreign_host_name_is_refused(server):
    status, _, _ = request(server.url, headers={"Host": f"evil.example:{server.port}"})
    assert status == 403


def test_shares_split_the_class_evenly_and_the_same_way_every_time():
    files = [f"Assignment_1_S{i}_{i:08d}.ipynb" for i in range(10)]
    parts = [in_share(files, (k, 3)) for k in (1, 2, 3)]
    assert set().union(*parts) == set(files) and sum(map(len, parts)) == 10
    assert sorted(map(len, parts)) == [3, 3, 4]
    assert in_share(list(reversed(files)), (2, 3)) == parts[1]
    assert parse_share("2/3") == (2, 3)
    for bad in ("0/3", "4/3", "x", "1/0"):
        with pytest.raises(ValueError):
            parse_share(bad)
