"""The service-quality indicators over JSON and CSV.

    GET /api/v1/indicators       ?level=desk|agency|province &period=month|quarter|year
                                 &from=&to= (periods of that kind) &unit=<unit code>
    GET /api/v1/indicators.csv   the same rows as CSV with a header

Who may: as the dashboard (views/pages/indicators.py). Ratios are numbers
(percent for shares, working days for the average), null without a base."""
from pyramid.view import view_config

from repository import indicators as ind
from repository import roles as R
from repository.resources import Root

from ..messages import domain_message
from ..figures import csv_response, dashboard_data


def _indicator_json(indicator, locale):
    return {"key": indicator.key, "name": domain_message(indicator.name, locale),
            "formula": indicator.formula(locale), "numerator": indicator.numerator,
            "denominator": indicator.denominator, "unit": "percent" if indicator.kind == "percent" else "working_days"}


@view_config(route_name="api", context=Root, name="indicators", permission=R.VIEW_CATALOGUES,
             request_method="GET", renderer="json")
def indicators_api(request):
    filters, data, _scope = dashboard_data(request)
    locale = request.locale_name
    return {"level": filters["level"], "period": filters["period"], "from": filters["from"], "to": filters["to"],
            "unit": filters["unit"],
            "indicators": [_indicator_json(i, locale) for i in ind.INDICATORS],
            "counters": {k: domain_message(v, locale) for k, v in ind.COUNTERS.items()},
            "rows": data["rows"], "totals": data["totals"], "units": data["units"], "overall": data["overall"]}


@view_config(route_name="api", context=Root, name="indicators.csv", permission=R.VIEW_CATALOGUES,
             request_method="GET")
def indicators_csv_api(request):
    filters, data, _scope = dashboard_data(request)
    return csv_response(filters, data)


# the OpenAPI description of these paths (added to views/api/openapi.SPEC below)
_FIGURE = {"type": "object", "required": ["value", "numerator", "denominator"], "properties": {
    "value": {"type": ["number", "null"]}, "numerator": {"type": "integer"}, "denominator": {"type": "integer"}}}
_FIGURES = {"type": "object", "properties": {i.key: _FIGURE for i in ind.INDICATORS}}
_COUNTS = {"type": "object", "properties": {c: {"type": "integer"} for c in ind.COUNTERS}}
_PARAMS = [
    {"name": "level", "in": "query", "schema": {"enum": list(ind.LEVELS)}},
    {"name": "period", "in": "query", "schema": {"enum": list(ind.PERIODS)}},
    {"name": "from", "in": "query", "schema": {"type": "string", "maxLength": 7},
     "description": "first period (2026-01, 2026-Q1 or 2026, as the period kind)"},
    {"name": "to", "in": "query", "schema": {"type": "string", "maxLength": 7}, "description": "last period"},
    {"name": "unit", "in": "query", "schema": {"type": "string", "maxLength": 40}, "description": "a unit code"},
]
_ERR = {"$ref": "#/components/schemas/Error"}


def _err(description):
    return {"description": description, "content": {"application/json": {"schema": _ERR}}}


OPENAPI_PATHS = {
    "/indicators": {"get": {
        "summary": "Service-quality indicators (Decision 766) per unit and period, from live counters",
        "parameters": _PARAMS,
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": {
                "type": "object", "required": ["level", "period", "rows", "totals", "indicators"],
                "properties": {
                    "level": {"type": "string"}, "period": {"type": "string"},
                    "from": {"type": ["string", "null"]}, "to": {"type": ["string", "null"]},
                    "unit": {"type": ["string", "null"]},
                    "indicators": {"type": "array", "items": {"type": "object"}},
                    "counters": {"type": "object"},
                    "rows": {"type": "array", "items": {"type": "object", "properties": {
                        "unit": {"type": "string"}, "unit_name": {"type": "string"},
                        "period": {"type": "string"}, "counts": _COUNTS, "figures": _FIGURES}}},
                    "totals": {"type": "array", "items": {"type": "object", "properties": {
                        "period": {"type": "string"}, "counts": _COUNTS, "figures": _FIGURES}}},
                    "units": {"type": "array", "items": {"type": "object"}},
                    "overall": {"type": "object"}}}}}},
            "400": _err("Bad filter"), "401": _err("Not authenticated"),
            "403": _err("Citizens; staff asking for another unit or the province")}}},
    "/indicators.csv": {"get": {
        "summary": "The same rows as CSV (UTF-8, header line)",
        "parameters": _PARAMS,
        "responses": {
            "200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}},
            "400": _err("Bad filter"), "401": _err("Not authenticated"),
            "403": _err("Citizens; staff asking for another unit or the province")}}},
}


def _describe():
    """Add these paths to the served OpenAPI document (this module is imported
    by the app's scan, before any request)."""
    from .openapi import SPEC
    SPEC["paths"].update(OPENAPI_PATHS)


_describe()
