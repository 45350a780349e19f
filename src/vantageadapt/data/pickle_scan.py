"""A dry run over a pickle's opcodes that bounds its size before anything is built.

The unpickler itself is not trusted with hostile shapes: CPython hashes a dict key or set
member recursively (a key nested 200,000 tuples deep overflows the C stack), and every
opcode makes an object, so a small file can ask for a lot of memory. This pass simulates
the pickle machine's stack with one small node per object, tracking how deep each object
nests, and refuses the file before the real unpickler runs when it nests too deep, makes
too many objects or is malformed.
"""

from __future__ import annotations

import io
import pickletools
from collections.abc import Iterator

from vantageadapt.errors import DataError

MAX_DEPTH = 64  # a pickled {symbol: DataFrame} nests about 12 deep
MAX_OBJECTS = 5_000_000  # weighted opcodes (objects) in one file: under 1 GB of Python objects
# Opcodes whose objects are bigger than a short string count more (measured peaks per object:
# a short str about 100 bytes, an empty dict 230, an empty set 540, copies included).
_WEIGHT = {"EMPTY_SET": 6, "FROZENSET": 6, "EMPTY_DICT": 3, "DICT": 3, "EMPTY_LIST": 2, "LIST": 2}
MAX_MARKS = MAX_DEPTH

_MUTATORS = frozenset({"APPEND", "APPENDS", "SETITEM", "SETITEMS", "ADDITEMS", "BUILD"})
_GETS = frozenset({"GET", "BINGET", "LONG_BINGET"})
_PUTS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})
_NO_STACK = frozenset({"PROTO", "FRAME"})
_CODES = {op.code.encode("latin-1"): op for op in pickletools.opcodes}
# Raw byte payloads and the size of their length prefix (unsigned, little-endian).
_PAYLOADS = {"BINBYTES": 4, "BINBYTES8": 8, "BYTEARRAY8": 8}


class _Node:
    """One object on the simulated stack: how many containers deep it reaches."""

    __slots__ = ("depth",)

    def __init__(self, depth: int) -> None:
        self.depth = depth


_MARK = _Node(-1)


class _Machine:
    def __init__(self, source: str) -> None:
        self.source = source
        self.stack: list[_Node] = []
        self.memo: dict[int, _Node] = {}
        self.marks = 0

    def fail(self, message: str) -> DataError:
        return DataError(f"{self.source}: refused to unpickle: {message}")

    def pop(self) -> _Node:
        if not self.stack:
            raise self.fail("malformed pickle (stack underflow)")
        return self.stack.pop()

    def pop_to_mark(self) -> list[_Node]:
        items: list[_Node] = []
        while True:
            node = self.pop()
            if node is _MARK:
                self.marks -= 1
                return items
            items.append(node)

    def push(self, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise self.fail(
                f"objects nest more than {MAX_DEPTH} levels deep; a data pickle never does"
            )
        self.stack.append(_Node(depth))

    def step(self, op: pickletools.OpcodeInfo, arg: object) -> None:
        name = op.name
        if name in _NO_STACK:
            return
        if name == "MARK":
            self.marks += 1
            if self.marks > MAX_MARKS:
                raise self.fail(f"containers nest more than {MAX_MARKS} levels deep")
            self.stack.append(_MARK)
        elif name in _PUTS or name == "MEMOIZE":
            if not self.stack or self.stack[-1] is _MARK:
                raise self.fail("malformed pickle (memo of nothing)")
            key = len(self.memo) if name == "MEMOIZE" else int(arg)  # type: ignore[call-overload]
            self.memo[key] = self.stack[-1]
        elif name in _GETS:
            if arg not in self.memo:
                raise self.fail(f"malformed pickle (memo key {arg!r} missing)")
            self.stack.append(self.memo[arg])  # type: ignore[index]
        elif name == "POP":
            if self.pop() is _MARK:
                self.marks -= 1
        elif name == "POP_MARK":
            self.pop_to_mark()
        elif name == "DUP":
            node = self.pop()
            self.stack += [node, node]
        else:
            self._generic(op)

    def _generic(self, op: pickletools.OpcodeInfo) -> None:
        before = op.stack_before
        items: list[_Node] = []
        if pickletools.markobject in before:
            items = self.pop_to_mark()
            below = before.index(pickletools.markobject)
            items += [self.pop() for _ in range(below)]
        else:
            items = [self.pop() for _ in range(len(before))]
        if any(node is _MARK for node in items):
            raise self.fail("malformed pickle (mark where an object belongs)")
        if op.name in _MUTATORS:
            container, added = items[-1], items[:-1]
            depth = max([container.depth, *(1 + node.depth for node in added)])
            if depth > MAX_DEPTH:
                self.push(depth)  # raises
            container.depth = depth
            self.stack.append(container)
            return
        for _ in op.stack_after:
            self.push(1 + max((node.depth for node in items), default=0))


def opcodes(data: bytes) -> Iterator[tuple[pickletools.OpcodeInfo, object, int]]:
    """`pickletools.genops(data)`, except that a bytes or bytearray payload (an array's data,
    megabytes) is stepped over instead of copied twice: its argument is None."""
    stream = io.BytesIO(data)
    while True:
        pos = stream.tell()
        code = stream.read(1)
        op = _CODES.get(code)
        if op is None:
            if not code:
                raise ValueError("pickle exhausted before seeing STOP")
            raise ValueError(f"at position {pos}, opcode {code!r} unknown")
        if op.name in _PAYLOADS:
            size = _PAYLOADS[op.name]
            head = stream.read(size)
            if len(head) != size:
                raise ValueError(f"not enough data in stream to read {op.name}'s length")
            n = int.from_bytes(head, "little")
            if n > len(data) - stream.tell():
                raise ValueError(f"expected {n} bytes in {op.name}, but fewer remain")
            stream.seek(n, io.SEEK_CUR)
            arg = None
        else:
            arg = None if op.arg is None else op.arg.reader(stream)
        yield op, arg, pos
        if op.name == "STOP":
            return


def scan_pickle(data: bytes, *, source: str) -> None:
    """Refuse a pickle that is malformed, nests too deep or makes too many objects.

    Raises:
        DataError: naming the file and the limit it breaks.
    """
    machine = _Machine(source)
    count = 0
    stopped = False
    try:
        for op, arg, _pos in opcodes(data):
            count += _WEIGHT.get(op.name, 1)
            if count > MAX_OBJECTS:
                raise machine.fail(
                    f"more than {MAX_OBJECTS:,} objects; save large data as .parquet instead"
                )
            if op.name == "STOP":
                stopped = True
                break
            machine.step(op, arg)
    except DataError:
        raise
    except Exception as exc:  # genops raises ValueError and friends on malformed input
        raise DataError(f"{source}: not a readable pickle ({type(exc).__name__}: {exc})") from None
    if not stopped:
        raise DataError(f"{source}: not a readable pickle (truncated: no STOP opcode)")
