"""The add-in files, generated from the formula registry for the address the service is reached at."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, request

from addin.appsscript import apps_script
from addin.lite import lite_main
from addin.officejs import functions_js, functions_metadata, icon_png, manifest_xml, taskpane_file

blueprint = Blueprint("addin_files", __name__, url_prefix="/addin")


def _base() -> str:
    return request.host_url.rstrip("/")


@blueprint.get("/functions.json")
def metadata() -> Any:
    return jsonify(functions_metadata())


@blueprint.get("/functions.js")
def script() -> Response:
    return Response(functions_js(_base()), mimetype="application/javascript")


@blueprint.get("/taskpane.html")
def taskpane() -> Response:
    return Response(taskpane_file("html"), mimetype="text/html")


@blueprint.get("/taskpane.js")
def taskpane_script() -> Response:
    return Response(taskpane_file("js"), mimetype="application/javascript")


@blueprint.get("/taskpane.css")
def taskpane_style() -> Response:
    return Response(taskpane_file("css"), mimetype="text/css")


@blueprint.get("/manifest.xml")
def manifest() -> Response:
    return Response(
        manifest_xml(_base()),
        mimetype="application/xml",
        headers={"Content-Disposition": "attachment; filename=esaplan-manifest.xml"},
    )


@blueprint.get("/icon-<int:size>.png")
def icon(size: int) -> Response:
    if size not in (16, 32, 80):
        abort(404)
    return Response(icon_png(size), mimetype="image/png")


@blueprint.get("/Code.gs")
def google_apps_script() -> Response:
    return Response(
        apps_script(), mimetype="text/plain", headers={"Content-Disposition": "attachment; filename=Code.gs"}
    )


@blueprint.get("/main.py")
def xlwings_lite() -> Response:
    return Response(
        lite_main(_base()), mimetype="text/plain", headers={"Content-Disposition": "attachment; filename=main.py"}
    )
