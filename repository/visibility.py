"""Who may find what: the filter a search runs under, per account.

- a citizen: their own papers;
- desk officers, postal clerks and processors: the warehouses of the dossiers
  of their unit and the units under it;
- records managers: the metadata of every warehouse (content only with a purpose);
- anyone else: nothing."""
from . import roles as R


class NotAllowed(PermissionError):
    pass


def units_under(catalogues, unit):
    """unit and every desk whose chain of parents reaches it."""
    children = {}
    for desk in catalogues.desks.values():
        children.setdefault(desk.parent_unit, []).append(desk.unit_code)
    found, todo = {unit}, [unit]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def search_filters(root, user):
    """The owner filter for user's searches: a dict for search.search(filters=),
    or None for no restriction. NotAllowed where the account may not search."""
    if user is None:
        raise NotAllowed("anonymous")
    if R.RECORDS in user.roles:
        return None
    if R.CITIZEN in user.roles:
        return {"owner_ids": {user.subject_id}}
    if {R.OFFICER, R.POSTAL, R.PROCESSOR} & user.roles:
        units = units_under(root.catalogues, user.desk) if user.desk else set()
        return {"owner_ids": root.desk_owners.owners(units)}
    raise NotAllowed(",".join(sorted(user.roles)))


def may_see_text(document, user, purpose):
    """Text snippets are content: the owner sees them, staff only with a
    purpose that would let them read the paper (repository.reading)."""
    from .reading import purpose_refusal
    return purpose_refusal(document, user, purpose) is None
