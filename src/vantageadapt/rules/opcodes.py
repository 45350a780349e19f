"""Opcodes of the postfix programs for position terms: written by the compiler, run by the engine.

Plain module-level integers, so numba reads them as compile-time constants.
"""

OP_LEAF = 0  # push leaves[arg, t]
OP_CONST = 1  # push arg
OP_POS = 2  # push position term number arg (POSITION_TERMS order)
OP_ADD = 3
OP_SUB = 4
OP_MUL = 5
OP_DIV = 6
OP_NEG = 7
OP_GT = 8
OP_LT = 9
OP_GE = 10
OP_LE = 11
OP_AND = 12
OP_OR = 13
OP_NOT = 14

ARITH = {"+": OP_ADD, "-": OP_SUB, "*": OP_MUL, "/": OP_DIV}
COMPARE = {">": OP_GT, "<": OP_LT, ">=": OP_GE, "<=": OP_LE}
