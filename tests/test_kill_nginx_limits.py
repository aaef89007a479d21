"""The router config's own input checks (components/net/nginx_conf.py), at their exact bounds.

TCP ports are 1-65535 and nginx needs at least one worker; a size or time that is not an nginx
value is refused with a message naming it (docs/mutation.md).
"""

from __future__ import annotations

import pytest

from components.net.nginx_conf import render_nginx_conf
from components.routing import routes


@pytest.mark.parametrize("port", [1, 65535])
def test_every_tcp_port_is_accepted(port: int) -> None:
    assert f"listen {port};" in render_nginx_conf(routes(), listen_port=port)


@pytest.mark.parametrize("port", [0, 65536])
def test_ports_outside_tcp_are_refused(port: int) -> None:
    with pytest.raises(ValueError, match=rf"^listen_port {port} is out of range$"):
        render_nginx_conf(routes(), listen_port=port)


def test_one_worker_is_enough_and_none_is_refused() -> None:
    assert "worker_processes 1;" in render_nginx_conf(routes(), worker_processes=1)
    with pytest.raises(ValueError, match=r"^worker_processes must be at least 1$"):
        render_nginx_conf(routes(), worker_processes=0)


def test_a_timeout_that_is_not_an_nginx_value_is_named() -> None:
    with pytest.raises(ValueError, match=r"^proxy_timeout '1h; evil' is not an nginx size/time value$"):
        render_nginx_conf(routes(), proxy_timeout="1h; evil")
