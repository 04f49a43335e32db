"""Serving the dashboard: Solara's own server (Starlette under uvicorn) on 127.0.0.1 only.

Started directly with uvicorn rather than through `solara run`, which would check PyPI for a
newer version at start-up; Solara's usage telemetry is switched off. The page's JavaScript
and styles come from the `solara-assets` package (installed with this package), so nothing is
fetched from the internet when the page loads; that needs the Vue 2 front end (`ipyvue<3`),
the one those assets cover.
"""

from __future__ import annotations

import os
import socket

from simulation.views.translations import check_language

__all__ = ["HOST", "free_port", "serve"]

#: The dashboard listens on the loopback interface only: it is a planner's desk tool.
HOST = "127.0.0.1"
#: How long a disconnected tab keeps its runs (Solara kernel cull timeout).
CULL_TIMEOUT = "5m"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int) -> bool:
    """Whether something already listens on `port` of 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
        return False


def configure(lang: str, scenarios: str | os.PathLike | None = None) -> None:
    """Environment for the page and for Solara; must run before Solara's server is imported."""
    os.environ["SIMULATION_APP_LANG"] = check_language(lang)
    if scenarios is not None:
        os.environ["SIMULATION_APP_SCENARIOS"] = os.fspath(scenarios)
    os.environ["SOLARA_APP"] = "simulation.views.app.page:Page"
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    os.environ.setdefault("SOLARA_MODE", "production")
    # A tab that goes away without closing (network lost, laptop shut) keeps its runs for at
    # most this long, then they stop and their memory is freed (Solara's default is a day;
    # a closed tab unmounts the page, which stops its run at once: tests/test_app.py).
    os.environ.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", CULL_TIMEOUT)


def serve(port: int, lang: str = "en", scenarios: str | os.PathLike | None = None) -> None:
    """Serve the dashboard on http://127.0.0.1:`port` until interrupted."""
    configure(lang, scenarios)
    import warnings

    import uvicorn

    # Solara warns on every page load that cookies cannot be "samesite=none" over plain http;
    # on 127.0.0.1 that is expected (it falls back to "lax"), so keep the terminal readable.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

    print(
        f"starting the dashboard on http://{HOST}:{port} (language {lang}); open it once "
        "uvicorn says it is running; Ctrl-C stops it",
        flush=True,
    )
    uvicorn.run(
        "solara.server.starlette:app",
        host=HOST,
        port=port,
        log_level="info",
        access_log=False,
        ws_max_size=16 * 1024 * 1024,
    )
