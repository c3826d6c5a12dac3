"""The kernel manager that headless runs (papermill) use."""

from __future__ import annotations

import os
import tempfile
import uuid


def ipc_kernel_manager() -> type:
    """Talk to the kernel over a Unix socket: no TCP port to race for, and no warning about one.

    jupyter_client names the sockets ``kernel-ipc-<port>`` in the current
    directory unless told otherwise, so two runs started from the same folder
    (``samverkan build --jobs 2``) would share sockets and read each other's
    messages. Each kernel gets its own socket path in the temp folder instead.
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class IPCKernelManager(AsyncKernelManager):
        @default("transport")
        def _transport_default(self) -> str:
            return "ipc"

        @default("ip")
        def _ip_default(self) -> str:
            return os.path.join(tempfile.gettempdir(), f"samverkan-kernel-{uuid.uuid4().hex[:12]}")

    return IPCKernelManager
