"""Chinese text made into words, one way for every app (classification, duplicates, search).

jieba builds its prefix dictionary on first use (about a second) and keeps it for the process;
nothing is downloaded: the dictionary ships inside the package.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata

import jieba

_lock = threading.Lock()
_ready = False

# Words that carry no meaning for matching; kept short on purpose: a longer list would hide
# words that matter in residents' requests ("不", "没有" change the sense of a complaint).
STOP_WORDS = frozenset(
    [
        "的",
        "了",
        "和",
        "与",
        "及",
        "或",
        "是",
        "在",
        "有",
        "我",
        "我们",
        "你",
        "您",
        "他",
        "她",
        "它",
        "这",
        "那",
        "这个",
        "那个",
        "就",
        "都",
        "也",
        "还",
        "又",
        "把",
        "被",
        "让",
        "给",
        "对",
        "向",
        "从",
        "到",
        "于",
        "为",
        "以",
        "之",
        "其",
        "等",
        "着",
        "过",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "哦",
        "嗯",
        "请",
        "一个",
        "一下",
        "什么",
        "怎么",
        "如何",
    ]
)
_WORD = re.compile(r"\w", re.UNICODE)


def _initialise() -> None:
    global _ready
    if _ready:
        return
    with _lock:
        if not _ready:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _ready = True


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), lower case, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def words(text: str) -> list[str]:
    """The words of a text in order, punctuation and spaces dropped, stop words kept."""
    _initialise()
    return [w for w in jieba.lcut(normalise(text)) if _WORD.search(w)]


def search_words(text: str) -> list[str]:
    """Words plus their shorter parts (基层党组织 → 基层, 党组, 组织, 党组织), for indexing."""
    _initialise()
    return [w for w in jieba.lcut_for_search(normalise(text)) if _WORD.search(w)]


def content_words(text: str) -> list[str]:
    """Words without stop words: what similarity between two texts should look at."""
    return [w for w in words(text) if w not in STOP_WORDS]
