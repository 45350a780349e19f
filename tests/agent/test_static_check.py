"""Every forbidden thing is rejected by the static check, before any of it runs."""

from __future__ import annotations

import pytest

from vantageadapt.agent.static_check import check_source
from vantageadapt.agent.workspace import template_sources
from vantageadapt.errors import PatchRejected
from vantageadapt.models import CodePatch, PatchOp

from .conftest import ScriptedStrategist, make_context

# Each body replaces `quality` in scoring.py; each would write a marker file if it ever ran.
HARMFUL = {
    "exec": "exec('open(MARKER, \"w\")')",
    "eval": "eval('1')",
    "compile": "compile('1', 'x', 'eval')",
    "open": "open(MARKER, 'w').write('ran')",
    "__import__": "__import__('os').system('touch ' + MARKER)",
    "getattr-dunder": "getattr(metrics, '__class__')",
    "getattr-computed": "getattr(metrics, 'x' + 'y')",
    "dunder-attribute": "metrics.__class__.__bases__",
    "format-dunder": "'{0.__class__}'.format(metrics)",
    "os": "import os\n    os.system('touch ' + MARKER)",
    "sys": "import sys\n    sys.modules.clear()",
    "subprocess": "import subprocess\n    subprocess.run(['touch', MARKER])",
    "socket": "import socket\n    socket.socket()",
    "ctypes": "import ctypes\n    ctypes.CDLL(None)",
    "importlib": "import importlib\n    importlib.import_module('os')",
    "from-os": "from os import system\n    system('touch ' + MARKER)",
    "numpy-os": "import numpy as np\n    np.os.system('touch ' + MARKER)",
    "pandas-write": "import pandas as pd\n    pd.DataFrame().to_csv(MARKER)",
    "pandas-pickle": "import pandas as pd\n    pd.read_pickle(MARKER)",
    "numpy-save": "import numpy as np\n    np.save(MARKER, np.ones(1))",
    "builtins": "import builtins\n    builtins.open(MARKER, 'w')",
    "private-package": "from vantageadapt.store import DatabaseConnection",
    "relative-import": "from . import secrets",
    "frame-builtins": "(x for x in []).gi_frame.f_builtins['open'](MARKER, 'w')",
    "dynamic-format": "('{0.' + '_' * 2 + 'class' + '_' * 2 + '}').format(metrics)",
    "numba-extending": "from numba.extending import intrinsic",
    "numba-attr": "import numba\n    numba.core.config",
    "help-pager": "help(metrics)",
    "print": "print('corrupts --json stdout')",
    "memmap": "import numpy as np\n    np.lib.format.open_memmap(MARKER, mode='w+')",
    # Attribute chains by literal names reach os through pandas' own modules.
    "getattr-literal-chain": "import pandas as pd\n    getattr(getattr(getattr(getattr(pd, 'io'), "
    "'common'), 'os'), 'system')('touch ' + MARKER)",
    "hasattr-literal": "import pandas as pd\n    hasattr(pd, 'io')",
    # Dunder names built at run time, then used through a function's globals.
    "built-dunder": "import pandas as pd\n    d = '_' + '_'\n"
    "    getattr(pd.isna, d + 'globals' + d)[d + 'builtins' + d][d + 'import' + d]('os')",
    "ndarray-dump": "import numpy as np\n    np.ones(3).dump(MARKER)",
    "ndarray-tofile": "import numpy as np\n    np.ones(3).tofile(MARKER)",
    "frame-to-parquet": "import pandas as pd\n    pd.DataFrame().to_parquet(MARKER)",
    "savez": "import numpy as np\n    np.savez(MARKER, a=np.ones(1))",
    "posixsubprocess": "import _posixsubprocess\n    _posixsubprocess.fork_exec",
    "sqlite-connect": "import sqlite3\n    sqlite3.connect(MARKER)",
    "pandas-sql": "import pandas as pd\n    pd.DataFrame().to_sql('t', MARKER)",
    "audit-hook-off": "import sys\n    sys.addaudithook(lambda *a: None)",
    "proc-environ": "import pandas as pd\n    pd.read_csv('/proc/1/environ')",
    "type-builtin": "type(metrics).mro()",
    "object-builtin": "object.mro",
    "unknown-builtin": "memoryview(b'x')",
    "numba-objmode": "import numba\n    numba.objmode",
    "numba-alias": "import numba as nb\n    nb.cfunc",
    "operator-attrgetter": "import operator\n    operator.attrgetter('x')",
    "environ-attr": "import pandas as pd\n    pd.io.common.os.environ",
}


def _body(snippet: str) -> str:
    return f"def quality(metrics):\n    MARKER = 'ran.txt'\n    {snippet}\n    return 0.0\n"


@pytest.mark.parametrize("name", sorted(HARMFUL))
def test_each_forbidden_thing_fails_the_static_check(name):
    original = template_sources()["scoring.py"]
    code = _body(HARMFUL[name])
    patched = original.replace(
        original[original.index("def quality") : original.index("def score")], code + "\n\n"
    )
    with pytest.raises(PatchRejected):
        check_source(patched, filename="scoring.py", original=original)


@pytest.mark.parametrize("name", ["open", "os", "subprocess", "__import__", "pandas-write"])
async def test_agent_rejects_harmful_patch_before_it_runs(workspace, agents, tmp_path, name):
    patch = CodePatch(
        target="scoring.py",
        op=PatchOp.modify_code,
        name="quality",
        code=_body(HARMFUL[name]),
        reason="harmful",
    )
    agent = agents(workspace=workspace, llm=ScriptedStrategist([patch]))
    calls = []

    async def evaluate(modules):
        calls.append(modules.version)
        return 0.0

    before = workspace.sources()
    [outcome] = await agent.improve(make_context(), evaluate)
    assert outcome.status == "rejected" and outcome.stage == "static"
    assert len(calls) == 1  # the parent only: the candidate was never imported or run
    assert not list(workspace.candidates_dir.iterdir())
    assert not (tmp_path / "ran.txt").exists()
    assert workspace.sources() == before
    assert outcome.diff.startswith("--- a/scoring.py")


def test_public_signature_change_and_removal_are_rejected():
    original = template_sources()["scoring.py"]
    changed = original.replace("def score(in_sample", "def score(extra, in_sample")
    with pytest.raises(PatchRejected, match="changed its signature"):
        check_source(changed, filename="scoring.py", original=original)
    removed = original.replace("def score(", "def _score(")
    with pytest.raises(PatchRejected, match="was removed"):
        check_source(removed, filename="scoring.py", original=original)


def test_syntax_error_is_rejected_with_line():
    with pytest.raises(PatchRejected, match=r"scoring.py:1: does not parse"):
        check_source("def (:", filename="scoring.py")


def test_templates_and_allowed_code_pass():
    for name, source in template_sources().items():
        check_source(source, filename=name, original=source)
    allowed = (
        "import math\nimport numpy as np\nfrom numba import njit\nX = math.sqrt(np.float64(4))\n"
    )
    check_source(allowed, filename="indicators.py")


@pytest.mark.parametrize(
    ("snippet", "advice"),
    [
        ("getattr(metrics, 'get')", "write the attribute itself"),
        ("print(metrics)", "return values instead"),
        ("import numpy as np\n    np.ones(1).dump('x')", "forbidden"),
        ("import pandas as pd\n    pd.DataFrame().to_csv('x')", "only computes and returns"),
        ("type(metrics)", "allowed builtins"),
    ],
)
def test_messages_say_what_to_write_instead(snippet, advice):
    with pytest.raises(PatchRejected, match=advice):
        check_source(_body(snippet), filename="scoring.py")
