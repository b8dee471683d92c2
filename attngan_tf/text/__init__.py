"""Caption text: the tokenizer (in-graph and plain Python) and the vocabulary."""

from .tokenizer import CaptionTokenizer, python_tokenize, select_words, tokenize
from .vocabulary import END_ID, END_TOKEN, UNKNOWN_ID, VOCABULARY_FILE, Vocabulary

__all__ = [
    "CaptionTokenizer",
    "python_tokenize",
    "select_words",
    "tokenize",
    "Vocabulary",
    "END_ID",
    "END_TOKEN",
    "UNKNOWN_ID",
    "VOCABULARY_FILE",
]
