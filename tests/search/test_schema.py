"""An index written with another version's schema is refused with a clear message."""
import pytest
from whoosh import fields, index

from search import IndexUnavailable, open_index
from search.whoosh_index import make_schema


def _index_with(path, **changed):
    schema = make_schema()
    for name, field in changed.items():
        schema.remove(name)
        schema.add(name, field)
    path.mkdir()
    index.create_in(str(path), schema)


def test_a_changed_field_type_asks_for_a_rebuild(tmp_path):
    _index_with(tmp_path / "old", issue_date=fields.DATETIME(stored=True))
    with pytest.raises(IndexUnavailable, match="field issue_date changed.*rebuild it"):
        open_index(tmp_path / "old")


def test_trie_terms_of_an_old_year_field_ask_for_a_rebuild(tmp_path):
    _index_with(tmp_path / "old", year=fields.NUMERIC(
        numtype=int, bits=32, signed=False, stored=True, sortable=True))
    with pytest.raises(IndexUnavailable, match="field year changed"):
        open_index(tmp_path / "old")


def test_a_missing_field_asks_for_a_rebuild(tmp_path):
    schema = make_schema()
    schema.remove("stamp")
    (tmp_path / "old").mkdir()
    index.create_in(str(tmp_path / "old"), schema)
    with pytest.raises(IndexUnavailable, match="no field stamp"):
        open_index(tmp_path / "old")


def test_the_current_schema_opens(tmp_path):
    open_index(tmp_path / "new").close()
    open_index(tmp_path / "new", create=False).close()


def test_year_is_one_term_and_dates_are_stored_only(tmp_path):
    ix = open_index(tmp_path / "ix")
    ix.apply(upserts=[{"doc_id": "a", "text": "khai sinh", "issue_date": "2024-03-05",
                       "valid_until": "2030-01-01"}])
    reader = ix._searcher().reader()
    assert [t for t in reader.all_terms() if t[0] == "year"] == [
        ("year", make_schema()["year"].to_bytes(2024))]
    assert not any(t[0] in ("issue_date", "valid_until") for t in reader.all_terms())
    hit = ix.search("khai").hits[0]
    assert hit.fields["issue_date"] == "2024-03-05"
    assert hit.fields["valid_until"] == "2030-01-01"
    assert hit.fields["year"] == 2024
    assert ix.search("", filters={"year": 2024}).total == 1
    assert ix.search("", filters={"year": "2024"}).total == 1
    assert ix.search("", filters={"year": 2023}).total == 0
    assert ix.search("khai", facets=("year",)).facets["year"] == {2024: 1}
    ix.close()
