"""Mutation testing of one module: do its unit tests notice a one-token change?

Run as ``scripts/mutants tender/domain/periods.py [--count 80]``. For each of
``count`` mutants spread evenly over the module (see :mod:`tools.mutator`)
it runs the unit tests that import the module and reports the share of
mutants some test notices ("killed") and the ones none does ("survivors"),
marking survivors that the reviewed list (``scripts/mutants_equivalent.toml``)
explains as equivalent.

Why this shape:

* The checkout is never written to. Other people run tests in the same
  checkout, so the mutant is compiled in memory and handed to the test run by
  an import hook; Ctrl+C (or a crash) leaves nothing to restore.
* Each mutant runs in a forked child of a parent that has already imported
  the tests and all they use; the child forgets only the module and what
  holds parts of it (:func:`stale_modules`), so a mutant costs its tests, not
  seconds of imports. The unmutated baseline runs the same way, so a
  forgetting that went wrong shows as failing tests before any mutant runs.
* Hypothesis runs with a fixed seed and a throwaway example database, so the
  same mutants get the same verdict every run and no failing example found
  for a mutant is replayed against the real code later.
"""
from __future__ import annotations

import argparse
import ast
import importlib
import importlib.abc
import importlib.util
import os
import shutil
import signal
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.mutator import Mutant, all_mutants, apply, sample  # noqa: E402

EQUIVALENTS_FILE = ROOT / "scripts" / "mutants_equivalent.toml"
UNIT_TESTS = ROOT / "tests" / "unit"
#: Test files left out although they import a core module: they need a database
#: and take over a minute, and the fast tests named beside them cover the module.
SLOW_TESTS = {"test_audit_export.py"}
PYTEST_ARGS = ["-x", "-q", "-rf", "-p", "no:cacheprovider", "--hypothesis-seed=0", "-o", "addopts=",
               "-W", "ignore::pytest.PytestAssertRewriteWarning"]  # plugins preloaded in the parent


@dataclass
class Outcome:
    mutant: Mutant
    verdict: str  # killed, timeout, error (the mutant broke the import), survived
    seconds: float
    equivalent: str | None = None


def module_names(target: str) -> tuple[Path, str]:
    """(path, dotted name) from either form."""
    if target.endswith(".py"):
        path = (ROOT / target).resolve() if not os.path.isabs(target) else Path(target)
        dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    else:
        dotted = target
        path = ROOT.joinpath(*target.split(".")).with_suffix(".py")
    if not path.is_file():
        raise SystemExit(f"No module file at {path}")
    return path, dotted


