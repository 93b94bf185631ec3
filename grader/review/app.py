"""The review app's web server (tornado): a page, its static files, and a small JSON API.

Security, since the page shows untrusted student text and changes marks:

* it listens on 127.0.0.1 unless told otherwise, and answers only requests whose Host is
  the address it listens on (no DNS rebinding);
* every request needs the access token: once in the URL (``/?token=...``), which sets an
  HttpOnly, SameSite=Strict cookie and redirects to a URL without it; changes (POST only,
  never GET) need the token again in the ``X-Review-Token`` header, which another site
  cannot send;
* answers arrive as sanitised HTML (``grader.rendering``), and every response carries a
  Content-Security-Policy that allows scripts, styles, fonts and images from the app
  itself only: no inline script, no event handler, no remote load, no form, no framing.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import secrets
from pathlib import Path

import jinja2
import tornado.web

from ..manual import MarkConflict
from .model import Review

HERE = Path(__file__).resolve().parent
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; "
       "img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'none'")
PAGE = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")),
                          autoescape=True).get_template("review.html.j2")


class Secured:
    """Checks shared by every handler: Host, token, and the security headers."""

    def set_default_headers(self):
        self.set_header("Content-Security-Policy", CSP)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("Cross-Origin-Opener-Policy", "same-origin")
        self.set_header("Cross-Origin-Resource-Policy", "same-origin")

    def prepare(self):
        settings = self.application.settings
        if self.request.host not in settings["hosts"]:
            raise tornado.web.HTTPError(403, "unexpected Host")
        token = settings["token"]
        given = self.get_query_argument("token", None)
        if given is not None and hmac.compare_digest(given, token) \
                and self.request.method == "GET":
            self.set_cookie(settings["cookie"], token, httponly=True, samesite="Strict",
                            path="/")
            if self.request.path == "/":
                self.redirect("/")             # the token leaves the address bar
                return
        elif not hmac.compare_digest(self.get_cookie(settings["cookie"]) or "", token):
            raise tornado.web.HTTPError(403, "no valid token: open the URL the review "
                                             "command printed")
        if self.request.method not in ("GET", "HEAD"):
            header = self.request.headers.get("X-Review-Token", "")
            if not hmac.compare_digest(header, token):
                raise tornado.web.HTTPError(403, "a change needs the token header")

    def write_error(self, status_code, **kwargs):
        self.set_header("Content-Type", "application/json")
        reason = self._reason
        if "exc_info" in kwargs and isinstance(kwargs["exc_info"][1], tornado.web.HTTPError):
            reason = kwargs["exc_info"][1].log_message or reason
        self.finish(json.dumps({"error": reason}))


class PageHandler(Secured, tornado.web.RequestHandler):
    def get(self):
        if self._finished:
            return
        self.set_header("Cache-Control", "no-store")
        review: Review = self.application.settings["review"]
        self.write(PAGE.render(token=self.application.settings["token"],
                               marker=review.marker, share=review.share,
                               anonymous=not review.show_names))


class StaticHandler(Secured, tornado.web.StaticFileHandler):
    pass


class NoIconHandler(Secured, tornado.web.RequestHandler):
    def get(self):                 # browsers ask for one; an empty answer, not a 404
        self.set_status(204)


class ApiHandler(Secured, tornado.web.RequestHandler):
    @property
    def review(self) -> Review:
        return self.application.settings["review"]

    def reply(self, data, status=200):
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(data))

    def body(self) -> dict:
        if not self.request.headers.get("Content-Type", "").startswith("application/json"):
            raise tornado.web.HTTPError(415, "send JSON")
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError:
            raise tornado.web.HTTPError(400, "not JSON") from None
        if not isinstance(data, dict):
            raise tornado.web.HTTPError(400, "not a JSON object")
        return data


class StateHandler(ApiHandler):
    def get(self):
        self.reply(self.review.state())


class AnswersHandler(ApiHandler):
    def get(self):
        tag = self.get_query_argument("question", "")
        if tag not in self.review.questions:
            raise tornado.web.HTTPError(404, "unknown question")
        self.reply({"question": tag, "items": self.review.items(tag)})


class MarkHandler(ApiHandler):
    def post(self):
        data = self.body()
        try:
            item = self.review.save(str(data.get("id")), str(data.get("question")), data)
        except MarkConflict:
            file = self.review.by_id.get(str(data.get("id")))
            self.reply({"error": "changed by someone else in the meantime: reloaded",
                        "item": self.review.item(file, str(data.get("question")))}, 409)
            return
        except ValueError as error:
            self.reply({"error": str(error)}, 400)
            return
        self.reply({"item": item})


class ReportHandler(ApiHandler):
    async def post(self):
        self.body()
        from .. import report
        from ..reports.rebuild import roster_missing
        out_dir = self.review.out_dir
        # the rebuild draws a plot and writes files: off the event loop, so saving goes on
        written = await asyncio.get_running_loop().run_in_executor(
            None, lambda: report.write_reports(out_dir, roster_missing(out_dir)))
        self.reply({"gradebook": str(written["gradebook"]),
                    "feedback": len(written["feedback"])})


def make_app(review: Review, port: int, token: str | None = None,
             hosts=()) -> tornado.web.Application:
    """The application; ``hosts``: the Host headers to accept ("127.0.0.1:8765", ...)."""
    token = token or secrets.token_urlsafe(32)
    return tornado.web.Application(
        [(r"/", PageHandler), (r"/api/state", StateHandler), (r"/api/answers", AnswersHandler),
         (r"/api/mark", MarkHandler), (r"/api/report", ReportHandler),
         (r"/favicon.ico", NoIconHandler),
         (r"/static/(.*)", StaticHandler, {"path": str(HERE / "static")})],
        review=review, token=token, hosts=set(hosts),
        cookie=f"nncourse_review_{port}",   # cookies ignore ports: one per app
        xsrf_cookies=False,            # the token header does that job (see the module text)
        compress_response=True)
