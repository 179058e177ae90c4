"""Where a boot's Unix sockets live: in the temporary folder under a short
name made from the boot's folder. A Unix socket's path must fit 108 bytes
(sun_path), and pytest's folders can be longer."""

import hashlib
import tempfile
from pathlib import Path


def short_socket_path(workdir, extension):
    """The socket of workdir's boot named by extension (qmp, tpm): the same
    path for the same folder, a different one for another."""
    digest = hashlib.sha1(str(Path(workdir).resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"rayos-{digest}.{extension}"
