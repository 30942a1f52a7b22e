"""The OpenAPI document lists exactly the routes the app serves under /api/v1."""

from __future__ import annotations

import re

from pwposts.api.openapi import API_PREFIX, openapi_path

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def served_routes(app) -> set[tuple[str, str]]:
    """(method, path) from the url_map itself, `<int:id>` written as `{id}`."""
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.rule == API_PREFIX or rule.rule.startswith(API_PREFIX + "/"):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                out.add((method.lower(), re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)))
    return out


def documented_routes(doc) -> set[tuple[str, str]]:
    return {(method, path) for path, ops in doc["paths"].items() for method in ops if method in HTTP_METHODS}


def test_document_served_without_token(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.get_json()
    assert doc["openapi"].startswith("3.0")
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    error = doc["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert set(error["properties"]["error"]["required"]) == {"code", "message"}


def test_every_served_api_route_is_documented_and_nothing_more(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    served, documented = served_routes(app), documented_routes(doc)
    assert served, "no /api/v1 routes found"
    missing = sorted(served - documented)
    extra = sorted(documented - served)
    assert not missing, f"API routes served but missing from the OpenAPI document (add @document): {missing}"
    assert not extra, f"OpenAPI document lists routes the app does not serve: {extra}"


def test_path_conversion_matches_converters():
    assert openapi_path("/api/v1/persons/<int:person_id>") == "/api/v1/persons/{person_id}"
    assert openapi_path("/api/v1/regions/<code>") == "/api/v1/regions/{code}"
    assert openapi_path("/api/v1/a/<int(min=1):x>/b/<path:rest>") == "/api/v1/a/{x}/b/{rest}"


def _refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


def test_document_is_internally_consistent(client):
    """Every $ref resolves, every {param} is declared, protected routes name the bearer scheme."""
    doc = client.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    for target in _refs(doc):
        assert target.startswith("#/components/schemas/"), target
        assert target.rsplit("/", 1)[-1] in schemas, f"unresolved {target}"
    for path, ops in doc["paths"].items():
        names = set(re.findall(r"{([^}]+)}", path))
        for method, op in ops.items():
            assert op["summary"], (method, path)
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == names, (method, path)
            assert op["responses"], (method, path)
            for status, resp in op["responses"].items():
                if int(status) >= 400:
                    assert resp["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"
                    }
    assert doc["paths"]["/api/v1/persons"]["get"]["security"] == [{"bearerAuth": []}]
    assert doc["paths"]["/api/v1/auth/token"]["post"]["security"] == []
    listing = doc["paths"]["/api/v1/persons"]["get"]
    assert {"page", "per_page", "q", "village_id", "category"} <= {p["name"] for p in listing["parameters"]}


def test_undocumented_route_is_caught(app):
    """The check above really fails for an undocumented route: build a throwaway app with one."""
    from flask import Blueprint, Flask

    from pwposts.api.openapi import build_document, document

    probe = Flask("probe")
    bp = Blueprint("probe_api", "probe", url_prefix=API_PREFIX)

    @bp.get("/documented/<int:item_id>")
    @document("有文档")
    def documented(item_id):
        return ""

    @bp.post("/undocumented")
    def undocumented():
        return ""

    @bp.get("/wrong-method")
    @document("声明了不存在的方法", methods=("PUT",))
    def wrong_method():
        return ""

    probe.register_blueprint(bp)
    doc = build_document(probe)
    served, documented_ = served_routes(probe), documented_routes(doc)
    assert served - documented_ == {("post", "/api/v1/undocumented"), ("get", "/api/v1/wrong-method")}
    assert documented_ - served == {("put", "/api/v1/wrong-method")}
    assert doc["paths"]["/api/v1/documented/{item_id}"]["get"]["parameters"][0]["schema"] == {
        "type": "integer"
    }
