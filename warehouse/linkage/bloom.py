"""Bloom-filter name encodings (CLKs, clkhash), the PPRL standard measured against exact
keyed tokens.

A CLK sets bits for every bigram of the normalised surname, given name and patronymic
under keys derived (HKDF) from the linkage key; two spellings that share most bigrams
share most bits, so the Dice coefficient of two CLKs sees a typo that an exact token
cannot. The benchmark (bench/linkage_bench.py, docs/BENCHMARKS.md) compares the two
models' F1; the production model uses exact tokens (why: docs/SECURITY.md).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from clkhash import clk, schema
from clkhash.key_derivation import generate_key_lists

from warehouse.linkage import normalise
from warehouse.linkage.tokens import Identifiers

CLK_BITS = 1024
BITS_PER_BIGRAM = 20
NAME_FIELDS = ("surname", "given_name", "patronymic")
# Dice similarities of the levels: nearly the same name, a slip in one name, related.
DICE_LEVELS = (0.9, 0.75, 0.6)


def _feature(name: str) -> dict[str, Any]:
    return {
        "identifier": name,
        "format": {"type": "string", "encoding": "utf-8", "case": "lower"},
        "hashing": {
            "comparison": {"type": "ngram", "n": 2},
            "strategy": {"bitsPerToken": BITS_PER_BIGRAM},
            "hash": {"type": "blakeHash"},
            "missingValue": {"sentinel": ""},
        },
    }


def _schema() -> schema.Schema:
    salt = base64.b64encode(b"caseguard linkage clk").decode("ascii")
    return schema.from_json_dict(
        {
            "version": 3,
            "clkConfig": {
                "l": CLK_BITS,
                "kdf": {"type": "HKDF", "hash": "SHA256", "salt": salt, "keySize": 64},
            },
            "features": [_feature(name) for name in NAME_FIELDS],
        }
    )


def name_clks(key: bytes, people: Sequence[Identifiers]) -> list[bytes]:
    """One CLK (``CLK_BITS`` bits as bytes) per person over the folded name fields;
    the names are written in ICAO Latin so that bigrams are ASCII."""
    built = _schema()
    keys = generate_key_lists(
        key,
        len(built.fields),
        key_size=built.kdf_key_size,
        salt=built.kdf_salt,
        info=built.kdf_info,
        kdf=built.kdf_type,
        hash_algo=built.kdf_hash,
    )
    rows = [
        [normalise.icao(normalise.full_name(getattr(p, f))) for f in NAME_FIELDS] for p in people
    ]
    filters, _ = clk.hash_chunk(rows, keys, built, validate_data=False)
    return [f.tobytes() for f in filters]


def _dice(threshold: float) -> Any:
    sql = (
        "2.0 * bit_count(name_clk_l::BIT & name_clk_r::BIT) / "
        f"(bit_count(name_clk_l::BIT) + bit_count(name_clk_r::BIT)) >= {threshold}"
    )
    return cll.CustomLevel(sql, label_for_charts=f"Dice of names >= {threshold}")


def name_comparison() -> Any:
    """The names compared by Dice similarity of CLKs (replaces the three name fields)."""
    return cl.CustomComparison(
        output_column_name="name_clk",
        comparison_levels=[
            cll.NullLevel("name_clk"),
            *[_dice(t) for t in DICE_LEVELS],
            cll.ElseLevel(),
        ],
    )
