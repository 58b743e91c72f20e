import argparse
import json

import pytest

from search import cli, open_index


def run(argv):
    parser = argparse.ArgumentParser(prog="kho")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture
def index_dir(tmp_path):
    path = tmp_path / "ix"
    ix = open_index(path)
    ix.apply(upserts=[{"doc_id": "d1", "text": "Giấy khai sinh của Nguyễn Thị Thủy",
                       "paper_name": "Giấy khai sinh", "owner_id": "001190012345",
                       "type_code": "KS", "stamp": 1}])
    ix.close()
    return str(path)


def test_stats(index_dir, capsys):
    assert run(["search-index", "stats", index_dir, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["count"] == 1 and out["size_bytes"] > 0


def test_query_json(index_dir, capsys):
    assert run(["search-index", "query", index_dir, "giay khai", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["total"] == 1
    assert out["hits"][0]["doc_id"] == "d1"
    assert "<mark>Giấy khai</mark>" in out["hits"][0]["snippets"]["text"]
    assert out["facets"]["type_code"] == {"KS": 1}


def test_query_text_output(index_dir, capsys):
    assert run(["search-index", "query", index_dir, "0011"]) == 0
    assert "d1" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["search-index", "query", "{dir}", '"giấy'], "unbalanced quote"),
    (["search-index", "query", "{dir}/nope", "x"], "not a directory"),
    (["search-index", "stats", "{empty}"], "no search index"),
])
def test_errors_are_one_line_and_exit_non_zero(index_dir, tmp_path, capsys, argv, message):
    (tmp_path / "empty").mkdir()
    argv = [a.format(dir=index_dir, empty=tmp_path / "empty") for a in argv]
    assert run(argv) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1
