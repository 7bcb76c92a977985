"""A safe arithmetic language for ``derive``: column names, numbers, + - * / and parentheses.

The recipe text is parsed with :mod:`ast` and every node is checked against a whitelist
(Expression, BinOp with Add/Sub/Mult/Div, UnaryOp with USub/UAdd, Name, numeric Constant).
Calls, attributes, subscripts, comparisons, strings, lambdas... are refused when the recipe
is loaded. Nothing is ever passed to ``eval``: the checked tree is walked and applied to
whole columns. Column names must be Python identifiers (rename others first).
"""

from __future__ import annotations

import ast
import operator

import pandas as pd

MAX_LENGTH = 500
BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
          ast.Div: operator.truediv}
UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}


def parse(text: str) -> ast.Expression:
    """The checked syntax tree of `text`; ValueError naming what is not allowed."""
    if len(text) > MAX_LENGTH:
        raise ValueError(f"expression longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"invalid expression {text!r}: {exc.msg}") from exc
    for node in ast.walk(tree):
        if not _allowed(node):
            what = type(getattr(node, "op", node)).__name__
            raise ValueError(
                f"{what} is not allowed in {text!r}: use column names, numbers, "
                "+ - * / and parentheses"
            )
    return tree


def _allowed(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, ast.BinOp):
        return type(node.op) in BINARY
    if isinstance(node, ast.UnaryOp):
        return type(node.op) in UNARY
    return isinstance(node, (ast.Expression, ast.Name, ast.Load, *BINARY, *UNARY))


def names(tree: ast.Expression) -> list[str]:
    """Column names used by the expression, in order of first use."""
    seen = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name)]
    return list(dict.fromkeys(seen))


def evaluate(tree: ast.Expression, columns: dict[str, pd.Series]) -> tuple[object, int]:
    """Apply the expression to whole columns (vectorised); (result, divisions by zero).

    A division by zero (0/0 included) gives null rather than ±inf or NaN-by-accident.
    """
    zeros = [0]
    return _walk(tree.body, columns, zeros), zeros[0]


def divide(left, right) -> tuple[object, int]:
    """left / right with null where right is 0, and how many such rows there were."""
    if not isinstance(right, pd.Series):
        return (left / right if right != 0 else left * float("nan")), 0
    zero = right == 0
    return left / right.mask(zero), int(zero.sum())


def _walk(node: ast.AST, columns: dict[str, pd.Series], zeros: list[int]):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return columns[node.id]
    if isinstance(node, ast.UnaryOp):
        return UNARY[type(node.op)](_walk(node.operand, columns, zeros))
    left, right = _walk(node.left, columns, zeros), _walk(node.right, columns, zeros)
    if isinstance(node.op, ast.Div):
        result, n = divide(left, right)
        zeros[0] += n
        return result
    return BINARY[type(node.op)](left, right)
