"""Reading a set's signals at one row: static condition rows and position-term programs."""

from __future__ import annotations

import numpy as np
from numba import njit

from vantageadapt.rules.opcodes import (
    OP_ADD,
    OP_AND,
    OP_CONST,
    OP_DIV,
    OP_GE,
    OP_GT,
    OP_LE,
    OP_LEAF,
    OP_LT,
    OP_MUL,
    OP_NEG,
    OP_NOT,
    OP_POS,
    OP_SUB,
)


@njit(cache=True, nogil=True)
def run_program_nb(ops, args, leaves, t, drawdown, bars_held, pnl, stack):
    """Run a postfix condition program at row t; comparisons with NaN are false."""
    top = 0
    for i in range(ops.shape[0]):
        op = ops[i]
        if op == OP_LEAF:
            stack[top] = leaves[int(args[i]), t]
            top += 1
        elif op == OP_CONST:
            stack[top] = args[i]
            top += 1
        elif op == OP_POS:
            which = int(args[i])
            stack[top] = drawdown if which == 0 else (bars_held if which == 1 else pnl)
            top += 1
        elif op == OP_NEG:
            stack[top - 1] = -stack[top - 1]
        elif op == OP_NOT:
            stack[top - 1] = 0.0 if stack[top - 1] != 0.0 else 1.0
        else:
            b = stack[top - 1]
            a = stack[top - 2]
            top -= 1
            if op == OP_ADD:
                r = a + b
            elif op == OP_SUB:
                r = a - b
            elif op == OP_MUL:
                r = a * b
            elif op == OP_DIV:
                r = a / b if b != 0.0 else (np.nan if a == 0.0 else np.inf * np.sign(a))
            elif op == OP_GT:
                r = 1.0 if a > b else 0.0
            elif op == OP_LT:
                r = 1.0 if a < b else 0.0
            elif op == OP_GE:
                r = 1.0 if a >= b else 0.0
            elif op == OP_LE:
                r = 1.0 if a <= b else 0.0
            elif op == OP_AND:
                r = 1.0 if (a != 0.0 and b != 0.0) else 0.0
            else:  # OP_OR
                r = 1.0 if (a != 0.0 or b != 0.0) else 0.0
            stack[top - 1] = r
    return stack[0] != 0.0


@njit(cache=True, nogil=True, inline="always")
def all_rows_nb(conds, rows, t):
    """AND of conds[rows, t] (True for no rows)."""
    for i in range(rows.shape[0]):  # noqa: SIM110 (numba: a plain loop, early exit)
        if not conds[rows[i], t]:
            return False
    return True


@njit(cache=True, nogil=True, inline="always")
def any_rows_nb(conds, rows, t):
    """OR of conds[rows, t] (False for no rows)."""
    for i in range(rows.shape[0]):  # noqa: SIM110
        if conds[rows[i], t]:
            return True
    return False
