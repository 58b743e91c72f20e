"""The service-quality figures (repository.indicators) for a request, and
their CSV: shared by the dashboard page and the API."""
import csv
import io

from pyramid.response import Response

from repository import indicators as ind


def dashboard_data(request):
    """(filters, report, scope) for the request's query; Refused for citizens."""
    root = request.kho_root
    scope = ind.scope_of(root, request.user)
    filters = ind.parse_filters(request.GET, scope)
    return filters, ind.report(root, filters, scope), scope


CSV_COUNTERS = tuple(ind.COUNTERS)


def csv_bytes(filters, data):
    """The rows as CSV (UTF-8 with a byte-order mark, so that a spreadsheet reads
    the Vietnamese names): a header, then one line per unit and period; ratios
    with a dot and one decimal, empty where the denominator is 0."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["level", "unit", "unit_name", "period", *CSV_COUNTERS,
                     *[f"{i.key}{'_percent' if i.kind == 'percent' else ''}" for i in ind.INDICATORS]])
    for row in data["rows"]:
        writer.writerow([filters["level"], row["unit"], row["unit_name"], row["period"],
                         *[row["counts"][c] for c in CSV_COUNTERS],
                         *["" if row["figures"][i.key]["value"] is None else f"{row['figures'][i.key]['value']:.1f}"
                           for i in ind.INDICATORS]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def csv_response(filters, data):
    name = f"chi-so-{filters['level']}-{filters['period']}-{filters['from'] or ''}-{filters['to'] or ''}.csv"
    return Response(body=csv_bytes(filters, data), content_type="text/csv", charset="utf-8",
                    content_disposition=f'attachment; filename="{name}"')
