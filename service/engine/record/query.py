"""The query language for searching the whole record, parsed with pyparsing into a small typed AST.

Grammar (operators are case-insensitive; ``w/N`` and ``pre/N`` take 1 <= N <= ``MAX_DISTANCE``)::

    query     := or_expr
    or_expr   := and_expr ("OR" and_expr)*
    and_expr  := not_expr (["AND"] not_expr)*          two operands side by side mean AND
    not_expr  := "NOT" not_expr | primary
    primary   := operand ("w/N" | "pre/N") operand  |  term  |  "(" query ")"
    operand   := term | "(" term ("OR" term)* ")"       what proximity may join
    term      := word | prefix | "exact phrase"

Precedence, tightest first: proximity, NOT, AND, OR; so ``a b OR c`` is ``(a AND b) OR c`` and
``NOT a w/5 b`` is ``NOT (a w/5 b)``. When in doubt, parenthesise.

- A **word** is any run of characters other than spaces, parentheses and ``"`` that is not an
  operator; it is split into words as pages are (see ``words``), so ``non-party`` or ``U.S.C.`` is
  the phrase of its parts. To search for a word that is an operator ("and", "or", "not"), quote it.
- A **prefix** is one word ending in ``*`` (``negligen*``), at least ``MIN_PREFIX_CHARS`` long.
- A **phrase** is the words between double quotes, consecutive in that order; punctuation between
  them is ignored, as it is everywhere.
- **Proximity** (Lexis semantics): ``a w/N b`` finds an occurrence of ``a`` and a separate occurrence
  of ``b``, in either order, with the later one starting at most N words after the earlier one ends
  (``a w/1 b`` = adjacent); ``a pre/N b`` additionally needs ``a`` first. Its operands are terms or a
  parenthesised OR of terms (``(permit OR license) w/10 Kiamichi``); NOT, AND, nested proximity and
  chains (``a w/5 b w/5 c``) are refused with a suggestion, because the distance of a compound
  expression has no single meaning, and SQLite FTS5's NEAR and PostgreSQL's ``<N>`` join terms too.
- A query must **find something** on every page it matches: ``NOT a`` or ``a OR NOT b`` would match
  pages by what they lack alone, with no hit to show, so they are refused. ``a NOT b`` (= ``a AND NOT
  b``) and ``a (b OR NOT c)`` are fine: a page they match has ``a`` on it.

Every malformed query raises ``QueryError`` with the 0-based ``position`` of the problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyparsing as pp

from service.core.record_query import And, AnyOf, Near, Not, Operand, Or, Phrase, Prefix, Query, Term, Word
from service.core.words import tokenize

__all__ = [
    "MAX_DISTANCE", "MAX_QUERY_CHARS", "MAX_TERM_LIST_LINES", "MIN_PREFIX_CHARS", "And", "AnyOf", "Near", "Not",
    "Operand", "Or", "Phrase", "Prefix", "Query", "QueryError", "Term", "Word", "parse_query", "parse_term_list",
]  # fmt: skip

MAX_DISTANCE = 1000
"""The largest N of ``w/N`` and ``pre/N``."""
MIN_PREFIX_CHARS = 2
"""A prefix shorter than this (``a*``) would match most of a page."""
MAX_QUERY_CHARS = 10_000
"""A longer query is refused: no legitimate search needs it, and parsing time grows with length."""
MAX_TERM_LIST_LINES = 1000
"""The most queries a search-term list (one query a line) may hold."""


class QueryError(ValueError):
    """A query the parser refuses: ``position`` is the 0-based character offset of the problem.

    ``line`` is the 1-based line of a term list the query came from (``None`` for a single query).
    """

    def __init__(self, message: str, position: int, line: int | None = None) -> None:
        where = f"line {line}, position {position}" if line is not None else f"position {position}"
        super().__init__(f"{where}: {message}")
        self.message = message
        self.position = position
        self.line = line


# --- lexemes ------------------------------------------------------------------------------------

_END = r"(?=$|[\s()\"])"
_AND = pp.Regex(rf"(?i)and{_END}")
_OR = pp.Regex(rf"(?i)or{_END}")
_NOT = pp.Regex(rf"(?i)not{_END}")
_PROXIMITY = pp.Regex(rf"(?i)(?P<operator>w|pre)/(?P<distance>\d+){_END}")
_PHRASE = pp.Regex(r'"[^"]*"')
_UNCLOSED = pp.Regex(r'"[^"]*$')
_BARE = pp.Regex(r'[^\s()"]+')
_LPAR, _RPAR = pp.Literal("("), pp.Literal(")")
_LOOKS_LIKE_OPERATOR = re.compile(r"(?i)(?:(?P<name>[a-z]+)/(?P<argument>\d*|[a-z])|/\S*)")


@dataclass(frozen=True)
class _Lexeme:
    kind: str  # "term", "(", ")", "and", "or", "not", "near"
    position: int
    text: str


_LEXER = pp.MatchFirst(
    [
        expression.copy().set_parse_action(pp.replace_with(kind))
        for kind, expression in (
            ("and", _AND), ("or", _OR), ("not", _NOT), ("near", _PROXIMITY), ("term", _PHRASE),
            ("unclosed", _UNCLOSED), ("(", _LPAR), (")", _RPAR), ("term", _BARE),
        )
    ]
)  # fmt: skip


def _lexemes(query: str) -> list[_Lexeme]:
    """Split ``query`` into lexemes, refusing unclosed quotes, unknown operators and bad terms."""
    found: list[_Lexeme] = []
    for tokens, start, end in _LEXER.scan_string(query):
        kind: str = tokens[0]
        text = query[start:end]
        if kind == "unclosed":
            raise QueryError('this quote is never closed; add the closing " or remove it', start)
        if kind == "near" and not 1 <= int(text.split("/")[1]) <= MAX_DISTANCE:
            raise QueryError(f"{text}: the distance must be between 1 and {MAX_DISTANCE} words", start)
        if kind == "term":
            _term(text, start)  # refuses a bad term here, at its own position
        found.append(_Lexeme(kind, start, text))
    return found


def _term(text: str, position: int) -> Term:
    """The term a bare word or a quoted phrase stands for."""
    quoted = text.startswith('"')
    if not quoted and (operator := _LOOKS_LIKE_OPERATOR.fullmatch(text)):
        name = (operator["name"] or "").lower()
        if name in ("w", "pre") and operator["argument"] is not None:
            raise QueryError(
                f'{name}/ needs a number of words, e.g. {name}/10 (to search for "{text}" itself, quote it)',
                position,
            )
        raise QueryError(
            f"unknown operator {text}; use w/N (within N words) or pre/N (before, within N words)", position
        )
    if not quoted and len(text) > 1 and text[0] == "-" and text[1].isalpha():
        raise QueryError(f"a leading '-' does not exclude anything; write NOT {text[1:]}", position)
    body = text[1:-1] if quoted else text
    if "*" in body:
        star = body.index("*")
        if quoted:
            raise QueryError(
                "a prefix (*) cannot be part of a phrase; search for the phrase's words", position + 1 + star
            )
        if star != len(body) - 1:
            raise QueryError("* is only allowed at the end of a word (negligen*)", position + star)
        stem = tokenize(body[:-1])
        if len(stem) != 1:
            what = "has no letters or digits" if not stem else "must be a single word"
            raise QueryError(f"the prefix {text} {what}; write one word before the *", position)
        if len(stem[0].key) < MIN_PREFIX_CHARS:
            raise QueryError(f"the prefix {text} is too short; give at least {MIN_PREFIX_CHARS} letters", position)
        return Prefix(stem[0].key)
    keys = tuple(token.key for token in tokenize(body))
    if not keys:
        shown = text if text != '""' else 'the phrase ""'
        raise QueryError(f"empty term: {shown} has no letters or digits; remove it or add a word", position)
    return Word(keys[0]) if len(keys) == 1 else Phrase(keys)


# --- structure checks (before the grammar, so that every error names its own position) ------------

_BINARY = {"and", "or", "near"}
_ENDS_OPERAND = {"term", ")"}


def _check_structure(lexemes: list[_Lexeme]) -> None:
    """Refuse unbalanced parentheses, dangling operators and proximity operands it cannot join."""
    opening: list[int] = []
    partner: dict[int, int] = {}
    for index, lexeme in enumerate(lexemes):
        if lexeme.kind == "(":
            opening.append(index)
        elif lexeme.kind == ")":
            if not opening:
                raise QueryError("this ')' has no matching '('; remove it or add a '(' before it", lexeme.position)
            start = opening.pop()
            if start == index - 1:
                raise QueryError("empty parentheses; put a term between them or remove them", lexemes[start].position)
            partner[start], partner[index] = index, start
    if opening:
        raise QueryError("this '(' is never closed; add a ')' after its last term", lexemes[opening[-1]].position)
    for index, lexeme in enumerate(lexemes):
        before = lexemes[index - 1] if index > 0 else None
        after = lexemes[index + 1] if index + 1 < len(lexemes) else None
        name = lexeme.text.upper() if lexeme.kind != "near" else lexeme.text
        if lexeme.kind in _BINARY and (before is None or before.kind not in _ENDS_OPERAND):
            raise QueryError(f"{name} has no term before it; add one or remove {name}", lexeme.position)
        if lexeme.kind in _BINARY | {"not"} and (after is None or after.kind in _BINARY | {")"}):
            raise QueryError(f"{name} has no term after it; add one or remove {name}", lexeme.position)
        if lexeme.kind == "near":
            _check_proximity(lexemes, index, partner)


def _check_proximity(lexemes: list[_Lexeme], index: int, partner: dict[int, int]) -> None:
    operator = lexemes[index]
    left_start = partner[index - 1] if lexemes[index - 1].kind == ")" else index - 1
    right_end = partner[index + 1] if lexemes[index + 1].kind == "(" else index + 1
    if left_start > 0 and lexemes[left_start - 1].kind == "near":
        raise QueryError(
            f"proximity cannot be chained; join two searches with AND: (a {lexemes[left_start - 1].text} b) "
            f"AND (b {operator.text} c)",
            operator.position,
        )
    for start, end in ((left_start, index - 1), (index + 1, right_end)):
        inside = lexemes[start + 1 : end] if lexemes[start].kind == "(" else [lexemes[start]]
        for offset, lexeme in enumerate(inside):
            if lexeme.kind != ("term" if offset % 2 == 0 else "or"):
                raise QueryError(
                    f"{operator.text} can only join words, prefixes, phrases or an OR of them in parentheses, "
                    f"as in (permit OR license) {operator.text} river; {lexeme.text!r} cannot be part of its operand",
                    lexeme.position if lexemes[start].kind == "(" else operator.position,
                )


# --- grammar --------------------------------------------------------------------------------------


def _flatten(kind: type[And] | type[Or], operands: list[Query]) -> Query:
    if len(operands) == 1:
        return operands[0]
    flat: list[Query] = []
    for operand in operands:
        flat.extend(operand.operands if isinstance(operand, kind) else (operand,))
    return kind(tuple(flat))


def _build_grammar() -> pp.ParserElement:
    operator = _AND | _OR | _NOT | _PROXIMITY
    term = (_PHRASE | (~operator + _BARE)).set_parse_action(lambda s, loc, t: _term(t[0], loc))
    left, right = pp.Suppress(_LPAR), pp.Suppress(_RPAR)
    either = pp.Suppress(_OR)
    any_of = (left + term + pp.ZeroOrMore(either + term) + right).set_parse_action(
        lambda t: t[0] if len(t) == 1 else AnyOf(tuple(t))
    )
    operand = term | any_of
    proximity = (operand + _PROXIMITY + operand).set_parse_action(
        lambda t: Near(t[0], t[2], int(t[1].split("/")[1]), t[1].lower().startswith("pre"))
    )
    query = pp.Forward()
    primary = proximity | term | (left + query + right)
    negation = pp.Forward()
    negation <<= (_NOT + negation).set_parse_action(lambda s, loc, t: Not(t[1], loc)) | primary
    conjunction = (negation + pp.ZeroOrMore(pp.Optional(pp.Suppress(_AND)) + negation)).set_parse_action(
        lambda t: _flatten(And, list(t))
    )
    disjunction = (conjunction + pp.ZeroOrMore(either + conjunction)).set_parse_action(lambda t: _flatten(Or, list(t)))
    query <<= disjunction
    return pp.StringStart() + query + pp.StringEnd()


_GRAMMAR = _build_grammar()


def _negative_part(query: Query) -> Not | None:
    """A NOT through which a page could match ``query`` with nothing found on it, if there is one."""
    match query:
        case Not():
            return query
        case And(operands):
            parts = [_negative_part(operand) for operand in operands]
            return None if any(part is None for part in parts) else parts[0]
        case Or(operands):
            return next((part for operand in operands if (part := _negative_part(operand))), None)
        case _:
            return None


def parse_query(query: str) -> Query:
    """Parse one query (see the module docstring for the language); raises ``QueryError``."""
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is {len(query):,} characters; the limit is {MAX_QUERY_CHARS:,}", MAX_QUERY_CHARS)
    lexemes = _lexemes(query)
    if not lexemes:
        raise QueryError("empty query; type a word, a phrase in quotes, or a prefix like negligen*", 0)
    _check_structure(lexemes)
    try:
        parsed: Query = _GRAMMAR.parse_string(query, parse_all=True)[0]
    except pp.ParseException as error:  # the checks above should leave nothing for the grammar to refuse
        raise QueryError(
            f"cannot read the query here ({error.msg}); check operators and parentheses", error.loc
        ) from None
    if negative := _negative_part(parsed):
        raise QueryError(
            "NOT only excludes pages, and a page could match this query by what it lacks alone; "
            "add a term to find, as in: contract NOT lease",
            negative.position,
        )
    return parsed


def parse_term_list(text: str) -> list[tuple[int, str, Query]]:
    """Parse a search-term list, one query a line: ``(line number, query text, query)`` per query.

    Blank lines are skipped. More than ``MAX_TERM_LIST_LINES`` queries, or a bad query, raise
    ``QueryError`` naming the line.
    """
    parsed: list[tuple[int, str, Query]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(parsed) == MAX_TERM_LIST_LINES:
            raise QueryError(
                f"the term list has more than {MAX_TERM_LIST_LINES:,} queries; split it into lists of at most "
                f"{MAX_TERM_LIST_LINES:,}",
                0,
                line=number,
            )
        try:
            parsed.append((number, line.strip(), parse_query(line)))
        except QueryError as error:
            raise QueryError(error.message, error.position, line=number) from None
    return parsed
