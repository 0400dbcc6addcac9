"""The declaration of the synced entities (sync/entities.py) and every list derived from it agree:
the protocol's pull order and author rule, the server's change log and sync bindings, its REST
routes, and the phone's module (pwa/js/entities.js) that db.js and sync.js read."""

import re
from dataclasses import replace
from pathlib import Path

from sqlalchemy import inspect

from server import changelog
from server.sync_api.entities import ENTITIES
from server.sync_api.schemas import MutationSchema
from sync import entities, merge, protocol

PWA_JS = Path(__file__).resolve().parents[2] / "pwa" / "js"


def test_the_declaration_is_well_formed():
    assert entities.check() == []
    assert [e.name for e in entities.DECLARED] == list(protocol.PULL_ORDER)


def test_a_declaration_that_breaks_the_rules_is_caught():
    account, contact = entities.DECLARED[:2]
    assert entities.check((contact, account)) == ["contact: its parent account must come before it"]
    assert entities.check((account, replace(contact, territory="nobody")))[0].startswith("contact: unknown territory")
    assert "above PHONE_DB_VERSION" in entities.check((replace(account, since=99),))[0]
    assert entities.check((account, replace(contact, store="accounts"))) == ["entity names and stores must be unique"]


def test_the_protocol_rules_derive_from_it():
    assert protocol.PULL_ORDER == tuple(e.name for e in entities.DECLARED)
    assert merge.AUTHOR_OWNED == {e.name for e in entities.DECLARED if e.authored}
    assert set(MutationSchema().fields["entity"].validate.choices) == set(protocol.PULL_ORDER)


def test_the_server_binds_every_declared_entity_and_its_model_has_the_territory_columns():
    assert list(ENTITIES) == [e.name for e in entities.DECLARED]
    needs = {entities.OWN: "owner_id", entities.ACCOUNT: "account_id", entities.REP: "rep_id"}
    for name, bound in ENTITIES.items():
        declared = entities.BY_NAME[name]
        assert bound.declared is declared
        columns = {c.key for c in inspect(bound.model).column_attrs}
        assert needs[declared.territory] in columns, name
        if declared.parent and declared.parent != "account":
            assert f"{declared.parent}_id" in columns, name


def test_the_change_log_reads_the_same_declaration():
    of, children = changelog._models()
    assert {model: e.name for model, e in of.items()} == {b.model: name for name, b in ENTITIES.items()}
    assert [m for m, _ in children] == [
        ENTITIES[e.name].model for e in entities.DECLARED if e.territory == entities.ACCOUNT
    ]


def test_every_declared_rest_path_is_served(app):
    rules = {rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    for e in entities.DECLARED:
        if e.path:
            assert any(re.fullmatch(rf"/api/{e.path}/<[^>]+>", rule) for rule in rules), e.path


def test_the_phone_module_is_generated_from_the_declaration():
    written = (PWA_JS / "entities.js").read_text(encoding="utf-8")
    assert written == entities.phone_module(), "run: python -m sync.entities > pwa/js/entities.js"


def test_the_phone_keeps_no_list_of_its_own():
    """db.js and sync.js take their stores, version, authored set and paths from entities.js."""
    db_js = (PWA_JS / "db.js").read_text(encoding="utf-8")
    sync_js = (PWA_JS / "sync.js").read_text(encoding="utf-8")
    imports = r'import \{([^}]*)\} from "\./entities\.js";'
    assert {"DB_VERSION", "STORES", "BINARY"} <= set(re.search(imports, db_js)[1].replace(" ", "").split(","))
    assert {"AUTHORED", "PATHS"} <= set(re.search(imports, sync_js)[1].replace(" ", "").split(","))
    for source in (db_js, sync_js):
        assert not re.search(r"const (DB_VERSION|STORES|AUTHORED|PATHS)\s*=", source)
    # No other module names a record store that the declaration does not make.
    stores = {e.store for e in entities.DECLARED} | {"outbox", "meta", "sent"}
    for path in PWA_JS.rglob("*.js"):
        for used in re.findall(r"""(?<![.\w])(?:all|get|byIndex)\(\s*"([a-z_]+)\"""", path.read_text(encoding="utf-8")):
            assert used in stores, f"{path.name} reads a store {used!r} nobody declares"
