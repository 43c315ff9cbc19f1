"""Hypothesis throws malformed suite files and command-line values at ganbench: every one ends in a
clean one-line error (or a valid suite), never a traceback."""

from __future__ import annotations

import tomllib
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganbench.cli import main
from ganbench.suites import SuiteError, load_suite_file

SMOKE = (Path(__file__).resolve().parents[1] / "ganbench" / "suites" / "smoke.toml").read_text()
BASE = tomllib.loads(SMOKE)

# Any TOML value: what a typo, a unit slip or a wrong type produces.
scalars = st.one_of(st.integers(-10**15, 10**15), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                    st.text(max_size=12), st.just(""), st.just("../../x"))
values = st.one_of(scalars, st.lists(scalars, max_size=3), st.dictionaries(st.text(max_size=6), scalars, max_size=2))


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(value), repr(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.encode("unicode_escape").decode().replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f'"{k.encode("unicode_escape").decode()}" = {toml_value(v)}' for k, v in value.items()) + "}"


def render(data: dict[str, object]) -> str:
    lines = [f"{key} = {toml_value(value)}" for key, value in data.items() if not isinstance(value, dict)]
    for key, table in data.items():
        if isinstance(table, dict):
            lines.append(f"[{key}]")
            lines += [f'"{k}" = {toml_value(v)}' for k, v in table.items()]
    return "\n".join(lines) + "\n"


paths = st.sampled_from([(key,) for key in BASE if not isinstance(BASE[key], dict)]
                        + [(table, key) for table in BASE if isinstance(BASE[table], dict) for key in BASE[table]]
                        + [("extra",), ("budget", "extra")])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(paths, values), min_size=1, max_size=3), drop=st.sets(paths, max_size=2))
def test_malformed_suite_files_give_clean_errors(tmp_path_factory: object, edits: list, drop: set) -> None:
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in BASE.items()}
    for path, value in edits:
        target = data if len(path) == 1 else data.setdefault(path[0], {})
        if isinstance(target, dict):
            target[path[-1]] = value
    for path in drop:
        target = data if len(path) == 1 else data.get(path[0], {})
        if isinstance(target, dict):
            target.pop(path[-1], None)
    suite = Path(str(tmp_path_factory.mktemp("fuzz"))) / "suite.toml"  # type: ignore[attr-defined]
    suite.write_text(render(data))
    try:
        load_suite_file(suite)
    except SuiteError as exc:
        assert str(exc).startswith(f"{suite}: ") and "\n" not in str(exc)


options = st.sampled_from(["--seeds", "--budget-seconds", "--workers", "--checkpoint-every", "--suite", "--matrix",
                           "--precision", "--device", "--extractor", "--arch", "--loss", "--reg", "--dataset",
                           "--executor", "--address"])


@settings(max_examples=150, deadline=None)
@given(args=st.lists(st.tuples(options, st.one_of(st.text(max_size=10), st.sampled_from(
    ["", "nan", "inf", "-1", "0", "1e309", "0,0", "a+b", "r1+", "none+r1", "cuda", "full", "bf16", "ray", "local",
     "127.0.0.1:9", "127.0.0.1:x", ":9", "auto"]))),
    min_size=1, max_size=3))
def test_malformed_run_options_give_clean_errors(tmp_path_factory: object, args: list) -> None:
    """`--out` is a file, so a combination that happens to be valid stops at the last check, not in
    training; every error is one line with exit code 2, and no exception escapes."""
    folder = Path(str(tmp_path_factory.mktemp("cli")))  # type: ignore[attr-defined]
    (folder / "file").write_text("")
    argv = ["run", "--out", str(folder / "file" / "out"), "--store", str(folder / "store")]
    for option, value in args:
        argv += [option, value]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 2, (argv, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), (argv, result.exception)
    assert "Traceback" not in result.output
