"""Hostile patches through the Gödel agent: rejected, and nothing outside the sandbox reached.

Each attack runs twice: as a model would send it (the `ast` filter rejects it first), and with
that filter switched off, so the code really runs in a candidate worker and only the
operating system stands in its way.
"""

from __future__ import annotations

import pytest

from helpers.escapes import _NAMES, FAKE_KEY, Target, escape_payloads
from vantageadapt.agent import GodelAgent, Workspace, WorkspaceRunner, code_round
from vantageadapt.models import CodePatch, PatchOp

from .conftest import ScriptedStrategist, make_context, package_untouched


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One workspace and run worker for the battery: every attack leaves both as they were."""
    workspace = Workspace.create(tmp_path_factory.mktemp("run"))
    with WorkspaceRunner(workspace) as runner:
        yield workspace, runner


def _files(folder) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not {"candidates", "slots"} & set(p.parts) and p.name != "lineage.jsonl"
    }


@pytest.mark.parametrize("name", _NAMES)
@pytest.mark.parametrize("static_filter", ["on", "off"])
async def test_hostile_patch_is_rejected_and_reaches_nothing(
    shared, tmp_path, monkeypatch, name, static_filter
):
    workspace, runner = shared
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={FAKE_KEY}\n")
    if static_filter == "off":
        monkeypatch.setattr(code_round, "check_source", lambda *args, **kwargs: None)
    aims = tmp_path / "aims"
    aims.mkdir()
    with Target(aims) as target:
        patch = CodePatch(
            target="indicators.py",
            op=PatchOp.insert_code,
            code=escape_payloads(target)[name],
            reason="hostile",
        )
        agent = GodelAgent(workspace=workspace, llm=ScriptedStrategist([patch]), runner=runner)
        before = _files(workspace.root)

        async def evaluate(hooks):
            return float(len(hooks.indicator_names))

        with package_untouched():
            [outcome] = await agent.improve(make_context(), evaluate)
        lineage = (workspace.root / "lineage.jsonl").read_text().splitlines()[-1]
        target.assert_untouched(outcome.reason, lineage)
    assert outcome.status == "rejected"
    assert outcome.stage == ("static" if static_filter == "on" else "sandbox")
    assert _files(workspace.root) == before  # kept modules and prompts as they were
    # The run's own worker still answers after the attempt.
    assert agent.runner.current().indicator_names == ("price_zscore",)


async def test_the_rejection_reason_shows_the_attempt_failed_inside(
    workspace, agents, tmp_path, monkeypatch
):
    monkeypatch.setattr(code_round, "check_source", lambda *args, **kwargs: None)
    with Target(tmp_path) as target:
        patch = CodePatch(
            target="indicators.py",
            op=PatchOp.insert_code,
            code=escape_payloads(target)["read-environ"],
            reason="hostile",
        )
        agent = agents(workspace=workspace, llm=ScriptedStrategist([patch]))

        async def evaluate(hooks):
            return 0.0

        [outcome] = await agent.improve(make_context(), evaluate)
    # Inside, pid 1 (bwrap) holds only the sandbox's own environment.
    assert "escape attempt finished" in outcome.reason
    assert "PATH=/usr/bin:/bin" in outcome.reason and FAKE_KEY not in outcome.reason


_SYSCALLS = """
import os, socket, subprocess, threading
_seen = []
def _try(what, fn):
    try:
        fn()
        _seen.append(what + ": allowed")
    except OSError as exc:
        _seen.append(f"{what}: errno {exc.errno}")
_try("fork", lambda: os.fork() or os._exit(0))
_try("exec", lambda: os.execv("/usr/bin/true", ["true"]))
_try("subprocess", lambda: subprocess.run(["/usr/bin/true"]))
_try("posix_spawn", lambda: os.posix_spawn("/usr/bin/true", ["true"], {}))
_try("inet", lambda: socket.socket(socket.AF_INET).close())
_try("inet6", lambda: socket.socket(socket.AF_INET6).close())
_try("netlink", lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW).close())
_try("unix", lambda: socket.socket(socket.AF_UNIX).close())
_thread = threading.Thread(target=lambda: None)
_try("thread", lambda: (_thread.start(), _thread.join()))
raise RuntimeError("calls: " + "; ".join(_seen))
"""


async def test_the_seccomp_filter_refuses_processes_programs_and_sockets(
    workspace, agents, monkeypatch
):
    from vantageadapt.agent.seccomp import worker_filter

    assert worker_filter().ok, worker_filter().reason
    monkeypatch.setattr(code_round, "check_source", lambda *args, **kwargs: None)
    patch = CodePatch(
        target="indicators.py", op=PatchOp.insert_code, code=_SYSCALLS, reason="syscalls"
    )
    agent = agents(workspace=workspace, llm=ScriptedStrategist([patch]))

    async def evaluate(hooks):
        return 0.0

    [outcome] = await agent.improve(make_context(), evaluate)
    assert outcome.status == "rejected" and outcome.stage == "sandbox"
    refused = {"fork": 1, "exec": 1, "subprocess": 1, "posix_spawn": 1}
    refused |= {"inet": 97, "inet6": 97, "netlink": 97}  # EPERM, EAFNOSUPPORT
    for call, code in refused.items():
        assert f"{call}: errno {code}" in outcome.reason, outcome.reason
    # Threads (numba, numpy) and AF_UNIX sockets still work.
    assert "unix: allowed" in outcome.reason and "thread: allowed" in outcome.reason
