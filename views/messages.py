"""Messages in the reader's language, shared by the pages and the API:
the domain's 'Vietnamese / English' texts cut to one language, our own
English msgids translated."""
from pyramid.i18n import TranslationStringFactory

_ = TranslationStringFactory("kho")


def translate(request, message, **mapping):
    """A message of ours (an English msgid made with _()) in the request's language."""
    if mapping:
        message = _(message, mapping=mapping)
    return request.localizer.translate(message)


def domain_message(text, locale):
    """The domain writes messages as 'Vietnamese / English' (or Vietnamese
    alone): the part for this language, or the whole when there is no
    English part. A name such as 'Thẻ căn cước / căn cước công dân' is not
    split: the part after the last ' / ' must be plain ASCII to count."""
    text = str(text)
    head, sep, tail = text.rpartition(" / ")
    if sep and head.strip() and tail.isascii() and any(c.isalpha() for c in tail):
        return tail.strip() if locale == "en" else head.strip()
    return text


def errors_for(request, errors):
    """ValidationError.errors in the request's language, per field."""
    return {field: domain_message(message, request.locale_name) for field, message in errors.items()}
