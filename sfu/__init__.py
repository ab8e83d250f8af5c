"""IMR Live's selective forwarding unit: forwards RTP between participants, never transcodes."""

from sfu.config import SfuConfig
from sfu.errors import SfuError
from sfu.service import SfuService

__all__ = ["SfuConfig", "SfuError", "SfuService"]
