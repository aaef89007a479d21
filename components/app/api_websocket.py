"""dify:app:ApiWebsocket: the Socket.IO process for real-time collaboration (MODE=api with the
gevent-websocket worker class), behind the ``/socket.io/`` route.

Creates: a Deployment, a ClusterIP Service, and a PDB when replicas ≥ 2. Cross-replica fan-out
goes through Redis (api/extensions/ext_socketio.py).
"""

from __future__ import annotations

import pulumi

from components.app.api_family import ApiFamilyArgs, ApiServer
from components.catalog import CATALOG

ENTRY = CATALOG["api-websocket"]


class ApiWebsocket(ApiServer):
    def __init__(self, name: str, args: ApiFamilyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # Socket.IO relays collaboration events through Redis and never reads uploaded files, as
        # upstream compose (no volume on api_websocket) says: the scratch storage root, not the
        # shared claim, so a ReadWriteOnce claim does not pin it to the storage node.
        super().__init__("dify:app:ApiWebsocket", name, ENTRY, "websocket", args, opts, with_storage=False)
