"""What the search page and the search API share: the index (a registered
service), the page asked for, and the purpose staff chose for their
searches in this session (set by the page's POST, views/pages/search.py)."""
from repository.errors import ValidationError

from .services import ISearchIndex

SESSION_KEY = "search_purpose"


def search_index(request):
    index = request.find_service(ISearchIndex)
    if index is None:
        raise ValidationError({"q": "Chưa cấu hình chỉ mục tìm kiếm / no search index configured"})
    return index


def page_number(request):
    try:
        return max(1, int(request.params.get("page", 1)))
    except ValueError:
        raise ValidationError({"page": "Trang phải là số / page is a number"}) from None


def session_search_purpose(request):
    """The purpose staff chose for their searches in this session (None: none)."""
    return request.session.get(SESSION_KEY) or None
