"""`mc11 dashboard`: the what-if dashboard in the browser (a Solara server on this machine)."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys

from simulation.cli.common import add_scenario_argument, scenario_of, whole
from simulation.errors import InputError, Interrupted

LOCAL = "127.0.0.1"
QUIET_WARNINGS = "ignore:Cookies with samesite=none require https:UserWarning"
"""Solara's warning, on every page served over plain http, that it falls back to samesite=lax
cookies: right for a page that is not embedded in another site, and a page of noise to users."""
NO_TELEMETRY = {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false"}
"""Solara's usage statistics off: by default its server looks up this machine's public address
(api.ipify.org) and posts events with a fingerprint of it to mixpanel.com. A delegation's
what-ifs are nobody else's business, and offline each post waits for its timeout."""
NO_BANNER = {"SOLARA_THEME_SHOW_BANNER": "false"}
"""Solara's "This website runs on Solara" footer off: fixed at the window's bottom, it covered
table rows and chart legends as the page scrolled."""


def port(text: str) -> int:
    """A TCP port argument (1-65535)."""
    value = whole(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be a whole number from 1 to 65535")
    return value


def server_command(app: str, host: str, port: int) -> list[str]:
    """The command that serves the dashboard page (Solara, production mode, no browser, and
    no request to pypi.org for a newer Solara than the project pins)."""
    return [sys.executable, "-m", "solara", "run", app, "--host", host, "--port", str(port),
            "--production", "--no-open", "--no-check-version"]


def check_free(host: str, port: int) -> None:
    """Refuse an address this machine cannot serve on (a port in use, another machine's
    address) before announcing the page; bound as the server binds (SO_REUSEADDR)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port,
                                                             type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        raise InputError(f"{host}:{port}", "--port/--host", "cannot serve there "
                         f"({exc.strerror or exc}): the port is in use, or the address is not "
                         "this machine's; choose another --port (or --host)") from None


def dashboard(args: argparse.Namespace) -> None:
    """`mc11 dashboard`: serve the what-if dashboard on this machine and open it in the browser."""
    from pathlib import Path

    import simulation.dashboard
    from simulation.inputs.scenario import load_scenario
    from simulation.runs.ensemble import compile_rules, rules_need_compiling

    scenario = load_scenario(scenario_of(args))  # a bad file: the usual error, before serving
    check_free(args.host, args.port)
    if args.host != LOCAL:
        print(f"mc11: warning: serving on {args.host}: anyone who can reach this machine on port "
              f"{args.port} can run ensembles, write scenario files here and read files of this "
              "machine (a path that is no scenario shows its first line)", file=sys.stderr)
    if rules_need_compiling():  # here, before the page is announced; the server loads them
        compile_rules(scenario.negotiation(), scenario.spec.parameters, scenario.priors)
    warnings = ",".join(filter(None, (os.environ.get("PYTHONWARNINGS"), QUIET_WARNINGS)))
    environment = {**os.environ, "MC11_DASHBOARD_SCENARIO": str(scenario.path),
                   "PYTHONWARNINGS": warnings, **NO_TELEMETRY, **NO_BANNER}
    print(f"mc11: dashboard on http://{args.host}:{args.port}/ (Ctrl-C stops it)",
          file=sys.stderr, flush=True)
    app = Path(simulation.dashboard.__file__).with_name("app.py")
    # Ctrl-C or SIGTERM to mc11 raises KeyboardInterrupt here: exit 130, as any command's
    finished = subprocess.run(server_command(str(app), args.host, args.port),
                              env=environment, check=False)
    if finished.returncode != 0:  # the port was free (check_free): stopped
        raise Interrupted(f"the dashboard server on {args.host}:{args.port} stopped (exit "
                          f"code {finished.returncode}); its own messages are above")


def register(commands: argparse._SubParsersAction) -> None:
    """Add `dashboard` to the `mc11` parser."""
    parser = commands.add_parser("dashboard", help="serve the what-if dashboard: open the "
                                 "address it prints in a browser")
    add_scenario_argument(parser)
    parser.add_argument("--port", type=port, default=8765, help="port (default: %(default)s)")
    parser.add_argument("--host", default=LOCAL,
                        help="address to serve on (default: %(default)s, this machine only; "
                             "another address lets others reach it, with a warning)")
    parser.set_defaults(handler=dashboard, runs_model=True)
