"""The service-quality dashboard (Decision 766): /indicators and its CSV.

Who sees it: the records manager, the auditor and the administrator see
every unit and the province; desk and processing staff see their own unit
(as receiving desk and as competent agency); citizens are refused. The
figures come from the counters (repository.indicators), never from a scan
of the dossiers. The charts are drawn in the browser by static/indicators.js
from the JSON block of the page (inline SVG, no library, no CDN)."""

from pyramid.view import view_config

from repository import indicators as ind
from repository import roles as R
from repository.resources import Root

from ..figures import csv_response, dashboard_data
from . import _, domain_message


def number_text(value, digits, locale):
    """1234.5 → '1.234,5' (vi) or '1,234.5' (en), always `digits` decimals."""
    text = f"{value:,.{digits}f}"
    if locale == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def figure_text(indicator, value, locale):
    """'60,0 %' (vi), '60.0%' (en); '3,5' for an average; '—' without a denominator."""
    if value is None:
        return "—"
    text = number_text(value, 1, locale)
    if indicator.kind == "percent":
        return f"{text} %" if locale == "vi" else f"{text}%"
    return text


def equation(indicator, figure, locale):
    """'Tỷ lệ tái sử dụng = 12 ÷ 20 = 60,0 %'."""
    name = domain_message(indicator.name, locale)
    num, den = (number_text(figure[k], 0, locale) for k in ("numerator", "denominator"))
    return f"{name} = {num} ÷ {den} = {figure_text(indicator, figure['value'], locale)}"


def period_label(request, period):
    kind = ind.period_kind(period)
    if kind == "month":
        return f"{period[5:]}/{period[:4]}"
    if kind == "quarter":
        return request.localizer.translate(_("Q${quarter}/${year}",
                                             mapping={"quarter": period[6], "year": period[:4]}))
    return period


def chart_payload(request, data):
    """What static/indicators.js draws: the trend of the totals per period and
    the comparison of the units over the whole range, with the texts shown."""
    locale = request.locale_name
    totals = {t["period"]: t["figures"] for t in data["totals"]}
    periods = data["periods"] or [t["period"] for t in data["totals"]]
    out = {"indicators": [], "periods": [period_label(request, p) for p in periods],
           "units": [u["unit_name"] for u in data["units"]], "unit_codes": [u["unit"] for u in data["units"]],
           "trend": {}, "compare": {}, "empty": request.localizer.translate(_("No data")),
           "locale": locale}
    for indicator in ind.INDICATORS:
        out["indicators"].append({"key": indicator.key, "name": domain_message(indicator.name, locale),
                                  "kind": indicator.kind})
        trend = []
        for p in periods:
            fig = totals.get(p) or {indicator.key: {"value": None, "numerator": 0, "denominator": 0}}
            fig = fig[indicator.key]
            trend.append({"value": fig["value"], "text": figure_text(indicator, fig["value"], locale),
                          "counts": f"{fig['numerator']} ÷ {fig['denominator']}"})
        out["trend"][indicator.key] = trend
        out["compare"][indicator.key] = [
            {"value": u["figures"][indicator.key]["value"],
             "text": figure_text(indicator, u["figures"][indicator.key]["value"], locale),
             "counts": f"{u['figures'][indicator.key]['numerator']} ÷ {u['figures'][indicator.key]['denominator']}"}
            for u in data["units"]]
    return out


@view_config(context=Root, name="indicators", permission=R.VIEW_CATALOGUES, renderer="indicators.jinja2",
             request_method="GET")
def indicators_page(request):
    filters, data, scope = dashboard_data(request)
    locale = request.locale_name
    root = request.kho_root
    levels = [lvl for lvl in ind.LEVELS if scope is None or lvl != "province"]
    return {
        "filters": filters, "data": data, "INDICATORS": ind.INDICATORS, "levels": levels,
        "LEVELS": {k: domain_message(v, locale) for k, v in ind.LEVELS.items()},
        "PERIODS": {k: domain_message(v, locale) for k, v in ind.PERIODS.items()},
        "units": ind.units_at(root, filters["level"], scope),
        "formula": lambda i: i.formula(locale),
        "iname": lambda i: domain_message(i.name, locale),
        "definition": lambda i: domain_message(i.definition, locale) if i.definition else "",
        "figure_text": lambda i, value: figure_text(i, value, locale),
        "equation": lambda i, figure: equation(i, figure, locale),
        "number_text": lambda value: number_text(value, 0, locale),
        "period_label": lambda p: period_label(request, p),
        "chart": chart_payload(request, data),
        "csv_query": request.query_string,
    }


@view_config(context=Root, name="indicators.csv", permission=R.VIEW_CATALOGUES, request_method="GET")
def indicators_csv(request):
    filters, data, _scope = dashboard_data(request)
    return csv_response(filters, data)
