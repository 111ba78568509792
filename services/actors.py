"""Entry module of the Dramatiq worker: the broker first, then every actor module."""

from services.common import broker  # noqa: F401  (must come first)
from services.common import jobs  # noqa: F401
from services.activity import actors as activity_actors  # noqa: F401
from services.segmentation import actors as segmentation_actors  # noqa: F401
from services.coupon import actors as coupon_actors  # noqa: F401
from services.loyalty import actors as loyalty_actors  # noqa: F401
from services.campaign import actors as campaign_actors  # noqa: F401