def imports_of(test_file: Path) -> set[str]:
    """Every module name a test file imports, both ``a.b.c`` and ``a.b`` + ``c`` forms."""
    names = set()
    for node in ast.walk(ast.parse(test_file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_files_for(dotted: str) -> list[Path]:
    """The unit test files that import the module."""
    return [path for path in sorted(UNIT_TESTS.glob("test_*.py"))
            if path.name not in SLOW_TESTS and dotted in imports_of(path)]


def load_equivalents(relative: str) -> dict[tuple[str, str], str]:
    """(source line, change) -> reason, for the reviewed equivalents of one module."""
    if not EQUIVALENTS_FILE.exists():
        return {}
    data = tomllib.loads(EQUIVALENTS_FILE.read_text(encoding="utf-8"))
    return {(entry["line"].strip(), entry["change"]): entry["reason"]
            for entry in data.get("equivalent", []) if entry["module"] == relative}


class MutantFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Import hook that serves the mutated code for one module name, and nothing else."""

    def __init__(self, dotted: str, path: Path, code) -> None:
        self.dotted, self.path, self.code = dotted, path, code

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.dotted:
            return None
        return importlib.util.spec_from_file_location(fullname, self.path, loader=self)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(self.code, module.__dict__)


def preload(test_files: list[Path]) -> None:
    """Import the tests and all they use in this process, so forked children start with them loaded."""
    import tests.conftest  # noqa: F401 - imported for its side effects on sys.modules
    for path in test_files:
        importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))


#: Modules that declare database tables or the app: reloading them in a child would declare them twice.
_UNRELOADABLE = ("tender.models", "tender.extensions", "tender.web")


def stale_modules(dotted: str) -> list[str]:
    """The loaded modules a child must forget so that it imports the mutant afresh.

    The module itself, every Tender module holding something of a forgotten
    module (its functions, classes or the module), to a fixed point, and all
    the tests (pytest imports them itself, rewriting their asserts). If that
    reaches the models or the app, everything of Tender is forgotten instead.
    """
    drop = {dotted}
    ours = [name for name in sys.modules if name.split(".")[0] == "tender" and name != dotted]
    changed = True
    while changed:
        changed = False
        for name in ours:
            if name in drop:
                continue
            for value in list(vars(sys.modules[name]).values()):
                if isinstance(value, type(sys)):
                    held = value.__name__
                    if held.startswith(name + "."):  # a package's own submodule: re-set on import
                        continue
                else:
                    held = getattr(value, "__module__", None)
                if held in drop:
                    drop.add(name)
                    changed = True
                    break
    if any(name.startswith(_UNRELOADABLE) for name in drop):
        drop = set(ours) | {dotted}
    tests = [name for name in sys.modules if name.split(".")[0] == "tests"]
    return sorted(drop | set(tests))


def run_tests(test_files: list[Path], finder: MutantFinder, stale: list[str], log: Path,
              timeout: float) -> tuple[str, float]:
    """Run the tests in a forked child that forgets ``stale`` and imports through ``finder``; (verdict, seconds)."""
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        try:
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            for name in stale:
                old = sys.modules.pop(name, None)
                package, _, attribute = name.rpartition(".")
                if old is not None and getattr(sys.modules.get(package), attribute, None) is old:
                    delattr(sys.modules[package], attribute)  # else `from package import name` finds the old one
            sys.meta_path.insert(0, finder)
            import pytest
            code = pytest.main([*PYTEST_ARGS, *map(str, test_files)])
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(int(code))
        except BaseException:  # noqa: BLE001 - report, then leave without running the parent's cleanup
            import traceback
            traceback.print_exc()
            sys.stderr.flush()
            os._exit(3)
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            elapsed = time.monotonic() - started
            if done:
                break
            if elapsed > timeout:
                _end(pid)
                return "timeout", elapsed
            time.sleep(0.02)
    except BaseException:  # Ctrl+C or anything else: the child must not outlive us
        _end(pid)
        raise
    code = os.waitstatus_to_exitcode(status)
    verdict = {0: "survived", 1: "killed", 2: "error"}.get(code, f"exit {code}")
    return verdict, elapsed


def killing_file(log: Path, tests: list[Path]) -> Path | None:
    """The test file whose failure ``-rf`` reported in the child's log."""
    text = log.read_text(encoding="utf-8", errors="replace")
    for test in tests:
        if f"FAILED {test.relative_to(ROOT)}::" in text:
            return test
    return None


def _end(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/mutants", description=__doc__.split("\n")[0])
    parser.add_argument("module", help="e.g. tender/domain/periods.py or tender.domain.periods")
    parser.add_argument("--count", type=int, default=80, help="mutants to run, spread evenly (0: all)")
    parser.add_argument("--list", action="store_true", help="list the sampled mutants and stop")
    parser.add_argument("--line", type=int, action="append", help="only the sampled mutants on this line")
    parser.add_argument("--function", action="append",
                        help="only mutants inside these functions (e.g. the standstill guard of guards.py)")
    parser.add_argument("--tests", nargs="+", help="test files to run instead of those importing the module")
    args = parser.parse_args(argv)

    path, dotted = module_names(args.module)
    relative = str(path.relative_to(ROOT))
    source = path.read_text(encoding="utf-8")
    everything = all_mutants(source)
    if args.function:
        spans = [(node.lineno, node.end_lineno) for node in ast.walk(ast.parse(source))
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in args.function]
        if not spans:
            raise SystemExit(f"No function named {', '.join(args.function)} in {args.module}")
        everything = [m for m in everything if any(low <= m.line <= high for low, high in spans)]
    chosen = sample(everything, args.count) if args.count else everything
    if args.line:
        chosen = [m for m in chosen if m.line in args.line]
    equivalents = load_equivalents(relative)
    if args.list:
        for number, mutant in enumerate(chosen, 1):
            print(f"{number:3} line {mutant.line:4}  {mutant.change:24} {mutant.source_line.strip()}")
        return 0
    tests = [Path(t).resolve() for t in args.tests] if args.tests else test_files_for(dotted)
    if not tests:
        raise SystemExit(f"No unit test file imports {dotted}.")
    print(f"{relative}: {len(chosen)} of {len(everything)} mutants; tests: "
          + ", ".join(str(t.relative_to(ROOT)) for t in tests), flush=True)

    os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = workdir = tempfile.mkdtemp(prefix="tender-mutants-")
    log = Path(workdir) / "pytest.log"
    outcomes: list[Outcome] = []
    try:
        preload(tests)
        stale = stale_modules(dotted)
        original = MutantFinder(dotted, path, compile(ast.parse(source), str(path), "exec"))
        timings = {}
        for test in tests:  # each file alone, to run the quickest first: most mutants die in the first file
            verdict, timings[test] = run_tests([test], original, stale, log, timeout=600)
            if verdict != "survived":
                print(log.read_text(encoding="utf-8", errors="replace")[-3000:])
                raise SystemExit(f"{test.name} fails ({verdict}) without any mutant: fix it first.")
        tests.sort(key=timings.get)
        baseline = sum(timings.values())
        timeout = max(30.0, 5 * baseline)
        print(f"baseline: tests pass in {baseline:.1f} s ("
              + ", ".join(f"{t.name} {timings[t]:.1f} s" for t in tests)
              + f"); a mutant taking over {timeout:.0f} s counts as killed", flush=True)
        for number, mutant in enumerate(chosen, 1):
            code = compile(apply(source, mutant), str(path), "exec")
            verdict, seconds = run_tests(tests, MutantFinder(dotted, path, code), stale, log, timeout)
            outcome = Outcome(mutant, verdict, seconds, equivalents.get(mutant.key))
            killer = killing_file(log, tests) if verdict == "killed" else None
            if killer is not None:  # neighbouring mutants are mostly caught by the same file: try it first
                tests.remove(killer)
                tests.insert(0, killer)
            outcomes.append(outcome)
            mark = "." if verdict != "survived" else ("e" if outcome.equivalent else "S")
            print(mark, end="" if number % 40 else "\n", flush=True)
    except KeyboardInterrupt:
        print("\nInterrupted: the results so far (nothing in the checkout was changed).")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return report(outcomes, relative, everything, equivalents)


def report(outcomes: list[Outcome], relative: str, everything: list[Mutant], equivalents: dict) -> int:
    """Print the score and the survivors; 0 only if every survivor is a reviewed equivalent."""
    print()
    survivors = [o for o in outcomes if o.verdict == "survived"]
    unexplained = [o for o in survivors if not o.equivalent]
    killed = len(outcomes) - len(survivors)
    total = len(outcomes) or 1
    for outcome in survivors:
        m = outcome.mutant
        tag = f"equivalent: {outcome.equivalent}" if outcome.equivalent else "SURVIVED"
        print(f"  line {m.line:4}  {m.change:24} {m.source_line.strip()}\n             {tag}")
    stale = set(equivalents) - {m.key for m in everything}
    for line, change in sorted(stale):
        print(f"  stale entry in {EQUIVALENTS_FILE.name}: {change} on `{line}` matches no mutant any more")
    odd = [o for o in outcomes if o.verdict not in ("killed", "survived")]
    for outcome in odd:
        m = outcome.mutant
        print(f"  line {m.line:4}  {m.change:24} {m.source_line.strip()}\n             killed by {outcome.verdict}")
    print(f"{relative}: {killed}/{len(outcomes)} killed outright ({100 * killed / total:.1f}%), "
          f"{len(survivors) - len(unexplained)} reviewed equivalent, {len(unexplained)} unexplained survivor(s)"
          + (f"; of the killed, {len(odd)} by a timeout or an import error" if odd else ""))
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
