"""Reading a served page as a user does: its words, input values, placeholders and any
text its container cuts, and the checks the language crawl applies to them.

The checks are plain functions over text (unit-tested in tests/browser/test_crawl_checks.py),
so a failure names the word, the page and why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from anonymise.pseudonym import _ID_CHARS
from schemas import load_reference

# Latin-script words a Russian page may show: brand and product-family names, scale and
# classification acronyms, file formats, standards, and the language switch's "English".
RUSSIAN_PAGE_LATIN = frozenset(
    {
        "caseguard",
        "UTC",  # times of query messages; the abbreviation is Russian usage too
        "English",
        "CHOP",
        "INTEND",
        "HFMSE",
        "RULM",
        "HINE",
        "SMN1",
        "SMN2",
        "SMA",
        "CTCAE",
        "MedDRA",
        "LLT",
        "PT",
        "SOC",
        "CIOMS",
        "ICH",
        "E2B",
        "R3",
        "BASDAI",
        "BASFI",
        "ASDAS",
        "HLA",
        "PDF",
        "CSV",
        "PNG",
        "SVG",
        "XML",
        "ZIP",
        "I",
        "II",
        "III",
        "IV",
        "q",
        "axSpA",
        "SUSAR",
        # statistical symbols: p-value, n, k-anonymity, l-diversity
        "p",
        "n",
        "k",
        "l",
        # data standards and formats named in the export's options
        "CDISC",
        "SDTM",
        "DM",
        "AE",
        "EX",
        "LB",
        "QS",
        "Parquet",
        "Excel",
        "XLSX",
    }
)
# Words in Cyrillic an English page may show: the language switch's own name.
ENGLISH_PAGE_CYRILLIC = frozenset({"Русский"})
_TOKEN = re.compile(r"[\w\-^/]+(?:\.[\w\-^/]+)*")
# A subject's pseudonym: the centre's code and a keyed code in capitals ("MSK-PUQSCCREHUPC").
_PSEUDONYM = re.compile(rf"^[A-Z]{{3}}-[A-Z2-7]{{{_ID_CHARS}}}$")
_LATIN = re.compile(r"[A-Za-z]")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_DATES = {
    "iso": re.compile(r"(?<![\d.])\d{4}-\d{2}-\d{2}(?![\d])"),
    "dotted": re.compile(r"(?<![\d.])\d{2}\.\d{2}\.\d{4}(?![\d])"),
    "slashed": re.compile(r"(?<![\d/])\d{1,4}/\d{1,2}/\d{2,4}(?![\d/])"),
    "time_of_day": re.compile(r"(?<!\d)\d{2}:\d{2}:\d{2}(?!\d)"),
    "placeholder": re.compile(r"\b(?:dd|DD|ДД)[./](?:mm|MM|ММ)[./](?:yyyy|YYYY|ГГГГ)\b"),
}
DATE_STYLE = {"ru": "dotted", "en": "iso"}


@dataclass(frozen=True)
class PageText:
    """What one page shows: its text pieces and the texts its containers cut."""

    texts: tuple[str, ...]
    cut: tuple[str, ...]


@lru_cache(maxsize=1)
def raw_codes() -> frozenset[str]:
    """Codes of the code lists that are never a label a user should read: product ids,
    AE term ids, lab test and scale codes not spelled out in their own names, and
    vocabulary codes written as identifiers (``lost_to_follow_up``, ``dose_not_changed``)."""
    ref = load_reference()
    codes: set[str] = set(ref.products["product_id"]) | set(ref.ae_terms["term_id"])
    for frame in (ref.lab_tests, ref.scales):
        for code, en, ru in zip(frame["code"], frame["name_en"], frame["name_ru"], strict=True):
            if code not in str(en) and code not in str(ru):
                codes.add(str(code))
    for entries in ref.vocabularies.values():
        codes |= {code for code in entries if "_" in code}
    return frozenset(codes)


def _pieces(token: str) -> list[str]:
    return [p for p in re.split(r"[-/.^]", token) if p]


def foreign_words(texts: Iterable[str], lang: str, allowed: Iterable[str] = ()) -> list[str]:
    """Words in the other language's script: Latin on a Russian page, Cyrillic on an
    English one (words with a digit are identifiers, e.g. ``DEMO-MSK-00000``, and pass;
    so do the page's allow-list and ``allowed``, e.g. usernames and centre codes)."""
    ok = set(allowed) | (RUSSIAN_PAGE_LATIN if lang == "ru" else ENGLISH_PAGE_CYRILLIC)
    script = _LATIN if lang == "ru" else _CYRILLIC
    found: list[str] = []
    for text in texts:
        for token in _TOKEN.findall(text):
            if token in ok or _PSEUDONYM.match(token) or any(ch.isdigit() for ch in token):
                continue
            for piece in _pieces(token):
                if piece not in ok and script.search(piece):
                    found.append(token)
                    break
    return found


def raw_codes_in(texts: Iterable[str]) -> list[str]:
    """Tokens that are exactly a raw code (see :func:`raw_codes`)."""
    codes = raw_codes()
    return [token for text in texts for token in _TOKEN.findall(text) if token in codes]


def bad_dates(texts: Iterable[str], lang: str) -> list[str]:
    """Dates (and times of day, and input format hints) not in the language's one format."""
    keep = DATE_STYLE[lang]
    found = []
    for text in texts:
        for style, pattern in _DATES.items():
            if style != keep:
                found += [m.group(0) for m in pattern.finditer(text)]
    return found


# Reads the page: every text node outside charts, code and free text as a user entered
# it (text areas, and narratives shown with st.text, which the app uses for nothing
# else), hidden tab
# panels and collapsed expanders included), input values and placeholders, and every
# visible element with its own text whose box is narrower than that text while it
# hides the overflow (a metric label ending in "…", a cell cut at the edge).
READ_PAGE = """
() => {
  const skip = 'script,style,noscript,code,pre,textarea,.vega-embed,[data-testid="stToolbar"],'
    + '[data-testid="stIconMaterial"],'
    + '[data-testid="stStatusWidget"],[data-testid="stDecoration"],[data-testid="stTextArea"],'
    + '[data-testid="stText"]';  // st.text: free text as entered (a scrubbed narrative)
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    const value = node.nodeValue.trim();
    if (value && el && !el.closest(skip)) texts.push(value);
  }
  // A segmented date field shows its date as segments ("07" "." "12" "." "2026"), and
  // keeps an ISO copy in an input nobody sees: the date is read as the segments show it.
  const dateFields = '.react-aria-DateField, .react-aria-DateRangePicker';
  document.querySelectorAll('[role="group"]').forEach((group) => {
    if (group.closest(dateFields) && !group.closest(skip)) texts.push(group.textContent.trim());
  });
  document.querySelectorAll('input').forEach((input) => {
    if (input.type === 'hidden' || input.type === 'password' || input.closest(skip)) return;
    if (input.closest('[data-testid="stDateInput"], ' + dateFields)) return;
    // A field nobody sees (a date field's ISO value kept for the form) is not read.
    if (input.getAttribute('aria-hidden') === 'true' || !input.getClientRects().length) return;
    if (input.value && input.type !== 'checkbox' && input.type !== 'radio') texts.push(input.value);
    if (input.placeholder) texts.push(input.placeholder);
  });
  const cut = [];
  const grids = '[data-testid="stDataFrame"],[data-testid="stDataFrameResizable"],'
    + '.vega-embed,pre,code,textarea,input';
  // A box cuts its text when it hides what overflows it ('hidden', 'clip' or an
  // ellipsis; a scrolling box shows it) and its content is wider than the box: the text
  // element itself, or one of the few boxes around it (a metric label's wrapper).
  const cuts = (box) => {
    const style = getComputedStyle(box);
    const hides = ['hidden', 'clip'].includes(style.overflowX) || style.textOverflow === 'ellipsis';
    return hides && box.scrollWidth > box.clientWidth + 1;
  };
  document.querySelectorAll('body *').forEach((el) => {
    if (el.closest(grids) || el.closest(skip)) return;
    const own = [...el.childNodes].some((c) => c.nodeType === 3 && c.nodeValue.trim());
    if (!own) return;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    // Not on screen at all: a visually hidden text for screen readers (a skip link).
    const offscreen = box.right <= 0 || box.bottom <= 0 || box.width < 2 || box.height < 2;
    if (offscreen || style.clip !== 'auto' || style.clipPath !== 'none') return;
    for (let around = el, level = 0; around && level < 4; around = around.parentElement, level++) {
      if (cuts(around)) { cut.push(el.textContent.trim()); break; }
    }
  });
  return {texts, cut};
}
"""


def read_page(page: Any) -> PageText:
    """What the page in ``page`` shows now (see :data:`READ_PAGE`)."""
    found = page.evaluate(READ_PAGE)
    return PageText(tuple(found["texts"]), tuple(found["cut"]))
