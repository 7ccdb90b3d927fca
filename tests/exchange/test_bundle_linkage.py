"""Linkage tokens travel in signed site bundles; nothing but tokens gets in that way."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.exchange.test_bundles import centre, resign, source, source_template  # noqa: F401
from tests.warehouse_fixtures import audit_count, coordinator, table_counts
from warehouse.exchange.bundles import BundleRejected, export_bundle, import_bundle
from warehouse.store.db import Database


def _tokens(db: Database, site: str = "MSK") -> pd.DataFrame:
    with db.connect(read_only=True) as conn:
        return conn.execute(
            "SELECT * EXCLUDE (updated_at) FROM linkage_tokens WHERE site_code = ? "
            "ORDER BY subject_id",
            [site],
        ).df()


def test_tokens_travel_with_the_bundle(source: Database, tmp_path: Path) -> None:  # noqa: F811
    bundle = tmp_path / "msk.zip"
    summary = export_bundle(coordinator(source), "MSK", bundle)
    sent = _tokens(source)
    assert summary.rows["linkage_tokens"] == len(sent) > 0
    target = centre(tmp_path, source)
    import_bundle(coordinator(target), bundle)
    received = _tokens(target)
    pd.testing.assert_frame_equal(received, sent)
    assert not target.keys.has_linkage_key()  # the coordinator holds tokens, not the key


def test_a_bundle_smuggling_a_value_in_a_token_column_is_refused(
    source: Database,  # noqa: F811
    tmp_path: Path,
) -> None:
    bundle = tmp_path / "msk.zip"
    export_bundle(coordinator(source), "MSK", bundle)

    def smuggle(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[frame.index[0], "surname"] = "Иванова"
        return frame

    resign(bundle, source, "MSK", linkage_tokens=smuggle)
    target = centre(tmp_path, source)
    before, entries = table_counts(target), audit_count(target)
    with pytest.raises(BundleRejected, match="surname is not a token"):
        import_bundle(coordinator(target), bundle)
    assert table_counts(target) == before and audit_count(target) == entries
