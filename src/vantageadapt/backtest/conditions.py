"""Position-term programs: a set's conditions that read its open position, run per row."""

from __future__ import annotations

import numpy as np
from numba import njit

from vantageadapt.rules import opcodes as codes


@njit(cache=True, nogil=True)
def run_program_nb(ops, args, leaves, t, drawdown, bars_held, pnl, stack):
    """Run a postfix condition program at row t; comparisons with NaN are false."""
    top = 0
    for i in range(ops.shape[0]):
        op = ops[i]
        if op == codes.OP_LEAF:
            stack[top] = leaves[int(args[i]), t]
            top += 1
        elif op == codes.OP_CONST:
            stack[top] = args[i]
            top += 1
        elif op == codes.OP_POS:
            which = int(args[i])
            stack[top] = drawdown if which == 0 else (bars_held if which == 1 else pnl)
            top += 1
        elif op == codes.OP_NEG:
            stack[top - 1] = -stack[top - 1]
        elif op == codes.OP_NOT:
            stack[top - 1] = 0.0 if stack[top - 1] != 0.0 else 1.0
        else:
            b = stack[top - 1]
            a = stack[top - 2]
            top -= 1
            if op == codes.OP_ADD:
                r = a + b
            elif op == codes.OP_SUB:
                r = a - b
            elif op == codes.OP_MUL:
                r = a * b
            elif op == codes.OP_DIV:
                r = a / b if b != 0.0 else (np.nan if a == 0.0 else np.inf * np.sign(a))
            elif op == codes.OP_GT:
                r = 1.0 if a > b else 0.0
            elif op == codes.OP_LT:
                r = 1.0 if a < b else 0.0
            elif op == codes.OP_GE:
                r = 1.0 if a >= b else 0.0
            elif op == codes.OP_LE:
                r = 1.0 if a <= b else 0.0
            elif op == codes.OP_AND:
                r = 1.0 if (a != 0.0 and b != 0.0) else 0.0
            else:  # OP_OR
                r = 1.0 if (a != 0.0 or b != 0.0) else 0.0
            stack[top - 1] = r
    return stack[0] != 0.0
